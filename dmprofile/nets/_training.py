"""Training the slope network on a simulated suite: galaxy-level splits, checkpoints, model card.

The training is deterministic for a given ``seed`` (weight initialisation, shuffling, dropout
masks) and can be interrupted at any time: every epoch writes a checkpoint (weights, optimizer
state, dropout generator states, epoch counter and early-stopping state) from which
`train_slope` resumes, reaching the same weights as an uninterrupted run.
"""

import hashlib
import json
import math
import os
import platform
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .._utils import atomic_write_text
from .._version import __version__
from ._io import (CARD_FILE, CARD_FORMAT, CARD_VERSION, MODEL_FILE, SPLIT_FILE,
                  load_model, sha256_file)
from ._losses import mixture_nll_numpy

__all__ = ["train_slope", "split_by_galaxy", "augment_images", "DEFAULT_ARCHITECTURE", "TARGET",
           "PRIOR_COLUMNS"]

#: Column of the suite truth table that the network learns.
TARGET = "gamma_150"
#: Default keyword arguments of `~dmprofile.nets.build_mdcnn` used by `train_slope`.
DEFAULT_ARCHITECTURE = {"filters": (16, 32, 64), "dense_units": (128, 64, 32), "dropout_rate": 0.1,
                        "n_components": 2, "sigma_floor": 0.01, "batch_norm": True}
#: Observables whose training range is recorded in the model card (for out-of-prior warnings):
#: card key -> candidate truth-table columns.
PRIOR_COLUMNS = {"n_stars": ("n_stars",), "r_half": ("r_half",),
                 "p98": ("p98", "v_p98", "velocity_p98")}
_CHECKPOINT_DIR = "checkpoints"
_STATE_FILE = "state.json"
_STATE_VERSION = 1


# --------------------------------------------------------------------------- data and split
def split_by_galaxy(galaxy_ids, *, val_fraction=0.1, test_fraction=0.1, seed=0):
    """Split galaxies (not rows) into training, validation and test sets.

    All projections of a galaxy share its ``galaxy_id`` and land in the same split.

    Parameters
    ----------
    galaxy_ids : array-like of int
        Galaxy id of every row (repeated ids are projections of one galaxy).
    val_fraction, test_fraction : float
        Fractions of the distinct galaxies in the validation and test sets (each gets at least
        one galaxy when the fraction is positive).
    seed : int
        The split depends only on the set of ids and the seed.

    Returns
    -------
    dict
        ``{"train": ids, "validation": ids, "test": ids}``, sorted int64 arrays of galaxy ids.

    Examples
    --------
    >>> import numpy as np
    >>> split = split_by_galaxy(np.repeat(np.arange(20), 3), val_fraction=0.2, test_fraction=0.2)
    >>> [len(split[k]) for k in ("train", "validation", "test")]
    [12, 4, 4]
    """
    for name, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= value < 1.0:
            msg = f"{name} must be in [0, 1), got {value}"
            raise ValueError(msg)
    unique = np.unique(np.asarray(galaxy_ids, dtype=np.int64))
    n = unique.size
    n_test = max(1, round(test_fraction * n)) if test_fraction > 0 else 0
    n_val = max(1, round(val_fraction * n)) if val_fraction > 0 else 0
    if n - n_test - n_val < 1:
        msg = (f"cannot split {n} galaxies into training, validation ({val_fraction}) and test "
               f"({test_fraction}) sets with at least one training galaxy")
        raise ValueError(msg)
    perm = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(1,))).permutation(n)
    shuffled = unique[perm]
    return {"test": np.sort(shuffled[:n_test]),
            "validation": np.sort(shuffled[n_test:n_test + n_val]),
            "train": np.sort(shuffled[n_test + n_val:])}


def _split_hash(split):
    digest = hashlib.sha256()
    for key in ("train", "validation", "test"):
        digest.update(key.encode())
        digest.update(np.asarray(split[key], dtype="<i8").tobytes())
    return digest.hexdigest()


def _open_suite(suite):
    """Accept a suite directory or an object with images, truth, manifest and checksum."""
    if isinstance(suite, (str, os.PathLike)):
        from ..simulate import read_suite

        return read_suite(suite), str(suite)
    for attr in ("images", "truth"):
        if not hasattr(suite, attr):
            msg = f"suite must be a suite directory or a DwarfSuite, got {type(suite).__name__}"
            raise TypeError(msg)
    return suite, None


