"""Tests of the disc kernels: Freeman and sech^2 discs, Hernquist, NFW(V200), contraction."""

import numpy as np
import pytest
from astropy import units as u
from scipy import integrate

from dmprofile._utils import G_KPC
from dmprofile.profiles import NFW, kernels

R = np.array([0.3, 1.0, 2.15, 5.0, 12.0, 40.0])


@pytest.fixture(scope="module")
def galpy_potential():
    return pytest.importorskip("galpy.potential")


def test_freeman_against_galpy(galpy_potential):
    sigma0, r_d = 8e8, 3.0  # Msun / kpc2, kpc
    pot = galpy_potential.RazorThinExponentialDiskPotential(
        amp=sigma0 * u.Msun / u.kpc**2, hr=r_d * u.kpc, ro=8.0, vo=220.0)
    v_galpy = np.array([pot.vcirc(r * u.kpc, quantity=True).to_value(u.km / u.s) for r in R])
    v_ours = np.sqrt(kernels.exponential_disc_vcirc2(R, sigma0, r_d))
    np.testing.assert_allclose(v_ours, v_galpy, rtol=2e-3)


def test_freeman_limits():
    sigma0, r_d = 1e9, 2.0
    mass = 2 * np.pi * sigma0 * r_d**2
    assert kernels.exponential_disc_vcirc2(0.0, sigma0, r_d) == 0.0
    # far out the disc looks like a point mass (Keplerian), to O((r_d / R)^2)
    far = np.array([200.0, 400.0])
    np.testing.assert_allclose(kernels.exponential_disc_vcirc2(far, sigma0, r_d),
                               G_KPC * mass / far, rtol=5e-4)
    # the peak at 2.15 r_d, 0.622 sqrt(G M / r_d) (Binney & Tremaine 2008, Fig. 2.17)
    grid = np.linspace(1.0, 4.0, 3001) * r_d
    v2 = kernels.exponential_disc_vcirc2(grid, sigma0, r_d)
    assert grid[np.argmax(v2)] / r_d == pytest.approx(2.15, abs=5e-3)
    assert np.sqrt(v2.max() / (G_KPC * mass / r_d)) == pytest.approx(0.6222, abs=1e-3)


def test_exponential_disc_masses():
    sigma0, r_d = 1e9, 2.5
    total = 2 * np.pi * sigma0 * r_d**2
    m = kernels.exponential_disc_enclosed_mass(np.array([1e-6, 2.5, 1e4]), sigma0, r_d)
    np.testing.assert_allclose(m[1:], [total * (1 - 2 / np.e), total], rtol=1e-12)
    x = 1e-6 / r_d
    assert m[0] == pytest.approx(total * x**2 / 2, rel=1e-5)  # no cancellation at small x
    # the spherical mass of a sech^2 disc: razor-thin limit and an independent 2-D integral
    r = np.array([0.5, 3.0, 20.0])
    np.testing.assert_allclose(kernels.sech2_disc_spherical_mass(r, sigma0, r_d, 0.0),
                               kernels.exponential_disc_enclosed_mass(r, sigma0, r_d))
    z0 = 0.6

    def rho(z, R):
        return sigma0 * np.exp(-R / r_d) / np.cosh(z / z0) ** 2 / (2 * z0) * 2 * np.pi * R

    for radius in r:
        ref = 2 * integrate.dblquad(rho, 0, radius, 0, lambda R, a=radius: np.sqrt(a**2 - R**2),
                                    epsabs=0, epsrel=1e-9)[0]
        got = kernels.sech2_disc_spherical_mass(radius, sigma0, r_d, z0)
        assert got == pytest.approx(ref, rel=1e-6)
    assert kernels.sech2_disc_spherical_mass(1e4, sigma0, r_d, z0) == pytest.approx(total)


def test_hernquist_against_galpy(galpy_potential):
    mass, a = 3e10, 1.5
    # galpy's HernquistPotential amp is 2 M (its normalisation, see its docs)
    pot = galpy_potential.HernquistPotential(amp=2 * mass * u.Msun, a=a * u.kpc, ro=8.0, vo=220.0)
    v_galpy = np.array([pot.vcirc(r * u.kpc, quantity=True).to_value(u.km / u.s) for r in R])
    np.testing.assert_allclose(np.sqrt(kernels.hernquist_vcirc2(R, mass, a)), v_galpy, rtol=1e-4)
    np.testing.assert_allclose(kernels.hernquist_vcirc2(R, mass, a),
                               G_KPC * kernels.hernquist_enclosed_mass(R, mass, a) / R)
    # half the mass inside (1 + sqrt 2) a; the density integrates to the enclosed mass
    assert kernels.hernquist_enclosed_mass((1 + np.sqrt(2)) * a, mass, a) == pytest.approx(mass / 2)
    ref = integrate.quad(lambda r: 4 * np.pi * r**2 * kernels.hernquist_density(r, mass, a),
                         0, 4.0)[0]
    assert kernels.hernquist_enclosed_mass(4.0, mass, a) == pytest.approx(ref, rel=1e-8)


