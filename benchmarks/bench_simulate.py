"""Benchmark of the equilibrium dwarf-galaxy simulator (dmprofile.simulate.DwarfGalaxy).

Reports, for a few model types, how many galaxies of 1,000 stars one core builds and samples per
second (DF tables included: one fresh `DwarfGalaxy` per galaxy), and the ratio to galpy's
Osipkov-Merritt sampler (``galpy.df.osipkovmerrittdf``) on the same NFW + Hernquist model, in the
same run. The result is printed and written into ``docs/benchmarks.md`` between the
``<!-- bench_simulate start -->`` / ``<!-- bench_simulate end -->`` markers (other benchmark
scripts own the rest of that file).

Run with::

    python benchmarks/bench_simulate.py [--repeats 20] [--no-galpy] [--no-write]

Timings are CPU time of this (single-threaded) process, i.e. per core; wall-clock rates are shown
too. The script never fails on timing.
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from astropy import units as u

from dmprofile._utils import G_KPC
from dmprofile.profiles import (
    DC14,
    NFW,
    Burkert,
    CoreNFW,
    Cuddeford,
    Exponential,
    Isotropic,
    OsipkovMerritt,
    Plummer,
    Zhao,
)
from dmprofile.simulate import DwarfGalaxy

from _report import machine, write_section  # benchmarks/ helper

N_STARS = 1000

# the model galpy also samples: NFW halo, Hernquist tracer, OM anisotropy
GALPY_NFW = {"rho_s": 1e7, "r_s": 1.5, "a": 0.4, "r_a": 0.8}


def _models():
    g = GALPY_NFW
    hernquist = Zhao(1 * u.Msun / u.kpc**3, g["a"] * u.kpc, alpha=1, beta=4, gamma=1)
    return {
        "NFW + Hernquist, OM (galpy model)": lambda: DwarfGalaxy(
            NFW(g["rho_s"] * u.Msun / u.kpc**3, g["r_s"] * u.kpc), hernquist,
            OsipkovMerritt(g["r_a"] * u.kpc), r_trunc=1e4 * g["r_s"] * u.kpc),
        "NFW + Plummer, Cuddeford(-0.2, r_a)": lambda: DwarfGalaxy(
            NFW.from_M200_c(1e9 * u.Msun, 15), Plummer(0.3 * u.kpc),
            Cuddeford(-0.2, 0.6 * u.kpc)),
        "Burkert + Plummer, isotropic": lambda: DwarfGalaxy(
            Burkert(2e7 * u.Msun / u.kpc**3, 1 * u.kpc), Plummer(0.3 * u.kpc), Isotropic()),
        "coreNFW + Exponential, OM": lambda: DwarfGalaxy(
            CoreNFW.from_M200_c(1e9 * u.Msun, 15, r_c=0.5 * u.kpc, n=1), Exponential(0.2 * u.kpc),
            OsipkovMerritt(0.5 * u.kpc)),
        "DC14 + Plummer, beta = -0.3": lambda: DwarfGalaxy(
            DC14(1e9 * u.Msun, 15, log_mstar_mhalo=-2.5), Plummer(0.3 * u.kpc), Cuddeford(-0.3)),
    }


def _rate(make, repeats):
    """Galaxies per CPU-second and per wall-second: build the model and draw N_STARS stars."""
    make().sample(N_STARS, seed=0)  # warm-up (imports, caches)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(repeats):
        make().sample(N_STARS, seed=i)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return repeats / cpu, repeats / wall


def _galpy_rate(repeats):
    from galpy.df import osipkovmerrittdf
    from galpy.potential import HernquistPotential, NFWPotential

    g = GALPY_NFW
    ro, vo = 1.0, 100.0
    m_unit = vo**2 * ro / G_KPC

    def make():
        pot = NFWPotential(amp=4 * np.pi * g["rho_s"] * g["r_s"] ** 3 / m_unit, a=g["r_s"] / ro,
                           ro=ro, vo=vo)
        dens = HernquistPotential(amp=1.0, a=g["a"] / ro, ro=ro, vo=vo)
        df = osipkovmerrittdf(pot=pot, denspot=dens, ra=g["r_a"] / ro, ro=ro, vo=vo)
        df.sample(n=N_STARS)
        return df

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cpu0 = time.process_time()
        for _ in range(repeats):
            df = make()
        cpu = time.process_time() - cpu0
        # sampling only, from an existing DF
        cpu0 = time.process_time()
        for _ in range(repeats):
            df.sample(n=N_STARS)
        cpu_sample = time.process_time() - cpu0
    return repeats / cpu, repeats / cpu_sample


def _sample_only_rate(make, repeats):
    galaxy = make()
    cpu0 = time.process_time()
    for i in range(repeats):
        galaxy.sample(N_STARS, seed=i)
    return repeats / (time.process_time() - cpu0)






def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="galaxies per model (default 20)")
    parser.add_argument("--galpy-repeats", type=int, default=2)
    parser.add_argument("--no-galpy", action="store_true", help="skip the galpy comparison")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--out",
                        default=Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)

    rows = []
    ours_galpy_model = None
    for name, make in _models().items():
        cpu_rate, wall_rate = _rate(make, args.repeats)
        rows.append((name, cpu_rate, wall_rate))
        if ours_galpy_model is None:
            ours_galpy_model = cpu_rate
        print(f"{name:40s} {cpu_rate:8.1f} galaxies/s/core (CPU)  {wall_rate:8.1f} /s (wall)")
    galpy_line = "galpy comparison skipped"
    if not args.no_galpy:
        g_cpu, g_sample = _galpy_rate(args.galpy_repeats)
        ours_sample = _sample_only_rate(next(iter(_models().values())), 10 * args.repeats)
        galpy_line = (f"galpy `osipkovmerrittdf` on the same NFW + Hernquist OM model: "
                      f"{g_cpu:.3f} galaxies/s/core (DF set-up + {N_STARS} stars), i.e. dmprofile "
                      f"is {ours_galpy_model / g_cpu:.0f}x faster; sampling {N_STARS} stars from "
                      "an "
                      f"existing DF: galpy {g_sample:.2f}/s, dmprofile {ours_sample:.0f}/s "
                      f"({ours_sample / g_sample:.0f}x)")
        print(galpy_line)

    lines = ["## Simulator: equilibrium dwarf galaxies (`benchmarks/bench_simulate.py`)", "",
             f"Machine: {machine()}. Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
             "",
             "One galaxy = building a `DwarfGalaxy` (DF inversion and sampling tables) and "
             f"drawing {N_STARS} stars with `sample`; {args.repeats} galaxies per model, single "
             "process. "
             "Target: >= 20 galaxies/s/core.", "",
             "| model | galaxies/s/core (CPU time) | galaxies/s (wall) |", "|---|---|---|"]
    lines += [f"| {name} | {cpu:.1f} | {wall:.1f} |" for name, cpu, wall in rows]
    lines += ["", galpy_line + ".", ""]
    if not args.no_write:
        write_section(args.out, "bench_simulate", "\n".join(lines))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
