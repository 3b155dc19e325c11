"""Stellar tracer profiles: the Plummer sphere and the spherical exponential.

Normalised to a total mass (or number of stars); a tracer only needs its shape.
"""

import numpy as np
from scipy import optimize, special

from .._utils import LENGTH, MASS, as_value
from ._base import DensityProfile

__all__ = ["Plummer", "Exponential"]


class Plummer(DensityProfile):
    r"""Plummer (1911) sphere.

    .. math:: \rho(r) = \frac{3 M}{4\pi a^3}\left(1 + \frac{r^2}{a^2}\right)^{-5/2}

    The projected half-mass (half-light) radius equals ``a``.

    Parameters
    ----------
    a : `~astropy.units.Quantity` [length]
        Plummer scale radius = projected half-light radius.
    mass : `~astropy.units.Quantity` [mass], optional
        Total mass (default 1 Msun: a tracer only needs its shape).
    """

    family = "plummer"
    _parameters = ("a", "mass")
    _units = {"a": LENGTH, "mass": MASS}

    def __init__(self, a, *, mass=None):
        self._a = as_value(a, LENGTH, "a", scalar=True, positive=True, allow_zero=False)
        self._mass = 1.0 if mass is None else as_value(mass, MASS, "mass", scalar=True,
                                                       positive=True, allow_zero=False)

    def _density(self, r):
        r = np.asarray(r, dtype=float)
        return 3 * self._mass / (4 * np.pi * self._a**3) * (1 + (r / self._a) ** 2) ** -2.5

    def _enclosed_mass(self, r):
        x2 = (np.asarray(r, dtype=float) / self._a) ** 2
        return self._mass * x2**1.5 / (1 + x2) ** 1.5

    def _log_slope(self, r):
        x2 = (np.asarray(r, dtype=float) / self._a) ** 2
        return -5 * x2 / (1 + x2)

    def _surface_density(self, R):
        R = np.asarray(R, dtype=float)
        return self._mass / (np.pi * self._a**2) * (1 + (R / self._a) ** 2) ** -2

    def _total_mass(self):
        return self._mass

    def _projected_half_untruncated(self):
        return self._a


class Exponential(DensityProfile):
    r"""Spherical exponential (tracer) profile.

    .. math:: \rho(r) = \frac{M}{8\pi r_d^3} e^{-r/r_d}

    .. math::

        M(<r) = M\,P(3, r/r_d) = M\left[1 - e^{-x}\left(1 + x + \tfrac{x^2}{2}\right)\right],
        \qquad x = r / r_d

    with P the regularised lower incomplete gamma function. The log-slope is -r/r_d, the
    surface density Sigma(R) = M X K_1(X) / (4 pi r_d^2) with X = R/r_d, and the projected mass
    M(<R) = M [1 - X^2 K_2(X) / 2], so that the projected half-mass (half-light) radius is
    about 2.027 r_d (the 3D half-mass radius is about 2.674 r_d).

    Parameters
    ----------
    r_d : `~astropy.units.Quantity` [length]
        Scale length.
    mass : `~astropy.units.Quantity` [mass], optional
        Total mass (default 1 Msun: a tracer only needs its shape).

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.profiles import Exponential
    >>> stars = Exponential(0.1 * u.kpc)
    >>> print(f"{stars.projected_half_mass_radius():.4f}")
    0.2027 kpc
    >>> print(f"{stars.log_slope(150 * u.pc):.2f}")
    -1.50
    """

    family = "exponential"
    _parameters = ("r_d", "mass")
    _units = {"r_d": LENGTH, "mass": MASS}

    def __init__(self, r_d, *, mass=None):
        self._r_d = as_value(r_d, LENGTH, "r_d", scalar=True, positive=True, allow_zero=False)
        self._mass = 1.0 if mass is None else as_value(mass, MASS, "mass", scalar=True,
                                                       positive=True, allow_zero=False)

    def _density(self, r):
        x = np.asarray(r, dtype=float) / self._r_d
        return self._mass / (8 * np.pi * self._r_d**3) * np.exp(-x)

    def _enclosed_mass(self, r):
        x = np.asarray(r, dtype=float) / self._r_d
        return self._mass * special.gammainc(3.0, x)

    def _log_slope(self, r):
        return -np.asarray(r, dtype=float) / self._r_d

    def _surface_density(self, R):
        x = np.asarray(R, dtype=float) / self._r_d
        # x K1(x) -> 1 as x -> 0; k1e avoids underflow far out
        with np.errstate(invalid="ignore"):
            xk1 = np.where(x > 0, x * special.k1e(x) * np.exp(-x), 1.0)
        return self._mass / (4 * np.pi * self._r_d**2) * xk1

    def _projected_mass(self, R):
        """Mass inside the cylinder of projected radius R (kpc)."""
        x = np.asarray(R, dtype=float) / self._r_d
        return self._mass * (1.0 - 0.5 * x**2 * special.kn(2, x))

    def _total_mass(self):
        return self._mass

    def _projected_half_untruncated(self):
        def f(lnx):
            x = np.exp(lnx)
            return 0.5 - 0.5 * x**2 * special.kn(2, x)

        return float(np.exp(optimize.brentq(f, np.log(1e-2), np.log(1e2), xtol=1e-14))) * self._r_d
