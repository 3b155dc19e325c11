"""Result types shared by the neural and the classical methods, and their evaluation.

- `SlopePosterior` (with `HDInterval`): the posterior of the dark-matter log-slope ``gamma_150``
  at 150 pc, tabulated on a grid; `dmprofile.infer_slope` builds it from the network's mixtures,
  the Jeans analysis of `dmprofile.classical` from MCMC samples.
- `MassProfile`: a radial profile (enclosed mass, density, circular velocity, log-slope) with its
  median and credible bands, returned by the Jeans analysis and the disc methods.
- `Comparison`: the slope posteriors of one galaxy from several methods (`dmprofile.compare`);
  `MassComparison`: the enclosed-mass profiles of one disc galaxy from several methods.
- `evaluate_posteriors` (returning a `SlopeEvaluation`): accuracy and calibration of a set of
  posteriors against known true slopes.

This is a low layer: it imports only `dmprofile.profiles` and the package's utilities, never the
methods that produce its results; ``import dmprofile.results`` imports neither matplotlib nor
TensorFlow.
"""

from ._comparison import Comparison
from ._evaluate import SlopeEvaluation, evaluate_posteriors
from ._interval import XLABEL, HDInterval, default_grid
from ._mass_comparison import MassComparison
from ._profile import MassProfile
from ._slope import SlopePosterior

__all__ = ["SlopePosterior", "HDInterval", "default_grid", "XLABEL", "MassProfile", "Comparison",
           "MassComparison", "evaluate_posteriors", "SlopeEvaluation"]
