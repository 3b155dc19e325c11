"""Classical dynamical modelling: spherical Jeans analysis of dwarf spheroidals.

`sigma_los` is the Jeans forward model (projected line-of-sight velocity dispersion of any halo,
tracer and anisotropy); `jeans_analysis` fits a star catalogue with emcee and returns a
`JeansResult` whose ``.slope`` is the same `~dmprofile.results.SlopePosterior` as the neural
`dmprofile.infer_slope`. ``emcee`` is an optional dependency: ``pip install "dmprofile[jeans]"``.

Disc galaxies: circular-velocity components (`disc_velocity`, `bulge_velocity`,
`gas_velocity`, `halo_velocity`, `total_velocity`), the Bayesian rotation-curve decomposition
`fit_rotation_curve` (a `RotationCurveFit` whose ``mass_profile()`` is a
`~dmprofile.results.MassProfile`), the Tully-Fisher relations, tilted-ring fits of HI velocity
fields (and, with the ``barolo`` extra, 3D-Barolo fits of HI cubes) and photometric disc
fits.
"""

from ._barolo import fit_3dbarolo
from ._hi_data import hi_moment_maps
from ._jeans_model import sigma_los
from ._mixture import mixture_priors
from ._photometric import (
    BELL2003_GR,
    SOLAR_ABS_MAG,
    PhotometricDiscFit,
    bell2003_mass_to_light,
    fit_photometric_disc,
)
from ._profile_band import DensityProfileBand
from ._result import JeansResult
from ._rotation_fit import ROTATION_PRIORS, fit_rotation_curve
from ._rotation_models import (
    HALO_MODELS,
    bulge_velocity,
    disc_velocity,
    gas_velocity,
    halo_velocity,
    total_velocity,
)
from ._rotation_result import RotationCurveFit, default_mass_radii
from ._tilted_rings import fit_tilted_rings
from ._tracer_fit import PlummerSum, TracerFit, fit_tracer
from ._tully_fisher import (
    HALL2012,
    LELLI2019,
    TullyFisherEstimate,
    baryonic_tully_fisher_mass,
    baryonic_tully_fisher_velocity,
    tully_fisher_velocity,
)
from .jeans import default_priors, jeans_analysis

__all__ = ["sigma_los", "jeans_analysis", "default_priors", "JeansResult", "DensityProfileBand",
           "fit_tracer", "TracerFit", "PlummerSum", "mixture_priors",
           # discs: rotation curves
           "disc_velocity", "bulge_velocity", "gas_velocity", "halo_velocity", "total_velocity",
           "HALO_MODELS", "fit_rotation_curve", "ROTATION_PRIORS", "RotationCurveFit",
           "default_mass_radii", "tully_fisher_velocity", "baryonic_tully_fisher_mass",
           "baryonic_tully_fisher_velocity", "TullyFisherEstimate", "HALL2012", "LELLI2019",
           "fit_tilted_rings", "fit_3dbarolo", "hi_moment_maps", "fit_photometric_disc",
           "PhotometricDiscFit",
           "bell2003_mass_to_light", "BELL2003_GR", "SOLAR_ABS_MAG"]
