"""Maximum-likelihood estimates of the systemic velocity and of the Plummer half-light radius."""

from dataclasses import dataclass

import numpy as np
from astropy import units as u

from .._utils import LENGTH, VELOCITY, as_value

__all__ = ["SystemicVelocity", "PlummerFit", "estimate_systemic_velocity", "fit_plummer_radius"]


@dataclass(frozen=True)
class SystemicVelocity:
    """Result of `estimate_systemic_velocity`; the parameters are also the attributes.

    Parameters
    ----------
    v_sys, v_sys_err : `~astropy.units.Quantity` [speed]
        Maximum-likelihood mean line-of-sight velocity and its 1-sigma (Fisher) uncertainty.
    sigma, sigma_err : `~astropy.units.Quantity` [speed]
        Intrinsic velocity dispersion (errors deconvolved) and its 1-sigma uncertainty.
    n_stars : int
        Number of stars used.
    """

    v_sys: u.Quantity
    v_sys_err: u.Quantity
    sigma: u.Quantity
    sigma_err: u.Quantity
    n_stars: int

    def __repr__(self):
        return (f"<SystemicVelocity: v_sys = {self.v_sys.value:.2f} +/- {self.v_sys_err.value:.2f} "
                f"km / s, sigma = {self.sigma.value:.2f} +/- {self.sigma_err.value:.2f} km / s, "
                f"n_stars = {self.n_stars}>")


@dataclass(frozen=True)
class PlummerFit:
    """Result of `fit_plummer_radius`; the parameters are also the attributes.

    Parameters
    ----------
    r_half, r_half_err : `~astropy.units.Quantity` [length]
        Maximum-likelihood projected half-light radius (the Plummer scale radius) and its
        1-sigma uncertainty from the curvature of the log-likelihood.
    r_max : `~astropy.units.Quantity` [length]
        Radius of the circular field inside which the stars were assumed to be sampled
        (``inf`` for an untruncated fit).
    n_stars : int
        Number of stars used.
    """

    r_half: u.Quantity
    r_half_err: u.Quantity
    r_max: u.Quantity
    n_stars: int

    def __repr__(self):
        return (f"<PlummerFit: r_half = {self.r_half.value:.4g} +/- "
                f"{self.r_half_err.value:.2g} kpc, r_max = {self.r_max.value:.4g} kpc, "
                f"n_stars = {self.n_stars}>")


def _check_weights(weights, n):
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=float)
    if isinstance(weights, u.Quantity):
        w = np.asarray(weights.to_value(u.dimensionless_unscaled), dtype=float)
    if w.shape != (n,):
        msg = f"argument 'weights' must have shape ({n},), got {w.shape}"
        raise ValueError(msg)
    if not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
        msg = "argument 'weights' must be finite, >= 0 and not all zero"
        raise ValueError(msg)
    return w


def _ml_velocity(v, e2, w):
    """Float core of `estimate_systemic_velocity`: returns (mu, mu_err, sigma, sigma_err)."""
    from scipy import optimize  # imported lazily: keeps ``import dmprofile.kinematics`` light

    wsum = w.sum()
    mean = np.sum(w * v) / wsum
    spread = np.sqrt(np.sum(w * (v - mean) ** 2) / wsum)

    def mu_at(s2):
        iv = w / (s2 + e2)
        return np.sum(iv * v) / np.sum(iv)

    def nll(sigma):
        s2 = sigma**2 + e2
        if np.any(s2[w > 0] <= 0):
            return np.inf
        mu = mu_at(sigma**2)
        return 0.5 * np.sum(w * (np.log(s2) + (v - mu) ** 2 / s2))

    upper = max(2.0 * spread, 1e-6)
    res = optimize.minimize_scalar(nll, bounds=(0.0, upper), method="bounded",
                                   options={"xatol": 1e-6 * upper})
    sigma = float(res.x)
    if nll(0.0) <= res.fun:
        sigma = 0.0
    mu = mu_at(sigma**2)
    s2 = sigma**2 + e2
    mu_err = 1.0 / np.sqrt(np.sum(w / s2))
    info_sigma = np.sum(w * 2.0 * sigma**2 / s2**2)
    sigma_err = 1.0 / np.sqrt(info_sigma) if info_sigma > 0 else np.inf
    return float(mu), float(mu_err), sigma, float(sigma_err)


