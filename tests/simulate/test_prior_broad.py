"""Tests of the broadened options of the dwarf prior and of its broad preset.

The first tests pin what the default prior drew and built before these options existed (values
computed with the code of commit e06a994): existing suites and the bundled models' cards must
stay reproducible.
"""

import json
import math
from importlib import resources

import numpy as np
import pytest
from astropy import units as u
from scipy import stats

from dmprofile.profiles import R_REF, Burkert, CoreNFW, Exponential, Zhao
from dmprofile.simulate import (
    CompositeDwarfGalaxy,
    DefaultDwarfPrior,
    DwarfGalaxy,
    InconsistentModelError,
)

NAN = float("nan")
LEGACY = ("halo_family", "log_m200", "c", "log_mstar_mhalo", "r_c", "n", "gamma", "alpha",
          "beta", "r_half", "beta0", "r_a", "n_stars", "v_err_median")
# DefaultDwarfPrior().draw(np.random.default_rng(2024)), four times, before the broadened options
REFERENCE_DRAWS = [
    ["nfw", 8.928646402476515, 22.233873733692636, NAN, NAN, NAN, NAN, NAN, NAN,
     0.6301821488627756, -0.0012593703403599443, NAN, 185, 0.9524225793595228],
    ["dc14", 10.451244395257076, 10.837365264571673, -3.50315943194489, NAN, NAN, NAN, NAN, NAN,
     0.39520494194868927, -0.20239510347518325, NAN, 257, 2.3978363614023888],
    ["dc14", 9.028410879880937, 16.902420010361652, -3.8787039121268547, NAN, NAN, NAN, NAN,
     NAN, 0.19333848562464953, -0.06786992049043875, 0.6568965339910143, 2663,
     2.499923549514168],
    ["zhao", 9.197545156855227, 19.187204608817897, NAN, NAN, NAN, 0.6383966880760628,
     1.0048245148543828, 4.010319341903725, 0.16918060346757108, -0.2928383132615893,
     0.33596631874797744, 320, 0.819626366389878],
]
NEXT_UNIFORM = 0.585387227007845  # rng.uniform() after the four draws


def same(a, b):
    return a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


def test_default_draws_unchanged():
    rng = np.random.default_rng(2024)
    prior = DefaultDwarfPrior()
    for expected in REFERENCE_DRAWS:
        draw = prior.draw(rng)
        assert tuple(draw) == LEGACY
        assert all(same(draw[k], v) for k, v in zip(LEGACY, expected)), draw
    assert rng.uniform() == NEXT_UNIFORM
    # a changed legacy option keeps the old random-number use too
    rng = np.random.default_rng(5)
    draw = DefaultDwarfPrior(family_weights={"zhao": 1, "corenfw": 1},
                             beta0_range=(-0.5, 0.2)).draw(rng)
    assert draw["beta0"] == -0.4622485083328405 and draw["n_stars"] == 117
    assert rng.uniform() == 0.844231037608741


def test_old_rows_build_the_same_galaxy():
    """A truth row without the new keys builds the galaxy it built (and samples the same stars)."""
    row = dict(zip(LEGACY, REFERENCE_DRAWS[2]))
    galaxy, _ = DefaultDwarfPrior().build(row)
    assert type(galaxy) is DwarfGalaxy
    stars = galaxy.sample(4, seed=11)
    assert stars["x"].to_value(u.kpc).tolist() == [
        0.0664713653442202, 0.1339615172326596, -0.2748135191685391, 0.033363818437925616]
    assert stars["vz"].to_value(u.km / u.s).tolist() == [
        0.8382303224182794, 0.9610205963182281, -0.4752494299431704, 0.5572249160230656]
    truth = galaxy.truth()
    assert truth["gamma_150"] == -0.9980774203249583
    assert truth["tracer_family"] == "plummer" and truth["aniso_family"] == "cuddeford"
    # the new keys at their unused values build the same galaxy, from the broad prior too
    full = DefaultDwarfPrior.broad().draw(np.random.default_rng(0))
    row_full = {**row, **{k: full[k] for k in full if k not in LEGACY}}
    row_full.update(tracer_family="plummer", anisotropy_family="cuddeford", compact_fraction=NAN)
    again, _ = DefaultDwarfPrior.broad().build(row_full)
    assert np.array_equal(again.sample(4, seed=11)["vz"], stars["vz"])


