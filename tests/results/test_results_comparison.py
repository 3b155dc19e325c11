"""Tests of dmprofile.results.Comparison built directly from posteriors (no network needed).

`dmprofile.compare`, which runs both methods and returns a Comparison, is tested in
tests/test_compare.py.
"""

import math

import numpy as np
import pytest
from astropy import units as u

from dmprofile.results import Comparison, SlopePosterior, default_grid

GRID = default_grid()


def _gauss(mu, sigma):
    return np.exp(-0.5 * ((GRID - mu) / sigma) ** 2)


@pytest.fixture
def comparison():
    network = SlopePosterior(GRID, _gauss(-0.4, 0.2) + 0.5 * _gauss(-1.3, 0.1),
                             pdf_std=0.1 * _gauss(-0.4, 0.3), meta={"n_stars": 500})
    jeans = SlopePosterior(GRID, _gauss(-0.6, 0.3), meta={"n_stars": 500})
    return Comparison({"network": network, "jeans": jeans}, {"network": network, "jeans": "raw"},
                      {"network": 1.25, "jeans": 42.0}, {"galaxy": "toy", "seed": 3})


def test_contents(comparison):
    assert comparison.methods == ("network", "jeans")
    assert comparison["jeans"] is comparison.posteriors["jeans"]
    assert comparison.results["jeans"] == "raw"
    assert comparison.wall_times == {"network": 1.25, "jeans": 42.0}
    with pytest.raises(TypeError):
        comparison.posteriors["x"] = None  # read-only mapping
    meta = comparison.meta
    meta["galaxy"] = "other"
    assert comparison.meta["galaxy"] == "toy"


@pytest.mark.parametrize("level", [0.68, 0.95])
def test_to_table(comparison, level):
    table = comparison.to_table(level)
    assert list(table["method"]) == ["network", "jeans"]
    for row in table:
        post = comparison[row["method"]]
        low, high = post.interval(level)
        assert row["mode"] == post.mode and (row["low"], row["high"]) == (low, high)
        assert row["width"] == pytest.approx(high - low)
        assert row["plus"] == pytest.approx(high - post.mode)
    assert table["secondary_mode"][0] == pytest.approx(-1.3, abs=0.02)
    assert math.isnan(table["secondary_mode"][1])
    assert list(table["n_stars"]) == [500, 500]
    assert table["wall_time"].unit == u.s and table.meta["level"] == level
    assert table.meta["galaxy"] == "toy"


def test_defaults_for_a_user_built_comparison():
    post = SlopePosterior(GRID, _gauss(-1.0, 0.2))
    cmp = Comparison({"rotation curve": post})
    assert cmp.results["rotation curve"] is post and cmp.meta == {}
    assert math.isnan(cmp.wall_times["rotation curve"])
    assert cmp.summary().startswith("rotation curve  gamma_150 = -1.00 +0.20/-0.20")
    assert cmp.summary().endswith("std 0.20")  # no wall time to report


def test_repr_and_summary(comparison):
    text = repr(comparison)
    assert text.startswith("<Comparison of 2 method(s) for toy on 500 stars:\n  network")
    assert text.endswith("; 42.00 s>")
    assert comparison.summary(digits=1).splitlines()[1].startswith("jeans    gamma_150 = -0.6")


def test_plot(comparison):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    assert comparison.plot(ax) is ax
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["network (MDCNN)", "Jeans (emcee)", "network (MDCNN) 68% HDI (shaded)",
                      "Jeans (emcee) 68% HDI (shaded)", "network (MDCNN) epistemic band",
                      "core (0)", "NFW cusp (-1)"]
    colors = {line.get_label(): line.get_color() for line in ax.lines}
    assert colors["network (MDCNN)"] == "C0" and colors["Jeans (emcee)"] == "C3"
    top = np.max(comparison["network"].pdf + comparison["network"].pdf_std)
    assert ax.get_ylim() == pytest.approx((0, 1.25 * top))
    assert ax.get_title() == "toy: dark-matter log-slope at 150 pc"
    assert ax.get_legend().get_title().get_text() == comparison.agreement()
    ax = Figure().subplots()
    comparison.plot(ax, legend=False)  # without a legend the note is written in the axes
    assert [t.get_text() for t in ax.texts] == [comparison.agreement()]
    # the reference lines are drawn once, not once per method
    assert sum(line.get_label() == "core (0)" for line in ax.lines) == 1
    # methods unknown to compare() are labelled by name; one method gets no note
    ax = Figure().subplots()
    Comparison({"rotation curve": comparison["jeans"]}).plot(ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["rotation curve", "rotation curve 68% HDI (shaded)"]
    assert not ax.texts and not ax.get_legend().get_title().get_text()
    assert ax.get_title() == "dark-matter log-slope at 150 pc"


def test_agreement(comparison):
    assert comparison.agreement().startswith("the 68% HDIs overlap on [")
    far = Comparison({"network": SlopePosterior(GRID, _gauss(-0.1, 0.05)),
                      "jeans": SlopePosterior(GRID, _gauss(-1.2, 0.05))})
    assert far.agreement() == "the 68% HDIs do not overlap (gap 1.00): the methods disagree"
    assert Comparison({"jeans": far["jeans"]}).agreement() == "only one method: nothing to compare"
