"""The mixture-density convolutional network (MDCNN) for the inner slope gamma_150.

After Expósito-Márquez et al. (2023, MNRAS 519, 4384; arXiv:2209.05965): the two phase-space
probability density images go through two convolutional branches, which are concatenated and
followed by three dense layers with Monte-Carlo dropout and a Gaussian-mixture head.
"""

import numpy as np

__all__ = ["build_mdcnn"]


def build_mdcnn(*, bins=64, filters=(16, 32, 64), dense_units=(128, 64, 32), dropout_rate=0.1,
                n_components=2, target_loc=0.0, target_scale=1.0, sigma_floor=0.01,
                batch_norm=True, seed=None, name="mdcnn"):
    """Build the (uncompiled) slope network.

    Parameters
    ----------
    bins : int
        Size of the square input images; the input shape is ``(2, bins, bins)`` (channel first,
        as produced by `dmprofile.kinematics.phase_space_images`). ``bins`` must be divisible by
        ``2 ** len(filters)``.
    filters : tuple of int
        Number of 3x3 filters of each convolutional block (convolution, batch normalisation,
        ReLU, 2x2 max pooling) in each branch.
    dense_units : tuple of int
        Widths of the dense layers after the concatenation (three in the paper); each is
        followed by Monte-Carlo dropout.
    dropout_rate : float
        Rate of the `~dmprofile.nets.MCDropout` layers.
    n_components : int
        Number of Gaussian-mixture components (2 in the paper); the output has ``3 n_components``
        values ``[weights, means, widths]``.
    target_loc, target_scale : float
        Location and scale of the target (mean and spread of the training slopes), so that
        the last dense layer works on standardised values.
    sigma_floor : float
        Smallest width of a component.
    batch_norm : bool
        Use batch normalisation in the convolutional blocks.
    seed : int, `~numpy.random.SeedSequence` or `~numpy.random.Generator`, optional
        Seeds the weight initialisers and the dropout generators, so that the same seed builds
        the same network.
    name : str
        Model name.

    Returns
    -------
    `keras.Model`

    Examples
    --------
    >>> from dmprofile.nets import build_mdcnn
    >>> model = build_mdcnn(bins=16, filters=(4,), dense_units=(8, 8, 8), seed=1)
    >>> model.output_shape
    (None, 6)
    """
    import keras

    from ._layers import MCDropout, MixtureHead, SelectChannel

    bins = int(bins)
    if bins % 2 ** len(filters):
        msg = f"bins={bins} must be divisible by 2**len(filters) = {2 ** len(filters)}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)

    def next_seed():
        return int(rng.integers(2**31 - 1))

    def initializer():
        return keras.initializers.GlorotUniform(seed=next_seed())

    inputs = keras.Input(shape=(2, bins, bins), name="phase_space_images")
    # The images are normalised to unit sum: rescale so that a flat image is of order one.
    scaled = keras.layers.Rescaling(float(bins * bins), name="unit_mean")(inputs)
    branches = []
    for index, label in enumerate(("positions", "radius_velocity")):
        x = SelectChannel(index, name=f"{label}_image")(scaled)
        for level, n_filters in enumerate(filters):
            x = keras.layers.Conv2D(n_filters, 3, padding="same", use_bias=not batch_norm,
                                    kernel_initializer=initializer(),
                                    name=f"{label}_conv{level}")(x)
            if batch_norm:
                x = keras.layers.BatchNormalization(name=f"{label}_bn{level}")(x)
            x = keras.layers.Activation("relu", name=f"{label}_relu{level}")(x)
            x = keras.layers.MaxPooling2D(2, name=f"{label}_pool{level}")(x)
        branches.append(keras.layers.Flatten(name=f"{label}_flatten")(x))
    x = keras.layers.Concatenate(name="concatenate")(branches)
    for level, units in enumerate(dense_units):
        x = keras.layers.Dense(units, activation="relu", kernel_initializer=initializer(),
                               name=f"dense{level}")(x)
        x = MCDropout(dropout_rate, seed=next_seed(), name=f"mc_dropout{level}")(x)
    raw = keras.layers.Dense(3 * n_components, kernel_initializer=initializer(),
                             name="mixture_raw")(x)
    outputs = MixtureHead(n_components, loc=target_loc, scale=target_scale,
                          sigma_floor=sigma_floor, name="mixture")(raw)
    return keras.Model(inputs, outputs, name=name)
