"""Priors of the Jeans fit and the M200-parameterised Zhao halo."""

import numpy as np
import pytest
from astropy import units as u
from scipy import stats

from dmprofile.classical import default_priors
from dmprofile.classical._likelihood import JeansLikelihood
from dmprofile.classical._models import HALO_MODELS
from dmprofile.classical._priors import parse_prior
from dmprofile.profiles import Plummer, Zhao, concentration_dutton_maccio


def _likelihood(halo="zhao_m200", anisotropy="isotropic", **overrides):
    rng = np.random.default_rng(0)
    R = rng.uniform(0.05, 1.0, 200)
    v = rng.normal(0.0, 9.0, 200)
    priors = {**default_priors(halo, anisotropy), "v_sys": 0.0, **overrides}
    return JeansLikelihood(R, v, np.full(200, 2.0), None, Plummer(0.25 * u.kpc), halo=halo,
                           anisotropy=anisotropy, priors=priors)


@pytest.mark.parametrize(("spec", "kind"), [((0.0, 1.0), "Uniform"),
                                            (("uniform", 0.0, 1.0), "Uniform"),
                                            (("normal", 0.5, 0.1), "Normal"),
                                            (("dutton_maccio", 0.1), "DuttonMaccio")])
def test_parse_prior(spec, kind):
    assert type(parse_prior("c", spec)).__name__ == kind
    assert parse_prior("c", 3.0) is None


@pytest.mark.parametrize(("name", "spec", "match"), [
    ("n", (1.0, 0.0), "low < high"),
    ("n", ("normal", 0.0, 0.0), "standard deviation must be > 0"),
    ("n", ("dutton_maccio", 0.1), "is for the concentration 'c'"),
    ("c", ("dutton_maccio", -1.0), "scatter must be > 0"),
    ("n", ("cauchy", 0.0, 1.0), "must be a number"),
    ("n", (0.0, 1.0, 2.0), "must be a number"),
    ("n", float("nan"), "must be finite"),
])
def test_parse_prior_errors(name, spec, match):
    with pytest.raises(ValueError, match=match):
        parse_prior(name, spec)


def test_default_priors_follow_training_prior():
    p = default_priors()
    assert set(p) == {"log10_M200", "c", "alpha", "beta", "gamma", "tilde_beta0",
                      "tilde_beta_inf", "log10_r_a", "eta"}
    assert p["c"][0] == "dutton_maccio"
    # the ranges contain the shapes of the default training prior (Zhao, NFW and DC14 haloes)
    assert p["gamma"][0] <= 0.0 and p["gamma"][1] >= 1.5
    assert p["beta"][0] <= 2.5 and p["beta"][1] >= 5.0
    # the other families keep their parameters
    assert set(default_priors("corenfw", "om")) == {"log10_M200", "c", "log10_r_c", "n",
                                                    "log10_r_a"}


def test_zhao_m200_matches_profiles_zhao():
    """Check the vectorised halo model against `dmprofile.profiles.Zhao.from_M200_c`.

    This tests the hypergeometric and incomplete-beta mass integrals.
    """
    h = HALO_MODELS["zhao_m200"]
    shapes = np.array([[9.3, 12.0, 1.5, 2.7, 0.6], [8.6, 25.0, 0.5, 5.0, 1.4],
                       [10.4, 8.0, 3.0, 3.0, 0.0], [9.0, 15.0, 1.0, 3.0, 1.0]])
    P = {n: shapes[:, i:i + 1] for i, n in enumerate(h.params)}
    r = np.geomspace(1e-3, 50.0, 256)
    rho, mass, slope = h.density(P, r), h.mass(P, r), h.log_slope(P, r)
    for k, (lm, c, a, b, g) in enumerate(shapes):
        ref = Zhao.from_M200_c(10**lm * u.Msun, c, alpha=a, beta=b, gamma=g)
        np.testing.assert_allclose(rho[k], ref._density(r), rtol=1e-6)
        np.testing.assert_allclose(mass[k], ref._enclosed_mass(r), rtol=1e-3)
        np.testing.assert_allclose(slope[k], ref._log_slope(r), rtol=1e-8)


def test_dutton_maccio_prior_density_and_draws():
    like = _likelihood()
    i_m, i_c = like.names.index("log10_M200"), like.names.index("c")
    draws = like.sample_prior(20000, np.random.default_rng(1))
    assert np.all(like.in_prior(draws))
    z = (np.log10(draws[:, i_c]) - np.log10(concentration_dutton_maccio(
        10 ** draws[:, i_m]))) / 0.15
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert stats.kstest(draws[:, i_m], stats.uniform(8.5, 2.0).cdf).pvalue > 1e-3
    # log prior differences: log-normal density in c, flat in the other parameters
    theta = draws[:2].copy()
    theta[1] = theta[0]
    c_med = concentration_dutton_maccio(10 ** theta[0, i_m])
    theta[0, i_c], theta[1, i_c] = c_med, c_med * 10**0.15
    lp = like.log_prior(theta)
    assert lp[0] - lp[1] == pytest.approx(0.5 + np.log(10**0.15), rel=1e-9)
    theta[1, i_c] = c_med * 10**0.8                      # beyond 5 sigma
    assert not like.in_prior(theta)[1]


def test_gaussian_prior_and_fixed_values():
    like = _likelihood(halo="corenfw", n=("normal", 0.5, 0.2), c=("uniform", 5.0, 30.0),
                       log10_M200=9.0)
    assert "log10_M200" not in like.names and like.fixed["log10_M200"] == 9.0
    draws = like.sample_prior(5000, np.random.default_rng(2))
    n = draws[:, like.names.index("n")]
    assert abs(n.mean() - 0.5) < 0.02 and abs(n.std() - 0.2) < 0.02
    assert like.priors["n"] == ("normal", 0.5, 0.2)


