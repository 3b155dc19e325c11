"""The training pipeline: ``simulate dwarfs|discs``, ``train slope|mass``, ``evaluate slope|mass``.

``simulate`` writes a training suite (`dmprofile.suites`), ``train`` fits a network on it and
``evaluate`` scores a trained network on a held-out suite (`dmprofile.nets`).
"""

from .common import HelpFormatter, non_negative_int, positive_int
from .mass import add_evaluate_mass, add_train_mass

__all__ = ["register"]


def register(subparsers):
    """Add the ``simulate``, ``train`` and ``evaluate`` commands.

    Parameters
    ----------
    subparsers : `argparse._SubParsersAction`
        The subparsers of the ``dmprofile`` parser.
    """
    _register_simulate(subparsers)
    _register_train_evaluate(subparsers)


def _register_simulate(subparsers):
    """Add ``dmprofile simulate ...``."""
    simulate = subparsers.add_parser(
        "simulate", help="simulate equilibrium dwarf galaxies and training suites",
        description="Simulate equilibrium dwarf galaxies and training suites.")
    commands = simulate.add_subparsers(dest="simulate_command", metavar="SUBCOMMAND")
    simulate.set_defaults(func=lambda args: _help(simulate))

    dwarfs = commands.add_parser(
        "dwarfs", help="generate a training suite of mock dwarf galaxies",
        description=(
            "Generate a training suite of mock dwarf galaxies drawn from the default prior "
            "(or the broad preset, --prior-preset broad, or a variant of either, --prior): "
            "chunked FITS files with the phase-space images and truth tables, plus "
            "manifest.json. A killed run restarted with the same arguments resumes where it "
            "stopped; the result does not depend on the number of workers."),
        formatter_class=HelpFormatter)
    _add_suite_arguments(dwarfs)
    dwarfs.add_argument("--projections", type=positive_int, default=5,
                        help="lines of sight per galaxy")
    dwarfs.add_argument("--prior-preset", choices=("default", "broad"), default="default",
                        help="the prior: DefaultDwarfPrior() or DefaultDwarfPrior.broad() (more "
                             "halo, tracer and anisotropy families, two populations, 30-20000 "
                             "stars, errors 0.5-5 km/s)")
    dwarfs.add_argument("--prior", default=None, metavar="JSON",
                        help="changes to the prior preset as a JSON object of DefaultDwarfPrior "
                             'arguments, e.g. \'{"family_weights": {"nfw": 1}}\'')
    dwarfs.set_defaults(func=_dwarfs)
    _register_discs(commands)


def _register_discs(commands):
    """Add ``dmprofile simulate discs``."""
    discs = commands.add_parser(
        "discs", help="generate a training suite of mock disc galaxies",
        description=(
            "Generate a training suite of mock disc galaxies drawn from the default disc prior: "
            "each galaxy realised as particles once and observed --realisations times (fresh "
            "orientation, distance, instrument and noise): SDSS ugriz images and HI moment maps "
            "stacked as float16 channels, with the enclosed dark-matter mass at 20 radii as "
            "truth. Resumable and independent of the number of workers."),
        formatter_class=HelpFormatter)
    _add_suite_arguments(discs)
    discs.add_argument("--realisations", type=positive_int, default=3,
                       help="observations per galaxy")
    discs.add_argument("--instrument", choices=("varied", "paper"), default="varied",
                       help="instrument preset of the prior (paper: de los Rios et al. 2023)")
    discs.add_argument("--channels", default="u,g,r,i,z,mom0,mom1,mom2",
                       help="comma-separated channels to store")
    discs.add_argument("--n-stars", type=positive_int, default=20000,
                       help="star particles per galaxy")
    discs.add_argument("--n-gas", type=positive_int, default=20000,
                       help="gas particles per galaxy")
    discs.add_argument("--prior", default=None, metavar="JSON",
                       help="changes to the default disc prior as a JSON object of "
                            "DefaultDiscPrior arguments, e.g. NFW haloes with the Moster et al. "
                            "(2013) relation: '{\"halo_relation\": \"moster13\", "
                            "\"shmr_scatter\": 0.15, \"c_scatter\": 0.1, "
                            "\"contraction_range\": [0, 0], \"agn_core_max\": 0, "
                            "\"dc14_core_scale\": 0}'")
    discs.set_defaults(func=_discs)


