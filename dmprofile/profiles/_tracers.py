"""Stellar tracer profiles (normalised to a total mass or number of stars)."""

import numpy as np

from .._utils import LENGTH, MASS, as_value
from ._base import DensityProfile

__all__ = ["Plummer"]


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
