"""The mass-profile task: channel selection, symmetries, training through the Trainer."""

import json

import numpy as np
import pytest
from mass_toys import TINY, clump_image, make_mass_suite, thin_disc_field

from dmprofile.nets import MassProfileTask, augment_mass_images, image_summaries
from dmprofile.nets._mass_task import _symmetry


class _FixedOps:
    """A generator stub whose integers() returns the given symmetry operations."""

    def __init__(self, ops, flips=None):
        self.ops, self.flips = np.asarray(ops), flips

    def integers(self, low, high, n):  # noqa: ARG002
        return self.ops[:n]

    def random(self, n):
        # uniform draws: 0 where a flip is wanted (draw < 1/2), 1 elsewhere
        return np.where(self.flips, 0.0, 1.0) if self.flips is not None else np.ones(n)


@pytest.mark.parametrize("position_angle", [20.0, 65.0])
def test_symmetries_keep_a_rotating_disc_physical(position_angle):
    """Each symmetry maps the disc to the same disc at another position angle, mom1 unsigned.

    The velocity field and an asymmetric light feature (a clump on the receding side) move
    together and the moment-1 values keep their sign: the result is the model of the same
    galaxy (same rotation curve, clump still on the receding side) at a new position angle.
    Negating mom1 as well would put the clump on the approaching side: another galaxy.
    """
    npix = 24
    light = clump_image(npix, position_angle)
    field = thin_disc_field(npix, position_angle) / 100.0
    stack = np.stack([light, field])[None]
    candidates = [s * position_angle + m for s in (1, -1) for m in range(0, 360, 90)]
    for op in range(8):
        out = augment_mass_images(stack, _FixedOps([op]), channels=("r", "mom1"))[0]
        match = [pa for pa in candidates
                 if np.allclose(out[1], thin_disc_field(npix, pa) / 100.0, atol=1e-5)
                 and np.allclose(out[0], clump_image(npix, pa), atol=1e-5)]
        assert len(match) == 1, op
        # the negated field is never the model with the clump where the light is
        assert not any(np.allclose(-out[1], thin_disc_field(npix, pa) / 100.0, atol=1e-5)
                       and np.allclose(out[0], clump_image(npix, pa), atol=1e-5)
                       for pa in candidates)


def test_reflection_is_the_disc_at_the_mirrored_angle():
    field = thin_disc_field(20, 30.0)
    mirrored = field[:, ::-1]  # x -> -x
    np.testing.assert_allclose(mirrored, thin_disc_field(20, 150.0), atol=1e-9)


def test_channels_move_together_and_velocity_reversal():
    rng = np.random.default_rng(0)
    batch = rng.normal(size=(40, 3, 8, 8)).astype(np.float16)
    out = augment_mass_images(batch, np.random.default_rng(1), channels=("r", "mom1", "mom2"))
    assert out.dtype == np.float32 and out.shape == batch.shape
    for row in range(40):
        ops = [op for op in range(8)
               if np.array_equal(out[row], _symmetry(batch[row].astype(np.float32), op))]
        assert ops  # one symmetry for all channels of a row
    rev = augment_mass_images(batch, _FixedOps(np.zeros(40, int), np.arange(40) % 2 == 0),
                              channels=("r", "mom1", "mom2"), reverse_velocity=True)
    np.testing.assert_array_equal(rev[::2, 1], -batch[::2, 1].astype(np.float32))
    np.testing.assert_array_equal(rev[1::2, 1], batch[1::2, 1].astype(np.float32))
    np.testing.assert_array_equal(rev[:, [0, 2]], batch[:, [0, 2]].astype(np.float32))
    with pytest.raises(ValueError, match="mom1"):
        augment_mass_images(batch, rng, channels=("r", "g", "z"), reverse_velocity=True)


def test_inputs_select_channels_in_order():
    suite = make_mass_suite()
    task = MassProfileTask(channels=("mom1", "r"))
    x = task.inputs(suite)
    np.testing.assert_array_equal(x, suite.images[:, [6, 2]])
    assert task.targets(suite.truth).shape == (12, 20)
    with pytest.raises(ValueError, match="missing: halpha"):
        MassProfileTask(channels=("r", "halpha")).inputs(suite)
    with pytest.raises(ValueError, match="argument 'loss'"):
        MassProfileTask(loss="mae")
    arch = task.architecture(x, task.targets(suite.truth))
    np.testing.assert_allclose(arch["target_loc"], suite.truth["log_mdm"].mean(axis=0))


