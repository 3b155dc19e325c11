"""Benchmark of the disc-galaxy observing pipeline (dmprofile.observe).

Measures the cost of one realisation (orientation, noise) of a synthetic disc galaxy with the
paper's set-up: SDSS ugriz images (20,000 star particles, 128 x 128 pixels), the MARTINI HI cube
(20,000 gas particles, 5 km/s channels over the default wide band) and the moment maps, each
step separately, as CPU time of this process (MARTINI runs single-threaded, so CPU time is time
per core) and wall time. MARTINI's numba compilation (~1-2 s, once per process) is excluded by a
warm-up realisation. Also reports the fraction of the HI flux the paper's 64 channels would
clip for the galaxy at a few inclinations (the suite-wide figure is measured by the suites).

Run with::

    nice -n 10 python benchmarks/bench_observe_discs.py [--repeats 5] [--no-write]

The result is printed and written into ``docs/benchmarks.md`` between the
``<!-- bench_observe_discs start -->`` / ``<!-- bench_observe_discs end -->`` markers. Never
fails on timing.
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
from astropy import units as u

from dmprofile.observe import HISetup, clipped_flux_fraction, hi_cube, moment_maps, sdss_images
from dmprofile.simulate import DiscGalaxy

from _report import machine, write_section  # benchmarks/ helper

ROOT = Path(__file__).resolve().parents[1]


def _timed(func, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    out = func(*args, **kwargs)
    return out, time.process_time() - cpu, time.perf_counter() - wall


def realisation(particles, rng):
    geometry = {"distance": rng.uniform(10, 20) * u.Mpc,
                "inclination": np.degrees(np.arccos(rng.uniform(0.1, 0.95))) * u.deg,
                "position_angle": rng.uniform(0, 360) * u.deg}
    seed = int(rng.integers(2**31))
    _, t_img, w_img = _timed(sdss_images, particles, **geometry, seed=seed)
    cube, t_cube, w_cube = _timed(hi_cube, particles, **geometry, seed=seed)
    _, t_mom, w_mom = _timed(moment_maps, cube)
    return (t_img, t_cube, t_mom), (w_img, w_cube, w_mom), cube.data.shape[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    galaxy = DiscGalaxy(stellar_mass=5e10 * u.Msun, disc_scale_length=3 * u.kpc,
                        m200=1.5e12 * u.Msun, c=8.0, hi_mass=8e9 * u.Msun, bulge_fraction=0.2,
                        contraction=0.5)
    particles = galaxy.sample(20_000, 20_000, seed=1)
    rng = np.random.default_rng(2)
    realisation(particles, rng)  # warm-up: numba compilation of MARTINI
    cpu, wall, channels = [], [], []
    for _ in range(args.repeats):
        c, w, n = realisation(particles, rng)
        cpu.append(c)
        wall.append(w)
        channels.append(n)
    cpu, wall = np.array(cpu), np.array(wall)
    total_cpu, total_wall = cpu.sum(axis=1), wall.sum(axis=1)
    clipped = {inc: clipped_flux_fraction(particles, inclination=inc * u.deg,
                                          setup=HISetup.paper()) for inc in (30, 60, 90)}
    load = os.getloadavg()
    lines = [
        "## Disc observations (`benchmarks/bench_observe_discs.py`)",
        "",
        f"One realisation of a DiscGalaxy (M* = 5e10 Msun, M_HI = 8e9 Msun, v_c(10 kpc) = "
        f"{galaxy.circular_velocity(10 * u.kpc).to_value(u.km / u.s):.0f} km/s) with 20,000 "
        "star and 20,000 gas particles, the paper's set-up (128 x 128 pixels over 17.2', 5 km/s "
        f"channels, default wide band: {min(channels)}-{max(channels)} channels), random "
        f"orientation and distance (10-20 Mpc); median of {args.repeats} realisations after a "
        "warm-up (MARTINI's numba compilation, ~1-2 s once per process, excluded).",
        "",
        "| step | CPU s (per core) | wall s |",
        "|---|---|---|",
    ]
    for k, name in enumerate(("SDSS ugriz images", "HI cube (MARTINI)", "moment maps")):
        lines.append(f"| {name} | {np.median(cpu[:, k]):.3f} | {np.median(wall[:, k]):.3f} |")
    lines += [f"| **total** | **{np.median(total_cpu):.3f}** | **{np.median(total_wall):.3f}** |",
              "",
              "Target: <= 2 s per realisation per core. HI flux clipped by the paper's 64 "
              "channels (+-160 km/s) for this galaxy: "
              + ", ".join(f"{f:.1%} at i = {inc} deg" for inc, f in clipped.items())
              + " (0 with the default band).",
              "",
              f"Machine: {machine()}. Load average during the run: {load[0]:.2f}, "
              f"{load[1]:.2f}, {load[2]:.2f} (1, 5, 15 min). "
              f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}."]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(args.out, "bench_observe_discs", text)


if __name__ == "__main__":
    main()
