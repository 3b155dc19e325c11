"""The slope task: the mixture-density CNN learning gamma_150 from the phase-space images.

The first task of `~dmprofile.nets.Trainer` (see `~dmprofile.nets.Task`); `train_slope` is the
trainer run with this task.
"""

import numpy as np

from ._io import CARD_FORMAT, CARD_VERSION
from ._losses import mixture_nll_numpy
from ._modeldir import column_ranges
from ._task import Task

__all__ = ["SlopeTask", "augment_images", "mock_summaries", "DEFAULT_ARCHITECTURE", "TARGET",
           "PRIOR_COLUMNS"]

#: Column of the suite truth table that the network learns.
TARGET = "gamma_150"
#: Default keyword arguments of `~dmprofile.nets.build_mdcnn` used by `train_slope`.
DEFAULT_ARCHITECTURE = {"filters": (16, 32, 64), "dense_units": (128, 64, 32), "dropout_rate": 0.1,
                        "n_components": 2, "sigma_floor": 0.01, "batch_norm": True}
#: Truth-table columns whose training range is recorded in the model card when the mock
#: catalogues cannot be regenerated (see `SlopeTask.training_ranges`): card key -> candidates.
PRIOR_COLUMNS = {"n_stars": ("n_stars",), "r_half": ("r_half",),
                 "p98": ("p98", "v_p98", "velocity_p98")}

_INPUT_DESCRIPTION = ("dmprofile.kinematics.phase_space_images(...).images: [0] {x, y} in [-2, 2] "
                      "kpc, [1] {R/R_half in [0, 1], (v - v_sys)/P98 in [-1, 1]}, each normalised "
                      "to unit sum")
_OUTPUT_DESCRIPTION = ("Gaussian mixture over gamma_150 (weights sum to one, widths > 0); "
                       "Monte-Carlo dropout active at inference")


def augment_images(images, rng):
    """Apply random symmetries that leave the label unchanged to a batch of image pairs.

    Image 0 ({x, y} on a symmetric range) gets one of the 8 symmetries of the square (the
    orientation of a galaxy on the sky carries no information on its slope); image 1
    ({R / R_half, (v - v_sys) / P98}, velocity range symmetric) is mirrored in velocity with
    probability 1/2 (a non-rotating galaxy is symmetric under v -> -v).

    Parameters
    ----------
    images : ndarray, shape (n, 2, bins, bins)
    rng : `~numpy.random.Generator`

    Returns
    -------
    ndarray
        A transformed copy.
    """
    out = np.array(images, copy=True)
    n = out.shape[0]
    ops = rng.integers(0, 8, n)
    flip_v = rng.random(n) < 0.5
    for op in range(1, 8):
        sel = ops == op
        if not sel.any():
            continue
        pos = np.rot90(out[sel, 0], k=op % 4, axes=(1, 2))
        if op >= 4:
            pos = np.swapaxes(pos, 1, 2)
        out[sel, 0] = pos
    out[flip_v, 1] = out[flip_v, 1, :, ::-1]
    return out


def mock_summaries(suite, rows):
    """Regenerate the mock catalogues of suite rows and return their catalogue summaries.

    Each galaxy is rebuilt from its prior draw and sampled once, and each of its rows observed
    again with its ``observe_seed``, exactly as when the suite was made (see
    `~dmprofile.suites.DwarfSuite.mock`); the summaries are those of
    `~dmprofile.kinematics.catalogue_summaries` with the true ``r_half`` and ``v_sys``, the
    values the suite's images were made with.

    Parameters
    ----------
    suite : `~dmprofile.suites.DwarfSuite`
        The suite.
    rows : array of int
        The rows (e.g. the training rows of a split).

    Returns
    -------
    list of dict
        One dict of summaries per row, in the order of ``rows``.
    """
    from astropy import units as u

    from ..kinematics import catalogue_summaries
    from ..observe import observe

    truth, prior = suite.truth, suite.prior
    rows = np.asarray(rows, dtype=int)
    galaxy_ids = np.asarray(truth["galaxy_id"])[rows]
    out = [None] * rows.size
    for gid in np.unique(galaxy_ids):
        where = np.flatnonzero(galaxy_ids == gid)
        first = truth[int(rows[where[0]])]
        params = {name: _item(first[f"prior_{name}"]) for name in prior.param_names}
        galaxy, observe_kwargs = prior.build(params)
        sample = galaxy.sample(int(params["n_stars"]), seed=int(first["sample_seed"]))
        for k in where:
            obs = observe(sample, seed=int(truth[int(rows[k])]["observe_seed"]),
                          **observe_kwargs)
            out[k] = catalogue_summaries(obs, r_half=float(params["r_half"]) * u.kpc,
                                         v_sys=observe_kwargs["v_sys"])
    return out