def _suite_checksum(suite, images, labels):
    checksum = getattr(suite, "checksum", None)
    if checksum:
        return str(checksum)
    digest = hashlib.sha256(np.ascontiguousarray(images).tobytes())
    digest.update(np.ascontiguousarray(labels, dtype="<f8").tobytes())
    return digest.hexdigest()


def _training_ranges(truth, rows):
    ranges = {}
    for key, candidates in PRIOR_COLUMNS.items():
        name = next((c for c in candidates if c in truth.colnames), None)
        if name is None:
            continue
        col = truth[name]
        values = np.asarray(getattr(col, "value", col), dtype=float)[rows]
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        unit = getattr(col, "unit", None)
        ranges[key] = {"column": name, "min": float(values.min()), "max": float(values.max()),
                       "p01": float(np.percentile(values, 1)),
                       "p99": float(np.percentile(values, 99)),
                       "unit": "" if unit is None else str(unit)}
    return ranges


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return str(obj)


# --------------------------------------------------------------------------- checkpoints
def _save_keras(model, path):
    """Save a Keras model atomically (Keras insists on a ``.keras`` suffix)."""
    tmp = path.with_name(f".{path.stem}.partial.keras")
    model.save(tmp)
    os.replace(tmp, path)


def _save_weights(model, path):
    tmp = path.with_name(f".{path.stem}.partial.weights.h5")
    model.save_weights(tmp)
    os.replace(tmp, path)


def _write_state(ckpt_dir, state):
    atomic_write_text(ckpt_dir / _STATE_FILE, json.dumps(_jsonable(state), indent=1))
    keep = {state["checkpoint"], state.get("best_weights")}
    for path in ckpt_dir.glob("epoch_*"):
        if path.name not in keep:
            path.unlink()


def _read_state(ckpt_dir):
    path = ckpt_dir / _STATE_FILE
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_text())
    except json.JSONDecodeError:
        return None
    if (state.get("format_version") != _STATE_VERSION
            or not (ckpt_dir / state["checkpoint"]).is_file()):
        return None
    return state


# --------------------------------------------------------------------------- training
def _shuffle_rng(seed, epoch):
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(2, int(epoch))))


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


def _dropout_states(model):
    from ._layers import MCDropout

    return [layer for layer in model._flatten_layers() if isinstance(layer, MCDropout)]


def _predict(model, images, rows, batch_size, seed):
    """One seeded Monte-Carlo pass over ``rows``; restores the dropout generator states after."""
    layers = _dropout_states(model)
    saved = [np.array(layer.seed_generator.state.numpy()) for layer in layers]
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(3,)))
    for layer in layers:
        layer.reset_seed(rng.integers(0, 2**62, size=2))
    out = [np.asarray(model.predict_on_batch(images[rows[i:i + batch_size]]), dtype=float)
           for i in range(0, rows.size, batch_size)]
    for layer, state in zip(layers, saved, strict=True):
        layer.reset_seed(state)
    return np.concatenate(out) if out else np.empty((0, model.output_shape[-1]))


def _validation_metrics(slope_model, images, labels, rows, *, n_passes, seed):
    """Accuracy of the averaged Monte-Carlo posterior on the validation mocks."""
    if rows.size == 0:
        return {}
    grid, pdf, _ = slope_model.pass_pdfs(images[rows], n_passes=n_passes, seed=seed)
    passes = slope_model.predict_mixtures(images[rows], n_passes=1, seed=seed)
    nll = mixture_nll_numpy(labels[rows], np.concatenate([a[:, 0] for a in passes], axis=-1))
    mode = grid[np.argmax(pdf, axis=1)]
    err = np.abs(mode - labels[rows])
    return {"n_mocks": int(rows.size), "n_passes": int(n_passes),
            "nll_single_pass": float(nll.mean()),
            "mae_mode": float(err.mean()), "within_0.1": float(np.mean(err <= 0.1)),
            "within_0.3": float(np.mean(err <= 0.3))}


