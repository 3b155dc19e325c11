"""Files of a model directory: checkpoints, the resume state and the generic model-card entries.

A model directory written by `~dmprofile.nets.Trainer` holds ``model.keras``, ``split.json`` and
``model_card.json`` (written last: a directory with a card is complete) and a ``checkpoints/``
folder with the last epoch's model (weights and optimizer state), the weights of the best epoch
and ``state.json`` (epoch counter, early-stopping and learning-rate state, history). Every file is
written to a temporary name and renamed, so an interruption never leaves a half-written file.
"""

import json
import math
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .._utils import atomic_write_text
from .._version import __version__

__all__ = ["CHECKPOINT_DIR", "STATE_FILE", "STATE_VERSION", "jsonable", "save_keras",
           "save_weights", "write_state", "read_state", "library_versions", "created_now",
           "suite_card", "split_card", "column_ranges"]

CHECKPOINT_DIR = "checkpoints"
STATE_FILE = "state.json"
STATE_VERSION = 1


def jsonable(obj):
    """Return a copy of ``obj`` that `json.dumps` accepts.

    NumPy values become Python numbers, tuples lists, and NaN and inf None.
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return str(obj)


def save_keras(model, path):
    """Save a Keras model atomically (Keras insists on a ``.keras`` suffix)."""
    tmp = path.with_name(f".{path.stem}.partial.keras")
    model.save(tmp)
    os.replace(tmp, path)


def save_weights(model, path):
    """Save the weights of a Keras model atomically to a ``.weights.h5`` file."""
    tmp = path.with_name(f".{path.stem}.partial.weights.h5")
    model.save_weights(tmp)
    os.replace(tmp, path)


def write_state(ckpt_dir, state):
    """Write ``state.json`` and delete the checkpoint files it no longer refers to."""
    atomic_write_text(ckpt_dir / STATE_FILE, json.dumps(jsonable(state), indent=1))
    keep = {state["checkpoint"], state.get("best_weights")}
    for path in ckpt_dir.glob("epoch_*"):
        if path.name not in keep:
            path.unlink()


def read_state(ckpt_dir):
    """Return the resume state in ``ckpt_dir``, or None if there is none usable."""
    path = ckpt_dir / STATE_FILE
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_text())
    except json.JSONDecodeError:
        return None
    if (state.get("format_version") != STATE_VERSION
            or not (ckpt_dir / state["checkpoint"]).is_file()):
        return None
    return state


def library_versions():
    """Versions of dmprofile, Keras (and its backend), NumPy and Python for the model card."""
    import keras

    versions = {"dmprofile": __version__, "keras": keras.__version__,
                "backend": keras.backend.backend(), "numpy": np.__version__,
                "python": platform.python_version()}
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        versions["tensorflow"] = tf.__version__
    return versions


def created_now():
    """Return the current UTC time, to the second, in ISO format."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def suite_card(*, checksum, suite_name, n_rows, n_galaxies, manifest):
    """Return the ``suite`` entry of a model card.

    The suite is identified by its checksum; only the directory name is kept (a full path would
    tie the card to the machine it was trained on).
    """
    return {"checksum": checksum,
            "name": None if suite_name is None else Path(suite_name).name,
            "n_rows": int(n_rows), "n_galaxies": int(n_galaxies),
            "manifest": jsonable({k: v for k, v in manifest.items() if k != "prior"})}


def split_card(*, split, rows, config, split_file):
    """Return the ``split`` entry of a model card (seed, SHA-256 of the ids, fractions, counts)."""
    return {"file": split_file, "seed": config["seed"], "sha256": config["split_sha256"],
            "fractions": {"validation": config["val_fraction"], "test": config["test_fraction"]},
            "n_galaxies": {k: int(len(v)) for k, v in split.items()},
            "n_rows": {k: int(v.size) for k, v in rows.items()}}


def column_ranges(truth, rows, columns):
    """Range of truth-table columns over ``rows`` (for the out-of-prior checks of a card).

    Parameters
    ----------
    truth : `~astropy.table.Table`
    rows : array of int
    columns : dict
        Card key -> candidate column names (the first present is used; keys without a column
        or without a finite value are left out).

    Returns
    -------
    dict
        Card key -> ``{"column", "min", "max", "p01", "p99", "unit"}``.
    """
    ranges = {}
    for key, candidates in columns.items():
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
