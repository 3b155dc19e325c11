import numpy as np
import pytest
from astropy import units as u
from astropy.wcs import WCS
from disc_toys import toy_galaxy

from dmprofile.observe import ImagingSetup, sdss_images, sky_noise_per_pixel, ssp_absolute_magnitude

GEOMETRY = {"distance": 15 * u.Mpc, "inclination": 45 * u.deg, "position_angle": 20 * u.deg}


def test_total_flux_matches_ssp_magnitude():
    g = toy_galaxy(3000, 10, age=3.0, metallicity=0.008, stellar_mass=2e10)
    setup = ImagingSetup(n_pixels=64, noise=False)
    hdus = sdss_images(g, **GEOMETRY, setup=setup, bands="gz")
    for band in "gz":
        m1 = ssp_absolute_magnitude(3 * u.Gyr, 0.008, band=band).to_value(u.mag)
        expected = 2e10 * 10 ** (-0.4 * (m1 + 5 * np.log10(15e5) - 22.5))
        assert hdus[band.upper()].data.sum() == pytest.approx(expected, rel=2e-3)
        header = hdus[band.upper()].header
        assert header["BUNIT"] == "nanomaggy" and header["FILTER"] == band
        assert WCS(header).has_celestial


def test_dust_dims_blue_more_than_red():
    g = toy_galaxy(500, 10)
    setup = ImagingSetup(n_pixels=32, noise=False)
    clear = sdss_images(g, **GEOMETRY, setup=setup, bands="uz")
    dusty = sdss_images(g, **GEOMETRY, setup=setup, bands="uz", dust_av=1 * u.mag)
    ratio = {b: dusty[b].data.sum() / clear[b].data.sum() for b in "UZ"}
    assert ratio["U"] < ratio["Z"] < 1


def test_sky_noise_per_pixel_matches_sky_brightness():
    g = toy_galaxy(50, 10, stellar_mass=1.0)  # no light to speak of
    setup = ImagingSetup(n_pixels=64)
    img = sdss_images(g, **GEOMETRY, setup=setup, bands="r", seed=1)["R"].data
    sky, sigma = sky_noise_per_pixel(setup, "r")
    pixel = setup.pixel_scale.to_value(u.arcsec)
    assert sky.to_value(u.nanomaggy) == pytest.approx(10 ** (-0.4 * (20.84 - 22.5)) * pixel**2)
    e = sky.to_value(u.nanomaggy) * 192.0 * 4.72
    assert sigma.to_value(u.nanomaggy) == pytest.approx(np.sqrt(e) / (192.0 * 4.72))
    assert np.std(img) == pytest.approx(sigma.to_value(u.nanomaggy), rel=0.03)
    assert abs(np.mean(img)) < 5 * sigma.to_value(u.nanomaggy) / 64


def test_seed_reproducible():
    g = toy_galaxy(200, 10)
    a, b = (sdss_images(g, **GEOMETRY, setup=ImagingSetup(n_pixels=16), bands="r", seed=4)
            for _ in range(2))
    np.testing.assert_array_equal(a["R"].data, b["R"].data)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"bands": "ugrizy"}, ValueError, "bands"),
    ({"distance": 15 * u.s}, u.UnitTypeError, "distance"),
    ({"dust_av": -1 * u.mag}, ValueError, "dust_av"),
    ({"setup": "paper"}, TypeError, "setup"),
])
def test_bad_input(kwargs, error, match):
    args = {**GEOMETRY, **kwargs}
    with pytest.raises(error, match=match):
        sdss_images(toy_galaxy(10, 10), **args)


def test_empty_and_wrong_particles():
    g = toy_galaxy(0, 10)
    with pytest.raises(ValueError, match="no star particles"):
        sdss_images(g, **GEOMETRY)
    with pytest.raises(TypeError, match="particles"):
        sdss_images(object(), **GEOMETRY)