def train_slope(suite, out_dir, *, epochs=100, batch_size=64, seed=0, val_fraction=0.1,
                test_fraction=0.1, patience=10, learning_rate=1e-3, lr_patience=3, lr_factor=0.5,
                min_learning_rate=1e-5, architecture=None, augment=True, resume=True,
                progress=True, validation_passes=20, name="slope"):
    """Train the mixture-density CNN on a simulated suite and write a model directory.

    Parameters
    ----------
    suite : str, `~pathlib.Path` or `~dmprofile.simulate.DwarfSuite`
        A suite directory written by `dmprofile.simulate.generate_dwarf_suite` (or the suite
        itself): phase-space images and a truth table with ``galaxy_id`` and ``gamma_150``.
    out_dir : str or `~pathlib.Path`
        Model directory: ``model.keras``, ``model_card.json``, ``split.json`` and a
        ``checkpoints/`` folder.
    epochs : int
        Maximum number of epochs (counted from the start, also when resuming).
    batch_size : int
        Mini-batch size.
    seed : int
        Seeds the split, the initial weights, the shuffling and the dropout masks.
    val_fraction, test_fraction : float
        Fractions of the galaxies held out for validation (early stopping) and testing
        (``dmprofile evaluate slope``); see `split_by_galaxy`.
    patience : int
        Stop after this many epochs without improvement of the validation NLL; the weights of
        the best epoch are kept.
    learning_rate : float
        Adam learning rate.
    architecture : dict, optional
        Keyword arguments of `build_mdcnn` overriding `DEFAULT_ARCHITECTURE`.
    lr_patience, lr_factor, min_learning_rate : int, float, float
        Reduce-on-plateau schedule: after every ``lr_patience`` epochs without improvement of
        the validation NLL the learning rate is multiplied by ``lr_factor`` (not below
        ``min_learning_rate``); ``lr_patience=0`` keeps it constant. The current rate is part of
        the checkpoint state, so a resumed run continues with it.
    augment : bool
        Apply random label-preserving symmetries to the training images (`augment_images`:
        rotations and reflections of the position image, velocity mirror of the phase-space
        image).
    resume : bool
        Continue from the checkpoint in ``out_dir`` if there is one (from the same suite, seed
        and configuration); otherwise start afresh.
    progress : bool
        Show a progress bar (tqdm) and a line per epoch.
    validation_passes : int
        Monte-Carlo passes for the validation metrics written to the model card.
    name : str
        Model name recorded in the card.

    Returns
    -------
    `~dmprofile.nets.SlopeModel`
        The trained model, loaded back from ``out_dir``.
    """
    from .._utils import require

    keras = require("keras", "nets")
    from tqdm.auto import tqdm

    from ._architectures import build_mdcnn
    from ._losses import mixture_nll

    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    seed, epochs, batch_size, patience = int(seed), int(epochs), int(batch_size), int(patience)
    if epochs < 1 or batch_size < 1 or patience < 1:
        msg = (f"epochs, batch_size and patience must be >= 1, got {epochs}, {batch_size}, "
               f"{patience}")
        raise ValueError(msg)
    data, suite_path = _open_suite(suite)
    truth = data.truth
    for col in ("galaxy_id", TARGET):
        if col not in truth.colnames:
            msg = f"the suite truth table has no '{col}' column"
            raise ValueError(msg)
    images = np.asarray(data.images, dtype=np.float32)
    labels = np.asarray(getattr(truth[TARGET], "value", truth[TARGET]), dtype=np.float64)
    galaxy_ids = np.asarray(truth["galaxy_id"], dtype=np.int64)
    if images.ndim != 4 or images.shape[1] != 2 or images.shape[2] != images.shape[3]:
        msg = f"suite images must have shape (n, 2, bins, bins), got {images.shape}"
        raise ValueError(msg)
    if images.shape[0] != labels.size:
        msg = f"{images.shape[0]} images but {labels.size} truth rows"
        raise ValueError(msg)
    bins = images.shape[-1]
    checksum = _suite_checksum(data, images, labels)
    split = split_by_galaxy(galaxy_ids, val_fraction=val_fraction, test_fraction=test_fraction,
                            seed=seed)
    rows = {k: np.flatnonzero(np.isin(galaxy_ids, v)) for k, v in split.items()}
    train_labels = labels[rows["train"]]
    arch = {**DEFAULT_ARCHITECTURE, **(architecture or {})}
    arch.setdefault("target_loc", float(np.mean(train_labels)))
    arch.setdefault("target_scale", float(max(np.std(train_labels), 0.05)))
    config = {"seed": seed, "batch_size": batch_size, "learning_rate": float(learning_rate),
              "patience": patience, "lr_patience": int(lr_patience), "lr_factor": float(lr_factor),
              "min_learning_rate": float(min_learning_rate),
              "augment": bool(augment), "val_fraction": float(val_fraction),
              "test_fraction": float(test_fraction), "architecture": _jsonable(arch),
              "suite_checksum": checksum, "split_sha256": _split_hash(split)}

    out_dir = Path(out_dir)
    ckpt_dir = out_dir / _CHECKPOINT_DIR
    state = _read_state(ckpt_dir) if resume else None
    if state is not None and state["config"] != _jsonable(config):
        changed = sorted(k for k in config if state["config"].get(k) != _jsonable(config)[k])
        msg = (f"{out_dir} holds a checkpoint of a different training run (differences: "
               f"{', '.join(changed)}); use another output directory or resume=False")
        raise ValueError(msg)
    if state is None:
        if ckpt_dir.exists():
            shutil.rmtree(ckpt_dir)
        ckpt_dir.mkdir(parents=True)
        model = build_mdcnn(bins=bins, seed=seed, **arch)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=mixture_nll)
        state = {"format_version": _STATE_VERSION, "config": config, "epoch": 0,
                 "best_val_nll": None, "best_epoch": 0, "wait": 0, "history": [],
                 "finished": False, "checkpoint": None, "best_weights": None,
                 "elapsed_s": 0.0, "learning_rate": float(learning_rate)}
    else:
        from . import _layers  # noqa: F401 - register the custom objects

        model = keras.saving.load_model(ckpt_dir / state["checkpoint"], compile=True)
        model.optimizer.learning_rate.assign(state.get("learning_rate", float(learning_rate)))
        if progress:
            tqdm.write(f"resuming from epoch {state['epoch']} ({ckpt_dir / state['checkpoint']})")

    n_train = rows["train"].size
    val_rows = rows["validation"] if rows["validation"].size else rows["train"]
    started = time.perf_counter() - state["elapsed_s"]
    while not state["finished"] and state["epoch"] < epochs:
        epoch = state["epoch"] + 1
        epoch_rng = _shuffle_rng(seed, epoch)
        order = epoch_rng.permutation(rows["train"])
        losses = []
        bar = tqdm(range(0, n_train, batch_size), desc=f"epoch {epoch}/{epochs}", unit="batch",
                   leave=False, disable=not progress)
        for start in bar:
            batch = np.sort(order[start:start + batch_size])
            x = augment_images(images[batch], epoch_rng) if augment else images[batch]
            loss = model.train_on_batch(x, labels[batch].astype(np.float32))
            losses.append(float(np.asarray(loss).ravel()[0]))
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
        bar.close()
        val_pred = _predict(model, images, val_rows, 4 * batch_size, seed)
        val_nll = float(mixture_nll_numpy(labels[val_rows], val_pred).mean())
        record = {"epoch": epoch, "loss": float(np.mean(losses)), "val_nll": val_nll,
                  "learning_rate": state["learning_rate"]}
        state["history"].append(record)
        improved = state["best_val_nll"] is None or val_nll < state["best_val_nll"]
        if improved:
            state.update(best_val_nll=val_nll, best_epoch=epoch, wait=0,
                         best_weights=f"epoch_{epoch:04d}.best.weights.h5")
            _save_weights(model, ckpt_dir / state["best_weights"])
        else:
            state["wait"] += 1
            if lr_patience and state["wait"] % lr_patience == 0:
                new_lr = max(state["learning_rate"] * lr_factor, min_learning_rate)
                if new_lr < state["learning_rate"]:
                    state["learning_rate"] = new_lr
                    model.optimizer.learning_rate.assign(new_lr)
                    if progress:
                        tqdm.write(f"epoch {epoch}: learning rate reduced to {new_lr:.2e}")
        state["epoch"] = epoch
        state["finished"] = state["wait"] >= patience
        state["checkpoint"] = f"epoch_{epoch:04d}.keras"
        state["elapsed_s"] = time.perf_counter() - started
        _save_keras(model, ckpt_dir / state["checkpoint"])
        _write_state(ckpt_dir, state)
        if progress:
            tqdm.write(f"epoch {epoch}: loss {record['loss']:.4f}, val NLL {val_nll:.4f}"
                       + ("  (best)" if improved else f"  (no improvement for {state['wait']})"))

    stopped_early = state["finished"] and state["epoch"] < epochs
    _finalise(model, out_dir, state=state, split=split, truth=truth, rows=rows, data=data,
              suite_path=suite_path, bins=bins, arch=arch, name=name, epochs=epochs,
              stopped_early=stopped_early)
    slope_model = load_model(out_dir)
    metrics = _validation_metrics(slope_model, images, labels, rows["validation"],
                                  n_passes=validation_passes, seed=seed)
    card = dict(slope_model.card)
    card["metrics"] = {"validation": metrics}
    text = json.dumps(_jsonable(card), indent=1)
    atomic_write_text(out_dir / CARD_FILE, text)
    slope_model.card = json.loads(text)
    slope_model.card_hash = hashlib.sha256(text.encode()).hexdigest()
    return slope_model