def _add_suite_arguments(parser):
    """Add the arguments every ``simulate`` command shares (size, output, seed, workers)."""
    parser.add_argument("--n-galaxies", type=positive_int, required=True,
                        help="number of galaxies")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="suite seed")
    parser.add_argument("--workers", type=positive_int, default=None,
                        help="local worker processes (default: all CPU cores)")
    parser.add_argument("--chunk-size", type=positive_int, default=None,
                        help="galaxies per chunk file (default: 100)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="dask.distributed scheduler address, e.g. tcp://host:8786 "
                             '(needs pip install "dmprofile[distributed]")')
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _help(parser):
    parser.print_help()
    return 2


def _prior_changes(text, cls_name):
    """Parse the ``--prior`` JSON object into a dict (a clear exit for anything else)."""
    import json

    try:
        changes = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"--prior must be a JSON object of {cls_name} arguments: {exc}"
        raise SystemExit(msg) from None
    if not isinstance(changes, dict):
        msg = f"--prior must be a JSON object of {cls_name} arguments, got {text!r}"
        raise SystemExit(msg)
    return changes


def _prior(text, preset="default"):
    from ..simulate import DefaultDwarfPrior

    make = DefaultDwarfPrior.broad if preset == "broad" else DefaultDwarfPrior
    if text is None:
        return None if preset == "default" else make()
    changes = _prior_changes(text, "DefaultDwarfPrior")
    try:
        return make(**changes)
    except (TypeError, ValueError) as exc:
        raise SystemExit(f"--prior: {exc}") from None


def _dwarfs(args):
    from ..suites import generate_dwarf_suite, read_suite

    path = generate_dwarf_suite(args.out, n_galaxies=args.n_galaxies, projections=args.projections,
                                seed=args.seed, workers=args.workers, chunk_size=args.chunk_size,
                                scheduler=args.scheduler, progress=not args.no_progress,
                                prior=_prior(args.prior, args.prior_preset))
    suite = read_suite(path)
    print(f"wrote {len(suite)} mocks ({args.n_galaxies} galaxies x {args.projections} projections, "
          f"{len(suite.rejected)} rejected draws) to {path}")
    print(f"sha256 {suite.checksum}")
    return 0


def _discs(args):
    from ..simulate import DefaultDiscPrior
    from ..suites import generate_disc_suite, read_suite

    channels = tuple(c.strip() for c in args.channels.split(",") if c.strip())
    changes = {} if args.prior is None else _prior_changes(args.prior, "DefaultDiscPrior")
    try:
        prior = DefaultDiscPrior(instrument=args.instrument, **changes)
    except (TypeError, ValueError) as exc:
        raise SystemExit(f"--prior: {exc}") from None
    path = generate_disc_suite(args.out, n_galaxies=args.n_galaxies,
                               realisations=args.realisations, seed=args.seed,
                               workers=args.workers, chunk_size=args.chunk_size,
                               prior=prior,
                               channels=channels, n_stars=args.n_stars, n_gas=args.n_gas,
                               scheduler=args.scheduler, progress=not args.no_progress)
    suite = read_suite(path)
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    print(f"wrote {len(suite)} realisations ({args.n_galaxies} galaxies x "
          f"{args.realisations}) to {path}: {size / 1e6:.1f} MB on disk")
    print(f"sha256 {suite.checksum}")
    return 0


