"""emcee sampling of one Jeans likelihood: initial walkers, the run and its convergence report.

Shared by the single-family fit (`dmprofile.classical.jeans_analysis`) and the mixture of halo
families (`._mixture`). One family is sampled in two stages:

1. Burn-in: the walkers start at the best ``nwalkers`` of ``20 nwalkers`` prior draws and run
   `BURN_STEPS` steps (with a fixed ``nsteps``: the first half of ``burn``); walkers left stuck
   far below the others are then moved onto earlier positions of the good ones.
2. The main run continues until the steps kept (the main run without its first
   `MAIN_BURN_FRACTION`) span ``target_tau`` integrated autocorrelation times of every
   parameter, checked every `CHECK_EVERY` steps, or until ``max_steps`` (a warning then says
   so). With a fixed ``nsteps`` the chain has exactly ``nsteps`` steps, ``burn`` discarded.

emcee samples unbounded coordinates: every parameter is mapped to the real line (logit of a
uniform prior, log of the concentration; `_priors`), with the log Jacobian added to the target,
so that no move runs into the edge of the prior box. The default moves are differential
evolution (80% ``DEMove``, 20% ``DESnookerMove``): on a Gaussian in 9 dimensions their
autocorrelation time is ~30 steps against ~95 for the stretch move, and on the curved
mass-anisotropy degeneracies of a Jeans posterior 80-300 steps (acceptance 0.06-0.15).
The chains are returned in the physical parameters, with the log posterior of those.
"""

import multiprocessing
import warnings

import numpy as np

from ..exceptions import DMProfileWarning
from ._evidence import _from_unbounded, _to_unbounded

__all__ = []

#: Burn-in steps of the default (convergence-driven) sampling, before the main run.
BURN_STEPS = 1000
#: Steps between two autocorrelation checks of the main run.
CHECK_EVERY = 250
#: Fraction of the main run discarded as burn-in (besides the first `BURN_STEPS`).
MAIN_BURN_FRACTION = 0.1
#: Default chain length (per family) at which the convergence-driven run stops anyway.
MAX_STEPS = 30000
#: With ``nsteps=None`` and ``thin=None`` the kept steps are thinned by tau_max / AUTO_THIN.
AUTO_THIN = 5
#: Mean acceptance fraction below which a warning is emitted (differential-evolution moves
#: typically accept 0.06-0.15 of their proposals on a Jeans posterior).
LOW_ACCEPTANCE = 0.03
#: Default number of autocorrelation times the kept steps must span.
TARGET_TAU = 50


class _Pooled:
    """Split a vectorised log-probability over a pool of workers (same result as serial)."""

    def __init__(self, logp, pool, n_chunks):
        self.logp, self.pool, self.n_chunks = logp, pool, n_chunks

    def __call__(self, theta):
        chunks = np.array_split(np.atleast_2d(theta), self.n_chunks)
        return np.concatenate(list(self.pool.map(self.logp, chunks)))


def _seed_int(rng):
    return int(rng.integers(0, 2**32 - 1))


class _Target:
    """Log posterior in the unbounded coordinates of a `JeansLikelihood` (picklable)."""

    def __init__(self, like):
        self.like = like

    def physical(self, y):
        """``(theta, log |d theta / d y|)`` of unbounded coordinates ``y`` (n, d)."""
        with np.errstate(all="ignore"):
            return _from_unbounded(self.like, np.atleast_2d(y))

    def __call__(self, u):
        theta, log_jac = self.physical(u)
        with np.errstate(all="ignore"):
            out = self.like(theta) + log_jac
        return np.where(np.isfinite(out), out, -np.inf)


class _Run:
    """The chain of one family in the physical parameters, with emcee's accessors."""

    def __init__(self, chain, log_prob, acceptance):
        self.chain, self.log_prob, self.acceptance_fraction = chain, log_prob, acceptance

    def get_chain(self, discard=0, thin=1, flat=False):
        c = self.chain[discard::thin]
        return c.reshape(-1, c.shape[-1]) if flat else c

    def get_log_prob(self, discard=0, thin=1, flat=False):
        lp = self.log_prob[discard::thin]
        return lp.reshape(-1) if flat else lp


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


