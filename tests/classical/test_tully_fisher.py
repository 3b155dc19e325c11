"""Tully-Fisher relations: coefficients, error propagation and consistency with SPARC."""

import numpy as np
import pytest
from astropy import units as u
from astropy.tests.helper import assert_quantity_allclose

from dmprofile.classical import (
    HALL2012,
    LELLI2019,
    TullyFisherEstimate,
    baryonic_tully_fisher_mass,
    baryonic_tully_fisher_velocity,
    tully_fisher_velocity,
)
from dmprofile.datasets import sparc_table

KMS = u.km / u.s


def test_hall2012_relation_and_errors():
    m = [1e9, 1e10, 1e11] * u.Msun
    tf = tully_fisher_velocity(m)
    assert isinstance(tf, TullyFisherEstimate)
    assert_quantity_allclose(tf.value, 10 ** (0.264 * np.array([9, 10, 11]) - 0.558) * KMS)
    # independent coefficient errors: (log M x 0.010)^2 + 0.101^2
    np.testing.assert_allclose(tf.log_err, np.hypot(np.array([9, 10, 11]) * 0.010, 0.101))
    assert np.all(tf.lower < tf.value) and np.all(tf.value < tf.upper)
    assert_quantity_allclose(tf.err, 0.5 * (tf.upper - tf.lower))
    assert HALL2012["slope"] == 0.264


def test_input_error_and_scatter_add_in_quadrature():
    base = tully_fisher_velocity(3e10 * u.Msun)
    more = tully_fisher_velocity(3e10 * u.Msun, stellar_mass_err=0.3 * 3e10 * u.Msun,
                                 scatter=0.05)
    extra = (0.264 * 0.3 / np.log(10)) ** 2 + 0.05**2
    np.testing.assert_allclose(more.log_err**2, base.log_err**2 + extra)


def test_monte_carlo_matches_propagated_error():
    rng = np.random.default_rng(0)
    n = 200_000
    a = rng.normal(0.264, 0.010, n)
    b = rng.normal(-0.558, 0.101, n)
    log_v = a * 10.5 + b
    tf = tully_fisher_velocity(10**10.5 * u.Msun)
    assert abs(np.std(log_v) - tf.log_err) < 0.002


def test_btfr_round_trip_and_sparc_consistency():
    v = [50, 100, 250] * KMS
    mb = baryonic_tully_fisher_mass(v)
    assert_quantity_allclose(mb.value, 10 ** (3.85 * np.log10([50, 100, 250]) + 1.99) * u.Msun)
    assert_quantity_allclose(baryonic_tully_fisher_velocity(mb.value).value, v)
    assert LELLI2019["slope"] == 3.85
    # SPARC itself (M_b = 0.5 L[3.6] + 1.33 M_HI, Lelli et al. 2019): median offset ~ 0
    t = sparc_table()
    ok = (t["v_flat"] > 0 * KMS) & (t["quality"] <= 2)
    mb_obs = 0.5 * t["luminosity_36"][ok].to_value(u.Lsun) + 1.33 * t["m_hi"][ok].to_value(u.Msun)
    resid = np.log10(mb_obs) - np.log10(baryonic_tully_fisher_mass(t["v_flat"][ok]).value.value)
    assert abs(np.median(resid)) < 0.1
    assert np.std(resid) < 0.35


@pytest.mark.parametrize(("func", "arg", "kwargs", "exc", "match"), [
    (tully_fisher_velocity, 1e10, {}, TypeError, "argument 'stellar_mass'"),
    (tully_fisher_velocity, -1e10 * u.Msun, {}, ValueError, "'stellar_mass' must be > 0"),
    (tully_fisher_velocity, [1e10, 1e11] * u.Msun, {"stellar_mass_err": [1, 2, 3] * u.Msun},
     ValueError, "'stellar_mass_err' must be a scalar or have the shape"),
    (baryonic_tully_fisher_mass, 100 * u.kpc, {}, u.UnitTypeError, "argument 'v_flat'"),
    (baryonic_tully_fisher_velocity, 1e10 * u.Msun, {"baryonic_mass_err": -1 * u.Msun},
     ValueError, "'baryonic_mass_err' must be >= 0"),
])
def test_errors(func, arg, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        func(arg, **kwargs)
