"""Burkert halo and exponential tracer: closed forms against independent references."""

import numpy as np
import pytest
from astropy import units as u
from astropy.tests.helper import assert_quantity_allclose
from scipy import integrate, special

from dmprofile.profiles import Burkert, DensityProfile, Exponential

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

H0 = 70 * u.km / u.s / u.Mpc
RHO = u.Msun / u.kpc**3


@pytest.mark.parametrize("x", [1e-6, 1e-3, 0.0099, 0.0101, 0.3, 1.0, 10.0, 1e4])
def test_burkert_mass_small_and_large_x(x):
    halo = Burkert(1e8 * RHO, 1 * u.kpc)
    expected = integrate.quad(lambda s: 4 * np.pi * s**2 * 1e8 / ((1 + s) * (1 + s**2)), 0, x,
                              epsabs=0, epsrel=1e-13, limit=200)[0]
    assert_quantity_allclose(halo.enclosed_mass(x * u.kpc), expected * u.Msun, rtol=1e-12)


def test_burkert_slope_limits():
    halo = Burkert(1e8 * RHO, 0.8 * u.kpc)
    assert_quantity_allclose(halo.log_slope(1e-9 * u.kpc), 0, atol=1e-8)
    assert_quantity_allclose(halo.log_slope(1e9 * u.kpc), -3, atol=1e-8)
    assert not np.isfinite(halo.total_mass)
    assert halo.family == "burkert"


@pytest.mark.parametrize("c", [2, 8])
def test_burkert_from_M200_c(c):
    halo = Burkert.from_M200_c(1e10 * u.Msun, c, H0=H0)
    r200 = halo.virial_radius(H0=H0)
    assert_quantity_allclose(halo.enclosed_mass(r200), 1e10 * u.Msun, rtol=1e-8)
    assert_quantity_allclose(r200 / halo.parameters["r_0"], c, rtol=1e-8)


def test_burkert_input_errors():
    with pytest.raises(TypeError, match="argument 'rho_0'"):
        Burkert(1e8, 1 * u.kpc)
    with pytest.raises(u.UnitTypeError, match="argument 'r_0'"):
        Burkert(1e8 * RHO, 1 * u.km / u.s)
    with pytest.raises(ValueError, match="argument 'r_0'"):
        Burkert(1e8 * RHO, -1 * u.kpc)


def test_exponential_mass_and_slope():
    stars = Exponential(0.25 * u.kpc, mass=1e6 * u.Msun)
    r = np.array([1e-4, 0.1, 0.25, 1.0, 5.0])
    x = r / 0.25
    expected = 1e6 * (1 - np.exp(-x) * (1 + x + x**2 / 2))
    assert_quantity_allclose(stars.enclosed_mass(r[1:] * u.kpc), expected[1:] * u.Msun, rtol=1e-10)
    # tiny radii: M ~ M x^3 / 6 without cancellation
    assert_quantity_allclose(stars.enclosed_mass(r[0] * u.kpc), 1e6 * x[0] ** 3 / 6 * u.Msun,
                             rtol=1e-3)
    assert_quantity_allclose(stars.log_slope(r * u.kpc), -x)
    assert_quantity_allclose(stars.total_mass, 1e6 * u.Msun)
    assert stars.family == "exponential"
    assert Exponential(1 * u.kpc).total_mass == 1 * u.Msun


def test_exponential_projection():
    stars = Exponential(0.2 * u.kpc, mass=1e6 * u.Msun)
    R = np.geomspace(1e-3, 3, 8)
    numerical = DensityProfile._surface_density(stars, R)
    assert_quantity_allclose(stars.surface_density(R * u.kpc), numerical * u.Msun / u.kpc**2,
                             rtol=1e-6)
    # projected mass: integral of 2 pi R Sigma
    for Rv in (0.1, 0.4, 2.0):
        m = integrate.quad(lambda s: 2 * np.pi * s * stars._surface_density(s), 0, Rv,
                           epsabs=0, epsrel=1e-12)[0]
        assert stars._projected_mass(Rv) == pytest.approx(m, rel=1e-9)
    # half-light radius: solve X^2 K2(X) = 1, and the base-class numerical route
    rh = stars.projected_half_mass_radius()
    assert_quantity_allclose(rh, 2.0269963896 * 0.2 * u.kpc, rtol=1e-9)
    assert (0.2 * u.kpc * (rh / (0.2 * u.kpc)) ** 2 * special.kn(2, (rh / (0.2 * u.kpc)).value)
            ).to_value(u.kpc) == pytest.approx(0.2, rel=1e-9)
    assert DensityProfile._projected_half_untruncated(stars) == pytest.approx(rh.value, rel=1e-7)
    # 3D half-mass radius where P(3, x) = 1/2
    assert_quantity_allclose(stars.half_mass_radius(), 2.6740603137 * 0.2 * u.kpc, rtol=1e-9)


def test_exponential_input_errors():
    with pytest.raises(TypeError, match="argument 'r_d'"):
        Exponential(0.2)
    with pytest.raises(u.UnitTypeError, match="argument 'mass'"):
        Exponential(0.2 * u.kpc, mass=1 * u.kpc)
    with pytest.raises(ValueError, match="argument 'mass'"):
        Exponential(0.2 * u.kpc, mass=0 * u.Msun)
    with pytest.raises(TypeError):
        Exponential(0.2 * u.kpc, 1 * u.Msun)  # keyword-only
