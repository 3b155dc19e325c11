"""Photometric disc fits: a synthetic exponential image and NGC 6195's SDSS images."""

from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits
from astropy.tests.helper import assert_quantity_allclose
from astropy.wcs import WCS

from dmprofile.classical import (
    PhotometricDiscFit,
    bell2003_mass_to_light,
    disc_velocity,
    fit_photometric_disc,
)

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real_discs" / "NGC6195"
PIX = 0.4  # arcsec
DIST = 20 * u.Mpc
KPC_PER_PIX = PIX * 20_000 * np.pi / (180 * 3600)


def exponential_image(*, n=121, r_d=8.0, i0=50.0, q=0.6, pa=30.0, sky=5.0, noise=0.05, seed=0,
                      bulge=0.0):
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [10.0, 10.0]
    w.wcs.crpix = [(n + 1) / 2, (n + 1) / 2]
    w.wcs.cdelt = [-PIX / 3600, PIX / 3600]
    yy, xx = np.mgrid[:n, :n]
    x, y = xx - (n - 1) / 2 + 0.3, yy - (n - 1) / 2 - 0.4
    p = np.radians(pa)
    xr = x * np.cos(p) + y * np.sin(p)
    yr = (-x * np.sin(p) + y * np.cos(p)) / q
    r = np.hypot(xr, yr)
    img = i0 * np.exp(-r / r_d) + bulge * np.exp(-((r / 1.5) ** 0.5) * 4) + sky
    img += np.random.default_rng(seed).normal(0, noise, img.shape)
    return fits.ImageHDU(img, header=w.to_header())


@pytest.mark.slow
def test_recovers_scale_length_surface_brightness_and_axis_ratio():
    fit = fit_photometric_disc(exponential_image(), distance=DIST, color=0.6)
    assert isinstance(fit, PhotometricDiscFit)
    assert_quantity_allclose(fit.r_d, 8.0 * KPC_PER_PIX * u.kpc, rtol=0.03)
    mu0 = 22.5 - 2.5 * np.log10(50.0 / PIX**2)
    assert fit.mu0.value == pytest.approx(mu0, abs=0.05)
    assert fit.ellipticity == pytest.approx(0.4, abs=0.03)
    assert fit.inclination.to_value(u.deg) == pytest.approx(53.1, abs=2.5)
    # face-on light density and the colour relation
    face_on = 10 ** (-0.4 * (mu0 - 5.11 - 21.572)) * 0.6
    assert fit.sigma0_light.value == pytest.approx(face_on, rel=0.06)
    assert_quantity_allclose(fit.mass_to_light, 10 ** (-0.499 + 1.519 * 0.6) * u.Msun / u.Lsun)
    assert_quantity_allclose(fit.disc_mass, 2 * np.pi * fit.sigma0 * fit.r_d**2)
    r = [1, 2] * u.kpc
    assert_quantity_allclose(fit.velocity(r), disc_velocity(r, sigma0=fit.sigma0, r_d=fit.r_d))


def test_bulge_is_skipped_by_the_default_range_and_colour_image():
    g = exponential_image(bulge=400.0)
    r_band = exponential_image(i0=50.0 * 10 ** (0.4 * 0.5), bulge=400.0 * 10 ** (0.4 * 0.5),
                               seed=1)
    fit = fit_photometric_disc(g, distance=DIST, color=r_band)
    assert_quantity_allclose(fit.r_d, 8.0 * KPC_PER_PIX * u.kpc, rtol=0.06)
    assert fit.color == pytest.approx(0.5, abs=0.02)
    assert fit.isophotes["fitted"].sum() >= 3


@pytest.mark.slow
def test_mass_to_light_override_and_no_colour():
    img = exponential_image()
    fit = fit_photometric_disc(img, distance=DIST, mass_to_light=1.5 * u.Msun / u.Lsun)
    assert fit.mass_to_light == 1.5 * u.Msun / u.Lsun
    bare = fit_photometric_disc(img, distance=DIST)
    assert bare.sigma0 is None and bare.disc_mass is None
    with pytest.raises(ValueError, match="no mass-to-light ratio"):
        bare.velocity(1 * u.kpc)


def test_bell2003_relation():
    assert_quantity_allclose(bell2003_mass_to_light([0.2, 0.8], band="i"),
                             10 ** (-0.222 + 0.864 * np.array([0.2, 0.8])) * u.Msun / u.Lsun)
    assert_quantity_allclose(bell2003_mass_to_light(0.6, log_offset=-0.15),
                             bell2003_mass_to_light(0.6) * 10**-0.15)
    with pytest.raises(ValueError, match="argument 'band' must be one of"):
        bell2003_mass_to_light(0.5, band="u")


@pytest.mark.parametrize(("image", "kwargs", "exc", "match"), [
    (np.ones((10, 10)), {}, TypeError, "argument 'image' must be an image HDU"),
    (fits.ImageHDU(np.ones((3, 10, 10))), {}, ValueError, "must be a 2-D image"),
    (fits.ImageHDU(np.ones((10, 10))), {}, ValueError, "argument 'image' has no celestial WCS"),
    (exponential_image(n=41), {"band": "V"}, ValueError, "argument 'band' must be one of"),
    (exponential_image(n=41), {"distance": 20}, TypeError, "argument 'distance'"),
])
def test_errors(image, kwargs, exc, match):
    kwargs = {"distance": DIST, **kwargs}
    with pytest.raises(exc, match=match):
        fit_photometric_disc(image, **kwargs)


@pytest.mark.slow
@pytest.mark.skipif(not (REAL / "ngc6195_SDSS-g.fits").exists(), reason="SDSS images absent")
def test_ngc6195_sdss_disc_against_sparc():
    from dmprofile.datasets import sparc

    meta = sparc("NGC6195").meta
    fit = fit_photometric_disc(REAL / "ngc6195_SDSS-g.fits", distance=meta["distance"] * u.Mpc,
                               color=REAL / "ngc6195_SDSS-r.fits",
                               pixel_area=0.396**2 * u.arcsec**2)
    # g-band scale length: the same order as SPARC's 3.6 micron 13.94 kpc (measured 7.6 kpc;
    # the outer disc is steeper in g), a red Sb colour and a stellar mass near 0.5 L[3.6]
    assert 0.4 < fit.r_d.to_value(u.kpc) / meta["r_disk"] < 1.2
    assert 0.5 < fit.color < 0.9
    mass_36 = 0.5 * meta["l36"] * 1e9
    assert 0.3 < fit.disc_mass.to_value(u.Msun) / mass_36 < 3
