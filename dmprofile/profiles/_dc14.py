"""The Di Cintio et al. (2014) mass-dependent profile (DC14)."""

import warnings

import numpy as np

from .._utils import DENSITY, LENGTH, MASS, as_dimensionless
from ..exceptions import DMProfileWarning
from . import kernels
from ._base import _m200_r200, _positive_float
from ._zhao import Zhao

__all__ = ["DC14", "dc14_shape"]

#: Range of log10(M*/Mhalo) over which the DC14 fits were calibrated.
DC14_X_RANGE = (-4.1, -1.3)


def dc14_shape(log_mstar_mhalo):
    """Return the Zhao (alpha, beta, gamma) of Di Cintio et al. (2014) at a stellar-to-halo ratio.

    No clamping is done here; see `DC14` for the validity range.

    Parameters
    ----------
    log_mstar_mhalo : float
        X = log10(M_star / M_halo).

    Returns
    -------
    alpha : float
        The sharpness of the transition between the inner and outer slopes.
    beta : float
        The outer slope.
    gamma : float
        The inner slope.

    Examples
    --------
    >>> from dmprofile.profiles import dc14_shape
    >>> print(", ".join(f"{v:.3f}" for v in dc14_shape(-2.7)))
    2.516, 2.507, 0.234
    """
    x = as_dimensionless(log_mstar_mhalo, "log_mstar_mhalo")
    return tuple(float(v) for v in kernels.dc14_shape(x))


class DC14(Zhao):
    r"""Mass-dependent profile of Di Cintio et al. (2014), a `Zhao` profile.

    The inner slope of a halo responds to the baryonic feedback, which Di Cintio et al. (2014)
    parametrise by the stellar-to-halo mass ratio X = log10(M*/M_halo):

    .. math::

        \alpha &= 2.94 - \log_{10}\left[(10^{X+2.33})^{-1.08} + (10^{X+2.33})^{2.29}\right] \\
        \beta &= 4.23 + 1.34 X + 0.26 X^2 \\
        \gamma &= -0.06 + \log_{10}\left[(10^{X+2.56})^{-0.68} + 10^{X+2.56}\right]

    with the concentration c = r_vir / ``r_-2``, the radius where the log-slope is -2,

    .. math:: c_{\rm DC14} = c_{\rm NFW}\left(1 + 0.00003\, e^{3.4 (X + 4.5)}\right)

    and ``r_-2`` = r_s [(2 - gamma) / (beta - 2)]^(1/alpha). Here the virial radius is r200 (mean
    density 200 times critical) and rho_s is set so that M(<r200) = M200. The fits hold for
    -4.1 <= X <= -1.3; outside, X is clamped to that range with a `~dmprofile.DMProfileWarning`
    (the value given is kept as ``log_mstar_mhalo_input``). Cores are largest near X = -2.7;
    at X = -4.1 the profile is close to NFW.

    Parameters
    ----------
    M200 : `~astropy.units.Quantity` [mass]
        Halo mass inside r200.
    c : float
        Concentration r200 / r_s of the dark-matter-only (NFW) halo of that mass, e.g. from a
        concentration-mass relation; the DC14 concentration follows from it.
    log_mstar_mhalo : float
        X = log10(M_star / M200).
    H0 : `~astropy.units.Quantity` [frequency], optional
        Hubble constant (default Planck 2018).
    _stacklevel : int
        Private: the ``stacklevel`` of the clamping warning (3 when called by `from_M200_c`).

    Notes
    -----
    The ``parameters`` dictionary holds ``M200``, ``c`` (the NFW concentration given),
    ``log_mstar_mhalo`` (the value used, after clamping), ``log_mstar_mhalo_input`` (the value
    given), ``c_dc14``, and the Zhao ``rho_s``, ``r_s``, ``alpha``, ``beta``, ``gamma``.

    References
    ----------
    Di Cintio, A., Brook, C. B., Dutton, A. A., et al. 2014, MNRAS, 441, 2986.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.profiles import DC14
    >>> halo = DC14(1e10 * u.Msun, 10, log_mstar_mhalo=-2.7, H0=70 * u.km / u.s / u.Mpc)
    >>> print(f"gamma = {halo.parameters['gamma']:.3f}")
    gamma = 0.234
    >>> print(f"{halo.log_slope(150 * u.pc):.3f}")
    -0.236
    """

    family = "dc14"
    _parameters = ("M200", "c", "log_mstar_mhalo", "log_mstar_mhalo_input", "c_dc14",
                   "rho_s", "r_s", "alpha", "beta", "gamma")
    _units = {"M200": MASS, "rho_s": DENSITY, "r_s": LENGTH}

    def __init__(self, M200, c, *, log_mstar_mhalo, H0=None, _stacklevel=2):
        m200, r200 = _m200_r200(M200, H0, 200)
        c = _positive_float(c, "c")
        x_in = as_dimensionless(log_mstar_mhalo, "log_mstar_mhalo")
        lo, hi = DC14_X_RANGE
        x = min(max(x_in, lo), hi)
        if x != x_in:
            msg = (f"DC14: log_mstar_mhalo={x_in:.4g} is outside the calibrated range "
                   f"[{lo}, {hi}]; clamped to {x}")
            warnings.warn(msg, DMProfileWarning, stacklevel=_stacklevel)
        alpha, beta, gamma = dc14_shape(x)
        c_dc14 = c * kernels.dc14_concentration_ratio(x)
        r_m2 = r200 / c_dc14
        r_s = r_m2 / kernels.zhao_r_minus2_ratio(alpha, beta, gamma)
        rho_s = m200 / (4 * np.pi * r_s**3
                        * float(kernels.zhao_mass_integral(r200 / r_s, alpha, beta, gamma)))
        super().__init__(rho_s * DENSITY, r_s * LENGTH, alpha=alpha, beta=beta, gamma=gamma)
        self._M200 = m200
        self._c = c
        self._log_mstar_mhalo = x
        self._log_mstar_mhalo_input = x_in
        self._c_dc14 = c_dc14

    @classmethod
    def from_M200_c(cls, M200, c, *, log_mstar_mhalo, H0=None):
        """Build ``DC14(M200, c, log_mstar_mhalo=..., H0=...)``, for symmetry with the others.

        Parameters
        ----------
        M200 : `~astropy.units.Quantity` [mass]
        c : float
            NFW (dark-matter-only) concentration r200 / r_s.
        log_mstar_mhalo : float
            log10(M_star / M200).
        H0 : `~astropy.units.Quantity` [frequency], optional
        """
        return cls(M200, c, log_mstar_mhalo=log_mstar_mhalo, H0=H0, _stacklevel=3)

    @property
    def log_mstar_mhalo(self):
        """float: log10(M*/Mhalo) actually used (after clamping to [-4.1, -1.3])."""
        return self._log_mstar_mhalo

    @property
    def log_mstar_mhalo_input(self):
        """float: log10(M*/Mhalo) as given (before clamping)."""
        return self._log_mstar_mhalo_input
