"""Spherical dark-matter and stellar density profiles.

Every profile has ``density(r)``, ``enclosed_mass(r)``, ``log_slope(r)`` (d ln rho / d ln r),
``circular_velocity(r)`` and ``surface_density(R)``, taking and returning
`~astropy.units.Quantity`.
"""

from ._base import DensityProfile, critical_density
from ._nfw import NFW
from ._tracers import Plummer

__all__ = ["DensityProfile", "critical_density", "NFW", "Plummer"]
from ._anisotropy import AnisotropyProfile, BaesVanHese, Cuddeford, Isotropic, OsipkovMerritt

__all__ += ["AnisotropyProfile", "BaesVanHese", "Cuddeford", "Isotropic", "OsipkovMerritt"]
