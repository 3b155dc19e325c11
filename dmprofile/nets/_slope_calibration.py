"""Calibration of the slope network's posterior widths against the star count.

The network sees two images normalised to unit sum, so it hardly knows how many stars went
into them: its Monte-Carlo-dropout posteriors are too wide for large catalogues and too narrow
for small ones. `calibrate_slope` measures, on galaxies the network was not trained on (the
validation galaxies of the training suite, or an independent calibration suite) and never on
test galaxies, the factors on the posterior that give 68 % and 95 % coverage in each bin of
star count, and records them in the model card; `SlopeModel.posterior` then applies the
factors interpolated at the catalogue's star count.
"""

import json

import numpy as np

from .._utils import atomic_write_text
from ._evaluation import _same_draws
from ._io import CARD_FILE, SPLIT_FILE, get_model
from ._widths import METHOD, METHOD_SHAPE, pooled_mean, width_factors

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


def _check_factors(values, name, default):
    values = default if values is None else np.sort(np.asarray(values, dtype=float))
    if values.ndim != 1 or values.size == 0 or np.any(~(values > 0)) \
            or np.any(np.diff(values) <= 0) or not np.all(np.isfinite(values)):
        msg = f"argument {name!r} must be a 1-D array of distinct positive factors"
        raise ValueError(msg)
    return values


def _calibration_rows(slope_model, data):
    """Rows of ``data`` to calibrate on: the validation split, or a whole independent suite."""
    truth_table = data.truth
    train = slope_model.card["suite"]
    checksum = str(getattr(data, "checksum", ""))
    manifest = getattr(data, "manifest", None) or {}
    if checksum == train["checksum"]:
        split = json.loads((slope_model.path / SPLIT_FILE).read_text())
        ids = np.asarray(split.get("validation", []), dtype=np.int64)
        rows = np.flatnonzero(np.isin(np.asarray(truth_table["galaxy_id"], dtype=np.int64),
                                      ids))
        return rows, "validation", int(ids.size)
    if _same_draws(data, slope_model):
        msg = ("argument 'suite' must be the model's training suite (its validation galaxies "
               "are used) or a suite of other galaxies; this one has the training suite's seed "
               f"({manifest.get('seed')}) and prior but another checksum ({checksum[:12]}...), "
               "so it shares training galaxies")
        raise ValueError(msg)
    rows = np.arange(len(truth_table))
    n_galaxies = int(np.unique(np.asarray(truth_table["galaxy_id"])).size)
    return rows, "all", n_galaxies


def _fit_shape(grid, passes, truth, factors, sigma_factors, sel):
    """(chi2, centre factor, sigma factor) minimising the chi-square of the rows ``sel``.

    A search over ``factors`` x ``sigma_factors``, then twice over a 5 x 5 grid spanning one
    step of the previous grid either side of its best point.
    """
    from ._io import mixture_pdfs

    w, m, s = (a[sel] for a in passes)
    centre = pooled_mean(w, m)[:, None, None]
    everything = np.ones(int(sel.sum()), dtype=bool)
    cache = {}

    def chi2(fc, fs):
        key = (round(fc, 12), round(fs, 12))
        if key not in cache:
            pdfs = mixture_pdfs(grid, w, centre + fc * (m - centre), fs * s)[0]
            cache[key] = _chi2(_ranks(grid, pdfs, truth[sel]), everything)
        return cache[key]

    fcs, fss = np.log(factors), np.log(sigma_factors)
    best = None
    for _ in range(3):
        for lc in fcs:
            for ls in fss:
                value = chi2(float(np.exp(lc)), float(np.exp(ls)))
                if best is None or value < best[0]:
                    best = (value, float(np.exp(lc)), float(np.exp(ls)))
        step_c = np.diff(fcs).max() if fcs.size > 1 else 0.0
        step_s = np.diff(fss).max() if fss.size > 1 else 0.0
        fcs = np.log(best[1]) + np.linspace(-step_c, step_c, 5)
        fss = np.log(best[2]) + np.linspace(-step_s, step_s, 5)
        fcs, fss = np.unique(fcs), np.unique(fss)
    return best


