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
from dmprofile.nets._widths import METHOD, METHOD_SHAPE  # noqa: E402


def cal(knots, factors):
    return {"method": METHOD, "log10_n_stars": knots, "factor": factors}


def shape_cal(knots, centre, sigma):
    return {"method": METHOD_SHAPE, "log10_n_stars": knots, "centre_factor": centre,
            "sigma_factor": sigma}


def test_width_factors_interpolate_in_log_n_and_hold_beyond_the_ends():
    c = cal([2.0, 4.0], [1.2, 0.8])
    for f in width_factors(c, [10, 100, 1000, 10_000, 1e6]):
        np.testing.assert_allclose(f, [1.2, 1.2, 1.0, 0.8, 0.8])
    assert width_factors(c, 1000)[0].shape == ()
    centre, sigma = width_factors(shape_cal([2.0, 3.0, 4.0], [1.3, 1.1, 1.0], [0.9, 1.0, 0.7]),
                                  [10, 100, 316.22776601683796, 1e4, 1e5])
    np.testing.assert_allclose(centre, [1.3, 1.3, 1.2, 1.0, 1.0])
    np.testing.assert_allclose(sigma, [0.9, 0.9, 0.95, 0.7, 0.7])


@pytest.mark.parametrize(("entry", "match"), [
    ({"method": "other", "log10_n_stars": [2.0], "factor": [1.0]}, "unknown slope calibration"),
    (cal([3.0, 2.0], [1.0, 1.0]), "corrupt"),
    (cal([2.0, 3.0], [1.0]), "corrupt"),
    (cal([2.0, 3.0], [1.0, -1.0]), "corrupt"),
    (shape_cal([2.0, 3.0], [1.0, 1.0], [1.0]), "corrupt"),
    ({"method": METHOD_SHAPE, "log10_n_stars": [2.0], "factor": [1.0]}, "sigma_factor"),
    ("not a dict", "unknown slope calibration"),
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
    with pytest.raises(ValueError, match="sigma_factors"):
        scale_mixtures((w, mu, sig), 1.0, np.nan)


def test_scale_mixtures_with_separate_centre_and_sigma_factors():
    w = np.array([[0.5, 0.5], [1.0, 0.0]])
    mu = np.array([[-1.0, 0.0], [-0.2, 5.0]])
    sig = np.array([[0.1, 0.2], [0.3, 0.4]])
    weights, means, sigmas = scale_mixtures((w, mu, sig), 2.0, 0.5)
    centre = np.mean([-0.5, -0.2])                       # pooled mean of the two passes
    np.testing.assert_allclose(weights, w)
    np.testing.assert_allclose(means, centre + 2.0 * (mu - centre))
    np.testing.assert_allclose(sigmas, 0.5 * sig)


@pytest.fixture(params=[False, True], ids=["width", "shape"])
def calibrated(request, trained_model_dir, toy_suite, tmp_path):
    """Copy the toy model, give it 20 validation galaxies (60 rows) and calibrate it."""
    out = tmp_path / "cal"
    shutil.copytree(trained_model_dir, out, ignore=shutil.ignore_patterns("checkpoints"))
    split = json.loads((out / "split.json").read_text())
    ids = sorted({int(g) for g in toy_suite.truth["galaxy_id"]})
    split["validation"] = ids[:20]
    (out / "split.json").write_text(json.dumps(split))
    if request.param:
        entry = calibrate_slope(out, toy_suite, shape=True, n_passes=10, seed=1, n_bins=2,
                                factors=[0.5, 1.0, 2.0], sigma_factors=[0.5, 1.0, 2.0])
    else:
        factors = np.unique(np.r_[np.geomspace(0.5, 2.0, 24), 1.0])
        entry = calibrate_slope(out, toy_suite, shape=False, n_passes=10, seed=1, n_bins=2,
                                factors=factors)
    return out, entry, ids[:20]


def test_calibration_is_written_to_the_card_and_fits_the_validation_rows(calibrated,
                                                                          toy_suite):
    from dmprofile.results import evaluate_posteriors

    out, entry, val_ids = calibrated
    card = json.loads((out / "model_card.json").read_text())
    assert card["calibration"] == json.loads(json.dumps(entry))
    assert entry["method"] in (METHOD, METHOD_SHAPE) and entry["split"] == "validation"
    assert entry["suite"]["checksum"] == toy_suite.checksum
    assert entry["n_rows"] == 60 and entry["n_galaxies"] == 20 and len(entry["bins"]) == 2
    keys = ["factor"] if entry["method"] == METHOD else ["centre_factor", "sigma_factor"]
    for key in keys:
        assert len(entry[key]) == len(entry["log10_n_stars"]) and all(f > 0 for f in entry[key])
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
    centre, sigma = (float(f) for f in width_factors(entry, 500))
    assert post.meta["centre_factor"] == pytest.approx(centre)
    assert post.meta["sigma_factor"] == pytest.approx(sigma)
    raw = model.predict_mixtures(image, n_passes=5, seed=2)
    from dmprofile.results import SlopePosterior

    expected = SlopePosterior.from_mixture(*scale_mixtures(raw, centre, sigma))
    np.testing.assert_allclose(post.pdf, expected.pdf, rtol=1e-6, atol=1e-9)
    unscaled = model.posterior(image, n_passes=5, seed=2, calibrated=False)
    assert "centre_factor" not in unscaled.meta
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
    with pytest.raises(ValueError, match="shares training galaxies"):
        calibrate_slope(out, other)
    with pytest.raises(ValueError, match="sigma_factors"):
        calibrate_slope(out, toy_suite, sigma_factors=[0.0, 1.0])
    with pytest.raises(ValueError, match="n_bins"):
        calibrate_slope(out, toy_suite, n_bins=0)
    with pytest.raises(ValueError, match="factors"):
        calibrate_slope(out, toy_suite, factors=[1.0, -1.0])
    with pytest.raises(ValueError, match="validation rows"):
        calibrate_slope(out, toy_suite, n_bins=3)        # 18 validation rows < 60
    assert "calibration" not in json.loads((out / "model_card.json").read_text())


def test_an_independent_calibration_suite_is_used_whole(trained_model_dir, toy_suite, tmp_path):
    from types import SimpleNamespace

    out = tmp_path / "m"
    shutil.copytree(trained_model_dir, out, ignore=shutil.ignore_patterns("checkpoints"))
    independent = SimpleNamespace(images=toy_suite.images[::-1], truth=toy_suite.truth[::-1],
                                  checksum="1" * 64,
                                  manifest={**toy_suite.manifest, "seed": 12345})
    entry = calibrate_slope(out, independent, shape=True, n_passes=5, seed=0, n_bins=1,
                            factors=[1.0], sigma_factors=[0.8, 1.25])
    assert entry["split"] == "all" and entry["n_rows"] == len(toy_suite.truth)
    assert entry["suite"] == {"checksum": "1" * 64, "seed": 12345}
    assert entry["centre_factor"] == [1.0] and entry["sigma_factor"][0] > 0
    # the calibration suite is not a test suite for this model
    from dmprofile.nets import evaluate_slope

    with pytest.raises(ValueError, match="calibrated on"):
        evaluate_slope(independent, out, n_passes=2, seed=0)
