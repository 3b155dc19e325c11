"""coreNFW (Read, Agertz & Collins 2016)."""

import numpy as np
import pytest
from astropy import units as u
from astropy.tests.helper import assert_quantity_allclose

from dmprofile.profiles import NFW, CoreNFW

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

H0 = 70 * u.km / u.s / u.Mpc
RHO = u.Msun / u.kpc**3
R = np.geomspace(1e-4, 1e3, 15) * u.kpc


def test_n0_is_nfw():
    nfw = NFW(1e7 * RHO, 1.5 * u.kpc)
    core = CoreNFW(1e7 * RHO, 1.5 * u.kpc, r_c=0.4 * u.kpc, n=0)
    assert_quantity_allclose(core.density(R), nfw.density(R), rtol=1e-12)
    assert_quantity_allclose(core.enclosed_mass(R), nfw.enclosed_mass(R), rtol=1e-12)
    assert_quantity_allclose(core.log_slope(R), nfw.log_slope(R), rtol=1e-10)
    assert core.nfw == nfw


@pytest.mark.parametrize("n", [0.0, 0.3, 0.7, 1.0])
def test_mass_is_nfw_times_tanh_power(n):
    nfw = NFW(1e7 * RHO, 1.5 * u.kpc)
    core = CoreNFW(1e7 * RHO, 1.5 * u.kpc, r_c=0.4 * u.kpc, n=n)
    f = np.tanh((R / (0.4 * u.kpc)).to_value(u.one))
    assert_quantity_allclose(core.enclosed_mass(R), nfw.enclosed_mass(R) * f**n, rtol=1e-12)


@pytest.mark.parametrize("n", [0.0, 0.3, 0.7, 1.0])
def test_inner_and_outer_slopes(n):
    r_c = 0.4
    core = CoreNFW(1e7 * RHO, 1.5 * u.kpc, r_c=r_c * u.kpc, n=n)
    nfw = core.nfw
    # inner slope -> n - 1 (0: a constant-density core for n = 1)
    assert_quantity_allclose(core.log_slope(1e-6 * r_c * u.kpc), n - 1, atol=1e-5)
    # NFW-like far outside r_c
    r_out = np.array([20, 50, 400]) * r_c * u.kpc
    assert_quantity_allclose(core.log_slope(r_out), nfw.log_slope(r_out), atol=1e-10)
    assert_quantity_allclose(core.density(r_out), nfw.density(r_out), rtol=1e-10)


def test_n1_core_is_flat_inside_rc():
    core = CoreNFW.from_M200_c(1e9 * u.Msun, 12, r_c=0.5 * u.kpc, n=1, H0=H0)
    r = np.array([1e-4, 1e-3, 0.01, 0.05]) * u.kpc
    slope = core.log_slope(r)
    assert np.all(slope < 0) and np.all(slope > -0.2)
    assert_quantity_allclose(core.density(1e-5 * u.kpc), core.density(1e-4 * u.kpc), rtol=1e-3)


@pytest.mark.parametrize("n", [0.2, 1.0])
def test_from_M200_c(n):
    core = CoreNFW.from_M200_c(1e9 * u.Msun, 12, r_c=0.3 * u.kpc, n=n, H0=H0)
    nfw = NFW.from_M200_c(1e9 * u.Msun, 12, H0=H0)
    for name in ("rho_s", "r_s"):
        assert_quantity_allclose(core.parameters[name], nfw.parameters[name], rtol=1e-14)
    r200 = nfw.virial_radius(H0=H0)
    # M(<r200) = M200 tanh(r200/r_c)^n = M200 to round-off for r_c << r200
    assert_quantity_allclose(core.enclosed_mass(r200), 1e9 * u.Msun, rtol=1e-10)
    assert_quantity_allclose(core.virial_radius(H0=H0), r200, rtol=1e-8)
    assert core.family == "corenfw"
    assert not np.isfinite(core.total_mass)


def test_input_errors():
    with pytest.raises(ValueError, match=r"argument 'n' must lie in \[0, 1\]"):
        CoreNFW(1e7 * RHO, 1 * u.kpc, r_c=0.3 * u.kpc, n=1.5)
    with pytest.raises(ValueError, match="argument 'n'"):
        CoreNFW(1e7 * RHO, 1 * u.kpc, r_c=0.3 * u.kpc, n=-0.1)
    with pytest.raises(TypeError, match="argument 'r_c'"):
        CoreNFW(1e7 * RHO, 1 * u.kpc, r_c=0.3, n=1)
    with pytest.raises(u.UnitTypeError, match="argument 'r_c'"):
        CoreNFW(1e7 * RHO, 1 * u.kpc, r_c=0.3 * u.Msun, n=1)
    with pytest.raises(ValueError, match="argument 'r_c'"):
        CoreNFW(1e7 * RHO, 1 * u.kpc, r_c=0 * u.kpc, n=1)
    with pytest.raises(TypeError, match="argument 'M200'"):
        CoreNFW.from_M200_c(1e9, 12, r_c=0.3 * u.kpc, n=1)
