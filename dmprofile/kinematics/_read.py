"""Reading a star-catalogue file, with one clear error for each ordinary mistake."""

from pathlib import Path

__all__ = ["read_catalogue"]


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _fits_duplicates(path):
    """Column names that occur twice in a FITS binary or ASCII table (empty if none or not FITS)."""
    from astropy.io import fits

    try:
        with fits.open(path, memmap=False) as hdul:
            for hdu in hdul:
                if isinstance(hdu, (fits.BinTableHDU, fits.TableHDU)):
                    n = int(hdu.header.get("TFIELDS", 0))
                    names = [str(hdu.header.get(f"TTYPE{i}", "")).strip() for i in
                             range(1, n + 1)]
                    lowered = [name.lower() for name in names]
                    return sorted({name for name in names if lowered.count(name.lower()) > 1})
    except (OSError, ValueError):
        return []
    return []


def read_catalogue(path, *, format=None):
    """Read a star catalogue from a file (FITS, ECSV or any table format astropy reads).

    `~astropy.table.Table.read` with errors that say what is wrong with the file: missing,
    a folder, empty, not a table in a known format, a FITS table with duplicate column
    names. The columns are checked later, by `StarCatalogue.from_table`.

    Parameters
    ----------
    path : str or `~pathlib.Path`
        The file.
    format : str, optional
        The astropy table format (e.g. ``"fits"``, ``"ascii.ecsv"``), when the file name does
        not tell it.

    Returns
    -------
    `~astropy.table.Table`
        The catalogue, with its ``meta``.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it is a folder, empty, or cannot be read as a table.

    Examples
    --------
    >>> from dmprofile.kinematics import read_catalogue
    >>> read_catalogue("no_such_file.fits")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no such file: no_such_file.fits
    """
    from astropy.io.registry import IORegistryError
    from astropy.table import Table

    path = Path(path)
    if not path.exists():
        msg = f"no such file: {path}"
        raise FileNotFoundError(msg)
    if path.is_dir():
        msg = f"{path} is a folder, not a catalogue file"
        raise ValueError(msg)
    if path.stat().st_size == 0:
        msg = f"{path} is empty"
        raise ValueError(msg)
    try:
        return Table.read(path, format=format)
    except (IORegistryError, OSError, ValueError, TypeError, KeyError, UnicodeDecodeError,
            IndexError) as exc:
        duplicates = _fits_duplicates(path)
        if duplicates:
            msg = f"{path} has duplicate column names {duplicates}: rename them"
            raise ValueError(msg) from None
        hint = "" if format else " (give its table format, e.g. 'ascii.ecsv')"
        msg = (f"cannot read {path} as a table in a known format (FITS, ECSV, CSV...){hint}: "
               f"{_first_line(exc)}")
        raise ValueError(msg) from None
