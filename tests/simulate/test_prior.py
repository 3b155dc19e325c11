"""Tests of the default training-suite prior."""

import json
import math

import numpy as np
import pytest
from astropy import units as u
from scipy import stats

from dmprofile.simulate import DefaultDwarfPrior, DwarfGalaxy, concentration_dutton_maccio


@pytest.fixture(scope="module")
def draws():
    prior = DefaultDwarfPrior()
    rng = np.random.default_rng(123)
    return [prior.draw(rng) for _ in range(3000)]


def column(draws, name):
    return np.array([d[name] for d in draws])


def test_keys_and_types(draws):
    for d in draws[:50]:
        assert tuple(d) == DefaultDwarfPrior().param_names == DefaultDwarfPrior.param_names[:14]
        assert isinstance(d["halo_family"], str)
        assert isinstance(d["n_stars"], int)
        assert all(isinstance(d[k], float) for k in d if k not in ("halo_family", "n_stars"))


def test_reproducible():
    prior = DefaultDwarfPrior()
    a = prior.draw(np.random.default_rng(7))
    b = prior.draw(np.random.default_rng(7))
    assert a.keys() == b.keys()
    assert all(a[k] == b[k] or (a[k] != a[k] and b[k] != b[k]) for k in a)


def test_family_fractions(draws):
    fam = column(draws, "halo_family")
    weights = DefaultDwarfPrior().family_weights
    names = sorted(weights)
    observed = [np.sum(fam == f) for f in names]
    expected = [weights[f] / sum(weights.values()) * len(draws) for f in names]
    assert stats.chisquare(observed, expected).pvalue > 1e-3


def test_family_parameters_present_only_for_their_family(draws):
    fam = column(draws, "halo_family")
    own = {"dc14": ["log_mstar_mhalo"], "corenfw": ["r_c", "n"], "zhao": ["gamma", "alpha", "beta"],
           "nfw": []}
    for family, names in own.items():
        sel = fam == family
        for other in ("log_mstar_mhalo", "r_c", "n", "gamma", "alpha", "beta"):
            values = column(draws, other)[sel]
            assert np.all(np.isfinite(values)) if other in names else np.all(np.isnan(values))
    x = column(draws, "log_mstar_mhalo")[fam == "dc14"]
    assert x.min() >= -4.1 and x.max() <= -1.3
    g = column(draws, "gamma")[fam == "zhao"]
    assert g.min() >= 0 and g.max() <= 1.5
    assert stats.kstest(g, stats.uniform(0, 1.5).cdf).pvalue > 1e-3
    eta = (column(draws, "r_c") / column(draws, "r_half"))[fam == "corenfw"]
    assert eta.min() >= 0.5 and eta.max() <= 3.0


@pytest.mark.parametrize(("name", "lo", "hi"), [
    ("r_half", 0.1, 1.0), ("n_stars", 100, 3000), ("v_err_median", 0.5, 3.0),
])
def test_log_uniform(draws, name, lo, hi):
    x = np.log10(column(draws, name).astype(float))
    assert x.min() >= math.log10(lo) - 1e-3 and x.max() <= math.log10(hi) + 1e-3
    # n_stars is rounded to integers; the log-uniform shape is still clear
    dist = stats.uniform(math.log10(lo), math.log10(hi) - math.log10(lo))
    assert stats.kstest(x, dist.cdf).pvalue > (1e-4 if name == "n_stars" else 1e-3)


def test_mass_concentration(draws):
    logm = column(draws, "log_m200")
    assert logm.min() >= 8.5 and logm.max() <= 10.5
    resid = np.log10(column(draws, "c")) - np.log10(concentration_dutton_maccio(10**logm))
    assert abs(np.mean(resid)) < 0.01
    assert abs(np.std(resid) - 0.1) < 0.005
    # Dutton & Maccio (2014) z = 0 NFW relation: c = 10^0.905 at M200 = 1e12 Msun/h
    assert concentration_dutton_maccio(1e12 / 0.6766) == pytest.approx(10**0.905)
    assert concentration_dutton_maccio(1e13 / 0.6766) == pytest.approx(10 ** (0.905 - 0.101))


