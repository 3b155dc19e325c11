r"""The Zhao (1996) double power law, also called the (alpha, beta, gamma) profile."""

import numpy as np
from scipy import special

from .._utils import DENSITY, LENGTH, as_dimensionless, as_value
from ._base import DensityProfile, _m200_r200, _positive_float

__all__ = ["Zhao"]

# Gauss-Legendre nodes for the outer mass integral when beta <= 3.
_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)


def _zhao_mass_integral(x, alpha, beta, gamma):
    r"""Dimensionless mass I(x) = int_0^x t^(2-gamma) (1 + t^alpha)^(-(beta-gamma)/alpha) dt.

    For beta > 3 the integral is an incomplete beta function B(t; p, q) / alpha with
    t = x^alpha / (1 + x^alpha), p = (3 - gamma) / alpha, q = (beta - 3) / alpha, evaluated on
    whichever side of the mean p / (p + q) keeps full precision. Otherwise it is the Gauss
    hypergeometric form x^(3-gamma) / (3-gamma) 2F1(p, (beta-gamma)/alpha; p + 1; -x^alpha),
    used only for x^alpha <= 1/2, where its series converges fast: `scipy.special.hyp2f1` loses
    up to six digits for z << -1 when its parameters are degenerate (e.g. beta = 3). Beyond, the
    integral is continued by composite Gauss-Legendre quadrature in ln t (relative error ~1e-14).
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


class Zhao(DensityProfile):
    r"""Zhao (1996) double-power-law profile.

    .. math::

        \rho(r) = \frac{\rho_s}{x^\gamma \left(1 + x^\alpha\right)^{(\beta - \gamma)/\alpha}},
        \qquad x = r / r_s

    The density falls as r^-gamma inside r_s and as r^-beta outside; alpha sets the sharpness of
    the transition. ``Zhao(alpha=1, beta=3, gamma=1)`` is the NFW profile, ``(1, 4, 1)`` the
    Hernquist profile and ``(2, 5, 0)`` the Plummer sphere. The log-slope is

    .. math:: \frac{d\ln\rho}{d\ln r} = -\gamma - (\beta - \gamma)\frac{x^\alpha}{1 + x^\alpha}

    and the enclosed mass has the closed form

    .. math::

        M(<r) = \frac{4\pi\rho_s r_s^3 x^{3-\gamma}}{3-\gamma}\,
        {}_2F_1\!\left(\frac{3-\gamma}{\alpha}, \frac{\beta-\gamma}{\alpha};
        \frac{3-\gamma+\alpha}{\alpha}; -x^\alpha\right),

    computed as an incomplete beta function when beta > 3 (then the total mass is finite,
    4 pi rho_s r_s^3 B((3-gamma)/alpha, (beta-3)/alpha) / alpha). For beta <= 3 the mass diverges:
    sample such halos with an explicit outer truncation.

    Parameters
    ----------
    rho_s : `~astropy.units.Quantity` [mass density]
        Characteristic density (rho at r_s is ``rho_s / 2**((beta - gamma) / alpha)``).
    r_s : `~astropy.units.Quantity` [length]
        Scale radius.
    alpha : float
        Sharpness of the transition, > 0.
    beta : float
        Outer logarithmic slope (density ~ r^-beta at large radius).
    gamma : float
        Inner logarithmic slope (density ~ r^-gamma at small radius), < 3 so that the mass
        converges at the centre.

    References
    ----------
    Zhao, H. 1996, MNRAS, 278, 488.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.profiles import Zhao
    >>> halo = Zhao.from_M200_c(1e9 * u.Msun, 10, alpha=2, beta=3, gamma=0.5,
    ...                         H0=70 * u.km / u.s / u.Mpc)
    >>> print(f"{halo.log_slope(150 * u.pc):.3f}")
    -0.513
    >>> print(f"{halo.enclosed_mass(halo.virial_radius(H0=70 * u.km / u.s / u.Mpc)):.4g}")
    1e+09 solMass
    """

    family = "zhao"
    _parameters = ("rho_s", "r_s", "alpha", "beta", "gamma")
    _units = {"rho_s": DENSITY, "r_s": LENGTH}

    def __init__(self, rho_s, r_s, *, alpha, beta, gamma):
        self._rho_s = as_value(rho_s, DENSITY, "rho_s", scalar=True, positive=True,
                                allow_zero=False)
        self._r_s = as_value(r_s, LENGTH, "r_s", scalar=True, positive=True, allow_zero=False)
        self._alpha, self._beta, self._gamma = _check_shape(alpha, beta, gamma)

    @classmethod
    def from_M200_c(cls, M200, c, *, alpha, beta, gamma, H0=None, overdensity=200):
        """Zhao halo from its virial mass and concentration c = r200 / r_s.

        Parameters
        ----------
        M200 : `~astropy.units.Quantity` [mass]
            Mass inside r200, where the mean density is ``overdensity`` x critical.
        c : float
            Concentration r200 / r_s (note: r_s is not the radius of slope -2 unless
            ``alpha=1, beta=3, gamma=1``).
        alpha, beta, gamma : float
            Shape parameters, see `Zhao`.
        H0 : `~astropy.units.Quantity` [frequency], optional
            Hubble constant (default Planck 2018).
        overdensity : float
            Overdensity with respect to critical (default 200).

        Returns
        -------
        profile : `Zhao`
            With M(<r200) = M200.
        """
        m200, r200 = _m200_r200(M200, H0, overdensity)
        c = _positive_float(c, "c")
        alpha, beta, gamma = _check_shape(alpha, beta, gamma)
        r_s = r200 / c
        rho_s = m200 / (4 * np.pi * r_s**3 * float(_zhao_mass_integral(c, alpha, beta, gamma)))
        return cls(rho_s * DENSITY, r_s * LENGTH, alpha=alpha, beta=beta, gamma=gamma)

    # ------------------------------------------------------------------ private float API
    def _density(self, r):
        x = np.asarray(r, dtype=float) / self._r_s
        a, b, g = self._alpha, self._beta, self._gamma
        with np.errstate(divide="ignore", over="ignore"):
            return self._rho_s * x ** (-g) * (1.0 + x**a) ** (-(b - g) / a)

    def _enclosed_mass(self, r):
        x = np.asarray(r, dtype=float) / self._r_s
        unit = _zhao_mass_integral(x, self._alpha, self._beta, self._gamma)
        return 4 * np.pi * self._rho_s * self._r_s**3 * unit

    def _log_slope(self, r):
        x = np.asarray(r, dtype=float) / self._r_s
        with np.errstate(over="ignore", divide="ignore"):
            frac = 1.0 / (1.0 + x ** (-self._alpha))  # x^alpha / (1 + x^alpha), overflow-safe
        return -self._gamma - (self._beta - self._gamma) * frac

    def _total_mass(self):
        a, b, g = self._alpha, self._beta, self._gamma
        if b <= 3:
            return np.inf
        return float(4 * np.pi * self._rho_s * self._r_s**3
                     * special.beta((3 - g) / a, (b - 3) / a) / a)

    def _r_minus2(self):
        """Radius (kpc) where the log-slope is -2 (nan if there is none)."""
        a, b, g = self._alpha, self._beta, self._gamma
        if not g < 2 < b:
            return np.nan
        return self._r_s * ((2 - g) / (b - 2)) ** (1 / a)


def _check_shape(alpha, beta, gamma):
    alpha = _positive_float(alpha, "alpha")
    beta = as_dimensionless(beta, "beta")
    gamma = as_dimensionless(gamma, "gamma")
    if gamma >= 3:
        msg = f"argument 'gamma' must be < 3 (finite central mass), got {gamma}"
        raise ValueError(msg)
    return alpha, beta, gamma

