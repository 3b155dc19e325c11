"""Benchmark of the classical Jeans analysis: speed, and calibration next to the network.

Usage::

    python benchmarks/bench_jeans.py speed [--n-stars 1000] [--nsteps N] [--workers 1]
    python benchmarks/bench_jeans.py coverage --suite DIR --n-mocks 50 [--model DIR]
                                              [--jobs 2] [--out results.json] [--no-write]

``speed`` times one `jeans_analysis` fit (default settings) on a simulated coreNFW dwarf, prints
the autocorrelation time, acceptance and wall time of every halo family and the load average
of the machine and, unless ``--no-write``, writes them into the ``bench_jeans_speed`` section
of ``docs/benchmarks.md``.

``coverage`` runs `jeans_analysis` (default settings, seed = row index) on the first
``--n-mocks`` rows of a held-out suite (``--suite``; every row is regenerated with
`DwarfSuite.mock`, so all of a test suite is held out), or on fresh draws from
`DefaultDwarfPrior` with a seed never used for training when no suite is given. With
``--model DIR`` the trained slope network (`dmprofile.infer_slope`, 100 Monte-Carlo dropout
passes) analyses the same mocks. Both sets of posteriors are scored with
`dmprofile.results.evaluate_posteriors`: fraction of the true gamma_150 inside the 68% and 95%
highest-density intervals, MAE of the median and of the mode, bias, mean widths, and the wall
time per galaxy. The table is printed and, unless ``--no-write``, written into
``docs/benchmarks.md`` between the ``<!-- bench_jeans start -->`` / ``<!-- bench_jeans end -->``
markers (other sections are kept).

``--jobs N`` fits N mocks at a time, each in its own process (each fit then uses one process,
``processes=1``; its wall time is the time of one fit on one of N busy cores). With
``--jobs 1`` each fit spreads its halo families over the cores (the default).

Per-mock results (truth, posterior on the default grid, wall time) go to ``--out`` (JSON,
rewritten after every mock). Running again with the same ``--out`` and settings resumes: the
Jeans fits already there are reused, so ``--model`` can be added later without refitting. The
benchmark never fails on timing.
"""

import argparse
import functools
import json
import resource
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from astropy import units as u

from dmprofile._utils import atomic_write_text
from dmprofile.classical import jeans_analysis
from dmprofile.exceptions import DMProfileWarning

from _report import machine, write_section

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
N_STARS_BINS = (100, 300, 1000, 3001)


def _machine(network=False):
    if not network:
        return machine()
    import keras

    return machine(f"Keras {keras.__version__} ({keras.backend.backend()} backend)")


def _jeans_kwargs(args):
    kw = {"nsteps": args.nsteps, "nwalkers": args.nwalkers, "workers": args.workers,
          "vsp": args.vsp}
    for name in ("max_steps", "target_tau", "processes"):
        if getattr(args, name, None) is not None:
            kw[name] = getattr(args, name)
    for name in ("halo", "anisotropy", "tracer", "tracer_family"):
        if getattr(args, name, None) is not None:
            kw[name] = getattr(args, name)
    if args.priors:
        kw["priors"] = {k: (tuple(v) if isinstance(v, list) else v)
                        for k, v in json.loads(args.priors).items()}
    if getattr(args, "mixture_prior", None):
        from dmprofile.simulate import DefaultDwarfPrior

        kw["mixture_prior"] = DefaultDwarfPrior(**json.loads(args.mixture_prior))
    return kw


