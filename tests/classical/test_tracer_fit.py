"""Maximum-likelihood Plummer / sum-of-Plummer tracer fits."""

import numpy as np
import pytest
from astropy import units as u
from astropy.tests.helper import assert_quantity_allclose

from dmprofile.classical import PlummerSum, fit_tracer
from dmprofile.profiles import Exponential, Plummer, Zhao


def _plummer_xy(a, n, rng):
    R = a * np.sqrt(1 / (1 / rng.uniform(size=n) - 1))   # inverse of M(<R) = R^2 / (R^2 + a^2)
    phi = rng.uniform(0, 2 * np.pi, n)
    return R * np.cos(phi), R * np.sin(phi)


@pytest.mark.parametrize("a", [0.1, 0.4, 1.2])
def test_recovers_plummer_radius(a):
    rng = np.random.default_rng(42)
    x, y = _plummer_xy(a, 3000, rng)
    fit = fit_tracer(x * u.kpc, y * u.kpc, n_components=1)
    assert isinstance(fit.profile, Plummer)
    # statistical error of a is ~ a / sqrt(N): 3 sigma ~ 5.5%
    assert_quantity_allclose(fit.r_half, a * u.kpc, rtol=0.055)
    assert "1 Plummer component" in repr(fit)


def test_survey_radius_and_auto_components():
    rng = np.random.default_rng(3)
    x, y = _plummer_xy(0.3, 6000, rng)
    R = np.hypot(x, y)
    inside = R < 0.45                          # a survey that covers only the inner part
    fit = fit_tracer(x[inside] * u.kpc, y[inside] * u.kpc, R_max=0.45 * u.kpc, n_components=1)
    assert_quantity_allclose(fit.r_half, 0.3 * u.kpc, rtol=0.08)
    auto = fit_tracer(x * u.kpc, y * u.kpc)
    assert auto.n_components == 1              # BIC does not invent components
    assert set(auto.candidates) == {1, 2, 3}


def test_two_component_mixture():
    rng = np.random.default_rng(7)
    x1, y1 = _plummer_xy(0.1, 3000, rng)
    x2, y2 = _plummer_xy(0.8, 3000, rng)
    x, y = np.concatenate([x1, x2]), np.concatenate([y1, y2])
    fit = fit_tracer(x * u.kpc, y * u.kpc)
    assert fit.n_components >= 2
    truth = PlummerSum([0.1, 0.8] * u.kpc, mass=[0.5, 0.5] * u.Msun)
    assert_quantity_allclose(fit.r_half, truth.projected_half_mass_radius(), rtol=0.08)
    tab = fit.to_table()
    assert np.isclose(tab["mass_fraction"].sum(), 1.0)


def test_membership_weights_downweight_contaminants():
    rng = np.random.default_rng(11)
    x, y = _plummer_xy(0.2, 2000, rng)
    xc, yc = rng.uniform(-2, 2, (2, 2000))     # uniform foreground
    X, Y = np.concatenate([x, xc]), np.concatenate([y, yc])
    w = np.concatenate([np.ones(2000), np.full(2000, 1e-6)])
    fit = fit_tracer(X * u.kpc, Y * u.kpc, weights=w, n_components=1)
    naive = fit_tracer(X * u.kpc, Y * u.kpc, n_components=1)
    assert_quantity_allclose(fit.r_half, 0.2 * u.kpc, rtol=0.08)
    assert naive.r_half > 1.5 * fit.r_half


def test_plummer_sum_profile():
    p = PlummerSum([0.2, 0.2] * u.kpc, mass=[0.5, 1.5] * u.Msun)
    q = Plummer(0.2 * u.kpc, mass=2 * u.Msun)
    r = [0.05, 0.3, 2.0] * u.kpc
    assert_quantity_allclose(p.density(r), q.density(r), rtol=1e-12)
    assert_quantity_allclose(p.enclosed_mass(r), q.enclosed_mass(r), rtol=1e-12)
    assert_quantity_allclose(p.surface_density(r), q.surface_density(r), rtol=1e-12)
    assert_quantity_allclose(p.projected_half_mass_radius(), 0.2 * u.kpc, rtol=1e-9)
    assert p.total_mass == 2 * u.Msun


