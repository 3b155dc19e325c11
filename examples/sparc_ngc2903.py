"""NGC 2903 from its WHISP HI cube and SPARC, and NGC 6195's SDSS disc: the docs figures.

Usage::

    python examples/sparc_ngc2903.py [--data ../shared/data/real_discs] [--out docs/_static]

Makes the figures of the classical disc tutorial (docs/classical_discs.rst):

* ``ngc2903_moments.png``: moment 0, 1 and 2 of the WHISP cube (`hi_moment_maps`);
* ``ngc2903_rings.png``: the tilted-ring rotation curve (`fit_tilted_rings`) against SPARC's;
* ``ngc2903_nfw.png``: NFW decompositions of both curves (`fit_rotation_curve`) and their
  enclosed dark-matter mass profiles on one axis;
* ``ngc6195_photometry.png``: the g-band isophote profile and exponential disc
  (`fit_photometric_disc`) against SPARC's 3.6 micron scale length.

The tilted-ring curve has no mass model of its own: SPARC's gas and disc velocities of NGC 2903
are interpolated to the ring radii (both curves assume the same distance, 6.6 Mpc).
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from astropy import units as u  # noqa: E402
from astropy.wcs import WCS  # noqa: E402

from dmprofile.classical import (  # noqa: E402
    fit_photometric_disc,
    fit_rotation_curve,
    fit_tilted_rings,
    hi_moment_maps,
)
from dmprofile.datasets import sparc  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "real_discs"


def moments_figure(maps, out):
    fig = plt.figure(figsize=(10, 3.6))
    titles = {"MOM0": "moment 0 [Jy/beam km/s]", "MOM1": "moment 1 [km/s]",
              "MOM2": "moment 2 [km/s]"}
    for k, name in enumerate(("MOM0", "MOM1", "MOM2")):
        ax = fig.add_subplot(1, 3, k + 1, projection=WCS(maps[name].header))
        im = ax.imshow(maps[name].data, origin="lower",
                       cmap="RdBu_r" if name == "MOM1" else "viridis")
        fig.colorbar(im, ax=ax, fraction=0.046)
        ax.set_title(titles[name], fontsize=9)
        ax.coords[0].set_axislabel("RA")
        ax.coords[1].set_axislabel("Dec" if k == 0 else " ")
    fig.suptitle("NGC 2903, WHISP HI cube", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "ngc2903_moments.png", dpi=70)
    plt.close(fig)


def with_sparc_baryons(rings, ref):
    """Return the ring curve with SPARC's gas and disc velocities at its radii."""
    curve = rings["radius", "v_rot", "v_err"].copy()
    curve.rename_column("v_rot", "v_obs")
    r = curve["radius"].to_value(u.kpc)
    for col in ("v_gas", "v_disk", "v_bul"):
        curve[col] = np.interp(r, ref["radius"].to_value(u.kpc), ref[col].value) * ref[col].unit
    curve.meta.update(rings.meta)
    curve.meta["inc_err"] = max(rings.meta["inc_err"], 3.0)
    curve.meta["galaxy"] = "NGC2903 (tilted rings)"
    return curve


def rings_figure(rings, ref, out):
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(ref["radius"].value, ref["v_obs"].value, ref["v_err"].value, fmt="o", ms=3,
                color="0.4", label=f"SPARC (Begeman 1987, i = {ref.meta['inc']:.0f} deg)")
    ax.errorbar(rings["radius"].value, rings["v_rot"].value, rings["v_err"].value, fmt="s",
                ms=4, color="C3", label=f"tilted rings, WHISP (i = {rings.meta['inc']:.0f} deg)")
    ax.set_xlabel("R [kpc]")
    ax.set_ylabel("v_rot [km/s]")
    ax.set_title("NGC 2903 rotation curve (D = 6.6 Mpc)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "ngc2903_rings.png", dpi=80)
    plt.close(fig)


def nfw_figure(fit_sparc, fit_rings, out):
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    fit_sparc.plot(axes[0])
    fit_rings.plot(axes[1])
    fit_sparc.mass_profile().plot(axes[2], label="SPARC curve")
    fit_rings.mass_profile().plot(axes[2], label="tilted-ring curve")
    axes[2].set_title("enclosed dark-matter mass (NFW)", fontsize=10)
    axes[2].legend(fontsize=8)
    for ax in axes[:2]:
        ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(out / "ngc2903_nfw.png", dpi=70)
    plt.close(fig)


def photometry_figure(fit, ref, out):
    fig, ax = plt.subplots(figsize=(6, 4))
    fit.plot(ax)
    r = np.linspace(0, fit.isophotes["radius"].max().value, 50)
    mu_at = np.interp(20.0, fit.isophotes["radius"].value, fit.isophotes["mu"].value)
    ax.plot(r, mu_at + 1.0857 * (r - 20.0) / ref.meta["r_disk"], "--", color="C0",
            label=f"slope of SPARC's 3.6 um R_d = {ref.meta['r_disk']} kpc")
    ax.set_title(f"NGC 6195, SDSS g (g - r = {fit.color:.2f})", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "ngc6195_photometry.png", dpi=80)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "_static")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    ref = sparc("NGC2903")
    maps = hi_moment_maps(args.data / "NGC2903" / "NGC_2903.fits")
    moments_figure(maps, args.out)
    rings = fit_tilted_rings(maps, hdu="MOM1", distance=ref.meta["distance"] * u.Mpc,
                             distance_err=ref.meta["dist_err"] * u.Mpc)
    rings_figure(rings, ref, args.out)
    fit_sparc = fit_rotation_curve(ref, seed=1)
    fit_rings = fit_rotation_curve(with_sparc_baryons(rings, ref), seed=1)
    nfw_figure(fit_sparc, fit_rings, args.out)
    for label, fit in (("SPARC", fit_sparc), ("rings", fit_rings)):
        print(label, fit)
        print(fit.to_table()["parameter", "median", "err_minus", "err_plus"])
    ref6195 = sparc("NGC6195")
    g = args.data / "NGC6195" / "ngc6195_SDSS-g.fits"
    phot = fit_photometric_disc(g, distance=ref6195.meta["distance"] * u.Mpc,
                                color=g.with_name("ngc6195_SDSS-r.fits"),
                                pixel_area=0.396**2 * u.arcsec**2)
    photometry_figure(phot, ref6195, args.out)
    print(f"NGC 6195: R_d(g) = {phot.r_d:.2f} +- {phot.r_d_err:.2f} (SPARC 3.6 um: "
          f"{ref6195.meta['r_disk']} kpc), g - r = {phot.color:.2f}, M/L_g = "
          f"{phot.mass_to_light:.2f}, M_disc = {phot.disc_mass:.3g}")
    print(rings["radius", "v_rot", "v_err", "inclination", "position_angle"])


if __name__ == "__main__":
    main()
