"""``dmprofile train slope`` and ``dmprofile evaluate slope`` (`dmprofile.nets`)."""

__all__ = ["register"]


def register(subparsers):
    """Add the ``train`` and ``evaluate`` commands to the ``dmprofile`` parser."""
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
    print(f"model written to {args.out}")
    return 0


def _evaluate_slope(args):
    from ..nets import evaluate_slope

    result = evaluate_slope(args.data, args.model, out_dir=args.out, n_passes=args.n_passes,
                            seed=args.seed, split=args.split)
    print(repr(result))
    print(f"reports written to {args.out}")
    return 0
