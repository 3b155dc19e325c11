"""The disc mass-profile commands: ``infer-mass``, ``train mass`` and ``evaluate mass``.

``infer-mass`` puts a galaxy's images on the network grid and runs a mass-profile ensemble
(`dmprofile.infer_mass_profile`); ``train mass`` trains a `~dmprofile.nets.BootstrapEnsemble`
on a disc suite (`dmprofile.nets.train_mass`); ``evaluate mass`` scores it on held-out galaxies
against two baselines (`dmprofile.nets.evaluate_mass`).
"""

from .common import (
    HelpFormatter,
    add_run_arguments,
    check_output,
    non_negative_int,
    positive_float,
    positive_int,
    resolve_seed,
    save_figure,
)

__all__ = ["register", "add_train_mass", "add_evaluate_mass"]

_CHANNELS = ("u", "g", "r", "i", "z", "mom0", "mom1", "mom2")
_ARCHITECTURES = ("A", "B", "C", "resnet50")


def register(subparsers):
    """Add ``dmprofile infer-mass``.

    Parameters
    ----------
    subparsers : `argparse._SubParsersAction`
        The subparsers of the ``dmprofile`` parser.
    """
    p = subparsers.add_parser(
        "infer-mass", help="enclosed dark-matter mass profile of a disc galaxy from its images",
        description=("Put the images of a disc galaxy (SDSS ugriz, HI moment maps or an HI "
                     "cube; FITS files with a celestial WCS and BUNIT) on the network grid and "
                     "print the enclosed dark-matter mass at the ensemble's radii (median and "
                     "68%/95% bands). Channels the model does not read are ignored."),
        formatter_class=HelpFormatter)
    for name in _CHANNELS:
        p.add_argument(f"--{name}", default=None, metavar="FILE", help=f"{name} image")
    p.add_argument("--cube", default=None, metavar="FILE",
                   help="HI cube from which the moment maps are made")
    p.add_argument("--image", action="append", default=[], metavar="CHANNEL=FILE",
                   help="another way to give a channel (repeatable)")
    p.add_argument("--model", default="default",
                   help="'default', 'photometry' or an ensemble directory")
    p.add_argument("--ra", type=float, default=None, metavar="DEG",
                   help="centre of the grid, right ascension (default: centre of the first image)")
    p.add_argument("--dec", type=float, default=None, metavar="DEG", help="centre, declination")
    p.add_argument("--distance", type=float, default=None, metavar="MPC",
                   help="distance (default: DIST_MPC of the headers); needed by models "
                        "that read a physical grid")
    p.add_argument("--batch-size", type=positive_int, default=64, help="rows per network call")
    add_run_arguments(p, seed_help="seed recorded with the profile",
                      plot_help="the mass profile", output_help="the profile (MassProfile.write)",
                      output_kind="posterior")
    p.set_defaults(func=_infer_mass)


