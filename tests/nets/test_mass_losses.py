"""The losses of the mass-profile networks against NumPy and SciPy."""

import numpy as np
import pytest

pytest.importorskip("keras")

from scipy.stats import norm  # noqa: E402

from dmprofile.nets import gaussian_nll  # noqa: E402
from dmprofile.nets._losses import (  # noqa: E402
    LOG_SIGMA_MIN,
    gaussian_nll_numpy,
    mse_numpy,
)


def test_gaussian_nll_is_the_mean_normal_log_density():
    rng = np.random.default_rng(0)
    y = rng.normal(11, 1, (5, 20))
    mean = y + rng.normal(0, 0.3, y.shape)
    log_sigma = rng.normal(-1, 0.5, y.shape)
    pred = np.concatenate([mean, log_sigma], axis=1)
    expected = -norm.logpdf(y, mean, np.exp(log_sigma)).mean(axis=1)
    got = np.asarray(gaussian_nll(y.astype(np.float32), pred.astype(np.float32)))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gaussian_nll_numpy(y, pred), expected, rtol=1e-12)


def test_gaussian_nll_clips_tiny_widths():
    y = np.zeros((1, 2))
    pred = np.array([[0.1, 0.1, -50.0, -50.0]])
    value = gaussian_nll_numpy(y, pred)[0]
    assert np.isfinite(value)
    assert value == pytest.approx(-norm.logpdf(0.1, 0, np.exp(LOG_SIGMA_MIN)))


def test_mse_is_the_papers_eq1():
    import keras

    rng = np.random.default_rng(1)
    y, pred = rng.normal(size=(4, 20)), rng.normal(size=(4, 20))
    expected = ((y - pred) ** 2).mean(axis=1)
    np.testing.assert_allclose(mse_numpy(y, pred), expected)
    keras_mse = keras.losses.get("mse")(y.astype(np.float32), pred.astype(np.float32))
    np.testing.assert_allclose(np.asarray(keras_mse), expected, rtol=1e-5)