class _Phase:
    """An emcee sampler on one `_Target`, advanced step by step; keeps the physical chain."""

    def __init__(self, target, logp, p0, rng, emcee, settings, bar):
        self.target, self.bar = target, bar
        _check_walkers(p0, target.like)
        self.sampler = emcee.EnsembleSampler(len(p0), p0.shape[1], logp, vectorize=True,
                                             moves=_moves(settings["moves"], emcee))
        self.sampler.random_state = np.random.RandomState(_seed_int(rng)).get_state()
        self.state = p0
        self.blocks, self.lp_blocks = [], []
        self.done = 0

    def run(self, n):
        if n <= 0:
            return
        state = self.state
        for state in self.sampler.sample(self.state, iterations=n):  # noqa: B007
            self.bar.update(1)
        self.state = state
        u = self.sampler.get_chain()[self.done:]
        lp = self.sampler.get_log_prob()[self.done:]
        theta, log_jac = self.target.physical(u.reshape(-1, u.shape[-1]))
        self.blocks.append(theta.reshape(u.shape))
        self.lp_blocks.append(lp - log_jac.reshape(lp.shape))
        self.done += n

    @property
    def chain(self):
        return np.concatenate(self.blocks)

    def final_positions(self, like, rng):
        """Last positions (unbounded); stuck walkers moved onto earlier good positions.

        The walkers are returned distinct: a stuck walker's new position can be one that a
        good walker still holds (they are often rejected for many steps) or another stuck
        walker's, and two walkers at the same point make emcee's ``DESnookerMove`` propose NaN
        (it divides by their distance). Repeated positions are redrawn among the distinct
        earlier positions of the good walkers not yet taken; when a short burn-in left too few
        of those, the rest are good walkers' positions shifted by 1e-3 of the burn-in spread.
        """
        lp = self.lp_blocks[-1][-1]
        stuck = lp < np.median(lp) - max(10.0, float(self.chain.shape[-1]))
        y = _to_unbounded(like, self.chain[-1])
        tail = self.chain[self.done // 2:, ~stuck]
        tail = tail.reshape(-1, tail.shape[-1])
        if np.any(stuck):
            pick = rng.integers(0, len(tail), int(stuck.sum()))
            y[stuck] = _to_unbounded(like, tail[pick])
        # the good walkers keep their positions before the moved ones
        repeated = _repeated_rows(y, np.concatenate([np.flatnonzero(~stuck),
                                                     np.flatnonzero(stuck)]))
        if np.any(repeated):
            taken = {tuple(row) for row in y[~repeated]}
            free = np.array([row for row in np.unique(_to_unbounded(like, tail), axis=0)
                             if tuple(row) not in taken]).reshape(-1, y.shape[1])
            n = int(repeated.sum())
            if len(free) >= n:
                y[repeated] = free[rng.choice(len(free), n, replace=False)]
            else:
                # a short burn-in visited too few positions: use them all, then copies of good
                # walkers shifted by a thousandth of the burn-in spread (distinct, still inside
                # the posterior mass)
                rows = np.flatnonzero(repeated)
                y[rows[:len(free)]] = free
                spread = np.std(_to_unbounded(like, tail), axis=0)
                scale = np.where(spread > 0, 1e-3 * spread, 1e-6)
                good = y[~repeated]
                base = good[rng.integers(0, len(good), n - len(free))]
                y[rows[len(free):]] = base + scale * rng.standard_normal(base.shape)
        return y


def _repeated_rows(y, order):
    """Mask of the rows of ``y`` equal to a row earlier in ``order`` (a permutation)."""
    _, first = np.unique(y[order], axis=0, return_index=True)
    repeated = np.ones(len(y), dtype=bool)
    repeated[order[first]] = False
    return repeated


def _check_walkers(p0, like):
    """Refuse initial walkers that are not finite or not distinct (emcee would propose NaN)."""
    p0 = np.asarray(p0, dtype=float)
    bad = ~np.all(np.isfinite(p0), axis=1)
    if np.any(bad):
        msg = (f"{int(bad.sum())} of {len(p0)} initial walkers of {like.halo_name!r} have "
               f"non-finite unbounded coordinates ({', '.join(like.names)}): "
               f"{p0[np.flatnonzero(bad)[0]].tolist()}")
        raise RuntimeError(msg)
    repeated = _repeated_rows(p0, np.arange(len(p0)))
    if np.any(repeated):
        msg = (f"{int(repeated.sum())} of {len(p0)} initial walkers of {like.halo_name!r} "
               "repeat another walker's position; emcee's moves need distinct walkers")
        raise RuntimeError(msg)


def _moves(moves, emcee):
    """Return the user's moves, or fresh default ones (emcee's DE moves keep the dimension)."""
    if moves is not None:
        return moves
    return [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]


def _plan(settings):
    """Return the burn-in steps and, with a fixed ``nsteps``, the main-run steps."""
    nsteps = settings["nsteps"]
    if nsteps is None:
        return BURN_STEPS, None
    first = settings["burn"] // 2
    return first, nsteps - first


def run_sampler(like, rng, emcee, settings, *, label=None, position=0):
    """Run emcee for one likelihood (see the module doc); returns a `_Run` and its report."""
    nwalkers = settings["nwalkers"]
    if nwalkers < 2 * like.ndim:
        msg = (f"argument 'nwalkers' must be at least twice the number of free parameters "
               f"({like.ndim}: {', '.join(like.names)}), got {nwalkers}")
        raise ValueError(msg)
    from tqdm.auto import tqdm

    pool, workers = settings["pool"], settings["workers"]
    own_pool = None
    if pool is None and workers > 1:
        own_pool = pool = multiprocessing.get_context().Pool(workers)
    n_burn, n_main = _plan(settings)
    total = settings["nsteps"] or settings["max_steps"]
    bar = tqdm(total=total, desc=label or like.halo_name, position=position,
               disable=not settings["show_progress"], leave=True, dynamic_ncols=True)
    try:
        n_chunks = workers if own_pool is not None else max(1, getattr(pool, "_processes", 1) or 1)

        def logp_of(target):
            return target if pool is None else _Pooled(target, pool, n_chunks)

        target = _Target(like)
        logp = logp_of(target)
        y0 = _to_unbounded(like, _initial_walkers(like, nwalkers, rng, logp_of(like)))
        phases = []
        if n_burn > 0:
            phases.append(_Phase(target, logp, y0, rng, emcee, settings, bar))
            phases[0].run(n_burn)
            y0 = phases[0].final_positions(like, rng)
        main = _Phase(target, logp, y0, rng, emcee, settings, bar)
        if n_main is not None:
            main.run(n_main)
            burn, capped = settings["burn"], False
        else:
            burn, capped = _run_to_convergence(main, n_burn, settings, emcee)
        bar.total = bar.n
        bar.refresh()
    finally:
        bar.close()
        if own_pool is not None:
            own_pool.close()
            own_pool.join()
    chain = np.concatenate([p.chain for p in (*phases, main)])
    log_prob = np.concatenate([lp for p in (*phases, main) for lp in p.lp_blocks])
    run = _Run(chain, log_prob, main.sampler.acceptance_fraction)
    conv = _convergence(run, burn, settings, emcee, capped=capped)
    return run, conv


def _run_to_convergence(main, n_burn, settings, emcee):
    """Advance the main run until ``target_tau`` tau are kept; returns ``(burn, capped)``."""
    target_tau, max_main = settings["target_tau"], settings["max_steps"] - n_burn
    while True:
        step = min(CHECK_EVERY, max_main - main.done)
        main.run(step)
        discard = int(np.ceil(MAIN_BURN_FRACTION * main.done))
        kept = main.done - discard
        tau = _tau(main.chain[discard:], emcee)
        tau_max = float(np.max(tau)) if np.all(np.isfinite(tau)) else np.inf
        main.bar.set_postfix(tau=f"{tau_max:.0f}", refresh=False)
        if kept >= target_tau * tau_max:
            return n_burn + discard, False
        if main.done >= max_main:
            return n_burn + discard, True


def _tau(chain, emcee):
    if chain.shape[0] < 2:
        return np.full(chain.shape[-1], np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return emcee.autocorr.integrated_time(chain, quiet=True, tol=0)


def _convergence(run, burn, settings, emcee, *, capped):
    chain = run.chain
    nsteps, nwalkers = chain.shape[:2]
    tau = _tau(chain[burn:], emcee)
    tau_max = float(np.nanmax(tau)) if np.any(np.isfinite(tau)) else float("nan")
    kept = nsteps - burn
    thin = settings["thin"]
    if thin is None:
        auto = settings["nsteps"] is None and np.isfinite(tau_max)
        thin = max(1, int(tau_max // AUTO_THIN)) if auto else 1
    return {
        "tau": tau,
        "tau_max": tau_max,
        "acceptance_fraction": float(np.mean(run.acceptance_fraction)),
        "nsteps": int(nsteps),
        "nwalkers": int(nwalkers),
        "burn": int(burn),
        "thin": int(thin),
        "target_tau": float(settings["target_tau"]),
        "steps_per_tau": float(kept / tau_max) if tau_max > 0 else float("nan"),
        "n_effective": float(nwalkers * kept / tau_max) if tau_max > 0 else float("nan"),
        "converged": bool(kept >= settings["target_tau"] * tau_max),
        "capped": bool(capped),
    }


def convergence_warnings(conv, where=""):
    """Return the warning messages of a convergence report (emitted by the caller)."""
    msgs = []
    if not conv["converged"]:
        kept = conv["nsteps"] - conv["burn"]
        if conv["capped"]:
            msg = (f"the chain{where} reached max_steps = {conv['nsteps']} before its "
                   f"{kept} kept steps spanned {conv['target_tau']:.0f} autocorrelation times "
                   f"(tau_max = {conv['tau_max']:.0f} steps): increase max_steps for reliable "
                   "intervals")
        else:
            msg = (f"the chain{where} ({kept} steps after burn-in) is shorter than "
                   f"{conv['target_tau']:.0f} autocorrelation times (tau_max = "
                   f"{conv['tau_max']:.0f} steps): increase nsteps, or leave nsteps=None to run "
                   "until converged, for reliable intervals")
        msgs.append(msg)
    if conv["acceptance_fraction"] < LOW_ACCEPTANCE:
        msgs.append(f"low mean acceptance fraction{where} {conv['acceptance_fraction']:.2f}")
    return msgs


def warn_convergence(conv, where="", stacklevel=3):
    """Emit the `convergence_warnings` of one report as `DMProfileWarning`."""
    for msg in convergence_warnings(conv, where):
        warnings.warn(msg, DMProfileWarning, stacklevel=stacklevel + 1)