#: The manifest entry of the default prior, as the card of the first bundled model (trained
#: on it until 2026-12-01) recorded it.
DEFAULT_DESCRIPTION = {
    "class": "dmprofile.simulate.DefaultDwarfPrior",
    "parameters": {"family_weights": {"corenfw": 0.2, "dc14": 0.3, "nfw": 0.2, "zhao": 0.3},
                   "log_m200_range": [8.5, 10.5], "c_scatter": 0.1,
                   "log_mstar_mhalo_range": [-4.1, -1.3], "corenfw_eta_range": [0.5, 3.0],
                   "corenfw_n_range": [0.0, 1.0], "zhao_gamma_range": [0.0, 1.5],
                   "zhao_alpha_range": [0.5, 3.0], "zhao_beta_range": [3.0, 5.0],
                   "r_half_range": [0.1, 1.0], "beta0_range": [-0.3, 0.0],
                   "r_a_range": [0.5, 30.0], "p_constant_beta": 0.3,
                   "n_stars_range": [100.0, 3000.0], "v_err_range": [0.5, 3.0],
                   "v_err_scatter": 0.2, "contamination": 0.0, "binary_fraction": 0.0}}


def test_default_description_unchanged():
    """The default prior's manifest entry is the one the first bundled model card recorded."""
    assert DefaultDwarfPrior().to_dict() == DEFAULT_DESCRIPTION
    assert DefaultDwarfPrior.from_dict(DEFAULT_DESCRIPTION).param_names == LEGACY


def test_bundled_model_records_the_broad_prior():
    """The bundled slope model was trained on the broad preset, and its card says so."""
    card = resources.files("dmprofile") / "data" / "models" / "slope_default" / "model_card.json"
    recorded = json.loads(card.read_text())["prior"]
    assert DefaultDwarfPrior.from_dict(recorded).to_dict() == DefaultDwarfPrior.broad().to_dict()


@pytest.fixture(scope="module")
def broad_draws():
    prior = DefaultDwarfPrior.broad()
    rng = np.random.default_rng(99)
    return [prior.draw(rng) for _ in range(3000)]


def column(draws, name):
    return np.array([d[name] for d in draws])


def test_broad_keys_and_unused_values(broad_draws):
    prior = DefaultDwarfPrior.broad()
    assert prior.param_names == DefaultDwarfPrior.param_names
    assert DefaultDwarfPrior.param_names[:14] == LEGACY
    for d in broad_draws[:200]:
        assert tuple(d) == prior.param_names
        assert isinstance(d["tracer_family"], str) and isinstance(d["anisotropy_family"], str)
    tracer = column(broad_draws, "tracer_family")
    for name in ("tracer_alpha", "tracer_beta", "tracer_gamma"):
        values = column(broad_draws, name)
        assert np.all(np.isfinite(values[tracer == "zhao"]))
        assert np.all(np.isnan(values[tracer != "zhao"]))
    g = column(broad_draws, "tracer_gamma")[tracer == "zhao"]
    b = column(broad_draws, "tracer_beta")[tracer == "zhao"]
    assert g.min() >= 0 and g.max() <= 1 and b.min() >= 3.5 and b.max() <= 6
    two = np.isfinite(column(broad_draws, "compact_fraction"))
    for name in ("r_half_ratio", "beta0_2"):
        assert np.array_equal(np.isfinite(column(broad_draws, name)), two)
    assert np.all(np.isnan(column(broad_draws, "r_a_2")[~two]))
    assert abs(two.mean() - 0.3) < 0.04
    ratio = column(broad_draws, "r_half_ratio")[two]
    assert ratio.min() >= 1.5 and ratio.max() <= 4
    f = column(broad_draws, "compact_fraction")[two]
    assert stats.kstest(f, stats.uniform(0.2, 0.6).cdf).pvalue > 1e-3


