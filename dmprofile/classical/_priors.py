"""Priors of the Jeans fit: uniform boxes, Gaussians and the concentration-mass relation.

A prior is given per parameter as

* a number: the parameter is fixed;
* ``(low, high)`` or ``("uniform", low, high)``: uniform;
* ``("normal", mean, sigma)``: Gaussian;
* ``("dutton_maccio", sigma_dex)`` (only for the concentration ``c``, when the halo has a
  ``log10_M200``): log-normal around the Dutton & Maccio (2014) concentration-mass relation at
  the sampled M200, with ``sigma_dex`` scatter in log10 c.

All priors are vectorised over parameter sets (MCMC walkers) and can be drawn from, in the
order of the parameters (``log10_M200`` comes before ``c``).
"""

import math

import numpy as np

__all__ = []

#: Truncation of the Gaussian priors, in standard deviations (keeps the walkers finite).
N_SIGMA = 5.0


class _Prior:
    spec = None

    def log_pdf(self, x, P):
        raise NotImplementedError

    def draw(self, n, rng, P):
        raise NotImplementedError

    def describe(self):
        return repr(self.spec)


class Uniform(_Prior):
    def __init__(self, name, low, high):
        low, high = float(low), float(high)
        if not low < high:
            msg = f"prior of {name!r} must be (low, high) with low < high, got {(low, high)!r}"
            raise ValueError(msg)
        self.low, self.high = low, high
        self.spec = (low, high)

    def log_pdf(self, x, P):
        inside = (x >= self.low) & (x <= self.high)
        return np.where(inside, 0.0, -np.inf)

    def draw(self, n, rng, P):
        return rng.uniform(self.low, self.high, n)


class Normal(_Prior):
    def __init__(self, name, mean, sigma):
        mean, sigma = float(mean), float(sigma)
        if not sigma > 0:
            msg = f"prior of {name!r}: the standard deviation must be > 0, got {sigma!r}"
            raise ValueError(msg)
        self.mean, self.sigma = mean, sigma
        self.spec = ("normal", mean, sigma)

    def log_pdf(self, x, P):
        z = (x - self.mean) / self.sigma
        return np.where(np.abs(z) <= N_SIGMA, -0.5 * z**2, -np.inf)

    def draw(self, n, rng, P):
        return self.mean + self.sigma * np.clip(rng.standard_normal(n), -N_SIGMA, N_SIGMA)


class DuttonMaccio(_Prior):
    """Log-normal concentration around the Dutton & Maccio (2014) relation at M200."""

    def __init__(self, name, sigma_dex):
        if name != "c":
            msg = f"the 'dutton_maccio' prior is for the concentration 'c', not {name!r}"
            raise ValueError(msg)
        sigma_dex = float(sigma_dex)
        if not sigma_dex > 0:
            msg = f"prior of 'c': the scatter must be > 0 dex, got {sigma_dex!r}"
            raise ValueError(msg)
        self.sigma = sigma_dex
        self.spec = ("dutton_maccio", sigma_dex)

    @staticmethod
    def median(log10_m200):
        from ..simulate._prior import concentration_dutton_maccio

        return concentration_dutton_maccio(10.0 ** np.asarray(log10_m200, dtype=float))

    def log_pdf(self, x, P):
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (np.log10(x) - np.log10(self.median(P["log10_M200"]))) / self.sigma
            # density in c (not log c): the Jacobian 1 / c
            out = -0.5 * z**2 - np.log(x)
        return np.where((x > 0) & (np.abs(z) <= N_SIGMA), out, -np.inf)

    def draw(self, n, rng, P):
        z = np.clip(rng.standard_normal(n), -N_SIGMA, N_SIGMA)
        return self.median(P["log10_M200"]) * 10.0 ** (self.sigma * z)


def parse_prior(name, spec):
    """A prior object from its specification (see the module docstring); None when fixed."""
    if np.ndim(spec) == 0 and not isinstance(spec, str):
        value = float(spec)
        if not math.isfinite(value):
            msg = f"fixed value of {name!r} must be finite, got {spec!r}"
            raise ValueError(msg)
        return None
    spec = tuple(spec)
    kind = spec[0] if spec and isinstance(spec[0], str) else "uniform"
    args = spec[1:] if spec and isinstance(spec[0], str) else spec
    makers = {"uniform": (Uniform, 2), "normal": (Normal, 2), "dutton_maccio": (DuttonMaccio, 1)}
    if kind not in makers or len(args) != makers[kind][1]:
        msg = (f"prior of {name!r} must be a number (fixed), (low, high), ('uniform', low, "
               f"high), ('normal', mean, sigma) or ('dutton_maccio', sigma_dex); got {spec!r}")
        raise ValueError(msg)
    return makers[kind][0](name, *(float(a) for a in args))


def normalise_spec(spec):
    """Plain, JSON-friendly form of a prior specification (floats, tuples)."""
    if np.ndim(spec) == 0 and not isinstance(spec, str):
        return float(spec)
    return tuple(s if isinstance(s, str) else float(s) for s in spec)
