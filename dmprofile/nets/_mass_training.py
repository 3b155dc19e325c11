"""Training the mass-profile networks on a disc suite: `train_mass`.

`train_mass` is the generic `~dmprofile.nets.Trainer` run with the
`~dmprofile.nets.MassProfileTask` (one network), or `~dmprofile.nets.BootstrapEnsemble.train`
when ``n_members`` is given. The defaults are the paper's: network B, the mean squared error
of log10 M, Adam at 1e-4, and the 60/20/20 split by galaxy of a disc suite.
"""

__all__ = ["train_mass"]


def train_mass(suite, out_dir, *, channels=None, architecture="B", loss="mse", n_members=None,
               epochs=100, batch_size=32, seed=0, val_fraction=0.2, test_fraction=0.2,
               patience=10, learning_rate=1e-4, lr_patience=3, lr_factor=0.5,
               min_learning_rate=1e-6, augment=True, reverse_velocity=False, resume=True,
               progress=True, client=None, physical_fov=None, name="mass"):
    """Train a mass-profile network (or a bootstrap ensemble) on a disc suite.

    Parameters
    ----------
    suite : str, `~pathlib.Path` or `~dmprofile.suites.DiscSuite`
        A suite written by `dmprofile.suites.generate_disc_suite` (or the suite itself).
    out_dir : str or `~pathlib.Path`
        Model directory (one network) or ensemble directory (``n_members`` given).
    channels : sequence of str, optional
        Input channels (default: all the suite's), e.g. ``("u", "r", "z")``.
    architecture : str or dict
        ``"A"``, ``"B"``, ``"C"``, ``"resnet50"`` or a custom stack
        (`~dmprofile.nets.build_mass_cnn`).
    loss : {"mse", "gaussian_nll"}
        The loss (`~dmprofile.nets.gaussian_nll` predicts a width per radius).
    n_members : int, optional
        Train a `~dmprofile.nets.BootstrapEnsemble` of this many members.
    epochs : int
        Maximum number of epochs.
    batch_size : int
        Mini-batch size.
    seed : int
        Seeds the split, the weights, the shuffling and the augmentations (and, for an
        ensemble, the members' seeds and bootstrap draws).
    val_fraction, test_fraction : float
        Fractions of the galaxies held out for validation and testing.
    patience : int
        Early stopping after this many epochs without improvement.
    learning_rate : float
        Initial Adam learning rate (1e-4 in the paper).
    lr_patience, lr_factor, min_learning_rate : int, float, float
        Reduce-on-plateau schedule (see `~dmprofile.nets.TrainingConfig`).
    augment : bool
        Apply the symmetries of the square (`~dmprofile.nets.augment_mass_images`).
    reverse_velocity : bool
        Also negate the moment-1 channel in half of the augmented rows.
    resume : bool
        Continue from a checkpoint in ``out_dir``.
    progress : bool
        Show progress.
    client : ``dask.distributed.Client``, optional
        For an ensemble: train one member per dask task.
    physical_fov : `~astropy.units.Quantity` [length], optional
        Resample the images onto this physical field of view with each galaxy's distance
        before the network reads them (see `~dmprofile.nets.MassProfileTask`).
    name : str
        Model name recorded in the card.

    Returns
    -------
    `~dmprofile.nets.MassModel` or `~dmprofile.nets.BootstrapEnsemble`
        Loaded back from ``out_dir``.
    """
    from .._utils import require
    from ._mass_task import MassProfileTask, open_disc_suite
    from ._trainer import Trainer, TrainingConfig

    require("keras", "nets")
    config = TrainingConfig(epochs=epochs, batch_size=batch_size, seed=seed,
                            val_fraction=val_fraction, test_fraction=test_fraction,
                            patience=patience, learning_rate=learning_rate,
                            lr_patience=lr_patience, lr_factor=lr_factor,
                            min_learning_rate=min_learning_rate, augment=augment, resume=resume,
                            progress=progress, name=name)
    if n_members is not None:
        from ._mass_ensemble import BootstrapEnsemble

        return BootstrapEnsemble.train(suite, out_dir, n_members=n_members, channels=channels,
                                       architecture=architecture, loss=loss,
                                       reverse_velocity=reverse_velocity, config=config,
                                       client=client, physical_fov=physical_fov, name=name)
    data, suite_path = open_disc_suite(suite)
    task = MassProfileTask(channels=channels, architecture=architecture, loss=loss,
                           reverse_velocity=reverse_velocity, physical_fov=physical_fov,
                           name=name)
    return Trainer(task, config).fit(data, out_dir, suite_name=suite_path)
