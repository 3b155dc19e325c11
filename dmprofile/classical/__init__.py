"""Classical dynamical modelling: spherical Jeans analysis of dwarf spheroidals.

`sigma_los` is the Jeans forward model (projected line-of-sight velocity dispersion of any halo,
tracer and anisotropy); `jeans_analysis` fits a star catalogue with emcee and returns a
`JeansResult` whose ``.slope`` is the same `~dmprofile.results.SlopePosterior` as the neural
`dmprofile.infer_slope`. ``emcee`` is an optional dependency: ``pip install "dmprofile[jeans]"``.
"""

from ._jeans_model import sigma_los
from ._mixture import mixture_priors
from ._profile_band import DensityProfileBand
from ._result import JeansResult
from ._tracer_fit import PlummerSum, TracerFit, fit_tracer
from .jeans import default_priors, jeans_analysis

__all__ = ["sigma_los", "jeans_analysis", "default_priors", "JeansResult", "DensityProfileBand",
           "fit_tracer", "TracerFit", "PlummerSum", "mixture_priors"]
