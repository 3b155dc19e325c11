"""Star catalogues to network input: parsing, galaxy parameters and phase-space images.

The single entry point for star catalogues is `phase_space_images` (built on
`StarCatalogue.from_table`); `estimate_systemic_velocity` and `fit_plummer_radius` are the
maximum-likelihood estimators used when ``v_sys`` or ``r_half`` are neither given nor in
``table.meta``.
"""

from ._catalogue import GALAXY_PARAMETERS, META_KEYS, StarCatalogue, elliptical_radius
from ._estimate import PlummerFit, SystemicVelocity, estimate_systemic_velocity, fit_plummer_radius
from ._images import PHASE_RANGE, POSITION_RANGE, PhaseSpaceImages, phase_space_images

__all__ = ["phase_space_images", "PhaseSpaceImages", "StarCatalogue", "estimate_systemic_velocity",
           "fit_plummer_radius", "SystemicVelocity", "PlummerFit", "elliptical_radius",
           "GALAXY_PARAMETERS", "META_KEYS", "POSITION_RANGE", "PHASE_RANGE"]
