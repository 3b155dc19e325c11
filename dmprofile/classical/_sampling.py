"""emcee sampling of one Jeans likelihood: initial walkers, the run and its convergence report.

Shared by the single-family fit (`dmprofile.classical.jeans_analysis`) and the mixture of halo
families (`._mixture`).
"""

import multiprocessing
import warnings

import numpy as np

from .._utils import show_progress
from ..exceptions import DMProfileWarning

__all__ = []


class _Pooled:
    """Split a vectorised log-probability over a pool of workers (same result as serial)."""

    def __init__(self, logp, pool, n_chunks):
        self.logp, self.pool, self.n_chunks = logp, pool, n_chunks

    def __call__(self, theta):
        chunks = np.array_split(np.atleast_2d(theta), self.n_chunks)
        return np.concatenate(list(self.pool.map(self.logp, chunks)))


def _seed_int(rng):
    return int(rng.integers(0, 2**32 - 1))


def _initial_walkers(like, nwalkers, rng, logp):
    """Return the ``nwalkers`` best of ``20 nwalkers`` prior draws (distinct, finite posterior)."""
    draws = like.sample_prior(max(20 * nwalkers, 400), rng)
    lp = logp(draws)
    good = np.flatnonzero(np.isfinite(lp))
    if good.size < nwalkers:
        msg = (f"only {good.size} of {len(draws)} prior draws have a finite likelihood; "
               "check the priors and the data")
        raise RuntimeError(msg)
    best = good[np.argsort(lp[good])[::-1][:nwalkers]]
    return draws[best]


def _convergence(sampler, burn, thin, emcee):
    chain = sampler.get_chain()
    nsteps = chain.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tau = emcee.autocorr.integrated_time(chain[burn:], quiet=True, tol=0)
    tau_max = float(np.nanmax(tau)) if np.any(np.isfinite(tau)) else float("nan")
    return {
        "tau": tau,
        "tau_max": tau_max,
        "acceptance_fraction": float(np.mean(sampler.acceptance_fraction)),
        "nsteps": int(nsteps),
        "nwalkers": int(chain.shape[1]),
        "burn": int(burn),
        "thin": int(thin),
        "steps_per_tau": float(nsteps / tau_max) if tau_max > 0 else float("nan"),
        "n_effective": float(chain.shape[1] * (nsteps - burn) / tau_max),
        "converged": bool(nsteps >= 50 * tau_max),
    }


def run_sampler(like, rng, emcee, settings):
    """Run emcee for one likelihood; returns the sampler and its convergence report."""
    nwalkers = settings["nwalkers"]
    if nwalkers < 2 * like.ndim:
        msg = (f"argument 'nwalkers' must be at least twice the number of free parameters "
               f"({like.ndim}: {', '.join(like.names)}), got {nwalkers}")
        raise ValueError(msg)
    pool, workers, moves = settings["pool"], settings["workers"], settings["moves"]
    own_pool = None
    if pool is None and workers > 1:
        own_pool = pool = multiprocessing.get_context().Pool(workers)
    try:
        n_chunks = workers if own_pool is not None else max(1, getattr(pool, "_processes", 1) or 1)
        logp = like if pool is None else _Pooled(like, pool, n_chunks)
        p0 = _initial_walkers(like, nwalkers, rng, logp)
        if moves is None:
            moves = [(emcee.moves.StretchMove(), 0.5), (emcee.moves.DEMove(), 0.4),
                     (emcee.moves.DESnookerMove(), 0.1)]
        sampler = emcee.EnsembleSampler(nwalkers, like.ndim, logp, vectorize=True, moves=moves)
        sampler.random_state = np.random.RandomState(_seed_int(rng)).get_state()
        sampler.run_mcmc(p0, settings["nsteps"], progress=show_progress(settings["progress"]))
    finally:
        if own_pool is not None:
            own_pool.close()
            own_pool.join()

    conv = _convergence(sampler, settings["burn"], settings["thin"], emcee)
    where = f" ({like.halo_name} halo)" if settings.get("label_family") else ""
    if not conv["converged"]:
        msg = (f"the chain{where} ({settings['nsteps']} steps) is shorter than 50 "
               f"autocorrelation times (tau_max = {conv['tau_max']:.0f} steps): increase nsteps "
               "for reliable intervals")
        warnings.warn(msg, DMProfileWarning, stacklevel=settings.get("stacklevel", 3))
    if conv["acceptance_fraction"] < 0.1:
        msg = f"low mean acceptance fraction{where} {conv['acceptance_fraction']:.2f}"
        warnings.warn(msg, DMProfileWarning, stacklevel=settings.get("stacklevel", 3))
    return sampler, conv
