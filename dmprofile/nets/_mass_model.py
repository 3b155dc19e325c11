"""One trained mass-profile network read back from its model directory: `MassModel`.

A directory written by `~dmprofile.nets.train_mass` (the generic trainer with the
`~dmprofile.nets.MassProfileTask`) holds ``model.keras``, ``model_card.json`` (format
``dmprofile-mass-model``) and ``split.json``. The ensembles of `~dmprofile.nets.BootstrapEnsemble`
are directories of such members.
"""

from pathlib import Path

import numpy as np
from astropy import units as u

__all__ = ["MassModel", "load_mass_model", "as_channel_array", "predict_batches",
           "MASS_CARD_FORMAT", "MASS_CARD_VERSION"]

MASS_CARD_FORMAT = "dmprofile-mass-model"
MASS_CARD_VERSION = 1


def predict_batches(model, x, batch_size):
    """Return the network outputs for ``x`` (float64), ``batch_size`` rows per call."""
    out = [np.asarray(model.predict_on_batch(np.asarray(x[i:i + batch_size], np.float32)),
                      dtype=float) for i in range(0, len(x), batch_size)]
    return np.concatenate(out) if out else np.empty((0, model.output_shape[-1]))


def as_channel_array(images, channels, npix=None):
    """Return ``images`` as a float32 array (n, n_channels, npix, npix) in ``channels`` order.

    Parameters
    ----------
    images : array-like or dict
        Stacked channels (n, n_channels, npix, npix) or one stack (n_channels, npix, npix), in
        the order ``channels``; or a mapping of channel name to images (npix, npix) or (n, npix,
        npix), from which ``channels`` are taken (others are ignored).
    channels : sequence of str
        The channels the network reads, in order.
    npix : int, optional
        The image size the network reads.

    Returns
    -------
    ndarray, float32

    Raises
    ------
    ValueError
        For a missing channel, a wrong shape or non-finite values, naming the channel.
    """
    channels = list(channels)
    if isinstance(images, dict):
        lower = {str(k).lower(): v for k, v in images.items()}
        missing = [c for c in channels if c not in lower]
        if missing:
            msg = (f"argument 'images' lacks the channel(s) {', '.join(missing)} that the model "
                   f"needs (it reads {', '.join(channels)})")
            raise ValueError(msg)
        layers = [np.asarray(lower[c], dtype=np.float32) for c in channels]
        shapes = {layer.shape for layer in layers}
        if len(shapes) != 1:
            msg = f"the channels of argument 'images' must have one shape, got {sorted(shapes)}"
            raise ValueError(msg)
        x = np.stack(layers, axis=-3)
    else:
        x = np.asarray(images, dtype=np.float32)
    if x.ndim == 3:
        x = x[None]
    expected = f"(n, {len(channels)}, npix, npix) for the channels {', '.join(channels)}"
    if x.ndim != 4 or x.shape[1] != len(channels) or x.shape[2] != x.shape[3]:
        msg = f"argument 'images' must have shape {expected}, got {x.shape}"
        raise ValueError(msg)
    if npix is not None and x.shape[-1] != int(npix):
        msg = (f"argument 'images' must be {npix}x{npix} pixels (the network's grid), got "
               f"{x.shape[-1]}x{x.shape[-1]}; reproject the observation onto the grid first")
        raise ValueError(msg)
    bad = [channels[k] for k in range(len(channels)) if not np.all(np.isfinite(x[:, k]))]
    if bad:
        msg = f"argument 'images' has NaN or infinite values in channel(s) {', '.join(bad)}"
        raise ValueError(msg)
    return x


