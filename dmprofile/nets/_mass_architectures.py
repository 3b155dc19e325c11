"""The mass-profile networks A, B, C and ResNet50 of de los Rios et al. (2023, Appendix C).

Every network reads the stacked channels of a disc (`dmprofile.observe.stack_channels`,
channel-first ``(n_channels, npix, npix)``, as stored in a `~dmprofile.suites.DiscSuite`),
transposes them to channels-last (what Keras' convolutions expect) and predicts log10 of the
enclosed dark-matter mass at the 20 radii `~dmprofile.simulate.DISC_RADII`: 20 values for the
mean-squared-error loss of the paper, or 20 means and 20 log-widths for the Gaussian
negative log-likelihood (`~dmprofile.nets.gaussian_nll`), so that the network also predicts the
scatter of the mass at fixed observables.

The three custom networks follow the tables of the paper's Appendix C layer by layer: 5x5
convolutions with a stride of 2 and ReLU, 2x2 max pooling, dropout (25 % in A, 50 % in B and
C, as the tables say; the text says 25 %), batch normalisation, then dense layers of 256, 128
and 64 units (256 and 64 in C), each followed by dropout and batch normalisation, and a linear
output. The convolutions use no padding ("valid"): this is what gives the ~7e5 weights the
paper quotes for A (with "same" padding A would have 8.0e5).

The text extraction of the paper lost the first rows of network B's table: it starts with a
max-pooling layer. We restore one 64-kernel 5x5 stride-2 convolution before it, the first
layer of A and C: with it B has 1.34e6 weights for 6 channels of 128x128 pixels, the paper's
"~1.3e6" (a 32-kernel first layer would give 1.23e6, two convolutions far more).
"""

import warnings

import numpy as np

__all__ = ["build_mass_cnn", "build_cnn_a", "build_cnn_b", "build_cnn_c", "build_resnet50",
           "MASS_ARCHITECTURES", "LOSSES"]

#: The custom networks of the paper's Appendix C: convolutions as ``[filters, kernel, stride,
#: pool]`` (``pool``: a 2x2 max pooling after the convolution; dropout is skipped where
#: ``dropout`` is False), dense widths and the dropout rate.
MASS_ARCHITECTURES = {
    "A": {"conv": [[64, 5, 2, True], [128, 5, 2, True], [128, 5, 2, True]],
          "dense": [256, 128, 64], "dropout_rate": 0.25, "conv_dropout": [True, True, True]},
    # the first row (64 kernels, 5x5, stride 2) restored, see the module docstring
    "B": {"conv": [[64, 5, 2, True], [128, 5, 2, True], [256, 5, 2, False]],
          "dense": [256, 128, 64], "dropout_rate": 0.5, "conv_dropout": [True, True, False]},
    "C": {"conv": [[64, 5, 2, True], [128, 5, 2, False], [256, 5, 2, False], [256, 3, 1, False]],
          "dense": [256, 64], "dropout_rate": 0.5, "conv_dropout": [True, True, True, True]},
    "resnet50": {"dense": [256, 128, 64], "dropout_rate": 0.25},
}
#: The losses a mass network can be built for, and its outputs per radius.
LOSSES = {"mse": 1, "gaussian_nll": 2}


def _spec(architecture):
    """Return (name, spec dict) for a named architecture or a custom spec."""
    if isinstance(architecture, str):
        key = {"a": "A", "b": "B", "c": "C", "resnet50": "resnet50"}.get(architecture.lower())
        if key is None:
            msg = (f"argument 'architecture' must be one of {sorted(MASS_ARCHITECTURES)} or a "
                   f"dict, got {architecture!r}")
            raise ValueError(msg)
        return key, dict(MASS_ARCHITECTURES[key])
    if isinstance(architecture, dict):
        spec = dict(architecture)
        if "conv" not in spec and not spec.get("resnet"):
            msg = "a custom 'architecture' dict needs 'conv' (and 'dense') entries"
            raise ValueError(msg)
        spec.setdefault("dense", [256, 128, 64])
        spec.setdefault("dropout_rate", 0.25)
        return spec.pop("name", "custom"), spec
    msg = f"argument 'architecture' must be a name or a dict, got {type(architecture).__name__}"
    raise TypeError(msg)


def _vector(value, n, name):
    out = np.broadcast_to(np.asarray(value, dtype=float), (n,)).astype(float)
    if not np.all(np.isfinite(out)):
        msg = f"argument '{name}' must be finite"
        raise ValueError(msg)
    return out


