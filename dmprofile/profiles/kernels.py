r"""Vectorised halo and anisotropy formulas on plain arrays, in the internal units of dmprofile.

Every formula of the halo families and anisotropy profiles is written once, here. The
`~astropy.units.Quantity`-based classes of `dmprofile.profiles` (`~dmprofile.profiles.NFW`,
`~dmprofile.profiles.CoreNFW`, ...) call these functions after stripping the units, and the
Jeans fit of `dmprofile.classical` calls them with arrays of parameter sets (shape ``(K, 1)``,
one row per MCMC walker) against a radius grid (shape ``(n,)``): all arguments broadcast.

Units are internal and never checked: radii in kpc, masses in Msun, densities in Msun / kpc3,
the critical density ``rho_crit`` in Msun / kpc3 (see `~dmprofile.profiles.critical_density`),
velocities in km/s (squared circular velocities ``*_vcirc2`` in (km/s)^2) and the Hubble
constant ``H0`` of `nfw_from_V200_c` in km/s/Mpc. The disc-galaxy formulas (exponential disc
of Freeman 1970, Hernquist bulge, adiabatic contraction) are written in
``dmprofile/profiles/_disc_kernels.py`` and listed here.
Parameter names are those of the profile classes (``rho_s``, ``r_s``, ``r_c``, ``n``,
``alpha``, ``beta``, ``gamma``, ``M200``, ``c``, ``log_mstar_mhalo``, ``beta0``, ``beta_inf``,
``r_a``, ``eta``); see :ref:`conventions` for how the fit parameters of `dmprofile.classical`
(``log10_M200``, ``tilde_beta0``, ...) map onto them.

Examples
--------
>>> import numpy as np
>>> from dmprofile.profiles import kernels
>>> rho_s, r_s = kernels.nfw_from_M200_c(np.array([[1e9], [1e10]]), np.array([[12.0], [9.0]]),
...                                      rho_crit=136.0)
>>> kernels.nfw_log_slope(np.array([0.15, 1.5]), r_s).round(3)
array([[-1.161, -1.932],
       [-1.059, -1.466]])
"""

import numpy as np
from scipy import special

from ._disc_kernels import (
    adiabatic_contraction,
    exponential_disc_enclosed_mass,
    exponential_disc_surface_density,
    exponential_disc_vcirc2,
    hernquist_density,
    hernquist_enclosed_mass,
    hernquist_vcirc2,
    m200_from_V200,
    nfw_from_V200_c,
    r200_from_V200,
    sech2_disc_spherical_mass,
)

__all__ = [
    "adiabatic_contraction",
    "baes_beta",
    "baes_log_g",
    "beta_from_tilde",
    "concentration_dutton_maccio",
    "corenfw_density",
    "corenfw_enclosed_mass",
    "corenfw_log_slope",
    "cuddeford_beta",
    "cuddeford_log_g",
    "dc14_concentration_ratio",
    "dc14_shape",
    "exponential_disc_enclosed_mass",
    "exponential_disc_surface_density",
    "exponential_disc_vcirc2",
    "hernquist_density",
    "hernquist_enclosed_mass",
    "hernquist_vcirc2",
    "m200_from_V200",
    "nfw_density",
    "nfw_enclosed_mass",
    "nfw_from_M200_c",
    "nfw_from_V200_c",
    "nfw_log_slope",
    "nfw_mass_unit",
    "r200_from_M200",
    "r200_from_V200",
    "sech2_disc_spherical_mass",
    "zhao_density",
    "zhao_gamma_from_log_slope",
    "zhao_log_slope",
    "zhao_mass_integral",
    "zhao_mass_integral_simpson",
    "zhao_r_minus2_ratio",
]

# Gauss-Legendre nodes for the outer Zhao mass integral when beta <= 3.
_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)

# Planck 2018 (astropy.cosmology.Planck18) reduced Hubble constant, for the c-M relation.
_LITTLE_H = 0.6766


