"""Custom Keras layers of the slope network: Monte-Carlo dropout, branch selection, mixture head.

This module imports Keras at import time; `dmprofile.nets` only imports it lazily.
Every layer is registered as a Keras serializable under the ``dmprofile`` package, so that a
saved ``.keras`` file loads without ``custom_objects``.
"""

import keras
import numpy as np
from keras import ops

__all__ = ["MCDropout", "SelectChannel", "MixtureHead"]


def assign_seed_state(generator, state):
    """Set the state of a `keras.random.SeedGenerator` to ``state`` (two integers)."""
    variable = generator.state
    variable.assign(ops.convert_to_tensor(np.asarray(state).reshape(2), dtype=variable.dtype))


class SeedStateMixin:
    """Save a layer's `keras.random.SeedGenerator` state with its variables.

    Keras does not save the state of a layer's seed generator, so a training checkpoint would
    resume with other dropout masks than an uninterrupted run; layers with this mixin (first
    among their bases) store it as ``seed_generator_state``.
    """

    def save_own_variables(self, store):
        """Save the layer's variables and the state of its generator into ``store``.

        Parameters
        ----------
        store : dict-like
            Keras's variable store.
        """
        super().save_own_variables(store)
        store["seed_generator_state"] = np.asarray(self.seed_generator.state.numpy())

    def load_own_variables(self, store):
        """Restore the state of the layer's generator from ``store``.

        Parameters
        ----------
        store : dict-like
            Keras's variable store.
        """
        if "seed_generator_state" in store:
            assign_seed_state(self.seed_generator, store["seed_generator_state"])


@keras.saving.register_keras_serializable(package="dmprofile")
class MCDropout(SeedStateMixin, keras.layers.Layer):
    """Dropout that stays active at inference (Monte-Carlo dropout, Gal & Ghahramani 2016).

    Unlike ``keras.layers.Dropout`` the mask is drawn whatever the ``training`` flag, so the
    model is called normally (``training=False``) at inference and the other layers, notably
    `~keras.layers.BatchNormalization`, stay in inference mode. The random state lives in a
    `keras.random.SeedGenerator`, whose state is a (non-trainable) variable of the layer: it is
    saved with the model and can be reset with `reset_seed` for reproducible passes.

    Parameters
    ----------
    rate : float
        Fraction of the input units to drop, in [0, 1).
    seed : int, optional
        Initial seed of the layer's generator.
    **kwargs
        Passed on to `keras.layers.Layer` (e.g. ``name``).
    """

    def __init__(self, rate, *, seed=None, **kwargs):
        super().__init__(**kwargs)
        rate = float(rate)
        if not 0.0 <= rate < 1.0:
            msg = f"MCDropout rate must be in [0, 1), got {rate}"
            raise ValueError(msg)
        self.rate = rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        """Drop a random fraction ``rate`` of ``inputs`` and rescale the rest.

        Parameters
        ----------
        inputs : tensor
            The input.
        training : bool, optional
            Ignored: the dropout is active whatever it says.

        Returns
        -------
        tensor
            The input with dropped units set to zero, the others divided by ``1 - rate``.
        """
        if self.rate == 0.0:
            return inputs
        return keras.random.dropout(inputs, self.rate, seed=self.seed_generator)

    def reset_seed(self, state):
        """Set the generator state to ``state``; the next masks follow from it.

        Parameters
        ----------
        state : array-like of two int
            The new state of the layer's `keras.random.SeedGenerator`.
        """
        assign_seed_state(self.seed_generator, state)

    def compute_output_shape(self, input_shape):
        """Return the output shape for an input of shape ``input_shape``.

        Parameters
        ----------
        input_shape : tuple
            Shape of the input, batch axis first.

        Returns
        -------
        tuple
            Shape of the output.
        """
        return input_shape

    def get_config(self):
        """Return the configuration that rebuilds the layer (for saving).

        Returns
        -------
        dict
            The layer's keyword arguments.
        """
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


