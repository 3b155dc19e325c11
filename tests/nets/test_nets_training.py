"""Training: galaxy-level split, checkpoints and resume, model card, early stopping."""

import json

import numpy as np
import pytest

pytest.importorskip("keras")

from dmprofile.nets import _modeldir, _slope_task, augment_images, load_model, train_slope  # noqa: E402

from nets_toys import TINY, TRAIN_KWARGS  # noqa: E402


def test_augmentation_is_a_symmetry_of_each_image():
    rng = np.random.default_rng(0)
    base = rng.random((1, 2, 8, 8)).astype(np.float32)
    batch = np.repeat(base, 400, axis=0)
    out = augment_images(batch, np.random.default_rng(1))
    np.testing.assert_array_equal(batch, np.repeat(base, 400, axis=0))  # input untouched
    np.testing.assert_allclose(out.sum(axis=(2, 3)), batch.sum(axis=(2, 3)), rtol=1e-6)
    # image 0: exactly the 8 symmetries of the square of the original
    square = [np.rot90(base[0, 0], k) for k in range(4)]
    square += [m.T for m in square]
    seen = {next(i for i, m in enumerate(square) if np.array_equal(m, o)) for o in out[:, 0]}
    assert seen == set(range(8))
    # image 1: unchanged or mirrored in velocity (second axis), about half each
    mirrored = np.array([np.array_equal(o, base[0, 1, :, ::-1]) for o in out[:, 1]])
    same = np.array([np.array_equal(o, base[0, 1]) for o in out[:, 1]])
    assert np.all(mirrored | same) and 150 < mirrored.sum() < 250


def test_training_writes_model_card_split_and_checkpoint(trained_model_dir, toy_suite):
    names = {p.name for p in trained_model_dir.iterdir()}
    assert {"model.keras", "model_card.json", "split.json", "checkpoints"} <= names
    ckpt = {p.name for p in (trained_model_dir / "checkpoints").iterdir()}
    assert "state.json" in ckpt and "epoch_0003.keras" in ckpt

    card = json.loads((trained_model_dir / "model_card.json").read_text())
    assert card["format"] == "dmprofile-slope-model"
    assert card["suite"]["checksum"] == toy_suite.checksum
    assert card["prior"] == toy_suite.manifest["prior"]
    assert card["input"]["shape"] == [2, 16, 16]
    assert card["output"]["n_components"] == 2
    assert {"dmprofile", "keras", "tensorflow"} <= set(card["versions"])
    assert card["training"]["epochs_run"] == 3
    assert len(card["training"]["history"]) == 3
    assert set(card["training_ranges"]) == {"n_stars", "r_half", "p98"}
    assert card["metrics"]["validation"]["n_mocks"] == card["split"]["n_rows"]["validation"]
    assert card["model_bytes"] == (trained_model_dir / "model.keras").stat().st_size

    # the split is by galaxy: no galaxy_id in two splits, every galaxy somewhere
    split = json.loads((trained_model_dir / "split.json").read_text())
    sets = {k: set(split[k]) for k in ("train", "validation", "test")}
    assert not (sets["train"] & sets["validation"] or sets["train"] & sets["test"]
                or sets["validation"] & sets["test"])
    assert set.union(*sets.values()) == set(toy_suite.truth["galaxy_id"])
    assert card["split"]["n_galaxies"] == {k: len(v) for k, v in sets.items()}
    gid = np.asarray(toy_suite.truth["galaxy_id"])
    assert card["split"]["n_rows"]["test"] == np.isin(gid, list(sets["test"])).sum()

    model = load_model(trained_model_dir)
    assert model.card == card


