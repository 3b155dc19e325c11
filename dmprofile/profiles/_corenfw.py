"""The coreNFW profile of Read, Agertz & Collins (2016)."""

import numpy as np

from .._utils import DENSITY, LENGTH, as_dimensionless, as_value
from ._base import DensityProfile
from ._nfw import NFW

__all__ = ["CoreNFW"]


def _nfw_mass_unit(x):
    """ln(1+x) - x/(1+x), with its Taylor series below x = 0.01 (no cancellation)."""
    x = np.asarray(x, dtype=float)
    small = x < 1e-2
    xs = np.where(small, x, 0.0)
    # sum_{k>=2} (-1)^k (k-1)/k x^k, truncated after x^10 (relative error < 1e-17)
    series = np.zeros_like(xs)
    for k in range(10, 1, -1):
        series = series * xs + (-1) ** k * (k - 1) / k
    series = series * xs**2
    xl = np.where(small, 1.0, x)
    return np.where(small, series, np.log1p(xl) - xl / (1 + xl))


class CoreNFW(DensityProfile):
    r"""The coreNFW profile of Read, Agertz & Collins (2016).

    An NFW halo whose cusp has been turned into a core of size r_c by stellar feedback:

    .. math::

        M(<r) = M_{\rm NFW}(<r)\, f^n, \qquad f = \tanh(r / r_c)

    .. math::

        \rho(r) = f^n \rho_{\rm NFW}(r)
        + \frac{n f^{n-1} (1 - f^2)}{4\pi r^2 r_c} M_{\rm NFW}(<r)

    With ``n = 0`` the profile is NFW; with ``n = 1`` it has a constant-density core inside
    r_c. In general the inner log-slope tends to n - 1. Far outside r_c it is NFW. Read et al.
    relate the parameters to the galaxy: r_c = eta R_half (eta ~ 1.75) and
    n = tanh(kappa t_SF / t_dyn). Its mass diverges like that of NFW: sample it with an explicit
    outer truncation.

    Parameters
    ----------
    rho_s : `~astropy.units.Quantity` [mass density]
        Characteristic density of the underlying NFW halo.
    r_s : `~astropy.units.Quantity` [length]
        NFW scale radius.
    r_c : `~astropy.units.Quantity` [length]
        Core radius.
    n : float
        Core strength, 0 <= n <= 1 (0: NFW cusp, 1: complete core).

    References
    ----------
    Read, J. I., Agertz, O., & Collins, M. L. M. 2016, MNRAS, 459, 2573.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.profiles import CoreNFW
    >>> halo = CoreNFW.from_M200_c(1e9 * u.Msun, 12, r_c=0.5 * u.kpc, n=1,
    ...                            H0=70 * u.km / u.s / u.Mpc)
    >>> print(f"{halo.log_slope(150 * u.pc):.3f}")
    -0.240
    """

    family = "corenfw"
    _parameters = ("rho_s", "r_s", "r_c", "n")
    _units = {"rho_s": DENSITY, "r_s": LENGTH, "r_c": LENGTH}

    def __init__(self, rho_s, r_s, *, r_c, n):
        self._rho_s = as_value(rho_s, DENSITY, "rho_s", scalar=True, positive=True,
                                allow_zero=False)
        self._r_s = as_value(r_s, LENGTH, "r_s", scalar=True, positive=True, allow_zero=False)
        self._r_c = as_value(r_c, LENGTH, "r_c", scalar=True, positive=True, allow_zero=False)
        n = as_dimensionless(n, "n")
        if not 0 <= n <= 1:
            msg = f"argument 'n' must lie in [0, 1], got {n}"
            raise ValueError(msg)
        self._n = n

    @classmethod
    def from_M200_c(cls, M200, c, *, r_c, n, H0=None, overdensity=200):
        """CoreNFW with the rho_s, r_s of the NFW halo of mass M200 and concentration c.

        Parameters
        ----------
        M200 : `~astropy.units.Quantity` [mass]
            Mass of the underlying NFW halo inside r200.
        c : float
            NFW concentration r200 / r_s.
        r_c : `~astropy.units.Quantity` [length]
            Core radius.
        n : float
            Core strength in [0, 1].
        H0 : `~astropy.units.Quantity` [frequency], optional
            Hubble constant (default Planck 2018).
        overdensity : float
            Overdensity with respect to critical (default 200).

        Notes
        -----
        M(<r200) = M200 f(r200)^n, which equals M200 to better than 1e-6 whenever
        r_c < r200 / 7.
        """
        nfw = NFW.from_M200_c(M200, c, H0=H0, overdensity=overdensity)
        return cls(nfw.parameters["rho_s"], nfw.parameters["r_s"], r_c=r_c, n=n)

    @property
    def nfw(self):
        """`~dmprofile.profiles.NFW`: the underlying (uncored) NFW halo."""
        return NFW(self._rho_s * DENSITY, self._r_s * LENGTH)

    # ------------------------------------------------------------------ helpers
    def _nfw_terms(self, r):
        """M_NFW(<r), 4 pi r^2 rho_NFW (= dM_NFW/dr) and the NFW log-slope."""
        x = r / self._r_s
        m = 4 * np.pi * self._rho_s * self._r_s**3 * _nfw_mass_unit(x)
        dm = 4 * np.pi * self._rho_s * self._r_s**2 * x / (1 + x) ** 2
        slope = -(1 + 3 * x) / (1 + x)
        return m, dm, slope

    def _core_terms(self, r):
        """f = tanh(r/r_c) and g = f'/f = 1 / (r_c sinh(y) cosh(y)), computed stably."""
        y = r / self._r_c
        e2 = np.exp(-2.0 * y)
        f = np.tanh(y)
        with np.errstate(divide="ignore"):
            g = 4.0 * e2 / (self._r_c * -np.expm1(-4.0 * y))
        return f, g

    # ------------------------------------------------------------------ private float API
    def _density(self, r):
        r = np.asarray(r, dtype=float)
        m, dm, _ = self._nfw_terms(r)
        f, g = self._core_terms(r)
        with np.errstate(divide="ignore", invalid="ignore"):
            return f**self._n * (dm + self._n * m * g) / (4 * np.pi * r**2)

    def _enclosed_mass(self, r):
        r = np.asarray(r, dtype=float)
        m, _, _ = self._nfw_terms(r)
        f, _ = self._core_terms(r)
        return m * f**self._n

    def _log_slope(self, r):
        # M = m f^n; with primes d/dr: slope = r M''/M' - 2, and dividing M', M'' by f^n:
        # M'/f^n = m' + n m g,  M''/f^n = m'' + 2 n m' g + n (n-1) m g^2 + n m f''/f,
        # with g = f'/f, f''/f = -2 f'/r_c and m'' = m' (2 + s_NFW) / r.
        r = np.asarray(r, dtype=float)
        n = self._n
        m, dm, s_nfw = self._nfw_terms(r)
        f, g = self._core_terms(r)
        fp = g * f  # f' = (1 - f^2) / r_c
        d1 = dm + n * m * g
        d2 = (dm * (2 + s_nfw) / r + 2 * n * dm * g + n * (n - 1) * m * g**2
              - 2 * n * m * fp / self._r_c)
        return r * d2 / d1 - 2.0

    def _total_mass(self):
        return np.inf
