"""``dmprofile simulate dwarfs``: a training suite of mock dwarf galaxies (`dmprofile.suites`)."""

import argparse

__all__ = ["register"]


def register(subparsers):
    """Add ``dmprofile simulate ...`` to the top-level subparsers."""
    simulate = subparsers.add_parser(
        "simulate", help="simulate equilibrium dwarf galaxies and training suites",
        description="Simulate equilibrium dwarf galaxies and training suites.")
    commands = simulate.add_subparsers(dest="simulate_command", metavar="SUBCOMMAND")
    simulate.set_defaults(func=lambda args: _help(simulate))

    dwarfs = commands.add_parser(
        "dwarfs", help="generate a training suite of mock dwarf galaxies",
        description=(
            "Generate a training suite of mock dwarf galaxies drawn from the default prior "
            "(or a variant of it, --prior): "
            "chunked FITS files with the phase-space images and truth tables, plus "
            "manifest.json. A killed run restarted with the same arguments resumes where it "
            "stopped; the result does not depend on the number of workers."),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    dwarfs.add_argument("--n-galaxies", type=int, required=True, help="number of galaxies")
    dwarfs.add_argument("--projections", type=int, default=5, help="lines of sight per galaxy")
    dwarfs.add_argument("--out", required=True, help="output directory")
    dwarfs.add_argument("--seed", type=int, default=0, help="suite seed")
    dwarfs.add_argument("--workers", type=int, default=None,
                        help="local worker processes (default: all CPU cores)")
    dwarfs.add_argument("--chunk-size", type=int, default=None,
                        help="galaxies per chunk file (default: 100)")
    dwarfs.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="dask.distributed scheduler address, e.g. tcp://host:8786 "
                             '(needs pip install "dmprofile[distributed]")')
    dwarfs.add_argument("--prior", default=None, metavar="JSON",
                        help="changes to the default prior as a JSON object of DefaultDwarfPrior "
                             'arguments, e.g. \'{"family_weights": {"nfw": 1}}\'')
    dwarfs.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    dwarfs.set_defaults(func=_dwarfs)


def _help(parser):
    parser.print_help()
    return 2


def _prior(text):
    import json

    from ..simulate import DefaultDwarfPrior

    if text is None:
        return None
    try:
        changes = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"--prior must be a JSON object of DefaultDwarfPrior arguments: {exc}"
        raise SystemExit(msg) from None
    if not isinstance(changes, dict):
        msg = f"--prior must be a JSON object of DefaultDwarfPrior arguments, got {text!r}"
        raise SystemExit(msg)
    try:
        return DefaultDwarfPrior(**changes)
    except (TypeError, ValueError) as exc:
        raise SystemExit(f"--prior: {exc}") from None


def _dwarfs(args):
    from ..suites import generate_dwarf_suite, read_suite

    path = generate_dwarf_suite(args.out, n_galaxies=args.n_galaxies, projections=args.projections,
                                seed=args.seed, workers=args.workers, chunk_size=args.chunk_size,
                                scheduler=args.scheduler, progress=not args.no_progress,
                                prior=_prior(args.prior))
    suite = read_suite(path)
    print(f"wrote {len(suite)} mocks ({args.n_galaxies} galaxies x {args.projections} projections, "
          f"{len(suite.rejected)} rejected draws) to {path}")
    print(f"sha256 {suite.checksum}")
    return 0
