"""Star catalogues to network input: parsing, galaxy parameters and phase-space images.

The single entry point for star catalogues is `phase_space_images` (built on
`StarCatalogue.from_table`); `estimate_systemic_velocity` and `fit_plummer_radius` are the
maximum-likelihood estimators used when ``v_sys`` or ``r_half`` are neither given nor in
``table.meta``. `catalogue_summaries` measures the scales the network's normalised images hide
(star count, ``r_half``, P98 and three ratios) and `check_summaries` warns when they lie outside
the training ranges of a model.
"""

from ._catalogue import GALAXY_PARAMETERS, META_KEYS, StarCatalogue, elliptical_radius
from ._estimate import PlummerFit, SystemicVelocity, estimate_systemic_velocity, fit_plummer_radius
from ._images import PHASE_RANGE, POSITION_RANGE, PhaseSpaceImages, phase_space_images
from ._read import read_catalogue
from ._summaries import (
    MARGINS,
    SUMMARIES,
    catalogue_summaries,
    check_summaries,
    default_summary_ranges,
    summary_ranges,
)

__all__ = ["phase_space_images", "PhaseSpaceImages", "StarCatalogue", "estimate_systemic_velocity",
           "fit_plummer_radius", "SystemicVelocity", "PlummerFit", "elliptical_radius",
           "GALAXY_PARAMETERS", "META_KEYS", "POSITION_RANGE", "PHASE_RANGE",
           "catalogue_summaries", "check_summaries", "summary_ranges", "default_summary_ranges",
           "SUMMARIES", "MARGINS", "read_catalogue"]
