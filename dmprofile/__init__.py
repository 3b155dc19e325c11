"""dmprofile: how dark matter is distributed in a galaxy.

Neural simulation-based inference and classical dynamical methods, side by side.
``import dmprofile`` is light: subpackages and the heavy optional dependencies
(TensorFlow/Keras, matplotlib, dask) are imported only when used.
"""

import importlib

from ._version import __version__
from .exceptions import DMProfileWarning

__all__ = ["__version__", "DMProfileWarning", "infer_slope", "infer_mass_profile",
           "infer_mass_profiles", "compare", "profiles", "kinematics",
           "observe", "simulate", "suites", "nets", "classical", "datasets"]

_SUBPACKAGES = {"profiles", "kinematics", "observe", "simulate", "suites", "nets", "classical",
                "datasets"}


_FUNCTIONS = {"infer_slope": "dmprofile._infer", "compare": "dmprofile._compare",
              "infer_mass_profile": "dmprofile._infer_mass",
              "infer_mass_profiles": "dmprofile._infer_mass"}


def __getattr__(name):
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(_FUNCTIONS[name]), name)
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    msg = f"module 'dmprofile' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__():
    return sorted(set(globals()) | _SUBPACKAGES | set(_FUNCTIONS))
