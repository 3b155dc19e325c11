"""The Navarro-Frenk-White profile and the coreNFW profile of Read, Agertz & Collins (2016)."""

import numpy as np

from .._utils import DENSITY, LENGTH, as_dimensionless, as_value
from . import kernels
from ._base import DensityProfile, _positive_float, _virial_args

__all__ = ["NFW", "CoreNFW"]


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
        overdensity : float
            Overdensity with respect to the critical density (200 for M200).

        Returns
        -------
        `NFW`
            The halo.
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

    # ------------------------------------------------------------------ private float API
    def _args(self):
        return self._rho_s, self._r_s, self._r_c, self._n

    def _density(self, r):
        return kernels.corenfw_density(r, *self._args())

    def _enclosed_mass(self, r):
        return kernels.corenfw_enclosed_mass(r, *self._args())

    def _log_slope(self, r):
        return kernels.corenfw_log_slope(r, *self._args())

    def _total_mass(self):
        return np.inf
