"""Bundled observational data sets.

`walker2009` returns the Magellan/MMFS stellar velocities of Carina, Fornax, Sculptor and
Sextans (Walker, Mateo & Olszewski 2009) with the galaxy parameters in ``meta`` that
`dmprofile.kinematics.phase_space_images` and `dmprofile.infer_slope` read;
`dsph_structure` the structural parameters of nine classical dwarf spheroidals (LVDB v1.0.5);
`sparc` the rotation curve and mass model of one of the 175 SPARC disc galaxies (Lelli, McGaugh &
Schombert 2016) and `sparc_table` their distances, inclinations and photometry.
"""

from ._sparc import sparc, sparc_table
from ._walker2009 import WALKER2009_GALAXIES, dsph_structure, walker2009

__all__ = ["walker2009", "dsph_structure", "WALKER2009_GALAXIES", "sparc", "sparc_table"]
