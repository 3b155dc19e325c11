"""infer_slope end to end, the out-of-prior warnings, evaluation and the command line."""

import json
import re
import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.table import QTable, Table

pytest.importorskip("keras")

from dmprofile import DMProfileWarning  # noqa: E402
from dmprofile._infer import infer_slope  # noqa: E402
from dmprofile.cli import main  # noqa: E402
from dmprofile.nets import evaluate_slope, load_model  # noqa: E402
from dmprofile.results import SlopePosterior  # noqa: E402


def catalogue(n=500, *, sigma_v=10.0, seed=0):
    rng = np.random.default_rng(seed)
    t = QTable({"x": rng.normal(0, 0.3, n) * u.kpc, "y": rng.normal(0, 0.3, n) * u.kpc,
                "v_los": rng.normal(50, sigma_v, n) * u.km / u.s})
    t.meta.update({"r_half": 0.3, "v_sys": 50.0})
    return t


def test_infer_slope_end_to_end(trained_model_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DMProfileWarning)  # inside the training prior
        post = infer_slope(catalogue(), model=trained_model_dir, n_passes=20, seed=3)
    assert isinstance(post, SlopePosterior)
    assert post.pdf_std is not None and np.all(post.pdf_std >= 0)
    assert np.all(np.isfinite(post.pdf)) and post.grid[0] < post.mode < post.grid[-1]
    meta = post.meta
    assert meta["n_passes"] == 20 and meta["seed"] == 3 and meta["n_stars"] == 500
    assert meta["model"] == str(trained_model_dir)
    assert meta["model_card_sha256"] == load_model(trained_model_dir).card_hash
    assert meta["galaxy_parameters"]["r_half"] == 0.3 * u.kpc
    assert meta["summaries"]["n_stars"] == 500 and "galaxy" not in meta
    assert meta["summaries"]["p98"] == pytest.approx(meta["p98"].to_value(u.km / u.s))
    # seeded: the same seed gives the same posterior, another seed another one
    again = infer_slope(catalogue(), model=trained_model_dir, n_passes=20, seed=3)
    np.testing.assert_array_equal(post.pdf, again.pdf)
    other = infer_slope(catalogue(), model=trained_model_dir, n_passes=20, seed=4)
    assert not np.allclose(post.pdf, other.pdf)
    # an unseeded call records the seed it drew, which reproduces it
    free = infer_slope(catalogue(), model=load_model(trained_model_dir), n_passes=20)
    replay = infer_slope(catalogue(), model=trained_model_dir, n_passes=20,
                         seed=free.meta["seed"])
    np.testing.assert_array_equal(free.pdf, replay.pdf)


@pytest.mark.parametrize(("table", "kwargs", "match"), [
    (catalogue(60), {}, r"n_stars = 60 \(star count\) lies outside the training range \[1"),
    (catalogue(), {"r_half": 3 * u.kpc}, r"r_half = 3 kpc \(half-light radius r_half\) lies "
                                         r"outside the training range \[0\.\d+, 0\.\d+\] kpc"),
    (catalogue(sigma_v=100.0), {}, r"p98 = \d+\.?\d* km / s \(velocity scale P98 .*\) "
                                   r"lies outside"),
])
def test_out_of_prior_warning(trained_model_dir, table, kwargs, match):
    with pytest.warns(DMProfileWarning, match=match):
        post = infer_slope(table, model=trained_model_dir, n_passes=5, seed=0, **kwargs)
    assert isinstance(post, SlopePosterior)


