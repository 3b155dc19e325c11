"""Mass networks on a physical grid (distance-aware inputs) and calibrated ensemble widths."""

import json

import numpy as np
import pytest
from astropy import units as u
from mass_toys import TINY, make_mass_suite

pytest.importorskip("keras")

FOV = 15 * u.kpc


@pytest.fixture(scope="module")
def suite():
    return make_mass_suite(n_galaxies=10, fov_arcmin=1.0)


@pytest.fixture(scope="module")
def ensemble_dir(tmp_path_factory, suite):
    from dmprofile.nets import train_mass

    out = tmp_path_factory.mktemp("phys") / "ensemble"
    train_mass(suite, out, channels=("r", "mom1"), architecture=TINY, loss="gaussian_nll",
               n_members=2, epochs=1, batch_size=4, seed=3, progress=False,
               physical_fov=FOV)
    return out


@pytest.fixture
def ensemble_copy(ensemble_dir, tmp_path):
    """Return a copy of the trained ensemble that a test may calibrate: (directory, ensemble)."""
    import shutil

    from dmprofile.nets import BootstrapEnsemble

    copy = tmp_path / "copy"
    shutil.copytree(ensemble_dir, copy)
    return copy, BootstrapEnsemble.load(copy)


def test_task_resamples_with_each_rows_distance(suite):
    from dmprofile.nets import MassProfileTask
    from dmprofile.observe import to_physical_grid

    task = MassProfileTask(channels=("r", "mom1"), physical_fov=FOV)
    assert "physical_fov=15 kpc" in repr(task)
    x = task.inputs(suite)
    assert x.dtype == np.float16 and x.shape == (20, 2, 16, 16)
    row = 7
    expected = to_physical_grid(suite.images[row, [2, 6]].astype(np.float32),
                                suite.truth["prior_distance"][row] * u.Mpc,
                                native_fov=1 * u.arcmin, fov=FOV)
    np.testing.assert_allclose(x[row], expected, atol=2e-3)
    with pytest.raises(ValueError, match="records no field of view"):
        task.inputs(make_mass_suite(n_galaxies=2))
    with pytest.raises(u.UnitTypeError, match="'physical_fov'"):
        MassProfileTask(physical_fov=15 * u.arcmin)


@pytest.mark.slow
def test_models_on_a_physical_grid_need_the_distance(ensemble_dir, suite):
    from dmprofile.nets import BootstrapEnsemble, suite_inputs

    ens = BootstrapEnsemble.load(ensemble_dir)
    member = ens.members[0]
    grid = member.physical_grid
    assert grid["fov_kpc"] == 15.0 and grid["native_fov_arcmin"] == 1.0
    inputs = suite_inputs(suite, ens, np.arange(4))
    assert inputs["distance"].unit == u.Mpc and inputs["images"].shape == (4, 2, 16, 16)
    with pytest.raises(ValueError, match="argument 'distance' is required"):
        ens.predict_log10(inputs["images"])
    pred = ens.predict_log10(**inputs)
    direct = member.predict_prepared(member.prepare(inputs["images"], inputs["distance"]))
    np.testing.assert_allclose(pred["member_mean"][0], direct[0])
    # the distance matters: the same images farther away give another prediction
    farther = ens.predict_log10(inputs["images"], distance=3 * inputs["distance"])
    assert not np.allclose(farther["median"], pred["median"])
    profiles = ens.predict(**inputs)
    np.testing.assert_allclose(np.log10(profiles[2].median.to_value(u.Msun)),
                               pred["median"][2])


@pytest.mark.slow
def test_calibration_scales_the_member_widths_on_validation_galaxies(ensemble_copy, suite,
                                                                      tmp_path):
    from dmprofile.nets import BootstrapEnsemble, ensemble_quantiles, suite_inputs

    copy, ens = ensemble_copy
    assert ens.sigma_scale is None
    entry = ens.calibrate(suite, scales=[0.5, 1.0, 2.0])
    scale = np.asarray(entry["sigma_scale"])
    assert scale.shape == (20,) and set(scale) <= {0.5, 1.0, 2.0}
    split = json.loads((copy / "member_00" / "split.json").read_text())
    assert entry["n_galaxies"] == len(split["validation"]) and entry["split"] == "validation"
    for level in ("68", "95"):
        assert len(entry["coverage_after"][level]) == 20
    # the card on disk has it, and predictions use it
    reloaded = BootstrapEnsemble.load(copy)
    np.testing.assert_array_equal(reloaded.sigma_scale, scale)
    inputs = suite_inputs(suite, reloaded, np.arange(3))
    pred = reloaded.predict_log10(**inputs)
    raw = reloaded.predict_log10(**inputs, calibrated=False)
    np.testing.assert_allclose(pred["lower_68"], ensemble_quantiles(
        raw["member_mean"], raw["member_sigma"] * scale)[1])
    np.testing.assert_allclose(raw["lower_68"], ensemble_quantiles(
        raw["member_mean"], raw["member_sigma"])[1])
    # the fitted coverage is the best of the candidates on the validation rows
    miss = [(c68 - 0.68) ** 2 + (c95 - 0.95) ** 2 for c68, c95 in
            zip(entry["coverage_after"]["68"], entry["coverage_after"]["95"], strict=True)]
    assert np.all(np.isfinite(miss))
    # exported copies keep the calibration
    exported = reloaded.export(tmp_path / "exported")
    np.testing.assert_array_equal(exported.sigma_scale, scale)
    with pytest.raises(ValueError, match="trained on"):
        reloaded.calibrate(make_mass_suite(n_galaxies=10, seed=9, fov_arcmin=1.0))
    with pytest.raises(ValueError, match="'scales'"):
        reloaded.calibrate(suite, scales=[-1.0])