def test_dutton_maccio_needs_m200():
    with pytest.raises(ValueError, match="unknown prior parameter"):
        _likelihood(halo="zhao", c=("dutton_maccio", 0.1))
    like = _likelihood(halo="nfw", c=("dutton_maccio", 0.1), log10_M200=9.5)
    c = like.sample_prior(2000, np.random.default_rng(3))[:, 0]
    assert abs(np.median(np.log10(c)) - np.log10(concentration_dutton_maccio(10**9.5))) < 0.01


def test_jeans_analysis_with_prior_specifications():
    import warnings

    from astropy.table import QTable

    from dmprofile.classical import jeans_analysis
    from dmprofile.exceptions import DMProfileWarning

    rng = np.random.default_rng(4)
    n = 300
    R = 0.25 * np.sqrt(1 / (1 / rng.uniform(size=n) - 1))
    phi = rng.uniform(0, 2 * np.pi, n)
    t = QTable({"x": R * np.cos(phi) * u.kpc, "y": R * np.sin(phi) * u.kpc,
                "v_los": rng.normal(0, 9, n) * u.km / u.s,
                "v_err": np.full(n, 2.0) * u.km / u.s}, meta={"v_sys": 0.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DMProfileWarning)
        res = jeans_analysis(t, halo="zhao_m200", anisotropy="isotropic", nwalkers=12, nsteps=40,
                             seed=1,
                             progress=False, priors={"c": ("dutton_maccio", 0.05),
                                                     "gamma": ("normal", 1.0, 0.1)})
    assert res.meta["halo"] == "zhao_m200"
    assert res.meta["priors"]["c"] == ("dutton_maccio", 0.05)
    assert res.meta["priors"]["gamma"] == ("normal", 1.0, 0.1)
    chain = res.chain.reshape(-1, len(res.parameter_names))
    names = list(res.parameter_names)
    z = (np.log10(chain[:, names.index("c")]) - np.log10(concentration_dutton_maccio(
        10 ** chain[:, names.index("log10_M200")]))) / 0.05
    assert np.all(np.abs(z) <= 5)
    assert np.all(np.abs(chain[:, names.index("gamma")] - 1.0) <= 0.5)


def test_zhao_slope_parameterisation():
    """Check zhao_slope: the free gamma_150 is the model's log-slope at 150 pc.

    The halo is the Zhao M200-c halo with the implied inner slope.
    """
    h, ref_model = HALO_MODELS["zhao_slope"], HALO_MODELS["zhao_m200"]
    shapes = np.array([[9.3, 12.0, 1.5, 2.7, -0.4], [8.6, 25.0, 0.5, 5.0, -1.8],
                       [10.4, 8.0, 3.0, 3.0, -0.05], [9.0, 15.0, 1.0, 3.0, -1.1],
                       [8.6, 25.0, 0.5, 5.0, -0.05]])          # the last: implied gamma < 0
    P = {n: shapes[:, i:i + 1] for i, n in enumerate(h.params)}
    np.testing.assert_allclose(h.log_slope(P, np.array([0.15]))[:, 0], shapes[:, 4], atol=1e-7)
    gamma = h.with_gamma(P)["gamma"]
    Q = {**{n: P[n] for n in ("log10_M200", "c", "alpha", "beta")}, "gamma": gamma}
    r = np.geomspace(1e-3, 50.0, 128)
    np.testing.assert_allclose(h.density(P, r), ref_model.density(Q, r), rtol=1e-12)
    np.testing.assert_allclose(h.mass(P, r), ref_model.mass(Q, r), rtol=1e-12)
    # the implied inner slope must lie in gamma_range
    ok = h.support(P)[:, 0]
    np.testing.assert_array_equal(ok, (gamma[:, 0] >= 0) & (gamma[:, 0] <= 1.5))
    assert ok.any() and not ok.all()


def test_zhao_slope_prior_is_flat_in_gamma_150():
    like = _likelihood(halo="zhao_slope")
    assert set(default_priors("zhao_slope", "isotropic")) == {"log10_M200", "c", "alpha", "beta",
                                                              "gamma_150"}
    draws = like.sample_prior(4000, np.random.default_rng(5))
    lp = like.log_prior(draws)
    inside = np.isfinite(lp)
    assert 0.2 < inside.mean() < 0.9                # the inner-slope condition cuts the box
    i_g = like.names.index("gamma_150")
    # same M200, c, alpha, beta: the prior density does not depend on gamma_150
    theta = np.repeat(draws[inside][:1], 2, axis=0)
    gamma = HALO_MODELS["zhao_slope"].with_gamma(like.params(theta))["gamma"][0, 0]
    theta[1, i_g] -= 0.01 if gamma < 1.4 else -0.01
    lp2 = like.log_prior(theta)
    assert np.all(np.isfinite(lp2)) and lp2[0] == lp2[1]
    # outside the inner-slope range the prior vanishes
    theta[1, i_g] = 0.0                             # gamma_150 = 0 needs gamma < 0
    assert not like.in_prior(theta)[1]


def test_command_line_families_match_the_models():
    from dmprofile._cli.classical import ANISOTROPIES, HALOS
    from dmprofile.classical._models import ANISOTROPY_MODELS

    assert set(HALOS) == set(HALO_MODELS) | {"mixture"}
    assert set(ANISOTROPIES) == set(ANISOTROPY_MODELS)
