"""The mass-profile task: stacked disc channels -> log10 M_DM(<R) at 20 radii.

A `~dmprofile.nets.Task` for the generic `~dmprofile.nets.Trainer` (see
`~dmprofile.nets.train_mass`): the inputs are a chosen subset of the channels of a
`~dmprofile.suites.DiscSuite`, the targets its ``log_mdm`` column, the network one of
`~dmprofile.nets.build_mass_cnn` and the loss the mean squared error of the paper or the
Gaussian negative log-likelihood (`~dmprofile.nets.gaussian_nll`).

Augmentation: the 8 symmetries of the square (rotations by 90 degrees and reflections). A
rotation of the sky image is the same galaxy at another position angle. A reflection of the
sky image is the mirror image of the galaxy, and Newtonian gravity is mirror-symmetric: it is
a galaxy with the same mass profile, rotating the other way, whose line-of-sight velocities
(the axis perpendicular to the mirror) are *unchanged* at the mirrored positions. So under a
reflection the moment-1 values are only moved, never negated. Negating them as well is time
reversal (all velocities reversed), equivalent to seeing the disc from its other side: it is
exact for a transparent disc symmetric about its mid-plane (the mocks), but not for real discs
whose dust lanes mark the near side or whose spiral arms trail; it is off by default
(``reverse_velocity=True`` adds it).
"""

import os

import numpy as np

from ._mass_model import MASS_CARD_FORMAT, MASS_CARD_VERSION, predict_batches
from ._modeldir import column_ranges
from ._task import Task

__all__ = ["MassProfileTask", "augment_mass_images", "image_summaries", "bootstrap_rows",
           "open_disc_suite", "suite_inputs", "TARGET", "OBSERVATION_COLUMNS"]

#: Column of the suite truth table that the networks learn (log10 Msun at ``radii``).
TARGET = "log_mdm"
#: Truth columns whose training range the card records: card key -> (candidates, unit).
OBSERVATION_COLUMNS = {
    "distance": (("prior_distance",), "Mpc"),
    "inclination": (("prior_inclination",), "deg"),
    "psf_scale": (("prior_psf_scale",), ""),
    "sky_offset_mag": (("prior_sky_offset_mag",), "mag"),
    "hi_beam_fwhm": (("prior_hi_beam_fwhm",), "arcsec"),
    "hi_noise": (("prior_hi_noise",), "Jy / arcsec2"),
    "log_mstar": (("prior_log_mstar",), "dex(Msun)"),
    "log_hi_mass": (("prior_log_hi_mass",), "dex(Msun)"),
}
_BANDS = ("u", "g", "r", "i", "z")
_NORMALISATION = ("dmprofile.observe.stack_channels: asinh(f / 1 nanomaggy) for u, g, r, i, z; "
                  "asinh(N_HI / 1e20 cm^-2) for mom0; v / (100 km/s) for mom1 and mom2; "
                  "NaN -> 0")


def _symmetry(images, op):
    """Apply symmetry ``op`` (0-7) of the square to the last two axes."""
    out = np.rot90(images, k=op % 4, axes=(-2, -1))
    return np.swapaxes(out, -2, -1) if op >= 4 else out


def augment_mass_images(images, rng, *, channels=None, reverse_velocity=False):
    """Apply a random symmetry of the square to each image stack of a batch.

    Every channel of a row gets the same rotation by a multiple of 90 degrees, or reflection,
    so the channels stay aligned; the moment-1 values are moved with their pixels and keep
    their sign (see the module docstring). With ``reverse_velocity`` the moment-1 channel is
    also negated in half of the rows (time reversal, exact only for transparent,
    mid-plane-symmetric discs).

    Parameters
    ----------
    images : ndarray, shape (n, n_channels, npix, npix)
        The batch.
    rng : `~numpy.random.Generator`
        The random generator.
    channels : sequence of str, optional
        The channel names (needed for ``reverse_velocity``: which one is ``mom1``).
    reverse_velocity : bool
        Also negate the moment-1 channel with probability 1/2.

    Returns
    -------
    ndarray, float32
        A transformed copy.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(8.0).reshape(1, 2, 2, 2)
    >>> y = augment_mass_images(x, np.random.default_rng(1))
    >>> sorted(y[0, 0].ravel()) == sorted(x[0, 0].ravel())
    True
    """
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != images.shape[-2]:
        msg = f"argument 'images' must have shape (n, n_channels, npix, npix), got {images.shape}"
        raise ValueError(msg)
    out = np.array(images, dtype=np.float32, copy=True)
    ops = rng.integers(0, 8, len(out))
    for op in range(1, 8):
        sel = ops == op
        if sel.any():
            out[sel] = _symmetry(out[sel], op)
    if reverse_velocity:
        if channels is None or "mom1" not in channels:
            msg = "reverse_velocity needs the channel names, including 'mom1'"
            raise ValueError(msg)
        flip = rng.random(len(out)) < 0.5
        out[flip, list(channels).index("mom1")] *= -1.0
    return out