class MassModel:
    """A trained mass-profile network with its model card.

    Parameters
    ----------
    keras_model : `keras.Model`
        The network.
    card : dict
        Its model card.
    path : `~pathlib.Path`, optional
        The model directory.
    card_hash : str, optional
        SHA-256 of the card file.
    """

    def __init__(self, keras_model, card, *, path=None, card_hash=None):
        self.keras_model = keras_model
        self.card = card
        self.path = None if path is None else Path(path)
        self.card_hash = card_hash

    @property
    def channels(self):
        """The input channels, in order (tuple of str)."""
        return tuple(self.card["input"]["channels"])

    @property
    def npix(self):
        """The image size in pixels."""
        return int(self.card["input"]["shape"][-1])

    @property
    def loss(self):
        """The loss, ``"mse"`` or ``"gaussian_nll"``."""
        return self.card["output"]["loss"]

    @property
    def radii(self):
        """The radii of the outputs (`~astropy.units.Quantity`)."""
        return np.asarray(self.card["output"]["radii_kpc"], dtype=float) * u.kpc

    @property
    def physical_grid(self):
        """The physical grid the network reads (dict with ``fov_kpc``), or None (angular)."""
        return self.card["input"].get("physical_grid")

    def prepare(self, images, distance=None):
        """Return the network input: checked channels, on the physical grid if the model has one.

        Parameters
        ----------
        images : array-like or dict
            Stacked channels in the model's order on the suite's angular grid, or a mapping
            channel -> image (see `as_channel_array`).
        distance : `~astropy.units.Quantity` [length], optional
            Distance of each galaxy (scalar or one per stack); needed when the model reads a
            physical grid (`physical_grid`), ignored otherwise.

        Returns
        -------
        ndarray, float32, shape (n, n_channels, npix, npix)

        Raises
        ------
        ValueError
            For bad images (see `as_channel_array`) or a missing distance.
        """
        x = as_channel_array(images, self.channels, self.npix)
        grid = self.physical_grid
        if grid is None:
            return x
        if distance is None:
            msg = (f"argument 'distance' is required: the model reads images resampled onto a "
                   f"{grid['fov_kpc']:g} kpc field, which needs each galaxy's distance")
            raise ValueError(msg)
        from ..observe import to_physical_grid

        return to_physical_grid(x, distance, native_fov=grid["native_fov_arcmin"] * u.arcmin,
                                fov=grid["fov_kpc"] * u.kpc)

    def predict_log10(self, images, *, distance=None, batch_size=64):
        """Return the predicted log10 masses and widths (dex; None for an MSE network).

        Parameters
        ----------
        images : array-like or dict
            Stacked channels in the model's order, or a mapping channel -> image
            (see `as_channel_array`).
        distance : `~astropy.units.Quantity` [length], optional
            Distance of each galaxy, for a model that reads a physical grid (see `prepare`).
        batch_size : int
            Rows per network call.

        Returns
        -------
        mean : ndarray, shape (n, n_radii)
        sigma : ndarray, shape (n, n_radii), or None
        """
        return self.predict_prepared(self.prepare(images, distance), batch_size=batch_size)

    def predict_prepared(self, x, *, batch_size=64):
        """Return log10 masses and widths for inputs already made by `prepare`.

        Parameters
        ----------
        x : ndarray, shape (n, n_channels, npix, npix)
            The output of `prepare`.
        batch_size : int
            Rows per network call.

        Returns
        -------
        mean : ndarray, shape (n, n_radii)
        sigma : ndarray, shape (n, n_radii), or None
        """
        pred = predict_batches(self.keras_model, x, int(batch_size))
        n = int(self.card["output"]["n_radii"])
        if self.loss != "gaussian_nll":
            return pred[:, :n], None
        from ._losses import LOG_SIGMA_MAX, LOG_SIGMA_MIN

        return pred[:, :n], np.exp(np.clip(pred[:, n:2 * n], LOG_SIGMA_MIN, LOG_SIGMA_MAX))

    def __repr__(self):
        return (f"<MassModel {self.card.get('architecture', {}).get('architecture')!r} "
                f"channels={','.join(self.channels)} loss={self.loss!r} path='{self.path}'>")


def load_mass_model(directory):
    """Load and check a mass-profile model directory written by `~dmprofile.nets.train_mass`.

    Parameters
    ----------
    directory : str or `~pathlib.Path`
        The model directory.

    Returns
    -------
    `MassModel`

    Raises
    ------
    FileNotFoundError
        If the directory, its card or its model file is missing.
    ValueError
        If a file is truncated or corrupt, the card has another format or version, or the
        network does not match its card.
    """
    from . import _losses, _mass_layers  # noqa: F401 - register the custom objects
    from ._io import load_model_files

    files = load_model_files(directory, card_format=MASS_CARD_FORMAT,
                             versions=(MASS_CARD_VERSION,))
    card = files.card
    expected = tuple(card["input"]["shape"])
    if tuple(files.keras_model.input_shape[1:]) != expected:
        msg = (f"model {directory}: the network reads {files.keras_model.input_shape[1:]} but "
               f"its card says {expected}; the model is incompatible")
        raise ValueError(msg)
    return MassModel(files.keras_model, card, path=files.path, card_hash=files.card_hash)
