"""Velocity-anisotropy profiles: beta(r) and the Jeans integrating factor."""

import numpy as np
import pytest
from astropy import units as u
from astropy.tests.helper import assert_quantity_allclose

from dmprofile.profiles import BaesVanHese, Cuddeford, Isotropic, OsipkovMerritt

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

R = np.geomspace(1e-3, 1e2, 11)

MODELS = {
    "isotropic": lambda: Isotropic(),
    "om": lambda: OsipkovMerritt(0.4 * u.kpc),
    "const_tangential": lambda: Cuddeford(-0.3),
    "const_radial": lambda: Cuddeford(0.5),
    "cuddeford": lambda: Cuddeford(-0.2, 0.6 * u.kpc),
    "bvh": lambda: BaesVanHese(-0.3, 0.6, 0.5 * u.kpc, eta=1.5),
}


@pytest.fixture(params=sorted(MODELS), ids=sorted(MODELS))
def model(request):
    return MODELS[request.param]()


def test_jeans_factor_derivative_is_two_beta_over_r(model):
    h = 1e-5
    g_plus = np.exp(model._log_jeans_factor(R * (1 + h)))
    g_minus = np.exp(model._log_jeans_factor(R * (1 - h)))
    g = np.exp(model._log_jeans_factor(R))
    dlng = (g_plus - g_minus) / (2 * h * R) / g
    np.testing.assert_allclose(R * dlng, 2 * model._beta(R), rtol=1e-7, atol=1e-8)


def test_beta_quantity_api(model):
    beta = model.beta(R.reshape(1, -1) * u.kpc)
    assert beta.shape == (1, R.size)
    assert beta.unit == u.dimensionless_unscaled
    assert np.all(beta < 1)
    with pytest.raises(TypeError, match="argument 'r'"):
        model.beta(0.3)
    with pytest.raises(u.UnitTypeError, match="argument 'r'"):
        model.beta(0.3 * u.s)
    assert type(model).__name__ in repr(model)


def test_beta_values():
    r = R * u.kpc
    assert_quantity_allclose(Isotropic().beta(r), 0)
    r_a = 0.4
    assert_quantity_allclose(OsipkovMerritt(r_a * u.kpc).beta(r), R**2 / (R**2 + r_a**2))
    assert_quantity_allclose(OsipkovMerritt(r_a * u.kpc).beta(r_a * u.kpc), 0.5)
    assert_quantity_allclose(Cuddeford(0.35).beta(r), 0.35)
    cud = Cuddeford(-0.2, 0.6 * u.kpc)
    assert_quantity_allclose(cud.beta(1e-6 * u.kpc), -0.2, atol=1e-10)
    assert_quantity_allclose(cud.beta(1e6 * u.kpc), 1, atol=1e-10)
    bvh = BaesVanHese(-0.3, 0.6, 0.5 * u.kpc, eta=1.5)
    assert_quantity_allclose(bvh.beta(1e-8 * u.kpc), -0.3, atol=1e-8)
    assert_quantity_allclose(bvh.beta(1e8 * u.kpc), 0.6, atol=1e-8)
    assert_quantity_allclose(bvh.beta(0.5 * u.kpc), 0.15)


def test_parameters():
    assert Isotropic().parameters == {}
    assert OsipkovMerritt(0.4 * u.kpc).parameters == {"r_a": 0.4 * u.kpc}
    assert Cuddeford(0.2).parameters == {"beta0": 0.2, "r_a": None}


def test_errors():
    with pytest.raises(ValueError, match="argument 'beta0'"):
        Cuddeford(1.0)
    with pytest.raises(ValueError, match="argument 'beta0'"):
        Cuddeford(-0.6)
    with pytest.raises(TypeError, match="argument 'r_a'"):
        OsipkovMerritt(None)
    with pytest.raises(TypeError, match="argument 'r_a'"):
        OsipkovMerritt(0.4)
    with pytest.raises(u.UnitTypeError, match="argument 'r_a'"):
        Cuddeford(0.1, 0.4 * u.Msun)
    with pytest.raises(ValueError, match="argument 'beta_inf'"):
        BaesVanHese(0.0, 1.0, 0.5 * u.kpc)
    with pytest.raises(ValueError, match="argument 'eta'"):
        BaesVanHese(0.0, 0.5, 0.5 * u.kpc, eta=0)
