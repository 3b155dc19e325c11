"""Batched numerical kernels for gridded 1-D posteriors.

They are shared by `SlopePosterior` and `evaluate_posteriors`. Everything here is vectorised
numpy over a batch of posteriors sharing one grid: ``pdfs`` has shape ``(n, G)``.  Each pdf is
treated as *piecewise linear* between the grid nodes, so that its CDF is piecewise quadratic and
can be inverted exactly; all the statistics (CDF, quantiles, samples, highest-density intervals,
PIT values) are therefore mutually consistent.
"""

import numpy as np

__all__ = []

#: Credible levels whose empirical coverage is reported.
LEVELS = (0.68, 0.95)


# --------------------------------------------------------------------------- batched kernels
def _check_grid(grid):
    grid = np.asarray(grid, dtype=float)
    if grid.ndim != 1 or grid.size < 3:
        msg = f"grid must be a 1-D array of at least 3 points, got shape {grid.shape}"
        raise ValueError(msg)
    if not np.all(np.isfinite(grid)):
        msg = "grid must be finite"
        raise ValueError(msg)
    if np.any(np.diff(grid) <= 0):
        msg = "grid must be strictly increasing"
        raise ValueError(msg)
    return grid


def _normalise(grid, pdfs, name="pdf"):
    """Validate ``pdfs`` (n, G) on ``grid``; return them normalised (trapezoid rule), and norms."""
    pdfs = np.array(pdfs, dtype=float, ndmin=2)
    if pdfs.ndim != 2 or pdfs.shape[1] != grid.size:
        msg = f"{name} must have shape (n, {grid.size}) matching the grid, got {pdfs.shape}"
        raise ValueError(msg)
    if not np.all(np.isfinite(pdfs)):
        msg = f"{name} must be finite"
        raise ValueError(msg)
    if np.any(pdfs < 0):
        msg = f"{name} must be non-negative, got a minimum of {pdfs.min():.3g}"
        raise ValueError(msg)
    norm = _cell_masses(grid, pdfs).sum(axis=1)
    if np.any(norm <= 0):
        msg = f"{name} integrates to zero on the grid [{grid[0]:g}, {grid[-1]:g}]"
        raise ValueError(msg)
    return pdfs / norm[:, None], norm


def _cell_masses(grid, pdfs):
    return 0.5 * (pdfs[:, 1:] + pdfs[:, :-1]) * np.diff(grid)


def _cdf_nodes(grid, pdfs):
    """CDF at the grid nodes, shape (n, G), starting at 0 (pdfs normalised)."""
    c = np.zeros_like(pdfs)
    np.cumsum(_cell_masses(grid, pdfs), axis=1, out=c[:, 1:])
    return c


def _moments(grid, pdfs):
    """Mean and standard deviation of each pdf (trapezoid rule)."""
    w = np.diff(grid)
    mean = 0.5 * ((pdfs * grid)[:, 1:] + (pdfs * grid)[:, :-1]) @ w
    d2 = (grid[None, :] - mean[:, None]) ** 2 * pdfs
    var = 0.5 * (d2[:, 1:] + d2[:, :-1]) @ w
    return mean, np.sqrt(np.maximum(var, 0.0))


def _cdf_at(grid, pdfs, cnodes, x):
    """CDF of row k at ``x[k]`` (or at every ``x`` for a single row); exact for linear pdfs."""
    x = np.asarray(x, dtype=float)
    rows = np.zeros(x.shape, dtype=int) if pdfs.shape[0] == 1 else np.arange(pdfs.shape[0])
    i = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, grid.size - 2)
    h = grid[i + 1] - grid[i]
    p0, p1 = pdfs[rows, i], pdfs[rows, i + 1]
    t = np.clip(x - grid[i], 0.0, h)
    c = cnodes[rows, i] + p0 * t + 0.5 * (p1 - p0) / h * t**2
    return np.clip(np.where(x < grid[0], 0.0, np.where(x > grid[-1], 1.0, c)), 0.0, 1.0)


