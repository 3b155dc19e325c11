"""Checks every density profile must pass, against independent numerical references."""

import itertools

import numpy as np
import pytest
from astropy import constants as const
from astropy import units as u
from astropy.tests.helper import assert_quantity_allclose
from scipy import integrate

from dmprofile.profiles import (
    DC14,
    NFW,
    Burkert,
    CoreNFW,
    DensityProfile,
    Exponential,
    Plummer,
    Zhao,
)

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

H0 = 70 * u.km / u.s / u.Mpc
RHO = u.Msun / u.kpc**3

PROFILES = {
    "nfw": lambda: NFW.from_M200_c(1e9 * u.Msun, 12, H0=H0),
    "zhao_finite": lambda: Zhao(1e7 * RHO, 1 * u.kpc, alpha=2, beta=5, gamma=0.5),
    "zhao_hyp2f1": lambda: Zhao(1e7 * RHO, 1 * u.kpc, alpha=0.8, beta=2.6, gamma=1.3),
    "zhao_negative_gamma": lambda: Zhao(1e7 * RHO, 0.7 * u.kpc, alpha=1.5, beta=4, gamma=-0.3),
    "corenfw_n1": lambda: CoreNFW.from_M200_c(1e9 * u.Msun, 12, r_c=0.5 * u.kpc, n=1, H0=H0),
    "corenfw_n04": lambda: CoreNFW.from_M200_c(1e9 * u.Msun, 12, r_c=0.3 * u.kpc, n=0.4, H0=H0),
    "dc14_core": lambda: DC14(1e10 * u.Msun, 10, log_mstar_mhalo=-2.7, H0=H0),
    "dc14_cusp": lambda: DC14(1e10 * u.Msun, 10, log_mstar_mhalo=-3.8, H0=H0),
    "dc14_high": lambda: DC14(1e11 * u.Msun, 8, log_mstar_mhalo=-1.5, H0=H0),
    "burkert": lambda: Burkert(1e8 * RHO, 1 * u.kpc),
    "plummer": lambda: Plummer(0.3 * u.kpc, mass=1e6 * u.Msun),
    "exponential": lambda: Exponential(0.2 * u.kpc, mass=1e6 * u.Msun),
}
FAMILIES = {NFW: "nfw", Zhao: "zhao", CoreNFW: "corenfw", DC14: "dc14", Burkert: "burkert",
            Plummer: "plummer", Exponential: "exponential"}
RADII = np.array([1e-3, 0.01, 0.15, 1.0, 7.0, 60.0])  # kpc


@pytest.fixture(params=sorted(PROFILES), ids=sorted(PROFILES))
def profile(request):
    return PROFILES[request.param]()


def _quad_mass(prof, r):
    """4 pi int_0^r s^2 rho(s) ds by adaptive quadrature in ln s."""
    def f(lns):
        s = np.exp(lns)
        return 4 * np.pi * s**3 * float(prof._density(np.array([s]))[0])

    return integrate.quad(f, np.log(r) - 60, np.log(r), limit=400, epsabs=0, epsrel=1e-11)[0]


def test_family_attribute():
    for cls, family in FAMILIES.items():
        assert cls.family == family


def test_enclosed_mass_matches_quadrature(profile):
    expected = [_quad_mass(profile, r) for r in RADII]
    assert_quantity_allclose(profile.enclosed_mass(RADII * u.kpc), expected * u.Msun, rtol=1e-7)


def test_density_is_derivative_of_mass(profile):
    h = 1e-5
    # where M(<r) has converged to the total mass the difference quotient is round-off
    r = RADII[profile._enclosed_mass(RADII) < 0.99 * profile._total_mass()]
    dm = (profile._enclosed_mass(r * (1 + h)) - profile._enclosed_mass(r * (1 - h))) / (2 * h * r)
    rho = dm / (4 * np.pi * r**2)
    assert_quantity_allclose(profile.density(r * u.kpc), rho * RHO, rtol=1e-6)


