"""The Navarro-Frenk-White profile."""

import numpy as np

from .._utils import DENSITY, LENGTH, as_value
from ._base import DensityProfile, _m200_r200, _positive_float

__all__ = ["NFW"]


def _mu(x):
    """ln(1+x) - x/(1+x), with a series below x = 1e-3 to avoid cancellation."""
    x = np.asarray(x, dtype=float)
    small = x < 1e-3
    xs = np.where(small, x, 0.0)
    series = xs**2 * (0.5 - xs * (2.0 / 3.0 - xs * (0.75 - xs * 0.8)))
    xl = np.where(small, 1.0, x)
    return np.where(small, series, np.log1p(xl) - xl / (1 + xl))


class NFW(DensityProfile):
    r"""Navarro, Frenk & White (1997) profile.

    .. math:: \rho(r) = \frac{\rho_s}{(r/r_s)(1 + r/r_s)^2}

    Its mass diverges logarithmically: sample it with an explicit truncation radius.

    Parameters
    ----------
    rho_s : `~astropy.units.Quantity` [mass density]
        Characteristic density.
    r_s : `~astropy.units.Quantity` [length]
        Scale radius (where the log-slope is -2).

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.profiles import NFW
    >>> halo = NFW.from_M200_c(1e9 * u.Msun, 12, H0=70 * u.km / u.s / u.Mpc)
    >>> print(f"{halo.log_slope(150 * u.pc):.3f}")
    -1.161
    """

    family = "nfw"
    _parameters = ("rho_s", "r_s")
    _units = {"rho_s": DENSITY, "r_s": LENGTH}

    def __init__(self, rho_s, r_s):
        self._rho_s = as_value(rho_s, DENSITY, "rho_s", scalar=True, positive=True,
                                allow_zero=False)
        self._r_s = as_value(r_s, LENGTH, "r_s", scalar=True, positive=True, allow_zero=False)

    @classmethod
    def from_M200_c(cls, M200, c, *, H0=None, overdensity=200):
        """NFW halo from its virial mass and concentration.

        Parameters
        ----------
        M200 : `~astropy.units.Quantity` [mass]
            Mass inside r200, where the mean density is ``overdensity`` x critical.
        c : float
            Concentration r200 / r_s.
        H0 : `~astropy.units.Quantity` [frequency], optional
            Hubble constant (default Planck 2018).
        """
        m200, r200 = _m200_r200(M200, H0, overdensity)
        c = _positive_float(c, "c")
        r_s = r200 / c
        rho_s = m200 / (4 * np.pi * r_s**3 * (np.log1p(c) - c / (1 + c)))
        return cls(rho_s * DENSITY, r_s * LENGTH)

    def _density(self, r):
        x = np.asarray(r, dtype=float) / self._r_s
        return self._rho_s / (x * (1 + x) ** 2)

    def _enclosed_mass(self, r):
        x = np.asarray(r, dtype=float) / self._r_s
        return 4 * np.pi * self._rho_s * self._r_s**3 * _mu(x)

    def _log_slope(self, r):
        x = np.asarray(r, dtype=float) / self._r_s
        return -(1 + 3 * x) / (1 + x)

    def _total_mass(self):
        return np.inf