def estimate_systemic_velocity(v_los, v_err=None, *, weights=None):
    r"""Maximum-likelihood systemic velocity and intrinsic dispersion.

    Each velocity is modelled as drawn from a Gaussian of mean :math:`v_{\rm sys}` and variance
    :math:`\sigma^2 + \epsilon_i^2`, with :math:`\epsilon_i` the per-star error (e.g. Walker et al.
    2006, AJ 131, 2114). The likelihood is maximised over :math:`v_{\rm sys}` (analytically, for
    each :math:`\sigma`) and :math:`\sigma \ge 0` (numerically). Uncertainties are from the
    Fisher information.

    Parameters
    ----------
    v_los : `~astropy.units.Quantity` [speed]
        Line-of-sight velocities.
    v_err : `~astropy.units.Quantity` [speed], optional
        Per-star velocity errors (scalar or one per star); zero when not given.
    weights : array-like, optional
        Non-negative weights (e.g. membership probabilities) multiplying each star's
        log-likelihood.

    Returns
    -------
    `SystemicVelocity`
        With ``v_sys``, ``v_sys_err``, ``sigma``, ``sigma_err`` and ``n_stars``.

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from dmprofile.kinematics import estimate_systemic_velocity
    >>> rng = np.random.default_rng(1)
    >>> v = rng.normal(50.0, np.hypot(10.0, 2.0), 5000) * u.km / u.s
    >>> fit = estimate_systemic_velocity(v, 2.0 * u.km / u.s)
    >>> bool(abs(fit.v_sys - 50 * u.km / u.s) < 4 * fit.v_sys_err)
    True
    """
    v = np.atleast_1d(as_value(v_los, VELOCITY, "v_los"))
    if v.ndim != 1 or v.size < 2:
        msg = f"argument 'v_los' must be a 1-d array of at least 2 velocities, got shape {v.shape}"
        raise ValueError(msg)
    if v_err is None:
        e2 = np.zeros_like(v)
    else:
        e = as_value(v_err, VELOCITY, "v_err", positive=True)
        e2 = np.broadcast_to(e, v.shape).astype(float) ** 2
    w = _check_weights(weights, v.size)
    if np.ptp(v[w > 0]) == 0:
        msg = f"all {v.size} velocities are equal ({v[0]} km/s): the dispersion cannot be estimated"
        raise ValueError(msg)
    mu, mu_err, sigma, sigma_err = _ml_velocity(v, e2, w)
    kms = u.km / u.s
    return SystemicVelocity(mu * kms, mu_err * kms, sigma * kms, sigma_err * kms,
                            int(np.count_nonzero(w)))


def _plummer_nll(log_a, R, w, r_max):
    a2 = np.exp(2.0 * log_a)
    # p(R) = 2 R a^2 / (a^2 + R^2)^2 / F(r_max), F(r) = r^2 / (a^2 + r^2)
    logp = np.log(2.0 * R) + np.log(a2) - 2.0 * np.log(a2 + R**2)
    if np.isfinite(r_max):
        logp = logp - np.log(r_max**2 / (a2 + r_max**2))
    return -np.sum(w * logp)


