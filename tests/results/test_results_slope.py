"""Tests of dmprofile.results.SlopePosterior and HDInterval."""

import sys

import numpy as np
import pytest
from astropy import units as u
from scipy import stats

from dmprofile.exceptions import DMProfileWarning
from dmprofile.results import HDInterval, SlopePosterior, default_grid

GRID = default_grid()
STEP = GRID[1] - GRID[0]


def trapezoid(y, x):
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))


def gaussian(mu, sigma, grid=GRID):
    return np.exp(-0.5 * ((grid - mu) / sigma) ** 2)


def test_default_grid():
    assert GRID.size == 601 and GRID[0] == -3 and GRID[-1] == 1


@pytest.mark.parametrize("scale", [1e-6, 1.0, 3e5])
def test_pdf_normalised(scale):
    pdf = scale * gaussian(-0.5, 0.3)
    post = SlopePosterior(GRID, pdf, pdf_std=0.1 * pdf)
    assert trapezoid(post.pdf, post.grid) == pytest.approx(1.0, rel=1e-12)
    # the band is rescaled by the same factor as the pdf
    np.testing.assert_allclose(post.pdf_std, 0.1 * post.pdf, rtol=1e-12)
    assert post.cdf(GRID[-1]) == pytest.approx(1.0) and post.cdf(GRID[0]) == 0.0


def test_immutable_arrays():
    post = SlopePosterior(GRID, gaussian(-0.5, 0.3))
    with pytest.raises(ValueError, match="read-only"):
        post.pdf[0] = 1.0
    meta = post.meta
    meta["x"] = 1
    assert "x" not in post.meta


@pytest.mark.parametrize(("mu", "sigma"), [(-0.4, 0.25), (-1.234, 0.1), (-1.0, 0.5), (-2.0, 0.05)])
def test_gaussian_summaries_vs_analytic(mu, sigma):
    post = SlopePosterior(GRID, gaussian(mu, sigma))
    assert post.mode == pytest.approx(mu, abs=0.1 * STEP)
    assert post.mean == pytest.approx(mu, abs=1e-4)
    assert post.median == pytest.approx(mu, abs=1e-3)
    assert post.std == pytest.approx(sigma, rel=2e-3)
    assert post.secondary_mode is None
    for level, k in [(0.6827, 1.0), (0.9545, 2.0)]:
        lo, hi = post.interval(level)
        assert lo == pytest.approx(mu - k * sigma, abs=STEP)
        assert hi == pytest.approx(mu + k * sigma, abs=STEP)
        assert post.cdf(hi) - post.cdf(lo) == pytest.approx(level, abs=1e-9)
    assert post.cdf(mu + sigma) == pytest.approx(stats.norm.cdf(1), abs=1e-3)
    assert post.quantile(stats.norm.cdf(-1)) == pytest.approx(mu - sigma, abs=1e-3)


def test_interval_object_and_summary():
    post = SlopePosterior(GRID, gaussian(-0.38, 0.25))
    interval = post.interval(0.68)
    assert isinstance(interval, HDInterval) and len(interval) == 2
    low, high = interval
    assert interval.plus == pytest.approx(high - post.mode)
    assert interval.minus == pytest.approx(post.mode - low)
    assert str(interval) == "-0.38 +0.25/-0.25"
    assert repr(post) == ("SlopePosterior(gamma_150 = -0.38 +0.25/-0.25 (68% HDI), mean -0.38, "
                          "std 0.25)")
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        post.interval(1.0)


def test_pickle_roundtrip():
    import pickle

    post = SlopePosterior.from_mixture([[0.7, 0.3]], [[-0.4, -1.1]], [[0.2, 0.15]],
                                       meta={"seed": 1})
    back = pickle.loads(pickle.dumps(post))
    np.testing.assert_array_equal(back.pdf, post.pdf)
    assert back.meta == post.meta and repr(back) == repr(post)
    interval = pickle.loads(pickle.dumps(post.interval(0.95)))
    assert interval == post.interval(0.95) and interval.level == 0.95


