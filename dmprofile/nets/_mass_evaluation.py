"""Evaluation of a mass-profile ensemble on simulated disc galaxies: `evaluate_mass`.

Per radius: RMSE, MAE and bias of log10 M_DM(<r) (ensemble median minus truth) and the
coverage of the ensemble's 68 % and 95 % intervals, on the held-out test galaxies of the
ensemble's own training suite (the split recorded with its members) or on every row of a
separate suite; and, on the same rows, the RMSE of two baselines that use no image:

* ``mstar_only``: the profile predicted from the true stellar mass alone through the prior's
  relations (`mstar_only_profile`);
* ``training_median``: the median, per radius, of log10 M_DM(<r) over the training rows (for a
  separate suite, whose training rows are not at hand: the mean over the training rows that
  the members record as ``target_loc``).
"""

import json
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.table import QTable

from .._utils import atomic_write_text
from .._version import __version__

__all__ = ["evaluate_mass", "mstar_only_profile", "EVALUATION_FILE"]

#: The JSON report written by `evaluate_mass`.
EVALUATION_FILE = "mass_evaluation.json"
_MSTAR_COLUMNS = ("prior_log_mstar", "log_mstar")


def mstar_only_profile(log_mstar, radii, prior):
    """Return log10 M_DM(<r) predicted from the stellar mass alone (the first baseline).

    The halo mass is the median of the prior's stellar-to-halo relation at M*
    (``prior.halo_relation``: Dutton et al. 2010 late types, or the inverse of Moster et al.
    2013), clipped to ``prior.log_m200_range``; the concentration is the median of the
    colossus c-M relation ``prior.c_model`` at that mass (no scatter); the halo is NFW with
    no baryonic response (no contraction or expansion, no core), and its dark matter is the
    NFW mass times ``(1 - f_b) / (1 - M*/M200)``, with f_b the Planck 2018 cosmic baryon
    fraction, as in `~dmprofile.simulate.DiscGalaxy` without its response and with the
    stellar mass as the only baryons.

    Parameters
    ----------
    log_mstar : array-like
        log10(M* / Msun), one per galaxy.
    radii : `~astropy.units.Quantity` [length]
        The radii.
    prior : `~dmprofile.simulate.DefaultDiscPrior`
        The prior of the suite.

    Returns
    -------
    ndarray, shape (n, n_radii)
        log10 Msun.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.simulate import DefaultDiscPrior
    >>> m = mstar_only_profile([10.5], [10.0, 100.0] * u.kpc, DefaultDiscPrior())
    >>> bool(11.0 < m[0, 1] < 12.5 and m[0, 0] < m[0, 1])
    True
    """
    from astropy.cosmology import Planck18

    from ..profiles import concentration_colossus, critical_density, kernels

    log_mstar = np.atleast_1d(np.asarray(log_mstar, dtype=float))
    r = np.asarray(radii.to_value(u.kpc), dtype=float)
    rho_crit = critical_density(Planck18.H0)
    f_b = float(Planck18.Ob0 / Planck18.Om0)
    lo, hi = prior.log_m200_range
    out = np.empty((log_mstar.size, r.size))
    for i, log_ms in enumerate(log_mstar):
        # the prior's own median relation (private: the relation the suite was drawn from)
        log_m200 = float(np.clip(prior._log_m200_median(float(log_ms))[0], lo, hi))
        m200 = 10.0**log_m200
        c = float(concentration_colossus(m200 * u.Msun, model=prior.c_model))
        rho_s, r_s = kernels.nfw_from_M200_c(m200, c, rho_crit)
        f_gal = 10.0**log_ms / m200
        dark = kernels.nfw_enclosed_mass(r, rho_s, r_s) * (1.0 - max(f_b, f_gal)) / (1.0 - f_gal)
        out[i] = np.log10(dark)
    return out


def _select(data, ensemble, split):
    """Return (rows, selection, training rows or None) of the evaluation."""
    if split not in ("auto", "test", "all"):
        msg = f"argument 'split' must be 'auto', 'test' or 'all', got {split!r}"
        raise ValueError(msg)
    card = ensemble.members[0].card
    same = str(getattr(data, "checksum", "")) == card["suite"]["checksum"]
    if split == "auto":
        split = "test" if same else "all"
    gid = np.asarray(data.truth["galaxy_id"], dtype=np.int64)
    if not same:
        if split == "test":
            msg = ("split='test' needs the suite the ensemble was trained on (checksum "
                   f"{card['suite']['checksum'][:12]}...), got another suite")
            raise ValueError(msg)
        return np.arange(gid.size), "all", None
    path = ensemble.members[0].path
    split_file = None if path is None else path / card["split"]["file"]
    if split_file is None or not split_file.is_file():
        msg = "the ensemble's members have no split file listing their test galaxies"
        raise FileNotFoundError(msg)
    doc = json.loads(split_file.read_text())
    train = np.flatnonzero(np.isin(gid, np.asarray(doc["train"], dtype=np.int64)))
    if split == "all":
        return np.arange(gid.size), "all", train
    rows = np.flatnonzero(np.isin(gid, np.asarray(doc["test"], dtype=np.int64)))
    if rows.size == 0:
        msg = "the ensemble's test split is empty: train with test_fraction > 0"
        raise ValueError(msg)
    return rows, "test", train


def _metrics(pred, truth):
    err = pred["median"] - truth
    inside = {level: (pred[f"lower_{level}"] <= truth) & (truth <= pred[f"upper_{level}"])
              for level in (68, 95)}
    return {"rmse": np.sqrt(np.mean(err**2, axis=0)), "mae": np.mean(np.abs(err), axis=0),
            "bias": np.mean(err, axis=0), "coverage_68": np.mean(inside[68], axis=0),
            "coverage_95": np.mean(inside[95], axis=0)}


