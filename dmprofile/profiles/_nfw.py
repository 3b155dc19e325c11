"""The Navarro-Frenk-White profile."""

import numpy as np

from .._utils import DENSITY, LENGTH, as_value
from . import kernels
from ._base import DensityProfile, _positive_float, _virial_args

__all__ = ["NFW"]


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
        m200, rho_c, overdensity = _virial_args(M200, H0, overdensity)
        c = _positive_float(c, "c")
        rho_s, r_s = kernels.nfw_from_M200_c(m200, c, rho_c, overdensity)
        return cls(rho_s * DENSITY, r_s * LENGTH)

    def _density(self, r):
        return kernels.nfw_density(r, self._rho_s, self._r_s)

    def _enclosed_mass(self, r):
        # the historical series (see kernels.nfw_mass_unit): bitwise-reproducible suites
        return kernels.nfw_enclosed_mass(r, self._rho_s, self._r_s, series_below=1e-3,
                                         series_order=5)

    def _log_slope(self, r):
        return kernels.nfw_log_slope(r, self._r_s)

    def _total_mass(self):
        return np.inf