# ------------------------------------------------------------------------ virial quantities
def r200_from_M200(M200, rho_crit, overdensity=200):
    """Radius r200 [kpc] inside which the mean density is ``overdensity`` x ``rho_crit``.

    Parameters
    ----------
    M200 : float or ndarray
        Mass inside r200 [Msun].
    rho_crit : float
        Critical density [Msun / kpc3].
    overdensity : float
        Overdensity with respect to critical (200 for r200).

    Returns
    -------
    r200 : float or ndarray
        ``(3 M200 / (4 pi overdensity rho_crit))^(1/3)`` [kpc].
    """
    return (3 * M200 / (4 * np.pi * overdensity * rho_crit)) ** (1 / 3)


def concentration_dutton_maccio(M200, *, h=_LITTLE_H):
    """Median NFW concentration c200 at redshift 0 from Dutton & Maccio (2014), Planck cosmology.

    ``log10 c200 = 0.905 - 0.101 log10(M200 / (1e12 Msun/h))`` (their eq. 8 and Table 3, z = 0).

    Parameters
    ----------
    M200 : float or array
        Virial mass M200 (critical overdensity 200) in Msun.
    h : float
        Reduced Hubble constant (default: Planck 2018, 0.6766).

    Returns
    -------
    float or array
        The concentration, with the shape of ``M200``.

    References
    ----------
    Dutton, A. A., & Maccio, A. V. 2014, MNRAS, 441, 3359.

    Examples
    --------
    >>> from dmprofile.profiles import concentration_dutton_maccio
    >>> print(f"{concentration_dutton_maccio(1e9):.1f}")
    16.8
    """
    return 10.0 ** (0.905 - 0.101 * np.log10(np.asarray(M200, dtype=float) * h / 1e12))


# ------------------------------------------------------------------------ NFW
def nfw_mass_unit(x, *, series_below=1e-2, series_order=10):
    """Dimensionless NFW mass ln(1 + x) - x / (1 + x), with its Taylor series at small x.

    M_NFW(<r) = 4 pi rho_s r_s^3 ``nfw_mass_unit(r / r_s)``. Below ``series_below`` the series
    sum_{k>=2} (-1)^k (k-1)/k x^k, truncated after x^``series_order``, avoids the cancellation
    of the closed form (relative error < 1e-17 with the defaults).

    Parameters
    ----------
    x : float or ndarray
        r / r_s.
    series_below : float
        Use the series for x below this value.
    series_order : int
        Highest power of x in the series.

    Returns
    -------
    ndarray

    Notes
    -----
    `~dmprofile.profiles.NFW` uses ``series_below=1e-3, series_order=5`` (relative error
    < 2e-12), as it always has, so that simulated suites stay bitwise reproducible.
    """
    x = np.asarray(x, dtype=float)
    small = x < series_below
    xs = np.where(small, x, 0.0)
    series = np.zeros_like(xs)
    for k in range(series_order, 1, -1):
        series = series * xs + (-1) ** k * (k - 1) / k
    series = series * xs**2
    xl = np.where(small, 1.0, x)
    return np.where(small, series, np.log1p(xl) - xl / (1 + xl))


def nfw_from_M200_c(M200, c, rho_crit, overdensity=200):
    """NFW (rho_s [Msun / kpc3], r_s [kpc]) of the halo of mass M200 and concentration c.

    Parameters
    ----------
    M200 : float or ndarray
        Mass inside r200 [Msun].
    c : float or ndarray
        Concentration r200 / r_s.
    rho_crit : float
        Critical density [Msun / kpc3].
    overdensity : float
        Overdensity with respect to critical (default 200).

    Returns
    -------
    rho_s, r_s : float or ndarray
    """
    r_s = r200_from_M200(M200, rho_crit, overdensity) / c
    rho_s = M200 / (4 * np.pi * r_s**3 * nfw_mass_unit(c))
    return rho_s, r_s


