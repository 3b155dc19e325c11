"""Calibration of the slope network's posterior widths against the star count.

The network sees two images normalised to unit sum, so it hardly knows how many stars went
into them: its Monte-Carlo-dropout posteriors are too wide for large catalogues and too narrow
for small ones. `calibrate_slope` measures, on the *validation* galaxies of the training suite
only, the factor on the posterior width that gives 68 % and 95 % coverage in each bin of star
count, and records it in the model card; `SlopeModel.posterior` then widens or narrows each
posterior about its mean by the factor interpolated at the catalogue's star count.
"""

import json

import numpy as np

from .._utils import atomic_write_text
from ._io import CARD_FILE, SPLIT_FILE, get_model
from ._widths import METHOD, pooled_mean

__all__ = ["calibrate_slope"]

def _scaled_pdfs(grid, pdfs, centres, factor):
    """Grid pdfs of the affine map about ``centres`` by ``factor`` (interpolated, renormalised)."""
    out = np.empty_like(pdfs)
    for i in range(pdfs.shape[0]):
        out[i] = np.interp(centres[i] + (grid - centres[i]) / factor, grid, pdfs[i],
                           left=0.0, right=0.0)
    norm = np.trapezoid(out, grid, axis=1)[:, None]
    return out / np.where(norm > 0, norm, 1.0)


def _ranks(grid, pdfs, truth):
    """Probability of the smallest interval grown from the mode that holds the truth, per row."""
    from ..results import evaluate_posteriors

    return np.asarray(evaluate_posteriors((grid, pdfs), truth).table["hdi_rank"], dtype=float)


def _ranks_at(ranks, factors, f):
    """Ranks at per-row factors ``f``, interpolated in log(factor) between the columns."""
    log_f = np.log(factors)
    x = np.clip(np.log(f), log_f[0], log_f[-1])
    if factors.size == 1:
        return ranks[0]
    j = np.clip(np.searchsorted(log_f, x) - 1, 0, factors.size - 2)
    w = (x - log_f[j]) / (log_f[j + 1] - log_f[j])
    cols = np.arange(ranks.shape[1])
    return ranks[j, cols] * (1 - w) + ranks[j + 1, cols] * w


def _chi2(rank, sel):
    """Binomial chi-square of the 68 % and 95 % coverages of the rows ``sel``."""
    n = int(sel.sum())
    if n == 0:
        return 0.0
    c68, c95 = np.mean(rank[sel] <= 0.68), np.mean(rank[sel] <= 0.95)
    return (c68 - 0.68) ** 2 / (0.68 * 0.32 / n) + (c95 - 0.95) ** 2 / (0.95 * 0.05 / n)