def _register_train_evaluate(subparsers):
    """Add ``dmprofile train slope|mass`` and ``dmprofile evaluate slope|mass``."""
    train = subparsers.add_parser("train", help="train a network on a simulated suite")
    train_sub = train.add_subparsers(dest="target", metavar="TARGET", required=True)
    p = train_sub.add_parser("slope", help="train the mixture-density CNN for gamma_150",
                             description="Train the slope network on a suite written by "
                                         "`dmprofile simulate dwarfs`; interrupted runs resume "
                                         "from the last checkpoint in MODEL_DIR.")
    p.add_argument("--data", required=True, metavar="SUITE_DIR", help="suite directory")
    p.add_argument("--out", required=True, metavar="MODEL_DIR", help="output model directory")
    p.add_argument("--epochs", type=positive_int, default=100,
                   help="maximum number of epochs (100)")
    p.add_argument("--batch-size", type=positive_int, default=64, help="mini-batch size (64)")
    p.add_argument("--seed", type=non_negative_int, default=0,
                   help="seed of split, weights, shuffling (0)")
    p.add_argument("--patience", type=int, default=10,
                   help="early-stopping patience in epochs (10)")
    p.add_argument("--lr-patience", type=int, default=3,
                   help="halve the learning rate after this many epochs without improvement "
                        "(3; 0 keeps it constant)")
    p.add_argument("--learning-rate", type=float, default=1e-3, help="Adam learning rate (1e-3)")
    p.add_argument("--val-fraction", type=float, default=0.1,
                   help="fraction of galaxies for validation (0.1)")
    p.add_argument("--test-fraction", type=float, default=0.1,
                   help="fraction of galaxies held out for testing (0.1)")
    p.add_argument("--restart", action="store_true",
                   help="ignore an existing checkpoint and start afresh")
    p.add_argument("--calibrate", action="store_true",
                   help="then calibrate the posteriors against the star count and store the "
                        "factors in the model card (a finished MODEL_DIR is only calibrated)")
    p.add_argument("--calibration-suite", metavar="CAL_SUITE",
                   help="an independent suite from the training prior (another seed) to "
                        "calibrate on, all its galaxies (default: the validation galaxies of "
                        "SUITE); never a test suite")
    p.add_argument("--calibration-method", choices=("width", "shape"), default="width",
                   help="width: one width factor linear in log10 N (default); shape: a factor "
                        "on the Monte-Carlo centres' spread and one on the component widths "
                        "per star-count bin (wants a few thousand galaxies per bin)")
    p.add_argument("--quiet", "--no-progress", dest="quiet", action="store_true",
                   help="no progress bar")
    p.set_defaults(func=_train_slope)
    add_train_mass(train_sub)

    evaluate = subparsers.add_parser("evaluate", help="evaluate a trained network")
    eval_sub = evaluate.add_subparsers(dest="target", metavar="TARGET", required=True)
    p = eval_sub.add_parser("slope", help="score the slope network on a test suite",
                            description="Write JSON + markdown reports and figures. With the "
                                        "model's training suite only its held-out test galaxies "
                                        "are used; a separate suite is used whole.")
    p.add_argument("--data", required=True, metavar="TEST_SUITE", help="suite directory")
    p.add_argument("--model", default="default", help="'default' or a model directory")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--n-passes", type=positive_int, default=100,
                   help="Monte-Carlo passes (100)")
    p.add_argument("--seed", type=non_negative_int, default=0,
                   help="seed of the dropout masks (0)")
    p.add_argument("--split", choices=("auto", "test", "all"), default="auto",
                   help="rows to use (auto: the test split of the training suite, else all)")
    p.set_defaults(func=_evaluate_slope)
    add_evaluate_mass(eval_sub)


def _train_slope(args):
    from ..nets import train_slope

    model = train_slope(args.data, args.out, epochs=args.epochs, batch_size=args.batch_size,
                        seed=args.seed, patience=args.patience, learning_rate=args.learning_rate,
                        lr_patience=args.lr_patience,
                        val_fraction=args.val_fraction, test_fraction=args.test_fraction,
                        resume=not args.restart, progress=not args.quiet)
    training = model.card["training"]
    print(f"trained {model!r}: {training['epochs_run']} epochs, best epoch "
          f"{training['best_epoch']} (validation NLL {training['best_val_nll']:.4f})")
    for key, value in model.card["metrics"].get("validation", {}).items():
        print(f"  validation {key}: {value:.4g}" if isinstance(value, float)
              else f"  validation {key}: {value}")
    if args.calibrate:
        from ..nets import calibrate_slope

        entry = calibrate_slope(args.out, args.calibration_suite or args.data,
                                shape=args.calibration_method == "shape")
        knots = ", ".join(f"{10 ** k:.0f}" for k in entry["log10_n_stars"])
        print(f"calibrated on {entry['n_rows']} {entry['split']} rows ({entry['method']}, "
              f"knots at {knots} stars): coverage "
              f"{100 * entry['coverage_before'][0]:.1f}% / "
              f"{100 * entry['coverage_before'][1]:.1f}% -> "
              f"{100 * entry['coverage_after'][0]:.1f}% / {100 * entry['coverage_after'][1]:.1f}%")
    print(f"model written to {args.out}")
    return 0


def _evaluate_slope(args):
    from ..nets import evaluate_slope

    result = evaluate_slope(args.data, args.model, out_dir=args.out, n_passes=args.n_passes,
                            seed=args.seed, split=args.split)
    print(repr(result))
    print(f"reports written to {args.out}")
    return 0
