"""Simulate one mock dwarf spheroidal and look at what the slope network sees.

A coreNFW halo with a Plummer stellar tracer and mildly tangential Cuddeford anisotropy is
sampled from its exact equilibrium distribution function, observed along a random line of sight
with 2 km/s velocity errors, and turned into the two 64x64 phase-space images of
Expósito-Márquez et al. (2022).

Run:  python examples/mock_dwarf.py [--out mock_dwarf.png] [--seed 42]
"""

import argparse

import astropy.units as u

from dmprofile.kinematics import phase_space_images
from dmprofile.observe import observe
from dmprofile.profiles import CoreNFW, Cuddeford, Plummer
from dmprofile.simulate import DwarfGalaxy


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="mock_dwarf.png", help="figure file (default %(default)s)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--n-stars", type=int, default=1500)
    args = parser.parse_args(argv)

    halo = CoreNFW.from_M200_c(3e9 * u.Msun, 12, r_c=0.6 * u.kpc, n=0.8)
    galaxy = DwarfGalaxy(halo, Plummer(0.4 * u.kpc), Cuddeford(-0.1, 1.5 * u.kpc))
    stars = observe(galaxy.sample(args.n_stars, seed=args.seed), v_err=2 * u.km / u.s,
                    v_sys=55 * u.km / u.s, seed=args.seed + 1)

    truth = stars.meta
    print(galaxy.halo)
    print(f"true log-slope at 150 pc  gamma_150 = {truth['gamma_150']:.3f}")
    print(f"rho(150 pc) = {truth['rho_150']:.3e} Msun/kpc3,  "
          f"M(<150 pc) = {truth['M_150']:.3e} Msun")
    print(f"{len(stars)} stars, sigma_los = {stars['v_los'].std():.2f}")

    images = phase_space_images(stars)
    print(images)
    axes = images.plot()
    axes[0].figure.suptitle(f"mock dwarf: gamma_150 = {truth['gamma_150']:.2f}")
    axes[0].figure.savefig(args.out, dpi=120, bbox_inches="tight")
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
