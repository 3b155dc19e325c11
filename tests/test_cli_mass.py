"""The command line of the disc mass profiles: infer-mass, train mass, evaluate mass."""

import json

import pytest
from astropy.io import fits

pytest.importorskip("keras")
pytest.importorskip("reproject")

from disc_mass_helpers import MODEL_CHANNELS, TINY, tiny_build, tiny_observation  # noqa: E402

from dmprofile.cli import main  # noqa: E402

pytestmark = pytest.mark.slow  # trains tiny ensembles (a few seconds)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return tiny_build(tmp_path_factory)


@pytest.fixture(scope="module")
def files(built, tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    obs = tiny_observation(built["suite"], 1, keep_cube=False)
    out = {}
    for name in ("g", *MODEL_CHANNELS):
        out[name] = folder / f"{name}.fits"
        fits.HDUList([fits.PrimaryHDU(), obs[name.upper()]]).writeto(out[name])
    return out


def test_train_and_evaluate_mass(built, tmp_path, capsys):
    out = tmp_path / "ens"
    code = main(["train", "mass", "--data", str(built["suite"]), "--out", str(out),
                 "--members", "1", "--architecture", json.dumps(TINY), "--epochs", "1",
                 "--batch-size", "4", "--channels", "r,mom1", "--loss", "mse", "--quiet",
                 "--name", "clitest", "--lr-patience", "1"])
    assert code == 0
    card = json.loads((out / "ensemble.json").read_text())
    assert card["n_members"] == 1 and card["input"]["channels"] == ["r", "mom1"]
    assert card["name"] == "clitest"
    # MSE members predict no width: the calibration fits one (dex) per radius
    assert len(card["calibration"]["sigma_scale"]) == 20
    printed = capsys.readouterr().out
    assert "ensemble written to" in printed and "width (dex)" in printed
    code = main(["evaluate", "mass", "--data", str(built["suite"]), "--model", str(out),
                 "--out", str(tmp_path / "ev")])
    assert code == 0
    report = json.loads((tmp_path / "ev" / "mass_evaluation.json").read_text())
    assert report["selection"] == "test" and len(report["radii_kpc"]) == 20
    for key in ("rmse", "mae", "bias", "coverage_68", "coverage_95"):
        assert len(report["network"][key]) == 20
    assert set(report["baselines"]) == {"mstar_only", "training_median"}
    assert "galaxies, selection 'test'" in capsys.readouterr().out


def test_train_mass_on_a_physical_grid_calibrates_and_evaluates(built, tmp_path, capsys):
    out = tmp_path / "phys"
    code = main(["train", "mass", "--data", str(built["suite"]), "--out", str(out),
                 "--members", "2", "--architecture", json.dumps(TINY), "--epochs", "1",
                 "--batch-size", "4", "--channels", "r,mom1", "--loss", "gaussian_nll",
                 "--quiet", "--physical-fov", "80", "--calibrate-shift"])
    assert code == 0
    card = json.loads((out / "ensemble.json").read_text())
    assert card["input"]["physical_grid"]["fov_kpc"] == 80.0
    assert len(card["calibration"]["sigma_scale"]) == 20
    assert len(card["calibration"]["centre_shift"]) == 20
    printed = capsys.readouterr().out
    assert "calibrated on" in printed and "shift of the means" in printed
    # the shift needs the calibration: said before any training
    assert main(["train", "mass", "--data", str(built["suite"]), "--out", str(tmp_path / "z"),
                 "--no-calibrate", "--calibrate-shift", "--quiet"]) == 1
    assert "--calibrate-shift needs" in capsys.readouterr().err
    assert not (tmp_path / "z").exists()
    code = main(["evaluate", "mass", "--data", str(built["suite"]), "--model", str(out),
                 "--out", str(tmp_path / "ev")])
    assert code == 0
    report = json.loads((tmp_path / "ev" / "mass_evaluation.json").read_text())
    assert len(report["network"]["coverage_68"]) == 20
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "mass", "--data", str(built["suite"]), "--out", str(tmp_path / "y"),
              "--physical-fov", "-3"])
    assert exit_info.value.code == 2
    assert "--physical-fov: must be a positive number" in capsys.readouterr().err


def test_train_mass_bad_architecture(built, tmp_path, capsys):
    code = main(["train", "mass", "--data", str(built["suite"]), "--out", str(tmp_path / "x"),
                 "--architecture", "D"])
    assert code == 1
    assert "--architecture must be one of A, B, C, resnet50" in capsys.readouterr().err


def test_infer_mass_files_plot_and_output(built, files, tmp_path, capsys):
    from dmprofile.results import MassProfile

    output, plot = tmp_path / "out" / "profile.ecsv", tmp_path / "profile.png"
    code = main(["infer-mass", "--r", str(files["r"]), "--mom0", str(files["mom0"]),
                 "--image", f"mom1={files['mom1']}", "--g", str(files["g"]), "--model",
                 str(built["ensemble"]), "--seed", "5", "--output", str(output),
                 "--plot", str(plot)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "ignored channels: g" in text and "seed = 5" in text
    profile = MassProfile.read(output)
    assert profile.meta["seed"] == 5 and len(profile.radius) == 20
    assert plot.stat().st_size > 1000
    # the printed table holds the same medians
    assert f"{profile.median[0].value:.4g}" in text


@pytest.mark.parametrize(("extra", "message"), [
    ([], "lacks the channel(s) mom1"),
    (["--image", "mom1"], "--image must be CHANNEL=FILE"),
    (["--image", "halpha=x.fits"], "unknown channel 'halpha'"),
    (["--ra", "10"], "give both --ra and --dec"),
])
def test_infer_mass_errors(built, files, extra, message, capsys):
    code = main(["infer-mass", "--r", str(files["r"]), "--mom0", str(files["mom0"]),
                 "--model", str(built["ensemble"]), *extra])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("dmprofile infer-mass: error:") and message in err


def test_missing_bundled_model_is_a_one_line_error(files, capsys, monkeypatch):
    from dmprofile import _infer_mass

    monkeypatch.setitem(_infer_mass.BUNDLED_MODELS, "photometry", ("mass_nowhere", "u,r,z"))
    code = main(["infer-mass", "--r", str(files["r"]), "--model", "photometry"])
    assert code == 1
    err = capsys.readouterr().err
    assert "'photometry' is missing" in err and "dmprofile train mass" in err
    code = main(["evaluate", "mass", "--data", "nowhere", "--out", "x", "--model", "photometry"])
    assert code == 1 and "'photometry' is missing" in capsys.readouterr().err


def test_infer_mass_checks_outputs_first(files, tmp_path, capsys):
    code = main(["infer-mass", "--r", str(files["r"]), "--output", str(tmp_path / "p.txt")])
    assert code == 1 and "unknown suffix" in capsys.readouterr().err