def build_mass_cnn(architecture="B", *, n_channels=8, npix=128, n_radii=20, loss="mse",
                   target_loc=0.0, target_scale=1.0, dropout_rate=None, padding=None,
                   seed=None, name=None):
    """Build an (uncompiled) mass-profile network: A, B, C, ResNet50 or a custom stack.

    Parameters
    ----------
    architecture : {"A", "B", "C", "resnet50"} or dict
        A network of the paper (see the module docstring and `MASS_ARCHITECTURES`) or a
        custom stack with the same keys, e.g. ``{"conv": [[4, 3, 1, True]], "dense": [8]}``
        (small networks for tests).
    n_channels : int
        Number of input channels; the input shape is ``(n_channels, npix, npix)``.
    npix : int
        Image size in pixels (128 in the paper; at least 32 for ResNet50).
    n_radii : int
        Number of output radii.
    loss : {"mse", "gaussian_nll"}
        ``"mse"``: ``n_radii`` outputs, the log10 masses; ``"gaussian_nll"``: ``2 n_radii``
        outputs, the means and then the natural logarithms of the widths.
    target_loc, target_scale : float or array of float
        Mean and spread of the training targets per radius: the last dense layer works on
        standardised values and an `OutputScaling` layer maps them back to log10 masses.
    dropout_rate : float, optional
        Overrides the dropout rate of the architecture.
    padding : {"valid", "same"}, optional
        Padding of the convolutions (default: the ``padding`` entry of a custom stack, else
        ``"valid"``): ``"valid"`` (the paper's weight counts; A, B
        and C need images of at least 127, 95 and 87 pixels) or ``"same"`` (from 64 pixels
        for A, 32 for B and C).
    seed : int, optional
        Seeds the weight initialisers and dropout layers (same seed, same network).
    name : str, optional
        Model name (default ``mass_cnn_<architecture>``).

    Returns
    -------
    `keras.Model`
        Input ``(None, n_channels, npix, npix)``, output ``(None, n_radii)`` or
        ``(None, 2 n_radii)``.

    Examples
    --------
    >>> from dmprofile.nets import build_mass_cnn
    >>> model = build_mass_cnn("A", n_channels=6, seed=0)
    >>> model.input_shape, model.output_shape, model.count_params() // 1000
    ((None, 6, 128, 128), (None, 20), 702)
    """
    import keras

    from ._mass_layers import OutputScaling, ResumableDropout

    arch_name, spec = _spec(architecture)
    if loss not in LOSSES:
        msg = f"argument 'loss' must be one of {sorted(LOSSES)}, got {loss!r}"
        raise ValueError(msg)
    if dropout_rate is not None:
        spec["dropout_rate"] = float(dropout_rate)
    padding = spec.get("padding", "valid") if padding is None else padding
    if padding not in ("valid", "same"):
        msg = f"argument 'padding' must be 'valid' or 'same', got {padding!r}"
        raise ValueError(msg)
    spec["padding"] = padding
    rng = np.random.default_rng(seed)
    seeds = iter(int(s) for s in rng.integers(0, 2**31 - 1, size=256))
    inputs = keras.Input(shape=(int(n_channels), int(npix), int(npix)), name="channels")
    x = keras.layers.Permute((2, 3, 1), name="channels_last")(inputs)
    if arch_name == "resnet50" or spec.get("resnet"):
        x = _resnet_trunk(x, spec, seeds)
    else:
        x = _conv_trunk(x, spec, seeds)
    for level, units in enumerate(spec["dense"]):
        x = keras.layers.Dense(int(units), activation="relu", name=f"dense{level}",
                               kernel_initializer=keras.initializers.GlorotUniform(next(seeds)))(x)
        x = ResumableDropout(spec["dropout_rate"], seed=next(seeds),
                                 name=f"dense{level}_dropout")(x)
        x = keras.layers.BatchNormalization(name=f"dense{level}_bn")(x)
    n_out = LOSSES[loss] * int(n_radii)
    raw = keras.layers.Dense(n_out, name="output_raw",
                             kernel_initializer=keras.initializers.GlorotUniform(next(seeds)))(x)
    outputs = OutputScaling(loc=_vector(target_loc, n_radii, "target_loc").tolist(),
                            scale=_vector(target_scale, n_radii, "target_scale").tolist(),
                            gaussian=loss == "gaussian_nll", name="log_mdm")(raw)
    return keras.Model(inputs, outputs, name=name or f"mass_cnn_{arch_name}")


