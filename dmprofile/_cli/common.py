"""Helpers shared by the commands: catalogue and galaxy flags, seeds, checked outputs.

Every analysis command (``infer-slope``, ``jeans``, ``compare``) takes the same catalogue and
galaxy flags (`add_catalogue_arguments`) and the same run flags (`add_run_arguments`:
``--seed``, ``--plot``, ``--output``, ``--no-progress``); outputs are checked before the
computation (`check_output`: known suffix, writable folder, missing folders created) and the
seed is drawn and printed when none is given (`resolve_seed`).
"""

import argparse
from pathlib import Path

__all__ = ["add_catalogue_arguments", "add_run_arguments", "galaxy_parameters",
           "read_catalogue", "save_figure", "write_table", "HelpFormatter", "positive_int",
           "positive_float",
           "non_negative_int", "fraction", "check_output", "resolve_seed", "TABLE_FORMATS",
           "FIGURE_SUFFIXES", "POSTERIOR_SUFFIXES"]

#: Output table suffixes and their astropy formats.
TABLE_FORMATS = {".ecsv": "ascii.ecsv", ".fits": "fits", ".fit": "fits", ".csv": "ascii.csv"}
#: Suffixes of a posterior file (`~dmprofile.results.SlopePosterior.write`).
POSTERIOR_SUFFIXES = (".ecsv", ".fits", ".fit")
#: Figure suffixes matplotlib writes.
FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff",
                   ".webp")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Add ``(default: ...)`` to an option's help once: not when the help already says it."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text.lower() or action.default in (None, False, argparse.SUPPRESS):
            return text
        return super()._get_help_string(action)


def positive_int(text):
    """Argparse type: an integer >= 1."""
    return _int(text, 1, "a positive integer")


def positive_float(text):
    """Argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value > 0 and value < float("inf")):
        msg = f"must be a positive number, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def non_negative_int(text):
    """Argparse type: an integer >= 0."""
    return _int(text, 0, "an integer >= 0")


def _int(text, minimum, what):
    try:
        value = int(text)
    except ValueError:
        msg = f"must be {what}, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if value < minimum:
        msg = f"must be {what}, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def fraction(text):
    """Argparse type: a number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 1:
        msg = f"must be a number in [0, 1], got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def add_run_arguments(parser, *, seed_help, plot_help, output_help, output_kind="table"):
    """Add ``--seed``, ``--plot``, ``--output`` and ``--no-progress`` to an analysis command.

    Parameters
    ----------
    parser : `argparse.ArgumentParser`
        The command's parser.
    seed_help, plot_help, output_help : str
        What the seed seeds, what the figure and the table hold.
    output_kind : {"table", "posterior"}
        What ``--output`` writes (it sets the suffixes listed in the help).
    """
    suffixes = POSTERIOR_SUFFIXES if output_kind == "posterior" else tuple(TABLE_FORMATS)
    parser.add_argument("--seed", type=non_negative_int, default=None,
                        help=f"{seed_help} (default: drawn at random, printed and recorded)")
    parser.add_argument("--plot", default=None, metavar="FIGURE",
                        help=f"save {plot_help} ({', '.join(FIGURE_SUFFIXES[:3])}...)")
    parser.add_argument("--output", default=None, metavar="TABLE",
                        help=f"save {output_help} ({', '.join(suffixes)})")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def check_output(path, kind):
    """Check an output path before the computation; create its missing folders.

    Parameters
    ----------
    path : str or None
        The path given on the command line (None: nothing to check).
    kind : {"table", "posterior", "figure"}
        What will be written there (it sets the known suffixes).

    Returns
    -------
    `~pathlib.Path` or None
        The path.

    Raises
    ------
    ValueError
        For an unknown suffix, a folder, or a folder that cannot be written.
    """
    if path is None:
        return None
    path = Path(path)
    known = {"table": tuple(TABLE_FORMATS), "posterior": POSTERIOR_SUFFIXES,
             "figure": FIGURE_SUFFIXES}[kind]
    if path.suffix.lower() not in known:
        msg = (f"cannot write a {kind} to {path}: unknown suffix {path.suffix or '(none)'!r}; "
               f"use one of {', '.join(known)}")
        raise ValueError(msg)
    if path.is_dir():
        msg = f"cannot write a {kind} to {path}: it is a folder"
        raise ValueError(msg)
    import os

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot create the folder {path.parent} for {path}: {exc.strerror or exc}"
        raise ValueError(msg) from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        msg = f"cannot write to {path}: the folder {path.parent} is not writable"
        raise ValueError(msg)
    return path


