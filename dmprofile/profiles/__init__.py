"""Spherical dark-matter and stellar density profiles, and the halo formulas behind them.

Every profile has ``density(r)``, ``enclosed_mass(r)``, ``log_slope(r)`` (d ln rho / d ln r),
``circular_velocity(r)`` and ``surface_density(R)``, taking and returning
`~astropy.units.Quantity`, and a ``family`` class attribute naming its kind.

Dark-matter halos: `NFW`, `Zhao`, `CoreNFW`, `DC14`, `Burkert`. Stellar tracers: `Plummer`,
`Exponential` (and `Zhao` with any shape). Velocity anisotropy: `Isotropic`, `OsipkovMerritt`,
`Cuddeford`, `BaesVanHese`. The concentration-mass relation `concentration_dutton_maccio` and
the reference radius `R_REF` (150 pc) of the inner slope gamma_150. For the disc galaxies: the
stellar-to-halo-mass relation of Moster et al. (2013), `moster13_stellar_mass` and its inverse
`moster13_halo_mass`, the late-type halo masses of Dutton et al. (2010), `dutton10_halo_mass`,
and the c-M relations of colossus, `concentration_colossus`.

The formulas themselves live once, vectorised and in internal units (kpc, Msun), in
`dmprofile.profiles.kernels`; the classes above and the Jeans fit of `dmprofile.classical`
both call them.
"""

from . import kernels
from ._anisotropy import AnisotropyProfile, BaesVanHese, Cuddeford, Isotropic, OsipkovMerritt
from ._base import R_REF, DensityProfile, critical_density
from ._burkert import Burkert
from ._dc14 import DC14, dc14_shape
from ._nfw import NFW, CoreNFW
from ._relations import (
    concentration_colossus,
    dutton10_halo_mass,
    moster13_halo_mass,
    moster13_stellar_mass,
)
from ._tracers import Exponential, Plummer
from ._zhao import Zhao
from .kernels import concentration_dutton_maccio

__all__ = [
    "DC14",
    "NFW",
    "R_REF",
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
    "concentration_colossus",
    "concentration_dutton_maccio",
    "critical_density",
    "dc14_shape",
    "dutton10_halo_mass",
    "kernels",
    "moster13_halo_mass",
    "moster13_stellar_mass",
]