def test_broad_family_fractions(broad_draws):
    for key, weights in (("halo_family", DefaultDwarfPrior.broad().family_weights),
                         ("tracer_family", DefaultDwarfPrior.broad().tracer_weights),
                         ("anisotropy_family", DefaultDwarfPrior.broad().anisotropy_weights)):
        values = column(broad_draws, key)
        names = sorted(weights)
        observed = [np.sum(values == k) for k in names]
        expected = [weights[k] / sum(weights.values()) * len(values) for k in names]
        assert stats.chisquare(observed, expected).pvalue > 1e-3, key


def test_broad_ranges(broad_draws):
    n = column(broad_draws, "n_stars")
    assert n.min() >= 30 and n.max() <= 20000 and n.min() < 40 and n.max() > 15000
    v = column(broad_draws, "v_err_median")
    assert v.min() >= 0.5 and v.max() <= 5 and v.max() > 4.5
    om = column(broad_draws, "anisotropy_family") == "osipkov_merritt"
    assert np.all(column(broad_draws, "beta0")[om] == 0)
    assert np.all(np.isfinite(column(broad_draws, "r_a")[om]))
    beta0 = column(broad_draws, "beta0")[~om]
    assert beta0.min() >= -0.45 and beta0.max() <= 0.5


def test_cored_and_burkert_halos(broad_draws):
    family = column(broad_draws, "halo_family")
    r_c, r_half = column(broad_draws, "r_c"), column(broad_draws, "r_half")
    cored = family == "cored"
    assert r_c[cored].min() >= 0.15 and r_c[cored].max() <= 1.5
    x = np.log10(r_c[cored])
    assert stats.kstest(x, stats.uniform(np.log10(0.15), 1).cdf).pvalue > 1e-3
    # independent of R_half (unlike coreNFW's r_c = eta R_half)
    assert abs(stats.spearmanr(r_c[cored], r_half[cored])[0]) < 0.15
    n = column(broad_draws, "n")[cored]
    assert n.min() >= 0.8 and n.max() <= 1
    prior = DefaultDwarfPrior.broad()
    for d in [d for d in broad_draws if d["halo_family"] in ("cored", "burkert")][:30]:
        halo = prior.build_halo(d)
        assert isinstance(halo, CoreNFW if d["halo_family"] == "cored" else Burkert)
        assert halo.virial_mass().to_value(u.Msun) == pytest.approx(10 ** d["log_m200"], rel=1e-3)
        # gamma_150 (the analytic log-slope) against a finite difference of the density
        r = R_REF.to_value(u.kpc)
        h = 1e-3
        slope = (np.log(halo._density(r * np.exp(h))) - np.log(halo._density(r * np.exp(-h))))
        assert halo.log_slope(R_REF).value == pytest.approx(slope / (2 * h), abs=1e-5)
        if d["halo_family"] == "burkert":
            assert halo.parameters["r_0"].to_value(u.kpc) == pytest.approx(d["r_c"], rel=1e-6)
            assert halo.log_slope(R_REF).value > -0.45     # a core larger than 150 pc
    g = [prior.build_halo(d).log_slope(R_REF).value for d in broad_draws[:600]
         if d["halo_family"] in ("cored", "burkert")]
    assert max(g) > -0.1 and np.median(g) > -0.6


@pytest.mark.parametrize("tracer", ["plummer", "zhao", "exponential"])
def test_build_tracer_families(tracer):
    params = {"halo_family": "nfw", "log_m200": 9.5, "c": 14.0, "log_mstar_mhalo": NAN,
              "r_c": NAN, "n": NAN, "gamma": NAN, "alpha": NAN, "beta": NAN, "r_half": 0.3,
              "beta0": -0.1, "r_a": 1.0, "n_stars": 30, "v_err_median": 1.5,
              "tracer_family": tracer, "tracer_alpha": 1.5, "tracer_beta": 5.0,
              "tracer_gamma": 0.6, "anisotropy_family": "cuddeford", "compact_fraction": NAN,
              "r_half_ratio": NAN, "beta0_2": NAN, "r_a_2": NAN}
    galaxy, _ = DefaultDwarfPrior.broad().build(params)
    truth = galaxy.truth()
    assert truth["tracer_family"] == tracer
    assert truth["r_half"] == pytest.approx(0.3, rel=1e-6)
    if tracer == "zhao":
        assert isinstance(galaxy.tracer, Zhao)
        assert (truth["tracer_alpha"], truth["tracer_beta"], truth["tracer_gamma"]) == (
            1.5, 5.0, 0.6)
    if tracer == "exponential":
        assert isinstance(galaxy.tracer, Exponential)
    # positive central anisotropy: allowed only by the cusp of the Zhao tracer (beta0 <= 0.3)
    params["beta0"] = 0.25
    if tracer == "zhao":
        assert DefaultDwarfPrior.broad().build(params)[0].truth()["aniso_beta0"] == 0.25
    else:
        with pytest.raises(InconsistentModelError) as info:
            DefaultDwarfPrior.broad().build(params)
        assert info.value.reason == "central_anisotropy"


