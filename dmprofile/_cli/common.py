"""Helpers shared by the commands: reading catalogues, galaxy-parameter flags, saving figures."""

from pathlib import Path

__all__ = ["add_catalogue_arguments", "galaxy_parameters", "read_catalogue", "save_figure",
           "write_table"]


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
    parser.add_argument("--member-threshold", type=float, default=None,
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
    """
    from astropy.table import Table

    path = Path(args.file)
    if not path.exists():
        msg = f"no such file: {path}"
        raise FileNotFoundError(msg)
    return Table.read(path, format=args.format)


def write_table(table, path, fmt="ascii.ecsv"):
    """Write ``table`` to ``path`` atomically.

    Parameters
    ----------
    table : `~astropy.table.Table`
        The table.
    path : str or `~pathlib.Path`
        The output file.
    fmt : str
        The astropy table format.
    """
    from .._utils import atomic_path

    with atomic_path(path) as tmp:
        table.write(tmp, format=fmt, overwrite=True)
    print(f"wrote {path}")


def save_figure(fig, path):
    """Save a matplotlib figure atomically (format from the suffix, default PNG) and close it.

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
