"""Evaluation of a trained slope network on a simulated test suite."""

import json

import numpy as np

from .._version import __version__
from ._io import SPLIT_FILE, get_model

__all__ = ["evaluate_slope", "select_rows"]


def _same_draws(suite, slope_model):
    """Tell whether ``suite`` has the training suite's seed and prior, hence its galaxies."""
    manifest = getattr(suite, "manifest", None) or {}
    train = slope_model.card["suite"].get("manifest") or {}
    # the card keeps the training prior at its top level (the suite entry's manifest drops it)
    return (train.get("seed") == manifest.get("seed")
            and slope_model.card.get("prior") == manifest.get("prior"))


def _is_calibration_suite(suite, slope_model):
    """Tell whether ``suite`` is the one the model's posteriors were calibrated on."""
    calibration = slope_model.card.get("calibration") or {}
    return str(getattr(suite, "checksum", "")) == (calibration.get("suite") or {}).get("checksum")


def select_rows(suite, slope_model, *, split="auto"):
    """Rows of ``suite`` to evaluate ``slope_model`` on, and which selection was made.

    Parameters
    ----------
    suite : `~dmprofile.suites.DwarfSuite`
        The suite (``.truth`` with ``galaxy_id``, ``.checksum``).
    slope_model : `~dmprofile.nets.SlopeModel`
    split : {"auto", "test", "all"}
        ``"test"``: the held-out test galaxies recorded with the model (the suite must be its
        training suite); ``"all"``: every row (a separate test suite); ``"auto"``: ``"test"``
        when the suite checksum matches the one in the model card, else ``"all"``. The
        suite the posteriors were calibrated on (`~dmprofile.nets.calibrate_slope`) is
        refused.

    Returns
    -------
    rows : ndarray of int
    selection : str
        ``"test"`` or ``"all"``.
    """
    if split not in ("auto", "test", "all"):
        msg = f"split must be 'auto', 'test' or 'all', got {split!r}"
        raise ValueError(msg)
    truth = suite.truth
    same_suite = str(getattr(suite, "checksum", "")) == slope_model.card["suite"]["checksum"]
    if split == "auto":
        split = "test" if same_suite else "all"
    if split == "all" and _is_calibration_suite(suite, slope_model):
        msg = ("argument 'suite' is the suite the model's posteriors were calibrated on "
               f"(checksum {str(suite.checksum)[:12]}...): evaluate on a test suite of other "
               "galaxies")
        raise ValueError(msg)
    if split == "all":
        return np.arange(len(truth)), "all"
    if not same_suite:
        msg = ("split='test' needs the suite the model was trained on (checksum "
               f"{slope_model.card['suite']['checksum'][:12]}...), got a suite with checksum "
               f"{str(getattr(suite, 'checksum', ''))[:12]}...")
        raise ValueError(msg)
    if slope_model.path is None or not (slope_model.path / SPLIT_FILE).is_file():
        msg = f"the model has no {SPLIT_FILE} listing its test galaxies"
        raise FileNotFoundError(msg)
    split_doc = json.loads((slope_model.path / SPLIT_FILE).read_text())
    test_ids = np.asarray(split_doc["test"], dtype=np.int64)
    rows = np.flatnonzero(np.isin(np.asarray(truth["galaxy_id"], dtype=np.int64), test_ids))
    if rows.size == 0:
        msg = "the model's test split is empty: train with test_fraction > 0"
        raise ValueError(msg)
    return rows, "test"


def evaluate_slope(suite, model, *, out_dir=None, n_passes=100, seed=0, split="auto",
                   label="slope"):
    """Score a slope network on simulated galaxies with known slopes.

    Parameters
    ----------
    suite : str, `~pathlib.Path` or `~dmprofile.suites.DwarfSuite`
        A suite directory (or suite): the model's training suite, whose held-out test galaxies
        are then used, or a separate test suite, used whole (see `select_rows`).
    model : str, `~pathlib.Path` or `~dmprofile.nets.SlopeModel`
        ``"default"``, a model directory or a loaded model.
    out_dir : str or `~pathlib.Path`, optional
        Where to write the JSON and markdown reports and the figures
        (`dmprofile.results.evaluate_posteriors`).
    n_passes : int
        Monte-Carlo dropout passes per galaxy.
    seed : int
        Seeds the dropout masks.
    split : {"auto", "test", "all"}
        Which rows to use (see `select_rows`).
    label : str
        Prefix of the output files.

    Returns
    -------
    `~dmprofile.results.SlopeEvaluation`
    """
    from ..results import evaluate_posteriors
    from ._training import TARGET, _open_suite

    slope_model = get_model(model)
    data, _ = _open_suite(suite)
    rows, selection = select_rows(data, slope_model, split=split)
    truth = data.truth
    images = np.asarray(data.images)[rows]
    target = np.asarray(getattr(truth[TARGET], "value", truth[TARGET]), dtype=float)[rows]
    n_stars = (np.asarray(truth["n_stars"], dtype=float)[rows] if "n_stars" in truth.colnames
               else None)
    grid, pdfs, _ = slope_model.pass_pdfs(images, n_passes=n_passes, seed=seed, n_stars=n_stars)
    meta = {"dmprofile_version": __version__, "model": slope_model.name,
            "model_card_sha256": slope_model.card_hash,
            "model_suite_checksum": slope_model.card["suite"]["checksum"],
            "suite_checksum": str(getattr(data, "checksum", "")), "selection": selection,
            "n_rows": int(rows.size), "n_galaxies": int(np.unique(truth["galaxy_id"][rows]).size),
            "n_passes": int(n_passes), "seed": seed}
    return evaluate_posteriors((grid, pdfs), target, n_stars=n_stars, out_dir=out_dir,
                               label=label, meta=meta)