def test_interval_skewed_is_highest_density():
    # a skewed posterior (shifted gamma distribution) against its analytic HDI, found by solving
    # pdf(a) = pdf(b) and F(b) - F(a) = level
    from scipy.optimize import brentq

    dist = stats.gamma(4, loc=-3.0, scale=0.3)
    post = SlopePosterior(GRID, dist.pdf(GRID))
    mode = -3.0 + 0.9
    for level in (0.68, 0.9):
        def upper(a):
            return brentq(lambda b: dist.pdf(b) - dist.pdf(a), mode, 1.0)

        a = brentq(lambda a, level=level: dist.cdf(upper(a)) - dist.cdf(a) - level,
                   -2.9, mode - 1e-6)
        lo, hi = post.interval(level)
        assert lo == pytest.approx(a, abs=STEP)
        assert hi == pytest.approx(upper(a), abs=STEP)
        assert post.cdf(hi) - post.cdf(lo) == pytest.approx(level, abs=1e-9)
        # shorter than the equal-tailed interval
        assert hi - lo < post.quantile(0.5 + level / 2) - post.quantile(0.5 - level / 2)


def bimodal(w2=0.35, d=0.9):
    return 0.65 * gaussian(-0.3, 0.2) / 0.2 + w2 * gaussian(-0.3 - d, 0.15) / 0.15


def test_bimodal_secondary_mode():
    post = SlopePosterior(GRID, bimodal())
    assert post.mode == pytest.approx(-0.3, abs=0.02)
    assert post.secondary_mode == pytest.approx(-1.2, abs=0.02)
    assert len(post.modes()) == 2
    assert "secondary mode -1.2" in repr(post)
    # the interval grown from the primary mode contains the primary mode
    lo, hi = post.interval(0.68)
    assert lo < post.mode < hi


@pytest.mark.parametrize(("w2", "d"), [(0.03, 0.9),   # secondary peak below 10% of the primary
                                        (0.35, 0.25),  # shoulder without a local maximum
                                        (0.35, 0.45)])  # local maximum behind an 8% dip only
def test_not_bimodal(w2, d):
    assert SlopePosterior(GRID, bimodal(w2, d)).secondary_mode is None


def test_modes_thresholds():
    post = SlopePosterior(GRID, bimodal(0.35, 0.45))
    assert len(post.modes(min_dip=0.05)) == 2
    assert len(SlopePosterior(GRID, bimodal(0.35, 0.6)).modes()) == 2  # a 46% dip
    post = SlopePosterior(GRID, bimodal(0.08, 0.9))
    assert len(post.modes()) == 2 and len(post.modes(min_height=0.5)) == 1


def test_edge_secondary_mode():
    # a pile-up at the lower edge of the grid separated by a dip is a secondary mode
    pdf = gaussian(-0.5, 0.2) + 0.4 * np.exp((-3.0 - GRID) / 0.2)
    assert SlopePosterior(GRID, pdf).secondary_mode == pytest.approx(-3.0)


def test_from_samples_normal():
    rng = np.random.default_rng(42)
    samples = rng.normal(-0.8, 0.3, 20_000)
    post = SlopePosterior.from_samples(samples, meta={"method": "jeans", "seed": 42})
    assert post.mean == pytest.approx(-0.8, abs=0.01)
    # a KDE widens the distribution by the bandwidth in quadrature
    bw = post.meta["bandwidth"]
    assert post.std == pytest.approx(np.hypot(0.3, bw), rel=0.02)
    assert post.median == pytest.approx(-0.8, abs=0.01)
    assert post.mode == pytest.approx(-0.8, abs=0.06)  # the mode of a KDE is noisy
    assert post.meta["method"] == "jeans" and post.meta["n_samples"] == 20_000
    np.testing.assert_array_equal(post.samples, samples)
    assert post.pdf_std is None


def test_from_samples_bandwidth_and_warnings():
    rng = np.random.default_rng(1)
    samples = rng.normal(0.9, 0.3, 1000)
    with pytest.warns(DMProfileWarning, match="outside the grid"):
        SlopePosterior.from_samples(samples)
    post = SlopePosterior.from_samples(samples - 2, bandwidth=0.2)
    assert post.meta["bandwidth"] == 0.2
    wide = SlopePosterior.from_samples(samples - 2, n_effective=10)
    assert wide.meta["bandwidth"] == pytest.approx(
        SlopePosterior.from_samples(samples - 2).meta["bandwidth"] * 100**0.2)
    with pytest.raises(ValueError, match="n_effective must be between"):
        SlopePosterior.from_samples(samples - 2, n_effective=2000)
    with pytest.raises(ValueError, match="bandwidth must be"):
        SlopePosterior.from_samples(samples, bandwidth="wide")
    with pytest.raises(ValueError, match="at least 2 finite"):
        SlopePosterior.from_samples([np.nan, 1.0])


