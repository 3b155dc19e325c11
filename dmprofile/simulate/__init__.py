"""Equilibrium dwarf galaxies and training suites.

`DwarfGalaxy` samples stars from the exact equilibrium distribution function of a tracer in a
dark-matter halo; `DefaultDwarfPrior` is the documented prior of the training suites, which
`generate_dwarf_suite` writes to disk in resumable chunks and `read_suite` reads back.
"""

from ._dwarf import DwarfGalaxy, InconsistentModelError
from ._prior import DefaultDwarfPrior, concentration_dutton_maccio
from ._suite import DwarfSuite, generate_dwarf_suite, read_suite

__all__ = ["DwarfGalaxy", "InconsistentModelError", "DefaultDwarfPrior",
           "concentration_dutton_maccio", "DwarfSuite", "generate_dwarf_suite", "read_suite"]