@pytest.mark.slow
def test_resume_after_interruption_reaches_the_same_weights(trained_model_dir, toy_suite,
                                                            tmp_path, monkeypatch, capsys):
    out = tmp_path / "interrupted"
    original = _modeldir.write_state

    def interrupt_after_first_epoch(ckpt_dir, state):
        original(ckpt_dir, state)
        if state["epoch"] == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(_modeldir, "write_state", interrupt_after_first_epoch)
    with pytest.raises(KeyboardInterrupt):
        train_slope(toy_suite, out, **TRAIN_KWARGS)
    monkeypatch.undo()
    assert not (out / "model.keras").exists()
    state = json.loads((out / "checkpoints" / "state.json").read_text())
    assert state["epoch"] == 1

    resumed = train_slope(toy_suite, out, **{**TRAIN_KWARGS, "progress": True})
    captured = capsys.readouterr()
    assert "resuming from epoch 1" in captured.out + captured.err
    reference = load_model(trained_model_dir)
    assert resumed.card["training"]["epochs_run"] == 3
    assert resumed.card["training"]["best_epoch"] == reference.card["training"]["best_epoch"]
    assert resumed.card["split"] == reference.card["split"]
    np.testing.assert_allclose(
        [h["val_nll"] for h in resumed.card["training"]["history"]],
        [h["val_nll"] for h in reference.card["training"]["history"]], rtol=1e-4)
    for a, b in zip(resumed.keras_model.get_weights(), reference.keras_model.get_weights(),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_checkpoint_of_another_run_is_refused(trained_model_dir, toy_suite):
    with pytest.raises(ValueError, match="different training run .*seed"):
        train_slope(toy_suite, trained_model_dir, **{**TRAIN_KWARGS, "seed": 1})


@pytest.mark.slow
def test_early_stopping(toy_suite, tmp_path):
    # with a zero learning rate and no BatchNorm the validation NLL never improves
    kwargs = {**TRAIN_KWARGS, "epochs": 10, "patience": 2, "learning_rate": 0.0,
              "architecture": {**TINY, "batch_norm": False}}
    model = train_slope(toy_suite, tmp_path / "m", **kwargs)
    training = model.card["training"]
    assert training["stopped_early"] is True
    assert training["epochs_run"] == 3
    assert training["best_epoch"] == 1


def test_bad_suite_inputs(toy_suite, tmp_path):
    with pytest.raises(TypeError, match="suite directory or a DwarfSuite"):
        train_slope(object(), tmp_path)
    with pytest.raises(ValueError, match="epochs, batch_size and patience must be >= 1"):
        train_slope(toy_suite, tmp_path, epochs=0)


@pytest.mark.slow
def test_learning_rate_halves_on_plateau_and_survives_resume(toy_suite, tmp_path, monkeypatch):
    # make the validation NLL worse every epoch: the schedule must then halve the rate each
    # `lr_patience` epochs, record it in the history and restore it when a run resumes
    calls = {"n": 0}

    def worsening_nll(labels, pred):
        calls["n"] += 1
        return np.full(np.shape(labels), float(calls["n"]))

    monkeypatch.setattr(_slope_task, "mixture_nll_numpy", worsening_nll)
    kwargs = {**TRAIN_KWARGS, "epochs": 3, "patience": 10, "learning_rate": 1e-3,
              "lr_patience": 1, "lr_factor": 0.5}
    out = tmp_path / "plateau"
    original = _modeldir.write_state

    def interrupt_after_second_epoch(ckpt_dir, state):
        original(ckpt_dir, state)
        if state["epoch"] == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(_modeldir, "write_state", interrupt_after_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        train_slope(toy_suite, out, **kwargs)
    state = json.loads((out / "checkpoints" / "state.json").read_text())
    # epoch 1 sets the best NLL, epoch 2 is the first without improvement
    assert state["learning_rate"] == pytest.approx(5e-4)
    monkeypatch.setattr(_modeldir, "write_state", original)
    model = train_slope(toy_suite, out, **kwargs)
    rates = [h["learning_rate"] for h in model.card["training"]["history"]]
    # the rate each epoch ran with: the resumed epoch 3 uses the rate reduced after epoch 2
    np.testing.assert_allclose(rates, [1e-3, 1e-3, 5e-4])
