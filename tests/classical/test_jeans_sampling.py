"""The Jeans sampler: run to convergence, the cap, parallel families, reports and the plot."""

import warnings

import numpy as np
import pytest
from astropy import units as u

from dmprofile.classical import jeans_analysis
from dmprofile.classical._likelihood import JeansLikelihood
from dmprofile.classical._priors import parse_prior
from dmprofile.classical._sampling import _Target
from dmprofile.exceptions import DMProfileWarning
from dmprofile.profiles import NFW, Cuddeford, Plummer
from dmprofile.simulate import DefaultDwarfPrior

from test_jeans_analysis import _gaussian_mock

#: A small, fast problem: NFW halo, isotropic orbits, three free parameters.
EASY = {"halo": "nfw", "anisotropy": "isotropic", "nwalkers": 12, "progress": False}


@pytest.fixture(scope="module")
def table():
    t = _gaussian_mock(NFW.from_M200_c(1e9 * u.Msun, 15), Cuddeford(0.0), 200, seed=11)
    t.meta["galaxy"] = "Mock dwarf"
    return t


def test_target_adds_the_jacobian_of_the_unbounded_coordinates(table):
    R = np.hypot(table["x"], table["y"]).value
    priors = {"log10_M200": (8.0, 10.0), "c": (5.0, 30.0), "v_sys": (-5.0, 5.0)}
    like = JeansLikelihood(R, table["v_los"].value, table["v_err"].value, None,
                           Plummer(0.25 * u.kpc), halo="nfw", anisotropy="isotropic",
                           priors=priors)
    y = np.array([[0.3, -1.0, 0.2], [40.0, 0.0, 0.0]])
    target = _Target(like)
    theta, log_jac = target.physical(y)
    assert np.all(theta[:, 0] >= 8.0) and np.all(theta[:, 0] <= 10.0)
    expected = like(theta[:1]) + log_jac[:1]
    np.testing.assert_allclose(target(y[:1]), expected)
    # d theta / d y of a logit: width * s (1 - s)
    s = 1 / (1 + np.exp(-y[0]))
    width = np.array([2.0, 25.0, 10.0])
    np.testing.assert_allclose(log_jac[0], np.sum(np.log(width * s * (1 - s))))
    assert parse_prior("a", (0, 1)).from_unbounded(np.array([800.0]))[0][0] <= 1.0


@pytest.mark.slow
def test_runs_until_the_target_number_of_autocorrelation_times(table):
    res = jeans_analysis(table, target_tau=5, seed=4, **EASY)
    conv = res.convergence
    kept = conv["nsteps"] - conv["burn"]
    assert conv["converged"] and not conv["capped"]
    assert kept >= 5 * conv["tau_max"]
    assert conv["nsteps"] >= 1000 and (conv["nsteps"] - 1000) % 250 == 0
    assert res.meta["nsteps"] is None and res.meta["target_tau"] == 5
    # thinned by a fifth of tau_max by default; tau of gamma_150 reported in steps
    thin = conv["thin"]
    assert thin == max(1, int(conv["tau_max"] // 5))
    assert len(res.samples) == 12 * len(range(conv["burn"], conv["nsteps"], thin))
    assert conv["tau_gamma_150"] > thin
    # every sample inside the prior box
    lo, hi = res.meta["priors"]["log10_M200"]
    m = np.asarray(res.samples["log10_M200"])
    assert lo <= m.min() and m.max() <= hi


@pytest.mark.slow
def test_cap_gives_a_clear_warning(table):
    with pytest.warns(DMProfileWarning, match="reached max_steps = 2000"):
        res = jeans_analysis(table, target_tau=1e4, max_steps=2000, seed=4, **EASY)
    conv = res.convergence
    assert conv["nsteps"] == 2000 and conv["capped"] and not conv["converged"]
    assert "NOT converged" in repr(res)


def _mixture(table, processes, **kw):
    prior = DefaultDwarfPrior(family_weights={"nfw": 1.0, "corenfw": 1.0, "dc14": 1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DMProfileWarning)
        return jeans_analysis(table, halo="mixture", anisotropy="isotropic", nwalkers=12,
                              nsteps=40, seed=9, progress=False, mixture_prior=prior,
                              processes=processes, **kw)


@pytest.mark.slow
def test_same_result_for_any_number_of_processes(table):
    one, two = _mixture(table, 1), _mixture(table, 3)
    for family in ("nfw", "corenfw", "dc14"):
        np.testing.assert_array_equal(one.components[family].chain,
                                      two.components[family].chain)
    assert one.family_probabilities == two.family_probabilities
    np.testing.assert_array_equal(one.samples["gamma_150"], two.samples["gamma_150"])
    # families are independent streams: not the same chain
    assert one.components["nfw"].chain[0, 0, 0] != one.components["corenfw"].chain[0, 0, 0]

    tab = one.convergence_table()
    assert list(tab["family"]) == ["corenfw", "dc14", "nfw"]
    assert np.all(tab["nsteps"] == 40) and np.all(tab["acceptance"] > 0)
    assert sum(tab["probability"]) == pytest.approx(1.0)
    text = repr(one)
    for family in ("nfw", "corenfw", "dc14"):
        assert f"{family} p=" in text
    assert "acceptance" in text and "tau_max" in text
    # to_table: tau of a shared parameter is the worst over the families
    t = one.to_table()
    tau = dict(zip(t["name"], t["tau"]))
    worst = max(r.to_table()["tau"][list(r.to_table()["name"]).index("log10_M200")]
                for r in one.components.values())
    assert tau["log10_M200"] == pytest.approx(worst)


def test_progress_bar_names_the_family(table, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DMProfileWarning)
        jeans_analysis(table, **{**EASY, "progress": "always"}, nsteps=10, seed=1)
    err = capsys.readouterr().err
    assert "nfw" in err and "10/10" in err


def test_sampler_argument_errors(table):
    for kw, err, match in (
            ({"burn": 100}, ValueError, "'burn' needs a fixed 'nsteps'"),
            ({"max_steps": 100}, ValueError, "max_steps"),
            ({"max_steps": 2.5e4}, TypeError, "max_steps"),
            ({"target_tau": -1}, ValueError, "target_tau"),
            ({"processes": "2"}, TypeError, "processes"),
            ({"processes": 0}, ValueError, "processes"),
            ({"workers": 1.5}, TypeError, "workers"),
            ({"nwalkers": "32"}, TypeError, "nwalkers"),
            ({"nsteps": 100, "burn": -1}, ValueError, "burn")):
        with pytest.raises(err, match=match):
            jeans_analysis(table, **{**EASY, **kw})


def test_plot_labels_bands_and_stops_at_the_data(table):
    plt = pytest.importorskip("matplotlib.pyplot")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DMProfileWarning)
        res = jeans_analysis(table, **EASY, nsteps=60, seed=2)
    axes = res.plot()
    labels = [t.get_text() for t in axes[1].get_legend().get_texts()]
    assert any("68%" in x and "percentiles" in x for x in labels)
    assert any("150 pc" in x for x in labels)
    assert any("68%" in t.get_text() for t in axes[0].get_legend().get_texts())
    r_max = res.meta["R_range"][1]
    median = [ln for ln in axes[1].get_lines() if ln.get_label() == "median"][0]
    assert np.max(median.get_xdata()) <= r_max
    assert "Mock dwarf" in axes[0].figure.get_suptitle()
    assert res.slope.meta["galaxy"] == "Mock dwarf"
    plt.close("all")
