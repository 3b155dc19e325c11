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

from ..profiles import concentration_dutton_maccio

__all__ = []

#: Truncation of the Gaussian priors, in standard deviations (keeps the walkers finite).
N_SIGMA = 5.0
#: Normalisation sqrt(2 pi) P(|z| < N_SIGMA) of the truncated unit Gaussian.
_TRUNCATED_GAUSS_NORM = math.sqrt(2 * math.pi) * math.erf(N_SIGMA / math.sqrt(2))


class _Prior:
    """A prior: ``log_pdf`` is its log density up to the constant ``log_norm``.

    ``to_unbounded`` / ``from_unbounded`` map the parameter to the real line and back (with
    the log Jacobian d x / d y), for importance sampling in `_evidence`.
    """

    spec = None
    log_norm = 0.0

    def log_pdf(self, x, P):
        raise NotImplementedError

    def to_unbounded(self, x):
        return np.asarray(x, dtype=float)

    def from_unbounded(self, y):
        """``(x, log |dx/dy|)``."""
        y = np.asarray(y, dtype=float)
        return y, np.zeros_like(y)

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
        self.log_norm = -math.log(high - low)

    def log_pdf(self, x, P):
        inside = (x >= self.low) & (x <= self.high)
        return np.where(inside, 0.0, -np.inf)

    def draw(self, n, rng, P):
        return rng.uniform(self.low, self.high, n)

    def to_unbounded(self, x):
        f = np.clip((np.asarray(x, dtype=float) - self.low) / (self.high - self.low),
                    1e-12, 1 - 1e-12)
        return np.log(f) - np.log1p(-f)

    def from_unbounded(self, y):
        y = np.asarray(y, dtype=float)
        width = self.high - self.low
        # log sigmoid(y) and log(1 - sigmoid(y)), stable for large |y|
        log_s, log_1ms = -np.logaddexp(0.0, -y), -np.logaddexp(0.0, y)
        return self.low + width * np.exp(log_s), math.log(width) + log_s + log_1ms


class Normal(_Prior):
    def __init__(self, name, mean, sigma):
        mean, sigma = float(mean), float(sigma)
        if not sigma > 0:
            msg = f"prior of {name!r}: the standard deviation must be > 0, got {sigma!r}"
            raise ValueError(msg)
        self.mean, self.sigma = mean, sigma
        self.spec = ("normal", mean, sigma)
        self.log_norm = -math.log(sigma * _TRUNCATED_GAUSS_NORM)

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
        # log10 c is a truncated Gaussian; log_pdf includes the Jacobian 1 / c of ln c
        self.log_norm = -math.log(math.log(10) * sigma_dex * _TRUNCATED_GAUSS_NORM)

    @staticmethod
    def median(log10_m200):
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

    def to_unbounded(self, x):
        return np.log(np.maximum(np.asarray(x, dtype=float), 1e-300))

    def from_unbounded(self, y):
        y = np.asarray(y, dtype=float)
        return np.exp(y), y


def parse_prior(name, spec):
    """Return a prior object from its specification (see the module docstring); None when fixed."""
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
