"""The output layer of the mass-profile networks: standardised values back to log10 masses.

This module imports Keras at import time; `dmprofile.nets` only imports it lazily. The layer
is registered as a Keras serializable under the ``dmprofile`` package.
"""

import math

import keras
from keras import ops

from ._layers import SeedStateMixin

__all__ = ["OutputScaling", "ResumableDropout"]


@keras.saving.register_keras_serializable(package="dmprofile")
class ResumableDropout(SeedStateMixin, keras.layers.Dropout):
    """`keras.layers.Dropout` whose random state is saved with the model.

    Keras does not save the state of a layer's seed generator, so a training resumed from a
    checkpoint would draw other masks than an uninterrupted run; this layer stores it.

    Parameters
    ----------
    rate : float
        Fraction of the input units to drop.
    **kwargs
        Passed on to `keras.layers.Dropout` (``seed``, ``name``...).
    """

    def __init__(self, rate, **kwargs):
        super().__init__(rate, **kwargs)


@keras.saving.register_keras_serializable(package="dmprofile")
class OutputScaling(keras.layers.Layer):
    """Map standardised outputs to log10 masses (and log-widths) with per-radius constants.

    With ``gaussian=False`` the output is ``loc + scale * x`` (``n`` values); with
    ``gaussian=True`` the input has ``2 n`` values, means and log-widths in standard units, and
    the output is ``[loc + scale * x[:n], ln(scale) + x[n:]]``: means in log10 Msun and natural
    logarithms of the widths in dex.

    Parameters
    ----------
    loc, scale : list of float
        Mean and spread of the training targets at each radius (``scale > 0``).
    gaussian : bool
        Whether the input holds means and log-widths.
    **kwargs
        Passed on to `keras.layers.Layer` (e.g. ``name``).
    """

    def __init__(self, loc, scale, *, gaussian=False, **kwargs):
        super().__init__(**kwargs)
        self.loc = [float(v) for v in loc]
        self.scale = [float(v) for v in scale]
        if len(self.loc) != len(self.scale) or min(self.scale) <= 0:
            msg = "OutputScaling needs as many loc as scale values, and scale > 0"
            raise ValueError(msg)
        self.gaussian = bool(gaussian)

    def call(self, inputs):
        """Return the rescaled outputs.

        Parameters
        ----------
        inputs : tensor, shape (batch, n) or (batch, 2 n)
            Standardised outputs.

        Returns
        -------
        tensor
            The same shape: log10 masses (and log-widths).
        """
        n = len(self.loc)
        loc = ops.convert_to_tensor(self.loc, dtype=inputs.dtype)
        scale = ops.convert_to_tensor(self.scale, dtype=inputs.dtype)
        if not self.gaussian:
            return loc + scale * inputs
        log_scale = ops.convert_to_tensor([math.log(s) for s in self.scale], dtype=inputs.dtype)
        return ops.concatenate([loc + scale * inputs[:, :n], log_scale + inputs[:, n:]], axis=-1)

    def compute_output_shape(self, input_shape):
        """Return ``input_shape`` (the layer keeps the shape).

        Parameters
        ----------
        input_shape : tuple
            Shape of the input.

        Returns
        -------
        tuple
        """
        return input_shape

    def get_config(self):
        """Return the layer configuration (for saving).

        Returns
        -------
        dict
        """
        return {**super().get_config(), "loc": self.loc, "scale": self.scale,
                "gaussian": self.gaussian}
