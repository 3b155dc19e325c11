"""The cored Burkert (1995) profile."""

import numpy as np

from .._utils import DENSITY, LENGTH, as_value
from ._base import DensityProfile, _m200_r200, _positive_float

__all__ = ["Burkert"]


def _burkert_mass_unit(x):
    """ln(1+x) + ln(1+x^2)/2 - arctan(x), with its series below x = 0.01 (no cancellation)."""
    x = np.asarray(x, dtype=float)
    small = x < 1e-2
    xs = np.where(small, x, 0.0)
    series = xs**3 * (2.0 / 3.0 - 0.5 * xs + xs**4 * (2.0 / 7.0 - 0.25 * xs))
    xl = np.where(small, 1.0, x)
    exact = np.log1p(xl) + 0.5 * np.log1p(xl**2) - np.arctan(xl)
    return np.where(small, series, exact)


class Burkert(DensityProfile):
    r"""Burkert (1995) cored profile.

    .. math:: \rho(r) = \frac{\rho_0}{(1 + x)(1 + x^2)}, \qquad x = r / r_0

    .. math::

        M(<r) = 2\pi\rho_0 r_0^3\left[\ln(1 + x) + \tfrac{1}{2}\ln(1 + x^2) - \arctan x\right]

    .. math:: \frac{d\ln\rho}{d\ln r} = -\frac{x}{1 + x} - \frac{2x^2}{1 + x^2}

    The log-slope goes from 0 (a core) at the centre to -3 far out; the mass diverges
    logarithmically, so sample it with an explicit outer truncation.

    Parameters
    ----------
    rho_0 : `~astropy.units.Quantity` [mass density]
        Central density.
    r_0 : `~astropy.units.Quantity` [length]
        Core radius.

    References
    ----------
    Burkert, A. 1995, ApJ, 447, L25.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.profiles import Burkert
    >>> halo = Burkert(1e8 * u.Msun / u.kpc**3, 1 * u.kpc)
    >>> print(f"{halo.log_slope(150 * u.pc):.3f}")
    -0.174
    >>> print(f"{halo.enclosed_mass(1 * u.kpc):.4g}")
    1.598e+08 solMass
    """

    family = "burkert"
    _parameters = ("rho_0", "r_0")
    _units = {"rho_0": DENSITY, "r_0": LENGTH}

    def __init__(self, rho_0, r_0):
        self._rho_0 = as_value(rho_0, DENSITY, "rho_0", scalar=True, positive=True,
                                allow_zero=False)
        self._r_0 = as_value(r_0, LENGTH, "r_0", scalar=True, positive=True, allow_zero=False)

    @classmethod
    def from_M200_c(cls, M200, c, *, H0=None, overdensity=200):
        """Burkert halo from its virial mass and concentration c = r200 / r_0.

        Parameters
        ----------
        M200 : `~astropy.units.Quantity` [mass]
            Mass inside r200, where the mean density is ``overdensity`` x critical.
        c : float
            r200 / r_0.
        H0 : `~astropy.units.Quantity` [frequency], optional
            Hubble constant (default Planck 2018).
        overdensity : float
            Overdensity with respect to critical (default 200).
        """
        m200, r200 = _m200_r200(M200, H0, overdensity)
        c = _positive_float(c, "c")
        r_0 = r200 / c
        rho_0 = m200 / (2 * np.pi * r_0**3 * float(_burkert_mass_unit(c)))
        return cls(rho_0 * DENSITY, r_0 * LENGTH)

    def _density(self, r):
        x = np.asarray(r, dtype=float) / self._r_0
        return self._rho_0 / ((1 + x) * (1 + x**2))

    def _enclosed_mass(self, r):
        x = np.asarray(r, dtype=float) / self._r_0
        return 2 * np.pi * self._rho_0 * self._r_0**3 * _burkert_mass_unit(x)

    def _log_slope(self, r):
        x = np.asarray(r, dtype=float) / self._r_0
        return -x / (1 + x) - 2 * x**2 / (1 + x**2)

    def _total_mass(self):
        return np.inf