def nfw_density(r, rho_s, r_s):
    """NFW density rho_s / (x (1 + x)^2), x = r / r_s [Msun / kpc3]."""
    x = np.asarray(r, dtype=float) / r_s
    return rho_s / (x * (1 + x) ** 2)


def nfw_enclosed_mass(r, rho_s, r_s, **series):
    """NFW mass inside r, 4 pi rho_s r_s^3 [ln(1 + x) - x / (1 + x)] [Msun].

    ``series`` (``series_below``, ``series_order``) is passed to `nfw_mass_unit`.
    """
    x = np.asarray(r, dtype=float) / r_s
    return 4 * np.pi * rho_s * r_s**3 * nfw_mass_unit(x, **series)


def nfw_log_slope(r, r_s):
    """NFW log-slope d ln rho / d ln r = -(1 + 3x) / (1 + x)."""
    x = np.asarray(r, dtype=float) / r_s
    return -(1 + 3 * x) / (1 + x)


# ------------------------------------------------------------------------ coreNFW
def _nfw_terms(r, rho_s, r_s):
    """M_NFW(<r), 4 pi r^2 rho_NFW (= dM_NFW/dr) and the NFW log-slope."""
    x = r / r_s
    m = 4 * np.pi * rho_s * r_s**3 * nfw_mass_unit(x)
    dm = 4 * np.pi * rho_s * r_s**2 * x / (1 + x) ** 2
    slope = -(1 + 3 * x) / (1 + x)
    return m, dm, slope


def _core_terms(r, r_c):
    """Return f = tanh(r/r_c) and g = f'/f = 1 / (r_c sinh(y) cosh(y)), computed stably."""
    y = r / r_c
    e2 = np.exp(-2.0 * y)
    f = np.tanh(y)
    with np.errstate(divide="ignore"):
        g = 4.0 * e2 / (r_c * -np.expm1(-4.0 * y))
    return f, g


def corenfw_enclosed_mass(r, rho_s, r_s, r_c, n):
    """Mass of coreNFW, M_NFW(<r) tanh(r / r_c)^n, of Read, Agertz & Collins (2016) [Msun]."""
    r = np.asarray(r, dtype=float)
    m, _, _ = _nfw_terms(r, rho_s, r_s)
    f, _ = _core_terms(r, r_c)
    return m * f**n


