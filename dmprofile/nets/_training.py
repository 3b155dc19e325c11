"""Training the slope network on a simulated suite: `train_slope`.

`train_slope` is the generic `~dmprofile.nets.Trainer` run with the
`~dmprofile.nets.SlopeTask`: galaxy-level splits, checkpoints and exact resume, early stopping,
a reduce-on-plateau learning-rate schedule and the model directory with its card. The training
is deterministic for a given ``seed`` (weight initialisation, shuffling, dropout masks) and can be
interrupted at any time: every epoch writes a checkpoint from which `train_slope` resumes,
reaching the same weights as an uninterrupted run.
"""

import os

from ._slope_task import DEFAULT_ARCHITECTURE, PRIOR_COLUMNS, TARGET, SlopeTask, augment_images
from ._split import split_by_galaxy
from ._trainer import Trainer, TrainingConfig

__all__ = ["train_slope", "split_by_galaxy", "augment_images", "DEFAULT_ARCHITECTURE", "TARGET",
           "PRIOR_COLUMNS"]


def _open_suite(suite):
    """Accept a suite directory or an object with images, truth, manifest and checksum."""
    if isinstance(suite, (str, os.PathLike)):
        from ..suites import read_suite

        return read_suite(suite), str(suite)
    for attr in ("images", "truth"):
        if not hasattr(suite, attr):
            msg = f"suite must be a suite directory or a DwarfSuite, got {type(suite).__name__}"
            raise TypeError(msg)
    return suite, None


def train_slope(suite, out_dir, *, epochs=100, batch_size=64, seed=0, val_fraction=0.1,
                test_fraction=0.1, patience=10, learning_rate=1e-3, lr_patience=3, lr_factor=0.5,
                min_learning_rate=1e-5, architecture=None, augment=True, resume=True,
                progress=True, validation_passes=20, name="slope"):
    """Train the mixture-density CNN on a simulated suite and write a model directory.

    Parameters
    ----------
    suite : str, `~pathlib.Path` or `~dmprofile.suites.DwarfSuite`
        A suite directory written by `dmprofile.suites.generate_dwarf_suite` (or the suite
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
    lr_patience, lr_factor, min_learning_rate : int, float, float
        Reduce-on-plateau schedule: after every ``lr_patience`` epochs without improvement of
        the validation NLL the learning rate is multiplied by ``lr_factor`` (not below
        ``min_learning_rate``); ``lr_patience=0`` keeps it constant. The current rate is part of
        the checkpoint state, so a resumed run continues with it.
    architecture : dict, optional
        Keyword arguments of `build_mdcnn` overriding `DEFAULT_ARCHITECTURE`.
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

    See Also
    --------
    Trainer, SlopeTask, TrainingConfig
    """
    from .._utils import require

    require("keras", "nets")
    config = TrainingConfig(epochs=epochs, batch_size=batch_size, seed=seed,
                            val_fraction=val_fraction, test_fraction=test_fraction,
                            patience=patience, learning_rate=learning_rate,
                            lr_patience=lr_patience, lr_factor=lr_factor,
                            min_learning_rate=min_learning_rate, augment=augment, resume=resume,
                            progress=progress, name=name)
    data, suite_path = _open_suite(suite)
    task = SlopeTask(architecture=architecture, validation_passes=validation_passes)
    return Trainer(task, config).fit(data, out_dir, suite_name=suite_path)
