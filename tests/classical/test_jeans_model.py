"""The Jeans forward model against independent numerical integrations and closed kernels."""

import numpy as np
import pytest
from astropy import units as u
from astropy.tests.helper import assert_quantity_allclose
from scipy import integrate

from dmprofile._utils import G_KPC
from dmprofile.classical import PlummerSum, sigma_los
from dmprofile.profiles import NFW, BaesVanHese, Cuddeford, Isotropic, OsipkovMerritt, Plummer

HALO = NFW.from_M200_c(1e9 * u.Msun, 12, H0=70 * u.km / u.s / u.Mpc)
TRACER = Plummer(0.3 * u.kpc)
RADII = np.array([0.03, 0.3, 2.0])


def _reference(R, halo, tracer, aniso, mass=None):
    """Double integral with scipy.integrate.quad (Binney & Mamon 1982), independent of the grids."""
    mass = halo._enclosed_mass if mass is None else mass

    def lg(r):
        return aniso._log_jeans_factor(np.array([r]))[0]

    def nu_sigma_r2(r):
        def f(s):
            nu = tracer._density(np.array([s]))[0]
            return np.exp(lg(s) - lg(r)) * nu * G_KPC * mass(s) / s**2
        return integrate.quad(f, r, np.inf, limit=100, epsrel=1e-8)[0]

    def g(t):  # r = R cosh t removes the 1 / sqrt(r^2 - R^2) endpoint singularity
        r = R * np.cosh(t)
        beta = aniso._beta(np.array([r]))[0]
        return (1 - beta * R**2 / r**2) * nu_sigma_r2(r) * r

    val = integrate.quad(g, 0, np.arccosh(1e4 / R), limit=100, epsrel=1e-7)[0]
    return np.sqrt(2 * val / tracer._surface_density(np.array([R]))[0])


def _kernel_reference(R, halo, tracer, kernel):
    """Single-integral form 2 G int_R^inf K(r/R) nu M / r dr (Mamon & Lokas 2005, eq. A16)."""
    def f(r):
        return kernel(r / R) * tracer._density(np.array([r]))[0] * halo._enclosed_mass(r) / r
    val = integrate.quad(f, R, np.inf, limit=200, epsrel=1e-10)[0]
    return np.sqrt(2 * G_KPC * val / tracer._surface_density(np.array([R]))[0])


@pytest.mark.parametrize("aniso", [Isotropic(), OsipkovMerritt(0.2 * u.kpc), Cuddeford(0.5),
                                   Cuddeford(-0.4), Cuddeford(-0.2, 0.5 * u.kpc),
                                   BaesVanHese(-0.3, 0.7, 0.3 * u.kpc, 2.5)],
                         ids=["iso", "om", "beta+0.5", "beta-0.4", "cuddeford", "baes"])
def test_sigma_los_against_double_integral(aniso):
    got = sigma_los(RADII * u.kpc, HALO, TRACER, aniso)
    ref = [_reference(R, HALO, TRACER, aniso) for R in RADII]
    assert_quantity_allclose(got, ref * u.km / u.s, rtol=1e-3)


def test_isotropic_and_om_against_mamon_lokas_kernels():
    def k_iso(x):
        return np.sqrt(1 - 1 / x**2)

    ua = 0.2 / RADII

    got_iso = sigma_los(RADII * u.kpc, HALO, TRACER, Isotropic()).value
    ref_iso = [_kernel_reference(R, HALO, TRACER, k_iso) for R in RADII]
    np.testing.assert_allclose(got_iso, ref_iso, rtol=1e-3)

    got_om = sigma_los(RADII * u.kpc, HALO, TRACER, OsipkovMerritt(0.2 * u.kpc)).value
    ref_om = []
    for R, a in zip(RADII, ua):
        def k_om(x, a=a):
            return ((a**2 + 0.5) / (a**2 + 1) ** 1.5 * (x**2 + a**2) / x
                    * np.arctan(np.sqrt((x**2 - 1) / (a**2 + 1)))
                    - 0.5 / (a**2 + 1) * np.sqrt(1 - 1 / x**2))
        ref_om.append(_kernel_reference(R, HALO, TRACER, k_om))
    np.testing.assert_allclose(got_om, ref_om, rtol=1e-3)


def test_stellar_mass_truncation_and_plummer_sum():
    tracer = PlummerSum([0.1, 0.4] * u.kpc, mass=[0.3, 0.7] * u.Msun)
    m_star, r_t = 5e6, 3.0
    aniso = Cuddeford(0.2, 0.4 * u.kpc)

    def mass(r):
        m = HALO._enclosed_mass(np.minimum(r, r_t))
        return m + m_star * tracer._enclosed_mass(np.array([r]))[0]

    got = sigma_los(RADII * u.kpc, HALO, tracer, aniso, r_trunc=r_t * u.kpc,
                    stellar_mass=m_star * u.Msun)
    ref = [_reference(R, HALO, tracer, aniso, mass=mass) for R in RADII]
    assert_quantity_allclose(got, ref * u.km / u.s, rtol=1e-3)
    # the extra mass matters: the test can fail
    plain = sigma_los(RADII * u.kpc, HALO, tracer, aniso)
    assert np.all(got[:2] > 1.01 * plain[:2])


def test_scaling_with_mass_and_shape():
    R = np.array([[0.1, 0.2], [0.4, 0.8]]) * u.kpc
    s1 = sigma_los(R, HALO, TRACER)
    heavy = NFW(4 * HALO.parameters["rho_s"], HALO.parameters["r_s"])
    assert s1.shape == (2, 2)
    assert s1.unit == u.km / u.s
    assert_quantity_allclose(sigma_los(R, heavy, TRACER), 2 * s1, rtol=1e-10)


def test_sigma_los_units():
    with pytest.raises(TypeError, match="argument 'R' must be an astropy Quantity"):
        sigma_los(np.array([0.1, 0.2]), HALO, TRACER)
    with pytest.raises(u.UnitTypeError, match="argument 'R' must have length units"):
        sigma_los([0.1, 0.2] * u.s, HALO, TRACER)
    with pytest.raises(u.UnitTypeError, match="argument 'stellar_mass' must have mass units"):
        sigma_los([0.1] * u.kpc, HALO, TRACER, stellar_mass=1 * u.kpc)
    with pytest.raises(ValueError, match="argument 'R' must be > 0"):
        sigma_los([0.0, 0.1] * u.kpc, HALO, TRACER)