def test_anisotropy(draws):
    beta0 = column(draws, "beta0")
    assert beta0.min() >= -0.3 and beta0.max() <= 0.0
    ratio = column(draws, "r_a") / column(draws, "r_half")
    infinite = np.isnan(ratio)
    assert abs(infinite.mean() - 0.3) < 0.04
    assert ratio[~infinite].min() >= 0.5 and ratio[~infinite].max() <= 30


def test_gamma_150_range(draws):
    prior = DefaultDwarfPrior()
    gamma = np.array([prior.build_halo(d).log_slope(150 * u.pc).value for d in draws[:800]])
    assert np.all(np.isfinite(gamma))
    # the prior must span at least -1.6 .. 0 and be populated over the whole range
    assert gamma.min() < -1.6 and gamma.max() > -0.1
    hist, _ = np.histogram(gamma, bins=np.linspace(-1.6, 0, 9))
    assert np.all(hist >= 5)


@pytest.mark.parametrize("family", ["nfw", "dc14", "corenfw", "zhao"])
def test_build(family):
    params = {"halo_family": family, "log_m200": 9.5, "c": 14.0, "log_mstar_mhalo": float("nan"),
              "r_c": float("nan"), "n": float("nan"), "gamma": float("nan"),
              "alpha": float("nan"), "beta": float("nan"), "r_half": 0.3, "beta0": -0.1,
              "r_a": 3.0, "n_stars": 500, "v_err_median": 1.5}
    params.update({"dc14": {"log_mstar_mhalo": -2.7}, "corenfw": {"r_c": 0.5, "n": 0.8},
                   "zhao": {"gamma": 0.5, "alpha": 2.0, "beta": 4.0}, "nfw": {}}[family])
    prior = DefaultDwarfPrior(contamination=0.1)
    galaxy, kwargs = prior.build(params)
    assert isinstance(galaxy, DwarfGalaxy)
    truth = galaxy.truth()
    assert truth["halo_family"] == family
    assert truth["r_half"] == pytest.approx(0.3, rel=1e-3)
    assert truth["aniso_beta0"] == pytest.approx(-0.1)
    assert truth["aniso_r_a"] == pytest.approx(3.0)
    assert galaxy.halo.virial_mass().to_value(u.Msun) == pytest.approx(10**9.5, rel=1e-3)
    assert set(kwargs) == {"v_err", "v_err_scatter", "v_sys", "contamination", "binary_fraction"}
    assert kwargs["v_err"] == 1.5 * u.km / u.s and kwargs["contamination"] == 0.1
    params["r_a"] = float("nan")
    galaxy, _ = prior.build(params)
    assert np.isnan(galaxy.truth()["aniso_r_a"])


def test_description_round_trip():
    prior = DefaultDwarfPrior(r_half_range=(0.2, 0.5), family_weights={"nfw": 1, "zhao": 2})
    description = json.loads(json.dumps(prior.to_dict()))
    assert description["class"] == "dmprofile.simulate.DefaultDwarfPrior"
    assert description["parameters"]["r_half_range"] == [0.2, 0.5]
    again = DefaultDwarfPrior.from_dict(description)
    assert again == prior and again != DefaultDwarfPrior()
    assert "r_half_range=(0.2, 0.5)" in repr(prior)
    assert repr(DefaultDwarfPrior()) == "<DefaultDwarfPrior()>"
    d = again.draw(np.random.default_rng(0))
    assert d["halo_family"] in ("nfw", "zhao") and 0.2 <= d["r_half"] <= 0.5


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"r_half": (0.1, 1)}, TypeError, "unknown prior parameter"),
    ({"family_weights": {"einasto": 1}}, ValueError, "family_weights"),
    ({"family_weights": {"nfw": 0}}, ValueError, "positive sum"),
    ({"r_half_range": (1.0, 0.1)}, ValueError, "low <= high"),
    ({"log_mstar_mhalo_range": (-5, -2)}, ValueError, "validity range"),
    ({"p_constant_beta": 2}, ValueError, "p_constant_beta"),
])
def test_bad_configuration(kwargs, error, match):
    with pytest.raises(error, match=match):
        DefaultDwarfPrior(**kwargs)


def test_unknown_family_in_build():
    with pytest.raises(ValueError, match="unknown halo family 'einasto'"):
        DefaultDwarfPrior().build_halo({"halo_family": "einasto", "log_m200": 9, "c": 10})