def _ml_plummer(R, w, r_max):
    """Float core of `fit_plummer_radius`: returns (a, a_err)."""
    from scipy import optimize

    R = np.maximum(R, 1e-12 * max(R.max(), 1e-300))
    lo = np.log(max(np.min(R[w > 0]), 1e-12)) - np.log(100.0)
    hi = np.log(np.max(R)) + np.log(100.0)
    res = optimize.minimize_scalar(_plummer_nll, bounds=(lo, hi), args=(R, w, r_max),
                                   method="bounded", options={"xatol": 1e-8})
    x = float(res.x)
    h = 1e-3
    up, down = _plummer_nll(x + h, R, w, r_max), _plummer_nll(x - h, R, w, r_max)
    curv = (up - 2 * res.fun + down) / h**2
    a = np.exp(x)
    a_err = a / np.sqrt(curv) if curv > 0 else np.inf
    return float(a), float(a_err)


def fit_plummer_radius(R, *, r_max=None, weights=None):
    r"""Maximum-likelihood Plummer fit to projected radii.

    The projected radii of a Plummer (1911) sphere with scale radius :math:`a` (equal to its
    projected half-light radius) follow

    .. math:: p(R \mid a) = \frac{2 R a^2}{(a^2 + R^2)^2}\,\frac{a^2 + R_{\max}^2}{R_{\max}^2},
       \qquad 0 \le R \le R_{\max},

    where the last factor renormalises the density to the finite field of radius
    :math:`R_{\max}` inside which the stars were observed. The log-likelihood is maximised over
    :math:`\ln a`.

    Parameters
    ----------
    R : `~astropy.units.Quantity` [length]
        Projected (or circularised elliptical) radii of the stars from the galaxy centre.
    r_max : `~astropy.units.Quantity` [length], optional
        Radius of the (circular) field. By default the largest observed radius is used, which
        is the maximum-likelihood estimate of a sharp field edge. Pass ``np.inf * u.kpc`` for a
        complete, untruncated sample.
    weights : array-like, optional
        Non-negative weights (e.g. membership probabilities) multiplying each star's
        log-likelihood.

    Returns
    -------
    `PlummerFit`
        With ``r_half``, ``r_half_err``, ``r_max`` and ``n_stars``.

    Notes
    -----
    Spectroscopic samples of real dwarfs are not complete inside a circular field: targets are
    selected in magnitude and colour, and the fibre coverage varies with radius. The radius
    fitted here then describes the spectroscopic sample, not the light. For real galaxies prefer
    a photometric half-light radius from the literature (as stored in the ``meta`` of
    `dmprofile.datasets.walker2009`); this estimate is meant for complete mock catalogues.

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from dmprofile.kinematics import fit_plummer_radius
    >>> rng = np.random.default_rng(2)
    >>> q = rng.uniform(size=5000)
    >>> R = 0.3 * np.sqrt(q / (1 - q)) * u.kpc        # Plummer radii with a = 0.3 kpc
    >>> fit = fit_plummer_radius(R, r_max=np.inf * u.kpc)
    >>> bool(abs(fit.r_half - 0.3 * u.kpc) < 4 * fit.r_half_err)
    True
    """
    R = np.atleast_1d(as_value(R, LENGTH, "R", positive=True))
    if R.ndim != 1 or R.size < 2:
        msg = f"argument 'R' must be a 1-d array of at least 2 radii, got shape {R.shape}"
        raise ValueError(msg)
    w = _check_weights(weights, R.size)
    if r_max is None:
        rmax = float(R.max())
    else:
        if isinstance(r_max, u.Quantity) and np.isinf(r_max.value):
            rmax = np.inf
            _ = r_max.to(LENGTH)
        else:
            rmax = as_value(r_max, LENGTH, "r_max", scalar=True, positive=True, allow_zero=False)
        if np.any(R > rmax):
            msg = f"argument 'r_max' = {r_max} is smaller than the largest radius {R.max():.4g} kpc"
            raise ValueError(msg)
    if np.all(R[w > 0] == 0):
        msg = "all radii are zero: the half-light radius cannot be estimated"
        raise ValueError(msg)
    a, a_err = _ml_plummer(R, w, rmax)
    return PlummerFit(a * u.kpc, a_err * u.kpc, rmax * u.kpc, int(np.count_nonzero(w)))