# ------------------------------------------------------------------------------------ speed
def _speed(args):
    from dmprofile.observe import observe
    from dmprofile.profiles import CoreNFW, Cuddeford, Plummer
    from dmprofile.simulate import DwarfGalaxy

    halo = CoreNFW.from_M200_c(1e9 * u.Msun, 15, r_c=0.4 * u.kpc, n=0.8)
    galaxy = DwarfGalaxy(halo, Plummer(0.25 * u.kpc), Cuddeford(-0.1, 0.5 * u.kpc))
    table = observe(galaxy.sample(args.n_stars, seed=1), v_err=2 * u.km / u.s, seed=2)
    load = _load_average()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DMProfileWarning)
        res = jeans_analysis(table, seed=args.seed, progress=not args.quiet,
                             **_jeans_kwargs(args))
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(res)
    print(res.slope)
    print(f"truth gamma_150 = {galaxy.truth()['gamma_150']:.3f}")
    for w in caught:
        print(f"warning: {w.message}")
    conv = res.convergence_table()
    print(conv)
    steps = ("until 50 autocorrelation times" if args.nsteps is None else f"{args.nsteps} steps")
    per = " per halo family" if res.meta["halo"] == "mixture" else ""
    procs = res.meta["processes"] or "default"
    line = (f"one fit: {args.n_stars} stars, {res.meta['halo']} halo, {args.nwalkers} walkers "
            f"{steps}{per}, processes={procs}, workers={args.workers}: wall {wall:.1f} s, CPU "
            f"{cpu:.1f} s (+ children {children.ru_utime + children.ru_stime:.1f} s), "
            f"{'converged' if res.convergence['converged'] else 'NOT converged'}")
    print(f"{line}; load average before/after: {load[0]} / {_load_average()[0]}; {machine()}")
    if not args.no_write:
        command = "python benchmarks/bench_jeans.py " + " ".join(args.argv or sys.argv[1:])
        rows = ["| family | probability | steps | tau_max | tau of gamma_150 | "
                "kept steps / tau_max | acceptance | converged | wall time [s] |",
                "|" + "---|" * 9]
        for r in conv:
            rows.append(f"| {r['family']} | {r['probability']:.2f} | {r['nsteps']} | "
                        f"{r['tau_max']:.0f} | {r['tau_gamma_150']:.0f} | "
                        f"{r['steps_per_tau']:.0f} | {r['acceptance']:.2f} | "
                        f"{'yes' if r['converged'] else 'no'} | {r['wall_time']:.1f} |")
        text = "\n".join([
            "## Jeans analysis: speed of one fit (`benchmarks/bench_jeans.py speed`)", "",
            f"Machine: {machine()}. Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Load average "
            f"(1 min) before / after the fit: {load[0]} / {_load_average()[0]} (the machine was "
            "shared with other jobs).", "",
            f"Command: `{command}`", "",
            f"Mock: coreNFW halo (M200 = 1e9 Msun, c = 15, r_c = 0.4 kpc, n = 0.8), Plummer "
            f"tracer (0.25 kpc), Cuddeford anisotropy; {args.n_stars} stars with 2 km/s errors.",
            "", f"Result: {line}. CPU time is that of the main process, children that of the "
            "family processes; the wall time also counts any other load on the machine. "
            "Target: <= 2 minutes for 1,000 stars on 2 cores, every family converged.", "",
            *rows])
        write_section(args.docs, "bench_jeans_speed", text)
        print(f"wrote the bench_jeans_speed section of {args.docs}")


def _load_average():
    try:
        import os

        return tuple(round(x, 2) for x in os.getloadavg())
    except (AttributeError, OSError):
        return ("n/a",) * 3


# ------------------------------------------------------------------------------------ mocks
def _mocks(args):
    """Return (description, list of (key, make_table, truth, n_stars)) of the held-out mocks."""
    if args.suite:
        from dmprofile.suites import read_suite

        suite = read_suite(args.suite)
        stop = min(len(suite), args.start + args.n_mocks)
        rows = range(args.start, stop)
        truth = np.asarray(suite.truth["gamma_150"], dtype=float)
        n_stars = np.asarray(suite.truth["n_stars"])
        desc = {"suite": str(Path(args.suite).resolve()), "rows": [args.start, stop],
                "suite_seed": suite.manifest.get("seed"), "checksum": suite.checksum}
        return desc, [(int(i), (lambda i=int(i): suite.mock(i)), float(truth[i]),
                       int(n_stars[i])) for i in rows]

    from dmprofile.observe import observe
    from dmprofile.simulate import DefaultDwarfPrior, InconsistentModelError

    prior = DefaultDwarfPrior()
    rng = np.random.default_rng(args.seed)
    out = []
    while len(out) < args.n_mocks:
        params = prior.draw(rng)
        try:
            galaxy, kw = prior.build(params)
        except InconsistentModelError:
            continue
        sample = galaxy.sample(int(params["n_stars"]), seed=rng)
        table = observe(sample, seed=rng, **kw)
        out.append((len(out), (lambda t=table: t), galaxy.truth()["gamma_150"], len(table)))
    return {"prior_draws_seed": args.seed}, out


# ------------------------------------------------------------------------------------ coverage
def _load(path, settings):
    if path is None or not Path(path).exists():
        return {}
    old = json.loads(Path(path).read_text())
    if old.get("settings") != settings:
        print(f"{path}: different settings, not reused", file=sys.stderr)
        return {}
    return old.get("results", {})


def _save(path, settings, results):
    if path is not None:
        atomic_write_text(path, json.dumps({"settings": settings, "results": results}))


