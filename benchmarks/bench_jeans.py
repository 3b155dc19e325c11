"""Benchmark of the classical Jeans analysis: speed, and coverage on mocks from the default prior.

Usage::

    python benchmarks/bench_jeans.py speed [--n-stars 1000] [--nsteps 20000] [--workers 1]
    python benchmarks/bench_jeans.py coverage --n-mocks 50 [--suite DIR] [--seed 20260401]
                                              [--out jeans_coverage.json]

``speed`` times one `jeans_analysis` fit (default settings: coreNFW halo, Baes & van Hese
anisotropy, 32 walkers) on a simulated coreNFW dwarf. ``coverage`` fits ``--n-mocks`` mocks
(held-out rows of a suite's test split with ``--suite``, else fresh draws from
`DefaultDwarfPrior` with a seed never used for training) and reports the fraction of true
gamma_150 inside the 68% and 95% intervals (highest-density intervals of the slope posterior),
the MAE of the median and the mean 68% width. It never fails on timing.
"""

import argparse
import json
import os
import platform
import resource
import time
import warnings

import numpy as np
from astropy import units as u

from dmprofile import __version__
from dmprofile.classical import jeans_analysis
from dmprofile.exceptions import DMProfileWarning


def _speed(args):
    from dmprofile.observe import observe
    from dmprofile.profiles import CoreNFW, Cuddeford, Plummer
    from dmprofile.simulate import DwarfGalaxy

    halo = CoreNFW.from_M200_c(1e9 * u.Msun, 15, r_c=0.4 * u.kpc, n=0.8)
    galaxy = DwarfGalaxy(halo, Plummer(0.25 * u.kpc), Cuddeford(-0.1, 0.5 * u.kpc))
    table = observe(galaxy.sample(args.n_stars, seed=1), v_err=2 * u.km / u.s, seed=2)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DMProfileWarning)
        res = jeans_analysis(table, nsteps=args.nsteps, nwalkers=args.nwalkers, seed=args.seed,
                             workers=args.workers, progress=not args.quiet)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(res)
    print(res.slope)
    print(f"truth gamma_150 = {galaxy.truth()['gamma_150']:.3f}")
    for w in caught:
        print(f"warning: {w.message}")
    print(f"one fit: {args.n_stars} stars, {args.nwalkers} walkers x {args.nsteps} steps, "
          f"workers={args.workers}: wall {wall:.1f} s, CPU {cpu:.1f} s (+ children "
          f"{children.ru_utime + children.ru_stime:.1f} s) on {os.cpu_count()} cores "
          f"({platform.processor() or platform.machine()})")


def _mocks(args):
    """Yield (table, truth) pairs of held-out mocks."""
    if args.suite:
        from dmprofile.simulate import read_suite

        suite = read_suite(args.suite)
        _, _, test = suite.split()
        for i in np.asarray(test)[: args.n_mocks]:
            table = suite.mock(int(i))
            yield table, float(suite.truth["gamma_150"][int(i)])
        return
    from dmprofile.observe import observe
    from dmprofile.simulate import DefaultDwarfPrior, InconsistentModelError

    prior = DefaultDwarfPrior()
    rng = np.random.default_rng(args.seed)
    made = 0
    while made < args.n_mocks:
        params = prior.draw(rng)
        try:
            galaxy, kw = prior.build(params)
        except InconsistentModelError:
            continue
        sample = galaxy.sample(int(params["n_stars"]), seed=rng)
        made += 1
        yield observe(sample, seed=rng, **kw), galaxy.truth()["gamma_150"]


def _coverage(args):
    rows = []
    for k, (table, truth) in enumerate(_mocks(args)):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DMProfileWarning)
            res = jeans_analysis(table, nsteps=args.nsteps, nwalkers=args.nwalkers, seed=k,
                                 workers=args.workers, progress=False, vsp=args.vsp)
        post = res.slope
        i68, i95 = post.interval(0.68), post.interval(0.95)
        med = float(np.median(res.samples["gamma_150"]))
        rows.append({"truth": truth, "median": med, "mode": float(post.mode),
                     "lo68": float(i68[0]), "hi68": float(i68[1]), "lo95": float(i95[0]),
                     "hi95": float(i95[1]), "n_stars": len(table),
                     "tau_max": res.convergence["tau_max"],
                     "wall_time": time.perf_counter() - t0})
        r = rows[-1]
        print(f"{k:3d} N={r['n_stars']:5d} truth {truth:+.2f} median {med:+.2f} "
              f"68% [{r['lo68']:+.2f}, {r['hi68']:+.2f}] {r['wall_time']:.0f} s", flush=True)
    truth = np.array([r["truth"] for r in rows])
    med = np.array([r["median"] for r in rows])
    in68 = np.mean([(r["lo68"] <= r["truth"] <= r["hi68"]) for r in rows])
    in95 = np.mean([(r["lo95"] <= r["truth"] <= r["hi95"]) for r in rows])
    summary = {"n_mocks": len(rows), "coverage_68": float(in68), "coverage_95": float(in95),
               "mae_median": float(np.mean(np.abs(med - truth))),
               "mean_width_68": float(np.mean([r["hi68"] - r["lo68"] for r in rows])),
               "mean_wall_time": float(np.mean([r["wall_time"] for r in rows])),
               "settings": {"nsteps": args.nsteps, "nwalkers": args.nwalkers, "vsp": args.vsp,
                            "seed": args.seed, "suite": args.suite},
               "dmprofile_version": __version__}
    print(json.dumps(summary, indent=2))
    if args.out:
        from dmprofile._utils import atomic_write_text

        atomic_write_text(args.out, json.dumps({"summary": summary, "rows": rows}, indent=2))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    for name in ("speed", "coverage"):
        p = sub.add_parser(name)
        p.add_argument("--nsteps", type=int, default=20000)
        p.add_argument("--nwalkers", type=int, default=32)
        p.add_argument("--workers", type=int, default=1)
        p.add_argument("--seed", type=int, default=20260401)
        p.add_argument("--quiet", action="store_true")
    sub.choices["speed"].add_argument("--n-stars", type=int, default=1000)
    cov = sub.choices["coverage"]
    cov.add_argument("--n-mocks", type=int, default=50)
    cov.add_argument("--suite", default=None, help="suite directory (use its test split)")
    cov.add_argument("--vsp", action="store_true")
    cov.add_argument("--out", default=None, help="JSON output")
    args = parser.parse_args(argv)
    (_speed if args.what == "speed" else _coverage)(args)


if __name__ == "__main__":
    main()