def test_from_mixture_equals_manual_average():
    rng = np.random.default_rng(3)
    n_passes, k = 50, 2
    w = rng.dirichlet([2, 1], n_passes)
    mu = rng.normal([-0.4, -1.1], 0.05, (n_passes, k))
    sig = rng.uniform(0.1, 0.3, (n_passes, k))
    post = SlopePosterior.from_mixture(w, mu, sig, meta={"model": "test", "seed": 3})
    per_pass = np.zeros((n_passes, GRID.size))
    for p in range(n_passes):
        for j in range(k):
            per_pass[p] += w[p, j] * stats.norm.pdf(GRID, mu[p, j], sig[p, j])
    norm = trapezoid(per_pass.mean(axis=0), GRID)
    np.testing.assert_allclose(post.pdf, per_pass.mean(axis=0) / norm, rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(post.pdf_std, per_pass.std(axis=0) / norm, rtol=1e-8, atol=1e-300)
    assert post.meta["n_passes"] == n_passes and post.meta["model"] == "test"
    assert post.meta["method"] == "mixture" and "dmprofile_version" in post.meta


def test_from_mixture_single_pass_and_errors():
    post = SlopePosterior.from_mixture([1.0, 0.0], [-0.5, 0.0], [0.2, 0.1])
    assert post.mean == pytest.approx(-0.5, abs=1e-6)
    assert np.all(post.pdf_std == 0)
    with pytest.raises(ValueError, match="share one shape"):
        SlopePosterior.from_mixture([[1.0, 0.0]], [-0.5], [0.2])
    with pytest.raises(ValueError, match="sigmas must be > 0"):
        SlopePosterior.from_mixture([1.0], [-0.5], [0.0])
    with pytest.raises(ValueError, match="weights must be non-negative"):
        SlopePosterior.from_mixture([-1.0], [-0.5], [0.2])
    with pytest.warns(DMProfileWarning, match="narrower than the grid"):
        SlopePosterior.from_mixture([1.0], [-0.5], [0.001])


@pytest.mark.parametrize("pdf", [gaussian(-0.5, 0.3), bimodal()])
def test_sample_distribution(pdf):
    post = SlopePosterior(GRID, pdf)
    draws = post.sample(4000, seed=7)
    assert draws.shape == (4000,)
    assert stats.kstest(draws, post.cdf).pvalue > 1e-3
    np.testing.assert_array_equal(draws, post.sample(4000, seed=7))
    # and the sampler is not trivially consistent: a shifted cdf is rejected
    assert stats.kstest(draws + 0.05, post.cdf).pvalue < 1e-3


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"grid": [0.0, 1.0], "pdf": [1.0, 1.0]}, "at least 3 points"),
    ({"grid": [0.0, 2.0, 1.0], "pdf": [1.0, 1.0, 1.0]}, "strictly increasing"),
    ({"grid": [0.0, 1.0, 2.0], "pdf": [1.0, 1.0]}, "shape of the grid"),
    ({"grid": [0.0, 1.0, 2.0], "pdf": [1.0, -1.0, 1.0]}, "non-negative"),
    ({"grid": [0.0, 1.0, 2.0], "pdf": [0.0, 0.0, 0.0]}, "integrates to zero"),
    ({"grid": [0.0, 1.0, 2.0], "pdf": [1.0, np.nan, 1.0]}, "finite"),
    ({"grid": [0.0, 1.0, 2.0], "pdf": [1.0, 1.0, 1.0], "pdf_std": [1.0, 1.0]}, "pdf_std"),
])
def test_validation(kwargs, match):
    grid, pdf = kwargs.pop("grid"), kwargs.pop("pdf")
    with pytest.raises(ValueError, match=match):
        SlopePosterior(grid, pdf, **kwargs)