def _record(name, rows, key, truth, table, post, extra, wall, grid):
    if not np.array_equal(post.grid, grid):
        msg = f"{name}: posterior grid differs from dmprofile.results.default_grid()"
        raise RuntimeError(msg)
    lo, hi = post.interval(0.68)
    rows[str(key)] = {"truth": truth, "n_stars": len(table), "wall_time": wall,
                      "pdf": [float(p) for p in post.pdf], **extra}
    print(f"{name[:7]:7s} row {key:4d} N={len(table):5d} truth {truth:+.2f} median "
          f"{post.median:+.2f} 68% [{lo:+.2f}, {hi:+.2f}] {wall:6.1f} s", flush=True)


def _timed(fit, key, table):
    t0 = time.perf_counter()
    post, extra = fit(key, table)
    return post, extra, time.perf_counter() - t0


def _run_method(name, mocks, fit, results, store, jobs=1):
    """Fit every mock not yet in ``results[name]``; with ``jobs > 1`` in that many processes.

    ``fit`` must then be picklable (a module-level function or a `functools.partial` of one).
    Results are stored as they arrive, so an interrupted run resumes where it stopped.
    """
    from dmprofile.results import default_grid

    grid = default_grid()
    rows = results.setdefault(name, {})
    todo = [m for m in mocks if str(m[0]) not in rows]
    if jobs <= 1:
        for key, make, truth, _ in todo:
            table = make()
            post, extra, wall = _timed(fit, key, table)
            _record(name, rows, key, truth, table, post, extra, wall, grid)
            store()
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {}
        for key, make, truth, _ in todo:
            table = make()
            futures[pool.submit(_timed, fit, key, table)] = (key, truth, table)
        for future in as_completed(futures):
            key, truth, table = futures[future]
            post, extra, wall = future.result()
            _record(name, rows, key, truth, table, post, extra, wall, grid)
            store()


def _evaluate(name, mocks, results):
    from dmprofile.results import default_grid, evaluate_posteriors

    rows = [results[name][str(key)] for key, *_ in mocks]
    pdfs = np.array([r["pdf"] for r in rows])
    ev = evaluate_posteriors((default_grid(), pdfs), [r["truth"] for r in rows],
                             n_stars=[r["n_stars"] for r in rows], n_stars_bins=N_STARS_BINS,
                             label=name)
    wall = np.array([r["wall_time"] for r in rows])
    return ev, wall


def _fmt_row(label, ev, wall):
    m = ev.metrics
    return (f"| {label} | {m['mae_median']:.3f} | {m['mae_mode']:.3f} | {m['bias_mode']:+.3f} | "
            f"{m['coverage_68']:.0%} | {m['coverage_95']:.0%} | {m['mean_width_68']:.2f} | "
            f"{m['mean_width_95']:.2f} | {np.mean(wall):.3g} s |")


