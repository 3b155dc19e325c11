"""The vectorised formulas of dmprofile.profiles.kernels: analytic truth, broadcasting, classes."""

import math

import numpy as np
import pytest
from astropy import units as u

from dmprofile import profiles
from dmprofile.profiles import (
    DC14,
    NFW,
    R_REF,
    BaesVanHese,
    CoreNFW,
    Cuddeford,
    Zhao,
    critical_density,
    kernels,
)

H0 = 70 * u.km / u.s / u.Mpc
RHO_C = critical_density(H0)
R = np.geomspace(1e-4, 100.0, 61)


def _fd_log(f, r, h=1e-5):
    """Compute d ln f / d ln r by a central difference."""
    return (np.log(f(r * np.exp(h))) - np.log(f(r * np.exp(-h)))) / (2 * h)


def test_reference_radius():
    assert R_REF == 150 * u.pc
    assert R_REF.to_value(u.kpc) == 0.15


def test_every_kernel_is_public_and_documented():
    for name in kernels.__all__:
        assert getattr(kernels, name).__doc__, name
    assert "kernels" in profiles.__all__


def test_r200_mean_density():
    m200 = np.array([1e8, 1e10, 1e12])
    r200 = kernels.r200_from_M200(m200, RHO_C)
    np.testing.assert_allclose(m200 / (4 / 3 * np.pi * r200**3), 200 * RHO_C, rtol=1e-14)
    r500 = kernels.r200_from_M200(m200, RHO_C, overdensity=500)
    np.testing.assert_allclose(r500 / r200, (200 / 500) ** (1 / 3), rtol=1e-14)


@pytest.mark.parametrize("x", [1e-7, 1e-4, 3e-3, 9.9e-3, 1.01e-2, 0.5, 30.0])
def test_nfw_mass_unit_against_series(x):
    # ln(1+x) - x/(1+x) = sum_k>=2 (-1)^k (k-1)/k x^k, summed exactly enough for x <= 1/2
    if x <= 0.5:
        exact = math.fsum((-1) ** k * (k - 1) / k * x**k for k in range(2, 80))
    else:
        exact = math.log1p(x) - x / (1 + x)
    assert kernels.nfw_mass_unit(x) == pytest.approx(exact, rel=1e-13)
    # the historical NFW series is within 2e-12 of it
    old = kernels.nfw_mass_unit(x, series_below=1e-3, series_order=5)
    assert old == pytest.approx(exact, rel=2e-12)


def test_nfw_from_M200_c_encloses_M200():
    m200, c = np.array([[1e9], [1e11]]), np.array([[15.0], [8.0]])
    rho_s, r_s = kernels.nfw_from_M200_c(m200, c, RHO_C)
    assert rho_s.shape == r_s.shape == (2, 1)
    r200 = kernels.r200_from_M200(m200, RHO_C)
    np.testing.assert_allclose(kernels.nfw_enclosed_mass(r200, rho_s, r_s), m200, rtol=1e-13)
    np.testing.assert_allclose(r200 / r_s, c, rtol=1e-14)


def test_broadcasting_matches_the_classes_row_by_row():
    rho_s, r_s = np.array([[1e7], [3e8]]), np.array([[2.0], [0.4]])
    r_c, n = np.array([[0.3], [1.0]]), np.array([[0.5], [1.0]])
    shape = (np.array([[1.0], [2.0]]), np.array([[3.0], [4.5]]), np.array([[1.0], [0.3]]))
    rho = kernels.corenfw_density(R, rho_s, r_s, r_c, n)
    slope = kernels.zhao_log_slope(R, r_s, *shape)
    assert rho.shape == slope.shape == (2, R.size)
    for i in range(2):
        halo = CoreNFW(rho_s[i, 0] * profiles.NFW._units["rho_s"], r_s[i, 0] * u.kpc,
                       r_c=r_c[i, 0] * u.kpc, n=n[i, 0])
        np.testing.assert_allclose(rho[i], halo.density(R * u.kpc).value, rtol=1e-15)
        zhao = Zhao(rho_s[i, 0] * u.Msun / u.kpc**3, r_s[i, 0] * u.kpc, alpha=shape[0][i, 0],
                    beta=shape[1][i, 0], gamma=shape[2][i, 0])
        # numpy's scalar-exponent fast paths (x**2.0) may differ from pow() in the last bit
        np.testing.assert_allclose(slope[i], zhao.log_slope(R * u.kpc).value, rtol=1e-15)


@pytest.mark.parametrize("n", [0.0, 0.4, 1.0])
def test_corenfw_slope_and_mass_are_consistent(n):
    args = (1e7, 1.5, 0.4, n)
    slope = kernels.corenfw_log_slope(R, *args)
    np.testing.assert_allclose(slope, _fd_log(lambda r: kernels.corenfw_density(r, *args), R),
                               atol=1e-6)
    # dM/dr = 4 pi r^2 rho
    m = kernels.corenfw_enclosed_mass(R, *args)
    dm = _fd_log(lambda r: kernels.corenfw_enclosed_mass(r, *args), R) * m / R
    np.testing.assert_allclose(dm, 4 * np.pi * R**2 * kernels.corenfw_density(R, *args),
                               rtol=1e-7)