def test_to_table_units_meta_and_roundtrip(tmp_path):
    post = SlopePosterior.from_mixture([[0.7, 0.3]], [[-0.4, -1.1]], [[0.2, 0.15]],
                                       meta={"model": "default", "seed": 5})
    table = post.to_table()
    assert table.colnames == ["gamma_150", "pdf", "pdf_std"]
    for name in table.colnames:
        assert table[name].unit == u.dimensionless_unscaled
    assert table.meta["model"] == "default" and table.meta["seed"] == 5
    assert table.meta["mode"] == pytest.approx(post.mode)
    for suffix in ("ecsv", "fits"):
        path = tmp_path / f"post.{suffix}"
        post.write(path)
        back = SlopePosterior.read(path)
        np.testing.assert_allclose(back.pdf, post.pdf, rtol=1e-12)
        np.testing.assert_allclose(back.pdf_std, post.pdf_std, rtol=1e-12)
        assert back.meta == post.meta
        with pytest.raises(FileExistsError):
            post.write(path)
    assert "pdf_std" not in SlopePosterior(GRID, gaussian(0, 0.2)).to_table().colnames


@pytest.mark.parametrize("suffix", ["ecsv", "fits"])
def test_write_keeps_samples(tmp_path, suffix):
    samples = np.random.default_rng(0).normal(-1, 0.2, 500)
    post = SlopePosterior.from_samples(samples)
    post.write(tmp_path / f"s.{suffix}")
    np.testing.assert_allclose(SlopePosterior.read(tmp_path / f"s.{suffix}").samples, samples)


def test_plot_artists():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    post = SlopePosterior.from_mixture([[0.7, 0.3], [0.6, 0.4]], [[-0.4, -1.1], [-0.35, -1.2]],
                                       [[0.2, 0.15], [0.2, 0.15]])
    assert post.plot(ax, color="C3") is ax
    assert "ln" in ax.get_xlabel() and "rho" in ax.get_xlabel()
    assert ax.get_xlabel().endswith("at 150 pc")
    curve, *vlines, core, cusp = ax.lines
    np.testing.assert_allclose(curve.get_xdata(), post.grid)
    positions = [line.get_xdata()[0] for line in vlines]
    np.testing.assert_allclose(positions, [post.mode, post.secondary_mode, post.mean])
    assert [line.get_linestyle() for line in vlines] == ["-", "--", ":"]
    # reference lines at a core (0) and an NFW cusp (-1)
    assert [core.get_xdata()[0], cusp.get_xdata()[0]] == [0.0, -1.0]
    assert len(ax.collections) == 2  # epistemic band and shaded interval
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["posterior", "epistemic band", "68% HDI", "mode", "secondary mode", "mean",
                      "core (0)", "NFW cusp (-1)"]
    # distinct colours: mode vs mean, epistemic band vs interval
    from matplotlib.colors import to_rgba

    assert to_rgba(vlines[0].get_color()) != to_rgba(vlines[2].get_color())
    band, hdi = ax.collections
    assert not np.allclose(band.get_facecolor()[0][:3], hdi.get_facecolor()[0][:3])
    assert ax.get_title() == "dark-matter log-slope at 150 pc"  # no galaxy in meta
    # no band without pdf_std, no secondary line when unimodal; galaxy name in the title
    ax2 = Figure().subplots()
    SlopePosterior(GRID, gaussian(-1, 0.2), meta={"galaxy": "Draco"}).plot(ax2, label="jeans")
    assert len(ax2.collections) == 1 and len(ax2.lines) == 5
    assert ax2.get_legend().get_texts()[0].get_text() == "jeans"
    assert ax2.get_title() == "Draco: dark-matter log-slope at 150 pc"
    # a second posterior on the same axes does not draw the reference lines again
    SlopePosterior(GRID, gaussian(-0.5, 0.2)).plot(ax2, references=True, title="")
    assert sum(line.get_label() == "NFW cusp (-1)" for line in ax2.lines) == 1
    assert ax2.get_title() == "Draco: dark-matter log-slope at 150 pc"


def test_import_is_light():
    import subprocess

    code = ("import sys, dmprofile.results; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules; "
            "assert 'matplotlib' not in sys.modules; "
            "higher = [m for m in sys.modules if m.split('.')[:2] in ("
            "['dmprofile', 'nets'], ['dmprofile', 'classical'], ['dmprofile', 'simulate'], "
            "['dmprofile', 'kinematics'], ['dmprofile', 'suites'], ['dmprofile', 'observe'])]; "
            "assert not higher, higher")
    subprocess.run([sys.executable, "-c", code], check=True)
