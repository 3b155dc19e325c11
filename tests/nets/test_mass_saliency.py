"""SmoothGrad sensitivity maps and their overlay plot."""

import numpy as np
import pytest

pytest.importorskip("keras")

from mass_toys import TINY  # noqa: E402

from dmprofile.nets import build_mass_cnn, plot_saliency, smoothgrad  # noqa: E402


def _one_channel_network():
    """Build a network that reads only channel 0 of (2, 8, 8) images: y = w . x[0]."""
    import keras

    from dmprofile.nets import SelectChannel

    inputs = keras.Input((2, 8, 8))
    x = keras.layers.Flatten()(SelectChannel(0)(inputs))
    dense = keras.layers.Dense(3, use_bias=False)
    return keras.Model(inputs, dense(x)), dense


def test_zero_sensitivity_to_an_unused_channel():
    model, dense = _one_channel_network()
    image = np.random.default_rng(0).normal(size=(2, 8, 8)).astype(np.float32)
    sal = smoothgrad(model, image, n_samples=4, seed=0)
    assert sal.shape == (3, 2, 8, 8)
    assert np.all(sal[:, 1] == 0) and np.all(sal[:, 0] > 0)
    # a linear network: the signed SmoothGrad map is its weight vector
    signed = smoothgrad(model, image, radii=[1], n_samples=3, seed=1, absolute=False)
    np.testing.assert_allclose(signed[0, 0], np.asarray(dense.kernel)[:, 1].reshape(8, 8),
                               rtol=1e-5)


def test_shapes_radii_and_errors():
    model = build_mass_cnn(TINY, n_channels=2, npix=16, loss="gaussian_nll", seed=0)
    images = np.random.default_rng(1).normal(size=(3, 2, 16, 16))
    sal = smoothgrad(model, images, radii=[0, 19], n_samples=2, seed=0)
    assert sal.shape == (3, 2, 2, 16, 16) and np.all(np.isfinite(sal))
    with pytest.raises(ValueError, match="argument 'radii'"):
        smoothgrad(model, images[0], radii=[20])  # only 20 means (then 20 widths)
    with pytest.raises(ValueError, match="argument 'images'"):
        smoothgrad(model, np.zeros((3, 16, 16)))


def test_plot_saliency_returns_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = np.random.default_rng(2).normal(size=(2, 8, 8))
    sal = np.abs(np.random.default_rng(3).normal(size=(4, 2, 8, 8)))
    axes = plot_saliency(images, sal, channels=("i", "mom1"), radius_index=2)
    assert len(axes) == 2 and axes[1].get_title() == "mom1"
    assert len(axes[0].images) == 2
    with pytest.raises(ValueError, match="must agree"):
        plot_saliency(images, sal, channels=("i",))
    plt.close("all")
