"""Loading trained slope models: file validation, the model card and Monte-Carlo inference.

A model directory holds ``model.keras`` (the network), ``model_card.json`` (what it was trained on,
how, and how well it does) and ``split.json`` (the galaxies of each split).
"""

import functools
import hashlib
import json
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["load_model", "get_model", "SlopeModel", "MixturePasses", "ModelFiles",
           "load_model_files", "CARD_FORMAT", "CARD_VERSION", "MODEL_FILE", "CARD_FILE",
           "SPLIT_FILE"]

CARD_FORMAT = "dmprofile-slope-model"
CARD_VERSION = 1
MODEL_FILE = "model.keras"
CARD_FILE = "model_card.json"
SPLIT_FILE = "split.json"

_TRAIN_HINT = ("train one with `dmprofile train slope --data SUITE_DIR --out MODEL_DIR` "
               "(see the dmprofile.nets documentation) and pass model=MODEL_DIR")


def _default_model_dir():
    return Path(str(resources.files("dmprofile") / "data" / "models" / "slope_default"))


def sha256_file(path):
    """Hex SHA-256 digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _resolve(name_or_path):
    """Return (model directory, display name) for "default" or a path."""
    if isinstance(name_or_path, str) and name_or_path == "default":
        directory = _default_model_dir()
        if not (directory / MODEL_FILE).is_file():
            msg = (f"the default slope model is not installed (expected {directory / MODEL_FILE}); "
                   + _TRAIN_HINT)
            raise FileNotFoundError(msg)
        return directory, "default"
    if not isinstance(name_or_path, (str, Path)):
        msg = f"model must be 'default' or a path, got {type(name_or_path).__name__}"
        raise TypeError(msg)
    path = Path(name_or_path).expanduser()
    if path.is_file() and path.suffix == ".keras":
        path = path.parent
    if not path.exists():
        msg = f"model '{name_or_path}' not found: no such file or directory; " + _TRAIN_HINT
        raise FileNotFoundError(msg)
    if not path.is_dir():
        msg = f"model '{name_or_path}' must be a model directory or its {MODEL_FILE} file"
        raise ValueError(msg)
    return path, str(name_or_path)


def _describe(card_format):
    return "dmprofile slope model" if card_format == CARD_FORMAT else f"{card_format!r} model"


def _read_card(directory, *, card_format=CARD_FORMAT, versions=(CARD_VERSION,)):
    card_path = directory / CARD_FILE
    kind = _describe(card_format)
    if not card_path.is_file():
        msg = f"model directory {directory} has no {CARD_FILE}; it is not a {kind}"
        raise FileNotFoundError(msg)
    raw = card_path.read_bytes()
    try:
        card = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = f"model card {card_path} is corrupt or truncated (invalid JSON: {exc})"
        raise ValueError(msg) from None
    if not isinstance(card, dict) or card.get("format") != card_format:
        msg = (f"model card {card_path} is not a {kind} card "
               f"(format {card.get('format') if isinstance(card, dict) else None!r}, "
               f"expected {card_format!r})")
        raise ValueError(msg)
    version = card.get("format_version")
    if version not in versions:
        readable = ", ".join(str(v) for v in versions)
        msg = (f"model card {card_path} has format version {version!r}, but this dmprofile reads "
               f"version {readable}: the model is incompatible; retrain it or install a "
               "matching dmprofile")
        raise ValueError(msg)
    missing = [key for key in ("input", "output", "suite") if not isinstance(card.get(key), dict)]
    if not missing and card_format == CARD_FORMAT:
        missing = [name for name, ok in (("input.shape", "shape" in card["input"]),
                                         ("output.n_components", "n_components" in card["output"]))
                   if not ok]
    if missing:
        msg = (f"model card {card_path} lacks required entries ({', '.join(missing)}); "
               "the model is incompatible")
        raise ValueError(msg)
    return card, hashlib.sha256(raw).hexdigest()


def _check_model_file(directory, card):
    path = directory / card.get("model_file", MODEL_FILE)
    if not path.is_file():
        msg = f"model file {path} is missing; " + _TRAIN_HINT
        raise FileNotFoundError(msg)
    expected = card.get("model_sha256")
    if expected is not None and sha256_file(path) != expected:
        msg = (f"model file {path} is truncated or corrupt: its SHA-256 does not match the one "
               f"recorded in {CARD_FILE} ({path.stat().st_size} bytes on disk)")
        raise ValueError(msg)
    if not zipfile.is_zipfile(path):
        msg = f"model file {path} is truncated or corrupt (not a valid .keras archive)"
        raise ValueError(msg)
    return path


def load_model(name_or_path="default"):
    """Load a trained slope network with its model card.

    Parameters
    ----------
    name_or_path : str or `~pathlib.Path`
        ``"default"`` for the model bundled with dmprofile, or a model directory written by
        `~dmprofile.nets.train_slope` (or the ``model.keras`` file inside it).

    Returns
    -------
    `SlopeModel`

    Raises
    ------
    FileNotFoundError
        If the model (or its card) does not exist.
    ValueError
        If a file is truncated or corrupt, or the model is incompatible with this version of
        dmprofile (card format, input shape).
    """
    directory, name = _resolve(name_or_path)
    card, card_hash = _read_card(directory)
    path = _check_model_file(directory, card)
    keras_model = _load_keras(path)
    return SlopeModel(keras_model, card, name=name, path=directory, card_hash=card_hash)


@dataclass(frozen=True)
class ModelFiles:
    """A model directory loaded without a task-specific model class.

    The parameters are also the attributes.

    Parameters
    ----------
    keras_model : `keras.Model`
        The network.
    card : dict
        The model card.
    path : `~pathlib.Path`
        The model directory.
    card_hash : str
        SHA-256 of the model card file.
    """

    keras_model: object
    card: dict
    path: Path
    card_hash: str

    def __repr__(self):
        return f"<ModelFiles format={self.card.get('format')!r} path='{self.path}'>"


def load_model_files(directory, *, card_format, versions=(1,)):
    """Load and check a model directory written by `~dmprofile.nets.Trainer` for any task.

    Parameters
    ----------
    directory : str or `~pathlib.Path`
        The model directory.
    card_format : str
        Expected ``format`` of the model card.
    versions : tuple of int
        Card format versions this caller reads.

    Returns
    -------
    `ModelFiles`

    Raises
    ------
    FileNotFoundError
        If the directory, its card or its model file is missing.
    ValueError
        If a file is truncated or corrupt, or the card has another format or version.
    """
    directory = Path(directory).expanduser()
    if not directory.is_dir():
        msg = f"model directory {directory} not found"
        raise FileNotFoundError(msg)
    card, card_hash = _read_card(directory, card_format=card_format, versions=tuple(versions))
    keras_model = _load_keras(_check_model_file(directory, card))
    return ModelFiles(keras_model, card, directory, card_hash)


@functools.lru_cache(maxsize=4)
def _load_cached(directory, stamp):  # noqa: ARG001 - the file stamps invalidate the cache
    model = load_model(directory)
    # trace the prediction graph now, so that the first inference is as fast as the next ones
    model.predict_mixtures(np.zeros(model.input_shape, np.float32), n_passes=100, seed=0)
    return model


def get_model(model):
    """Return a `SlopeModel` for ``model``, caching loaded files.

    Parameters
    ----------
    model : str, `~pathlib.Path` or `SlopeModel`
        ``"default"``, a model directory, or a loaded model (returned as it is).

    Returns
    -------
    `SlopeModel`
        A loaded model; the same directory is loaded once (and its prediction graph traced
        once) as long as its files do not change.
    """
    if isinstance(model, SlopeModel):
        return model
    directory, name = _resolve(model)
    key = tuple((p.stat().st_mtime_ns, p.stat().st_size) if p.exists() else (0, 0)
                for p in (directory / MODEL_FILE, directory / CARD_FILE))
    loaded = _load_cached(str(directory), key)
    loaded.name = name
    return loaded


def _load_keras(path):
    from . import _layers, _losses  # noqa: F401 - register the custom objects

    keras = _import_keras()
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as exc:
        msg = f"model file {path} could not be loaded (truncated, corrupt or incompatible): {exc}"
        raise ValueError(msg) from None


def _import_keras():
    from .._utils import require

    return require("keras", "nets")


@dataclass(frozen=True)
class MixturePasses:
    """Mixture parameters of Monte-Carlo dropout passes, each of shape (..., n_passes, K).

    It unpacks as ``weights, means, sigmas``; the parameters are also the attributes.

    Parameters
    ----------
    weights : ndarray
        The weights of the K Gaussian components.
    means : ndarray
        Their means.
    sigmas : ndarray
        Their standard deviations.
    """

    weights: np.ndarray
    means: np.ndarray
    sigmas: np.ndarray

    def __iter__(self):
        return iter((self.weights, self.means, self.sigmas))

    def __repr__(self):
        return f"<MixturePasses shape={self.weights.shape}>"


class SlopeModel:
    """A trained slope network with its model card.

    Use `load_model` to create one. The network maps the two phase-space images of a galaxy
    to the parameters of a Gaussian mixture over gamma_150; `predict_mixtures` runs Monte-Carlo
    dropout passes and `posterior` turns them into a `~dmprofile.results.SlopePosterior`.

    Parameters
    ----------
    keras_model : `keras.Model`
        The network.
    card : dict
        The model card (training suite, split, metrics, versions, input and output spec).
    name : str, optional
        ``"default"`` or the path it was loaded from.
    path : str or `~pathlib.Path`, optional
        The model directory.
    card_hash : str, optional
        SHA-256 of the model card file, recorded in the provenance of every posterior.

    Attributes
    ----------
    keras_model, card, name, path, card_hash
        As given (``path`` as a `~pathlib.Path`).
    n_components : int
        Number of Gaussian components of the output mixture.
    """

    def __init__(self, keras_model, card, *, name=None, path=None, card_hash=None):
        self.keras_model = keras_model
        self.card = card
        self.name = name
        self.path = None if path is None else Path(path)
        self.card_hash = card_hash
        expected = tuple(card["input"]["shape"])
        actual = tuple(keras_model.input_shape[1:])
        if actual != expected or len(expected) != 3 or expected[0] != 2:
            msg = (f"model input shape {actual} does not match its card ({expected}); "
                   "the model is incompatible")
            raise ValueError(msg)
        self.n_components = int(card["output"]["n_components"])
        if keras_model.output_shape[1:] != (3 * self.n_components,):
            msg = (f"model output shape {keras_model.output_shape[1:]} does not match the "
                   f"{self.n_components}-component mixture of its card; the model is incompatible")
            raise ValueError(msg)

    @property
    def bins(self):
        """Size of the square input images."""
        return int(self.card["input"]["bins"])

    @property
    def input_shape(self):
        """Shape of the input of one galaxy, ``(2, bins, bins)``."""
        return tuple(self.card["input"]["shape"])

    @property
    def training_ranges(self):
        """Ranges of the catalogue summaries over the training suite (from the card).

        Summary name -> ``{"min", "max", ...}``, as checked by
        `~dmprofile.kinematics.check_summaries`; cards of models trained before the summaries
        existed hold only ``n_stars`` and ``r_half``.
        """
        return dict(self.card.get("training_ranges") or {})

    def __repr__(self):
        n_params = self.keras_model.count_params()
        return (f"<SlopeModel name={self.name!r} input={self.input_shape} "
                f"components={self.n_components} params={n_params:,}>")

    def _check_images(self, images):
        images = np.asarray(images, dtype=np.float32)
        single = images.ndim == 3
        if single:
            images = images[None]
        if images.ndim != 4 or images.shape[1:] != self.input_shape:
            msg = (f"images must have shape {self.input_shape} or (n, *{self.input_shape}), "
                   f"got {images.shape}")
            raise ValueError(msg)
        if not np.all(np.isfinite(images)):
            msg = "images must be finite"
            raise ValueError(msg)
        return images, single

    def _dropout_layers(self):
        from ._layers import MCDropout

        return [layer for layer in self.keras_model._flatten_layers()
                if isinstance(layer, MCDropout)]

    def reseed(self, seed=None):
        """Reset the Monte-Carlo dropout generators from ``seed``.

        Parameters
        ----------
        seed : int, `~numpy.random.SeedSequence` or `~numpy.random.Generator`, optional
            Seeds the dropout masks.
        """
        rng = np.random.default_rng(seed)
        for layer in self._dropout_layers():
            layer.reset_seed(rng.integers(0, 2**62, size=2))

    def predict_mixtures(self, images, *, n_passes=100, seed=None, max_batch=4096):
        """Run ``n_passes`` Monte-Carlo dropout passes as one batched call per chunk of galaxies.

        Parameters
        ----------
        images : array-like, shape (2, bins, bins) or (n, 2, bins, bins)
            Phase-space images (`dmprofile.kinematics.PhaseSpaceImages.images`).
        n_passes : int
            Number of passes (dropout masks) per galaxy.
        seed : int, `~numpy.random.SeedSequence` or `~numpy.random.Generator`, optional
            Seeds the dropout masks: the same seed gives the same passes.
        max_batch : int
            Largest number of rows per network call (n_passes rows per galaxy).

        Returns
        -------
        `MixturePasses`
            weights, means and sigmas of shape (n_passes, K), or (n, n_passes, K) for a batch.
        """
        n_passes = int(n_passes)
        if n_passes < 1:
            msg = f"n_passes must be >= 1, got {n_passes}"
            raise ValueError(msg)
        images, single = self._check_images(images)
        self.reseed(seed)
        per_call = max(1, int(max_batch) // n_passes)
        out = np.empty((images.shape[0], n_passes, 3 * self.n_components), dtype=np.float64)
        for start in range(0, images.shape[0], per_call):
            chunk = images[start:start + per_call]
            tiled = np.repeat(chunk, n_passes, axis=0)
            pred = np.asarray(self.keras_model.predict_on_batch(tiled), dtype=np.float64)
            out[start:start + chunk.shape[0]] = pred.reshape(chunk.shape[0], n_passes, -1)
        k = self.n_components
        passes = MixturePasses(out[..., :k], out[..., k:2 * k], out[..., 2 * k:])
        if single:
            passes = MixturePasses(*(a[0] for a in passes))
        return passes

    @property
    def calibration(self):
        """The ``calibration`` entry of the card (`~dmprofile.nets.calibrate_slope`), or None."""
        return self.card.get("calibration")

    def _calibrate(self, passes, n_stars, calibrated, n_images):
        """Scale the passes by the card's width factors at ``n_stars``; also return them."""
        if not calibrated or self.calibration is None:
            return passes, None
        if n_stars is None:
            msg = ("this model's posterior widths are calibrated against the star count: pass "
                   "argument 'n_stars' (stars in each catalogue), or calibrated=False for the "
                   "raw network output")
            raise ValueError(msg)
        from ._widths import scale_mixtures, width_factors

        n = np.asarray(n_stars, dtype=float)
        if n.ndim > 1 or (n.ndim == 1 and n.size != n_images):
            msg = (f"argument 'n_stars' must be one star count or one per galaxy ({n_images}), "
                   f"got shape {n.shape}")
            raise ValueError(msg)
        centre, sigma = (np.broadcast_to(f, (n_images,))
                         for f in width_factors(self.calibration, n))
        one = passes.weights.ndim == 2
        scaled = scale_mixtures(passes, centre[0] if one else centre,
                                sigma[0] if one else sigma)
        return MixturePasses(*scaled), np.stack([centre, sigma], axis=1)

    def posterior(self, images, *, n_passes=100, seed=None, grid=None, meta=None, n_stars=None,
                  calibrated=True):
        """Return the posterior(s) of gamma_150 from Monte-Carlo dropout passes.

        The posterior is the normalised mean of the ``n_passes`` mixtures on ``grid``; the
        spread of the pass pdfs is its epistemic band (``pdf_std``). When the card holds a
        star-count calibration (`~dmprofile.nets.calibrate_slope`), the spread of each
        galaxy's Monte-Carlo centres about their mean and its component widths are scaled by
        the factors at its star count (`~dmprofile.nets.scale_mixtures`; recorded in the
        provenance as ``centre_factor`` and ``sigma_factor``).

        Parameters
        ----------
        images : array-like, shape (2, bins, bins) or (n, 2, bins, bins)
            Phase-space images (`dmprofile.kinematics.PhaseSpaceImages.images`).
        n_passes : int
            Number of passes (dropout masks) per galaxy.
        seed : int, `~numpy.random.SeedSequence` or `~numpy.random.Generator`, optional
            Seeds the dropout masks: the same seed gives the same posterior.
        grid : array-like, optional
            The ``gamma_150`` grid (default: `~dmprofile.results.default_grid`).
        meta : dict, optional
            Added to the provenance of the posteriors.
        n_stars : int or array-like of int, optional
            Stars in each catalogue; needed by a calibrated model.
        calibrated : bool
            Apply the card's calibration (when it has one).

        Returns
        -------
        `~dmprofile.results.SlopePosterior` or list of `~dmprofile.results.SlopePosterior`
            One posterior, or a list of them for a batch of images.
        """
        from ..results import SlopePosterior

        images, single = self._check_images(images)
        passes = self.predict_mixtures(images, n_passes=n_passes, seed=seed)
        passes, factors = self._calibrate(passes, n_stars, calibrated, images.shape[0])
        base = {"model": self.name, "model_card_sha256": self.card_hash, "n_passes": int(n_passes),
                "seed": seed if isinstance(seed, (int, np.integer, type(None))) else repr(seed)}
        base.update(meta or {})
        metas = [dict(base) for _ in range(images.shape[0])]
        if factors is not None:
            for m, (fc, fs) in zip(metas, factors, strict=True):
                m["centre_factor"], m["sigma_factor"] = float(fc), float(fs)
        posts = [SlopePosterior.from_mixture(passes.weights[i], passes.means[i], passes.sigmas[i],
                                             grid=grid, meta=metas[i])
                 for i in range(images.shape[0])]
        return posts[0] if single else posts

    def pass_pdfs(self, images, *, n_passes=100, seed=None, grid=None, n_stars=None,
                  calibrated=True):
        """Return the mean and spread of the pass pdfs on ``grid`` for a batch (fast path).

        Parameters
        ----------
        images : array-like, shape (2, bins, bins) or (n, 2, bins, bins)
            Phase-space images.
        n_passes : int
            Number of passes (dropout masks) per galaxy.
        seed : int, `~numpy.random.SeedSequence` or `~numpy.random.Generator`, optional
            Seeds the dropout masks.
        grid : array-like, optional
            The ``gamma_150`` grid (default: `~dmprofile.results.default_grid`).
        n_stars : int or array-like of int, optional
            Stars in each catalogue; needed by a calibrated model (see `posterior`).
        calibrated : bool
            Apply the card's calibration (when it has one).

        Returns
        -------
        grid : ndarray
            The grid, shape (G,).
        mean, std : ndarray
            Mean and standard deviation of the pass pdfs, shape (n, G).
        """
        images, _ = self._check_images(images)
        from ..results import default_grid

        grid = np.asarray(default_grid() if grid is None else grid, dtype=float)
        passes = self.predict_mixtures(images, n_passes=n_passes, seed=seed)
        passes, _ = self._calibrate(passes, n_stars, calibrated, images.shape[0])
        return grid, *mixture_pdfs(grid, *passes)


def mixture_pdfs(grid, weights, means, sigmas, *, chunk=16):
    """Mean over passes of the mixture pdfs on ``grid`` and their spread.

    ``weights, means, sigmas`` have shape (n, n_passes, K); returns two arrays (n, G), computed
    ``chunk`` galaxies at a time to bound the memory.
    """
    grid = np.asarray(grid, dtype=float)
    n = weights.shape[0]
    mean = np.empty((n, grid.size))
    std = np.empty((n, grid.size))
    norm = 1.0 / np.sqrt(2 * np.pi)
    for start in range(0, n, chunk):
        sl = slice(start, start + chunk)
        w, mu, sig = weights[sl, ..., None], means[sl, ..., None], sigmas[sl, ..., None]
        z = (grid - mu) / sig
        pdfs = (w * norm / sig * np.exp(-0.5 * z**2)).sum(axis=2)   # (chunk, n_passes, G)
        mean[sl] = pdfs.mean(axis=1)
        std[sl] = pdfs.std(axis=1)
    return mean, std