def calibrate_slope(model, suite, *, shape=False, n_passes=100, seed=0, n_bins=6, factors=None,
                    sigma_factors=None, batch=600):
    """Fit star-count-dependent factors on the posteriors and store them in the model card.

    The calibration galaxies are the validation galaxies of the model's training suite
    (``split.json``) when ``suite`` is that suite, or every galaxy of ``suite`` when it is an
    independent calibration suite (another seed: a suite with the training suite's seed and
    prior is refused). Test galaxies must never be used: a suite used here cannot be a test
    suite for the model (``benchmarks/bench_slope.py`` refuses it). The galaxies are cut into
    ``n_bins`` quantile bins of star count, and the factors minimise, per bin or jointly, the
    binomial chi-square of the 68 % and 95 % coverages
    ``(c68 - 0.68)^2 / var68 + (c95 - 0.95)^2 / var95`` with ``var = p (1 - p) / n``.

    With ``shape=False`` (the default; method ``width_factor_vs_log10_n_stars``) one factor
    scales the whole posterior about its mean; it is linear in log10 of the star count between
    the fewest and the most stars and its two end values are picked from ``factors`` jointly
    over the bins.

    With ``shape=True`` (method ``centre_and_sigma_factors_vs_log10_n_stars``) two factors are
    fitted in each bin, one on the spread of the Monte-Carlo-dropout centres about their pooled
    mean and one on the component widths (`~dmprofile.nets.scale_mixtures`), so the shape of
    the posterior changes as well as its width. The search runs over ``factors`` x
    ``sigma_factors`` and is refined twice around its best point; the knots are the bins'
    median log10 star counts. It needs a few thousand galaxies per bin, and it fits the two
    levels at the expense of the others: on the bundled model it brought the 68 % and 95 %
    coverage of every bin of the calibration galaxies to within a point of nominal, but made
    the coverage at other levels and the PIT less uniform and doubled the share of bimodal
    posteriors below 100 stars (see the docs), so it is not the default.

    The factors, the bins, the calibration suite and the coverages before and after (the
    latter with the factors interpolated at each galaxy's star count, as the model applies
    them) go into the ``calibration`` entry of the model card, written atomically;
    `~dmprofile.nets.SlopeModel.posterior` and `~dmprofile.infer_slope` then apply them.

    Parameters
    ----------
    model : str or `~pathlib.Path` or `~dmprofile.nets.SlopeModel`
        A model directory (not the bundled ``"default"``: its card is rewritten).
    suite : str, `~pathlib.Path` or `~dmprofile.suites.DwarfSuite`
        The model's training suite (same checksum; its validation galaxies are used) or an
        independent calibration suite from the same prior (all its galaxies are used).
    shape : bool
        Fit one width factor linear in log10 N (False) or a centre and a width factor per bin.
    n_passes : int
        Monte-Carlo dropout passes per galaxy.
    seed : int
        Seeds the dropout masks.
    n_bins : int
        Number of star-count bins (>= 1).
    factors : array-like, optional
        Candidate factors on the centres' spread (``shape=True``; default: 9 values from 0.5
        to 2, log-spaced) or on the whole width (``shape=False``; default: 41 values from 0.6
        to 1.6).
    sigma_factors : array-like, optional
        Candidate factors on the component widths (``shape=True`` only; default: 9 values
        from 0.6 to 1.5, log-spaced).
    batch : int
        Galaxies per network call chunk (bounds the memory).

    Returns
    -------
    dict
        The ``calibration`` entry written to the card.

    Raises
    ------
    ValueError
        For a suite sharing training galaxies, a suite without ``n_stars``, too few
        calibration galaxies or bad arguments.
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
    shape = bool(shape)
    factors = _check_factors(factors, "factors",
                             np.geomspace(0.5, 2.0, 9) if shape else np.geomspace(0.6, 1.6, 41))
    sigma_factors = _check_factors(sigma_factors, "sigma_factors", np.geomspace(0.6, 1.5, 9))
    data, _ = _open_suite(suite)
    truth_table = data.truth
    if "n_stars" not in truth_table.colnames:
        msg = "the suite's truth table has no 'n_stars' column to calibrate against"
        raise ValueError(msg)
    rows, split, n_galaxies = _calibration_rows(slope_model, data)
    if rows.size < 20 * n_bins:
        msg = (f"calibration needs at least {20 * n_bins} {split} rows for {n_bins} bins, "
               f"got {rows.size}")
        raise ValueError(msg)
    truth = np.asarray(getattr(truth_table[TARGET], "value", truth_table[TARGET]),
                       dtype=float)[rows]
    n_stars = np.asarray(truth_table["n_stars"], dtype=float)[rows]
    grid = default_grid()
    images = np.asarray(data.images)
    rng = np.random.default_rng(seed)
    chunks = []
    for start in range(0, rows.size, int(batch)):
        chunks.append(slope_model.predict_mixtures(images[rows[start:start + int(batch)]],
                                                   n_passes=n_passes,
                                                   seed=int(rng.integers(2**62))))
    passes = tuple(np.concatenate(parts) for parts in zip(*chunks, strict=True))
    logn = np.log10(n_stars)
    edges = np.quantile(logn, np.linspace(0, 1, n_bins + 1))
    idx = np.clip(np.searchsorted(edges, logn, side="right") - 1, 0, n_bins - 1)
    in_bin = [idx == b for b in range(n_bins)]

    def ranks_with(centre_factor, sigma_factor):
        w, m, s = passes
        c = pooled_mean(w, m)[:, None, None]
        fc = np.reshape(centre_factor, (-1, 1, 1))
        fs = np.reshape(sigma_factor, (-1, 1, 1))
        return _ranks(grid, mixture_pdfs(grid, w, c + fc * (m - c), fs * s)[0], truth)

    if shape:
        fits = [_fit_shape(grid, passes, truth, factors, sigma_factors, sel) for sel in in_bin]
        knots = np.array([np.median(logn[sel]) for sel in in_bin])
        keep = np.r_[True, np.diff(knots) > 1e-9]                      # distinct knots only
        entry = {"method": METHOD_SHAPE, "log10_n_stars": knots[keep].tolist(),
                 "centre_factor": [f[1] for f, k in zip(fits, keep, strict=True) if k],
                 "sigma_factor": [f[2] for f, k in zip(fits, keep, strict=True) if k]}
        description = ("factors on the spread of the Monte-Carlo-dropout centres about their "
                       "pooled mean and on the component widths, fitted in each star-count bin "
                       "by the least binomial chi-square of the 68% and 95% coverages and "
                       "interpolated linearly in log10(n_stars) between the bins' medians "
                       "(constant beyond)")
    else:
        centres = pooled_mean(passes[0], passes[1])
        base = mixture_pdfs(grid, *passes)[0]
        ranks = np.array([_ranks(grid, _scaled_pdfs(grid, base, centres, f), truth)
                          for f in factors])                                   # (F, n)
        ends = np.array([logn.min(), logn.max()])
        if ends[1] - ends[0] < 0.1:
            ends = np.array([ends.mean() - 0.05, ends.mean() + 0.05])
        best = None
        for f_low in factors:
            for f_high in factors:
                r = _ranks_at(ranks, factors, np.interp(logn, ends, [f_low, f_high]))
                total = sum(_chi2(r, sel) for sel in in_bin)
                if best is None or total < best[0]:
                    best = (total, float(f_low), float(f_high))
        entry = {"method": METHOD, "log10_n_stars": ends.tolist(), "factor": list(best[1:])}
        description = ("factor on the posterior width about its mean, linear in "
                       "log10(n_stars) between the calibration set's fewest and most stars "
                       "(constant beyond); the two end factors minimise the summed binomial "
                       "chi-square of the 68% and 95% coverages in the star-count bins")
    centre_f, sigma_f = width_factors(entry, n_stars)
    after = ranks_with(centre_f, sigma_f)
    before = ranks_with(np.ones_like(logn), np.ones_like(logn))
    bins = []
    for b in range(n_bins):
        sel = in_bin[b]
        fc, fs = (float(f) for f in width_factors(entry, 10 ** np.median(logn[sel])))
        bins.append({"n_stars_low": float(10 ** edges[b]),
                     "n_stars_high": float(10 ** edges[b + 1]), "n_rows": int(sel.sum()),
                     "centre_factor": fc, "sigma_factor": fs,
                     "coverage_before": [float(np.mean(before[sel] <= 0.68)),
                                         float(np.mean(before[sel] <= 0.95))],
                     "coverage_after": [float(np.mean(after[sel] <= 0.68)),
                                        float(np.mean(after[sel] <= 0.95))]})
    suite_info = {"checksum": str(getattr(data, "checksum", "")),
                  "seed": (getattr(data, "manifest", None) or {}).get("seed")}
    entry.update({"split": split, "suite": suite_info, "n_rows": int(rows.size),
                  "n_galaxies": n_galaxies, "n_passes": int(n_passes), "seed": int(seed),
                  "coverage_before": [float(np.mean(before <= 0.68)),
                                      float(np.mean(before <= 0.95))],
                  "coverage_after": [float(np.mean(after <= 0.68)),
                                     float(np.mean(after <= 0.95))],
                  "bins": bins, "description": description})
    card = json.loads((slope_model.path / CARD_FILE).read_text())
    card["calibration"] = entry
    atomic_write_text(slope_model.path / CARD_FILE, json.dumps(card, indent=1))
    return entry
