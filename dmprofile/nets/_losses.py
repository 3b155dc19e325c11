r"""Losses of the networks, written with ``keras.ops`` (and NumPy twins for checks).

The slope network: the negative log-likelihood of a 1-D Gaussian mixture.

The network output is ``[w_1..w_K, mu_1..mu_K, sigma_1..sigma_K]`` (see
`~dmprofile.nets._layers.MixtureHead`); the loss of one example with target ``y`` is

.. math::

    -\ln \sum_k w_k \, \mathcal{N}(y \mid \mu_k, \sigma_k^2)
    = -\operatorname{logsumexp}_k \left[\ln w_k - \ln \sigma_k - \tfrac12 \ln 2\pi
      - \tfrac12 \left(\frac{y - \mu_k}{\sigma_k}\right)^2\right],

evaluated with a log-sum-exp so that it stays finite far in the tails (Bishop 1994).

The mass-profile networks: ``"mse"`` is the loss of de los Rios et al. (2023, eq. 1), the mean
over the radii of the squared error of log10 M_DM(<R_k) (Keras' ``"mse"``). `gaussian_nll` lets
the network predict its own scatter: it outputs a mean :math:`\mu_k` and a log-width
:math:`s_k = \ln\sigma_k` per radius and the loss of one galaxy is the mean over the radii of
the Gaussian negative log-likelihood

.. math::

    \frac{1}{K}\sum_k \left[s_k + \tfrac12 \left(\frac{y_k - \mu_k}{e^{s_k}}\right)^2
    + \tfrac12 \ln 2\pi\right],

with :math:`s_k` clipped to [`LOG_SIGMA_MIN`, `LOG_SIGMA_MAX`] so that the loss stays finite.
"""

import math

import keras
import numpy as np
from keras import ops

__all__ = ["mixture_nll", "mixture_nll_numpy", "split_mixture", "gaussian_nll",
           "gaussian_nll_numpy", "mse_numpy", "split_gaussian", "LOG_SIGMA_MIN", "LOG_SIGMA_MAX"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
# Smallest weight entering the logarithm: keeps ln(w) finite if a softmax underflows to 0.
_TINY = 1e-30


def split_mixture(y_pred, n_components=None):
    """Split ``(..., 3 K)`` mixture parameters into weights, means and widths."""
    k = n_components if n_components is not None else y_pred.shape[-1] // 3
    return y_pred[..., :k], y_pred[..., k:2 * k], y_pred[..., 2 * k:3 * k]


@keras.saving.register_keras_serializable(package="dmprofile")
def mixture_nll(y_true, y_pred):
    """Per-example negative log-likelihood of ``y_true`` under the predicted Gaussian mixture.

    Parameters
    ----------
    y_true : tensor, shape (batch,) or (batch, 1)
        Target values (here the logarithmic slope gamma_150).
    y_pred : tensor, shape (batch, 3 K)
        Mixture weights, means and widths as produced by the mixture head.

    Returns
    -------
    tensor, shape (batch,)
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y = ops.reshape(ops.cast(y_true, y_pred.dtype), (-1, 1))
    weights, means, sigmas = split_mixture(y_pred)
    z = (y - means) / sigmas
    log_terms = (ops.log(ops.maximum(weights, _TINY)) - ops.log(sigmas) - _HALF_LOG_2PI
                 - 0.5 * ops.square(z))
    return -ops.logsumexp(log_terms, axis=-1)


def mixture_nll_numpy(y_true, y_pred):
    """NumPy version of `mixture_nll` (float64), for validation metrics without a graph."""
    y_pred = np.asarray(y_pred, dtype=float)
    y = np.asarray(y_true, dtype=float).reshape(-1, 1)
    weights, means, sigmas = split_mixture(y_pred)
    z = (y - means) / sigmas
    log_terms = (np.log(np.maximum(weights, _TINY)) - np.log(sigmas) - _HALF_LOG_2PI
                 - 0.5 * z**2)
    peak = log_terms.max(axis=-1, keepdims=True)
    return -(peak[:, 0] + np.log(np.exp(log_terms - peak).sum(axis=-1)))


# ----------------------------------------------------------------- mass-profile networks
#: Smallest and largest log-width (natural log of dex): 1e-3 dex to ~20 dex.
LOG_SIGMA_MIN = math.log(1e-3)
LOG_SIGMA_MAX = 3.0
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def split_gaussian(y_pred):
    """Split ``(..., 2 K)`` outputs into means and clipped log-widths (NumPy or tensors)."""
    k = y_pred.shape[-1] // 2
    return y_pred[..., :k], y_pred[..., k:2 * k]


@keras.saving.register_keras_serializable(package="dmprofile")
def gaussian_nll(y_true, y_pred):
    """Per-galaxy Gaussian negative log-likelihood of log10 masses with a per-radius width.

    Parameters
    ----------
    y_true : tensor, shape (batch, K)
        True log10 masses at the K radii.
    y_pred : tensor, shape (batch, 2 K)
        Predicted means and natural logarithms of the widths (dex).

    Returns
    -------
    tensor, shape (batch,)
        The mean over the radii of the negative log-likelihood.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y = ops.cast(y_true, y_pred.dtype)
    mean, log_sigma = split_gaussian(y_pred)
    log_sigma = ops.clip(log_sigma, LOG_SIGMA_MIN, LOG_SIGMA_MAX)
    z = (y - mean) * ops.exp(-log_sigma)
    return ops.mean(log_sigma + 0.5 * ops.square(z), axis=-1) + _HALF_LOG_2PI


def gaussian_nll_numpy(y_true, y_pred):
    """NumPy version of `gaussian_nll` (float64), for validation metrics.

    Parameters
    ----------
    y_true : array, shape (n, K)
        True log10 masses.
    y_pred : array, shape (n, 2 K)
        Means and log-widths.

    Returns
    -------
    ndarray, shape (n,)
    """
    mean, log_sigma = split_gaussian(np.asarray(y_pred, dtype=float))
    log_sigma = np.clip(log_sigma, LOG_SIGMA_MIN, LOG_SIGMA_MAX)
    z = (np.asarray(y_true, dtype=float) - mean) * np.exp(-log_sigma)
    return np.mean(log_sigma + 0.5 * z**2, axis=-1) + _HALF_LOG_2PI


def mse_numpy(y_true, y_pred):
    """Per-galaxy mean squared error over the radii (the paper's eq. 1), float64.

    Parameters
    ----------
    y_true : array, shape (n, K)
        True log10 masses.
    y_pred : array, shape (n, K) or (n, 2 K)
        Predicted log10 masses (the means, when widths follow).

    Returns
    -------
    ndarray, shape (n,)
    """
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)[..., :y_true.shape[-1]]
    return np.mean((y_pred - y_true) ** 2, axis=-1)