def _report(args, desc, mocks, evals, labels):
    n = len(mocks)
    head = ("| method | MAE of median | MAE of mode | bias of mode | in 68% interval | "
            "in 95% interval | mean 68% width | mean 95% width | wall time per galaxy |")
    lines = [head, "|" + "---|" * 9]
    for name, (ev, wall) in evals.items():
        lines.append(_fmt_row(labels[name], ev, wall))
    bins = ["", "Coverage of the 68% / 95% intervals versus number of stars:", "",
            "| stars | mocks | " + " | ".join(labels[k] for k in evals) + " |",
            "|" + "---|" * (2 + len(evals))]
    first = next(iter(evals.values()))[0].by_n_stars
    for b in range(len(first)):
        cells = []
        for ev, _ in evals.values():
            row = ev.by_n_stars[b]
            cells.append("–" if row["n"] == 0 else
                         f"{row['coverage_68']:.0%} / {row['coverage_95']:.0%}")
        bins.append(f"| {int(first['bin_low'][b])}–{int(first['bin_high'][b]) - 1} | "
                    f"{int(first['n'][b])} | " + " | ".join(cells) + " |")
    err68, err95 = np.sqrt(0.68 * 0.32 / n), np.sqrt(0.95 * 0.05 / n)
    source = (f"rows {desc['rows'][0]}–{desc['rows'][1] - 1} of the held-out suite "
              f"`{Path(desc['suite']).name}` (seed {desc['suite_seed']}, checksum "
              f"{desc['checksum'][:12]}), regenerated with `DwarfSuite.mock`"
              if "suite" in desc else
              f"fresh draws from `DefaultDwarfPrior` (seed {desc['prior_draws_seed']})")
    n_stars = np.array([m[3] for m in mocks])
    cmd = "python benchmarks/bench_jeans.py " + " ".join(sys.argv[1:] if args.argv is None
                                                         else args.argv)
    text = [
        "## Jeans analysis and the slope network on held-out mocks (`benchmarks/bench_jeans.py`)",
        "",
        f"Machine: {_machine(bool(args.model))}. Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"Command: `{cmd}`",
        "",
        (f"Mocks: {n} galaxies, {source}; {n_stars.min()}–{n_stars.max()} stars (median "
         f"{int(np.median(n_stars))}). Truth: gamma_150 = d ln rho / d ln r of the halo at "
         "150 pc."),
        "",
    ]
    methods = []
    if "jeans" in evals:
        where = ("one fit at a time, its halo families in parallel processes"
                 if args.jobs <= 1 else
                 f"one process per fit, {args.jobs} fits at a time on separate cores")
        methods.append(f"Jeans: `jeans_analysis` with {_describe_jeans(args)}, {where}, "
                       "seed = row index.")
    if args.model:
        methods.append(f"Network: `dmprofile.infer_slope(mock, model={args.model!r}, "
                       f"n_passes={args.n_passes}, seed=row index)`; its wall time excludes "
                       f"the one-off model loading ({args.load_time:.1f} s).")
    text.append(" ".join(methods))
    central = []
    for name, (ev, _) in evals.items():
        pit = np.asarray(ev.table["pit"], dtype=float)
        central.append(f"{labels[name]} {np.mean((pit > 0.16) & (pit < 0.84)):.0%} / "
                       f"{np.mean((pit > 0.025) & (pit < 0.975)):.0%}")
    text += ["", *lines, *bins, "",
             ("Equal-tailed intervals (16th-84th and 2.5th-97.5th percentiles, GravSphere's "
              "convention) of the same posteriors contain the truth in: " + "; ".join(central)
              + " (68% / 95%). Mean posterior CDF at the true slope (0.5 if unbiased): "
              + "; ".join(f"{labels[k]} {np.mean(np.asarray(ev.table['pit'], dtype=float)):.2f}"
                          for k, (ev, _) in evals.items()) + "."),
             "",
             ("Intervals are highest-density intervals grown from the posterior mode "
              "(`SlopePosterior.interval`); metrics from `dmprofile.results.evaluate_posteriors`. "
              f"For perfectly calibrated intervals the coverage of {n} mocks scatters by "
              f"±{err68:.0%} (68%) and ±{err95:.0%} (95%) (binomial 1 sigma). Targets for the "
              "Jeans analysis: ~68% and >= 90%.")]
    return "\n".join(text)


def _describe_jeans(args):
    kw = _jeans_kwargs(args)
    kw.pop("workers")
    if "mixture_prior" in kw:
        kw["mixture_prior"] = json.loads(args.mixture_prior)
    if not kw["vsp"]:
        kw.pop("vsp")
    kw.pop("processes", None)
    default = args.nsteps is None and args.nwalkers == 32
    parts = [f"{k}={v!r}" for k, v in kw.items() if k not in ("nsteps", "nwalkers")]
    mixture = kw.get("halo", "mixture") == "mixture"
    steps = ("until 50 autocorrelation times" if args.nsteps is None else
             f"x {args.nsteps} steps")
    sampler = f"{args.nwalkers} walkers {steps}" + (" per halo family" if mixture else "")
    return ("default settings (" if default else "") + sampler + \
        (", " + ", ".join(parts) if parts else "") + (")" if default else "")


