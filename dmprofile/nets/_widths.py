"""Width factors of a star-count calibration and their application to network mixtures.

`~dmprofile.nets.calibrate_slope` writes the factors; `~dmprofile.nets.SlopeModel` applies
them.
"""

import numpy as np

__all__ = ["width_factors", "scale_mixtures"]

#: The ``method`` of the ``calibration`` entry of a slope model card.
METHOD = "width_factor_vs_log10_n_stars"


def width_factors(calibration, n_stars):
    """Width factors at ``n_stars`` from the ``calibration`` entry of a model card.

    The factor is interpolated linearly in log10 of the star count between the knots (the
    median star count of each calibration bin) and held constant beyond the end knots.

    Parameters
    ----------
    calibration : dict
        ``{"method": ..., "log10_n_stars": [...], "factor": [...]}``.
    n_stars : int or array-like of int
        Star counts (> 0).

    Returns
    -------
    ndarray
        One factor per star count (the shape of ``n_stars``).

    Examples
    --------
    >>> cal = {"method": METHOD, "log10_n_stars": [2.0, 4.0], "factor": [1.2, 0.8]}
    >>> width_factors(cal, [10, 1000, 1e5]).round(2).tolist()
    [1.2, 1.0, 0.8]
    """
    if not isinstance(calibration, dict) or calibration.get("method") != METHOD:
        method = calibration.get("method") if isinstance(calibration, dict) else None
        msg = (f"unknown slope calibration method {method!r} in the model card (expected "
               f"{METHOD!r}); the model needs a newer dmprofile")
        raise ValueError(msg)
    knots = np.asarray(calibration["log10_n_stars"], dtype=float)
    factor = np.asarray(calibration["factor"], dtype=float)
    if knots.ndim != 1 or knots.shape != factor.shape or knots.size == 0 \
            or np.any(np.diff(knots) <= 0) or np.any(factor <= 0):
        msg = ("the model card's calibration is corrupt: 'log10_n_stars' must increase and "
               "'factor' must hold as many positive values")
        raise ValueError(msg)
    n = np.asarray(n_stars, dtype=float)
    if not np.all(np.isfinite(n)) or np.any(n <= 0):
        msg = f"argument 'n_stars' must hold positive star counts, got {n_stars!r}"
        raise ValueError(msg)
    return np.interp(np.log10(n), knots, factor)


def scale_mixtures(passes, factors):
    """Scale Monte-Carlo-dropout mixtures about their pooled mean by ``factors``.

    An affine map ``x -> c + f (x - c)`` about the mean ``c`` of the equal-weight pool of
    passes: every centre moves away from (f > 1) or towards (f < 1) ``c`` and every width is
    multiplied by ``f``, so every interval of the posterior scales by ``f`` about ``c``.

    Parameters
    ----------
    passes : `~dmprofile.nets.MixturePasses` or tuple (weights, means, sigmas)
        Arrays of shape (n_passes, K) for one galaxy or (n, n_passes, K) for a batch.
    factors : float or array-like, shape (n,)
        One factor per galaxy (> 0).

    Returns
    -------
    weights : ndarray
        The weights, unchanged.
    means, sigmas : ndarray
        The scaled centres and widths.
    """
    weights, means, sigmas = (np.asarray(a, dtype=float) for a in passes)
    f = np.asarray(factors, dtype=float)
    if np.any(~np.isfinite(f)) or np.any(f <= 0):
        msg = f"argument 'factors' must be positive, got {factors!r}"
        raise ValueError(msg)
    f = f.reshape(f.shape + (1,) * (means.ndim - f.ndim))
    centre = pooled_mean(weights, means)
    centre = centre.reshape(centre.shape + (1, 1))
    return weights, centre + f * (means - centre), f * sigmas


def pooled_mean(weights, means):
    """Mean of the equal-weight pool of Monte-Carlo passes, per galaxy.

    ``weights`` and ``means`` have shape (n_passes, K) or (n, n_passes, K); the weights are
    normalised per pass.
    """
    w = weights / weights.sum(axis=-1, keepdims=True)
    return (w * means).sum(axis=-1).mean(axis=-1)
