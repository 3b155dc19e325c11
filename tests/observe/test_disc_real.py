import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.wcs import WCS

from dmprofile.observe import (
    HISetup,
    ImagingSetup,
    celestial_wcs,
    moment_maps,
    reproject_cube,
    reproject_image,
    stack_channels,
)

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real_discs"
CENTRE = SkyCoord(ra=200.0 * u.deg, dec=-10.0 * u.deg)


def _real_like_image():
    """Return a Gaussian blob in Jy per 1" pixel on a 100 x 100 TAN grid (a 'real' image)."""
    wcs = celestial_wcs(n_pixels=100, field_of_view=100 * u.arcsec, centre=CENTRE)
    y, x = np.mgrid[:100, :100]
    data = np.exp(-0.5 * ((x - 49.5) ** 2 + (y - 49.5) ** 2) / 8.0**2) * 1e-5
    header = wcs.to_header()
    header["BUNIT"] = "Jy"
    return fits.PrimaryHDU(data, header), data.sum()


def test_reproject_image_conserves_flux_and_converts_units():
    hdu, total_jy = _real_like_image()
    setup = ImagingSetup(n_pixels=16, field_of_view=160 * u.arcsec)
    out = reproject_image(hdu, setup=setup, band="r")
    assert out.header["BUNIT"] == "nanomaggy" and out.name == "R"
    assert np.nansum(out.data) * 3.631e-6 == pytest.approx(total_jy, rel=1e-3)
    # the same image as a surface brightness (MJy/sr) gives the same fluxes
    sb = fits.PrimaryHDU(hdu.data * u.Jy.to(u.MJy) / (1 * u.arcsec**2).to_value(u.sr),
                         hdu.header)
    out2 = reproject_image(sb, setup=setup, unit="MJy/sr")
    np.testing.assert_allclose(out2.data, out.data, rtol=1e-4, atol=1e-6)
    # a tuple (array, WCS) works too
    out3 = reproject_image((hdu.data, WCS(hdu.header)), unit=u.Jy, setup=setup)
    np.testing.assert_allclose(out3.data, out.data)
    assert stack_channels([out], channels=("r",)).shape == (1, 16, 16)


def test_reproject_image_bad_input():
    hdu, _ = _real_like_image()
    del hdu.header["BUNIT"]
    with pytest.raises(ValueError, match="unit"):
        reproject_image(hdu)
    with pytest.raises(u.UnitTypeError, match="unit"):
        reproject_image(hdu, unit=u.km)
    with pytest.raises(ValueError, match="celestial WCS"):
        reproject_image(fits.PrimaryHDU(np.ones((5, 5))), unit=u.Jy)
    with pytest.raises(TypeError, match="image"):
        reproject_image([1, 2, 3])


def test_reproject_cube_in_kelvin():
    """A tiny cube in K with a 20" beam and 4 km/s optical channels becomes Jy/beam."""
    header = celestial_wcs(n_pixels=24, field_of_view=240 * u.arcsec, centre=CENTRE).to_header()
    header.update(NAXIS=3, CTYPE3="VOPT", CUNIT3="m/s", CRVAL3=1.0e6, CDELT3=4000.0, CRPIX3=21,
                  BMAJ=20 / 3600, BMIN=20 / 3600, BPA=0.0, BUNIT="K", RESTFRQ=1.42040575e9)
    v = (np.arange(40) - 20) * 4.0
    y, x = np.mgrid[:24, :24]
    data = np.exp(-0.5 * ((x - 11.5) ** 2 + (y - 11.5) ** 2) / 3.0**2)[None] \
        * np.exp(-0.5 * ((v - 8.0 * (x - 11.5)[None, :, :].mean()) / 15.0) ** 2)[:, None, None]
    data = data * 10.0  # K
    cube = fits.PrimaryHDU(data, header)
    setup = HISetup(n_pixels=24, field_of_view=240 * u.arcsec)  # the same sky grid
    out = reproject_cube(cube, setup=setup)
    assert out.header["BUNIT"] == "Jy / beam" and out.data.shape[1:] == (24, 24)
    assert out.header["BMAJ"] * 3600 == pytest.approx(20.0)
    spec = WCS(out.header).sub([3])
    assert spec.wcs.ctype[0].startswith("VRAD")
    assert abs(spec.wcs.cdelt[0]) == pytest.approx(5000.0)
    # 10 K peak at 1.42 GHz in a 20" beam is 10 / (1.222e3 / (1.4204**2 * 400)) mJy/beam
    expected = 10.0 / (1.222e6 / (1.4204**2 * 400))
    # the sampled peak: half a pixel off the centre, and channels at +-2.5 km/s from it
    sampled = np.exp(-0.5 * 0.5 / 9.0) * np.exp(-0.5 * (2.5 / 15.0) ** 2)
    assert np.nanmax(out.data) == pytest.approx(expected * sampled, rel=0.02)
    maps = moment_maps(out)
    assert np.nanmax(np.abs(maps["MOM1"].data)) < 40


@pytest.mark.slow
@pytest.mark.skipif(not REAL.exists(), reason="../shared/data/real_discs absent")
def test_real_discs():
    setup = ImagingSetup(n_pixels=64, field_of_view=3.2 * u.arcmin)
    path = REAL / "NGC6195" / "ngc6195_SDSS-r.fits"
    sdss_pixel = u.nanomaggy / (0.396 * u.arcsec) ** 2
    image = reproject_image(path, unit=sdss_pixel, setup=setup, band="r")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = fits.getdata(path).astype(float) * (0.6 / 0.396) ** 2
    assert np.nansum(image.data) == pytest.approx(np.nansum(raw), rel=0.02)
    cube = reproject_cube(REAL / "NGC2903" / "NGC_2903.fits",
                          setup=HISetup(n_pixels=48, field_of_view=32 * u.arcmin))
    assert 540 < cube.header["VSYS"] < 570  # NGC 2903: ~556 km/s
    maps = moment_maps(cube)
    mom1 = maps["MOM1"].data
    assert np.isfinite(mom1).sum() > 200
    assert 150 < np.nanpercentile(np.abs(mom1), 98) < 230  # v sin i ~ 180 km/s
