"""One resumable trainer for every network of dmprofile, with the task as a pluggable object.

`Trainer` splits a suite by galaxy, shuffles the training rows with a per-epoch seeded generator,
trains with Adam, evaluates the task's validation metric after every epoch (early stopping and a
reduce-on-plateau learning-rate schedule follow it), writes a checkpoint every epoch and, at the
end, the model directory (``model.keras`` with the best weights, ``split.json`` and the model
card). Training is deterministic for a given seed (weights, shuffling, augmentations, dropout
masks) and can be interrupted at any time: the next run with the same suite, task and
configuration resumes from the last checkpoint and reaches the same weights as an uninterrupted
run.
"""

import hashlib
import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .._utils import atomic_write_text, show_progress
from . import _modeldir
from ._io import CARD_FILE, MODEL_FILE, SPLIT_FILE, sha256_file
from ._split import split_by_galaxy, split_document, split_hash, split_rows

__all__ = ["TrainingConfig", "Trainer", "fit"]


@dataclass(frozen=True)
class TrainingConfig:
    """Settings of a training run (everything except the task and the data).

    Parameters
    ----------
    epochs : int
        Maximum number of epochs (counted from the start, also when resuming).
    batch_size : int
        Mini-batch size.
    seed : int or None
        Seeds the split, the initial weights, the shuffling, the augmentations and the dropout
        masks; None draws one (recorded in the model card).
    val_fraction, test_fraction : float
        Fractions of the galaxies held out for validation and testing (`split_by_galaxy`).
    patience : int
        Stop after this many epochs without improvement of the validation metric; the weights
        of the best epoch are kept.
    learning_rate : float
        Initial Adam learning rate.
    lr_patience, lr_factor, min_learning_rate : int, float, float
        Reduce-on-plateau schedule: after every ``lr_patience`` epochs without improvement the
        learning rate is multiplied by ``lr_factor`` (not below ``min_learning_rate``);
        ``lr_patience=0`` keeps it constant.
    augment : bool
        Apply the task's random label-preserving augmentations to the training batches.
    resume : bool
        Continue from the checkpoint in the output directory if there is one (from the same
        suite, task, seed and configuration); otherwise start afresh.
    progress : bool
        Print a line per epoch and show a progress bar (tqdm; only on a terminal or in
        Jupyter, so that logs stay small).
    name : str, optional
        Model name recorded in the card (default: the task's name).
    split_seed : int, optional
        Seed of the galaxy split when it must differ from ``seed`` (the members of a
        bootstrap ensemble share one split but not their weights); default: ``seed``.

    Examples
    --------
    >>> from dmprofile.nets import TrainingConfig
    >>> config = TrainingConfig(epochs=5, batch_size=8)
    >>> config.epochs, config.patience
    (5, 10)
    """

    epochs: int = 100
    batch_size: int = 64
    seed: int | None = 0
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    patience: int = 10
    learning_rate: float = 1e-3
    lr_patience: int = 3
    lr_factor: float = 0.5
    min_learning_rate: float = 1e-5
    augment: bool = True
    resume: bool = True
    progress: bool = True
    name: str | None = None
    split_seed: int | None = None

    def __post_init__(self):
        seed = self.seed
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0])
        for key, kind in (("epochs", int), ("batch_size", int), ("patience", int),
                          ("lr_patience", int), ("learning_rate", float), ("lr_factor", float),
                          ("min_learning_rate", float), ("val_fraction", float),
                          ("test_fraction", float), ("augment", bool), ("resume", bool),
                          ("progress", bool)):
            object.__setattr__(self, key, kind(getattr(self, key)))
        object.__setattr__(self, "seed", int(seed))
        if self.split_seed is not None:
            object.__setattr__(self, "split_seed", int(self.split_seed))
        self._validate()

    def _validate(self):
        if self.epochs < 1 or self.batch_size < 1 or self.patience < 1:
            msg = (f"epochs, batch_size and patience must be >= 1, got {self.epochs}, "
                   f"{self.batch_size}, {self.patience}")
            raise ValueError(msg)
        for key in ("val_fraction", "test_fraction"):
            if not 0.0 <= getattr(self, key) < 1.0:
                msg = f"{key} must be in [0, 1), got {getattr(self, key)}"
                raise ValueError(msg)
        if self.lr_patience < 0 or not 0.0 < self.lr_factor <= 1.0:
            msg = (f"lr_patience must be >= 0 and lr_factor in (0, 1], got {self.lr_patience} "
                   f"and {self.lr_factor}")
            raise ValueError(msg)

    def run_fields(self):
        """Return the settings a resumed run must share with its checkpoint (in the state file)."""
        keys = ("seed", "batch_size", "learning_rate", "patience", "lr_patience", "lr_factor",
                "min_learning_rate", "augment", "val_fraction", "test_fraction")
        values = asdict(self)
        fields = {key: values[key] for key in keys}
        if self.split_seed is not None:  # absent otherwise: older checkpoints stay resumable
            fields["split_seed"] = self.split_seed
        return fields

    @property
    def galaxy_split_seed(self):
        """The seed of the galaxy split: ``split_seed``, or ``seed`` if it is None."""
        return self.seed if self.split_seed is None else self.split_seed


