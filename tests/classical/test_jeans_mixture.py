"""The halo-family mixture of the Jeans analysis: DC14 model, normalised priors, evidence."""

import math
import warnings

import numpy as np
import pytest
from astropy import units as u
from scipy import integrate, stats

from dmprofile.classical import default_priors, jeans_analysis, mixture_priors
from dmprofile.classical._evidence import log_evidence
from dmprofile.classical._likelihood import JeansLikelihood
from dmprofile.classical._models import HALO_MODELS
from dmprofile.classical._priors import parse_prior
from dmprofile.exceptions import DMProfileWarning
from dmprofile.profiles import DC14, NFW, Cuddeford, Plummer
from dmprofile.simulate import DefaultDwarfPrior

from test_jeans_analysis import _gaussian_mock


def test_dc14_model_matches_profiles_dc14():
    h = HALO_MODELS["dc14"]
    pars = np.array([[9.3, 12.0, -2.7], [10.2, 8.0, -4.0], [8.7, 20.0, -1.4]])
    P = {n: pars[:, i:i + 1] for i, n in enumerate(h.params)}
    r = np.geomspace(1e-3, 30.0, 200)
    rho, mass, slope = h.density(P, r), h.mass(P, r), h.log_slope(P, r)
    for k, (lm, c, x) in enumerate(pars):
        ref = DC14(10**lm * u.Msun, c, log_mstar_mhalo=x)
        np.testing.assert_allclose(rho[k], ref._density(r), rtol=1e-5)
        np.testing.assert_allclose(mass[k], ref._enclosed_mass(r), rtol=1e-3)
        np.testing.assert_allclose(slope[k], ref._log_slope(r), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("spec", [(0.5, 3.0), ("normal", 1.0, 0.3), ("dutton_maccio", 0.1)])
def test_priors_are_normalised_and_transforms_invert(spec):
    prior = parse_prior("c", spec)
    P = {"log10_M200": np.array([9.0])}
    lo, hi = {0.5: (0.5, 3.0), "normal": (-1.0, 3.0), "dutton_maccio": (1e-3, 40.0)}[spec[0]]

    def pdf(x):
        return float(np.exp(prior.log_pdf(np.array([x]), P)[0] + prior.log_norm))

    points = [10.0 ** 0.96] if spec[0] == "dutton_maccio" else None   # the relation's median
    total = integrate.quad(pdf, lo, hi, points=points, limit=200)[0]
    assert total == pytest.approx(1.0, rel=1e-4)
    x = np.array([0.7, 1.2, 2.9])
    y = prior.to_unbounded(x)
    back, log_jac = prior.from_unbounded(y)
    np.testing.assert_allclose(back, x, rtol=1e-10)
    h = 1e-6
    numeric = (prior.from_unbounded(y + h)[0] - prior.from_unbounded(y - h)[0]) / (2 * h)
    np.testing.assert_allclose(np.exp(log_jac), numeric, rtol=1e-5)


class _GaussianLike:
    """A fake likelihood: a 3-d Gaussian times uniform priors, with a known evidence."""

    def __init__(self):
        self._priors = [parse_prior("a", (-5.0, 5.0)), parse_prior("b", (0.0, 10.0)),
                        parse_prior("c", ("normal", 1.0, 2.0))]
        self.mean = np.array([0.5, 2.0, 1.5])
        self.cov = np.array([[0.3, 0.1, 0.0], [0.1, 0.2, 0.05], [0.0, 0.05, 0.5]])
        self.log_prior_norm = sum(p.log_norm for p in self._priors)

    def __call__(self, theta):
        lp = sum(p.log_pdf(theta[:, i], None) for i, p in enumerate(self._priors))
        return lp + 3.0 + stats.multivariate_normal(self.mean, self.cov).logpdf(theta)

    def exact(self):
        # the Gaussian lies well inside the boxes: Z = e^3 / 10 / 10 * N(1.5 | 1, sqrt(4 + 0.5))
        return 3.0 - 2 * math.log(10.0) + stats.norm(1.0, math.sqrt(4.5)).logpdf(1.5)


def test_log_evidence_of_a_known_integral():
    like = _GaussianLike()
    rng = np.random.default_rng(3)
    # exact posterior draws: Gaussian likelihood x Gaussian prior in the third coordinate
    prec = np.linalg.inv(like.cov) + np.diag([0, 0, 1 / 4.0])
    cov = np.linalg.inv(prec)
    mean = cov @ (np.linalg.inv(like.cov) @ like.mean + np.array([0, 0, 1.0 / 4.0]))
    samples = rng.multivariate_normal(mean, cov, 3000)
    info = log_evidence(like, samples, rng, n_draws=4000)
    assert info["ess"] > 1000
    assert info["log_evidence_err"] < 0.05
    assert info["log_evidence"] == pytest.approx(like.exact(), abs=4 * info["log_evidence_err"])


@pytest.mark.slow
def test_log_evidence_of_a_jeans_model_against_a_grid():
    """Two free parameters (M200, c of an NFW halo): ln Z against a direct 2-d integral."""
    t = _gaussian_mock(NFW.from_M200_c(1e9 * u.Msun, 15), Cuddeford(0.0), 200, seed=11)
    priors = {"log10_M200": (8.5, 10.5), "c": ("dutton_maccio", 0.1), "v_sys": 0.0}
    R = np.hypot(t["x"].value, t["y"].value)
    like = JeansLikelihood(R, t["v_los"].value, t["v_err"].value, None, Plummer(0.25 * u.kpc),
                           halo="nfw", anisotropy="isotropic", priors=priors)
    lm = np.linspace(8.5, 10.5, 121)
    lc = np.linspace(0.3, 1.9, 121)                        # log10 c, beyond +-5 sigma
    LM, LC = np.meshgrid(lm, lc, indexing="ij")
    theta = np.column_stack([LM.ravel(), 10.0 ** LC.ravel()])
    logf = like(theta) + like.log_prior_norm + np.log(np.log(10) * theta[:, 1])  # d c = ln10 c dlc
    f = np.exp(logf - logf.max()).reshape(LM.shape)
    exact = math.log(integrate.simpson(integrate.simpson(f, x=lc, axis=1), x=lm)) + logf.max()
    # posterior draws from the grid (cells by weight, jittered within a cell)
    rng = np.random.default_rng(4)
    p = f.ravel() / f.sum()
    idx = rng.choice(p.size, size=4000, p=p)
    draws = theta[idx].copy()
    draws[:, 0] += rng.uniform(-0.5, 0.5, idx.size) * (lm[1] - lm[0])
    draws[:, 1] *= 10.0 ** (rng.uniform(-0.5, 0.5, idx.size) * (lc[1] - lc[0]))
    info = log_evidence(like, draws, rng, n_draws=4000)
    assert info["log_evidence"] == pytest.approx(exact, abs=max(0.05, 4 * info["log_evidence_err"]))


def test_log_prior_norm_refuses_joint_support():
    rng = np.random.default_rng(0)
    R, v = rng.uniform(0.05, 1.0, 50), rng.normal(0.0, 9.0, 50)
    like = JeansLikelihood(R, v, np.full(50, 2.0), None, Plummer(0.25 * u.kpc),
                           halo="zhao_slope", anisotropy="isotropic",
                           priors={**default_priors("zhao_slope", "isotropic"), "v_sys": 0.0})
    with pytest.raises(ValueError, match="not normalised"):
        _ = like.log_prior_norm


def test_mixture_priors_follow_the_training_prior():
    fams = mixture_priors(0.3)
    assert {k: v[0] for k, v in fams.items()} == {"dc14": "dc14", "corenfw": "corenfw",
                                                  "zhao": "zhao_m200", "nfw": "nfw"}
    prior = DefaultDwarfPrior()
    assert {k: v[1] for k, v in fams.items()} == prior.family_weights
    for _, _, p in fams.values():
        assert p["log10_M200"] == (8.5, 10.5) and p["c"] == ("dutton_maccio", 0.1)
    lo, hi = fams["corenfw"][2]["log10_r_c"]
    assert 10**lo == pytest.approx(0.5 * 0.3) and 10**hi == pytest.approx(3.0 * 0.3)
    assert fams["zhao"][2]["beta"] == (3.0, 5.0)
    assert fams["dc14"][2]["log_mstar_mhalo"] == (-4.1, -1.3)
    only = mixture_priors(0.3, DefaultDwarfPrior(family_weights={"nfw": 1.0, "zhao": 0.0}))
    assert list(only) == ["nfw"]
    with pytest.raises(TypeError, match="mixture_prior"):
        mixture_priors(0.3, {"nfw": 1.0})
    with pytest.raises(ValueError, match="half-light radius"):
        mixture_priors(-1.0)
    with pytest.raises(ValueError, match="c_scatter"):
        mixture_priors(0.3, DefaultDwarfPrior(c_scatter=0.0))
    # the broad preset's cored and Burkert haloes have no Jeans family: a clear error, not a
    # KeyError; with them at zero weight the preset works
    with pytest.raises(ValueError, match=r"without a Jeans counterpart \(burkert, cored\)"):
        mixture_priors(0.3, DefaultDwarfPrior.broad())
    weights = dict(DefaultDwarfPrior.broad().family_weights, cored=0.0, burkert=0.0)
    broad = mixture_priors(0.3, DefaultDwarfPrior.broad(family_weights=weights))
    assert sorted(broad) == ["corenfw", "dc14", "nfw", "zhao"]
    with pytest.raises(ValueError, match="mixture_priors"):
        default_priors("mixture")


@pytest.fixture(scope="module")
def mixture_result():
    halo = NFW.from_M200_c(1e9 * u.Msun, 15)
    t = _gaussian_mock(halo, Cuddeford(0.0), 300, seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DMProfileWarning)
        res = jeans_analysis(t, halo="mixture", anisotropy="isotropic", nwalkers=16, nsteps=300,
                             seed=3, progress=False)
    return res, t


def test_mixture_result(mixture_result):
    res, _ = mixture_result
    assert res.meta["halo"] == "mixture" and res.meta["nsteps"] == 300
    assert set(res.components) == {"dc14", "corenfw", "zhao", "nfw"}
    probs = res.family_probabilities
    assert sum(probs.values()) == pytest.approx(1.0)
    ev = res.evidence
    for family, e in ev.items():
        assert np.isfinite(e["log_evidence"]) and e["ess"] > 50
        assert res.components[family].meta["halo"] == mixture_priors(0.3)[family][0]
    # posterior odds = prior odds x Bayes factor
    a, b = "nfw", "zhao"
    assert math.log(probs[a] / probs[b]) == pytest.approx(
        math.log(ev[a]["weight"] / ev[b]["weight"]) + ev[a]["log_evidence"]
        - ev[b]["log_evidence"], abs=1e-9)
    # pooled samples: each family in proportion to its probability
    fam = np.asarray(res.samples["family"])
    n = len(res.components["nfw"].samples)
    assert fam.size == n
    for family, p in probs.items():
        assert abs(np.sum(fam == family) - p * n) < 1
    assert res.slope.meta["model"] == "jeans-mixture-isotropic"
    assert "nfw" in repr(res) and "mixture halo" in repr(res)
    assert "family" not in res.to_table()["name"]
    with pytest.raises(AttributeError, match="components"):
        _ = res.chain
    assert res.components["nfw"].chain.shape == (300, 16, 3)   # M200, c, v_sys
    assert res.parameter_names == ()
    assert len(res.profile.to_table()) > 0
    # the NFW truth lies inside the 95% interval of the pooled posterior
    lo, hi = res.slope.interval(0.95)
    truth = NFW.from_M200_c(1e9 * u.Msun, 15).log_slope(0.15 * u.kpc)
    assert lo <= truth <= hi


def test_mixture_prior_overrides_and_errors(mixture_result):
    _, t = mixture_result
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DMProfileWarning)
        res = jeans_analysis(t, halo="mixture", anisotropy="isotropic", nwalkers=16, nsteps=60,
                             seed=3, progress=False, priors={"log10_M200": (9.0, 9.5)},
                             mixture_prior=DefaultDwarfPrior(family_weights={"nfw": 1.0,
                                                                             "corenfw": 1.0}))
    assert set(res.components) == {"nfw", "corenfw"}
    m = np.asarray(res.samples["log10_M200"])
    assert m.min() >= 9.0 and m.max() <= 9.5
    assert res.components["corenfw"].meta["priors"]["log10_M200"] == (9.0, 9.5)
    with pytest.raises(ValueError, match="unknown prior parameter"):
        jeans_analysis(t, halo="mixture", priors={"gamma_150": (-1, 0)}, nsteps=10,
                       progress=False)
    with pytest.raises(ValueError, match="only used with halo='mixture'"):
        jeans_analysis(t, halo="zhao_m200", mixture_prior=DefaultDwarfPrior(), nsteps=10,
                       progress=False)
    with pytest.raises(ValueError, match="'mixture'"):
        jeans_analysis(t, halo="burkert", nsteps=10, progress=False)