def _finalise(model, out_dir, *, state, split, truth, rows, data, suite_path, bins, arch, name,
              epochs, stopped_early):
    """Write ``model.keras`` (best weights, no optimizer), ``split.json`` and the model card."""
    import keras

    from ._architectures import build_mdcnn

    ckpt_dir = out_dir / _CHECKPOINT_DIR
    model.load_weights(ckpt_dir / state["best_weights"])
    # a fresh, uncompiled copy: the shipped file holds no optimizer state (a third of the size)
    final = build_mdcnn(bins=bins, **arch)
    for source, target in zip(model.variables, final.variables, strict=True):
        target.assign(source)
    _save_keras(final, out_dir / MODEL_FILE)
    split_doc = {"format": "dmprofile-galaxy-split", "seed": state["config"]["seed"],
                 "suite_checksum": state["config"]["suite_checksum"],
                 **{k: [int(i) for i in v] for k, v in split.items()}}
    atomic_write_text(out_dir / SPLIT_FILE, json.dumps(split_doc))
    manifest = dict(getattr(data, "manifest", None) or {})
    versions = {"dmprofile": __version__, "keras": keras.__version__,
                "backend": keras.backend.backend(), "numpy": np.__version__,
                "python": platform.python_version()}
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        versions["tensorflow"] = tf.__version__
    card = {
        "format": CARD_FORMAT, "format_version": CARD_VERSION, "name": name,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model_file": MODEL_FILE, "model_sha256": sha256_file(out_dir / MODEL_FILE),
        "model_bytes": (out_dir / MODEL_FILE).stat().st_size,
        "n_parameters": int(final.count_params()),
        "input": {"shape": [2, bins, bins], "bins": bins, "dtype": "float32",
                  "description": "dmprofile.kinematics.phase_space_images(...).images: "
                                 "[0] {x, y} in [-2, 2] kpc, [1] {R/R_half in [0, 1], "
                                 "(v - v_sys)/P98 in [-1, 1]}, each normalised to unit sum"},
        "output": {"target": TARGET, "n_components": int(arch["n_components"]),
                   "parameters": [f"{p}_{k + 1}" for p in ("weight", "mean", "sigma")
                                  for k in range(int(arch["n_components"]))],
                   "sigma_floor": float(arch["sigma_floor"]),
                   "description": "Gaussian mixture over gamma_150 (weights sum to one, "
                                  "widths > 0); Monte-Carlo dropout active at inference"},
        "architecture": _jsonable(arch),
        "prior": _jsonable(manifest.get("prior", {})),
        "training_ranges": _training_ranges(truth, rows["train"]),
        # the suite is identified by its checksum; only the directory name is kept (a full
        # path would tie the card to the machine it was trained on)
        "suite": {"checksum": state["config"]["suite_checksum"],
                  "name": None if suite_path is None else Path(suite_path).name,
                  "n_rows": int(len(truth)), "n_galaxies": int(sum(len(v) for v in split.values())),
                  "manifest": _jsonable({k: v for k, v in manifest.items() if k != "prior"})},
        "split": {"file": SPLIT_FILE, "seed": state["config"]["seed"],
                  "sha256": state["config"]["split_sha256"],
                  "fractions": {"validation": state["config"]["val_fraction"],
                                "test": state["config"]["test_fraction"]},
                  "n_galaxies": {k: int(len(v)) for k, v in split.items()},
                  "n_rows": {k: int(v.size) for k, v in rows.items()}},
        "training": {k: state["config"][k] for k in ("seed", "batch_size", "learning_rate",
                                                     "patience", "augment")}
        | {"max_epochs": epochs, "epochs_run": state["epoch"], "best_epoch": state["best_epoch"],
           "stopped_early": bool(stopped_early), "best_val_nll": state["best_val_nll"],
           "history": state["history"], "elapsed_s": round(state["elapsed_s"], 2)},
        "metrics": {},
        "versions": versions,
    }
    atomic_write_text(out_dir / CARD_FILE, json.dumps(_jsonable(card), indent=1))