@pytest.mark.slow
def test_calibration_can_shift_the_means_by_the_validation_residual(ensemble_copy, suite):
    from dmprofile.nets import BootstrapEnsemble, ensemble_quantiles, suite_inputs

    copy, ens = ensemble_copy
    assert ens.centre_shift is None
    split = json.loads((copy / "member_00" / "split.json").read_text())
    rows = np.flatnonzero(np.isin(np.asarray(suite.truth["galaxy_id"]), split["validation"]))
    raw = ens.predict_log10(**suite_inputs(suite, ens, rows), calibrated=False)
    truth = np.asarray(suite.truth["log_mdm"], dtype=float)[rows]
    expected = np.mean(truth - raw["member_mean"].mean(axis=0), axis=0)
    entry = ens.calibrate(suite, scales=[0.5, 1.0, 2.0], shift=True)
    np.testing.assert_allclose(entry["centre_shift"], expected)
    assert "shift of the member means" in entry["method"]
    reloaded = BootstrapEnsemble.load(copy)
    np.testing.assert_allclose(reloaded.centre_shift, expected)
    pred = reloaded.predict_log10(**suite_inputs(suite, reloaded, rows))
    # the shifted mean has no residual left on the validation rows; the raw members are kept
    np.testing.assert_allclose(np.mean(truth - (pred["member_mean"].mean(axis=0) + expected),
                                       axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(pred["member_mean"], raw["member_mean"])
    np.testing.assert_allclose(pred["median"], ensemble_quantiles(
        raw["member_mean"] + expected, raw["member_sigma"] * reloaded.sigma_scale)[2])
    assert not np.allclose(pred["median"], raw["median"])
    # calibrating again without the shift removes it
    ens.calibrate(suite, scales=[1.0])
    assert BootstrapEnsemble.load(copy).centre_shift is None


@pytest.mark.slow
def test_mse_ensembles_are_given_a_calibrated_width(tmp_path):
    from dmprofile.nets import BootstrapEnsemble, ensemble_quantiles, train_mass
    from dmprofile.nets._mass_ensemble import _validation_rows
    from dmprofile.nets._mass_task import suite_inputs

    data = make_mass_suite(n_galaxies=10)
    ens = train_mass(data, tmp_path / "mse", channels=("r",), architecture=TINY, loss="mse",
                     n_members=2, epochs=1, batch_size=4, progress=False)
    raw = ens.predict_log10(**suite_inputs(data, ens, np.arange(3)))
    assert raw["member_sigma"] is None
    entry = ens.calibrate(data, scales=[0.05, 0.3, 3.0])
    assert set(entry["sigma_scale"]) <= {0.05, 0.3, 3.0}
    # the chosen width is the candidate whose validation coverage misses 68 / 95 % least
    rows = _validation_rows(data, ens)
    truth = np.asarray(data.truth["log_mdm"], float)[rows]
    means = ens.predict_log10(**suite_inputs(data, ens, rows), calibrated=False)["member_mean"]
    for j in (0, 19):
        miss = []
        for width in (0.05, 0.3, 3.0):
            q = ensemble_quantiles(means[:, :, j:j + 1], np.full(means[:, :, j:j + 1].shape,
                                                                  width))
            inside = [np.mean((q[lo] <= truth[:, j:j + 1]) & (truth[:, j:j + 1] <= q[hi]))
                      for lo, hi in ((1, 3), (0, 4))]
            miss.append((inside[0] - 0.68) ** 2 + (inside[1] - 0.95) ** 2)
        assert entry["sigma_scale"][j] == (0.05, 0.3, 3.0)[int(np.argmin(miss))]
    # predictions use the width: every member a Gaussian of that width
    pred = BootstrapEnsemble.load(tmp_path / "mse").predict_log10(
        **suite_inputs(data, ens, np.arange(3)))
    expected = ensemble_quantiles(raw["member_mean"], np.broadcast_to(
        np.asarray(entry["sigma_scale"]), raw["member_mean"].shape))
    np.testing.assert_allclose(pred["upper_95"], expected[4])
    assert np.all(pred["upper_95"] - pred["lower_95"] > 3 * 0.04)