def test_build_two_populations():
    params = {**dict(zip(LEGACY, REFERENCE_DRAWS[0])), "tracer_family": "exponential",
              "tracer_alpha": NAN, "tracer_beta": NAN, "tracer_gamma": NAN,
              "anisotropy_family": "osipkov_merritt", "compact_fraction": 0.3,
              "r_half_ratio": 2.5, "beta0": 0.0, "r_a": 0.8, "beta0_2": 0.0, "r_a_2": 3.0}
    galaxy, kwargs = DefaultDwarfPrior.broad().build(params)
    assert isinstance(galaxy, CompositeDwarfGalaxy) and galaxy.fractions == (0.3, 0.7)
    truth = galaxy.truth()
    assert truth["r_half"] == pytest.approx(params["r_half"], rel=1e-8)
    assert truth["pop2_r_half"] / truth["pop1_r_half"] == pytest.approx(2.5)
    assert (truth["pop1_aniso_r_a"], truth["pop2_aniso_r_a"]) == (0.8, 3.0)
    assert (truth["pop1_fraction"], truth["pop2_fraction"]) == (0.3, 0.7)
    assert truth["aniso_family"] == "osipkovmerritt"
    assert kwargs["v_err"] == params["v_err_median"] * u.km / u.s
    # the extended population's rejection names it, with the reason of the DF
    params.update(anisotropy_family="cuddeford", beta0_2=0.2)
    with pytest.raises(InconsistentModelError, match="extended population") as info:
        DefaultDwarfPrior.broad().build(params)
    assert info.value.reason == "central_anisotropy"


def test_broad_description_round_trip():
    prior = DefaultDwarfPrior.broad(p_two_populations=0.5)
    description = json.loads(json.dumps(prior.to_dict()))
    assert description["parameters"]["tracer_weights"] == {
        "exponential": 0.3, "plummer": 0.4, "zhao": 0.3}
    assert "cored_r_c_range" not in description["parameters"]     # at its default
    again = DefaultDwarfPrior.from_dict(description)
    assert again == prior and again != DefaultDwarfPrior.broad()
    assert again.p_two_populations == 0.5 and again.param_names == DefaultDwarfPrior.param_names
    assert "p_two_populations=0.5" in repr(prior)
    a, b = prior.draw(np.random.default_rng(3)), again.draw(np.random.default_rng(3))
    assert all(same(a[k], b[k]) for k in a)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"tracer_weights": {"king": 1}}, "tracer_weights"),
    ({"anisotropy_weights": {"baes_van_hese": 1}}, "anisotropy_weights"),
    ({"family_weights": {"einasto": 1}}, "family_weights"),
    ({"p_two_populations": 1.5}, "p_two_populations"),
    ({"tracer_beta_range": (2.5, 5)}, "tracer_beta_range"),
    ({"tracer_gamma_range": (0, 2.5)}, "tracer_gamma_range"),
    ({"compact_fraction_range": (0, 0.5)}, "compact_fraction_range"),
    ({"r_half_ratio_range": (0.5, 2)}, "r_half_ratio_range"),
    ({"beta0_range": (-0.6, 0)}, "beta0_range"),
    ({"cored_n_range": (0.5, 1.2)}, "cored_n_range"),
])
def test_bad_broad_configuration(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DefaultDwarfPrior(**kwargs)
