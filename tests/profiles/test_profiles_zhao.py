"""Zhao (alpha, beta, gamma) profile: special cases, closed-form mass, slope limits."""

import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.tests.helper import assert_quantity_allclose

from dmprofile.profiles import NFW, Plummer, Zhao
from dmprofile.profiles.kernels import zhao_mass_integral as _zhao_mass_integral

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

H0 = 70 * u.km / u.s / u.Mpc
RHO = u.Msun / u.kpc**3
R = np.geomspace(1e-4, 1e4, 17) * u.kpc


def test_zhao_131_is_nfw():
    nfw = NFW(3e7 * RHO, 1.3 * u.kpc)
    zhao = Zhao(3e7 * RHO, 1.3 * u.kpc, alpha=1, beta=3, gamma=1)
    assert_quantity_allclose(zhao.density(R), nfw.density(R), rtol=1e-13)
    assert_quantity_allclose(zhao.enclosed_mass(R), nfw.enclosed_mass(R), rtol=1e-9)
    assert_quantity_allclose(zhao.log_slope(R), nfw.log_slope(R), rtol=1e-13)
    assert not np.isfinite(zhao.total_mass)
    from_c = Zhao.from_M200_c(1e9 * u.Msun, 12, alpha=1, beta=3, gamma=1, H0=H0)
    nfw_c = NFW.from_M200_c(1e9 * u.Msun, 12, H0=H0)
    for name in ("rho_s", "r_s"):
        assert_quantity_allclose(from_c.parameters[name], nfw_c.parameters[name], rtol=1e-12)


def test_zhao_250_is_plummer():
    a, mass = 0.4, 3e5
    stars = Plummer(a * u.kpc, mass=mass * u.Msun)
    zhao = Zhao(3 * mass / (4 * np.pi * a**3) * RHO, a * u.kpc, alpha=2, beta=5, gamma=0)
    assert_quantity_allclose(zhao.density(R), stars.density(R), rtol=1e-12)
    assert_quantity_allclose(zhao.enclosed_mass(R), stars.enclosed_mass(R), rtol=1e-10)
    assert_quantity_allclose(zhao.total_mass, mass * u.Msun, rtol=1e-12)


def test_zhao_141_is_hernquist():
    rho_s, r_s = 1e7, 0.8
    zhao = Zhao(rho_s * RHO, r_s * u.kpc, alpha=1, beta=4, gamma=1)
    mtot = 2 * np.pi * rho_s * r_s**3
    x = R.to_value(u.kpc) / r_s
    assert_quantity_allclose(zhao.enclosed_mass(R), mtot * x**2 / (1 + x) ** 2 * u.Msun, rtol=1e-10)
    assert_quantity_allclose(zhao.total_mass, mtot * u.Msun, rtol=1e-12)


def test_zhao_230_mass_at_huge_radius():
    # int_0^x t^2 (1+t^2)^(-3/2) dt = asinh(x) - x / sqrt(1+x^2) (series at small x, where the
    # closed form cancels); scipy's hyp2f1 is degenerate here and loses digits for x >> 1
    x = np.geomspace(1e-4, 1e12, 30)
    expected = np.where(x < 1e-2, x**3 / 3 - 0.3 * x**5 + 15 / 56 * x**7,
                        np.arcsinh(x) - x / np.sqrt(1 + x**2))
    got = _zhao_mass_integral(x, 2.0, 3.0, 0.0)
    np.testing.assert_allclose(got, expected, rtol=1e-11)
    # scalar and 2-d inputs through the outer quadrature keep their shape
    assert np.shape(_zhao_mass_integral(1e12, 2.0, 3.0, 0.0)) == ()
    assert _zhao_mass_integral(x.reshape(5, 6), 2.0, 3.0, 0.0).shape == (5, 6)


@pytest.mark.parametrize(("alpha", "beta", "gamma"),
                         [(1, 3, 1), (0.5, 3, 0), (2, 2.5, 1.2), (1.03, 3.11, 0.99), (0.3, 6, -0.5),
                          (3, 2.6, 0.5), (5, 8, 1)])
