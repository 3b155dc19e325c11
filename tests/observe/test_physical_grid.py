"""dmprofile.observe.to_physical_grid: an angular field resampled onto a fixed field in kpc."""

import numpy as np
import pytest
from astropy import units as u

from dmprofile.observe import to_physical_grid

NATIVE = 10 * u.arcmin


def _native_kpc(distance):
    return (NATIVE.to_value(u.rad) * distance).to(u.kpc)


def _blob(npix, sigma_px):
    yy, xx = np.mgrid[:npix, :npix] - (npix - 1) / 2
    return np.exp(-(xx**2 + yy**2) / (2 * sigma_px**2))


def _width(image):
    yy, xx = np.mgrid[:image.shape[0], :image.shape[1]] - (image.shape[0] - 1) / 2
    return np.sqrt(np.sum(image * xx**2) / np.sum(image))


def test_same_field_is_the_identity():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 32, 32)).astype(np.float32)
    d = 20 * u.Mpc
    y = to_physical_grid(x, d, native_fov=NATIVE, fov=_native_kpc(d))
    np.testing.assert_allclose(y, x, atol=1e-4)
    assert y.dtype == np.float32 and y.shape == x.shape


@pytest.mark.parametrize("distance", [10.0, 40.0])
def test_sizes_scale_with_distance_and_values_are_kept(distance):
    npix, sigma = 64, 4.0
    d = distance * u.Mpc
    fov = 2 * _native_kpc(20 * u.Mpc)  # at 20 Mpc the output pixels are twice the input's
    x = _blob(npix, sigma)
    y = to_physical_grid(x[None], d, native_fov=NATIVE, fov=fov)[0]
    ratio = (_native_kpc(d) / fov).decompose().value  # input pixel / output pixel
    expected = sigma * ratio
    if ratio < 1:  # the anti-aliasing kernel adds (m - 1) / 2 input pixels in quadrature
        expected = np.hypot(sigma, (1 / ratio - 1) / 2) * ratio
    assert _width(y) == pytest.approx(expected, rel=0.05)
    # a surface brightness: the integral over the area is kept, not the sum over pixels
    assert np.sum(y) / ratio**2 == pytest.approx(np.sum(x), rel=0.03)


def test_outside_the_observed_field_is_zero():
    x = np.ones((1, 1, 32, 32))
    d = 10 * u.Mpc
    y = to_physical_grid(x, d, native_fov=NATIVE, fov=2 * _native_kpc(d))[0, 0]
    assert y[16, 16] == pytest.approx(1.0) and y[0, 0] == 0 and y[16, 1] == 0
    assert 0.2 < y.mean() < 0.3  # the observed field is the central quarter


def test_one_distance_per_stack():
    x = np.stack([_blob(32, 3.0)[None]] * 2)
    y = to_physical_grid(x, [10, 30] * u.Mpc, native_fov=NATIVE, fov=_native_kpc(20 * u.Mpc))
    assert _width(y[1, 0]) > 2.5 * _width(y[0, 0])


def test_bad_input_names_the_argument():
    x = np.zeros((2, 1, 8, 8))
    with pytest.raises(ValueError, match="'images' must have shape"):
        to_physical_grid(np.zeros((8, 6)), 10 * u.Mpc, native_fov=NATIVE, fov=50 * u.kpc)
    with pytest.raises(ValueError, match="'distance' must be a scalar or have one value"):
        to_physical_grid(x, [1, 2, 3] * u.Mpc, native_fov=NATIVE, fov=50 * u.kpc)
    with pytest.raises(TypeError, match="'distance' must be an astropy Quantity"):
        to_physical_grid(x, 10.0, native_fov=NATIVE, fov=50 * u.kpc)
    with pytest.raises(ValueError, match="'distance'"):
        to_physical_grid(x, -1 * u.Mpc, native_fov=NATIVE, fov=50 * u.kpc)
    with pytest.raises(u.UnitTypeError, match="'fov'"):
        to_physical_grid(x, 10 * u.Mpc, native_fov=NATIVE, fov=50 * u.arcmin)
