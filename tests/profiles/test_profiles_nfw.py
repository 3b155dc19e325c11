"""NFW and Plummer: closed forms, limits, virial quantities."""

import numpy as np
import pytest
from astropy import constants as const
from astropy import units as u
from astropy.tests.helper import assert_quantity_allclose
from scipy import integrate

from dmprofile.profiles import NFW, DensityProfile, Plummer, critical_density

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

H0 = 70 * u.km / u.s / u.Mpc
RHO = u.Msun / u.kpc**3


def _rho_crit(h0):
    return (3 * h0**2 / (8 * np.pi * const.G)).to(RHO)


def test_critical_density_matches_astropy():
    assert_quantity_allclose(critical_density(H0) * RHO, _rho_crit(H0), rtol=1e-10)
    from astropy.cosmology import Planck18
    assert_quantity_allclose(critical_density(Planck18.H0) * RHO,
                             Planck18.critical_density0.to(RHO), rtol=1e-10)


@pytest.mark.parametrize("r_s", [0.3, 2.0])
def test_nfw_mass_closed_form_vs_quadrature(r_s):
    halo = NFW(1e7 * RHO, r_s * u.kpc)
    for r in (1e-3, 0.1, 1.0, 30.0):
        expected = integrate.quad(
            lambda s: 4 * np.pi * s**2 * 1e7 / ((s / r_s) * (1 + s / r_s) ** 2),
            0, r, epsrel=1e-12, epsabs=0, limit=200)[0]
        assert_quantity_allclose(halo.enclosed_mass(r * u.kpc), expected * u.Msun, rtol=1e-9)


def test_nfw_slope_limits_and_scale_radius():
    halo = NFW(1e7 * RHO, 1 * u.kpc)
    assert_quantity_allclose(halo.log_slope(1e-7 * u.kpc), -1, atol=1e-6)
    assert_quantity_allclose(halo.log_slope(1e7 * u.kpc), -3, atol=1e-6)
    assert_quantity_allclose(halo.log_slope(1 * u.kpc), -2, atol=1e-12)


@pytest.mark.parametrize(("m200", "c"), [(1e8, 20), (1e9, 12), (1e11, 6)])
@pytest.mark.parametrize("h0", [None, H0])
def test_nfw_from_M200_c(m200, c, h0):
    halo = NFW.from_M200_c(m200 * u.Msun, c, H0=h0)
    if h0 is None:
        from astropy.cosmology import Planck18
        h0 = Planck18.H0
    r200 = (3 * m200 * u.Msun / (4 * np.pi * 200 * _rho_crit(h0))) ** (1 / 3)
    assert_quantity_allclose(halo.virial_radius(H0=h0), r200.to(u.kpc), rtol=1e-8)
    assert_quantity_allclose(halo.virial_mass(H0=h0), m200 * u.Msun, rtol=1e-8)
    assert_quantity_allclose(halo.enclosed_mass(r200), m200 * u.Msun, rtol=1e-10)
    assert_quantity_allclose(halo.parameters["r_s"], r200 / c, rtol=1e-10)
    assert halo.family == "nfw"


def test_nfw_input_errors():
    with pytest.raises(TypeError, match="argument 'rho_s'"):
        NFW(1e7, 1 * u.kpc)
    with pytest.raises(u.UnitTypeError, match="argument 'r_s'"):
        NFW(1e7 * RHO, 1 * u.s)
    with pytest.raises(ValueError, match="argument 'r_s'"):
        NFW(1e7 * RHO, 0 * u.kpc)
    with pytest.raises(ValueError, match="argument 'c'"):
        NFW.from_M200_c(1e9 * u.Msun, -1)
    with pytest.raises(TypeError, match="argument 'M200'"):
        NFW.from_M200_c(1e9, 10)


@pytest.mark.parametrize("a", [0.1, 0.35, 1.0])
def test_plummer_projected_half_light_radius_is_a(a):
    stars = Plummer(a * u.kpc)
    assert_quantity_allclose(stars.projected_half_mass_radius(), a * u.kpc, rtol=1e-12)
    # the generic numerical route of the base class agrees
    assert DensityProfile._projected_half_untruncated(stars) == pytest.approx(a, rel=1e-5)
    # and the 3D half-mass radius is a / sqrt(2^(2/3) - 1)
    assert_quantity_allclose(stars.half_mass_radius(), a / np.sqrt(2 ** (2 / 3) - 1) * u.kpc,
                             rtol=1e-9)


def test_plummer_surface_density_closed_form_vs_numerical():
    stars = Plummer(0.3 * u.kpc, mass=2e5 * u.Msun)
    R = np.geomspace(1e-3, 30, 9)
    assert_quantity_allclose(stars.surface_density(R * u.kpc),
                             DensityProfile._surface_density(stars, R) * u.Msun / u.kpc**2,
                             rtol=1e-6)
    assert_quantity_allclose(stars.total_mass, 2e5 * u.Msun)
    assert stars.family == "plummer"