def test_infer_slope_argument_checks(trained_model_dir):
    with pytest.raises(ValueError, match="'n_passes' must be >= 1"):
        infer_slope(catalogue(), model=trained_model_dir, n_passes=0)
    for kwargs, error, match in [
            ({"n_passes": "10"}, TypeError, r"argument 'n_passes' must be an integer, got str"),
            ({"n_passes": 2.5}, TypeError, r"argument 'n_passes' must be an integer, got float"),
            ({"n_passes": -3}, ValueError, r"argument 'n_passes' must be >= 1, got -3"),
            ({"seed": "1"}, TypeError, r"argument 'seed' must be None, an integer >= 0"),
            ({"seed": -1}, ValueError, r"argument 'seed' must be >= 0, got -1"),
            ({"seed": 1.5}, TypeError, r"argument 'seed' must be None, an integer"),
            ({"member_threshold": "x"}, TypeError, r"argument 'member_threshold' must be a "
                                                   r"number, got str 'x'")]:
        with pytest.raises(error, match=match):
            infer_slope(catalogue(), model=trained_model_dir, **kwargs)
    # a whole float is still accepted, as before
    post = infer_slope(catalogue(), model=trained_model_dir, n_passes=3.0, seed=0)
    assert post.meta["n_passes"] == 3
    with pytest.raises(TypeError, match="argument 'table' must be an astropy Table"):
        infer_slope([1, 2, 3], model=trained_model_dir)
    with pytest.raises(FileNotFoundError, match="not found"):
        infer_slope(catalogue(), model=trained_model_dir / "nope")


