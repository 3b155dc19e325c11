"""The mass-profile networks A, B, C and ResNet50 (de los Rios et al. 2023, Appendix C)."""

import numpy as np
import pytest

pytest.importorskip("keras")

from mass_toys import TINY  # noqa: E402

from dmprofile.nets import build_cnn_a, build_cnn_b, build_cnn_c, build_mass_cnn  # noqa: E402


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


@pytest.mark.parametrize(("builder", "low", "high"), [
    (build_cnn_a, 6.5e5, 7.5e5),    # Table 3: ~7e5
    (build_cnn_b, 1.25e6, 1.4e6),   # Table 4: ~1.3e6 (first convolution restored)
    (build_cnn_c, 2.0e6, 2.5e6),
])
def test_paper_weight_counts(builder, low, high):
    for n_channels in (6, 8):
        model = builder(n_channels=n_channels, seed=0)
        assert model.input_shape == (None, n_channels, 128, 128)
        assert model.output_shape == (None, 20)
        assert low < _trainable(model) < high


def test_layers_follow_the_tables():
    model = build_cnn_b(n_channels=6, seed=0)
    convs = [layer for layer in model.layers if layer.__class__.__name__ == "Conv2D"]
    assert [c.filters for c in convs] == [64, 128, 256]
    assert all(c.kernel_size == (5, 5) and c.strides == (2, 2) for c in convs)
    dense = [layer.units for layer in model.layers if layer.__class__.__name__ == "Dense"]
    assert dense == [256, 128, 64, 20]
    rates = {layer.rate for layer in model.layers if layer.__class__.__name__ == "ResumableDropout"}
    assert rates == {0.5}
    model_a = build_cnn_a(n_channels=6, seed=0)
    assert {layer.rate for layer in model_a.layers
            if layer.__class__.__name__ == "ResumableDropout"} == {0.25}


def test_channel_first_input_and_gaussian_outputs():
    model = build_mass_cnn(TINY, n_channels=3, npix=16, loss="gaussian_nll", seed=1,
                           target_loc=np.arange(20.0), target_scale=0.5)
    assert model.output_shape == (None, 40)
    x = np.random.default_rng(0).normal(size=(2, 3, 16, 16)).astype(np.float32)
    y = np.asarray(model(x, training=False))
    assert y.shape == (2, 40) and np.all(np.isfinite(y))
    # the channel axis is the first: a (16, 16, 3) image is refused
    with pytest.raises(ValueError):
        model(np.zeros((2, 16, 16, 3), np.float32))


def test_same_seed_same_weights():
    a = build_mass_cnn(TINY, n_channels=2, npix=16, seed=3)
    b = build_mass_cnn(TINY, n_channels=2, npix=16, seed=3)
    c = build_mass_cnn(TINY, n_channels=2, npix=16, seed=4)
    wa, wb, wc = (np.concatenate([np.ravel(w) for w in m.get_weights()]) for m in (a, b, c))
    np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(wa, wc)


def test_bad_arguments():
    with pytest.raises(ValueError, match="argument 'architecture'"):
        build_mass_cnn("D")
    with pytest.raises(ValueError, match="argument 'loss'"):
        build_mass_cnn(TINY, npix=16, loss="mae")
    with pytest.raises(ValueError, match="too small"):
        build_mass_cnn("A", npix=64)
    assert build_mass_cnn("B", npix=32, padding="same").output_shape == (None, 20)


@pytest.mark.slow
def test_resnet50_any_channel_count():
    from dmprofile.nets import build_resnet50

    model = build_resnet50(n_channels=8, npix=32, seed=0)
    assert model.input_shape == (None, 8, 32, 32) and model.output_shape == (None, 20)
    assert 2.3e7 < _trainable(model) < 2.5e7
    with pytest.raises(ValueError, match="at least 32x32"):
        build_resnet50(n_channels=2, npix=16)
