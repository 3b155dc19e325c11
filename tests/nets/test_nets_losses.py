"""The Gaussian-mixture negative log-likelihood against an independent scipy reference."""

import numpy as np
import pytest
from scipy import stats

keras = pytest.importorskip("keras")

from dmprofile.nets import mixture_nll  # noqa: E402
from dmprofile.nets._losses import mixture_nll_numpy  # noqa: E402


def reference_nll(y, weights, means, sigmas):
    """-ln sum_k w_k N(y | mu_k, sigma_k), straight from scipy (float64)."""
    pdf = (weights * stats.norm.pdf(y[:, None], means, sigmas)).sum(axis=1)
    return -np.log(pdf)


def random_mixtures(n, k, seed):
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(k), size=n)
    means = rng.uniform(-2, 1, (n, k))
    sigmas = rng.uniform(0.05, 0.8, (n, k))
    y = rng.uniform(-2.5, 1.0, n)
    return y, weights, means, sigmas


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("y_shape", ["flat", "column"])
def test_matches_scipy_reference(k, y_shape):
    y, w, mu, sig = random_mixtures(200, k, seed=k)
    y_pred = np.concatenate([w, mu, sig], axis=1).astype(np.float32)
    y_true = y.astype(np.float32) if y_shape == "flat" else y[:, None].astype(np.float32)
    got = keras.ops.convert_to_numpy(mixture_nll(y_true, y_pred))
    assert got.shape == (200,)
    np.testing.assert_allclose(got, reference_nll(y, w, mu, sig), rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(mixture_nll_numpy(y, y_pred), reference_nll(y, w, mu, sig),
                               rtol=1e-5, atol=1e-5)


def test_stable_far_in_the_tails():
    # 400 sigma away: the densities underflow, the log-sum-exp does not.
    w = np.array([[0.7, 0.3]])
    mu = np.array([[0.0, -1.0]])
    sig = np.array([[0.01, 0.02]])
    y = np.array([4.0])
    y_pred = np.concatenate([w, mu, sig], axis=1).astype(np.float32)
    got = float(keras.ops.convert_to_numpy(mixture_nll(y.astype(np.float32), y_pred))[0])
    # the closest component (in sigma units) dominates: mu=0, sigma=0.01, z = 400
    z = (y[:, None] - mu) / sig
    log_terms = np.log(w) - np.log(sig) - 0.5 * np.log(2 * np.pi) - 0.5 * z**2
    expected = -np.logaddexp(*log_terms[0])
    assert np.isfinite(got)
    assert got == pytest.approx(expected, rel=1e-6)
    assert np.all(stats.norm.pdf(y[:, None], mu, sig) == 0)  # a naive sum underflows here


def test_zero_weight_component_is_finite():
    y_pred = np.array([[1.0, 0.0, 0.0, 5.0, 0.1, 0.1]], dtype=np.float32)
    got = keras.ops.convert_to_numpy(mixture_nll(np.zeros(1, np.float32), y_pred))
    expected = reference_nll(np.zeros(1), np.array([[1.0]]), np.array([[0.0]]), np.array([[0.1]]))
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_gradient_is_finite():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("gradient check written for the TensorFlow backend")
    import tensorflow as tf

    y_pred = tf.Variable(np.array([[0.5, 0.5, 0.0, -1.0, 0.01, 0.02]], dtype=np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(mixture_nll(tf.constant([50.0]), y_pred))
    grad = tape.gradient(loss, y_pred).numpy()
    assert np.all(np.isfinite(grad))
    assert np.isfinite(loss.numpy())
