"""Galaxies as physics: equilibrium dwarf galaxies, disc galaxies as particles, their priors.

`DwarfGalaxy` samples stars from the exact equilibrium distribution function of a tracer in a
dark-matter halo, `CompositeDwarfGalaxy` from several such stellar populations in one halo;
`DefaultDwarfPrior` is the documented prior of the training suites (`DefaultDwarfPrior.broad`
its broad preset), which `dmprofile.suites.generate_dwarf_suite` writes to disk.

`DiscGalaxy` is a disc galaxy (halo with a baryonic response, stellar disc and bulge, HI disc)
realised as `GalaxyParticles`, with its truth (the enclosed dark-matter mass at the 20 radii
`DISC_RADII`); `DefaultDiscPrior` is its documented population and instrument (presets in
`INSTRUMENTS`). `read_snapshot` reads IllustrisTNG and EAGLE HDF5 cut-outs into the same
`GalaxyParticles`.

``DwarfSuite``, ``generate_dwarf_suite`` and ``read_suite`` moved to `dmprofile.suites`; importing
them from here still works but is deprecated.
"""

from ._disc import DISC_RADII, DiscGalaxy
from ._disc_prior import INSTRUMENTS, DefaultDiscPrior
from ._dwarf import DwarfGalaxy, InconsistentModelError
from ._particles import DARK_COLUMNS, GAS_COLUMNS, STAR_COLUMNS, GalaxyParticles
from ._populations import CompositeDwarfGalaxy
from ._prior import DefaultDwarfPrior, concentration_dutton_maccio
from ._snapshot import read_snapshot

__all__ = ["DwarfGalaxy", "CompositeDwarfGalaxy", "InconsistentModelError", "DefaultDwarfPrior",
           "concentration_dutton_maccio", "GalaxyParticles", "STAR_COLUMNS", "GAS_COLUMNS",
           "DARK_COLUMNS", "DiscGalaxy", "DefaultDiscPrior", "DISC_RADII", "INSTRUMENTS",
           "read_snapshot"]

# Deprecated names, now in dmprofile.suites (which sits above this subpackage: imported lazily).
_MOVED_TO_SUITES = ("DwarfSuite", "generate_dwarf_suite", "read_suite")


def __getattr__(name):
    if name in _MOVED_TO_SUITES:
        import importlib
        import warnings

        msg = (f"dmprofile.simulate.{name} is deprecated; import it from dmprofile.suites "
               f"(from dmprofile.suites import {name})")
        warnings.warn(msg, DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module("dmprofile.suites"), name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