def add_train_mass(train_sub):
    """Add ``dmprofile train mass`` to the ``train`` subcommands.

    Parameters
    ----------
    train_sub : `argparse._SubParsersAction`
        The subparsers of ``dmprofile train``.
    """
    p = train_sub.add_parser(
        "mass", help="train a bootstrap ensemble of mass-profile CNNs on a disc suite",
        description=("Train K mass-profile networks, each on a bootstrap resample of the "
                     "training galaxies of a suite written by `dmprofile simulate discs` "
                     "(60/20/20 split by galaxy); finished members are skipped and an "
                     "interrupted one resumes."),
        formatter_class=HelpFormatter)
    p.add_argument("--data", required=True, metavar="SUITE_DIR", help="disc suite directory")
    p.add_argument("--out", required=True, metavar="ENSEMBLE_DIR", help="output directory")
    p.add_argument("--members", type=positive_int, default=10, help="ensemble members K")
    p.add_argument("--architecture", default="B", metavar="NAME",
                   help="A, B, C, resnet50, or a JSON layer stack (see build_mass_cnn)")
    p.add_argument("--loss", choices=("mse", "gaussian_nll"), default="mse", help="loss")
    p.add_argument("--channels", default=None,
                   help="comma-separated input channels (default: all of the suite's)")
    p.add_argument("--epochs", type=positive_int, default=100, help="maximum epochs")
    p.add_argument("--batch-size", type=positive_int, default=32, help="mini-batch size")
    p.add_argument("--seed", type=non_negative_int, default=0,
                   help="seed of the split, members, weights and augmentations")
    p.add_argument("--patience", type=positive_int, default=10,
                   help="early-stopping patience in epochs")
    p.add_argument("--learning-rate", type=float, default=1e-4, help="Adam learning rate")
    p.add_argument("--lr-patience", type=positive_int, default=3,
                   help="halve the learning rate after this many epochs without improvement")
    p.add_argument("--val-fraction", type=float, default=0.2, help="validation galaxies")
    p.add_argument("--test-fraction", type=float, default=0.2, help="held-out test galaxies")
    p.add_argument("--reverse-velocity", action="store_true",
                   help="also negate mom1 in half of the augmented rows (time reversal)")
    p.add_argument("--name", default="mass", help="name of the ensemble in its card")
    p.add_argument("--physical-fov", type=positive_float, default=None, metavar="KPC",
                   help="resample the images onto this physical field of view (full width, "
                        "kpc) with each galaxy's distance before the network reads them")
    p.add_argument("--no-augment", action="store_true", help="no symmetry augmentation")
    p.add_argument("--no-calibrate", action="store_true",
                   help="do not fit the width scale (gaussian_nll) or the width (mse) of the "
                        "ensemble on the validation galaxies (BootstrapEnsemble.calibrate)")
    p.add_argument("--calibrate-shift", action="store_true",
                   help="also shift the member means by their mean residual on the validation "
                        "galaxies, per radius (BootstrapEnsemble.calibrate(shift=True))")
    p.add_argument("--restart", action="store_true", help="ignore existing checkpoints")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="dask.distributed scheduler: one member per task")
    p.add_argument("--quiet", "--no-progress", dest="quiet", action="store_true",
                   help="no progress bar")
    p.set_defaults(func=_train_mass)


def add_evaluate_mass(eval_sub):
    """Add ``dmprofile evaluate mass`` to the ``evaluate`` subcommands.

    Parameters
    ----------
    eval_sub : `argparse._SubParsersAction`
        The subparsers of ``dmprofile evaluate``.
    """
    p = eval_sub.add_parser(
        "mass", help="score a mass-profile ensemble on a disc suite, against two baselines",
        description=("Write mass_evaluation.json: per radius, RMSE, MAE, bias and 68%/95% "
                     "coverage of the ensemble and the RMSE of the M*-only and training-median "
                     "baselines. With the ensemble's training suite only its held-out test "
                     "galaxies are used; a separate suite is used whole."),
        formatter_class=HelpFormatter)
    p.add_argument("--data", required=True, metavar="SUITE_DIR", help="disc suite directory")
    p.add_argument("--model", default="default",
                   help="'default', 'photometry' or an ensemble directory")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--split", choices=("auto", "test", "all"), default="auto",
                   help="rows to use (auto: the test split of the training suite, else all)")
    p.add_argument("--batch-size", type=positive_int, default=64, help="rows per network call")
    p.set_defaults(func=_evaluate_mass)


def _images(args):
    images = {name: getattr(args, name) for name in _CHANNELS if getattr(args, name)}
    if args.cube:
        images["cube"] = args.cube
    for item in args.image:
        name, sep, path = item.partition("=")
        if not sep or not name.strip() or not path.strip():
            msg = f"--image must be CHANNEL=FILE, got {item!r}"
            raise ValueError(msg)
        if name.strip().lower() in images:
            msg = f"channel {name.strip()!r} given twice"
            raise ValueError(msg)
        images[name.strip().lower()] = path.strip()
    if not images:
        msg = "give at least one image (--u FILE, ..., --mom0 FILE, --cube FILE or --image)"
        raise ValueError(msg)
    return images


def _centre(args):
    if args.ra is None and args.dec is None:
        return None
    if args.ra is None or args.dec is None:
        msg = "give both --ra and --dec (or neither)"
        raise ValueError(msg)
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    return SkyCoord(args.ra * u.deg, args.dec * u.deg)


