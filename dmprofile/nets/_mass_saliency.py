"""SmoothGrad sensitivity maps of the mass-profile networks (de los Rios et al. 2023, Fig. 7).

SmoothGrad (Smilkov et al. 2017, arXiv:1706.03825) averages the gradient of one output with
respect to the input pixels over copies of the input with Gaussian noise added, which removes
most of the pixel-to-pixel noise of a plain gradient map. Here the output is the predicted
log10 M_DM(<R_k) at one radius (or several), the noise has a width of ``noise_level`` times
the range of each channel, and the map is the mean absolute gradient (per channel and pixel).
Written with ``tf.GradientTape`` (tf-keras-vis is unmaintained and fails on these models).
"""

import numpy as np

__all__ = ["smoothgrad", "plot_saliency"]


def _keras_model(model):
    """Return the Keras model of a `MassModel`, an ensemble's first member or a Keras model."""
    if hasattr(model, "members"):
        return model.members[0].keras_model
    return getattr(model, "keras_model", model)


def smoothgrad(model, images, *, radii=None, n_samples=32, noise_level=0.1, seed=None,
               absolute=True):
    """Return SmoothGrad sensitivity maps of the predicted log10 mass at each radius.

    Parameters
    ----------
    model : `keras.Model`, `~dmprofile.nets.MassModel` or `~dmprofile.nets.BootstrapEnsemble`
        The network (for an ensemble, its first member).
    images : array-like, shape (n_channels, npix, npix) or (n, n_channels, npix, npix)
        Stacked, normalised channels in the network's order.
    radii : int or sequence of int, optional
        Indices of the output radii (default: all the mean outputs).
    n_samples : int
        Noisy copies per image.
    noise_level : float
        Width of the Gaussian noise as a fraction of each channel's range (max - min).
    seed : int, optional
        Seed of the noise.
    absolute : bool
        Average the absolute gradients (default) or the signed ones.

    Returns
    -------
    ndarray
        ``(n_radii, n_channels, npix, npix)`` for one image,
        ``(n, n_radii, n_channels, npix, npix)`` for several.
    """
    import tensorflow as tf

    keras_model = _keras_model(model)
    x = np.asarray(images, dtype=np.float32)
    single = x.ndim == 3
    x = x[None] if single else x
    expected = tuple(keras_model.input_shape[1:])
    if x.ndim != 4 or tuple(x.shape[1:]) != expected:
        msg = f"argument 'images' must have shape (n,) + {expected}, got {x.shape}"
        raise ValueError(msg)
    n_out = int(keras_model.output_shape[-1])
    n_means = n_out // 2 if keras_model.layers[-1].get_config().get("gaussian") else n_out
    index = np.arange(n_means) if radii is None else np.atleast_1d(np.asarray(radii, dtype=int))
    if index.size == 0 or index.min() < 0 or index.max() >= n_means:
        msg = f"argument 'radii' must be indices in [0, {n_means}), got {radii!r}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    out = np.empty((x.shape[0], index.size, *x.shape[1:]), dtype=np.float32)
    for i, image in enumerate(x):
        span = (image.max(axis=(1, 2)) - image.min(axis=(1, 2)))[:, None, None]
        noisy = image[None] + noise_level * span * rng.standard_normal(
            (int(n_samples), *image.shape)).astype(np.float32)
        noisy = tf.convert_to_tensor(noisy)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(noisy)
            pred = keras_model(noisy, training=False)
            targets = [tf.reduce_sum(pred[:, int(k)]) for k in index]
        for j, target in enumerate(targets):
            grad = tape.gradient(target, noisy).numpy()
            out[i, j] = np.mean(np.abs(grad) if absolute else grad, axis=0)
        del tape
    return out[0] if single else out


def plot_saliency(images, saliency, *, channels, radius_index=None, radii=None, axes=None,
                  quantile=0.99, color="lime"):
    """Overlay a sensitivity map on the input channels, as in the paper's Fig. 7.

    Parameters
    ----------
    images : array-like, shape (n_channels, npix, npix)
        The stacked channels of one galaxy.
    saliency : array-like, shape (n_channels, npix, npix) or (n_radii, n_channels, npix, npix)
        Its sensitivity maps (`smoothgrad`); with several radii, ``radius_index`` picks one
        (default: their mean).
    channels : sequence of str
        The channel names (titles; mom1 and mom2 get a diverging and a sequential map).
    radius_index : int, optional
        Which radius of ``saliency`` to show.
    radii : `~astropy.units.Quantity`, optional
        The radii of ``saliency`` (for the title).
    axes : sequence of `~matplotlib.axes.Axes`, optional
        One axis per channel (default: a new figure, one row).
    quantile : float
        The sensitivity is shown as a transparency ramp up to this quantile.
    color : str
        Colour of the sensitivity overlay (green as in the paper).

    Returns
    -------
    list of `~matplotlib.axes.Axes`
    """
    from .._utils import require

    plt = require("matplotlib.pyplot", "plot")
    from matplotlib.colors import to_rgb

    images = np.asarray(images, dtype=float)
    sal = np.asarray(saliency, dtype=float)
    if sal.ndim == 4:
        sal = sal.mean(axis=0) if radius_index is None else sal[int(radius_index)]
    channels = list(channels)
    if images.ndim != 3 or sal.shape != images.shape or len(channels) != images.shape[0]:
        msg = (f"images {images.shape}, saliency {sal.shape} and {len(channels)} channel names "
               "must agree: (n_channels, npix, npix)")
        raise ValueError(msg)
    if axes is None:
        _, axes = plt.subplots(1, len(channels), figsize=(2.6 * len(channels), 2.8),
                               squeeze=False)
        axes = axes[0]
    axes = list(np.ravel(axes))
    top = np.quantile(sal, quantile) or 1.0
    rgba = np.zeros((*sal.shape[1:], 4))
    rgba[..., :3] = to_rgb(color)
    for k, (ax, name) in enumerate(zip(axes, channels, strict=True)):
        kwargs = {"cmap": "gray", "origin": "lower"}
        if name == "mom1":
            limit = np.abs(images[k]).max() or 1.0
            kwargs = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit, "origin": "lower"}
        elif name == "mom2":
            kwargs["cmap"] = "magma"
        ax.imshow(images[k], **kwargs)
        rgba[..., 3] = np.clip(sal[k] / top, 0, 1) * 0.8
        ax.imshow(rgba, origin="lower")
        ax.set_title(name)
        ax.set_xticks([])
        ax.set_yticks([])
    if radius_index is not None and radii is not None:
        axes[0].figure.suptitle(f"sensitivity of log M(<{radii[int(radius_index)]:.3g})")
    return axes