def _item(value):
    return value.item() if hasattr(value, "item") else value


def _dropout_layers(model):
    from ._layers import MCDropout

    return [layer for layer in model._flatten_layers() if isinstance(layer, MCDropout)]


def _predict(model, x, batch_size, seed):
    """One seeded Monte-Carlo pass over ``x``; restores the dropout generator states after."""
    layers = _dropout_layers(model)
    saved = [np.array(layer.seed_generator.state.numpy()) for layer in layers]
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(3,)))
    for layer in layers:
        layer.reset_seed(rng.integers(0, 2**62, size=2))
    out = [np.asarray(model.predict_on_batch(x[i:i + batch_size]), dtype=float)
           for i in range(0, len(x), batch_size)]
    for layer, state in zip(layers, saved, strict=True):
        layer.reset_seed(state)
    return np.concatenate(out) if out else np.empty((0, model.output_shape[-1]))


class SlopeTask(Task):
    """The slope task: two phase-space images -> Gaussian mixture over ``gamma_150``.

    Parameters
    ----------
    architecture : dict, optional
        Keyword arguments of `~dmprofile.nets.build_mdcnn` overriding `DEFAULT_ARCHITECTURE`;
        ``target_loc`` and ``target_scale`` default to the mean and spread (at least 0.05) of
        the training slopes.
    validation_passes : int
        Monte-Carlo dropout passes of the validation metrics of the model card.

    Notes
    -----
    Early stopping and the learning-rate schedule follow the validation NLL of one seeded
    Monte-Carlo dropout pass (``val_nll``). Augmentation applies `augment_images`.
    """

    name = "slope"
    card_format = CARD_FORMAT
    card_version = CARD_VERSION
    metric = "val_nll"
    metric_label = "val NLL"

    def __init__(self, *, architecture=None, validation_passes=20):
        self.overrides = dict(architecture or {})
        self.validation_passes = int(validation_passes)
        self._suite = None

    @property
    def loss(self):
        """The mixture negative log-likelihood `~dmprofile.nets.mixture_nll`."""
        from ._losses import mixture_nll

        return mixture_nll

    def targets(self, truth):
        """Return ``gamma_150`` of every row.

        Parameters
        ----------
        truth : `~astropy.table.Table`
            The truth table of the suite, one row per galaxy.

        Returns
        -------
        ndarray
            A float64 array, shape (n,).
        """
        if TARGET not in truth.colnames:
            msg = f"the suite truth table has no '{TARGET}' column"
            raise ValueError(msg)
        return np.asarray(getattr(truth[TARGET], "value", truth[TARGET]), dtype=np.float64)

    def inputs(self, suite):
        """Return the phase-space images of every row.

        Parameters
        ----------
        suite : `~dmprofile.suites.Suite`
            The training suite.

        Returns
        -------
        ndarray
            A float32 array of shape (n, 2, bins, bins).
        """
        self._suite = suite  # its mocks give the training ranges (see training_ranges)
        images = np.asarray(suite.images, dtype=np.float32)
        if images.ndim != 4 or images.shape[1] != 2 or images.shape[2] != images.shape[3]:
            msg = f"suite images must have shape (n, 2, bins, bins), got {images.shape}"
            raise ValueError(msg)
        return images

    def architecture(self, inputs, train_targets):  # noqa: ARG002 - bins come from the shape
        """Return `DEFAULT_ARCHITECTURE` with the overrides and the target location and scale.

        Parameters
        ----------
        inputs : ndarray
            The network inputs of the training rows.
        train_targets : ndarray
            The targets of the training rows.

        Returns
        -------
        dict
            Keyword arguments of `build_model`.
        """
        arch = {**DEFAULT_ARCHITECTURE, **self.overrides}
        arch.setdefault("target_loc", float(np.mean(train_targets)))
        arch.setdefault("target_scale", float(max(np.std(train_targets), 0.05)))
        return arch

    def build_model(self, architecture, *, input_shape, seed=None):
        """Build `~dmprofile.nets.build_mdcnn` for images of ``input_shape`` (2, bins, bins).

        Parameters
        ----------
        architecture : dict
            The architecture (see `architecture`).
        input_shape : tuple of int
            Shape of the input of one row.
        seed : int, optional
            Seed of the initial weights.

        Returns
        -------
        `keras.Model`
            The uncompiled network.
        """
        from ._architectures import build_mdcnn

        return build_mdcnn(bins=int(input_shape[-1]), seed=seed, **architecture)

    def augment(self, batch, rng):
        """Apply `augment_images`: symmetries of the square, velocity mirror.

        Parameters
        ----------
        batch : ndarray
            A batch of inputs, rows first.
        rng : `~numpy.random.Generator`
            The random generator of the trainer.

        Returns
        -------
        ndarray
            The transformed batch.
        """
        return augment_images(batch, rng)

    def validation_metric(self, model, x, y, *, seed, batch_size):
        """Return the mean mixture NLL of the targets under one seeded Monte-Carlo dropout pass.

        Parameters
        ----------
        model : `keras.Model`
            The network.
        x : ndarray
            Validation inputs.
        y : ndarray
            Validation targets.
        seed : int
            Seed of any randomness of the metric (e.g. Monte-Carlo dropout).
        batch_size : int
            Rows per network call.

        Returns
        -------
        float
            The metric.
        """
        pred = _predict(model, x, batch_size, seed)
        return float(mixture_nll_numpy(y, pred).mean())

    def training_ranges(self, truth, rows, *, suite=None):
        """Return the ranges of the catalogue summaries over the training rows.

        The summaries are those of `~dmprofile.kinematics.catalogue_summaries` (star count,
        ``r_half``, P98, spread of the stars relative to ``r_half``, mean velocity offset and
        velocity errors relative to the dispersion), measured on the mock catalogues
        regenerated with ``mock_summaries``; inference checks them with
        `~dmprofile.kinematics.check_summaries`. When the catalogues cannot be regenerated
        (a suite without a prior or seeds), the ranges of the truth-table columns of
        `PRIOR_COLUMNS` are recorded instead.

        Parameters
        ----------
        truth : `~astropy.table.Table`
            The truth table of the suite, one row per galaxy.
        rows : ndarray of int
            The training rows of ``truth``.
        suite : `~dmprofile.suites.DwarfSuite`, optional
            The suite of ``truth`` (default: the one last given to `inputs`).

        Returns
        -------
        dict
            The ranges, by summary (see `~dmprofile.kinematics.summary_ranges`).
        """
        from ..kinematics import summary_ranges

        suite = self._suite if suite is None else suite
        regenerable = (suite is not None and hasattr(suite, "prior")
                       and len(getattr(suite, "truth", ())) == len(truth)
                       and {"galaxy_id", "sample_seed", "observe_seed"} <= set(truth.colnames))
        if not regenerable or len(rows) == 0:
            return column_ranges(truth, rows, PRIOR_COLUMNS)
        return summary_ranges(mock_summaries(suite, rows))

    def card_fields(self, *, input_shape, architecture):
        """Return the input (image shape, bins) and output (mixture parameters) of the model card.

        Parameters
        ----------
        input_shape : tuple of int
            Shape of the input of one row.
        architecture : dict
            The architecture (see `architecture`).

        Returns
        -------
        dict
            With keys ``input`` and ``output``.
        """
        bins = int(input_shape[-1])
        k = int(architecture["n_components"])
        return {"input": {"shape": [2, bins, bins], "bins": bins, "dtype": "float32",
                          "description": _INPUT_DESCRIPTION},
                "output": {"target": TARGET, "n_components": k,
                           "parameters": [f"{p}_{i + 1}" for p in ("weight", "mean", "sigma")
                                          for i in range(k)],
                           "sigma_floor": float(architecture["sigma_floor"]),
                           "description": _OUTPUT_DESCRIPTION}}

    def final_metrics(self, model, card, x, y, *, seed):
        """Return the accuracy of the averaged Monte-Carlo posterior on the validation mocks.

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
            Seed of any randomness of the metric (e.g. Monte-Carlo dropout).

        Returns
        -------
        dict
            The metrics, by name.
        """
        from ._io import SlopeModel

        if len(x) == 0:
            return {}
        slope_model = SlopeModel(model, card)
        n_passes = self.validation_passes
        grid, pdf, _ = slope_model.pass_pdfs(x, n_passes=n_passes, seed=seed, calibrated=False)
        passes = slope_model.predict_mixtures(x, n_passes=1, seed=seed)
        nll = mixture_nll_numpy(y, np.concatenate([a[:, 0] for a in passes], axis=-1))
        mode = grid[np.argmax(pdf, axis=1)]
        err = np.abs(mode - y)
        return {"n_mocks": len(x), "n_passes": n_passes,
                "nll_single_pass": float(nll.mean()),
                "mae_mode": float(err.mean()), "within_0.1": float(np.mean(err <= 0.1)),
                "within_0.3": float(np.mean(err <= 0.3))}

    def load(self, out_dir):
        """Load the written directory with `~dmprofile.nets.load_model`.

        Parameters
        ----------
        out_dir : str or `~pathlib.Path`
            The model directory.

        Returns
        -------
        `SlopeModel`
            The trained model.
        """
        from ._io import load_model

        return load_model(out_dir)

    def __repr__(self):
        return (f"<SlopeTask architecture={self.overrides!r} "
                f"validation_passes={self.validation_passes}>")
