"""Circular-velocity components of disc galaxies against closed forms and independent routes."""

import numpy as np
import pytest
from astropy import constants as const
from astropy import units as u
from astropy.tests.helper import assert_quantity_allclose
from scipy import special

from dmprofile.classical import (
    bulge_velocity,
    disc_velocity,
    gas_velocity,
    halo_velocity,
    total_velocity,
)
from dmprofile.profiles import NFW

KMS = u.km / u.s
SIGMA = u.Msun / u.pc**2
G = const.G.to(u.kpc * KMS**2 / u.Msun)


def freeman_potential(R, sigma0, r_d):
    """Binney & Tremaine (2008) eq. 2.164a: the potential of the exponential disc in its plane."""
    y = (R / (2 * r_d)).to_value(u.one)
    bessel = special.i0(y) * special.k1(y) - special.i1(y) * special.k0(y)
    return -np.pi * G * sigma0 * R * bessel


@pytest.mark.parametrize("r_d", [0.7, 3.0] * u.kpc)
def test_disc_velocity_is_r_dphi_dr_of_the_freeman_potential(r_d):
    sigma0 = 300 * SIGMA
    R = np.geomspace(0.05, 15, 30) * r_d
    h = 1e-5 * R
    dphi = (freeman_potential(R + h, sigma0, r_d) - freeman_potential(R - h, sigma0, r_d)) / (2 * h)
    assert_quantity_allclose(disc_velocity(R, sigma0=sigma0, r_d=r_d), np.sqrt(R * dphi),
                             rtol=1e-6)


def test_disc_velocity_peak_and_keplerian_limit():
    sigma0, r_d = 500 * SIGMA, 2 * u.kpc
    mass = 2 * np.pi * sigma0 * r_d**2
    R = np.linspace(0.5, 6, 2000) * r_d
    v = disc_velocity(R, sigma0=sigma0, r_d=r_d)
    assert (R[np.argmax(v)] / r_d).to_value(u.one) == pytest.approx(2.15, abs=0.01)
    far = 300 * r_d
    assert_quantity_allclose(disc_velocity(far, sigma0=sigma0, r_d=r_d),
                             np.sqrt(G * mass / far), rtol=2e-3)


def test_bulge_velocity_is_hernquist():
    r = [0.1, 1, 10] * u.kpc
    m, a = 2e10 * u.Msun, 0.8 * u.kpc
    assert_quantity_allclose(bulge_velocity(r, mass=m, a=a), np.sqrt(G * m * r / (r + a) ** 2))


def test_nfw_halo_from_v200_matches_profiles_nfw():
    H0 = 70 * KMS / u.Mpc
    v200, c = 180 * KMS, 8.0
    r200 = (v200 / (10 * H0)).to(u.kpc)
    m200 = (v200**2 * r200 / G).to(u.Msun)
    nfw = NFW.from_M200_c(m200, c, H0=H0)
    r = np.geomspace(0.5, 300, 12) * u.kpc
    assert_quantity_allclose(halo_velocity(r, v200=v200, c200=c, H0=H0),
                             nfw.circular_velocity(r), rtol=1e-8)
    assert_quantity_allclose(halo_velocity(r200, v200=v200, c200=c, H0=H0), v200, rtol=1e-8)


def test_corenfw_halo_is_cored_inside_and_nfw_outside():
    kw = {"v200": 120 * KMS, "c200": 12}
    r = np.geomspace(0.05, 100, 40) * u.kpc
    nfw = halo_velocity(r, **kw)
    cored = halo_velocity(r, halo="corenfw", r_c=2 * u.kpc, **kw)
    assert np.all(cored <= nfw)
    assert_quantity_allclose(cored[-1], nfw[-1], rtol=1e-6)
    # inside the core the density is constant: v proportional to r
    slope = np.diff(np.log(cored[:4].value)) / np.diff(np.log(r[:4].value))
    np.testing.assert_allclose(slope, 1.0, atol=0.02)


@pytest.mark.parametrize("helium", [1.0, 1.33])
def test_gas_from_exponential_profile_is_freeman(helium):
    r = np.linspace(0.2, 30, 60) * u.kpc
    sigma = 8 * SIGMA * np.exp(-r / (5 * u.kpc))
    v = gas_velocity(r, surface_density=sigma, helium=helium)
    ref = np.sqrt(helium) * disc_velocity(r, sigma0=8 * SIGMA, r_d=5 * u.kpc)
    assert_quantity_allclose(v, ref, rtol=5e-3)


def test_gas_with_central_hole_is_signed():
    # difference of two exponentials: a ring whose inner part is pulled outwards
    r = np.linspace(0.1, 40, 200) * u.kpc
    a, b = 6 * u.kpc, 1.5 * u.kpc
    sigma = 10 * SIGMA * (np.exp(-r / a) - np.exp(-r / b))
    v = gas_velocity(r, surface_density=sigma, helium=1.0)
    v2 = (disc_velocity(r, sigma0=10 * SIGMA, r_d=a) ** 2
          - disc_velocity(r, sigma0=10 * SIGMA, r_d=b) ** 2)
    ref = np.sign(v2) * np.sqrt(np.abs(v2))
    assert np.any(ref < 0 * KMS)
    assert_quantity_allclose(v, ref, atol=0.3 * KMS)


def test_gas_velocity_curve_is_passed_through_and_total_adds_signed():
    r = [1, 2, 3] * u.kpc
    vg = [-5, 10, 20] * KMS
    assert_quantity_allclose(gas_velocity(r, v_gas=vg), vg)
    total = total_velocity([30, 30, 30] * KMS, vg)
    assert_quantity_allclose(total, np.sqrt([900 - 25, 1000, 1300]) * KMS)


@pytest.mark.parametrize(("func", "kwargs", "exc", "match"), [
    (disc_velocity, {"radius": [1, 2], "sigma0": 1 * SIGMA, "r_d": 1 * u.kpc}, TypeError,
     "argument 'radius' must be an astropy Quantity"),
    (disc_velocity, {"radius": [1] * u.kpc, "sigma0": 1 * u.Msun, "r_d": 1 * u.kpc},
     u.UnitTypeError, "argument 'sigma0'"),
    (disc_velocity, {"radius": [1] * u.kpc, "sigma0": 1 * SIGMA, "r_d": -1 * u.kpc},
     ValueError, "argument 'r_d' must be > 0"),
    (gas_velocity, {"radius": [1, 2] * u.kpc, "v_gas": [1, 2, 3] * KMS}, ValueError,
     "'v_gas' must have the shape of 'radius'"),
    (gas_velocity, {"radius": [1, 2] * u.kpc}, ValueError, "exactly one of"),
    (gas_velocity, {"radius": [1, 2] * u.kpc, "surface_density": [1, 2, 3] * SIGMA,
                    "profile_radius": [1, 2] * u.kpc}, ValueError, "'surface_density' must have"),
    (halo_velocity, {"radius": [1] * u.kpc, "v200": 100 * KMS, "c200": 5, "halo": "iso"},
     ValueError, "argument 'halo' must be one of"),
    (halo_velocity, {"radius": [1] * u.kpc, "v200": 100 * KMS, "c200": 5, "halo": "corenfw"},
     ValueError, "'r_c' is required"),
])
def test_errors(func, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        func(**kwargs)


def test_total_velocity_shapes():
    with pytest.raises(ValueError, match="same shape"):
        total_velocity([1, 2] * KMS, [1, 2, 3] * KMS)