@dataclass
class _Data:
    """A suite prepared for one task: arrays, split and the run's identity."""

    suite: object
    inputs: np.ndarray
    targets: np.ndarray
    split: dict
    rows: dict
    architecture: dict
    run: dict

    @property
    def val_rows(self):
        """Rows of the per-epoch validation (the training rows if there is no validation set)."""
        return self.rows["validation"] if self.rows["validation"].size else self.rows["train"]


def _suite_checksum(suite, inputs, targets):
    checksum = getattr(suite, "checksum", None)
    if checksum:
        return str(checksum)
    digest = hashlib.sha256(np.ascontiguousarray(inputs).tobytes())
    digest.update(np.ascontiguousarray(targets, dtype="<f8").tobytes())
    return digest.hexdigest()


def _shuffle_rng(seed, epoch):
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(2, int(epoch))))


class Trainer:
    """Train the network of a task on a suite, resumably, and write its model directory.

    Parameters
    ----------
    task : `~dmprofile.nets.Task`
        What to learn (e.g. `~dmprofile.nets.SlopeTask`).
    config : `TrainingConfig`, optional
        The training settings (defaults: ``TrainingConfig()``).

    Examples
    --------
    >>> from dmprofile.nets import SlopeTask, Trainer, TrainingConfig
    >>> trainer = Trainer(SlopeTask(), TrainingConfig(epochs=2, progress=False))
    >>> trainer.config.epochs
    2
    """

    def __init__(self, task, config=None):
        self.task = task
        self.config = TrainingConfig() if config is None else config
        if not isinstance(self.config, TrainingConfig):
            msg = f"config must be a TrainingConfig, got {type(self.config).__name__}"
            raise TypeError(msg)

    def __repr__(self):
        return f"<Trainer task={self.task!r} epochs={self.config.epochs} seed={self.config.seed}>"

    def fit(self, suite, out_dir, *, suite_name=None):
        """Train on ``suite`` and write the model directory ``out_dir``.

        Parameters
        ----------
        suite : object
            A suite with ``images`` (or what the task's ``inputs`` reads), a ``truth`` table
            with ``galaxy_id`` and the task's targets, and optionally ``manifest`` and
            ``checksum``.
        out_dir : str or `~pathlib.Path`
            Model directory: ``model.keras``, ``model_card.json``, ``split.json`` and
            ``checkpoints/``.
        suite_name : str, optional
            Name of the suite (its directory) recorded in the card.

        Returns
        -------
        object
            The trained model, loaded back from ``out_dir`` by the task's ``load``.
        """
        data = self._prepare(suite)
        out_dir = Path(out_dir)
        ckpt_dir = out_dir / _modeldir.CHECKPOINT_DIR
        model, state = self._start(data, ckpt_dir, out_dir)
        self._train(model, state, data, ckpt_dir)
        self._finalise(model, state, data, out_dir, suite_name)
        return self.task.load(out_dir)

    # ----------------------------------------------------------------------- preparation
    def _prepare(self, suite):
        truth = suite.truth
        if "galaxy_id" not in truth.colnames:
            msg = "the suite truth table has no 'galaxy_id' column"
            raise ValueError(msg)
        targets = self.task.targets(truth)
        inputs = self.task.inputs(suite)
        if inputs.shape[0] != targets.shape[0]:
            msg = f"{inputs.shape[0]} images but {targets.shape[0]} truth rows"
            raise ValueError(msg)
        cfg = self.config
        galaxy_ids = np.asarray(truth["galaxy_id"], dtype=np.int64)
        split = split_by_galaxy(galaxy_ids, val_fraction=cfg.val_fraction,
                                test_fraction=cfg.test_fraction, seed=cfg.galaxy_split_seed)
        rows = split_rows(galaxy_ids, split)
        train_rows = getattr(self.task, "train_rows", None)
        if train_rows is not None:  # e.g. a bootstrap resample of the training galaxies
            rows["train"] = np.asarray(train_rows(rows["train"], galaxy_ids), dtype=np.int64)
        arch = self.task.architecture(inputs, targets[rows["train"]])
        run = {**cfg.run_fields(), "architecture": _modeldir.jsonable(arch),
               **self.task.config_fields(),
               "suite_checksum": _suite_checksum(suite, inputs, targets),
               "split_sha256": split_hash(split)}
        return _Data(suite, inputs, targets, split, rows, arch, _modeldir.jsonable(run))

    def _start(self, data, ckpt_dir, out_dir):
        """Return a fresh compiled model and state, or both restored from the checkpoint."""
        state = _modeldir.read_state(ckpt_dir) if self.config.resume else None
        if state is not None:
            self._check_resumable(state, data, out_dir)
            return self._resume(state, ckpt_dir), state
        if ckpt_dir.exists():
            shutil.rmtree(ckpt_dir)
        ckpt_dir.mkdir(parents=True)
        return self._fresh_model(data), self._fresh_state(data)

    def _check_resumable(self, state, data, out_dir):
        changed = sorted(k for k in data.run if state["config"].get(k) != data.run[k])
        changed += sorted(k for k in state["config"] if k not in data.run)
        if state.get("task", self.task.name) != self.task.name:
            changed.append("task")
        if changed:
            msg = (f"{out_dir} holds a checkpoint of a different training run (differences: "
                   f"{', '.join(changed)}); use another output directory or resume=False")
            raise ValueError(msg)

    def _fresh_model(self, data):
        import keras

        model = self.task.build_model(data.architecture, input_shape=data.inputs.shape[1:],
                                      seed=self.config.seed)
        model.compile(optimizer=keras.optimizers.Adam(self.config.learning_rate),
                      loss=self.task.loss)
        return model

    def _fresh_state(self, data):
        return {"format_version": _modeldir.STATE_VERSION, "task": self.task.name,
                "config": data.run, "epoch": 0, self._best_key: None, "best_epoch": 0,
                "wait": 0, "history": [], "finished": False, "checkpoint": None,
                "best_weights": None, "elapsed_s": 0.0,
                "learning_rate": self.config.learning_rate}

    def _resume(self, state, ckpt_dir):
        import keras

        from . import _layers, _losses  # noqa: F401 - register the custom objects

        custom = getattr(self.task, "custom_objects", dict)()
        model = keras.saving.load_model(ckpt_dir / state["checkpoint"], compile=True,
                                        custom_objects=custom or None)
        model.optimizer.learning_rate.assign(state.get("learning_rate",
                                                       self.config.learning_rate))
        self._say(f"resuming from epoch {state['epoch']} ({ckpt_dir / state['checkpoint']})")
        return model

    @property
    def _best_key(self):
        return f"best_{self.task.metric}"

    def _say(self, text):
        if self.config.progress:
            from tqdm.auto import tqdm

            tqdm.write(text)

    # ----------------------------------------------------------------------- epochs
    def _train(self, model, state, data, ckpt_dir):
        """Run epochs until ``epochs`` or early stopping, checkpointing after each."""
        cfg = self.config
        x_val, y_val = data.inputs[data.val_rows], data.targets[data.val_rows]
        started = time.perf_counter() - state["elapsed_s"]
        while not state["finished"] and state["epoch"] < cfg.epochs:
            epoch = state["epoch"] + 1
            loss = self._train_epoch(model, data, epoch)
            value = self.task.validation_metric(model, x_val, y_val, seed=cfg.seed,
                                                batch_size=4 * cfg.batch_size)
            state["history"].append({"epoch": epoch, "loss": loss, self.task.metric: value,
                                     "learning_rate": state["learning_rate"]})
            improved = self._update_best(model, state, epoch, value, ckpt_dir)
            state["epoch"] = epoch
            state["finished"] = state["wait"] >= cfg.patience
            state["checkpoint"] = f"epoch_{epoch:04d}.keras"
            state["elapsed_s"] = time.perf_counter() - started
            _modeldir.save_keras(model, ckpt_dir / state["checkpoint"])
            _modeldir.write_state(ckpt_dir, state)
            self._say(f"epoch {epoch}: loss {loss:.4f}, {self.task.metric_label} {value:.4f}"
                      + ("  (best)" if improved
                         else f"  (no improvement for {state['wait']})"))

    def _train_epoch(self, model, data, epoch):
        """One pass over the shuffled training rows; returns the mean training loss."""
        from tqdm.auto import tqdm

        cfg = self.config
        epoch_rng = _shuffle_rng(cfg.seed, epoch)
        order = epoch_rng.permutation(data.rows["train"])
        losses = []
        bar = tqdm(range(0, order.size, cfg.batch_size), desc=f"epoch {epoch}/{cfg.epochs}",
                   unit="batch", leave=False, disable=not show_progress(cfg.progress))
        for start in bar:
            batch = np.sort(order[start:start + cfg.batch_size])
            x = data.inputs[batch]
            if cfg.augment:
                x = self.task.augment(x, epoch_rng)
            loss = model.train_on_batch(x, data.targets[batch].astype(np.float32))
            losses.append(float(np.asarray(loss).ravel()[0]))
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
        bar.close()
        return float(np.mean(losses))

    def _update_best(self, model, state, epoch, value, ckpt_dir):
        """Early-stopping bookkeeping and the learning-rate schedule; True if improved."""
        best = state[self._best_key]
        if best is None or value < best:
            state.update({self._best_key: value, "best_epoch": epoch, "wait": 0,
                          "best_weights": f"epoch_{epoch:04d}.best.weights.h5"})
            _modeldir.save_weights(model, ckpt_dir / state["best_weights"])
            return True
        state["wait"] += 1
        cfg = self.config
        if cfg.lr_patience and state["wait"] % cfg.lr_patience == 0:
            new_lr = max(state["learning_rate"] * cfg.lr_factor, cfg.min_learning_rate)
            if new_lr < state["learning_rate"]:
                state["learning_rate"] = new_lr
                model.optimizer.learning_rate.assign(new_lr)
                self._say(f"epoch {epoch}: learning rate reduced to {new_lr:.2e}")
        return False

    # ----------------------------------------------------------------------- model directory
    def _finalise(self, model, state, data, out_dir, suite_name):
        """Write ``model.keras`` (best weights, no optimizer), ``split.json``, then the card.

        The card is written last, after the validation metrics: a directory with a card is a
        complete model (a stale card is removed first).
        """
        (out_dir / CARD_FILE).unlink(missing_ok=True)
        model.load_weights(out_dir / _modeldir.CHECKPOINT_DIR / state["best_weights"])
        # a fresh, uncompiled copy: the shipped file holds no optimizer state (a third of the size)
        final = self.task.build_model(data.architecture, input_shape=data.inputs.shape[1:])
        for source, target in zip(model.variables, final.variables, strict=True):
            target.assign(source)
        _modeldir.save_keras(final, out_dir / MODEL_FILE)
        split_doc = split_document(data.split, seed=self.config.galaxy_split_seed,
                                   suite_checksum=data.run["suite_checksum"])
        atomic_write_text(out_dir / SPLIT_FILE, json.dumps(split_doc))
        card = self._card(final, state, data, out_dir, suite_name)
        val = data.rows["validation"]
        card["metrics"] = {"validation": self.task.final_metrics(
            final, card, data.inputs[val], data.targets[val], seed=self.config.seed)}
        atomic_write_text(out_dir / CARD_FILE, json.dumps(_modeldir.jsonable(card), indent=1))

    def _card(self, final, state, data, out_dir, suite_name):
        manifest = dict(getattr(data.suite, "manifest", None) or {})
        run, task, cfg = data.run, self.task, self.config
        return {
            "format": task.card_format, "format_version": task.card_version,
            "name": self.config.name or task.name, "created": _modeldir.created_now(),
            "model_file": MODEL_FILE, "model_sha256": sha256_file(out_dir / MODEL_FILE),
            "model_bytes": (out_dir / MODEL_FILE).stat().st_size,
            "n_parameters": int(final.count_params()),
            **task.card_fields(input_shape=data.inputs.shape[1:], architecture=data.architecture),
            "architecture": _modeldir.jsonable(data.architecture),
            "prior": _modeldir.jsonable(manifest.get("prior", {})),
            "training_ranges": task.training_ranges(data.suite.truth, data.rows["train"]),
            "suite": _modeldir.suite_card(
                checksum=run["suite_checksum"], suite_name=suite_name,
                n_rows=len(data.suite.truth),
                n_galaxies=sum(len(v) for v in data.split.values()), manifest=manifest),
            "split": _modeldir.split_card(split=data.split, rows=data.rows,
                                          config={**run, "seed": cfg.galaxy_split_seed},
                                          split_file=SPLIT_FILE),
            "training": self._training_card(state),
            "metrics": {},
            "versions": _modeldir.library_versions(),
        }

    def _training_card(self, state):
        cfg = self.config
        return {"seed": cfg.seed, "batch_size": cfg.batch_size,
                "learning_rate": cfg.learning_rate, "patience": cfg.patience,
                "augment": cfg.augment, "max_epochs": cfg.epochs, "epochs_run": state["epoch"],
                "best_epoch": state["best_epoch"],
                "stopped_early": bool(state["finished"] and state["epoch"] < cfg.epochs),
                self._best_key: state[self._best_key], "history": state["history"],
                "elapsed_s": round(state["elapsed_s"], 2)}


def fit(task, suite, out_dir, *, config=None, suite_name=None):
    """Train ``task`` on ``suite`` and write the model directory ``out_dir``.

    Shorthand for ``Trainer(task, config).fit(suite, out_dir, suite_name=suite_name)``; see
    `Trainer` and `TrainingConfig`.

    Parameters
    ----------
    task : `Task`
        What to train: inputs, targets, network, loss and metrics.
    suite : object
        A suite with ``images`` (or what the task's ``inputs`` reads), a ``truth`` table with
        ``galaxy_id`` and the task's targets, and optionally ``manifest`` and ``checksum``.
    out_dir : str or `~pathlib.Path`
        Model directory: ``model.keras``, ``model_card.json``, ``split.json`` and
        ``checkpoints/``.
    config : `TrainingConfig`, optional
        The training settings (default: ``TrainingConfig()``).
    suite_name : str, optional
        Name of the suite (its directory) recorded in the card.

    Returns
    -------
    object
        The trained model, loaded back from ``out_dir`` by the task's ``load``.
    """
    return Trainer(task, config).fit(suite, out_dir, suite_name=suite_name)
