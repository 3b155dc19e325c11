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
        The exit status: 0 on success, 1 for an error in the input (one line on standard
        error, no traceback), 2 for a usage error, 130 when interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"dmprofile {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if not _is_input_error(exc):
            raise
        print(f"dmprofile {args.command}: error: {_message(exc)}", file=sys.stderr)
        return 1


def _is_input_error(exc):
    """Whether ``exc`` reports a mistake in the input (printed as one line, no traceback).

    Wrong values, types, units, missing columns or files, unreadable files: the built-in
    exceptions dmprofile raises for bad input, and the errors astropy raises when reading a
    file or converting units.
    """
    if isinstance(exc, (ValueError, TypeError, KeyError, OSError, ImportError)):
        return True
    module = type(exc).__module__ or ""
    return module.startswith(("astropy.io", "astropy.units"))


def _message(exc):
    """One line: the message of ``exc`` (a KeyError's without its quotes)."""
    if isinstance(exc, KeyError) and exc.args and type(exc).__str__ is KeyError.__str__:
        text = str(exc.args[0])
    else:
        text = str(exc) or type(exc).__name__
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__

if __name__ == "__main__":
    sys.exit(main())
