"""The generic trainer with a task other than the slope: config, resume, card, loading."""

import dataclasses
import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dmprofile.nets import (  # noqa: E402
    ModelFiles,
    SlopeTask,
    Task,
    Trainer,
    TrainingConfig,
    _modeldir,
    fit,
    load_model_files,
)

from nets_toys import make_toy_suite  # noqa: E402


class ProfileTask(Task):
    """A toy regression of two numbers per galaxy with a small dense network and MSE."""

    name = "toy-profile"
    card_format = "dmprofile-toy-profile-model"

    def __init__(self, *, units=8):
        self.units = units

    def targets(self, truth):
        return np.stack([np.asarray(truth["gamma_150"], float),
                         np.log10(np.asarray(truth["r_half"], float))], axis=1)

    def architecture(self, inputs, train_targets):
        return {"units": self.units, "loc": train_targets.mean(axis=0).tolist()}

    def build_model(self, architecture, *, input_shape, seed=None):
        rng = np.random.default_rng(seed)

        def init():
            return keras.initializers.GlorotUniform(seed=int(rng.integers(2**31 - 1)))

        inputs = keras.Input(shape=tuple(input_shape))
        x = keras.layers.Flatten()(inputs)
        x = keras.layers.Dense(architecture["units"], activation="relu",
                               kernel_initializer=init())(x)
        outputs = keras.layers.Dense(2, kernel_initializer=init())(x)
        return keras.Model(inputs, outputs)

    def augment(self, batch, rng):
        return batch[:, :, ::-1] if rng.random() < 0.5 else batch


CONFIG = TrainingConfig(epochs=3, batch_size=16, seed=0, val_fraction=0.2, test_fraction=0.2,
                        patience=5, progress=False)


@pytest.fixture(scope="module")
def suite():
    return make_toy_suite(n_galaxies=20, n_projections=2)


@pytest.fixture(scope="module")
def profile_model_dir(suite, tmp_path_factory):
    out = tmp_path_factory.mktemp("profile") / "model"
    fit(ProfileTask(), suite, out, config=CONFIG)
    return out


class TestTrainingConfig:
    def test_frozen_and_typed(self):
        config = TrainingConfig(epochs=2.0, seed=np.int64(3))
        assert config.epochs == 2 and type(config.epochs) is int and config.seed == 3
        with pytest.raises(dataclasses.FrozenInstanceError):
            config.epochs = 5

    def test_seed_none_is_drawn_once(self):
        config = TrainingConfig(seed=None)
        assert isinstance(config.seed, int)
        assert dataclasses.replace(config, epochs=3).seed == config.seed

    @pytest.mark.parametrize(("kwargs", "match"), [
        ({"epochs": 0}, "epochs, batch_size and patience must be >= 1"),
        ({"batch_size": 0}, "epochs, batch_size and patience must be >= 1"),
        ({"val_fraction": 1.0}, r"val_fraction must be in \[0, 1\)"),
        ({"test_fraction": -0.1}, r"test_fraction must be in \[0, 1\)"),
        ({"lr_factor": 0.0}, r"lr_factor in \(0, 1\]"),
        ({"lr_patience": -1}, "lr_patience must be >= 0"),
    ])
    def test_bad_values(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            TrainingConfig(**kwargs)

    def test_trainer_wants_a_config(self):
        with pytest.raises(TypeError, match="config must be a TrainingConfig"):
            Trainer(ProfileTask(), {"epochs": 3})


def test_model_directory_of_another_task(profile_model_dir, suite):
    loaded = load_model_files(profile_model_dir, card_format=ProfileTask.card_format)
    assert isinstance(loaded, ModelFiles)
    card = loaded.card
    assert json.loads((profile_model_dir / "model_card.json").read_text()) == card
    assert card["format"] == "dmprofile-toy-profile-model" and card["format_version"] == 1
    assert card["name"] == "toy-profile"
    assert card["input"]["shape"] == [2, 16, 16] and card["output"]["loss"] == "mse"
    assert card["architecture"]["units"] == 8
    assert card["suite"]["checksum"] == suite.checksum
    history = card["training"]["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert set(history[0]) == {"epoch", "loss", "val_loss", "learning_rate"}
    assert card["training"]["best_val_loss"] == min(h["val_loss"] for h in history)
    assert card["metrics"]["validation"]["n_rows"] == card["split"]["n_rows"]["validation"]
    split = json.loads((profile_model_dir / "split.json").read_text())
    assert card["split"]["n_galaxies"] == {k: len(split[k]) for k in ("train", "validation",
                                                                      "test")}
    # the recorded validation loss is the loss of the saved network on the validation rows
    rows = np.flatnonzero(np.isin(suite.truth["galaxy_id"], split["validation"]))
    pred = loaded.keras_model.predict_on_batch(suite.images[rows])
    y = ProfileTask().targets(suite.truth)[rows]
    np.testing.assert_allclose(card["metrics"]["validation"]["val_loss"],
                               np.mean((pred - y) ** 2), rtol=1e-5)


def test_resume_of_another_task_reaches_the_same_weights(profile_model_dir, suite, tmp_path,
                                                         monkeypatch):
    out = tmp_path / "interrupted"
    original = _modeldir.write_state

    def interrupt(ckpt_dir, state):
        original(ckpt_dir, state)
        if state["epoch"] == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(_modeldir, "write_state", interrupt)
    with pytest.raises(KeyboardInterrupt):
        fit(ProfileTask(), suite, out, config=CONFIG)
    monkeypatch.undo()
    assert not (out / "model_card.json").exists()
    resumed = fit(ProfileTask(), suite, out, config=CONFIG)
    reference = load_model_files(profile_model_dir, card_format=ProfileTask.card_format)
    assert resumed.card["training"]["history"] == reference.card["training"]["history"]
    for a, b in zip(resumed.keras_model.get_weights(), reference.keras_model.get_weights(),
                    strict=True):
        np.testing.assert_array_equal(a, b)


def test_checkpoint_of_another_task_or_architecture_is_refused(profile_model_dir, suite):
    class OtherTask(ProfileTask):
        name = "other"

    with pytest.raises(ValueError, match="different training run .*task"):
        fit(OtherTask(), suite, profile_model_dir, config=CONFIG)
    with pytest.raises(ValueError, match="different training run .*architecture"):
        fit(ProfileTask(units=4), suite, profile_model_dir, config=CONFIG)


def test_loader_checks_the_card_format(profile_model_dir):
    with pytest.raises(ValueError, match="is not a 'something-else' model card"):
        load_model_files(profile_model_dir, card_format="something-else")
    with pytest.raises(ValueError, match="format version 1.*reads version 2"):
        load_model_files(profile_model_dir, card_format=ProfileTask.card_format, versions=(2,))
    with pytest.raises(FileNotFoundError, match="not found"):
        load_model_files(profile_model_dir / "nothing", card_format=ProfileTask.card_format)


def test_slope_task_is_the_first_task():
    task = SlopeTask(architecture={"filters": (4,)}, validation_passes=3)
    assert task.name == "slope" and task.metric == "val_nll"
    assert task.card_format == "dmprofile-slope-model"
    arch = task.architecture(None, np.array([-1.0, -0.5, 0.0]))
    assert arch["filters"] == (4,) and arch["target_loc"] == pytest.approx(-0.5)
    assert arch["target_scale"] == pytest.approx(np.std([-1.0, -0.5, 0.0]))
    with pytest.raises(ValueError, match="no 'gamma_150' column"):
        task.targets(make_toy_suite(n_galaxies=2).truth[["galaxy_id"]])
