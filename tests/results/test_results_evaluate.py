"""Tests of dmprofile.results.evaluate_posteriors and its gridded-posterior kernels."""

import json

import numpy as np
import pytest
from scipy import stats

from dmprofile.results import SlopeEvaluation, SlopePosterior, default_grid, evaluate_posteriors
from dmprofile.results import _gridpdf as gp

GRID = default_grid()
N = 1500


def gaussian_suite(n=N, *, scale=1.0, seed=0, bimodal=False):
    """Posteriors N(mu, sigma) with truths drawn from N(mu, scale * sigma)."""
    rng = np.random.default_rng(seed)
    mu = rng.uniform(-2.0, -0.2, n)
    sigma = rng.uniform(0.05, 0.3, n)
    pdfs = stats.norm.pdf(GRID, mu[:, None], sigma[:, None])
    truth = rng.normal(mu, scale * sigma)
    if bimodal:  # calibrated two-component mixtures
        mu2, w2 = mu - 0.8, 0.3
        pdfs = (1 - w2) * pdfs + w2 * stats.norm.pdf(GRID, mu2[:, None], sigma[:, None])
        second = rng.uniform(size=n) < w2
        truth = np.where(second, rng.normal(mu2, sigma), truth)
    n_stars = rng.integers(100, 5000, n)
    return pdfs, truth, n_stars


def within_binomial(value, p, n, k=4.0):
    return abs(value - p) <= k * np.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("bimodal", [False, True])
def test_calibrated_posteriors(bimodal):
    pdfs, truth, n_stars = gaussian_suite(bimodal=bimodal)
    res = evaluate_posteriors((GRID, pdfs), truth, n_stars=n_stars)
    assert within_binomial(res["coverage_68"], 0.68, N)
    assert within_binomial(res["coverage_95"], 0.95, N)
    assert res["pit_ks_pvalue"] > 1e-3 and res["pit_chi2_pvalue"] > 1e-3
    assert res["coverage_68_err"] == pytest.approx(np.sqrt(0.68 * 0.32 / N))
    curve = res.coverage_curve
    assert np.all(np.abs(curve["coverage"] - curve["level"]) <= 4 * curve["coverage_err"] + 1e-12)
    # binned versions are populated and add up
    assert res.by_n_stars["n"].sum() == N and res.by_truth["n"].sum() == N
    # n_stars is independent of everything here, so each of its bins is calibrated too (coverage
    # conditional on the *true* slope is not guaranteed by calibration, so it is not tested)
    table = res.by_n_stars
    assert np.all(np.abs(table["coverage_68"] - 0.68) <= 4 * table["coverage_68_err"])
    if bimodal:
        assert res["fraction_bimodal"] > 0.5


def test_overconfident_posteriors_undercover():
    pdfs, truth, _ = gaussian_suite(scale=2.0)
    res = evaluate_posteriors((GRID, pdfs), truth)
    # N(0, 2 sigma) falls inside +-1 sigma with probability 38%, inside +-1.96 sigma with 67%
    assert res["coverage_68"] == pytest.approx(2 * stats.norm.cdf(0.5) - 1, abs=0.05)
    assert res["coverage_95"] == pytest.approx(2 * stats.norm.cdf(0.98) - 1, abs=0.05)
    assert res["pit_ks_pvalue"] < 1e-6
    # the PIT of an overconfident posterior piles up at 0 and 1
    pit = res.table["pit"]
    assert np.mean((pit < 0.1) | (pit > 0.9)) > 0.3


def test_accuracy_metrics_against_direct_computation():
    pdfs, truth, _ = gaussian_suite(n=300, seed=4)
    res = evaluate_posteriors((GRID, pdfs), truth)
    mu = GRID[np.argmax(pdfs, axis=1)]
    err = np.abs(res.table["mode"] - truth)
    assert np.all(np.abs(res.table["mode"] - mu) <= GRID[1] - GRID[0])
    assert res["mae_mode"] == pytest.approx(np.mean(err))
    assert res["within_0.1"] == pytest.approx(np.mean(err <= 0.1))
    assert res["within_0.3"] == pytest.approx(np.mean(err <= 0.3))
    # coverage by HDI rank agrees with the explicit intervals
    t = res.table
    inside = (truth >= t["low_68"]) & (truth <= t["high_68"])
    assert res["coverage_68"] == pytest.approx(np.mean(inside), abs=2 / 300)


