"""Width factors of a star-count calibration and their application to network mixtures.

`~dmprofile.nets.calibrate_slope` writes the factors; `~dmprofile.nets.SlopeModel` applies
them.
"""

import numpy as np

__all__ = ["width_factors", "scale_mixtures"]

#: The ``method`` of a calibration with one factor on the whole posterior width.
METHOD = "width_factor_vs_log10_n_stars"
#: The ``method`` of a calibration with separate factors on the spread of the Monte-Carlo
#: centres and on the component widths (the posterior's shape as well as its width).
METHOD_SHAPE = "centre_and_sigma_factors_vs_log10_n_stars"
METHODS = (METHOD, METHOD_SHAPE)


def width_factors(calibration, n_stars):
    """Centre and width factors at ``n_stars`` from the ``calibration`` entry of a model card.

    The factors are interpolated linearly in log10 of the star count between the knots and
    held constant beyond the end knots. A ``width_factor_vs_log10_n_stars`` entry holds one
    ``factor`` per knot, used for both; a ``centre_and_sigma_factors_vs_log10_n_stars`` entry
    holds ``centre_factor`` (the spread of the Monte-Carlo mixture centres about their pooled
    mean) and ``sigma_factor`` (the mixture components' widths) per knot.

    Parameters
    ----------
    calibration : dict
        ``{"method": ..., "log10_n_stars": [...], "factor": [...]}`` or
        ``{"method": ..., "log10_n_stars": [...], "centre_factor": [...],
        "sigma_factor": [...]}``.
    n_stars : int or array-like of int
        Star counts (> 0).

    Returns
    -------
    centre_factors : ndarray
        Factors on the spread of the centres, of the shape of ``n_stars``.
    sigma_factors : ndarray
        Factors on the component widths, of the shape of ``n_stars`` (`scale_mixtures` takes
        both).

    Examples
    --------
    >>> cal = {"method": METHOD, "log10_n_stars": [2.0, 4.0], "factor": [1.2, 0.8]}
    >>> [f.round(2).tolist() for f in width_factors(cal, [10, 1000, 1e5])]
    [[1.2, 1.0, 0.8], [1.2, 1.0, 0.8]]
    """
    method = calibration.get("method") if isinstance(calibration, dict) else None
    if method not in METHODS:
        msg = (f"unknown slope calibration method {method!r} in the model card (expected one "
               f"of {METHODS}); the model needs a newer dmprofile")
        raise ValueError(msg)
    keys = ("factor", "factor") if method == METHOD else ("centre_factor", "sigma_factor")
    try:
        knots = np.asarray(calibration["log10_n_stars"], dtype=float)
        factors = [np.asarray(calibration[k], dtype=float) for k in keys]
    except (KeyError, TypeError, ValueError):
        knots, factors = np.zeros(0), [np.zeros(0)] * 2
    if knots.ndim != 1 or knots.size == 0 or np.any(np.diff(knots) <= 0) \
            or any(f.shape != knots.shape or np.any(~(f > 0)) for f in factors):
        msg = (f"the model card's calibration is corrupt: 'log10_n_stars' must increase and "
               f"{' and '.join(repr(k) for k in dict.fromkeys(keys))} must hold as many "
               "positive values")
        raise ValueError(msg)
    n = np.asarray(n_stars, dtype=float)
    if not np.all(np.isfinite(n)) or np.any(n <= 0):
        msg = f"argument 'n_stars' must hold positive star counts, got {n_stars!r}"
        raise ValueError(msg)
    logn = np.log10(n)
    return tuple(np.interp(logn, knots, f) for f in factors)


def scale_mixtures(passes, factors, sigma_factors=None):
    """Scale Monte-Carlo-dropout mixtures about their pooled mean.

    Every component centre moves by the map ``x -> c + f (x - c)`` about the mean ``c`` of the
    equal-weight pool of passes, and every component width is multiplied by ``s``
    (``sigma_factors``, by default ``f``). With ``s = f`` the map is affine: every interval of
    the posterior scales by ``f`` about ``c``. With ``s != f`` the shape changes as well: the
    spread between the passes (the epistemic part) and the width of each pass's mixture are
    scaled separately.

    Parameters
    ----------
    passes : `~dmprofile.nets.MixturePasses` or tuple (weights, means, sigmas)
        Arrays of shape (n_passes, K) for one galaxy or (n, n_passes, K) for a batch.
    factors : float or array-like, shape (n,)
        Factor on the spread of the centres, one per galaxy (> 0).
    sigma_factors : float or array-like, shape (n,), optional
        Factor on the component widths, one per galaxy (> 0); default: ``factors``.

    Returns
    -------
    weights : ndarray
        The weights, unchanged.
    means, sigmas : ndarray
        The scaled centres and widths.
    """
    weights, means, sigmas = (np.asarray(a, dtype=float) for a in passes)
    out = []
    for name, value in (("factors", factors),
                        ("sigma_factors", factors if sigma_factors is None else sigma_factors)):
        f = np.asarray(value, dtype=float)
        if np.any(~np.isfinite(f)) or np.any(f <= 0):
            msg = f"argument {name!r} must be positive, got {value!r}"
            raise ValueError(msg)
        out.append(f.reshape(f.shape + (1,) * (means.ndim - f.ndim)))
    f, s = out
    centre = pooled_mean(weights, means)
    centre = centre.reshape(centre.shape + (1, 1))
    return weights, centre + f * (means - centre), s * sigmas


def pooled_mean(weights, means):
    """Mean of the equal-weight pool of Monte-Carlo passes, per galaxy.

    ``weights`` and ``means`` have shape (n_passes, K) or (n, n_passes, K); the weights are
    normalised per pass.
    """
    w = weights / weights.sum(axis=-1, keepdims=True)
    return (w * means).sum(axis=-1).mean(axis=-1)