def _conv_trunk(x, spec, seeds):
    """Build the convolutional part of A, B, C or a custom stack (the tables' layer order)."""
    import keras

    from ._mass_layers import ResumableDropout

    conv_dropout = spec.get("conv_dropout") or [True] * len(spec["conv"])
    _check_sizes(int(x.shape[1]), spec)
    for level, (filters, kernel, stride, pool) in enumerate(spec["conv"]):
        x = keras.layers.Conv2D(int(filters), int(kernel), strides=int(stride),
                                padding=spec["padding"],
                                activation="relu", name=f"conv{level}",
                                kernel_initializer=keras.initializers.GlorotUniform(next(seeds)))(x)
        if pool:
            x = keras.layers.MaxPooling2D(2, name=f"conv{level}_pool")(x)
        if conv_dropout[level]:
            x = ResumableDropout(spec["dropout_rate"], seed=next(seeds),
                                     name=f"conv{level}_dropout")(x)
        x = keras.layers.BatchNormalization(name=f"conv{level}_bn")(x)
    return keras.layers.Flatten(name="flatten")(x)


def _check_sizes(npix, spec):
    """Raise a clear error if the images are too small for the convolutions."""
    size = npix
    for level, (_, kernel, stride, pool) in enumerate(spec["conv"]):
        size = (-(-size // int(stride)) if spec["padding"] == "same"
                else (size - int(kernel)) // int(stride) + 1)
        size = size // 2 if pool else size
        if size < 1:
            msg = (f"images of {npix}x{npix} pixels are too small for this network with "
                   f"padding={spec['padding']!r} (nothing is left after convolution {level}); "
                   "use padding='same' or larger images")
            raise ValueError(msg)


def _resnet_trunk(x, spec, seeds):
    """Apply `keras.applications.ResNet50` without its top, reseeded, and average pooling."""
    import keras

    shape = tuple(int(n) for n in x.shape[1:])
    if min(shape[:2]) < 32:
        msg = f"ResNet50 needs images of at least 32x32 pixels, got {shape[0]}x{shape[1]}"
        raise ValueError(msg)
    with warnings.catch_warnings():
        # "This model usually expects 1 or 3 input channels": we train from scratch on ours
        warnings.filterwarnings("ignore", message="This model usually expects",
                                category=UserWarning)
        trunk = keras.applications.ResNet50(weights=None, include_top=False, input_shape=shape)
    # keras.applications draws its initial weights from the global seed: draw them again from
    # ours, with the same (Glorot uniform) initialiser, so that the seed fixes the network
    for layer in trunk.layers:
        if isinstance(layer, keras.layers.Conv2D):
            init = keras.initializers.GlorotUniform(next(seeds))
            layer.kernel.assign(init(layer.kernel.shape))
    x = trunk(x)
    return keras.layers.GlobalAveragePooling2D(name="global_pool")(x)


def build_cnn_a(**kwargs):
    """Build network A of de los Rios et al. (2023, Table 3; ~7e5 weights).

    Parameters
    ----------
    **kwargs
        Keyword arguments of `build_mass_cnn` (``n_channels``, ``npix``, ``loss``, ``seed``...).

    Returns
    -------
    `keras.Model`
        The uncompiled network.
    """
    return build_mass_cnn("A", **kwargs)


def build_cnn_b(**kwargs):
    """Build network B of de los Rios et al. (2023, Table 4; ~1.3e6 weights), the paper's choice.

    Parameters
    ----------
    **kwargs
        Keyword arguments of `build_mass_cnn` (``n_channels``, ``npix``, ``loss``, ``seed``...).

    Returns
    -------
    `keras.Model`
        The uncompiled network.
    """
    return build_mass_cnn("B", **kwargs)


def build_cnn_c(**kwargs):
    """Build network C of de los Rios et al. (2023, Table 5; ~2.2e6 weights).

    Parameters
    ----------
    **kwargs
        Keyword arguments of `build_mass_cnn` (``n_channels``, ``npix``, ``loss``, ``seed``...).

    Returns
    -------
    `keras.Model`
        The uncompiled network.
    """
    return build_mass_cnn("C", **kwargs)


def build_resnet50(**kwargs):
    """Build ResNet50 (`keras.applications`, no pretrained weights) with the dense head of A.

    The trunk is ``keras.applications.ResNet50(weights=None, include_top=False)`` for any
    channel count, followed by global average pooling and dense layers of 256, 128 and 64
    units with dropout and batch normalisation (the paper gives no head; about 24 million
    weights in all).

    Parameters
    ----------
    **kwargs
        Keyword arguments of `build_mass_cnn` (``n_channels``, ``npix``, ``loss``, ``seed``...).

    Returns
    -------
    `keras.Model`
        The uncompiled network.
    """
    return build_mass_cnn("resnet50", **kwargs)