def test_list_of_posteriors_matches_arrays():
    pdfs, truth, _ = gaussian_suite(n=40, seed=2)
    posts = [SlopePosterior(GRID, p) for p in pdfs]
    # a different grid for some of them is handled too
    coarse = default_grid(301)
    posts[::5] = [SlopePosterior(coarse, np.interp(coarse, GRID, p)) for p in pdfs[::5]]
    a = evaluate_posteriors(posts, truth)
    b = evaluate_posteriors((GRID, pdfs), truth)
    np.testing.assert_allclose(a.table["mode"], b.table["mode"], atol=0.01)
    np.testing.assert_allclose(a.table["pit"], b.table["pit"], atol=0.01)
    for k, post in enumerate(posts):
        assert a.table["low_68"][k] == pytest.approx(post.interval(0.68)[0])
        assert a.table["pit"][k] == pytest.approx(post.cdf(truth[k]))
        assert a.table["median"][k] == pytest.approx(post.median)


def test_hdi_rank_consistent_with_intervals():
    pdfs, truth, _ = gaussian_suite(n=200, seed=5, bimodal=True)
    cnodes = gp._cdf_nodes(GRID, pdfs)
    rank = gp._grow_from_mode(GRID, pdfs, cnodes, truth=truth)
    for level in (0.3, 0.68, 0.9):
        lo, hi = gp._grow_from_mode(GRID, pdfs, cnodes, level=level)
        inside = (truth >= lo) & (truth <= hi)
        assert np.array_equal(inside, rank <= level + 1e-12)


def test_truth_outside_grid():
    pdfs, truth, _ = gaussian_suite(n=10)
    truth[0] = 5.0
    res = evaluate_posteriors((GRID, pdfs), truth)
    assert res.table["pit"][0] == 1.0 and res.table["hdi_rank"][0] == 1.0


@pytest.mark.parametrize(("posteriors", "truth", "match"), [
    ((GRID, np.ones((3, 10))), np.zeros(3), "shape"),
    ((GRID, np.ones((3, GRID.size))), np.zeros(4), "3 posteriors for 4 truths"),
    ((GRID, np.ones((3, GRID.size))), np.zeros(2), "more posteriors than truths"),
    ((GRID, np.ones((3, GRID.size))), [0, np.nan, 0], "truth must be finite"),
])
def test_input_errors(posteriors, truth, match):
    with pytest.raises(ValueError, match=match):
        evaluate_posteriors(posteriors, truth)


def test_type_error():
    with pytest.raises(TypeError, match="sequence of SlopePosterior"):
        evaluate_posteriors([np.ones(5)], [0.0])


def test_files_written(tmp_path):
    pytest.importorskip("matplotlib")
    pdfs, truth, n_stars = gaussian_suite(n=200, seed=1)
    res = evaluate_posteriors((GRID, pdfs), truth, n_stars=n_stars, out_dir=tmp_path, label="test",
                              meta={"model": "default"})
    assert isinstance(res, SlopeEvaluation)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["test_evaluation.json", "test_evaluation.md", "test_per_object.ecsv",
                            "test_pred_vs_true.png", "test_calibration.png", "test_vs_truth.png",
                            "test_vs_n_stars.png"])
    data = json.loads((tmp_path / "test_evaluation.json").read_text())
    assert data["metrics"]["n"] == 200 and data["meta"]["model"] == "default"
    assert data["metrics"]["coverage_68"] == pytest.approx(res["coverage_68"])
    assert len(data["by_n_stars"]) == len(res.by_n_stars)
    report = (tmp_path / "test_evaluation.md").read_text()
    assert "coverage_95" in report and "![test_calibration](test_calibration.png)" in report
    for png in tmp_path.glob("*.png"):
        assert png.read_bytes()[:4] == b"\x89PNG"
    assert "SlopeEvaluation('test', n=200" in repr(res)
