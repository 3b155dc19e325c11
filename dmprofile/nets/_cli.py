"""Commands of `dmprofile.nets`: ``train slope``, ``evaluate slope`` and ``infer-slope``.

This module is imported by ``dmprofile --help``: it must stay light, so Keras and the heavy
parts of dmprofile are imported inside the handlers.
"""

import sys
from pathlib import Path

__all__ = ["register"]


def register(subparsers):
    """Add the ``train``, ``evaluate`` and ``infer-slope`` commands to the ``dmprofile`` parser."""
    train = subparsers.add_parser("train", help="train a network on a simulated suite")
    train_sub = train.add_subparsers(dest="target", metavar="TARGET", required=True)
    p = train_sub.add_parser("slope", help="train the mixture-density CNN for gamma_150",
                             description="Train the slope network on a suite written by "
                                         "`dmprofile simulate dwarfs`; interrupted runs resume "
                                         "from the last checkpoint in MODEL_DIR.")
    p.add_argument("--data", required=True, metavar="SUITE_DIR", help="suite directory")
    p.add_argument("--out", required=True, metavar="MODEL_DIR", help="output model directory")
    p.add_argument("--epochs", type=int, default=100, help="maximum number of epochs (100)")
    p.add_argument("--batch-size", type=int, default=64, help="mini-batch size (64)")
    p.add_argument("--seed", type=int, default=0, help="seed of split, weights, shuffling (0)")
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
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_train_slope)

    evaluate = subparsers.add_parser("evaluate", help="evaluate a trained network")
    eval_sub = evaluate.add_subparsers(dest="target", metavar="TARGET", required=True)
    p = eval_sub.add_parser("slope", help="score the slope network on a test suite",
                            description="Write JSON + markdown reports and figures. With the "
                                        "model's training suite only its held-out test galaxies "
                                        "are used; a separate suite is used whole.")
    p.add_argument("--data", required=True, metavar="TEST_SUITE", help="suite directory")
    p.add_argument("--model", default="default", help="'default' or a model directory")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--n-passes", type=int, default=100, help="Monte-Carlo passes (100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the dropout masks (0)")
    p.add_argument("--split", choices=("auto", "test", "all"), default="auto",
                   help="rows to use (auto: the test split of the training suite, else all)")
    p.set_defaults(func=_evaluate_slope)

    p = subparsers.add_parser("infer-slope", help="posterior of gamma_150 for a star catalogue",
                              description="Read a star catalogue (FITS, ECSV, any format astropy "
                                          "reads) and print the posterior of the dark-matter "
                                          "log-slope at 150 pc.")
    p.add_argument("file", metavar="FILE", help="star catalogue")
    p.add_argument("--model", default="default", help="'default' or a model directory")
    p.add_argument("--n-passes", type=int, default=100, help="Monte-Carlo passes (100)")
    p.add_argument("--seed", type=int, default=None, help="seed of the dropout masks")
    p.add_argument("--member-threshold", type=float, default=None,
                   help="keep stars with p_member >= this (default: weight by p_member)")
    p.add_argument("--r-half", type=float, default=None, metavar="KPC",
                   help="half-light radius in kpc (default: table meta or estimated)")
    p.add_argument("--v-sys", type=float, default=None, metavar="KM_S",
                   help="systemic velocity in km/s (default: table meta or estimated)")
    p.add_argument("--distance", type=float, default=None, metavar="KPC",
                   help="distance in kpc, for ra/dec catalogues (default: table meta)")
    p.add_argument("--format", default=None, help="astropy table format, if not guessed")
    p.add_argument("--plot", default=None, metavar="PNG", help="save the posterior plot")
    p.add_argument("--output", default=None, metavar="ECSV", help="save the posterior table")
    p.set_defaults(func=_infer_slope)


def _train_slope(args):
    from ._training import train_slope

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
    print(f"model written to {args.out}")
    return 0


def _evaluate_slope(args):
    from ._evaluation import evaluate_slope

    result = evaluate_slope(args.data, args.model, out_dir=args.out, n_passes=args.n_passes,
                            seed=args.seed, split=args.split)
    print(repr(result))
    print(f"reports written to {args.out}")
    return 0


def _infer_slope(args):
    from astropy import units as u
    from astropy.table import Table

    from .._infer import infer_slope

    table = Table.read(args.file, format=args.format)
    params = {}
    if args.member_threshold is not None:
        params["member_threshold"] = args.member_threshold
    for key, unit in (("r_half", u.kpc), ("v_sys", u.km / u.s), ("distance", u.kpc)):
        value = getattr(args, key)
        if value is not None:
            params[key] = value * unit
    post = infer_slope(table, model=args.model, n_passes=args.n_passes, seed=args.seed,
                       **params)
    print(post.summary())
    if args.output:
        post.write(args.output, overwrite=True)
        print(f"posterior table written to {args.output}")
    if args.plot:
        from .._utils import require

        plt = require("matplotlib.pyplot", "plot")
        fig, ax = plt.subplots(figsize=(6, 4))
        post.plot(ax=ax)
        ax.set_title(Path(args.file).name)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        plt.close(fig)
        print(f"plot written to {args.plot}", file=sys.stdout)
    return 0