def test_errors():
    x = np.linspace(0.01, 1, 50)
    with pytest.raises(TypeError, match="argument 'x' must be an astropy Quantity"):
        fit_tracer(x, x * u.kpc)
    with pytest.raises(u.UnitTypeError, match="argument 'y' must have length units"):
        fit_tracer(x * u.kpc, x * u.km / u.s)
    with pytest.raises(ValueError, match="n_components"):
        fit_tracer(x * u.kpc, x * u.kpc, n_components=4)
    with pytest.raises(ValueError, match="at least 10 stars"):
        fit_tracer(x[:5] * u.kpc, x[:5] * u.kpc)
    with pytest.raises(ValueError, match="weights"):
        fit_tracer(x * u.kpc, x * u.kpc, weights=np.full(50, 2.0))
    with pytest.raises(ValueError, match="inside 'R_max'"):
        fit_tracer(x * u.kpc, x * u.kpc, R_max=0.5 * u.kpc)
    with pytest.raises(ValueError, match="same length"):
        PlummerSum([0.1, 0.2] * u.kpc, mass=[1.0] * u.Msun)


def _projected_xy(profile, n, rng):
    """Star positions drawn from a finite-mass profile: 3-D radii by the inverse of M(<r)."""
    r = np.geomspace(1e-5, 1e4, 4000) * profile._scale_radius()
    cdf = profile._enclosed_mass(r) / profile._total_mass()
    rr = np.interp(rng.uniform(size=n), cdf, r)
    cos_t = rng.uniform(-1, 1, n)
    R = rr * np.sqrt(1 - cos_t**2)
    phi = rng.uniform(0, 2 * np.pi, n)
    return R * np.cos(phi), R * np.sin(phi)


EXP = Exponential(0.15 * u.kpc)
ZHAO = Zhao(1 * u.Msun / u.kpc**3, 0.3 * u.kpc, alpha=1.0, beta=5.0, gamma=0.8)


@pytest.mark.parametrize(("profile", "family", "cls"), [(EXP, "exponential", Exponential),
                                                         (ZHAO, "zhao", Zhao)])
def test_recovers_family_half_light_radius(profile, family, cls):
    rng = np.random.default_rng(5)
    x, y = _projected_xy(profile, 4000, rng)
    fit = fit_tracer(x * u.kpc, y * u.kpc, family=family)
    assert isinstance(fit.profile, cls) and fit.family == family and fit.n_components == 1
    assert family in repr(fit).lower()
    assert_quantity_allclose(fit.r_half, profile.projected_half_mass_radius(), rtol=0.05)
    assert_quantity_allclose(fit.profile.total_mass, 1 * u.Msun, rtol=1e-6)
    assert fit.to_table().meta["family"] == family


def test_zhao_likelihood_matches_plummer():
    # Zhao (2, 5, 0) is the Plummer sphere: same likelihood as the closed-form Plummer one
    from dmprofile.classical._tracer_families import _ZhaoLikelihood
    from dmprofile.classical._tracer_fit import _negloglike

    R = np.hypot(*_plummer_xy(0.3, 3000, np.random.default_rng(2)))
    w, Rm = np.ones_like(R), R.max() * 1.01
    zhao = _ZhaoLikelihood(R, w, Rm)(np.array([np.log(0.3), 2.0, 5.0, 0.0]))
    assert np.isclose(zhao, _negloglike(np.array([np.log(0.3)]), 1, R, w, Rm), atol=5e-3)


@pytest.mark.parametrize(("profile", "expected"), [(EXP, "exponential"), (Plummer(0.3 * u.kpc),
                                                                          "plummer")])
def test_auto_family(profile, expected):
    rng = np.random.default_rng(9)
    x, y = _projected_xy(profile, 5000, rng)
    fit = fit_tracer(x * u.kpc, y * u.kpc, family="auto")
    assert fit.family == expected
    assert fit.bic <= min(c["bic"] for c in fit.candidates.values())
    assert set(fit.candidates) >= {1, 2, 3} and len(fit.candidates) == 5


def test_family_errors():
    x = np.linspace(0.01, 1, 50)
    with pytest.raises(ValueError, match="argument 'family' must be one of"):
        fit_tracer(x * u.kpc, x * u.kpc, family="sersic")
    with pytest.raises(ValueError, match="argument 'n_components' must be 1 or 'auto'"):
        fit_tracer(x * u.kpc, x * u.kpc, family="zhao", n_components=2)