def _fit_jeans(key, table, kwargs):
    """One Jeans fit of a benchmark mock (module level, so that it can run in a process pool)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DMProfileWarning)
        res = jeans_analysis(table, seed=key, progress=False, **kwargs)
    extra = {"tau_gamma_150": res.convergence["tau_gamma_150"],
             "tau_max": res.convergence["tau_max"],
             "median": float(np.median(res.samples["gamma_150"]))}
    if res.evidence is not None:
        extra["family_probabilities"] = res.family_probabilities
        extra["log_evidence_err"] = max(e["log_evidence_err"] for e in res.evidence.values())
    return res.slope, extra


def _coverage(args):
    desc, mocks = _mocks(args)
    settings = {"mocks": desc, "jeans": {k: (args.mixture_prior if k == "mixture_prior" else v)
                                         for k, v in _jeans_kwargs(args).items()
                                         if k not in ("workers", "processes")}}
    results = _load(args.out, settings)

    def store():
        return _save(args.out, settings, results)

    labels = {"jeans": "Jeans"}
    if not args.no_jeans:
        kw = _jeans_kwargs(args)
        if args.jobs > 1:
            kw.setdefault("processes", 1)     # one core per fit: the mocks share the cores
        fit = functools.partial(_fit_jeans, kwargs=kw)
        _run_method("jeans", mocks, fit, results, store, jobs=args.jobs)
    if args.model:
        import dmprofile
        from dmprofile.nets._io import get_model

        t0 = time.perf_counter()
        get_model(args.model)
        args.load_time = time.perf_counter() - t0

        def network(key, table):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DMProfileWarning)
                post = dmprofile.infer_slope(table, model=args.model, n_passes=args.n_passes,
                                             seed=key)
            return post, {}

        # a different model is a different method: never reuse another model's posteriors
        net_key = f"network:{Path(args.model).resolve()}:{args.n_passes}"
        _run_method(net_key, mocks, network, results, store)
        labels[net_key] = f"network ({Path(args.model).name})"
    evals = {}
    for name in labels:
        if name in results and all(str(k) in results[name] for k, *_ in mocks):
            evals[name] = _evaluate(name, mocks, results)
    if not evals:
        print("nothing to report (use --model or drop --no-jeans)")
        return 1
    for name, (ev, wall) in evals.items():
        print(ev)
        print(f"{labels[name]}: mean wall time {np.mean(wall):.2f} s per galaxy")
    text = _report(args, desc, mocks, evals, labels)
    print()
    print(text)
    if not args.no_write:
        write_section(args.docs, args.section, text)
        print(f"\nwrote the {args.section} section of {args.docs}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog=__doc__.split("\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    for name in ("speed", "coverage"):
        p = sub.add_parser(name)
        p.add_argument("--nsteps", type=int, default=None,
                       help="steps per walker (default: jeans_analysis's)")
        p.add_argument("--nwalkers", type=int, default=32)
        p.add_argument("--workers", type=int, default=1)
        p.add_argument("--seed", type=int, default=20260401)
        p.add_argument("--halo", default=None, help="Jeans halo family (default: the default)")
        p.add_argument("--anisotropy", default=None)
        p.add_argument("--tracer", default=None, choices=("fit", "r_half"))
        p.add_argument("--tracer-family", default=None,
                       choices=("plummer", "exponential", "zhao", "auto"),
                       help="tracer family of the fitted tracer (default: jeans_analysis's)")
        p.add_argument("--vsp", action="store_true", help="fourth-moment constraints")
        p.add_argument("--priors", default=None,
                       help='prior overrides as JSON, e.g. \'{"n": [0, 1]}\'')
        p.add_argument("--mixture-prior", default=None,
                       help="DefaultDwarfPrior keywords as JSON for the halo mixture, e.g. "
                            "'{\"family_weights\": {\"corenfw\": 1}}' (simulation-based "
                            "calibration on mocks drawn from the same prior)")
        p.add_argument("--quiet", action="store_true")
        p.add_argument("--processes", type=int, default=None,
                       help="processes fitting the halo families (default: jeans_analysis's)")
        p.add_argument("--max-steps", type=int, default=None)
        p.add_argument("--target-tau", type=float, default=None)
    sub.choices["speed"].add_argument("--n-stars", type=int, default=1000)
    sub.choices["speed"].add_argument("--no-write", action="store_true",
                                      help="do not update docs/benchmarks.md")
    sub.choices["speed"].add_argument("--docs", default=DOCS, help="markdown file to update")
    cov = sub.choices["coverage"]
    cov.add_argument("--suite", default=None, help="held-out suite directory")
    cov.add_argument("--n-mocks", type=int, default=50)
    cov.add_argument("--start", type=int, default=0, help="first suite row (default 0)")
    cov.add_argument("--model", default=None, help="trained slope model directory")
    cov.add_argument("--n-passes", type=int, default=100)
    cov.add_argument("--jobs", type=int, default=1,
                     help="Jeans fits of different mocks run at the same time, one process each")
    cov.add_argument("--no-jeans", action="store_true",
                     help="network only (reports Jeans too when --out already holds its fits)")
    cov.add_argument("--out", default=None, help="per-mock results (JSON); resumes from it")
    cov.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    cov.add_argument("--docs", default=DOCS, help="markdown file to update")
    cov.add_argument("--section", default="bench_jeans",
                     help="section of the markdown file to write (default bench_jeans)")
    args = parser.parse_args(argv)
    args.argv = argv
    if args.what == "speed":
        _speed(args)
        return 0
    return _coverage(args)


if __name__ == "__main__":
    sys.exit(main())