def corenfw_density(r, rho_s, r_s, r_c, n):
    """Density of coreNFW, f^n rho_NFW + n f^(n-1) (1 - f^2) M_NFW / (4 pi r^2 r_c) [Msun/kpc3].

    With f = tanh(r / r_c), computed as f^n (M_NFW' + n M_NFW f'/f) / (4 pi r^2).
    """
    r = np.asarray(r, dtype=float)
    m, dm, _ = _nfw_terms(r, rho_s, r_s)
    f, g = _core_terms(r, r_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        return f**n * (dm + n * m * g) / (4 * np.pi * r**2)


def corenfw_log_slope(r, rho_s, r_s, r_c, n):
    """Log-slope d ln rho / d ln r of coreNFW in closed form (tends to n - 1 at the centre)."""
    # M = m f^n; with primes d/dr: slope = r M''/M' - 2, and dividing M', M'' by f^n:
    # M'/f^n = m' + n m g,  M''/f^n = m'' + 2 n m' g + n (n-1) m g^2 + n m f''/f,
    # with g = f'/f, f''/f = -2 f'/r_c and m'' = m' (2 + s_NFW) / r.
    r = np.asarray(r, dtype=float)
    m, dm, s_nfw = _nfw_terms(r, rho_s, r_s)
    f, g = _core_terms(r, r_c)
    fp = g * f  # f' = (1 - f^2) / r_c
    d1 = dm + n * m * g
    d2 = (dm * (2 + s_nfw) / r + 2 * n * dm * g + n * (n - 1) * m * g**2
          - 2 * n * m * fp / r_c)
    return r * d2 / d1 - 2.0


# ------------------------------------------------------------------------ Zhao
def zhao_density(r, rho_s, r_s, alpha, beta, gamma):
    """Zhao (1996) density rho_s x^-gamma (1 + x^alpha)^(-(beta - gamma)/alpha) [Msun / kpc3]."""
    x = np.asarray(r, dtype=float) / r_s
    with np.errstate(divide="ignore", over="ignore"):
        return rho_s * x ** (-gamma) * (1.0 + x**alpha) ** (-(beta - gamma) / alpha)


def zhao_log_slope(r, r_s, alpha, beta, gamma):
    """Zhao log-slope -gamma - (beta - gamma) x^alpha / (1 + x^alpha), overflow-safe."""
    x = np.asarray(r, dtype=float) / r_s
    with np.errstate(over="ignore", divide="ignore"):
        frac = 1.0 / (1.0 + x ** (-alpha))  # x^alpha / (1 + x^alpha), overflow-safe
    return -gamma - (beta - gamma) * frac


def zhao_gamma_from_log_slope(log_slope, x, alpha, beta):
    """Inner slope gamma of the Zhao profile whose log-slope at x = r / r_s is ``log_slope``.

    Inverts ``log_slope = -gamma - (beta - gamma) f`` with f = x^alpha / (1 + x^alpha).
    """
    xa = x**alpha
    f = xa / (1 + xa)
    return (-log_slope - beta * f) / (1 - f)


def zhao_r_minus2_ratio(alpha, beta, gamma):
    """Return ``r_-2 / r_s = [(2 - gamma) / (beta - 2)]^(1/alpha)`` (where the log-slope is -2)."""
    return ((2.0 - gamma) / (beta - 2.0)) ** (1.0 / alpha)


def zhao_mass_integral(x, alpha, beta, gamma):
    r"""Dimensionless Zhao mass I(x) = int_0^x t^(2-gamma) (1 + t^alpha)^(-(beta-gamma)/alpha) dt.

    Exact to ~1e-14 relative, for scalar shape parameters (``x`` may be an array); see
    `zhao_mass_integral_simpson` for arrays of shapes. M(<r) = 4 pi rho_s r_s^3 I(r / r_s).

    For beta > 3 the integral is an incomplete beta function B(t; p, q) / alpha with
    t = x^alpha / (1 + x^alpha), p = (3 - gamma) / alpha, q = (beta - 3) / alpha, evaluated on
    whichever side of the mean p / (p + q) keeps full precision. Otherwise it is the Gauss
    hypergeometric form x^(3-gamma) / (3-gamma) 2F1(p, (beta-gamma)/alpha; p + 1; -x^alpha),
    used only for x^alpha <= 1/2, where its series converges fast: `scipy.special.hyp2f1` loses
    up to six digits for z << -1 when its parameters are degenerate (e.g. beta = 3). Beyond, the
    integral is continued by composite Gauss-Legendre quadrature in ln t (relative error ~1e-14).

    Parameters
    ----------
    x : float or ndarray
        r / r_s.
    alpha, beta, gamma : float
        Shape of the profile.

    Returns
    -------
    ndarray
    """
    x = np.asarray(x, dtype=float)
    p = (3.0 - gamma) / alpha
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        xa = x**alpha
        if beta > 3:
            q = (beta - 3.0) / alpha
            t = xa / (1.0 + xa)
            s = 1.0 / (1.0 + xa)  # = 1 - t without cancellation
            # regularised I_t(p, q); above the median-ish p / (p + q) use 1 - I_s(q, p), which
            # keeps full precision as t -> 1 (and is much faster than scipy's betaincc)
            upper = t > p / (p + q)
            inc = np.where(upper, 1.0 - special.betainc(q, p, np.where(upper, s, 0.5)),
                           special.betainc(p, q, np.where(upper, 0.5, t)))
            return special.beta(p, q) * inc / alpha
        inner = xa <= 0.5
        xi = np.where(inner, x, 0.0)
        out = xi ** (3.0 - gamma) / (3.0 - gamma) * special.hyp2f1(
            p, (beta - gamma) / alpha, p + 1.0, -(xi**alpha))
    outer = ~inner & np.isfinite(x)
    if not np.any(outer):
        return np.where(np.isposinf(x), np.inf, out)
    out = np.array(out, dtype=float, copy=True)
    out[outer] = _zhao_mass_outer(x[outer], alpha, beta, gamma)
    return np.where(np.isposinf(x), np.inf, out)


def _zhao_mass_outer(x, alpha, beta, gamma):
    """I(x) for x^alpha > 1/2: I(x0) with x0^alpha = 1/2, plus Gauss-Legendre in ln t."""
    p = (3.0 - gamma) / alpha
    s = (beta - gamma) / alpha
    ln_x0 = np.log(0.5) / alpha
    base = np.exp((3.0 - gamma) * ln_x0) / (3.0 - gamma) * special.hyp2f1(p, s, p + 1.0, -0.5)

    def integrand(lnt):
        # t^(3-gamma) (1 + t^alpha)^(-s), in logs to avoid overflow
        return np.exp((3.0 - gamma) * lnt - s * np.logaddexp(0.0, alpha * lnt))

    lnx = np.log(x)
    width = min(0.5, 2.0 / alpha)  # panels well inside the poles at ln t = i pi / alpha
    n_panels = max(int(np.ceil((lnx.max() - ln_x0) / width)), 1)
    edges = ln_x0 + width * np.arange(n_panels + 1)
    half = 0.5 * width
    nodes = (edges[:-1] + half)[:, None] + half * _GL_X[None, :]
    cumulative = np.concatenate([[0.0], np.cumsum(half * integrand(nodes) @ _GL_W)])
    # whole panels below each x, then the partial panel up to x
    k = np.clip(((lnx - ln_x0) // width).astype(int), 0, n_panels - 1)
    lo = edges[k]
    half_part = 0.5 * (lnx - lo)
    part_nodes = (lo + half_part)[:, None] + half_part[:, None] * _GL_X[None, :]
    partial = half_part * (integrand(part_nodes) @ _GL_W)
    return base + cumulative[k] + partial


def zhao_mass_integral_simpson(x, alpha, beta, gamma, *, n=161, span=24.0):
    """Return the Zhao mass integral I(x) of `zhao_mass_integral`, vectorised over shapes too.

    Simpson's rule in ln t over [ln x - span, ln x] plus the power-law part below. For
    0.5 <= alpha <= 3, 2.5 <= beta <= 7, 0 <= gamma <= 2 the relative error is below 5e-5 for
    x >= 1 (a concentration) and below 3e-4 for small x. This is what the Jeans fit uses for
    arrays of parameter sets.

    Parameters
    ----------
    x, alpha, beta, gamma : float or ndarray
        Broadcast together; the integral is over a new last axis, kept with length 1.
    n : int
        Number of Simpson nodes (odd).
    span : float
        Width of the integration range in ln t.

    Returns
    -------
    ndarray
        Shape of the broadcast arguments, with a last axis of length 1 added when the
        arguments are scalars.
    """
    u = np.linspace(-span, 0.0, n)
    h = u[1] - u[0]
    w = np.full(n, 2.0)
    w[1::2] = 4.0
    w[0] = w[-1] = 1.0
    lnx = np.log(x) + u
    p = 3.0 - gamma
    with np.errstate(over="ignore"):
        f = np.exp(p * lnx - (beta - gamma) / alpha * np.logaddexp(0.0, alpha * lnx))
    inner = np.exp(p * lnx[..., :1]) / p
    return h / 3.0 * np.sum(w * f, axis=-1, keepdims=True) + inner


# ------------------------------------------------------------------------ DC14
def dc14_shape(log_mstar_mhalo):
    """Zhao (alpha, beta, gamma) of Di Cintio et al. (2014) at X = log10(M*/M_halo), vectorised.

    No clamping or argument check: see `dmprofile.profiles.dc14_shape` and
    `~dmprofile.profiles.DC14`.

    Parameters
    ----------
    log_mstar_mhalo : float or ndarray
        X = log10(M_star / M_halo).

    Returns
    -------
    alpha, beta, gamma : float or ndarray
    """
    x = log_mstar_mhalo
    ya = 10.0 ** (x + 2.33)
    yg = 10.0 ** (x + 2.56)
    alpha = 2.94 - np.log10(ya**-1.08 + ya**2.29)
    beta = 4.23 + 1.34 * x + 0.26 * x**2
    gamma = -0.06 + np.log10(yg**-0.68 + yg)
    return alpha, beta, gamma


def dc14_concentration_ratio(log_mstar_mhalo):
    """c_DC14 / c_NFW = 1 + 0.00003 exp(3.4 (X + 4.5)) of Di Cintio et al. (2014).

    Here ``c_DC14 = r200 / r_-2`` of the DC14 halo and c_NFW = r200 / r_s of the dark-matter-only
    halo of the same mass.
    """
    return 1.0 + 0.00003 * np.exp(3.4 * (log_mstar_mhalo + 4.5))


# ------------------------------------------------------------------------ anisotropy
def beta_from_tilde(tilde_beta):
    """Anisotropy beta from the symmetrised tilde-beta = beta / (2 - beta) (Read et al. 2006)."""
    return 2 * tilde_beta / (1 + tilde_beta)


def cuddeford_beta(r, beta0, r_a=None):
    """Cuddeford (1991) anisotropy (r^2 + beta0 r_a^2) / (r^2 + r_a^2); beta0 if ``r_a`` is None.

    ``beta0=0`` is the Osipkov-Merritt profile, ``r_a=None`` constant anisotropy and both
    together isotropic velocities.
    """
    r = np.asarray(r, dtype=float)
    if r_a is None:
        return beta0 + np.zeros_like(r)
    r2, ra2 = r**2, r_a**2
    return (r2 + beta0 * ra2) / (r2 + ra2)


def cuddeford_log_g(r, beta0, r_a=None):
    """Log of the Jeans integrating factor g = exp(int 2 beta / r dr) of `cuddeford_beta`.

    ``2 beta0 ln r + (1 - beta0) ln(r^2 + r_a^2)`` (the last term only if ``r_a`` is given),
    up to an additive constant. The spherical Jeans equation then reads
    ``nu sigma_r^2 (r) = 1/g(r) int_r^inf g(s) nu(s) G M(s)/s^2 ds``.
    """
    r = np.asarray(r, dtype=float)
    out = 2 * beta0 * np.log(r)
    if r_a is not None:
        out = out + (1 - beta0) * np.log(r**2 + r_a**2)
    return out


def baes_beta(r, beta0, beta_inf, r_a, eta):
    """Baes & van Hese (2007) anisotropy (beta0 + beta_inf x) / (1 + x), x = (r / r_a)^eta."""
    x = (np.asarray(r, dtype=float) / r_a) ** eta
    return (beta0 + beta_inf * x) / (1 + x)


def baes_log_g(r, beta0, beta_inf, r_a, eta):
    """Log Jeans integrating factor of `baes_beta`: 2 beta0 ln r + 2 (b_inf - b0)/eta ln(1 + x)."""
    r = np.asarray(r, dtype=float)
    x = (r / r_a) ** eta
    return 2 * beta0 * np.log(r) + 2 * (beta_inf - beta0) / eta * np.log1p(x)
