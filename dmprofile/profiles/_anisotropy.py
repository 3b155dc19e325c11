"""Velocity-anisotropy profiles beta(r) = 1 - sigma_t^2 / (2 sigma_r^2)."""

import numpy as np
from astropy import units as u

from .._utils import LENGTH, as_dimensionless, as_value
from . import kernels
from ._base import ParametrizedMixin

__all__ = ["AnisotropyProfile", "Isotropic", "OsipkovMerritt", "Cuddeford", "BaesVanHese"]


class AnisotropyProfile(ParametrizedMixin):
    """Base class of anisotropy profiles.

    Subclasses implement ``_beta(r)`` and ``_log_jeans_factor(r)``, the logarithm of the Jeans
    integrating factor g(r) = exp(int 2 beta(r)/r dr) (any additive constant), both on plain
    arrays of radii in kpc. The spherical Jeans equation then reads
    ``nu sigma_r^2 (r) = 1/g(r) int_r^inf g(s) nu(s) G M(s)/s^2 ds``.
    """

    def _beta(self, r):
        raise NotImplementedError

    def _log_jeans_factor(self, r):
        raise NotImplementedError

    def beta(self, r):
        """Anisotropy beta(r).

        Parameters
        ----------
        r : `~astropy.units.Quantity` [length]

        Returns
        -------
        `~astropy.units.Quantity` [dimensionless]
            The anisotropy beta at ``r``.
        """
        rv = as_value(r, LENGTH, "r", positive=True)
        return np.reshape(self._beta(rv), np.shape(rv)) * u.dimensionless_unscaled


class Cuddeford(AnisotropyProfile):
    r"""Generalised Osipkov-Merritt anisotropy of Cuddeford (1991).

    .. math:: \beta(r) = \frac{r^2 + \beta_0 r_a^2}{r^2 + r_a^2}

    ``beta0`` is the central anisotropy (negative: tangential) and ``r_a`` the anisotropy
    radius beyond which orbits become radial. With ``r_a=None`` the anisotropy is constant,
    beta = beta0; with ``beta0=0`` it is the Osipkov-Merritt profile. The distribution function
    of this family is f(E, L) = L^(-2 beta0) f_Q(Q) with Q = E - L^2 / (2 r_a^2).

    Parameters
    ----------
    beta0 : float
        Central anisotropy, -0.5 < beta0 < 1.
    r_a : `~astropy.units.Quantity` [length] or None
        Anisotropy radius (None: infinite).
    """

    _parameters = ("beta0", "r_a")
    _units = {"r_a": LENGTH}

    def __init__(self, beta0=0.0, r_a=None):
        beta0 = as_dimensionless(beta0, "beta0")
        if not -0.5 < beta0 < 1.0:
            msg = f"argument 'beta0' must lie in (-0.5, 1), got {beta0}"
            raise ValueError(msg)
        self._beta0 = beta0
        self._r_a = None if r_a is None else as_value(r_a, LENGTH, "r_a", scalar=True,
                                                      positive=True, allow_zero=False)

    def _beta(self, r):
        return kernels.cuddeford_beta(r, self._beta0, self._r_a)

    def _log_jeans_factor(self, r):
        return kernels.cuddeford_log_g(r, self._beta0, self._r_a)


class Isotropic(Cuddeford):
    """Isotropic velocities, beta = 0 (Eddington distribution function)."""

    _parameters = ()

    def __init__(self):
        super().__init__(0.0, None)


class OsipkovMerritt(Cuddeford):
    r"""Osipkov (1979)-Merritt (1985) anisotropy, beta(r) = r^2 / (r^2 + r_a^2).

    Parameters
    ----------
    r_a : `~astropy.units.Quantity` [length]
        Anisotropy radius.
    """

    _parameters = ("r_a",)

    def __init__(self, r_a):
        if r_a is None:
            msg = "argument 'r_a' must be a length Quantity, got None (use Isotropic())"
            raise TypeError(msg)
        super().__init__(0.0, r_a)


class BaesVanHese(AnisotropyProfile):
    r"""Anisotropy family of Baes & van Hese (2007), as used by GravSphere.

    .. math:: \beta(r) = \frac{\beta_0 + \beta_\infty (r/r_a)^\eta}{1 + (r/r_a)^\eta}

    Parameters
    ----------
    beta0, beta_inf : float
        Inner and outer anisotropy (each < 1).
    r_a : `~astropy.units.Quantity` [length]
        Transition radius.
    eta : float
        Sharpness of the transition (> 0).
    """

    _parameters = ("beta0", "beta_inf", "r_a", "eta")
    _units = {"r_a": LENGTH}

    def __init__(self, beta0, beta_inf, r_a, eta=2.0):
        self._beta0 = as_dimensionless(beta0, "beta0")
        self._beta_inf = as_dimensionless(beta_inf, "beta_inf")
        for name, value in (("beta0", self._beta0), ("beta_inf", self._beta_inf)):
            if value >= 1:
                msg = f"argument '{name}' must be < 1, got {value}"
                raise ValueError(msg)
        self._r_a = as_value(r_a, LENGTH, "r_a", scalar=True, positive=True, allow_zero=False)
        self._eta = as_dimensionless(eta, "eta")
        if self._eta <= 0:
            msg = f"argument 'eta' must be > 0, got {self._eta}"
            raise ValueError(msg)

    def _args(self):
        return self._beta0, self._beta_inf, self._r_a, self._eta

    def _beta(self, r):
        return kernels.baes_beta(r, *self._args())

    def _log_jeans_factor(self, r):
        return kernels.baes_log_g(r, *self._args())