def resolve_seed(args):
    """Return the ``--seed`` given, or draw one; print it either way.

    Parameters
    ----------
    args : `argparse.Namespace`
        Parsed arguments with ``seed``.

    Returns
    -------
    int
        The seed of the run (also stored in ``args.seed``).
    """
    from .._utils import draw_seed

    drawn = args.seed is None
    if drawn:
        args.seed = draw_seed()
    print(f"seed = {args.seed}" + (" (drawn; pass --seed to repeat this run)" if drawn else ""))
    return args.seed


def add_catalogue_arguments(parser):
    """Add the star-catalogue arguments shared by ``infer-slope``, ``jeans`` and ``compare``.

    Parameters
    ----------
    parser : `argparse.ArgumentParser`
        The command's parser.
    """
    parser.add_argument("file", metavar="FILE", help="star catalogue (FITS, ECSV, ...)")
    parser.add_argument("--format", default=None,
                        help="astropy table format, if not guessed from the file name")
    parser.add_argument("--member-threshold", type=fraction, default=None,
                        help="keep stars with p_member >= this (default: weight by p_member)")
    parser.add_argument("--r-half", type=float, default=None, metavar="KPC",
                        help="half-light radius in kpc (default: table meta or estimated)")
    parser.add_argument("--v-sys", type=float, default=None, metavar="KM_S",
                        help="systemic velocity in km/s (default: table meta or estimated)")
    parser.add_argument("--distance", type=float, default=None, metavar="KPC",
                        help="distance in kpc, for ra/dec catalogues (default: table meta)")


def galaxy_parameters(args):
    """Return the galaxy keywords given on the command line, as Quantities.

    Parameters
    ----------
    args : `argparse.Namespace`
        Parsed arguments of a command with `add_catalogue_arguments`.

    Returns
    -------
    params : dict
        ``member_threshold``, ``r_half``, ``v_sys`` and ``distance`` where given.
    """
    from astropy import units as u

    params = {}
    if args.member_threshold is not None:
        params["member_threshold"] = args.member_threshold
    for key, unit in (("r_half", u.kpc), ("v_sys", u.km / u.s), ("distance", u.kpc)):
        value = getattr(args, key)
        if value is not None:
            params[key] = value * unit
    return params


def read_catalogue(args):
    """Read the star catalogue named on the command line.

    Parameters
    ----------
    args : `argparse.Namespace`
        Parsed arguments with ``file`` and ``format``.

    Returns
    -------
    table : `~astropy.table.Table`
        The catalogue.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it is empty or not a table (see `dmprofile.kinematics.read_catalogue`).
    """
    from ..kinematics import read_catalogue as read

    return read(args.file, format=args.format)


def write_table(table, path, fmt=None):
    """Write ``table`` to ``path`` atomically (missing folders are created).

    Parameters
    ----------
    table : `~astropy.table.Table`
        The table.
    path : str or `~pathlib.Path`
        The output file.
    fmt : str, optional
        The astropy table format (default: from the suffix, `TABLE_FORMATS`).
    """
    from .._utils import atomic_path

    fmt = fmt or TABLE_FORMATS.get(Path(path).suffix.lower(), "ascii.ecsv")
    with atomic_path(path) as tmp:
        table.write(tmp, format=fmt, overwrite=True)
    print(f"wrote {path}")


def save_figure(fig, path):
    """Save a matplotlib figure atomically (format from the suffix) and close it.

    Parameters
    ----------
    fig : `matplotlib.figure.Figure`
        The figure.
    path : str or `~pathlib.Path`
        The output file.
    """
    from .._utils import atomic_path, require

    plt = require("matplotlib.pyplot", "plot")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format=Path(path).suffix.lstrip(".") or "png")
    plt.close(fig)
    print(f"wrote {path}")