def _infer_mass(args):
    from astropy import units as u

    from .._infer_mass import infer_mass_profile
    from .._utils import require

    output = check_output(args.output, "posterior")
    plot = check_output(args.plot, "figure")
    images = _images(args)
    seed = resolve_seed(args)
    distance = None if args.distance is None else args.distance * u.Mpc
    profile = infer_mass_profile(images, model=args.model, seed=seed, centre=_centre(args),
                                 distance=distance, batch_size=args.batch_size)
    print(profile)
    if profile.meta.get("ignored_channels"):
        print(f"ignored channels: {', '.join(profile.meta['ignored_channels'])}")
    table = profile.to_table()
    for name in table.colnames[1:]:
        table[name] = table[name].to(u.Msun)
        table[name].info.format = ".4g"
    table["radius"].info.format = ".3g"
    table.pprint(max_lines=-1, max_width=-1)
    if output:
        profile.write(output, overwrite=True)
        print(f"wrote {output}")
    if plot:
        plt = require("matplotlib.pyplot", "plot")
        fig, ax = plt.subplots(figsize=(5.6, 4.0), layout="constrained")
        profile.plot(ax=ax, label="network (median, 68%, 95%)")
        ax.set_title("enclosed dark-matter mass")
        ax.legend()
        save_figure(fig, plot)
    return 0


def _architecture(text):
    if text in _ARCHITECTURES or text.lower() == "resnet50":
        return text if text in _ARCHITECTURES else "resnet50"
    import json

    try:
        spec = json.loads(text)
    except json.JSONDecodeError:
        spec = None
    if not isinstance(spec, dict):
        msg = (f"--architecture must be one of {', '.join(_ARCHITECTURES)} or a JSON object, "
               f"got {text!r}")
        raise ValueError(msg)
    return spec


def _train_mass(args):
    import numpy as np
    from astropy import units as u

    from ..nets import train_mass

    calibrate = not args.no_calibrate and args.val_fraction > 0
    if args.calibrate_shift and not calibrate:
        msg = ("--calibrate-shift needs the calibration of the ensemble (validation galaxies, "
               "without --no-calibrate)")
        raise ValueError(msg)
    channels = None
    if args.channels:
        channels = tuple(c.strip().lower() for c in args.channels.split(",") if c.strip())
    architecture = _architecture(args.architecture)
    client = None
    if args.scheduler:
        from .._utils import require

        client = require("dask.distributed", "distributed").Client(args.scheduler)
    try:
        ensemble = train_mass(args.data, args.out, channels=channels, architecture=architecture,
                              loss=args.loss, n_members=args.members, epochs=args.epochs,
                              batch_size=args.batch_size, seed=args.seed,
                              val_fraction=args.val_fraction, test_fraction=args.test_fraction,
                              patience=args.patience, learning_rate=args.learning_rate,
                              lr_patience=args.lr_patience, augment=not args.no_augment,
                              name=args.name,
                              reverse_velocity=args.reverse_velocity, resume=not args.restart,
                              progress=not args.quiet, client=client,
                              physical_fov=None if args.physical_fov is None
                              else args.physical_fov * u.kpc)
    finally:
        if client is not None:
            client.close()
    print(f"trained {ensemble!r}")
    for k, metrics in enumerate(ensemble.card["metrics"]["members_validation"]):
        if "rmse_all" in metrics:
            print(f"  member {k}: validation RMSE {metrics['rmse_all']:.4f} dex")
    if calibrate:
        entry = ensemble.calibrate(args.data, batch_size=64, shift=args.calibrate_shift)
        before = {k: float(np.mean(v)) for k, v in entry["coverage_before"].items()}
        after = {k: float(np.mean(v)) for k, v in entry["coverage_after"].items()}
        what = "width scale" if ensemble.loss == "gaussian_nll" else "width (dex)"
        print(f"  calibrated on {entry['n_galaxies']} validation galaxies: {what} "
              f"{min(entry['sigma_scale']):.2f}-{max(entry['sigma_scale']):.2f}; 68 % / 95 % "
              f"coverage {before['68']:.1%} / {before['95']:.1%} -> "
              f"{after['68']:.1%} / {after['95']:.1%}")
        if "centre_shift" in entry:
            print(f"  shift of the means {min(entry['centre_shift']):+.3f} to "
                  f"{max(entry['centre_shift']):+.3f} dex")
    print(f"ensemble written to {args.out}")
    return 0


def _evaluate_mass(args):
    from .._infer_mass import load_mass_ensemble
    from ..nets import evaluate_mass

    ensemble = load_mass_ensemble(args.model)
    table = evaluate_mass(args.data, ensemble, args.out, split=args.split,
                          batch_size=args.batch_size)
    meta = table.meta
    print(f"{meta['n_rows']} rows ({meta['n_galaxies']} galaxies, selection "
          f"'{meta['selection']}') of {args.data}")
    show = table.copy()
    show.meta = {}
    for name in show.colnames:
        show[name].info.format = ".3g"
    show.pprint(max_lines=-1, max_width=-1)
    print(f"wrote {args.out}/mass_evaluation.json")
    return 0
