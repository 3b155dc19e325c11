"""Private helpers shared by the subpackages: unit checks, constants, atomic writes."""

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np
from astropy import constants as const
from astropy import units as u

__all__ = []

#: Gravitational constant in kpc (km/s)^2 / Msun, the internal unit system of dmprofile.
G_KPC = const.G.to_value(u.kpc * u.km**2 / u.s**2 / u.Msun)

#: Internal units: lengths in kpc, velocities in km/s, masses in Msun.
LENGTH = u.kpc
VELOCITY = u.km / u.s
MASS = u.Msun
DENSITY = u.Msun / u.kpc**3


def unit_scale(from_unit, unit, what):
    """Return the factor converting ``from_unit`` to ``unit``.

    Raise `~astropy.units.UnitTypeError` naming ``what`` (e.g. "argument 'r_half'") if the
    physical types differ.
    """
    try:
        return from_unit.to(unit)
    except u.UnitConversionError:
        msg = (f"{what} must have {unit.physical_type} units (e.g. {unit}), "
               f"got {from_unit!s} ({from_unit.physical_type})")
        raise u.UnitTypeError(msg) from None


def as_value(value, unit, name, *, scalar=False, positive=False, allow_zero=True):
    """Convert a Quantity argument to a float (array) in ``unit``.

    Parameters
    ----------
    value : `~astropy.units.Quantity`
        The user input.
    unit : `~astropy.units.UnitBase`
        The unit to convert to; its physical type is the one expected.
    name : str
        The argument name, used in error messages.
    scalar : bool
        Require a scalar.
    positive : bool
        Require values > 0 (or >= 0 when ``allow_zero``).

    Raises
    ------
    TypeError
        If ``value`` is not a Quantity (bare numbers are never given a unit).
    astropy.units.UnitTypeError
        If the physical type is wrong.
    ValueError
        If the value is not finite, not scalar or not positive as required.
    """
    unit = u.Unit(unit)
    if not isinstance(value, u.Quantity):
        msg = (f"argument '{name}' must be an astropy Quantity with {unit.physical_type} units "
               f"(e.g. {unit}), got {type(value).__name__} {value!r}")
        raise TypeError(msg)
    out = np.asarray(value.value, dtype=float) * unit_scale(value.unit, unit, f"argument '{name}'")
    if scalar and out.ndim != 0:
        msg = f"argument '{name}' must be a scalar, got shape {out.shape}"
        raise ValueError(msg)
    if not np.all(np.isfinite(out)):
        msg = f"argument '{name}' must be finite, got {value!r}"
        raise ValueError(msg)
    if positive:
        bad = out < 0 if allow_zero else out <= 0
        if np.any(bad):
            relation = ">= 0" if allow_zero else "> 0"
            msg = f"argument '{name}' must be {relation}, got {value!r}"
            raise ValueError(msg)
    return float(out) if scalar else out


class MissingColumnError(KeyError, ValueError):
    """A required table column is absent (a KeyError and a ValueError, with a readable message)."""

    __str__ = Exception.__str__


def column_values(table, name, unit, *, required=True, finite=False, what="table"):
    """Column ``name`` of ``table`` as a 1-D float ndarray in ``unit``; masked entries are NaN.

    Parameters
    ----------
    table : `~astropy.table.Table` or `~astropy.table.QTable`
    name : str
        Column name.
    unit : `~astropy.units.UnitBase`
        The unit to convert to; its physical type is the one expected. For dimensionless
        columns a plain column (no unit) is accepted.
    required : bool
        Raise when the column is missing (else return None).
    finite : bool
        Raise if any value is NaN or infinite.
    what : str
        How the table is called in error messages.

    Raises
    ------
    MissingColumnError
        If a required column is missing.
    astropy.units.UnitTypeError
        If the column has no unit or the wrong physical type.
    ValueError
        If the column is not 1-D or (with ``finite``) has non-finite values.
    """
    if name not in table.colnames:
        if required:
            msg = f"{what} has no column {name!r} (columns are {table.colnames})"
            raise MissingColumnError(msg)
        return None
    col = table[name]
    col_unit = getattr(col, "unit", None)
    unit = u.Unit(unit)
    if unit == u.dimensionless_unscaled:
        if col_unit is not None and col_unit != u.dimensionless_unscaled:
            msg = f"column {name!r} must be dimensionless, got unit {col_unit}"
            raise u.UnitTypeError(msg)
        scale = 1.0
    else:
        if col_unit is None or col_unit == u.dimensionless_unscaled:
            msg = (f"column {name!r} must have {unit.physical_type} units (e.g. {unit}), "
                   f"got no unit")
            raise u.UnitTypeError(msg)
        scale = unit_scale(col_unit, unit, f"column {name!r}")
    if hasattr(col, "unmasked"):  # astropy Masked Quantity
        raw = col.unmasked.value
        mask = np.asarray(col.mask)
    else:
        data = col.value if isinstance(col, u.Quantity) else col
        mask = np.ma.getmaskarray(data)
        raw = np.ma.getdata(data)
    kind = np.asarray(raw).dtype.kind
    if kind not in "biuf":
        msg = (f"column {name!r} of {what} must hold numbers, got {np.asarray(raw).dtype} "
               f"values such as {np.asarray(raw).ravel()[:1].tolist()}")
        raise TypeError(msg)
    values = np.asarray(raw, dtype=float).copy()
    if values.ndim != 1:
        msg = f"column {name!r} must be one-dimensional, got shape {values.shape}"
        raise ValueError(msg)
    values[mask] = np.nan
    values *= scale
    if finite and not np.all(np.isfinite(values)):
        n_bad = np.count_nonzero(~np.isfinite(values))
        msg = f"column {name!r} of {what} contains {n_bad} non-finite (or masked) values"
        raise ValueError(msg)
    return values