def test_zhao_simpson_integral_against_exact():
    alpha = np.array([[0.5], [1.0], [2.0], [3.0]])
    beta = np.array([[2.5], [3.0], [4.5], [7.0]])
    gamma = np.array([[0.0], [1.0], [1.5], [0.3]])
    x = np.array([[5.0], [1.0], [10.0], [40.0]])
    approx = kernels.zhao_mass_integral_simpson(x, alpha, beta, gamma)
    assert approx.shape == (4, 1)
    for i in range(4):
        exact = kernels.zhao_mass_integral(x[i, 0], alpha[i, 0], beta[i, 0], gamma[i, 0])
        assert approx[i, 0] == pytest.approx(exact, rel=5e-5)
    small = kernels.zhao_mass_integral_simpson(0.01, 0.5, 2.5, 0.0)
    assert small[0] == pytest.approx(kernels.zhao_mass_integral(0.01, 0.5, 2.5, 0.0), rel=3e-4)


def test_zhao_gamma_from_log_slope_inverts_the_slope():
    alpha, beta, gamma = np.array([0.7, 1.5, 2.8]), np.array([2.6, 3.0, 4.8]), 0.8
    x = np.array([0.05, 0.3, 2.0])
    slope = kernels.zhao_log_slope(x, 1.0, alpha, beta, gamma)
    np.testing.assert_allclose(kernels.zhao_gamma_from_log_slope(slope, x, alpha, beta), gamma,
                               rtol=1e-12)


def test_zhao_r_minus2_ratio():
    a, b, g = 1.7, 4.2, 0.6
    r_m2 = kernels.zhao_r_minus2_ratio(a, b, g)
    assert kernels.zhao_log_slope(r_m2, 1.0, a, b, g) == pytest.approx(-2.0, abs=1e-13)


def test_dc14_kernels_match_the_class():
    x = np.linspace(-4.1, -1.3, 8)
    alpha, beta, gamma = kernels.dc14_shape(x)
    for i, xi in enumerate(x):
        np.testing.assert_allclose((alpha[i], beta[i], gamma[i]), profiles.dc14_shape(xi),
                                   rtol=1e-15)
    halo = DC14(1e10 * u.Msun, 10, log_mstar_mhalo=-2.0, H0=H0)
    p = halo.parameters
    assert p["c_dc14"] == 10 * kernels.dc14_concentration_ratio(-2.0)


@pytest.mark.parametrize(("beta", "log_g", "args"), [
    (kernels.cuddeford_beta, kernels.cuddeford_log_g, (-0.3, 0.7)),
    (kernels.cuddeford_beta, kernels.cuddeford_log_g, (0.0, 0.2)),
    (kernels.cuddeford_beta, kernels.cuddeford_log_g, (0.4, None)),
    (kernels.baes_beta, kernels.baes_log_g, (-0.4, 0.6, 0.5, 2.5)),
])
def test_log_g_is_the_jeans_integrating_factor(beta, log_g, args):
    # d log g / d ln r = 2 beta
    h = 1e-5
    dlogg = (log_g(R * np.exp(h), *args) - log_g(R * np.exp(-h), *args)) / (2 * h)
    np.testing.assert_allclose(dlogg, 2 * beta(R, *args), atol=1e-8)


def test_anisotropy_kernels_match_the_classes():
    r = R * u.kpc
    np.testing.assert_array_equal(Cuddeford(-0.2, 0.5 * u.kpc).beta(r).value,
                                  kernels.cuddeford_beta(R, -0.2, 0.5))
    np.testing.assert_array_equal(BaesVanHese(-0.2, 0.5, 0.5 * u.kpc, 2.0).beta(r).value,
                                  kernels.baes_beta(R, -0.2, 0.5, 0.5, 2.0))
    tb = np.array([-0.9, 0.0, 0.5])
    b = kernels.beta_from_tilde(tb)
    np.testing.assert_allclose(b / (2 - b), tb, rtol=1e-14)


def test_concentration_relation_lives_in_profiles():
    from dmprofile import simulate

    assert simulate.concentration_dutton_maccio is profiles.concentration_dutton_maccio
    c = profiles.concentration_dutton_maccio(np.array([1e12 / 0.6766, 1e13 / 0.6766]))
    np.testing.assert_allclose(c, [10**0.905, 10 ** (0.905 - 0.101)], rtol=1e-14)


def test_nfw_class_uses_the_kernels():
    halo = NFW.from_M200_c(1e9 * u.Msun, 12, H0=H0)
    rho_s, r_s = kernels.nfw_from_M200_c(1e9, 12.0, RHO_C)
    assert halo.parameters["rho_s"].value == rho_s
    assert halo.parameters["r_s"].value == r_s