def test_log_slope_matches_numerical_derivative(profile):
    h = 1e-5
    r = RADII
    num = (np.log(profile._density(r * np.exp(h)))
           - np.log(profile._density(r * np.exp(-h)))) / (2 * h)
    np.testing.assert_allclose(profile.log_slope(r * u.kpc).value, num, rtol=1e-6, atol=1e-7)


def test_circular_velocity(profile):
    r = RADII * u.kpc
    expected = np.sqrt(const.G * profile.enclosed_mass(r) / r).to(u.km / u.s)
    assert_quantity_allclose(profile.circular_velocity(r), expected, rtol=1e-10)


def test_surface_density_matches_projection(profile):
    R = np.array([0.01, 0.2, 1.5, 10.0])

    def sigma(Rv):
        def f(z):
            return float(profile._density(np.array([np.hypot(Rv, z)]))[0])
        # split at a few scale lengths for the adaptive integrator
        pts = [0, Rv, 10 * Rv, 1e3 * Rv]
        return 2 * sum(integrate.quad(f, a, b, limit=400, epsrel=1e-10, epsabs=0)[0]
                       for a, b in itertools.pairwise(pts)) \
            + 2 * integrate.quad(f, 1e3 * Rv, np.inf, limit=400, epsrel=1e-10, epsabs=0)[0]

    expected = np.array([sigma(Rv) for Rv in R])
    assert_quantity_allclose(profile.surface_density(R * u.kpc), expected * u.Msun / u.kpc**2,
                             rtol=2e-5)


def test_total_mass(profile):
    m = profile.total_mass
    assert m.unit == u.Msun
    if np.isfinite(m):
        big = profile.enclosed_mass(1e9 * profile._scale_radius() * u.kpc)
        assert_quantity_allclose(big, m, rtol=1e-8)
        # agrees with the generic numerical test of the base class
        assert_quantity_allclose(DensityProfile._total_mass(profile) * u.Msun, m, rtol=1e-4)
    else:
        assert not np.isfinite(DensityProfile._total_mass(profile))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
@pytest.mark.parametrize("method", ["density", "enclosed_mass", "log_slope", "circular_velocity",
                                    "surface_density"])
def test_quantity_shapes_preserved(profile, method, shape):
    r = np.full(shape, 0.5) * u.pc * 1000
    out = getattr(profile, method)(r)
    assert isinstance(out, u.Quantity)
    assert out.shape == shape


def test_units_of_outputs(profile):
    r = 0.15 * u.kpc
    assert profile.density(r).unit.physical_type == "mass density"
    assert profile.enclosed_mass(r).unit == u.Msun
    assert profile.log_slope(r).unit == u.dimensionless_unscaled
    assert profile.circular_velocity(r).unit == u.km / u.s
    assert profile.surface_density(r).unit == u.Msun / u.kpc**2
    # other length units are converted, not assumed
    assert_quantity_allclose(profile.density(150 * u.pc), profile.density(r))


@pytest.mark.parametrize("method", ["density", "enclosed_mass", "log_slope", "circular_velocity"])
def test_radius_must_be_a_length(profile, method):
    with pytest.raises(TypeError, match="argument 'r'"):
        getattr(profile, method)(0.15)
    with pytest.raises(u.UnitTypeError, match="argument 'r'"):
        getattr(profile, method)(0.15 * u.s)
    with pytest.raises(ValueError, match="argument 'r'"):
        getattr(profile, method)(-0.15 * u.kpc)


def test_repr_eq_hash_parameters(profile):
    again = type(profile).__new__(type(profile))
    again.__dict__.update(profile.__dict__)
    assert again == profile
    assert hash(again) == hash(profile)
    text = repr(profile)
    assert text.startswith(f"<{type(profile).__name__}(")
    for name, value in profile.parameters.items():
        assert name in text
        assert isinstance(value, (float, u.Quantity))


def test_pickle_roundtrip(profile):
    # simulation suites send profiles to worker processes
    import pickle

    again = pickle.loads(pickle.dumps(profile))
    assert again == profile
    assert_quantity_allclose(again.enclosed_mass(RADII * u.kpc),
                             profile.enclosed_mass(RADII * u.kpc), rtol=0)