def as_dimensionless(value, name, *, scalar=True):
    """Accept a plain number or a dimensionless Quantity; return a float (array)."""
    if isinstance(value, u.Quantity):
        try:
            value = value.to_value(u.dimensionless_unscaled)
        except u.UnitConversionError:
            msg = f"argument '{name}' must be dimensionless, got {value.unit!s}"
            raise u.UnitTypeError(msg) from None
    if isinstance(value, (str, bytes, bool, np.bool_)):
        msg = f"argument '{name}' must be a number, got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    try:
        out = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        msg = f"argument '{name}' must be a number, got {type(value).__name__} {value!r}"
        raise TypeError(msg) from None
    if scalar and out.ndim != 0:
        msg = f"argument '{name}' must be a scalar, got shape {out.shape}"
        raise ValueError(msg)
    if not np.all(np.isfinite(out)):
        msg = f"argument '{name}' must be finite, got {value!r}"
        raise ValueError(msg)
    return float(out) if scalar else out


def as_int(value, name, *, minimum=None):
    """Return ``value`` as an int; raise naming the argument if it is not a whole number.

    Integers (and whole floats such as ``100.0``) are accepted; strings, booleans and
    fractional numbers raise `TypeError`, values below ``minimum`` raise `ValueError`.
    """
    whole = isinstance(value, (int, np.integer)) or (
        isinstance(value, (float, np.floating)) and bool(np.isfinite(value))
        and float(value).is_integer())
    if isinstance(value, (bool, np.bool_)) or not whole:
        msg = f"argument '{name}' must be an integer, got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    value = int(value)
    if minimum is not None and value < minimum:
        msg = f"argument '{name}' must be >= {minimum}, got {value}"
        raise ValueError(msg)
    return value


def check_seed(seed, name="seed", *, generators=False):
    """Validate a seed and return it (integers as int).

    A seed is None or an integer >= 0, or with ``generators`` also a `numpy.random.SeedSequence`
    or `numpy.random.Generator`; anything else raises naming the argument.
    """
    if seed is None:
        return None
    if generators and isinstance(seed, (np.random.SeedSequence, np.random.Generator)):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        kinds = "None, an integer >= 0" + (", a SeedSequence or a Generator" if generators else "")
        msg = f"argument '{name}' must be {kinds}, got {type(seed).__name__} {seed!r}"
        raise TypeError(msg)
    if seed < 0:
        msg = f"argument '{name}' must be >= 0, got {seed}"
        raise ValueError(msg)
    return int(seed)


def draw_seed():
    """Draw a fresh seed (an int in [0, 2**32)) from operating-system entropy."""
    return int(np.random.SeedSequence().generate_state(1)[0])


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; move it into place only on success.

    Readers never see a half-written file: the data is written to a temporary file in the
    same directory and renamed with `os.replace`, which is atomic on POSIX file systems.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        # mkstemp creates the file private (0600); give it the permissions of a normal file
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_text(path, text):
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def require(module, extra):
    """Import an optional dependency or raise ImportError naming the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        msg = (f"this feature needs the optional dependency '{module}'; "
               f'install it with: pip install "dmprofile[{extra}]"')
        raise ImportError(msg) from exc


def show_progress(progress):
    """Whether to draw a progress bar for the ``progress`` argument of a long computation.

    ``False`` never, ``"always"`` always, ``True`` (the default of every such argument) only
    when the bar can be seen: standard error is a terminal or the code runs in a Jupyter
    kernel. A run whose output goes to a log file therefore writes no progress lines.
    """
    import sys

    if progress is False or progress is None:
        return False
    if isinstance(progress, str):
        if progress != "always":
            msg = f"argument 'progress' must be True, False or 'always', got {progress!r}"
            raise ValueError(msg)
        return True
    if not isinstance(progress, (bool, np.bool_)):
        msg = f"argument 'progress' must be True, False or 'always', got {progress!r}"
        raise TypeError(msg)
    stream = sys.stderr
    try:
        tty = bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        tty = False
    return tty or "ipykernel" in sys.modules

