"""Walkers restarted after the burn-in are distinct (twins made DESnookerMove propose NaN)."""

import emcee
import numpy as np
import pytest

from dmprofile.classical._evidence import _to_unbounded
from dmprofile.classical._priors import parse_prior
from dmprofile.classical._sampling import _Phase

NAMES = ("log10_M200", "c", "eta")


class _Like:
    """The little of a `JeansLikelihood` that `_Phase` uses."""

    halo_name = "nfw"
    names = NAMES

    def __init__(self):
        self._priors = [parse_prior("log10_M200", (8.0, 11.0)),
                        parse_prior("c", ("dutton_maccio", 0.1)),
                        parse_prior("eta", (0.0, 1.0))]


class _Target:
    def __init__(self, like):
        self.like = like

    def __call__(self, y):
        return -0.5 * np.sum(np.atleast_2d(y) ** 2, axis=1)


def _burned_in(nsteps=20, nwalkers=12, n_stuck=4, moves_after=15, seed=0):
    """Return a finished burn-in whose good walkers sat still (rejected) in their last steps."""
    rng = np.random.default_rng(seed)
    start = np.column_stack([rng.uniform(8.5, 10.5, nwalkers), rng.uniform(5, 20, nwalkers),
                             rng.uniform(0.1, 0.9, nwalkers)])
    chain = np.repeat(start[None], nsteps, axis=0)
    for t in range(1, moves_after):          # a few accepted moves, then none
        chain[t:] += 0.01 * rng.standard_normal((nwalkers, 3))
    lp = np.zeros((nsteps, nwalkers))
    lp[-1, :n_stuck] = -1e3                  # far below the others: stuck
    phase = object.__new__(_Phase)
    phase.blocks, phase.lp_blocks, phase.done = [chain], [lp], nsteps
    return phase


def _n_repeated(y):
    return len(y) - len(np.unique(y, axis=0))


def test_restarted_walkers_are_distinct():
    like = _Like()
    phase = _burned_in()
    for seed in range(40):
        y = phase.final_positions(like, np.random.default_rng(seed))
        assert np.all(np.isfinite(y))
        assert _n_repeated(y) == 0, seed


def test_restart_without_duplicates_is_unchanged():
    # when the plain draw of the stuck walkers' positions repeats none, it is returned as is
    # (same random numbers as before the walkers were made distinct)
    like = _Like()
    phase = _burned_in(moves_after=20)
    chain = phase.chain
    tail = chain[10:, 4:].reshape(-1, 3)
    for seed in range(100):
        pick = np.random.default_rng(seed).integers(0, len(tail), 4)
        plain = _to_unbounded(like, np.concatenate([tail[pick], chain[-1, 4:]]))
        if _n_repeated(plain) == 0:
            break
    y = phase.final_positions(like, np.random.default_rng(seed))
    np.testing.assert_array_equal(y, plain)


def test_too_few_positions_are_filled_by_nearby_distinct_walkers():
    # the good walkers never moved: the burn-in visited only their 8 positions, so the 4
    # stuck walkers restart next to good ones (a short quick-look run must not fail)
    like = _Like()
    phase = _burned_in(moves_after=1)
    good = _to_unbounded(like, phase.chain[-1, 4:])
    spread = np.std(_to_unbounded(like, phase.chain[10:, 4:].reshape(-1, 3)), axis=0)
    for seed in range(10):
        y = phase.final_positions(like, np.random.default_rng(seed))
        assert np.all(np.isfinite(y)) and _n_repeated(y) == 0
        np.testing.assert_array_equal(y[4:], good)       # the good walkers keep their place
        # each restarted walker lies within a few thousandths of the spread of a good one
        dist = np.abs(y[:4, None, :] - good[None]) / np.where(spread > 0, spread, 1e-3)
        assert np.all(np.min(np.max(dist, axis=2), axis=1) < 0.01)


def test_phase_refuses_repeated_or_non_finite_walkers():
    like = _Like()
    settings = {"moves": None}
    p0 = np.random.default_rng(1).standard_normal((8, 3))
    _Phase(_Target(like), _Target(like), p0, np.random.default_rng(0), emcee, settings, None)
    twins = p0.copy()
    twins[5] = twins[2]
    with pytest.raises(RuntimeError, match="repeat another walker"):
        _Phase(_Target(like), _Target(like), twins, np.random.default_rng(0), emcee, settings,
               None)
    p0[3, 1] = np.nan
    with pytest.raises(RuntimeError, match="non-finite"):
        _Phase(_Target(like), _Target(like), p0, np.random.default_rng(0), emcee, settings, None)
