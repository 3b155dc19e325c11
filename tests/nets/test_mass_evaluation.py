"""evaluate_mass: per-radius metrics and the two baselines, against numpy on the same rows."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u

pytest.importorskip("keras")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared helpers
from disc_mass_helpers import MODEL_CHANNELS, SUITE_CHANNELS, tiny_build  # noqa: E402

pytestmark = pytest.mark.slow  # the shared fixture trains a tiny ensemble (a few seconds)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return tiny_build(tmp_path_factory)


def _nfw_dark_mass(log_mstar, radii_kpc):
    """Return the M*-only baseline written independently (Dutton+10, colossus c, NFW)."""
    from astropy.cosmology import Planck18

    from dmprofile.profiles import concentration_colossus, dutton10_halo_mass

    m200 = dutton10_halo_mass(10.0**log_mstar * u.Msun).to_value(u.Msun)
    m200 = 10.0 ** np.clip(np.log10(m200), 10.8, 15.5)
    c = concentration_colossus(m200 * u.Msun, model="diemer19")
    rho_c = Planck18.critical_density0.to_value(u.Msun / u.kpc**3)
    r200 = (3 * m200 / (4 * np.pi * 200 * rho_c)) ** (1 / 3)
    x = radii_kpc / (r200 / c)
    mu = lambda y: np.log1p(y) - y / (1 + y)  # noqa: E731
    f_b = Planck18.Ob0 / Planck18.Om0
    f_gal = 10.0**log_mstar / m200
    return np.log10(m200 * mu(x) / mu(c) * (1 - max(f_b, f_gal)) / (1 - f_gal))


def test_report_matches_numpy_on_the_test_rows(built, tmp_path):
    from dmprofile.nets import BootstrapEnsemble, evaluate_mass
    from dmprofile.suites import read_suite

    table = evaluate_mass(built["suite"], built["ensemble"], tmp_path / "ev")
    report = json.loads((tmp_path / "ev" / "mass_evaluation.json").read_text())
    suite, ens = read_suite(built["suite"]), BootstrapEnsemble.load(built["ensemble"])
    split = json.loads((built["ensemble"] / "member_00" / "split.json").read_text())
    gid = np.asarray(suite.truth["galaxy_id"])
    rows = np.flatnonzero(np.isin(gid, split["test"]))
    train = np.flatnonzero(np.isin(gid, split["train"]))
    assert report["selection"] == "test" and report["rows"] == rows.tolist()
    assert report["model"]["sigma_scale"] is None  # not calibrated
    np.testing.assert_allclose(report["radii_kpc"], suite.radii.to_value(u.kpc))
    truth = np.asarray(suite.truth["log_mdm"])
    index = [SUITE_CHANNELS.index(c) for c in MODEL_CHANNELS]
    pred = ens.predict_log10(suite.images[rows][:, index].astype(np.float32))
    err = pred["median"] - truth[rows]
    net = report["network"]
    np.testing.assert_allclose(net["rmse"], np.sqrt(np.mean(err**2, axis=0)), rtol=1e-6)
    np.testing.assert_allclose(net["mae"], np.mean(np.abs(err), axis=0), rtol=1e-6)
    np.testing.assert_allclose(net["bias"], np.mean(err, axis=0), rtol=1e-6, atol=1e-9)
    inside = (pred["lower_95"] <= truth[rows]) & (truth[rows] <= pred["upper_95"])
    np.testing.assert_allclose(net["coverage_95"], inside.mean(axis=0))
    assert all(0 <= v <= 1 for v in net["coverage_68"])
    median = np.median(truth[train], axis=0)
    np.testing.assert_allclose(report["baselines"]["training_median"]["rmse"],
                               np.sqrt(np.mean((median - truth[rows]) ** 2, axis=0)), rtol=1e-9)
    log_ms = np.asarray(suite.truth["prior_log_mstar"])[rows]
    expected = np.stack([_nfw_dark_mass(m, suite.radii.to_value(u.kpc)) for m in log_ms])
    np.testing.assert_allclose(report["baselines"]["mstar_only"]["rmse"],
                               np.sqrt(np.mean((expected - truth[rows]) ** 2, axis=0)),
                               rtol=2e-3)
    np.testing.assert_allclose(report["rmse_ratio"]["mstar_only"],
                               np.asarray(net["rmse"])
                               / np.asarray(report["baselines"]["mstar_only"]["rmse"]))
    assert table.colnames[:3] == ["radius", "rmse", "mae"] and len(table) == 20
    np.testing.assert_allclose(table["rmse_training_median"],
                               report["baselines"]["training_median"]["rmse"])


def test_a_separate_suite_is_used_whole(built):
    from dmprofile.nets import evaluate_mass
    from dmprofile.suites import read_suite

    suite = read_suite(built["suite"])
    suite.checksum = "another"  # as if it were a separate suite
    table = evaluate_mass(suite, built["ensemble"])
    assert table.meta["selection"] == "all" and table.meta["n_rows"] == len(suite)
    assert "target_loc" in table.meta["baselines"]["training_median"]["description"]
    with pytest.raises(ValueError, match="split='test' needs the suite"):
        evaluate_mass(suite, built["ensemble"], split="test")


def test_missing_channels_and_bad_split(built):
    from dmprofile.nets import evaluate_mass
    from dmprofile.suites import read_suite

    suite = read_suite(built["suite"])
    suite.channels = ("g", "r", "mom0", "mom2")
    with pytest.raises(ValueError, match="lacks the channel.*mom1"):
        evaluate_mass(suite, built["ensemble"])
    with pytest.raises(ValueError, match="argument 'split'"):
        evaluate_mass(built["suite"], built["ensemble"], split="train")


def test_report_records_the_calibration_factors(built, tmp_path):
    import shutil

    from dmprofile.nets import BootstrapEnsemble, evaluate_mass

    shutil.copytree(built["ensemble"], tmp_path / "copy")
    ens = BootstrapEnsemble.load(tmp_path / "copy")
    scale = np.asarray(ens.calibrate(built["suite"], scales=[0.5, 2.0])["sigma_scale"])
    evaluate_mass(built["suite"], ens, tmp_path / "ev")
    report = json.loads((tmp_path / "ev" / "mass_evaluation.json").read_text())
    np.testing.assert_array_equal(report["model"]["sigma_scale"], scale)