def calibrate_slope(model, suite, *, n_passes=100, seed=0, n_bins=6, factors=None,
                    batch=600):
    """Fit width factors per star-count bin on the validation galaxies and store them.

    The factor on the posterior width (`scale_mixtures`) is linear in log10 of the star
    count between the fewest and the most stars of the validation galaxies of the model's
    training suite (``split.json``), and constant beyond. Its two end values are picked from
    ``factors`` so that the 68 % and 95 % intervals hold the true slope in 68 % and 95 % of
    the galaxies of each of ``n_bins`` quantile bins of star count: the least sum over the
    bins of the binomial chi-square ``(c68 - 0.68)^2 / var68 + (c95 - 0.95)^2 / var95``, with
    ``var = p (1 - p) / n``. A line rather than one factor per bin, so that a few hundred
    galaxies per bin do not make the factors noisy. The factors,
    the bins and the coverage before and after go into the ``calibration`` entry of the model
    card (written atomically); `~dmprofile.nets.SlopeModel.posterior` and
    `~dmprofile.infer_slope` then apply them. The test galaxies are never used.

    Parameters
    ----------
    model : str or `~pathlib.Path` or `~dmprofile.nets.SlopeModel`
        A model directory (not the bundled ``"default"``: its card is rewritten).
    suite : str, `~pathlib.Path` or `~dmprofile.suites.DwarfSuite`
        The suite the model was trained on (same checksum).
    n_passes : int
        Monte-Carlo dropout passes per galaxy.
    seed : int
        Seeds the dropout masks.
    n_bins : int
        Number of star-count bins (>= 1).
    factors : array-like, optional
        Candidate end factors (default: 41 values from 0.6 to 1.6, log-spaced).
    batch : int
        Galaxies per network call chunk (bounds the memory).

    Returns
    -------
    dict
        The ``calibration`` entry written to the card.

    Raises
    ------
    ValueError
        For another suite, a suite without ``n_stars``, too few validation galaxies or bad
        arguments.
    """
    from ..results import default_grid
    from ._io import mixture_pdfs
    from ._training import TARGET, _open_suite

    slope_model = get_model(model)
    if slope_model.path is None or slope_model.name == "default":
        msg = ("argument 'model' must be a model directory (its card is rewritten), not the "
               "bundled default")
        raise ValueError(msg)
    n_bins = int(n_bins)
    if n_bins < 1:
        msg = f"argument 'n_bins' must be >= 1, got {n_bins}"
        raise ValueError(msg)
    factors = (np.geomspace(0.6, 1.6, 41) if factors is None
               else np.sort(np.asarray(factors, dtype=float)))
    if factors.ndim != 1 or factors.size == 0 or np.any(factors <= 0) \
            or np.any(np.diff(factors) <= 0):
        msg = "argument 'factors' must be a 1-D array of distinct positive factors"
        raise ValueError(msg)
    data, _ = _open_suite(suite)
    checksum = str(getattr(data, "checksum", ""))
    if checksum != slope_model.card["suite"]["checksum"]:
        msg = ("argument 'suite' must be the suite the model was trained on (checksum "
               f"{slope_model.card['suite']['checksum'][:12]}...), got {checksum[:12]}...")
        raise ValueError(msg)
    truth_table = data.truth
    if "n_stars" not in truth_table.colnames:
        msg = "the suite's truth table has no 'n_stars' column to calibrate against"
        raise ValueError(msg)
    split = json.loads((slope_model.path / SPLIT_FILE).read_text())
    ids = np.asarray(split.get("validation", []), dtype=np.int64)
    rows = np.flatnonzero(np.isin(np.asarray(truth_table["galaxy_id"], dtype=np.int64), ids))
    if rows.size < 20 * n_bins:
        msg = (f"calibration needs at least {20 * n_bins} validation rows for {n_bins} bins, "
               f"got {rows.size}")
        raise ValueError(msg)
    truth = np.asarray(getattr(truth_table[TARGET], "value", truth_table[TARGET]),
                       dtype=float)[rows]
    n_stars = np.asarray(truth_table["n_stars"], dtype=float)[rows]
    grid = default_grid()
    images = np.asarray(data.images)
    pdfs = np.empty((rows.size, grid.size))
    centres = np.empty(rows.size)
    rng = np.random.default_rng(seed)
    for start in range(0, rows.size, int(batch)):
        sl = slice(start, start + int(batch))
        passes = slope_model.predict_mixtures(images[rows[sl]], n_passes=n_passes,
                                              seed=int(rng.integers(2**62)))
        pdfs[sl] = mixture_pdfs(grid, *passes)[0]
        centres[sl] = pooled_mean(passes.weights, passes.means)
    ranks = np.array([_ranks(grid, _scaled_pdfs(grid, pdfs, centres, f), truth)
                      for f in factors])                                       # (F, n)
    logn = np.log10(n_stars)
    edges = np.quantile(logn, np.linspace(0, 1, n_bins + 1))
    idx = np.clip(np.searchsorted(edges, logn, side="right") - 1, 0, n_bins - 1)
    in_bin = [idx == b for b in range(n_bins)]
    ends = np.array([logn.min(), logn.max()])
    if ends[1] - ends[0] < 0.1:
        ends = np.array([ends.mean() - 0.05, ends.mean() + 0.05])
    best = None
    for f_low in factors:
        for f_high in factors:
            f = np.interp(logn, ends, [f_low, f_high])
            r = _ranks_at(ranks, factors, f)
            total = sum(_chi2(r, sel) for sel in in_bin)
            if best is None or total < best[0]:
                best = (total, float(f_low), float(f_high))
    _, f_low, f_high = best
    after = _ranks_at(ranks, factors, np.interp(logn, ends, [f_low, f_high]))
    before = _ranks_at(ranks, factors, np.ones_like(logn))
    bins = []
    for b in range(n_bins):
        sel = in_bin[b]
        bins.append({"n_stars_low": float(10 ** edges[b]),
                     "n_stars_high": float(10 ** edges[b + 1]), "n_rows": int(sel.sum()),
                     "factor": float(np.interp(np.median(logn[sel]), ends, [f_low, f_high])),
                     "coverage_before": [float(np.mean(before[sel] <= 0.68)),
                                         float(np.mean(before[sel] <= 0.95))],
                     "coverage_after": [float(np.mean(after[sel] <= 0.68)),
                                        float(np.mean(after[sel] <= 0.95))]})
    entry = {"method": METHOD, "log10_n_stars": ends.tolist(), "factor": [f_low, f_high],
             "split": "validation", "n_rows": int(rows.size),
             "n_galaxies": int(ids.size), "n_passes": int(n_passes), "seed": int(seed),
             "coverage_before": [float(np.mean(before <= 0.68)), float(np.mean(before <= 0.95))],
             "coverage_after": [float(np.mean(after <= 0.68)), float(np.mean(after <= 0.95))],
             "bins": bins,
             "description": "factor on the posterior width about its mean, linear in "
                            "log10(n_stars) between the validation set's fewest and most stars "
                            "(constant beyond); the two end factors minimise the summed "
                            "binomial chi-square of the 68% and 95% coverages in the "
                            "star-count bins of the validation rows"}
    card = json.loads((slope_model.path / CARD_FILE).read_text())
    card["calibration"] = entry
    atomic_write_text(slope_model.path / CARD_FILE, json.dumps(card, indent=1))
    return entry