@keras.saving.register_keras_serializable(package="dmprofile")
class SelectChannel(keras.layers.Layer):
    """Take one channel-first image ``x[:, index]`` and return it channels-last, ``(..., 1)``.

    Splits the ``(2, bins, bins)`` phase-space input into the two convolutional branches.

    Parameters
    ----------
    index : int
        The channel to take.
    **kwargs
        Passed on to `keras.layers.Layer` (e.g. ``name``).
    """

    def __init__(self, index, **kwargs):
        super().__init__(**kwargs)
        self.index = int(index)

    def call(self, inputs):
        """Return channel ``index`` of ``inputs``, channels-last.

        Parameters
        ----------
        inputs : tensor
            Images of shape (batch, channels, bins, bins).

        Returns
        -------
        tensor
            Shape (batch, bins, bins, 1).
        """
        return ops.expand_dims(inputs[:, self.index], axis=-1)

    def compute_output_shape(self, input_shape):
        """Return the output shape for an input of shape ``input_shape``.

        Parameters
        ----------
        input_shape : tuple
            Shape of the input, batch axis first.

        Returns
        -------
        tuple
            Shape of the output.
        """
        return (input_shape[0], *input_shape[2:], 1)

    def get_config(self):
        """Return the configuration that rebuilds the layer (for saving).

        Returns
        -------
        dict
            The layer's keyword arguments.
        """
        config = super().get_config()
        config.update({"index": self.index})
        return config


@keras.saving.register_keras_serializable(package="dmprofile")
class MixtureHead(keras.layers.Layer):
    """Turn ``3 K`` raw outputs into mixture parameters ``[w_1..w_K, mu_1..mu_K, s_1..s_K]``.

    Weights through a softmax (they sum to one), means as ``loc + scale * raw`` (``loc`` and
    ``scale`` standardise the target so the raw outputs are of order one) and widths through
    ``scale * softplus(raw) + sigma_floor`` (strictly positive).

    Parameters
    ----------
    n_components : int
        Number of mixture components K.
    loc, scale : float
        Location and scale of the target (e.g. the mean and standard deviation of the
        training labels).
    sigma_floor : float
        Smallest allowed width, in target units.
    **kwargs
        Passed on to `keras.layers.Layer` (e.g. ``name``).
    """

    def __init__(self, n_components=2, *, loc=0.0, scale=1.0, sigma_floor=0.01, **kwargs):
        super().__init__(**kwargs)
        self.n_components = int(n_components)
        self.loc = float(loc)
        self.scale = float(scale)
        self.sigma_floor = float(sigma_floor)
        if self.scale <= 0 or self.sigma_floor <= 0:
            msg = f"scale and sigma_floor must be > 0, got {self.scale} and {self.sigma_floor}"
            raise ValueError(msg)

    def call(self, inputs):
        """Return the mixture parameters of the raw outputs ``inputs``.

        Parameters
        ----------
        inputs : tensor
            Raw outputs, shape (batch, 3 K).

        Returns
        -------
        tensor
            ``[w_1..w_K, mu_1..mu_K, s_1..s_K]``, shape (batch, 3 K).
        """
        k = self.n_components
        weights = ops.softmax(inputs[:, :k], axis=-1)
        means = self.loc + self.scale * inputs[:, k:2 * k]
        sigmas = self.scale * ops.softplus(inputs[:, 2 * k:3 * k]) + self.sigma_floor
        return ops.concatenate([weights, means, sigmas], axis=-1)

    def compute_output_shape(self, input_shape):
        """Return the output shape for an input of shape ``input_shape``.

        Parameters
        ----------
        input_shape : tuple
            Shape of the input, batch axis first.

        Returns
        -------
        tuple
            Shape of the output.
        """
        return (input_shape[0], 3 * self.n_components)

    def get_config(self):
        """Return the configuration that rebuilds the layer (for saving).

        Returns
        -------
        dict
            The layer's keyword arguments.
        """
        config = super().get_config()
        config.update({"n_components": self.n_components, "loc": self.loc, "scale": self.scale,
                       "sigma_floor": self.sigma_floor})
        return config
