"""The disc population of `DefaultDiscPrior` against the observed scaling relations.

For ``--n-galaxies`` draws of ``DefaultDiscPrior()`` (seed ``--seed``, log-uniform M* in
1e10-1e12 Msun) it prints, in bins of stellar mass, the median and the 1st/99th percentiles of

* V_circ(2 r_half), the mid-plane circular velocity at twice the 3-D stellar half-mass radius
  (the rotation velocity of the Tully-Fisher relation of Hall et al. 2012 used by de los Rios et
  al. 2023), with that relation's prediction at the bin centre;
* log10 M200, the concentration c, log10 M_HI and log10 (M_HI / M*),

and the offset of the realised HI diameters (where Sigma_HI = 1 Msun/pc^2) from the relation of
Wang et al. (2016) (scatter 0.06 dex),

and the section ``disc_prior`` of docs/benchmarks.md (``--label`` names the table, so that a
before/after pair can be kept by running it twice with different labels and ``--keep``).

Run:  python benchmarks/bench_disc_prior.py [--n-galaxies 600] [--seed 1] [--prior JSON]
      [--label TEXT] [--keep] [--no-write]
"""

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np
from astropy import units as u

from dmprofile.classical import tully_fisher_velocity
from dmprofile.simulate import DefaultDiscPrior
from dmprofile.simulate._disc_relations import wang16_log_hi_diameter

from _report import machine, write_section

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
EDGES = (10.0, 10.5, 11.0, 11.5, 12.0)


def population(n_galaxies, seed, settings=None):
    """Return a dict of arrays (log M*, V_circ(2 r_half), log M200, c, log M_HI, D_HI)."""
    prior = DefaultDiscPrior(**(settings or {}))
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n_galaxies):
        params = prior.draw(rng)
        truth = prior.galaxy(params).truth()
        rows.append((params["log_mstar"], truth["v_circ_2rhalf"], params["log_m200"],
                     params["c"], params["log_hi_mass"], truth["hi_diameter"]))
    names = ("log_mstar", "v", "log_m200", "c", "log_hi", "d_hi")
    return dict(zip(names, np.array(rows).T))


def _stats(x):
    return f"{np.median(x):.3g} [{np.percentile(x, 1):.3g}, {np.percentile(x, 99):.3g}]"


def table(pop):
    """Return the markdown lines of the binned table."""
    lines = ["| log10 M* | N | V_circ(2 r_half) [km/s] | Hall+2012 TF | offset [dex] | "
             "log10 M200 | c | log10 M_HI | log10 M_HI/M* |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    bins = list(zip(EDGES[:-1], EDGES[1:])) + [(EDGES[0], EDGES[-1])]
    for lo, hi in bins:
        sel = (pop["log_mstar"] >= lo) & (pop["log_mstar"] <= hi)
        if not np.any(sel):
            continue
        centre = np.median(pop["log_mstar"][sel])
        tf = tully_fisher_velocity(10**centre * u.Msun).value.to_value(u.km / u.s)
        label = "all" if (lo, hi) == (EDGES[0], EDGES[-1]) else f"{lo:.1f}-{hi:.1f}"
        offset = np.log10(np.median(pop["v"][sel]) / tf)
        lines.append(f"| {label} | {sel.sum()} | {_stats(pop['v'][sel])} | {tf:.0f} | "
                     f"{offset:+.3f} | {_stats(pop['log_m200'][sel])} | {_stats(pop['c'][sel])} | "
                     f"{_stats(pop['log_hi'][sel])} | "
                     f"{_stats(pop['log_hi'][sel] - pop['log_mstar'][sel])} |")
    size = np.log10(pop["d_hi"]) - wang16_log_hi_diameter(pop["log_hi"])
    lines += ["", f"HI diameters against Wang et al. (2016): median offset {np.median(size):+.3f} "
              f"dex, standard deviation {np.std(size):.3f} dex, range [{size.min():+.2f}, "
              f"{size.max():+.2f}] dex."]
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-galaxies", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prior", default="{}",
                        help="JSON dict of DefaultDiscPrior settings (default: none)")
    parser.add_argument("--label", default="current `DefaultDiscPrior()`")
    parser.add_argument("--keep", action="store_true",
                        help="append this table to the section instead of replacing it")
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    pop = population(args.n_galaxies, args.seed, json.loads(args.prior))
    elapsed = time.perf_counter() - start
    lines = table(pop)
    print("\n".join(lines))
    print(f"({elapsed:.0f} s for {args.n_galaxies} draws)")
    block = [f"### {args.label}", "",
             f"Command: `python benchmarks/bench_disc_prior.py --n-galaxies {args.n_galaxies} "
             f"--seed {args.seed}" + (f" --prior '{args.prior}'" if args.prior != "{}" else "")
             + "`; median [1st, 99th percentile]; Hall+2012 TF is "
             "`dmprofile.classical.tully_fisher_velocity` at the bin's median M*.", "", *lines]
    if args.no_write:
        return
    header = ["## Disc population against scaling relations (`benchmarks/bench_disc_prior.py`)",
              "", f"Machine: {machine()}.", ""]
    previous = []
    if args.keep and DOCS.exists():
        match = re.search(r"<!-- disc_prior start -->\n(.*?)<!-- disc_prior end -->",
                          DOCS.read_text(), re.DOTALL)
        if match:
            old = match.group(1)
            previous = [old[old.index("### "):].rstrip(), ""] if "### " in old else []
    write_section(DOCS, "disc_prior", "\n".join(header + previous + block))
    print(f"written to {DOCS}")


if __name__ == "__main__":
    main()
