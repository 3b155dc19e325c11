"""DC14 (Di Cintio et al. 2014): shape parameters, clamping, concentration, normalisation."""

import warnings

import numpy as np
import pytest
from astropy import constants as const
from astropy import units as u
from astropy.tests.helper import assert_quantity_allclose

from dmprofile.exceptions import DMProfileWarning
from dmprofile.profiles import DC14, NFW, Zhao, dc14_shape

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

H0 = 70 * u.km / u.s / u.Mpc


def _r200(m200, h0=H0):
    rho_c = 3 * h0**2 / (8 * np.pi * const.G)
    return ((3 * m200 / (4 * np.pi * 200 * rho_c)) ** (1 / 3)).to(u.kpc)


def test_shape_at_low_mass_ratio_is_nfw_like():
    alpha, beta, gamma = dc14_shape(-4.1)
    np.testing.assert_allclose([alpha, beta, gamma], [1, 3, 1], atol=0.11)
    halo = DC14(1e10 * u.Msun, 10, log_mstar_mhalo=-4.1, H0=H0)
    nfw = NFW.from_M200_c(1e10 * u.Msun, 10, H0=H0)
    r = np.geomspace(0.05, 50, 7) * u.kpc
    # the slope profiles agree to better than 0.1 and the masses to 10 per cent
    assert np.max(np.abs(halo.log_slope(r) - nfw.log_slope(r))) < 0.1
    assert_quantity_allclose(halo.enclosed_mass(r), nfw.enclosed_mass(r), rtol=0.1)


def test_shape_values_by_hand():
    # X = -2.7: 10^(X+2.33) = 10^-0.37, 10^(X+2.56) = 10^-0.14
    ya, yg = 10**-0.37, 10**-0.14
    expected = (2.94 - np.log10(ya**-1.08 + ya**2.29), 4.23 - 1.34 * 2.7 + 0.26 * 2.7**2,
                -0.06 + np.log10(yg**-0.68 + yg))
    np.testing.assert_allclose(dc14_shape(-2.7), expected, rtol=1e-12)
    np.testing.assert_allclose(dc14_shape(-2.7), (2.516, 2.507, 0.234), atol=5e-4)


def test_core_is_largest_near_minus_2p7():
    xs = np.linspace(-4.1, -1.3, 57)
    gammas = np.array([dc14_shape(x)[2] for x in xs])
    assert -3.0 < xs[np.argmin(gammas)] < -2.4
    assert gammas[0] > 0.9 and gammas[-1] > 1.0


@pytest.mark.parametrize(("x_in", "x_used"), [(-5.0, -4.1), (-1.0, -1.3)])
def test_clamp_warning(x_in, x_used):
    with pytest.warns(DMProfileWarning, match="clamped") as record:
        halo = DC14(1e10 * u.Msun, 10, log_mstar_mhalo=x_in, H0=H0)
    assert record[0].filename == __file__  # stacklevel points at the caller
    assert halo.log_mstar_mhalo == x_used
    assert halo.log_mstar_mhalo_input == x_in
    assert halo.parameters["log_mstar_mhalo"] == x_used
    assert halo.parameters["log_mstar_mhalo_input"] == x_in
    ref = DC14(1e10 * u.Msun, 10, log_mstar_mhalo=x_used, H0=H0)
    assert_quantity_allclose(halo.density(1 * u.kpc), ref.density(1 * u.kpc), rtol=1e-14)
    with pytest.warns(DMProfileWarning, match="clamped") as record:
        DC14.from_M200_c(1e10 * u.Msun, 10, log_mstar_mhalo=x_in, H0=H0)
    assert record[0].filename == __file__


def test_no_warning_inside_range():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        halo = DC14(1e10 * u.Msun, 10, log_mstar_mhalo=-2.0, H0=H0)
    assert halo.log_mstar_mhalo == halo.log_mstar_mhalo_input == -2.0


@pytest.mark.parametrize("x", [-4.1, -3.3, -2.7, -2.0, -1.3])
@pytest.mark.parametrize(("m200", "c"), [(1e9, 14), (3e10, 9)])
def test_normalisation_and_concentration(x, m200, c):
    halo = DC14(m200 * u.Msun, c, log_mstar_mhalo=x, H0=H0)
    r200 = _r200(m200 * u.Msun)
    assert_quantity_allclose(halo.enclosed_mass(r200), m200 * u.Msun, rtol=1e-10)
    assert_quantity_allclose(halo.virial_radius(H0=H0), r200, rtol=1e-8)
    c_dc14 = c * (1 + 0.00003 * np.exp(3.4 * (x + 4.5)))
    assert halo.parameters["c_dc14"] == pytest.approx(c_dc14, rel=1e-14)
    # r_-2 = r200 / c_DC14 is where the log-slope is -2
    assert_quantity_allclose(halo.log_slope(r200 / c_dc14), -2, rtol=1e-10)
    alpha, beta, gamma = dc14_shape(x)
    p = halo.parameters
    assert (p["alpha"], p["beta"], p["gamma"]) == (alpha, beta, gamma)
    assert p["M200"] == m200 * u.Msun and p["c"] == c
    # inner and outer slopes
    assert_quantity_allclose(halo.log_slope(1e-9 ** (1 / alpha) * p["r_s"]), -gamma, atol=1e-7)
    assert_quantity_allclose(halo.log_slope(1e9 ** (1 / alpha) * p["r_s"]), -beta, atol=1e-7)
    assert isinstance(halo, Zhao) and halo.family == "dc14"


def test_default_H0_is_planck18():
    from astropy.cosmology import Planck18
    a = DC14(1e10 * u.Msun, 10, log_mstar_mhalo=-2.5)
    b = DC14(1e10 * u.Msun, 10, log_mstar_mhalo=-2.5, H0=Planck18.H0)
    assert a == b
    assert_quantity_allclose(a.enclosed_mass(_r200(1e10 * u.Msun, Planck18.H0)), 1e10 * u.Msun,
                             rtol=1e-10)


def test_input_errors():
    with pytest.raises(TypeError, match="argument 'M200'"):
        DC14(1e10, 10, log_mstar_mhalo=-2.5)
    with pytest.raises(ValueError, match="argument 'c'"):
        DC14(1e10 * u.Msun, 0, log_mstar_mhalo=-2.5)
    with pytest.raises(u.UnitTypeError, match="argument 'log_mstar_mhalo'"):
        DC14(1e10 * u.Msun, 10, log_mstar_mhalo=-2.5 * u.Msun)
    with pytest.raises(ValueError, match="argument 'log_mstar_mhalo' must be finite"):
        DC14(1e10 * u.Msun, 10, log_mstar_mhalo=np.nan)
    with pytest.raises(TypeError):
        DC14(1e10 * u.Msun, 10, -2.5)  # keyword-only
