"""Star-count calibration of the slope posteriors: width factors, scaling, fit and use."""

import json
import shutil

import numpy as np
import pytest

pytest.importorskip("keras")

from dmprofile.nets import (  # noqa: E402
    calibrate_slope,
    load_model,
    scale_mixtures,
    width_factors,
)
from dmprofile.nets._widths import METHOD  # noqa: E402


def cal(knots, factors):
    return {"method": METHOD, "log10_n_stars": knots, "factor": factors}


def test_width_factors_interpolate_in_log_n_and_hold_beyond_the_ends():
    c = cal([2.0, 4.0], [1.2, 0.8])
    np.testing.assert_allclose(width_factors(c, [10, 100, 1000, 10_000, 1e6]),
                               [1.2, 1.2, 1.0, 0.8, 0.8])
    assert width_factors(c, 1000).shape == ()


@pytest.mark.parametrize(("entry", "match"), [
    ({"method": "other", "log10_n_stars": [2.0], "factor": [1.0]}, "unknown slope calibration"),
    (cal([3.0, 2.0], [1.0, 1.0]), "corrupt"),
    (cal([2.0, 3.0], [1.0]), "corrupt"),
    (cal([2.0, 3.0], [1.0, -1.0]), "corrupt"),
])
def test_width_factors_reject_bad_entries(entry, match):
    with pytest.raises(ValueError, match=match):
        width_factors(entry, 100)


@pytest.mark.parametrize("n", [0, -5, np.nan])
def test_width_factors_reject_bad_star_counts(n):
    with pytest.raises(ValueError, match="n_stars"):
        width_factors(cal([2.0, 3.0], [1.0, 1.0]), n)


def test_scale_mixtures_scales_every_interval_about_the_pooled_mean():
    from dmprofile.results import SlopePosterior

    rng = np.random.default_rng(3)
    w = rng.uniform(0.2, 1.0, (40, 2))
    w /= w.sum(axis=1, keepdims=True)
    mu = rng.normal(-0.8, 0.15, (40, 2))
    sig = rng.uniform(0.08, 0.2, (40, 2))
    grid = np.linspace(-4, 2, 6001)
    raw = SlopePosterior.from_mixture(w, mu, sig, grid=grid)
    scaled = SlopePosterior.from_mixture(*scale_mixtures((w, mu, sig), 1.5), grid=grid)
    centre = np.mean((w * mu).sum(axis=1))
    for q in (0.025, 0.16, 0.5, 0.84, 0.975):
        expected = centre + 1.5 * (raw.quantile(q) - centre)
        assert scaled.quantile(q) == pytest.approx(expected, abs=2e-3)
    # a batch: one factor per galaxy, weights untouched
    batch = scale_mixtures((np.stack([w, w]), np.stack([mu, mu]), np.stack([sig, sig])),
                           [1.0, 0.5])
    np.testing.assert_allclose(batch[0][1], w)
    np.testing.assert_allclose(batch[1][0], mu)
    np.testing.assert_allclose(batch[2][1], 0.5 * sig)
    with pytest.raises(ValueError, match="factors"):
        scale_mixtures((w, mu, sig), 0.0)


@pytest.fixture
def calibrated(trained_model_dir, toy_suite, tmp_path):
    """Copy the toy model, give it 20 validation galaxies (60 rows) and calibrate it."""
    out = tmp_path / "cal"
    shutil.copytree(trained_model_dir, out, ignore=shutil.ignore_patterns("checkpoints"))
    split = json.loads((out / "split.json").read_text())
    ids = sorted({int(g) for g in toy_suite.truth["galaxy_id"]})
    split["validation"] = ids[:20]
    (out / "split.json").write_text(json.dumps(split))
    factors = np.unique(np.r_[np.geomspace(0.5, 2.0, 24), 1.0])
    entry = calibrate_slope(out, toy_suite, n_passes=10, seed=1, n_bins=2, factors=factors)
    return out, entry, ids[:20]