def test_nfw_from_v200(galpy_potential):
    v200, c, H0 = 180.0, 9.0, 67.66
    rho_s, r_s = kernels.nfw_from_V200_c(v200, c, H0)
    r200 = c * r_s
    # V200 is the circular velocity at r200, and the mean density there is 200 rho_crit
    m200 = kernels.nfw_enclosed_mass(r200, rho_s, r_s)
    assert np.sqrt(G_KPC * m200 / r200) == pytest.approx(v200, rel=1e-12)
    assert kernels.m200_from_V200(v200, H0) == pytest.approx(m200, rel=1e-12)
    halo = NFW.from_M200_c(m200 * u.Msun, c, H0=H0 * u.km / u.s / u.Mpc)
    assert halo.parameters["r_s"].to_value(u.kpc) == pytest.approx(r_s, rel=1e-10)
    assert halo.parameters["rho_s"].to_value(u.Msun / u.kpc**3) == pytest.approx(rho_s, rel=1e-10)
    pot = galpy_potential.NFWPotential(amp=4 * np.pi * rho_s * r_s**3 * u.Msun, a=r_s * u.kpc,
                                       ro=8.0, vo=220.0)
    assert pot.vcirc(r200 * u.kpc, quantity=True).to_value(u.km / u.s) == pytest.approx(v200,
                                                                                        rel=1e-4)


@pytest.fixture(scope="module")
def halo_and_bulge():
    r = np.geomspace(0.01, 3000.0, 300)
    rho_s, r_s = 1e7, 20.0
    m_i = kernels.nfw_enclosed_mass(r, rho_s, r_s)
    m_gal = 6e10
    m_b = kernels.hernquist_enclosed_mass(r, m_gal, 2.0)
    f = m_gal / float(kernels.nfw_enclosed_mass(10 * r_s, rho_s, r_s))
    return r, m_i, m_b, f


def test_contraction_blumenthal_invariant(halo_and_bulge):
    r, m_i, m_b, f = halo_and_bulge
    m_dm = kernels.adiabatic_contraction(r, m_i, m_b, f, model="blumenthal86")
    # a shell at r_i ends at r_f with r_f [M_b + M_dm](r_f) = r_i M_i(r_i), and M_dm(r_f) is
    # its dark mass (1 - f) M_i(r_i): check the invariant on the output profile
    for r_i in (0.5, 3.0, 30.0):
        target = (1 - f) * np.interp(np.log(r_i), np.log(r), m_i)
        r_f = np.exp(np.interp(target, m_dm, np.log(r)))
        mb_f = np.exp(np.interp(np.log(r_f), np.log(r), np.log(m_b)))
        lhs = r_f * (mb_f + target)
        assert lhs == pytest.approx(r_i * target / (1 - f), rel=2e-3)
        assert r_f < r_i


@pytest.mark.parametrize("model", ["blumenthal86", "gnedin04"])
def test_contraction_efficiency(halo_and_bulge, model):
    r, m_i, m_b, f = halo_and_bulge
    kw = {"model": model, "r_vir": 200.0}
    none = kernels.adiabatic_contraction(r, m_i, m_b, f, efficiency=0.0, **kw)
    np.testing.assert_allclose(none, (1 - f) * m_i, rtol=1e-9)
    inner = (r > 0.3) & (r < 10)
    full = kernels.adiabatic_contraction(r, m_i, m_b, f, efficiency=1.0, **kw)
    half = kernels.adiabatic_contraction(r, m_i, m_b, f, efficiency=0.5, **kw)
    expanded = kernels.adiabatic_contraction(r, m_i, m_b, f, efficiency=-0.5, **kw)
    assert np.all(full[inner] > half[inner])
    assert np.all(half[inner] > none[inner])
    assert np.all(expanded[inner] < none[inner])
    assert np.all(np.diff(full) > 0)


def test_gnedin_weaker_than_blumenthal(halo_and_bulge):
    r, m_i, m_b, f = halo_and_bulge
    blum = kernels.adiabatic_contraction(r, m_i, m_b, f, model="blumenthal86")
    gned = kernels.adiabatic_contraction(r, m_i, m_b, f, model="gnedin04", r_vir=200.0)
    inner = (r > 0.3) & (r < 10)
    assert np.all(gned[inner] < blum[inner])
    assert np.all(gned[inner] > (1 - f) * m_i[inner])


def test_contraction_bad_model(halo_and_bulge):
    r, m_i, m_b, f = halo_and_bulge
    with pytest.raises(ValueError, match="'model'"):
        kernels.adiabatic_contraction(r, m_i, m_b, f, model="nope")
    with pytest.raises(ValueError, match="'r_vir'"):
        kernels.adiabatic_contraction(r, m_i, m_b, f, model="gnedin04")