def test_cli_infer_slope_from_fits(trained_model_dir, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "galaxy.fits"
    Table(catalogue()).write(path)  # meta survives the FITS round trip
    plot, out = tmp_path / "post.png", tmp_path / "post.ecsv"
    code = main(["infer-slope", str(path), "--model", str(trained_model_dir), "--n-passes", "10",
                 "--seed", "1", "--plot", str(plot), "--output", str(out)])
    assert code == 0
    assert "gamma_150 =" in capsys.readouterr().out
    assert plot.stat().st_size > 1000
    direct = infer_slope(Table.read(path), model=trained_model_dir, n_passes=10, seed=1)
    np.testing.assert_allclose(SlopePosterior.read(out).pdf, direct.pdf, rtol=1e-6)


def test_cli_infer_slope_missing_model(tmp_path, capsys):
    path = tmp_path / "galaxy.ecsv"
    Table(catalogue()).write(path)
    assert main(["infer-slope", str(path), "--model", str(tmp_path / "none")]) == 1
    assert "not found" in capsys.readouterr().err


def test_evaluate_uses_the_held_out_galaxies(trained_model_dir, toy_suite, tmp_path):
    result = evaluate_slope(toy_suite, trained_model_dir, n_passes=5, seed=0)
    split = json.loads((trained_model_dir / "split.json").read_text())
    test_rows = np.isin(toy_suite.truth["galaxy_id"], split["test"])
    assert result.meta["selection"] == "test"
    assert result.meta["n_rows"] == test_rows.sum() == len(result.table)
    np.testing.assert_allclose(np.sort(result.table["truth"]),
                               np.sort(toy_suite.truth["gamma_150"][test_rows]))
    # a different suite is used whole
    from types import SimpleNamespace

    other = SimpleNamespace(images=toy_suite.images[:10], truth=toy_suite.truth[:10],
                            checksum="another", manifest={})
    whole = evaluate_slope(other, trained_model_dir, n_passes=5, seed=0)
    assert whole.meta["selection"] == "all" and len(whole.table) == 10
    with pytest.raises(ValueError, match="needs the suite the model was trained on"):
        evaluate_slope(other, trained_model_dir, split="test")


@pytest.mark.slow
def test_cli_train_evaluate_and_infer_on_a_real_suite(real_suite_dir, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from dmprofile.suites import read_suite

    suite = read_suite(real_suite_dir)
    out = tmp_path / "model"
    assert main(["train", "slope", "--data", str(real_suite_dir), "--out", str(out), "--epochs",
                 "2", "--batch-size", "8", "--quiet", "--val-fraction", "0.2",
                 "--test-fraction", "0.2"]) == 0
    assert "model written to" in capsys.readouterr().out
    card = json.loads((out / "model_card.json").read_text())
    assert card["suite"]["checksum"] == suite.checksum
    assert card["suite"]["name"] == real_suite_dir.name
    assert "path" not in card["suite"]
    assert card["prior"] == suite.manifest["prior"]
    assert card["training"]["epochs_run"] == 2
    assert card["split"]["n_galaxies"] == {"train": 6, "validation": 2, "test": 2}
    split = json.loads((out / "split.json").read_text())
    # the ranges of every catalogue summary, measured on the regenerated training mocks
    from dmprofile.kinematics import SUMMARIES, catalogue_summaries

    ranges = card["training_ranges"]
    assert set(ranges) == set(SUMMARIES) and {r["n"] for r in ranges.values()} == {12}
    train_rows = np.flatnonzero(np.isin(suite.truth["galaxy_id"], split["train"]))
    mock = suite.mock(int(train_rows[0]))
    s = catalogue_summaries(mock, r_half=suite.truth["prior_r_half"][train_rows[0]] * u.kpc,
                            v_sys=mock.meta["v_sys"] * u.km / u.s)
    for key, value in s.items():
        assert ranges[key]["min"] <= value <= ranges[key]["max"], key
    for a, b in (("train", "validation"), ("train", "test"), ("validation", "test")):
        assert not set(split[a]) & set(split[b])

    # --calibrate on the finished model: 4 validation rows are too few, said in one line
    assert main(["train", "slope", "--data", str(real_suite_dir), "--out", str(out), "--epochs",
                 "2", "--batch-size", "8", "--quiet", "--val-fraction", "0.2",
                 "--test-fraction", "0.2", "--calibrate"]) == 1
    assert "at least 120 validation rows" in capsys.readouterr().err
    assert main(["train", "slope", "--data", str(real_suite_dir), "--out", str(out), "--epochs",
                 "2", "--batch-size", "8", "--quiet", "--val-fraction", "0.2",
                 "--test-fraction", "0.2", "--calibrate", "--calibration-method", "shape",
                 "--calibration-suite", str(real_suite_dir)]) == 1
    assert "at least 120 validation rows" in capsys.readouterr().err
    assert "calibration" not in json.loads((out / "model_card.json").read_text())

    report = tmp_path / "report"
    assert main(["evaluate", "slope", "--data", str(real_suite_dir), "--model", str(out),
                 "--out", str(report), "--n-passes", "5"]) == 0
    files = {p.suffix for p in report.iterdir()}
    assert {".json", ".md"} <= files
    evaluation = json.loads(next(report.glob("*.json")).read_text())
    assert evaluation["meta"]["selection"] == "test"
    assert evaluation["meta"]["n_rows"] == 4  # 2 test galaxies x 2 projections

    # a mock of a held-out galaxy through infer_slope
    row = int(np.flatnonzero(np.isin(suite.truth["galaxy_id"], split["test"]))[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DMProfileWarning)  # 12 training mocks: narrow ranges
        post = infer_slope(suite.mock(row), model=out, n_passes=10, seed=0)
    assert isinstance(post, SlopePosterior)


@pytest.mark.slow
def test_bundled_model_warns_for_unit_and_frame_mistakes():
    """The bundled card's ranges catch the mistakes of a real catalogue, not its normal use."""
    from dmprofile.datasets import walker2009

    with warnings.catch_warnings():
        warnings.simplefilter("error", DMProfileWarning)
        for name in ("carina", "fornax", "sculptor", "sextans"):
            post = infer_slope(walker2009(name), n_passes=3, seed=0)
            assert post.meta["galaxy"].lower() == name
    fornax = walker2009("fornax")
    ms = fornax.copy()
    for col in ("v_los", "v_err"):
        ms[col] = ms[col].to_value(u.km / u.s) * (u.m / u.s)
    ms.meta["v_sys"] = ms.meta["v_sys"] * u.m / u.s
    off = fornax.copy()
    off.meta["v_sys"] += 200.0
    rad = fornax.copy()
    for col in ("ra", "dec"):
        rad[col] = np.deg2rad(rad[col].to_value(u.deg)) * u.deg
    for key in ("ra_cen", "dec_cen"):
        rad.meta[key] = float(np.deg2rad(rad.meta[key]))
    for table, match in [(ms, r"p98 = 0\.028\d* km / s .* lies outside the training range "
                              r"\[2\.455, 149\.8\] km / s"),
                         (off, r"v_offset_sigma = -1\d\.\d+ .* lies outside the training "
                               r"range \[-0\.5532, 0\.6581\]"),
                         (rad, r"spread_r_half = 0\.01\d+ .* lies outside the training range "
                               r"\[0\.4584, 2\.228\]")]:
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            infer_slope(table, n_passes=3, seed=0)
        messages = [str(w.message) for w in record if w.category is DMProfileWarning]
        assert any(re.match(match, m) for m in messages), messages
