"""Maximum-likelihood systemic velocity and Plummer radius: recovery and calibration."""

import numpy as np
import pytest
from astropy import units as u
from astropy.tests.helper import assert_quantity_allclose

from dmprofile.kinematics import (
    PlummerFit,
    SystemicVelocity,
    estimate_systemic_velocity,
    fit_plummer_radius,
)

KMS = u.km / u.s


def plummer_radii(rng, n, a, r_max=np.inf):
    """Projected radii of a Plummer sphere, optionally only those inside r_max."""
    q_max = 1.0 if np.isinf(r_max) else r_max**2 / (a**2 + r_max**2)
    q = rng.uniform(0, q_max, n)
    return a * np.sqrt(q / (1 - q))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_velocity_recovery(seed):
    rng = np.random.default_rng(seed)
    n, mu, sigma = 3000, 120.0, 9.0
    err = rng.uniform(0.5, 6.0, n)
    v = rng.normal(mu, np.hypot(sigma, err))
    fit = estimate_systemic_velocity(v * KMS, err * KMS)
    assert isinstance(fit, SystemicVelocity)
    assert fit.n_stars == n
    assert abs(fit.v_sys.to_value(KMS) - mu) < 3.5 * fit.v_sys_err.to_value(KMS)
    assert abs(fit.sigma.to_value(KMS) - sigma) < 3.5 * fit.sigma_err.to_value(KMS)
    assert "SystemicVelocity" in repr(fit)


def test_velocity_pulls_are_calibrated():
    """Over many small samples the pulls (estimate - truth) / error are ~ N(0, 1)."""
    rng = np.random.default_rng(42)
    pulls_mu, pulls_sigma = [], []
    for _ in range(300):
        err = rng.uniform(1.0, 4.0, 150)
        v = rng.normal(10.0, np.hypot(8.0, err))
        fit = estimate_systemic_velocity(v * KMS, err * KMS)
        pulls_mu.append((fit.v_sys.value - 10.0) / fit.v_sys_err.value)
        pulls_sigma.append((fit.sigma.value - 8.0) / fit.sigma_err.value)
    for pulls in (np.array(pulls_mu), np.array(pulls_sigma)):
        assert abs(pulls.mean()) < 0.25
        assert 0.85 < pulls.std() < 1.15


def test_velocity_without_errors_is_mean_and_std():
    rng = np.random.default_rng(0)
    v = rng.normal(0, 5, 400)
    fit = estimate_systemic_velocity(v * KMS)
    assert_quantity_allclose(fit.v_sys, v.mean() * KMS, rtol=0, atol=1e-8 * KMS)
    assert_quantity_allclose(fit.sigma, v.std() * KMS, rtol=1e-5)


def test_velocity_zero_dispersion():
    """Velocities scattered only by their errors give sigma ~ 0."""
    rng = np.random.default_rng(5)
    err = np.full(2000, 3.0)
    v = rng.normal(50.0, err)
    fit = estimate_systemic_velocity(v * KMS, err * KMS)
    assert fit.sigma.to_value(KMS) < 1.0


def test_velocity_integer_weights_equal_duplication():
    rng = np.random.default_rng(3)
    v, e = rng.normal(0, 7, 200), rng.uniform(1, 3, 200)
    w = rng.integers(1, 4, 200)
    a = estimate_systemic_velocity(v * KMS, e * KMS, weights=w)
    b = estimate_systemic_velocity(np.repeat(v, w) * KMS, np.repeat(e, w) * KMS)
    assert_quantity_allclose(a.v_sys, b.v_sys, rtol=1e-9)
    assert_quantity_allclose(a.sigma, b.sigma, rtol=1e-4)


@pytest.mark.parametrize(("args", "kwargs", "exc", "match"), [
    (([1.0, 2.0, 3.0],), {}, TypeError, "'v_los' must be an astropy Quantity"),
    (([1.0, 2.0] * u.kpc,), {}, u.UnitTypeError, "'v_los' must have speed"),
    (([1.0, 2.0] * KMS, 1.0), {}, TypeError, "'v_err'"),
    (([5.0, 5.0, 5.0] * KMS,), {}, ValueError, "velocities are equal"),
    (([1.0, 2.0] * KMS,), {"weights": [1.0, -1.0]}, ValueError, "'weights'"),
])
def test_velocity_errors(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        estimate_systemic_velocity(*args, **kwargs)


@pytest.mark.parametrize(("a", "r_max"), [(0.3, np.inf), (0.3, 0.5), (0.8, 1.0)])
def test_plummer_recovery(a, r_max):
    rng = np.random.default_rng(11)
    R = plummer_radii(rng, 4000, a, r_max)
    fit = fit_plummer_radius(R * u.kpc, r_max=r_max * u.kpc)
    assert isinstance(fit, PlummerFit)
    assert abs(fit.r_half.to_value(u.kpc) - a) < 3.5 * fit.r_half_err.to_value(u.kpc)
    assert "PlummerFit" in repr(fit)


def test_plummer_default_field_is_largest_radius():
    """Check truncated samples: the default (field edge = largest radius) is unbiased.

    An untruncated fit is biased low.
    """
    rng = np.random.default_rng(12)
    R = plummer_radii(rng, 4000, 0.5, 0.6)
    default = fit_plummer_radius(R * u.kpc)
    untruncated = fit_plummer_radius(R * u.kpc, r_max=np.inf * u.kpc)
    assert_quantity_allclose(default.r_max, R.max() * u.kpc)
    assert abs(default.r_half.value - 0.5) < 3.5 * default.r_half_err.value
    assert untruncated.r_half.value < 0.5 - 5 * untruncated.r_half_err.value


def test_plummer_pulls_are_calibrated():
    rng = np.random.default_rng(13)
    pulls = []
    for _ in range(200):
        fit = fit_plummer_radius(plummer_radii(rng, 200, 0.4) * u.kpc, r_max=np.inf * u.kpc)
        pulls.append((fit.r_half.value - 0.4) / fit.r_half_err.value)
    pulls = np.array(pulls)
    assert abs(pulls.mean()) < 0.3
    assert 0.8 < pulls.std() < 1.2


def test_plummer_weights():
    rng = np.random.default_rng(14)
    R = plummer_radii(rng, 300, 0.3)
    w = rng.integers(1, 3, 300)
    a = fit_plummer_radius(R * u.kpc, weights=w, r_max=np.inf * u.kpc)
    b = fit_plummer_radius(np.repeat(R, w) * u.kpc, r_max=np.inf * u.kpc)
    assert_quantity_allclose(a.r_half, b.r_half, rtol=1e-6)


@pytest.mark.parametrize(("R", "kwargs", "exc", "match"), [
    ([0.1, 0.2], {}, TypeError, "'R' must be an astropy Quantity"),
    ([0.1, 0.2] * KMS, {}, u.UnitTypeError, "'R' must have length"),
    ([0.1, 0.2] * u.kpc, {"r_max": 0.15 * u.kpc}, ValueError, "smaller than the largest"),
    ([0.1, 0.2] * u.kpc, {"r_max": -1 * u.kpc}, ValueError, "'r_max' must be > 0"),
    ([0.0, 0.0] * u.kpc, {}, ValueError, "all radii are zero"),
])
def test_plummer_errors(R, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fit_plummer_radius(R, **kwargs)
