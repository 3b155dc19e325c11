r"""Negative log-likelihood of a 1-D Gaussian mixture, written with ``keras.ops`` only.

The network output is ``[w_1..w_K, mu_1..mu_K, sigma_1..sigma_K]`` (see
`~dmprofile.nets._layers.MixtureHead`); the loss of one example with target ``y`` is

.. math::

    -\ln \sum_k w_k \, \mathcal{N}(y \mid \mu_k, \sigma_k^2)
    = -\operatorname{logsumexp}_k \left[\ln w_k - \ln \sigma_k - \tfrac12 \ln 2\pi
      - \tfrac12 \left(\frac{y - \mu_k}{\sigma_k}\right)^2\right],

evaluated with a log-sum-exp so that it stays finite far in the tails (Bishop 1994).
"""

import math

import keras
import numpy as np
from keras import ops

__all__ = ["mixture_nll", "mixture_nll_numpy", "split_mixture"]

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
