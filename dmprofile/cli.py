"""The ``dmprofile`` command line.

The commands are defined in the private package ``dmprofile._cli``, one module per group (see
its docstring): those of one subpackage (``simulate``, ``train``, ``evaluate``, ``jeans``) and
the workflows that combine several (``infer-slope``, ``compare``). Building the parser imports
only the standard library, so ``dmprofile --help`` answers at once; each command imports what it
needs when it runs.
"""

import argparse
import importlib
import sys

from ._version import __version__

__all__ = ["main", "build_parser"]


def build_parser():
    """Build the argument parser with every command.

    Returns
    -------
    parser : `argparse.ArgumentParser`
        The ``dmprofile`` parser.
    """
    from ._cli import COMMAND_MODULES

    parser = argparse.ArgumentParser(
        prog="dmprofile",
        description=("Dark-matter density profiles of galaxies: neural inference and "
                     "classical dynamics."),
    )
    parser.add_argument("--version", action="version", version=f"dmprofile {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}._cli.{name}").register(subparsers)
    return parser


def main(argv=None):
    """Run the ``dmprofile`` command.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    status : int
        The exit status: 0 on success, 1 for an error in the input, 2 for a usage error.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError, ImportError) as exc:
        print(f"dmprofile {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