def _prior(data, ensemble):
    from ..simulate import DefaultDiscPrior

    if hasattr(data, "prior"):
        return data.prior
    return DefaultDiscPrior.from_dict(ensemble.members[0].card["prior"])


def _baselines(data, ensemble, rows, train, truth):
    mstar_col = next((c for c in _MSTAR_COLUMNS if c in data.truth.colnames), None)
    if mstar_col is None:
        msg = f"the suite truth table has none of the columns {_MSTAR_COLUMNS} (M*)"
        raise ValueError(msg)
    log_mstar = np.asarray(data.truth[mstar_col], dtype=float)[rows]
    mstar = mstar_only_profile(log_mstar, ensemble.radii, _prior(data, ensemble))
    all_truth = np.asarray(data.truth["log_mdm"], dtype=float)
    if train is not None and train.size:
        reference = np.median(all_truth[train], axis=0)
        how = "median over the training rows of the suite"
    else:
        reference = np.asarray(ensemble.members[0].card["architecture"]["target_loc"])
        how = "mean over the training rows recorded in the model card (target_loc)"
    out = {}
    for key, profile, text in (
            ("mstar_only", mstar, "NFW halo at the median M200 of the prior's stellar-to-halo "
                                  "relation at the true M*, median colossus concentration, no "
                                  "baryonic response (mstar_only_profile)"),
            ("training_median", np.broadcast_to(reference, truth.shape), how)):
        err = profile - truth
        out[key] = {"description": text, "rmse": np.sqrt(np.mean(err**2, axis=0)),
                    "mae": np.mean(np.abs(err), axis=0), "bias": np.mean(err, axis=0)}
    return out


def evaluate_mass(suite, model, out_dir=None, *, split="auto", batch_size=64):
    """Score a mass-profile ensemble on simulated disc galaxies against two baselines.

    Parameters
    ----------
    suite : str, `~pathlib.Path` or `~dmprofile.suites.DiscSuite`
        A disc suite with the channels the model reads.
    model : str, `~pathlib.Path`, `~dmprofile.nets.BootstrapEnsemble` or `~dmprofile.nets.MassModel`
        An ensemble directory or object (a single model is used as an ensemble of one).
    out_dir : str or `~pathlib.Path`, optional
        Where to write `EVALUATION_FILE` (created if needed).
    split : {"auto", "test", "all"}
        ``"test"``: the held-out test galaxies of the ensemble's training suite; ``"all"``:
        every row; ``"auto"``: ``"test"`` for the training suite (same checksum), else
        ``"all"``.
    batch_size : int
        Rows per network call.

    Returns
    -------
    `~astropy.table.QTable`
        One row per radius: ``radius``, the network's ``rmse``, ``mae``, ``bias`` [dex],
        ``coverage_68``, ``coverage_95``, and ``rmse_mstar_only``, ``rmse_training_median``
        [dex]; ``meta`` holds the whole report (also written as JSON: radii, per-radius
        metrics, baselines with their descriptions, RMSE ratios, rows and selection).
    """
    from ._mass_task import open_disc_suite, suite_inputs

    data, suite_path = open_disc_suite(suite)
    ensemble = _ensemble(model)
    rows, selection, train = _select(data, ensemble, split)
    truth = np.asarray(data.truth["log_mdm"], dtype=float)[rows]
    pred = ensemble.predict_log10(**suite_inputs(data, ensemble, rows), batch_size=batch_size)
    network = _metrics(pred, truth)
    baselines = _baselines(data, ensemble, rows, train, truth)
    report = {"format": "dmprofile-mass-evaluation", "dmprofile_version": __version__,
              "model": {"name": ensemble.card.get("name"), "path": str(ensemble.path),
                        "n_members": len(ensemble), "channels": list(ensemble.channels),
                        "loss": ensemble.loss,
                        "sigma_scale": (None if getattr(ensemble, "sigma_scale", None) is None
                                        else ensemble.sigma_scale.tolist())},
              "suite": {"path": suite_path, "checksum": str(getattr(data, "checksum", ""))},
              "selection": selection, "n_rows": int(rows.size),
              "n_galaxies": int(np.unique(np.asarray(data.truth["galaxy_id"])[rows]).size),
              "rows": rows.tolist(), "radii_kpc": ensemble.radii.to_value(u.kpc).tolist(),
              "network": {k: v.tolist() for k, v in network.items()},
              "baselines": {k: {kk: (vv.tolist() if isinstance(vv, np.ndarray) else vv)
                                for kk, vv in b.items()} for k, b in baselines.items()},
              "rmse_ratio": {k: (network["rmse"] / b["rmse"]).tolist()
                             for k, b in baselines.items()}}
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out_dir / EVALUATION_FILE, json.dumps(report, indent=1))
    table = QTable({"radius": ensemble.radii, **{k: network[k] for k in network},
                    **{f"rmse_{k}": b["rmse"] for k, b in baselines.items()}}, meta=report)
    return table


def _ensemble(model):
    from ._mass_ensemble import BootstrapEnsemble
    from ._mass_model import MassModel, load_mass_model

    if isinstance(model, BootstrapEnsemble):
        return model
    if isinstance(model, MassModel):
        member = model
    elif isinstance(model, (str, Path)):
        directory = Path(model).expanduser()
        if (directory / "ensemble.json").is_file():
            return BootstrapEnsemble.load(directory)
        member = load_mass_model(directory)
    else:
        msg = (f"argument 'model' must be an ensemble or model directory or object, got "
               f"{type(model).__name__}")
        raise TypeError(msg)
    card = {"name": member.card.get("name"), "_sha256": member.card_hash,
            "training_ranges": member.card.get("training_ranges", {})}
    return BootstrapEnsemble([member], card, path=member.path)
