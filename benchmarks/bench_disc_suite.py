"""Disc-galaxy suites: the HI flux the paper's 64-channel band clips, and the cost of a suite.

Two measurements, printed and written to the ``disc_suite`` section of docs/benchmarks.md:

* ``clip``: for ``--n-galaxies`` galaxies of `DefaultDiscPrior` (seed ``--seed``), the fraction
  of the HI flux outside the paper's band (64 channels of 5 km/s, +-160 km/s;
  `dmprofile.observe.clipped_flux_fraction`) at the drawn inclination, overall and by stellar
  mass; the default set-up sizes the band to the galaxy and clips nothing.
* ``suite``: a small suite with the default recipe (8 channels, 128 x 128 pixels, 20,000 star
  and 20,000 gas particles) on one worker: seconds per realisation and bytes on disk per
  realisation, extrapolated to the default training suite (3,000 galaxies x 3 realisations).

Run:  python benchmarks/bench_disc_suite.py [--n-galaxies 300] [--suite-galaxies 4] [--no-write]
"""

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from astropy import units as u

from dmprofile.observe import HISetup, clipped_flux_fraction
from dmprofile.simulate import DefaultDiscPrior
from dmprofile.suites import generate_disc_suite, read_suite

from _report import machine, write_section

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def clipped_fractions(n_galaxies, seed, n_gas):
    """Return log10 M* and the clipped HI flux fraction of ``n_galaxies`` prior draws."""
    prior = DefaultDiscPrior()
    rng = np.random.default_rng(seed)
    setup = HISetup.paper()
    log_mstar, clipped = [], []
    for _ in range(n_galaxies):
        params = prior.draw(rng)
        particles = prior.galaxy(params).sample(1, n_gas, seed=rng)
        clipped.append(clipped_flux_fraction(particles, setup=setup,
                                             inclination=params["inclination"] * u.deg))
        log_mstar.append(params["log_mstar"])
    return np.array(log_mstar), np.array(clipped)


def clip_report(log_mstar, clipped, args):
    lines = [f"Clipped HI flux with the paper's band (64 channels of 5 km/s): {len(clipped)} "
             f"galaxies of `DefaultDiscPrior()` (seed {args.seed}, {args.n_gas} gas particles "
             "each, isotropic inclinations).", "",
             "| log10 M* | galaxies | median clipped | 90th percentile | > 1% clipped | "
             "> 10% clipped |", "| --- | --- | --- | --- | --- | --- |"]
    edges = [10.0, 10.5, 11.0, 11.5, 12.0]
    bins = [(lo, hi) for lo, hi in zip(edges[:-1], edges[1:])] + [(edges[0], edges[-1])]
    for lo, hi in bins:
        sel = (log_mstar >= lo) & (log_mstar <= hi)
        if not np.any(sel):
            continue
        c = clipped[sel]
        label = "all" if (lo, hi) == (edges[0], edges[-1]) else f"{lo:.1f}-{hi:.1f}"
        lines.append(f"| {label} | {sel.sum()} | {np.median(c):.1%} | "
                     f"{np.percentile(c, 90):.1%} | {np.mean(c > 0.01):.0%} | "
                     f"{np.mean(c > 0.1):.0%} |")
    return lines


def suite_report(n_galaxies, seed):
    tmp = Path(tempfile.mkdtemp(prefix="bench_disc_suite_"))
    try:
        start = time.perf_counter()
        path = generate_disc_suite(tmp / "suite", n_galaxies=n_galaxies, realisations=3,
                                   seed=seed, workers=1, progress=False)
        elapsed = time.perf_counter() - start
        suite = read_suite(path)
        size = sum(p.stat().st_size for p in Path(path).glob("*"))
    finally:
        shutil.rmtree(tmp)
    n = len(suite)
    per_row, per_row_bytes = elapsed / n, size / n
    full = 3000 * 3
    print(f"suite: {n} realisations in {elapsed:.1f} s ({per_row:.2f} s each), "
          f"{per_row_bytes / 1e3:.0f} kB each")
    return [f"A suite of {n_galaxies} galaxies x 3 realisations with the default recipe (8 "
            "channels, 128 x 128 pixels, 20,000 star and 20,000 gas particles, MARTINI HI cube, "
            f"moments), one worker: {per_row:.2f} s and {per_row_bytes / 1e3:.0f} kB on disk "
            f"per realisation (float16 channels). The default training suite (3,000 galaxies x "
            f"3 realisations) would take {full * per_row / 3600:.1f} core-hours and "
            f"{full * per_row_bytes / 1e9:.1f} GB."]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-galaxies", type=int, default=300, help="galaxies for the clip test")
    parser.add_argument("--n-gas", type=int, default=5000, help="gas particles per galaxy")
    parser.add_argument("--suite-galaxies", type=int, default=4,
                        help="galaxies of the timed suite (0: skip it)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    log_mstar, clipped = clipped_fractions(args.n_galaxies, args.seed, args.n_gas)
    lines = clip_report(log_mstar, clipped, args)
    print("\n".join(lines))
    print(f"({time.perf_counter() - start:.0f} s)")
    if args.suite_galaxies:
        lines += [""] + suite_report(args.suite_galaxies, args.seed)
    text = ["## Disc suites: clipped HI flux and cost (`benchmarks/bench_disc_suite.py`)", "",
            f"Machine: {machine()}.", "",
            f"Command: `python benchmarks/bench_disc_suite.py --n-galaxies {args.n_galaxies} "
            f"--n-gas {args.n_gas} --suite-galaxies {args.suite_galaxies} --seed {args.seed}`.",
            "", *lines]
    if not args.no_write:
        write_section(DOCS, "disc_suite", "\n".join(text))
        print(f"written to {DOCS}")


if __name__ == "__main__":
    main()