def _invert_in_cell(grid, p0, p1, i, r):
    """Position where the mass accumulated from ``grid[i]`` in cell ``i`` reaches ``r``."""
    h = grid[i + 1] - grid[i]
    slope = (p1 - p0) / h
    r = np.clip(r, 0.0, 0.5 * h * (p0 + p1))
    denom = p0 + np.sqrt(np.maximum(p0**2 + 2.0 * slope * r, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(denom > 0, 2.0 * r / denom, 0.0)
    return grid[i] + np.clip(t, 0.0, h)


def _quantile(grid, pdfs, cnodes, q):
    """Inverse CDF: row k at probabilities ``q[k]`` (any trailing shape), or one row at all q."""
    q = np.asarray(q, dtype=float)
    if pdfs.shape[0] == 1:
        i = np.clip(np.searchsorted(cnodes[0], q, side="right") - 1, 0, grid.size - 2)
        return _invert_in_cell(grid, pdfs[0, i], pdfs[0, i + 1], i, q - cnodes[0, i])
    i = np.array([np.searchsorted(c, qq, side="right") for c, qq in zip(cnodes, q)]) - 1
    i = np.clip(i, 0, grid.size - 2)
    rows = np.arange(pdfs.shape[0]).reshape((-1,) + (1,) * (q.ndim - 1))
    return _invert_in_cell(grid, pdfs[rows, i], pdfs[rows, i + 1], i, q - cnodes[rows, i])


def _refine_peak(grid, pdfs, idx):
    """Vertex of the parabola through the three nodes around each peak index (edges kept)."""
    rows = np.arange(pdfs.shape[0])
    idx = np.asarray(idx)
    j = np.clip(idx, 1, grid.size - 2)
    x0, x1, x2 = grid[j - 1], grid[j], grid[j + 1]
    y0, y1, y2 = pdfs[rows, j - 1], pdfs[rows, j], pdfs[rows, j + 1]
    num = (x1 - x0) ** 2 * (y1 - y2) - (x1 - x2) ** 2 * (y1 - y0)
    den = (x1 - x0) * (y1 - y2) - (x1 - x2) * (y1 - y0)
    with np.errstate(divide="ignore", invalid="ignore"):
        vertex = x1 - 0.5 * num / den
    ok = (idx == j) & (den != 0) & np.isfinite(vertex)
    return np.where(ok, np.clip(vertex, x0, x2), grid[idx])


def _grow_from_mode(grid, pdfs, cnodes, *, level=None, truth=None):
    """Grow an interval from the highest grid node, adding the denser neighbouring cell each step.

    With ``level``: return the (low, high) bounds when the interval holds ``level`` of the
    probability (the last cell is cut exactly).  With ``truth``: return, for each posterior, the
    probability held by the grown interval when it first reaches ``truth`` (the "HDI rank": the
    truth lies inside the level-``a`` interval iff this value is <= ``a``; 1 outside the grid).
    For a unimodal pdf the grown interval is the highest-density interval; for a multimodal one it
    is the connected interval around the primary mode used in Exposito-Marquez et al. (2022).
    """
    n, size = pdfs.shape
    start = np.argmax(pdfs, axis=1)
    lo, hi = start.copy(), start.copy()
    out_lo, out_hi = grid[start].astype(float), grid[start].astype(float)
    rank = np.ones(n)
    active = np.ones(n, dtype=bool)
    if truth is not None:
        truth = np.asarray(truth, dtype=float)
        active = (truth >= grid[0]) & (truth <= grid[-1])
        hit = active & (truth == grid[start])
        rank[hit] = 0.0
        active &= ~hit
    for _ in range(size - 1):
        a = np.flatnonzero(active)
        if a.size == 0:
            break
        left, right = lo[a], hi[a]
        p_left = np.where(left > 0, pdfs[a, np.maximum(left - 1, 0)], -np.inf)
        p_right = np.where(right < size - 1, pdfs[a, np.minimum(right + 1, size - 1)], -np.inf)
        go_right = p_right > p_left
        new_lo = np.where(go_right, left, left - 1)
        new_hi = np.where(go_right, right + 1, right)
        cell = np.where(go_right, right, left - 1)
        if level is not None:
            done = cnodes[a, new_hi] - cnodes[a, new_lo] >= level
            d = a[done]
            c, gr = cell[done], go_right[done]
            target = np.where(gr, cnodes[d, left[done]] + level, cnodes[d, right[done]] - level)
            x = _invert_in_cell(grid, pdfs[d, c], pdfs[d, c + 1], c, target - cnodes[d, c])
            out_lo[d] = np.where(gr, grid[left[done]], x)
            out_hi[d] = np.where(gr, x, grid[right[done]])
        else:
            t = truth[a]
            done = (t >= grid[new_lo]) & (t <= grid[new_hi])
            d = a[done]
            c_t = _cdf_at(grid, pdfs[d], cnodes[d], t[done])
            gr = go_right[done]
            rank[d] = np.where(gr, c_t - cnodes[d, left[done]], cnodes[d, right[done]] - c_t)
        lo[a], hi[a] = new_lo, new_hi
        active[a[done]] = False
    if level is not None:
        return out_lo, out_hi
    return np.clip(rank, 0.0, 1.0)


def _secondary_peaks(grid, pdf, *, min_height=0.1, min_dip=0.2):
    """Return the indices of the qualifying local maxima of a pdf, highest first, primary excluded.

    A local maximum (grid edges included) qualifies when its height is at least ``min_height``
    times the primary peak and the lowest point between it and the primary peak lies at least
    ``min_dip`` (as a fraction of its height) below it.
    """
    primary = int(np.argmax(pdf))
    inner = np.flatnonzero((pdf[1:-1] > pdf[:-2]) & (pdf[1:-1] >= pdf[2:])) + 1
    edges = [0] if pdf[0] > pdf[1] else []
    edges += [pdf.size - 1] if pdf[-1] > pdf[-2] else []
    found = []
    for c in np.concatenate([inner, np.array(edges, dtype=int)]):
        height = pdf[c]
        if c == primary or height < min_height * pdf[primary]:
            continue
        valley = pdf[min(c, primary):max(c, primary) + 1].min()
        if valley <= (1.0 - min_dip) * height:
            found.append(int(c))
    return sorted(found, key=lambda k: -pdf[k])


def _summaries(grid, pdfs, truth):
    """Per-posterior point estimates, intervals, PIT and HDI rank for one shared grid."""
    grid = _check_grid(grid)
    pdfs, _ = _normalise(grid, pdfs, "pdfs")
    cnodes = _cdf_nodes(grid, pdfs)
    mean, std = _moments(grid, pdfs)
    out = {"mode": _refine_peak(grid, pdfs, np.argmax(pdfs, axis=1)), "mean": mean, "std": std,
           "median": _quantile(grid, pdfs, cnodes, np.full(len(pdfs), 0.5))}
    for level in LEVELS:
        tag = round(100 * level)
        out[f"low_{tag}"], out[f"high_{tag}"] = _grow_from_mode(grid, pdfs, cnodes, level=level)
    out["pit"] = _cdf_at(grid, pdfs, cnodes, truth)
    out["hdi_rank"] = _grow_from_mode(grid, pdfs, cnodes, truth=truth)
    second = [_secondary_peaks(grid, p) for p in pdfs]
    out["secondary_mode"] = np.array([grid[s[0]] if s else np.nan for s in second])
    return out