def test_calibration_is_written_to_the_card_and_fits_the_validation_rows(calibrated,
                                                                          toy_suite):
    from dmprofile.results import evaluate_posteriors

    out, entry, val_ids = calibrated
    card = json.loads((out / "model_card.json").read_text())
    assert card["calibration"] == json.loads(json.dumps(entry))
    assert entry["method"] == METHOD and entry["split"] == "validation"
    assert entry["n_rows"] == 60 and entry["n_galaxies"] == 20 and len(entry["bins"]) == 2
    assert all(f > 0 for f in entry["factor"])
    # the recorded coverage after calibration is what the calibrated model gives on those rows
    model = load_model(out)
    rows = np.flatnonzero(np.isin(np.asarray(toy_suite.truth["galaxy_id"]), val_ids))
    n_stars = np.asarray(toy_suite.truth["n_stars"])[rows]
    seed = int(np.random.default_rng(1).integers(2**62))
    grid, pdfs, _ = model.pass_pdfs(toy_suite.images[rows], n_passes=10, seed=seed,
                                    n_stars=n_stars)
    rank = np.asarray(evaluate_posteriors(
        (grid, pdfs), np.asarray(toy_suite.truth["gamma_150"])[rows]).table["hdi_rank"])
    for level, recorded in zip((0.68, 0.95), entry["coverage_after"], strict=True):
        assert np.mean(rank <= level) == pytest.approx(recorded, abs=2.5 / rows.size)
    # the fit searched over factor 1 too: no worse than the raw network by its own measure
    def chi2(key):
        return sum((b[key][0] - 0.68) ** 2 / (0.68 * 0.32 / b["n_rows"])
                   + (b[key][1] - 0.95) ** 2 / (0.95 * 0.05 / b["n_rows"])
                   for b in entry["bins"])

    assert chi2("coverage_after") <= chi2("coverage_before") + 1e-9


def test_calibrated_model_needs_and_applies_the_star_count(calibrated, toy_suite):
    out, entry, _ = calibrated
    model = load_model(out)
    image = toy_suite.images[0]
    with pytest.raises(ValueError, match="n_stars"):
        model.posterior(image, n_passes=5, seed=2)
    with pytest.raises(ValueError, match="n_stars"):
        model.pass_pdfs(toy_suite.images[:3], n_passes=5, seed=2, n_stars=[100, 200])
    post = model.posterior(image, n_passes=5, seed=2, n_stars=500)
    factor = float(width_factors(entry, 500))
    assert post.meta["width_factor"] == pytest.approx(factor)
    raw = model.predict_mixtures(image, n_passes=5, seed=2)
    from dmprofile.results import SlopePosterior

    expected = SlopePosterior.from_mixture(*scale_mixtures(raw, factor))
    np.testing.assert_allclose(post.pdf, expected.pdf, rtol=1e-6, atol=1e-9)
    unscaled = model.posterior(image, n_passes=5, seed=2, calibrated=False)
    assert "width_factor" not in unscaled.meta
    np.testing.assert_allclose(unscaled.pdf, SlopePosterior.from_mixture(*raw).pdf, rtol=1e-6,
                               atol=1e-9)


def test_calibrate_slope_refuses_bad_input(trained_model_dir, toy_suite, tmp_path):
    from types import SimpleNamespace

    with pytest.raises(ValueError, match="'model' must be a model directory"):
        calibrate_slope("default", toy_suite)
    out = tmp_path / "m"
    shutil.copytree(trained_model_dir, out, ignore=shutil.ignore_patterns("checkpoints"))
    other = SimpleNamespace(images=toy_suite.images, truth=toy_suite.truth, checksum="0" * 64,
                            manifest=toy_suite.manifest)
    with pytest.raises(ValueError, match="'suite' must be the suite the model was trained on"):
        calibrate_slope(out, other)
    with pytest.raises(ValueError, match="n_bins"):
        calibrate_slope(out, toy_suite, n_bins=0)
    with pytest.raises(ValueError, match="factors"):
        calibrate_slope(out, toy_suite, factors=[1.0, -1.0])
    with pytest.raises(ValueError, match="validation rows"):
        calibrate_slope(out, toy_suite, n_bins=3)        # 18 validation rows < 60
    assert "calibration" not in json.loads((out / "model_card.json").read_text())
