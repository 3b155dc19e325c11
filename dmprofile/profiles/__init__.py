"""Spherical dark-matter and stellar density profiles.

Every profile has ``density(r)``, ``enclosed_mass(r)``, ``log_slope(r)`` (d ln rho / d ln r),
``circular_velocity(r)`` and ``surface_density(R)``, taking and returning
`~astropy.units.Quantity`, and a ``family`` class attribute naming its kind.

Dark-matter halos: `NFW`, `Zhao`, `CoreNFW`, `DC14`, `Burkert`. Stellar tracers: `Plummer`,
`Exponential` (and `Zhao` with any shape). Velocity anisotropy: `Isotropic`, `OsipkovMerritt`,
`Cuddeford`, `BaesVanHese`.
"""

from ._anisotropy import AnisotropyProfile, BaesVanHese, Cuddeford, Isotropic, OsipkovMerritt
from ._base import DensityProfile, critical_density
from ._burkert import Burkert
from ._corenfw import CoreNFW
from ._dc14 import DC14, dc14_shape
from ._exponential import Exponential
from ._nfw import NFW
from ._tracers import Plummer
from ._zhao import Zhao

__all__ = [
    "DC14",
    "NFW",
    "AnisotropyProfile",
    "BaesVanHese",
    "Burkert",
    "CoreNFW",
    "Cuddeford",
    "DensityProfile",
    "Exponential",
    "Isotropic",
    "OsipkovMerritt",
    "Plummer",
    "Zhao",
    "critical_density",
    "dc14_shape",
]