def test_zhao_mass_large_x_approaches_power_law(alpha, beta, gamma):
    # far outside r_s, dM/dln x -> x^(3-beta): check the local log-derivative of I(x)
    x = np.array([1e6, 1e8])
    h = 1e-4
    m = _zhao_mass_integral(x, alpha, beta, gamma)
    dlnm = (np.log(_zhao_mass_integral(x * np.exp(h), alpha, beta, gamma))
            - np.log(_zhao_mass_integral(x * np.exp(-h), alpha, beta, gamma))) / (2 * h)
    # exact: dln I / dln x = x^(3-gamma) (1+x^alpha)^(-(beta-gamma)/alpha) / I
    exact = x ** (3 - gamma) * (1 + x**alpha) ** (-(beta - gamma) / alpha) / m
    assert np.all(np.isfinite(m)) and np.all(m > 0)
    np.testing.assert_allclose(dlnm, exact, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize(("alpha", "beta", "gamma"),
                         [(1, 3, 1), (2, 5, 0), (0.7, 2.4, 1.4), (4, 3.5, -0.5)])
def test_zhao_slope_limits(alpha, beta, gamma):
    zhao = Zhao(1e7 * RHO, 1 * u.kpc, alpha=alpha, beta=beta, gamma=gamma)
    eps = 1e-9
    r_in = eps ** (1 / alpha) * u.kpc
    r_out = eps ** (-1 / alpha) * u.kpc
    assert_quantity_allclose(zhao.log_slope(r_in), -gamma, atol=1e-7)
    assert_quantity_allclose(zhao.log_slope(r_out), -beta, atol=1e-7)
    assert_quantity_allclose(zhao.log_slope(1e300 * u.kpc), -beta, atol=1e-12)
    # r_s is where the slope is halfway between the two
    assert_quantity_allclose(zhao.log_slope(1 * u.kpc), -(gamma + beta) / 2, rtol=1e-12)


@pytest.mark.parametrize("c", [3, 10, 25])
def test_zhao_from_M200_c(c):
    halo = Zhao.from_M200_c(1e9 * u.Msun, c, alpha=1.5, beta=3.5, gamma=0.5, H0=H0)
    r200 = halo.virial_radius(H0=H0)
    assert_quantity_allclose(halo.enclosed_mass(r200), 1e9 * u.Msun, rtol=1e-8)
    assert_quantity_allclose(r200 / halo.parameters["r_s"], c, rtol=1e-8)
    assert halo.family == "zhao"


def test_zhao_r_minus2():
    halo = Zhao(1e7 * RHO, 1 * u.kpc, alpha=1.5, beta=3.5, gamma=0.5)
    assert_quantity_allclose(halo.log_slope(halo._r_minus2() * u.kpc), -2, rtol=1e-12)
    assert np.isnan(Zhao(1e7 * RHO, 1 * u.kpc, alpha=1, beta=1.9, gamma=0.5)._r_minus2())


def test_zhao_input_errors():
    with pytest.raises(ValueError, match="argument 'gamma' must be < 3"):
        Zhao(1e7 * RHO, 1 * u.kpc, alpha=1, beta=3, gamma=3)
    with pytest.raises(ValueError, match="argument 'alpha' must be > 0"):
        Zhao(1e7 * RHO, 1 * u.kpc, alpha=0, beta=3, gamma=1)
    with pytest.raises(u.UnitTypeError, match="argument 'beta'"):
        Zhao(1e7 * RHO, 1 * u.kpc, alpha=1, beta=3 * u.kpc, gamma=1)
    with pytest.raises(TypeError, match="argument 'r_s'"):
        Zhao(1e7 * RHO, 1, alpha=1, beta=3, gamma=1)
    with pytest.raises(u.UnitTypeError, match="argument 'rho_s'"):
        Zhao(1e7 * u.Msun, 1 * u.kpc, alpha=1, beta=3, gamma=1)
    with pytest.raises(ValueError, match="argument 'rho_s'"):
        Zhao(-1e7 * RHO, 1 * u.kpc, alpha=1, beta=3, gamma=1)
    with pytest.raises(TypeError):
        Zhao(1e7 * RHO, 1 * u.kpc, 1, 3, 1)  # shape parameters are keyword-only
    with pytest.raises(u.UnitTypeError, match="argument 'H0'"):
        Zhao.from_M200_c(1e9 * u.Msun, 10, alpha=1, beta=3, gamma=1, H0=70 * u.km)


def test_zhao_no_runtime_warnings_at_extremes():
    halo = Zhao(1e7 * RHO, 1 * u.kpc, alpha=2, beta=2.5, gamma=1.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = np.array([1e-12, 1e-3, 1e3, 1e12])
        assert np.all(np.isfinite(halo._enclosed_mass(r)))
        assert np.all(np.isfinite(halo._log_slope(r)))
