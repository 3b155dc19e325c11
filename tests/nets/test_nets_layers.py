"""Architecture, mixture head and Monte-Carlo dropout of the slope network."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dmprofile.nets import MCDropout, MixtureHead, build_mdcnn  # noqa: E402
from dmprofile.nets._io import SlopeModel  # noqa: E402

from nets_toys import BINS, TINY, make_toy_suite  # noqa: E402

CARD = {"input": {"shape": [2, BINS, BINS], "bins": BINS}, "output": {"n_components": 2}}


@pytest.fixture(scope="module")
def images():
    return make_toy_suite(4, 2, seed=3).images


def tiny_model(seed=0, **kwargs):
    return build_mdcnn(bins=BINS, seed=seed, **{**TINY, **kwargs})


def batchnorm_stats(model):
    return [v.numpy().copy() for layer in model.layers
            if isinstance(layer, keras.layers.BatchNormalization)
            for v in (layer.moving_mean, layer.moving_variance)]


def test_default_architecture_size():
    model = build_mdcnn(seed=0)
    assert model.input_shape == (None, 2, 64, 64)
    assert model.output_shape == (None, 6)
    # two branches of three convolutional blocks, three dense layers with MC dropout
    assert sum(isinstance(la, keras.layers.Conv2D) for la in model.layers) == 6
    assert sum(isinstance(la, MCDropout) for la in model.layers) == 3
    assert model.count_params() * 4 < 10e6  # float32 weights well below the 20 MB budget


def test_bins_must_divide():
    with pytest.raises(ValueError, match="must be divisible"):
        build_mdcnn(bins=30, filters=(4, 4, 4))


def test_same_seed_same_network():
    a, b, c = tiny_model(1), tiny_model(1), tiny_model(2)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert any(not np.array_equal(wa, wc) for wa, wc in zip(a.get_weights(), c.get_weights(),
                                                             strict=True))


@pytest.mark.parametrize("k", [2, 3])
def test_mixture_head_constraints(k):
    rng = np.random.default_rng(k)
    raw = rng.normal(0, 30, (500, 3 * k)).astype(np.float32)  # includes extreme logits
    out = keras.ops.convert_to_numpy(MixtureHead(k, loc=-0.5, scale=0.4, sigma_floor=0.02)(raw))
    w, mu, sig = out[:, :k], out[:, k:2 * k], out[:, 2 * k:]
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-6)
    assert np.all(w >= 0)
    assert np.all(sig >= 0.02)
    np.testing.assert_allclose(mu, -0.5 + 0.4 * raw[:, k:2 * k], rtol=1e-5, atol=1e-5)


def test_network_output_constraints(images):
    model = SlopeModel(tiny_model(), CARD)
    passes = model.predict_mixtures(images, n_passes=7, seed=0)
    assert passes.weights.shape == passes.means.shape == passes.sigmas.shape == (8, 7, 2)
    np.testing.assert_allclose(passes.weights.sum(axis=-1), 1.0, rtol=1e-5)
    assert np.all(passes.sigmas > 0)


def test_mc_dropout_passes_differ_but_are_seeded(images):
    model = SlopeModel(tiny_model(), CARD)
    a = model.predict_mixtures(images[0], n_passes=20, seed=42)
    b = model.predict_mixtures(images[0], n_passes=20, seed=42)
    c = model.predict_mixtures(images[0], n_passes=20, seed=43)
    assert a.means.shape == (20, 2)
    # the passes of one call differ from each other (dropout active at inference)
    assert np.all(a.means.std(axis=0) > 0)
    assert np.unique(a.means[:, 0]).size == 20
    # and the seed makes them reproducible
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.allclose(a.means, c.means)


def test_mc_dropout_same_passes_in_a_batch(images):
    # a galaxy analysed alone or within a batch gets the same pass distribution statistics
    model = SlopeModel(tiny_model(dropout_rate=0.0), CARD)
    alone = model.predict_mixtures(images[2], n_passes=3, seed=0)
    batch = model.predict_mixtures(images, n_passes=3, seed=0)
    np.testing.assert_allclose(batch.means[2], alone.means, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_batchnorm_stays_in_inference_mode(images):
    model = SlopeModel(tiny_model(), CARD)
    # move the BatchNorm statistics away from their initial values with one training step
    model.keras_model.compile(optimizer="adam", loss="mse")
    model.keras_model.train_on_batch(images, np.zeros((images.shape[0], 6), np.float32))
    before = batchnorm_stats(model.keras_model)
    model.predict_mixtures(images, n_passes=10, seed=0)
    model.keras_model(images)
    after = batchnorm_stats(model.keras_model)
    for x, y in zip(before, after, strict=True):
        np.testing.assert_array_equal(x, y)
    # with dropout off, an image's output does not depend on the rest of the batch:
    # BatchNorm normalises with its moving statistics, not with the batch's
    det = SlopeModel(tiny_model(dropout_rate=0.0), CARD).keras_model
    det.compile(optimizer="adam", loss="mse")
    det.train_on_batch(images, np.zeros((images.shape[0], 6), np.float32))
    one = keras.ops.convert_to_numpy(det(images[:1]))
    many = keras.ops.convert_to_numpy(det(images))
    np.testing.assert_allclose(one[0], many[0], rtol=1e-5, atol=1e-6)


def test_mc_dropout_rate_checks_and_config():
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        MCDropout(1.0)
    layer = MCDropout(0.3, seed=5, name="d")
    clone = MCDropout.from_config(layer.get_config())
    assert clone.rate == 0.3 and clone.seed == 5
    x = np.ones((1000, 10), np.float32)
    y = keras.ops.convert_to_numpy(layer(x, training=False))
    # inverted dropout: zeros at the rate, survivors scaled by 1 / (1 - rate)
    assert abs(np.mean(y == 0) - 0.3) < 0.02
    np.testing.assert_allclose(np.unique(y[y != 0]), 1 / 0.7, rtol=1e-6)


def test_save_and_load_roundtrip(images, tmp_path):
    model = tiny_model()
    model(images)  # advance the dropout generators
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, compile=False)
    # the dropout generator states travel with the file (needed for exact resume)
    states = [[la.seed_generator.state.numpy() for la in m.layers if isinstance(la, MCDropout)]
              for m in (model, loaded)]
    np.testing.assert_array_equal(states[0], states[1])
    a = SlopeModel(model, CARD).predict_mixtures(images, n_passes=4, seed=1)
    b = SlopeModel(loaded, CARD).predict_mixtures(images, n_passes=4, seed=1)
    np.testing.assert_allclose(a.means, b.means, rtol=1e-6)
