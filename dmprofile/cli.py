"""The ``dmprofile`` command line.

Each subpackage that offers commands has a private ``_cli`` module with a
``register(subparsers)`` function; this module only collects them, so that
``dmprofile --help`` stays fast and TensorFlow is imported only by the commands that need it.
"""

import argparse
import importlib
import sys

from ._version import __version__

__all__ = ["main"]

# Modules providing ``register(subparsers)``; a missing one is skipped so that the command line
# keeps working while a subpackage is optional.
_COMMAND_MODULES = (
    "dmprofile.suites._cli",
    "dmprofile.nets._cli",
    "dmprofile.classical._cli",
)


def build_parser():
    """Build the argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="dmprofile",
        description=("Dark-matter density profiles of galaxies: neural inference and "
                     "classical dynamics."),
    )
    parser.add_argument("--version", action="version", version=f"dmprofile {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv=None):
    """Entry point of the ``dmprofile`` command; returns the exit status."""
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
