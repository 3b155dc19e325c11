"""Mock and real disc-galaxy observations side by side (the pictures of docs/observe_discs.rst).

Top row: a synthetic disc galaxy (`dmprofile.simulate.DiscGalaxy`, 20,000 star and 20,000 gas
particles) observed with the paper's set-up (SDSS ugriz in nanomaggies, MARTINI HI cube, moment
maps). Bottom row: real data put on a network grid by `reproject_image` / `reproject_cube`:
SDSS g, r, i of NGC 6195 and the WHISP HI cube of NGC 2903 (../shared/data/real_discs).

Run from the repository root: ``MPLBACKEND=Agg .venv/bin/python examples/disc_observations.py``.
It writes docs/_static/observe_mock_vs_real.png.
"""

from pathlib import Path

import astropy.units as u
import matplotlib.pyplot as plt
from astropy.io import fits

from dmprofile.observe import (
    CHANNELS,
    HISetup,
    ImagingSetup,
    moment_maps,
    observe_disc,
    plot_observation,
    reproject_cube,
    reproject_image,
)
from dmprofile.simulate import DiscGalaxy

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real_discs"
OUTPUT = ROOT / "docs" / "_static" / "observe_mock_vs_real.png"


def mock_observation(seed=1):
    galaxy = DiscGalaxy(stellar_mass=5e10 * u.Msun, disc_scale_length=3 * u.kpc,
                        m200=1.5e12 * u.Msun, c=8.0, hi_mass=8e9 * u.Msun, bulge_fraction=0.2,
                        contraction=0.5)
    particles = galaxy.sample(20_000, 20_000, seed=seed)
    return observe_disc(particles, distance=15 * u.Mpc, inclination=60 * u.deg,
                        position_angle=30 * u.deg, seed=seed)


def real_observation():
    # NGC 6195 (D ~ 128 Mpc): the 3.3' cut-out on 128 pixels; values are nanomaggies per
    # original SDSS pixel of 0.396", i.e. a surface brightness
    imaging = ImagingSetup(field_of_view=3.3 * u.arcmin)
    sdss_pixel = u.nanomaggy / (0.396 * u.arcsec) ** 2
    images = [reproject_image(REAL / "NGC6195" / f"ngc6195_SDSS-{band}.fits", unit=sdss_pixel,
                              setup=imaging, band=band) for band in "gri"]
    # NGC 2903: the WHISP cube (57" x 48" beam) on the paper's HI grid, 5 km/s channels
    cube = reproject_cube(REAL / "NGC2903" / "NGC_2903.fits", setup=HISetup())
    return fits.HDUList([fits.PrimaryHDU(), *images, *moment_maps(cube)[1:]])


def main():
    mock = mock_observation()
    fig, axes = plt.subplots(2, 8, figsize=(16, 4.6))
    plot_observation(mock, CHANNELS, axes=axes[0], velocity_limit=250 * u.km / u.s)
    axes[0, 0].set_ylabel("mock (DiscGalaxy)\n15 Mpc, i = 60 deg", fontsize=8)
    if REAL.exists():
        real = real_observation()
        for ax in (axes[1, 0], axes[1, 4]):
            ax.set_axis_off()
        plot_observation(real, ("g", "r", "i"), axes=axes[1, 1:4])
        plot_observation(real, ("mom0", "mom1", "mom2"), axes=axes[1, 5:8],
                         velocity_limit=250 * u.km / u.s)
        axes[1, 1].set_ylabel("real: SDSS NGC 6195\nWHISP NGC 2903", fontsize=8)
    fig.subplots_adjust(wspace=0.45, hspace=0.3, left=0.04, right=0.98)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUTPUT, dpi=60)
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