def image_summaries(images, channels):
    """Return the flux and velocity scales of stacked channels (what the card's ranges check).

    Parameters
    ----------
    images : ndarray, shape (n, n_channels, npix, npix) or (n_channels, npix, npix)
        Stacked, normalised channels (`dmprofile.observe.stack_channels`).
    channels : sequence of str
        Their names.

    Returns
    -------
    dict of str to ndarray
        Per row: ``flux_<band>``, the 99th percentile of the normalised band image
        (asinh of nanomaggies); ``mom0_peak``, the 99th percentile of the normalised HI
        column; ``velocity_scale`` [km/s], the 98th percentile of ``|mom1|``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((1, 2, 10, 10)); x[0, 1, :5] = -1.5
    >>> image_summaries(x, ("r", "mom1"))["velocity_scale"]
    array([150.])
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[None]
    flat = images.reshape(images.shape[0], images.shape[1], -1).astype(np.float64)
    out = {}
    for k, name in enumerate(channels):
        if name in _BANDS:
            out[f"flux_{name}"] = np.percentile(flat[:, k], 99, axis=-1)
        elif name == "mom0":
            out["mom0_peak"] = np.percentile(flat[:, k], 99, axis=-1)
        elif name == "mom1":
            out["velocity_scale"] = 100.0 * np.percentile(np.abs(flat[:, k]), 98, axis=-1)
    return out


def _summary_ranges(summaries):
    units = {"velocity_scale": "km / s"}
    return {key: {"column": "images", "min": float(v.min()), "max": float(v.max()),
                  "p01": float(np.percentile(v, 1)), "p99": float(np.percentile(v, 99)),
                  "unit": units.get(key, "")}
            for key, v in summaries.items() if v.size}


def bootstrap_rows(rows, galaxy_ids, *, seed, member):
    """Resample training rows by galaxy: draw the galaxies with replacement, keep their rows.

    Parameters
    ----------
    rows : array of int
        The training rows.
    galaxy_ids : array of int
        Galaxy id of every row of the suite.
    seed : int
        Seed of the ensemble.
    member : int
        Index of the member (each gets its own draw).

    Returns
    -------
    ndarray of int
        Sorted rows; the realisations of a galaxy drawn m times appear m times.

    Examples
    --------
    >>> import numpy as np
    >>> gids = np.repeat([10, 11, 12], 2)
    >>> rows = bootstrap_rows(np.arange(6), gids, seed=0, member=0)
    >>> len(rows), all(np.bincount(gids[rows])[gids[rows]] % 2 == 0)
    (6, True)
    """
    rows = np.asarray(rows, dtype=np.int64)
    ids = np.asarray(galaxy_ids, dtype=np.int64)[rows]
    unique = np.unique(ids)
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(6, int(member))))
    counts = np.bincount(rng.integers(0, unique.size, unique.size), minlength=unique.size)
    per_row = counts[np.searchsorted(unique, ids)]
    return np.sort(np.repeat(rows, per_row))


def open_disc_suite(suite):
    """Accept a disc-suite directory or a suite object; return (suite, path or None).

    Parameters
    ----------
    suite : str, `~pathlib.Path` or `~dmprofile.suites.DiscSuite`
        The suite or its directory.

    Returns
    -------
    tuple
        The suite and its directory (None for an object).
    """
    if isinstance(suite, (str, os.PathLike)):
        from ..suites import read_suite

        return read_suite(suite), str(suite)
    for attr in ("images", "truth", "channels"):
        if not hasattr(suite, attr):
            msg = f"suite must be a disc-suite directory or a DiscSuite, got {type(suite).__name__}"
            raise TypeError(msg)
    return suite, None


def _channel_indices(suite_channels, channels):
    suite_channels = tuple(suite_channels)
    if channels is None:
        return suite_channels, list(range(len(suite_channels)))
    channels = (channels,) if isinstance(channels, str) else tuple(channels)
    channels = tuple(str(c).lower() for c in channels)
    missing = [c for c in channels if c not in suite_channels]
    if missing or not channels or len(set(channels)) != len(channels):
        msg = (f"argument 'channels' must be distinct channels of the suite {suite_channels}, "
               f"got {channels!r}" + (f" (missing: {', '.join(missing)})" if missing else ""))
        raise ValueError(msg)
    return channels, [suite_channels.index(c) for c in channels]


class MassProfileTask(Task):
    """The mass-profile task: disc channels -> log10 M_DM(<R) at the suite's 20 radii.

    Parameters
    ----------
    channels : sequence of str, optional
        The input channels, a subset of the suite's, in this order (default: all of them).
    architecture : str or dict
        ``"A"``, ``"B"`` (default), ``"C"``, ``"resnet50"`` or a custom stack
        (see `~dmprofile.nets.build_mass_cnn`).
    loss : {"mse", "gaussian_nll"}
        Mean squared error of log10 M (the paper) or Gaussian NLL with a predicted width.
    reverse_velocity : bool
        Also negate the moment-1 channel in half of the augmented rows (time reversal; see
        `augment_mass_images`).
    bootstrap : tuple of (int, int), optional
        ``(seed, member)``: train on a bootstrap resample of the training galaxies (see
        `~dmprofile.nets.bootstrap_rows`); used by `~dmprofile.nets.BootstrapEnsemble`.
    physical_fov : `~astropy.units.Quantity` [length], optional
        Resample every image stack onto this fixed physical field of view (full width, e.g.
        100 kpc) with its galaxy's distance (`~dmprofile.observe.to_physical_grid`) before the
        network reads it; the card records it, and the model then needs the distance of every
        galaxy it is given. Default: the network reads the angular grid of the suite.
    name : str
        Task name (``"mass"``).

    Examples
    --------
    >>> from dmprofile.nets import MassProfileTask
    >>> MassProfileTask(channels=("u", "r", "z"), loss="gaussian_nll")
    <MassProfileTask channels=('u', 'r', 'z') architecture='B' loss='gaussian_nll'>
    """

    card_format = MASS_CARD_FORMAT
    card_version = MASS_CARD_VERSION

    def __init__(self, *, channels=None, architecture="B", loss="mse", reverse_velocity=False,
                 bootstrap=None, physical_fov=None, name="mass"):
        from astropy import units as u

        from .._utils import as_value
        from ._mass_architectures import LOSSES, _spec

        if loss not in LOSSES:
            msg = f"argument 'loss' must be one of {sorted(LOSSES)}, got {loss!r}"
            raise ValueError(msg)
        _spec(architecture)  # checks the name or dict
        self.channels = None if channels is None else tuple(
            (channels,) if isinstance(channels, str) else channels)
        self.architecture_choice = architecture
        self.loss_name = loss
        self.reverse_velocity = bool(reverse_velocity)
        self.bootstrap = None if bootstrap is None else tuple(int(v) for v in bootstrap)
        self.physical_fov_kpc = None if physical_fov is None else float(as_value(
            physical_fov, u.kpc, "physical_fov", scalar=True, positive=True, allow_zero=False))
        self.name = name
        self.metric = "val_nll" if loss == "gaussian_nll" else "val_mse"
        self.metric_label = "val NLL" if loss == "gaussian_nll" else "val MSE"
        self._suite = None
        self._selected = None

    @property
    def loss(self):
        """The Keras loss: ``"mse"`` or `~dmprofile.nets.gaussian_nll`."""
        if self.loss_name == "mse":
            return "mse"
        from ._losses import gaussian_nll

        return gaussian_nll

    def custom_objects(self):
        """Return the custom Keras objects of the network and loss (to resume a checkpoint).

        Returns
        -------
        dict
        """
        from ._losses import gaussian_nll
        from ._mass_layers import OutputScaling, ResumableDropout

        return {"OutputScaling": OutputScaling, "ResumableDropout": ResumableDropout,
                "gaussian_nll": gaussian_nll}

    def inputs(self, suite):
        """Return the selected channels of every row, as stored (float16 in a disc suite).

        Parameters
        ----------
        suite : `~dmprofile.suites.DiscSuite`
            The training suite (``images`` and ``channels``).

        Returns
        -------
        ndarray, shape (n, n_channels, npix, npix)
            Kept in the suite's dtype to halve the memory; batches are cast to float32.
        """
        images = np.asarray(suite.images)
        if images.ndim != 4 or images.shape[2] != images.shape[3]:
            msg = f"suite images must have shape (n, n_channels, npix, npix), got {images.shape}"
            raise ValueError(msg)
        suite_channels = getattr(suite, "channels", None)
        if suite_channels is None:
            msg = "the suite has no 'channels' attribute: it is not a disc suite"
            raise ValueError(msg)
        self._selected, index = _channel_indices(suite_channels, self.channels)
        self._suite = suite
        if self.physical_fov_kpc is None:
            return images if index == list(range(images.shape[1])) else images[:, index]
        return physical_inputs(images, index, suite, self.physical_fov_kpc)

    def targets(self, truth):
        """Return ``log_mdm`` (log10 Msun at the suite's radii) of every row.

        Parameters
        ----------
        truth : `~astropy.table.Table`
            The truth table of the suite.

        Returns
        -------
        ndarray, shape (n, n_radii)
        """
        if TARGET not in truth.colnames:
            msg = f"the suite truth table has no '{TARGET}' column"
            raise ValueError(msg)
        values = np.asarray(getattr(truth[TARGET], "value", truth[TARGET]), dtype=np.float64)
        if values.ndim != 2 or not np.all(np.isfinite(values)):
            msg = f"column '{TARGET}' must hold finite log10 masses, one row of radii per row"
            raise ValueError(msg)
        return values

    def train_rows(self, rows, galaxy_ids):
        """Return the training rows, resampled by galaxy when the task is a bootstrap member.

        Parameters
        ----------
        rows : ndarray of int
            The training rows of the split.
        galaxy_ids : ndarray of int
            Galaxy id of every row of the suite.

        Returns
        -------
        ndarray of int
        """
        if self.bootstrap is None:
            return rows
        return bootstrap_rows(rows, galaxy_ids, seed=self.bootstrap[0], member=self.bootstrap[1])

    def architecture(self, inputs, train_targets):  # noqa: ARG002 - shape given at build
        """Return the network, the loss and the per-radius location and scale of the targets.

        Parameters
        ----------
        inputs : ndarray
            The network inputs.
        train_targets : ndarray
            The targets of the training rows.

        Returns
        -------
        dict
            Keyword arguments of `~dmprofile.nets.build_mass_cnn`.
        """
        return {"architecture": self.architecture_choice, "loss": self.loss_name,
                "n_radii": int(train_targets.shape[1]),
                "target_loc": np.mean(train_targets, axis=0).tolist(),
                "target_scale": np.maximum(np.std(train_targets, axis=0), 0.05).tolist()}

    def build_model(self, architecture, *, input_shape, seed=None):
        """Build `~dmprofile.nets.build_mass_cnn` for inputs of ``input_shape``.

        Parameters
        ----------
        architecture : dict
            The architecture (see `architecture`).
        input_shape : tuple of int
            ``(n_channels, npix, npix)``.
        seed : int, optional
            Seed of the initial weights.

        Returns
        -------
        `keras.Model`
            The uncompiled network.
        """
        from ._mass_architectures import build_mass_cnn

        return build_mass_cnn(n_channels=int(input_shape[0]), npix=int(input_shape[-1]),
                              seed=seed, **architecture)

    def config_fields(self):
        """Return the channels, loss, velocity reversal and bootstrap draw of the run.

        Returns
        -------
        dict
        """
        return {"channels": list(self._selected or self.channels or []),
                "loss": self.loss_name, "reverse_velocity": self.reverse_velocity,
                "bootstrap": None if self.bootstrap is None else list(self.bootstrap),
                "physical_fov_kpc": self.physical_fov_kpc}

    def augment(self, batch, rng):
        """Apply `augment_mass_images` (the 8 symmetries of the square; see there).

        Parameters
        ----------
        batch : ndarray
            A batch of inputs.
        rng : `~numpy.random.Generator`
            The random generator of the trainer.

        Returns
        -------
        ndarray
            The transformed batch (float32).
        """
        return augment_mass_images(batch, rng, channels=self._selected,
                                   reverse_velocity=self.reverse_velocity)

    def validation_metric(self, model, x, y, *, seed, batch_size):  # noqa: ARG002
        """Return the mean MSE (or Gaussian NLL) of log10 M over the validation rows.

        Parameters
        ----------
        model : `keras.Model`
            The network.
        x : ndarray
            Validation inputs.
        y : ndarray
            Validation targets.
        seed : int
            Unused (the metric is deterministic).
        batch_size : int
            Rows per network call.

        Returns
        -------
        float
        """
        from ._losses import gaussian_nll_numpy, mse_numpy

        pred = predict_batches(model, x, batch_size)
        fn = gaussian_nll_numpy if self.loss_name == "gaussian_nll" else mse_numpy
        return float(np.mean(fn(y, pred)))

    def training_ranges(self, truth, rows):
        """Return the ranges of the observation parameters and image scales in training.

        Parameters
        ----------
        truth : `~astropy.table.Table`
            The truth table of the suite.
        rows : ndarray of int
            The training rows.

        Returns
        -------
        dict
            Distance, inclination, PSF scale, sky offset, HI beam and noise, M* and M_HI
            (truth columns), and the flux and velocity scales of `image_summaries`.
        """
        rows = np.unique(np.asarray(rows, dtype=int))
        columns = {key: cands for key, (cands, _) in OBSERVATION_COLUMNS.items()}
        ranges = column_ranges(truth, rows, columns)
        for key, entry in ranges.items():
            entry["unit"] = entry["unit"] or OBSERVATION_COLUMNS[key][1]
        if self._suite is not None and len(rows):
            images = np.asarray(self._suite.images)
            _, index = _channel_indices(self._suite.channels, self._selected)
            parts = [image_summaries(images[rows[start:start + 512]][:, index], self._selected)
                     for start in range(0, rows.size, 512)]
            ranges.update(_summary_ranges({k: np.concatenate([p[k] for p in parts])
                                           for k in parts[0]}))
        return ranges

    def card_fields(self, *, input_shape, architecture):
        """Return the input (channels, shape, normalisation) and output (radii, loss) entries.

        Parameters
        ----------
        input_shape : tuple of int
            ``(n_channels, npix, npix)``.
        architecture : dict
            The architecture (see `architecture`).

        Returns
        -------
        dict
            With keys ``input`` and ``output``.
        """
        n = int(architecture["n_radii"])
        radii = getattr(self._suite, "radii", None)
        radii = None if radii is None else [float(r) for r in radii.to_value("kpc")]
        params = [f"log_mdm_{k}" for k in range(n)]
        if self.loss_name == "gaussian_nll":
            params += [f"ln_sigma_{k}" for k in range(n)]
        grid = None
        if self.physical_fov_kpc is not None:
            grid = {"fov_kpc": self.physical_fov_kpc,
                    "native_fov_arcmin": native_fov_arcmin(self._suite),
                    "description": "dmprofile.observe.to_physical_grid: each stack resampled "
                                   "from the native field (arcmin) onto fov_kpc with the "
                                   "galaxy's distance"}
        return {"input": {"shape": [int(v) for v in input_shape], "dtype": "float32",
                          "channels": list(self._selected), "normalisation": _NORMALISATION,
                          "physical_grid": grid},
                "output": {"target": TARGET, "unit": "dex(Msun)", "radii_kpc": radii,
                           "n_radii": n, "loss": self.loss_name, "parameters": params,
                           "description": "log10 of the dark-matter mass enclosed within "
                                          "each radius (spheres); ln_sigma: natural log of "
                                          "the predicted width in dex"}}

    def final_metrics(self, model, card, x, y, *, seed):  # noqa: ARG002
        """Return RMSE, MAE and bias per radius (and the 68 % coverage for the NLL loss).

        Parameters
        ----------
        model : `keras.Model`
            The network.
        card : dict
            The model card written so far.
        x : ndarray
            Validation inputs.
        y : ndarray
            Validation targets.
        seed : int
            Unused.

        Returns
        -------
        dict
        """
        if len(x) == 0:
            return {}
        pred = predict_batches(model, x, 256)
        return regression_metrics(y, pred, gaussian=self.loss_name == "gaussian_nll")

    def load(self, out_dir):
        """Load the written directory with `~dmprofile.nets.load_mass_model`.

        Parameters
        ----------
        out_dir : str or `~pathlib.Path`
            The model directory.

        Returns
        -------
        `~dmprofile.nets.MassModel`
        """
        from ._mass_model import load_mass_model

        return load_mass_model(out_dir)

    def __repr__(self):
        grid = ("" if self.physical_fov_kpc is None
                else f" physical_fov={self.physical_fov_kpc:g} kpc")
        return (f"<MassProfileTask channels={self.channels!r} "
                f"architecture={self.architecture_choice!r} loss={self.loss_name!r}{grid}>")


def native_fov_arcmin(suite):
    """Return the field of view [arcmin] of a disc suite's images (from its manifest)."""
    try:
        return float(suite.manifest["prior"]["instrument"]["fov_arcmin"])
    except (AttributeError, KeyError, TypeError):
        msg = ("the suite records no field of view (manifest prior.instrument.fov_arcmin): "
               "it cannot be resampled onto a physical grid")
        raise ValueError(msg) from None


def suite_distances(truth):
    """Return the distance [Mpc] of every row of a disc-suite truth table."""
    if "prior_distance" not in truth.colnames:
        msg = "the suite truth table has no 'prior_distance' column (needed for a physical grid)"
        raise ValueError(msg)
    column = truth["prior_distance"]
    return np.asarray(getattr(column, "value", column), dtype=float)


def physical_inputs(images, index, suite, fov_kpc, *, chunk=256):
    """Return the chosen channels of every row on the physical grid (float16, in chunks)."""
    from astropy import units as u

    from ..observe import to_physical_grid

    native = native_fov_arcmin(suite) * u.arcmin
    distance = suite_distances(suite.truth)
    out = np.empty((images.shape[0], len(index)) + images.shape[2:], dtype=np.float16)
    for start in range(0, len(out), chunk):
        part = np.asarray(images[start:start + chunk][:, index], dtype=np.float32)
        out[start:start + chunk] = to_physical_grid(
            part, distance[start:start + chunk] * u.Mpc, native_fov=native, fov=fov_kpc * u.kpc)
    return out


def regression_metrics(y, pred, *, gaussian=False):
    """RMSE, MAE and bias of log10 M per radius (and the coverage of the predicted widths)."""
    y = np.asarray(y, dtype=float)
    n = y.shape[1]
    err = np.asarray(pred, dtype=float)[:, :n] - y
    out = {"n_rows": int(len(y)), "rmse": np.sqrt(np.mean(err**2, axis=0)).tolist(),
           "mae": np.mean(np.abs(err), axis=0).tolist(), "bias": np.mean(err, axis=0).tolist(),
           "rmse_all": float(np.sqrt(np.mean(err**2)))}
    if gaussian:
        sigma = np.exp(np.asarray(pred, dtype=float)[:, n:2 * n])
        out["coverage_68"] = np.mean(np.abs(err) <= sigma, axis=0).tolist()
        out["median_sigma"] = np.median(sigma, axis=0).tolist()
    return out


def suite_inputs(suite, model, rows):
    """Return the inputs of a mass model for rows of a disc suite (images and distances).

    Parameters
    ----------
    suite : `~dmprofile.suites.DiscSuite`
        The suite (its ``images``, ``channels`` and truth table).
    model : `~dmprofile.nets.BootstrapEnsemble` or `~dmprofile.nets.MassModel`
        The model (its ``channels``).
    rows : array of int
        The rows.

    Returns
    -------
    dict
        ``images`` (float32, the model's channels in order) and ``distance`` (Quantity in
        Mpc, from the truth column ``prior_distance``, or None when the suite has none):
        keyword arguments of ``predict_log10`` and ``predict``.

    Raises
    ------
    ValueError
        If the suite lacks a channel the model reads.
    """
    from astropy import units as u

    suite_channels = tuple(suite.channels)
    missing = [c for c in model.channels if c not in suite_channels]
    if missing:
        msg = (f"the suite lacks the channel(s) {', '.join(missing)} that the model reads "
               f"(suite channels: {', '.join(suite_channels)})")
        raise ValueError(msg)
    rows = np.asarray(rows, dtype=int)
    index = [suite_channels.index(c) for c in model.channels]
    distance = None
    if "prior_distance" in suite.truth.colnames:
        distance = suite_distances(suite.truth)[rows] * u.Mpc
    return {"images": np.asarray(suite.images[rows][:, index], dtype=np.float32),
            "distance": distance}