def test_image_summaries():
    x = np.zeros((2, 3, 10, 10), np.float32)
    x[:, 0] = 3.0
    x[1, 2, :, :5], x[1, 2, :, 5:] = -1.5, 1.5
    out = image_summaries(x, ("z", "mom0", "mom1"))
    np.testing.assert_allclose(out["flux_z"], [3.0, 3.0])
    np.testing.assert_allclose(out["velocity_scale"], [0.0, 150.0])
    assert set(out) == {"flux_z", "mom0_peak", "velocity_scale"}


def _weights(model):
    return np.concatenate([np.ravel(w) for w in model.keras_model.get_weights()])


@pytest.mark.slow
def test_train_resume_and_card(tmp_path):
    pytest.importorskip("keras")
    from dmprofile.nets import Trainer, TrainingConfig, load_mass_model

    suite = make_mass_suite(n_galaxies=10)
    kwargs = {"batch_size": 4, "seed": 0, "val_fraction": 0.2, "test_fraction": 0.2,
              "learning_rate": 1e-3, "progress": False}
    task = MassProfileTask(channels=("r", "mom1"), architecture=TINY, loss="gaussian_nll")
    full = Trainer(task, TrainingConfig(epochs=2, **kwargs)).fit(suite, tmp_path / "full")
    Trainer(MassProfileTask(channels=("r", "mom1"), architecture=TINY, loss="gaussian_nll"),
            TrainingConfig(epochs=1, **kwargs)).fit(suite, tmp_path / "part")
    resumed = Trainer(MassProfileTask(channels=("r", "mom1"), architecture=TINY,
                                      loss="gaussian_nll"),
                      TrainingConfig(epochs=2, **kwargs)).fit(suite, tmp_path / "part")
    np.testing.assert_allclose(_weights(resumed), _weights(full), rtol=1e-5, atol=1e-6)
    card = full.card
    assert card["format"] == "dmprofile-mass-model"
    assert card["input"]["channels"] == ["r", "mom1"]
    assert len(card["output"]["radii_kpc"]) == 20 and card["output"]["loss"] == "gaussian_nll"
    assert card["split"]["n_galaxies"] == {"test": 2, "validation": 2, "train": 6}
    assert {"distance", "hi_beam_fwhm", "flux_r", "velocity_scale"} <= set(
        card["training_ranges"])
    assert len(card["metrics"]["validation"]["rmse"]) == 20
    assert [h["epoch"] for h in card["training"]["history"]] == [1, 2]
    mean, sigma = load_mass_model(tmp_path / "full").predict_log10(suite.images[:3, [2, 6]])
    assert mean.shape == sigma.shape == (3, 20) and np.all(sigma > 0)
    # another channel set is another run: the checkpoint is refused
    with pytest.raises(ValueError, match="channels"):
        Trainer(MassProfileTask(channels=("r",), architecture=TINY, loss="gaussian_nll"),
                TrainingConfig(epochs=3, **kwargs)).fit(suite, tmp_path / "part")
    split = json.loads((tmp_path / "full" / "split.json").read_text())
    assert split["seed"] == 0


@pytest.mark.slow
def test_train_mass_on_a_real_tiny_disc_suite(tmp_path):
    pytest.importorskip("keras")
    from dmprofile.nets import train_mass
    from dmprofile.simulate import DefaultDiscPrior
    from dmprofile.suites import generate_disc_suite

    instrument = dict(DefaultDiscPrior().instrument)
    instrument.pop("name")
    instrument["npix"] = 16
    suite = generate_disc_suite(tmp_path / "suite", n_galaxies=5, realisations=2, seed=3,
                                workers=1, prior=DefaultDiscPrior(instrument=instrument),
                                n_stars=300, n_gas=300, progress=False,
                                channels=("u", "r", "z", "mom1"))
    model = train_mass(suite, tmp_path / "model", channels=("u", "r", "z"), architecture=TINY,
                       epochs=2, batch_size=4, progress=False)
    assert model.channels == ("u", "r", "z") and model.loss == "mse"
    assert model.card["suite"]["name"] == "suite"
    assert model.card["split"]["n_galaxies"] == {"test": 1, "validation": 1, "train": 3}
    assert model.card["training_ranges"]["distance"]["unit"] == "Mpc"
    mean, sigma = model.predict_log10(np.zeros((1, 3, 16, 16)))
    assert mean.shape == (1, 20) and sigma is None
    with pytest.raises(ValueError, match="16x16"):
        model.predict_log10(np.zeros((1, 3, 32, 32)))
    with pytest.raises(ValueError, match="lacks the channel"):
        model.predict_log10({"u": np.zeros((16, 16)), "r": np.zeros((16, 16))})
