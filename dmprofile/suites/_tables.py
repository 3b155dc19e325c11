"""Tables and hashes of the suite chunks: rows to columns, masked fills, content hashes."""

import hashlib
from pathlib import Path

import numpy as np
from astropy.table import MaskedColumn, Table

__all__ = ["rows_to_table"]


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_vector(value):
    return not isinstance(value, (str, bytes)) and np.ndim(value) > 0


def _scalar_column(values, present):
    if present and all(isinstance(v, str) for v in present):
        col = np.array(["" if v is None else v for v in values], dtype=str)
        if col.dtype.itemsize == 0 or col.dtype == np.dtype("<U0"):
            col = col.astype("U1")
    elif present and all(isinstance(v, (bool, np.bool_)) for v in present):
        col = np.array([bool(v) if v is not None else False for v in values])
    elif present and all(_is_int(v) for v in present):
        col = np.array([-1 if v is None else int(v) for v in values], dtype=np.int64)
    else:
        col = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    return col


def _vector_column(name, values, present):
    arrays = [np.asarray(v) for v in present]
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays) or not all(_is_vector(v) for v in present):
        msg = f"column '{name}' mixes values of different shapes"
        raise ValueError(msg)
    kinds = {a.dtype.kind for a in arrays}
    if kinds <= {"b"}:
        dtype, fill = bool, False
    elif kinds <= {"i", "u"}:
        dtype, fill = np.int64, -1
    elif kinds <= {"i", "u", "f", "b"}:
        dtype, fill = np.float64, np.nan
    else:
        msg = f"column '{name}': array values must be numeric or boolean, got kinds {kinds}"
        raise ValueError(msg)
    col = np.full((len(values), *shape), fill, dtype=dtype)
    for i, v in enumerate(values):
        if v is not None:
            col[i] = v
    return col


def rows_to_table(rows, fixed=None):
    """Build a `~astropy.table.Table` from a list of dicts (the rows of one chunk).

    Column types follow the values: str, bool, int (int64), else float64; array values of one
    shape give a vector column (e.g. 20 masses per galaxy). Keys missing from some rows are
    filled with NaN, ``""``, ``False`` or -1.

    Parameters
    ----------
    rows : list of dict
        Column name to value.
    fixed : sequence of str, optional
        Column names to put first, in this order.

    Returns
    -------
    `~astropy.table.Table`
        One row per dict.

    Examples
    --------
    >>> import numpy as np
    >>> from dmprofile.suites import rows_to_table
    >>> t = rows_to_table([{"galaxy_id": 0, "log_mass": np.arange(3.0)}, {"galaxy_id": 1}])
    >>> print(t["log_mass"].shape, t["log_mass"][1, 0])
    (2, 3) nan
    """
    names = list(fixed or [])
    for row in rows:
        names.extend(k for k in row if k not in names)
    table = Table()
    for name in names:
        values = [row.get(name) for row in rows]
        present = [v for v in values if v is not None]
        if present and any(_is_vector(v) for v in present):
            table[name] = _vector_column(name, values, present)
        else:
            table[name] = _scalar_column(values, present)
    return table


def fill_masked(table):
    """Replace masked entries after an outer join: NaN for floats, "" for strings, -1 for ints."""
    for name in table.colnames:
        col = table[name]
        if isinstance(col, MaskedColumn):
            kind = col.dtype.kind
            fill = np.nan if kind == "f" else "" if kind in "US" else False if kind == "b" else -1
            table[name] = col.filled(fill)
    return table


def content_hash(arrays, tables):
    """SHA-256 (hex) of the data of a chunk: arrays in order, then every column of every table.

    The hash is the same before writing and after reading back (byte order and FITS string
    padding do not enter it).
    """
    h = hashlib.sha256()
    for array in arrays:
        array = np.asarray(array)
        h.update(np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes())
    for table in tables:
        for name in table.colnames:
            col = np.asarray(table[name])
            h.update(name.encode())
            if col.dtype.kind in "US":
                # FITS drops trailing blanks of strings
                h.update("\0".join(str(v).rstrip() for v in col.ravel()).encode())
            elif col.dtype.kind == "b":
                h.update(col.astype("u1").tobytes())
            elif col.dtype.kind in "iu":
                h.update(col.astype("<i8").tobytes())
            else:
                h.update(col.astype("<f8").tobytes())
    return h.hexdigest()


def files_checksum(directory, names):
    """SHA-256 (hex) of the files ``names`` of ``directory``, in order."""
    h = hashlib.sha256()
    for name in names:
        with open(Path(directory) / name, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()
