"""`MassProfile`: a radial profile of a physical quantity with its credible bands.

The Jeans analysis, the disc rotation-curve fits and the mass-profile networks all return a
`MassProfile` (enclosed mass, density, circular velocity or logarithmic slope against radius), so
that one galaxy analysed several ways can be tabulated, written and plotted on one axis.
"""

import json
import math
import weakref
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.table import QTable

from .._utils import atomic_path, require
from ._interval import _meta

__all__ = ["MassProfile"]

#: The quantities a profile can hold: name -> (unit fixing the physical type, axis label).
_QUANTITIES = {
    "enclosed_mass": (u.Msun, r"$M(<r)$"),
    "density": (u.Msun / u.kpc**3, r"$\rho(r)$"),
    "circular_velocity": (u.km / u.s, r"$v_\mathrm{c}(r)$"),
    "log_slope": (u.dimensionless_unscaled, r"$\mathrm{d}\ln\rho\,/\,\mathrm{d}\ln r$"),
}
#: The stored credible levels: level -> (lower column, upper column).
_BANDS = {0.68: ("lower_68", "upper_68"), 0.95: ("lower_95", "upper_95")}
#: The percentiles `MassProfile.from_samples` computes: median, 68% and 95% bands.
_PERCENTILES = (50.0, 16.0, 84.0, 2.5, 97.5)
#: Columns of `MassProfile.to_table` after ``radius``, in order.
_COLUMNS = ("median", "lower_68", "upper_68", "lower_95", "upper_95")
#: Band shading of the stored levels (other levels get 0.2).
_ALPHA = {0.68: 0.3, 0.95: 0.15}
#: The units of the axes a profile was drawn on, so that the next profile is converted to them.
_AXES_UNITS = weakref.WeakKeyDictionary()


def _check_quantity(quantity):
    if quantity not in _QUANTITIES:
        msg = f"argument 'quantity' must be one of {sorted(_QUANTITIES)}, got {quantity!r}"
        raise ValueError(msg)
    return quantity


def _check_radius(radius, name="radius", unit=None):
    """``radius`` as a float array (in ``unit``, default its own) and the unit used."""
    if not isinstance(radius, u.Quantity):
        msg = (f"argument '{name}' must be an astropy Quantity with length units (e.g. kpc), "
               f"got {type(radius).__name__}")
        raise TypeError(msg)
    if radius.unit.physical_type != "length":
        msg = f"argument '{name}' must have length units, got {radius.unit!s}"
        raise u.UnitTypeError(msg)
    unit = radius.unit if unit is None else unit
    values = np.array(radius.to_value(unit), dtype=float, ndmin=1)
    if values.ndim != 1 or not np.all(np.isfinite(values)) or np.any(values <= 0):
        msg = f"argument '{name}' must be a 1-D array of finite radii > 0, got {radius!r}"
        raise ValueError(msg)
    if np.any(np.diff(values) <= 0):
        msg = f"argument '{name}' must be strictly increasing"
        raise ValueError(msg)
    return values, unit


def _check_values(value, name, quantity, unit=None):
    """``value`` as a float array in ``unit`` (default: its own), checked against ``quantity``."""
    reference = _QUANTITIES[quantity][0]
    if not isinstance(value, u.Quantity):
        if reference != u.dimensionless_unscaled:
            msg = (f"argument '{name}' must be an astropy Quantity with "
                   f"{reference.physical_type} units for quantity {quantity!r} (e.g. {reference}),"
                   f" got {type(value).__name__}")
            raise TypeError(msg)
        value = u.Quantity(value, u.dimensionless_unscaled)
    if not value.unit.is_equivalent(reference):
        msg = (f"argument '{name}' must have {reference.physical_type} units for quantity "
               f"{quantity!r} (e.g. {reference}), got {value.unit!s}")
        raise u.UnitTypeError(msg)
    unit = value.unit if unit is None else unit
    values = np.array(value.to_value(unit), dtype=float)
    if not np.all(np.isfinite(values)):
        msg = f"argument '{name}' must be finite"
        raise ValueError(msg)
    return values, unit


def _match_level(level):
    """Return the stored level equal to ``level`` (None if none is)."""
    level = float(level)
    if not 0 < level < 1:
        msg = f"argument 'level' must lie between 0 and 1 (exclusive), got {level}"
        raise ValueError(msg)
    return next((key for key in _BANDS if math.isclose(level, key, abs_tol=1e-9)), None)


def _file_format(path, fmt):
    if fmt is None:
        name = Path(path).name.lower()
        if name.endswith(".ecsv"):
            return "ascii.ecsv"
        if name.endswith((".fits", ".fit")):
            return "fits"
        msg = f"unknown file type {Path(path).name!r}: use .ecsv or .fits, or pass format="
        raise ValueError(msg)
    if fmt not in ("ascii.ecsv", "fits"):
        msg = f"argument 'format' must be 'ascii.ecsv' or 'fits', got {fmt!r}"
        raise ValueError(msg)
    return fmt


def _column(table, name):
    column = table[name]
    if isinstance(column, u.Quantity):
        return column
    unit = getattr(column, "unit", None)
    return np.asarray(column) if unit is None else u.Quantity(column)


def _unit_text(unit):
    return "" if unit == u.dimensionless_unscaled else f" [{unit.to_string('latex_inline')}]"


class MassProfile:
    """A radial profile of a physical quantity: median and credible bands against radius.

    Immutable; the arrays are read-only.

    Parameters
    ----------
    radius : `~astropy.units.Quantity` [length]
        Radii, 1-D, strictly increasing, > 0.
    median : `~astropy.units.Quantity`
        Median of the quantity at ``radius``; its unit is the unit of the profile and must match
        ``quantity``: [mass] for ``"enclosed_mass"``, [mass density] for ``"density"``, [speed]
        for ``"circular_velocity"``, dimensionless (or a plain array) for ``"log_slope"``.
    lower_68, upper_68 : `~astropy.units.Quantity`, optional
        16th and 84th percentiles (given together).
    lower_95, upper_95 : `~astropy.units.Quantity`, optional
        2.5th and 97.5th percentiles (given together).
    quantity : {"enclosed_mass", "density", "circular_velocity", "log_slope"}
        What the profile measures.
    meta : dict, optional
        Provenance (method, model, seed, galaxy...); ``dmprofile_version`` is added.

    Raises
    ------
    TypeError, astropy.units.UnitTypeError
        For an argument that is not a Quantity or has units that do not fit ``quantity``.
    ValueError
        For radii that are not strictly increasing, arrays whose shape differs from the radii, or
        bands that are not ordered ``lower_95 <= lower_68 <= median <= upper_68 <= upper_95``.

    See Also
    --------
    from_samples : the profile of per-sample curves, e.g. posterior samples of a halo.

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from dmprofile.results import MassProfile
    >>> r = np.geomspace(0.1, 10, 5) * u.kpc
    >>> m = 1e9 * (r / u.kpc).value ** 1.5 * u.Msun
    >>> profile = MassProfile(r, m, lower_68=0.8 * m, upper_68=1.2 * m)
    >>> profile
    <MassProfile enclosed_mass: 5 radii 0.1-10 kpc; median 3.16e+07 to 3.16e+10 solMass; bands 68%>
    >>> profile.interval(0.68)[1][2]
    <Quantity 1.2e+09 solMass>
    >>> print(profile.at(2 * u.kpc).median.round(-6))
    [2.828e+09] solMass
    """

    #: The quantities a profile can hold.
    quantities = tuple(_QUANTITIES)

    def __init__(self, radius, median, *, lower_68=None, upper_68=None, lower_95=None,
                 upper_95=None, quantity="enclosed_mass", meta=None):
        self._quantity = _check_quantity(quantity)
        self._radius, self._radius_unit = _check_radius(radius)
        self._values = {}
        self._values["median"], self._unit = self._check_column(median, "median")
        given = {"lower_68": lower_68, "upper_68": upper_68, "lower_95": lower_95,
                 "upper_95": upper_95}
        for low, high in _BANDS.values():
            if (given[low] is None) != (given[high] is None):
                msg = f"arguments '{low}' and '{high}' must be given together"
                raise ValueError(msg)
            if given[low] is not None:
                self._values[low] = self._check_column(given[low], low, self._unit)[0]
                self._values[high] = self._check_column(given[high], high, self._unit)[0]
        self._check_order()
        for values in (self._radius, *self._values.values()):
            values.flags.writeable = False
        self._samples = None
        self._meta = _meta(meta)

    def _check_column(self, value, name, unit=None):
        values, unit = _check_values(value, name, self._quantity, unit)
        if values.shape != self._radius.shape:
            msg = (f"argument '{name}' must have the shape of 'radius' {self._radius.shape}, "
                   f"got {values.shape}")
            raise ValueError(msg)
        return values, unit

    def _check_order(self):
        names = [n for n in ("lower_95", "lower_68", "median", "upper_68", "upper_95")
                 if n in self._values]
        for below, above in zip(names[:-1], names[1:]):
            a, b = self._values[below], self._values[above]
            bad = a > b + 1e-12 * np.maximum(np.abs(a), np.abs(b))
            if np.any(bad):
                r = self._radius[np.argmax(bad)]
                msg = (f"bands must be ordered lower_95 <= lower_68 <= median <= upper_68 <= "
                       f"upper_95, but '{below}' > '{above}' at radius {r:g} {self._radius_unit}")
                raise ValueError(msg)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_samples(cls, radius, samples, *, quantity="enclosed_mass", meta=None):
        """Profile of per-sample curves: the median and the 68% and 95% percentile bands.

        Parameters
        ----------
        radius : `~astropy.units.Quantity` [length]
            Radii, 1-D, strictly increasing.
        samples : `~astropy.units.Quantity`, shape (n_samples, len(radius))
            One curve per sample (e.g. per posterior sample of a halo), in units that fit
            ``quantity``; kept as `samples`.
        quantity : {"enclosed_mass", "density", "circular_velocity", "log_slope"}
        meta : dict, optional
            Provenance; ``n_samples`` is recorded.

        Returns
        -------
        `MassProfile`
            The 50th, 16th/84th and 2.5th/97.5th percentiles at each radius
            (`numpy.percentile`, linear interpolation).

        Examples
        --------
        >>> import numpy as np
        >>> import astropy.units as u
        >>> rng = np.random.default_rng(0)
        >>> r = [0.5, 1, 2] * u.kpc
        >>> v = rng.normal(50, 5, (2000, 1)) * (r / u.kpc).value ** 0.3 * u.km / u.s
        >>> profile = MassProfile.from_samples(r, v, quantity="circular_velocity")
        >>> profile.median.round(1), profile.samples.shape
        (<Quantity [40.5, 49.8, 61.4] km / s>, (2000, 3))
        """
        quantity = _check_quantity(quantity)
        n_radii = _check_radius(radius)[0].size
        values, unit = _check_values(samples, "samples", quantity)
        if values.ndim != 2 or values.shape[1] != n_radii or values.shape[0] < 1:
            msg = (f"argument 'samples' must have shape (n_samples, {n_radii}) matching "
                   f"'radius', got {values.shape}")
            raise ValueError(msg)
        q = np.percentile(values, _PERCENTILES, axis=0) * unit
        meta = {**dict(meta or {}), "n_samples": int(values.shape[0])}
        self = cls(radius, q[0], lower_68=q[1], upper_68=q[2], lower_95=q[3], upper_95=q[4],
                   quantity=quantity, meta=meta)
        self._set_samples(values)
        return self

    def _set_samples(self, values):
        values = np.array(values, dtype=float)
        values.flags.writeable = False
        self._samples = values

    # ------------------------------------------------------------------ attributes
    @property
    def quantity(self):
        """str: what the profile measures, e.g. ``"enclosed_mass"`` (one of `quantities`)."""
        return self._quantity

    @property
    def unit(self):
        """`~astropy.units.UnitBase`: the unit of the median, bands and samples."""
        return self._unit

    @property
    def radius(self):
        """`~astropy.units.Quantity` [length]: the radii."""
        return self._radius * self._radius_unit

    @property
    def median(self):
        """`~astropy.units.Quantity`: the median at each radius."""
        return self._values["median"] * self._unit

    @property
    def levels(self):
        """The credible levels stored as bands (tuple of float), e.g. ``(0.68, 0.95)``."""
        return tuple(level for level, (low, _) in _BANDS.items() if low in self._values)

    @property
    def samples(self):
        """`~astropy.units.Quantity` (n_samples, n_radii) or None: the per-sample curves."""
        return None if self._samples is None else self._samples * self._unit

    @property
    def meta(self):
        """dict: provenance (a copy)."""
        return dict(self._meta)

    def interval(self, level=0.68):
        """Return the equal-tailed band holding ``level`` of the probability at each radius.

        Parameters
        ----------
        level : float
            0.68 or 0.95 (the stored bands); any level in (0, 1) when the profile holds samples.

        Returns
        -------
        low : `~astropy.units.Quantity`
            The ``50 - 50 level`` percentile at each radius.
        high : `~astropy.units.Quantity`
            The ``50 + 50 level`` percentile at each radius.

        Raises
        ------
        ValueError
            If the band is not stored and cannot be computed from samples.
        """
        stored = _match_level(level)
        if stored is not None and _BANDS[stored][0] in self._values:
            low, high = _BANDS[stored]
            return self._values[low] * self._unit, self._values[high] * self._unit
        if self._samples is None:
            held = ", ".join(f"{lev:.0%}" for lev in self.levels) or "none"
            msg = (f"this profile has no {float(level):.3g} band (stored: {held}) and no samples "
                   f"to compute it from")
            raise ValueError(msg)
        level = float(level)
        q = np.percentile(self._samples, [50 * (1 - level), 50 * (1 + level)], axis=0)
        return q[0] * self._unit, q[1] * self._unit

    def _log_interpolation(self):
        return self._quantity != "log_slope" and all(np.all(v > 0) for v in self._values.values())

    def at(self, radius):
        """Return the profile interpolated to other radii inside its range.

        Median and bands are interpolated in log radius, and log-log (power law between the
        radii) for positive quantities; linearly in the value for ``"log_slope"`` or when a value
        is not positive.

        Parameters
        ----------
        radius : `~astropy.units.Quantity` [length]
            A radius or strictly increasing radii within [``radius[0]``, ``radius[-1]``].

        Returns
        -------
        `MassProfile`
            The profile at ``radius`` (without samples), with the same quantity, unit and meta.
        """
        r = _check_radius(radius, unit=self._radius_unit)[0]
        if r[0] < self._radius[0] or r[-1] > self._radius[-1]:
            msg = (f"argument 'radius' must lie within the profile's radii "
                   f"[{self._radius[0]:g}, {self._radius[-1]:g}] {self._radius_unit}, "
                   f"got {radius!r}")
            raise ValueError(msg)
        x, xp = np.log(r), np.log(self._radius)
        log = self._log_interpolation()
        values = {}
        for name, column in self._values.items():
            if log:
                values[name] = np.exp(np.interp(x, xp, np.log(column))) * self._unit
            else:
                values[name] = np.interp(x, xp, column) * self._unit
        return type(self)(r * self._radius_unit, values.pop("median"), **values,
                          quantity=self._quantity, meta=self._meta)

    # ------------------------------------------------------------------ text
    def __repr__(self):
        unit = "" if self._unit == u.dimensionless_unscaled else f" {self._unit}"
        r, med = self._radius, self._values["median"]
        if r.size == 1:
            text = (f"<MassProfile {self._quantity}: 1 radius {r[0]:.3g} {self._radius_unit}; "
                    f"median {med[0]:.3g}{unit}")
        else:
            text = (f"<MassProfile {self._quantity}: {r.size} radii {r[0]:.3g}-{r[-1]:.3g} "
                    f"{self._radius_unit}; median {med[0]:.3g} to {med[-1]:.3g}{unit}")
        if self.levels:
            text += "; bands " + ", ".join(f"{lev:.0%}" for lev in self.levels)
        if self._samples is not None:
            text += f"; {self._samples.shape[0]} samples"
        return text + ">"

    # ------------------------------------------------------------------ table and files
    def to_table(self, *, samples=False):
        """Return a `~astropy.table.QTable`: ``radius``, ``median`` and the stored bands.

        Parameters
        ----------
        samples : bool
            Add the per-sample curves as a column ``samples`` of shape (n_radii, n_samples)
            when the profile has them.

        Returns
        -------
        `~astropy.table.QTable`
            Columns ``radius``, ``median``, ``lower_68``, ``upper_68``, ``lower_95``,
            ``upper_95`` (the stored ones), with units; ``meta`` is a copy of `meta` plus
            ``quantity``.
        """
        columns = {"radius": self.radius}
        for name in _COLUMNS:
            if name in self._values:
                columns[name] = self._values[name] * self._unit
        if samples and self._samples is not None:
            columns["samples"] = self._samples.T * self._unit
        return QTable(columns, meta={**self._meta, "quantity": self._quantity})

    @classmethod
    def from_table(cls, table, *, quantity=None):
        """Rebuild a profile from `to_table` output (or any table with those columns).

        Parameters
        ----------
        table : `~astropy.table.Table` or `~astropy.table.QTable`
            Columns ``radius`` and ``median``, optionally the bands and ``samples``; the
            provenance in ``table.meta`` (as JSON under ``DMPMETA`` for FITS files).
        quantity : str, optional
            Overrides ``table.meta["quantity"]``; required when the table does not record it.

        Returns
        -------
        `MassProfile`
        """
        meta = dict(table.meta)
        if "DMPMETA" in meta:
            meta = json.loads(meta["DMPMETA"])
        stored = meta.pop("quantity", None)
        quantity = stored if quantity is None else quantity
        if quantity is None:
            msg = "table.meta has no 'quantity': pass quantity= to MassProfile.from_table"
            raise ValueError(msg)
        missing = [name for name in ("radius", "median") if name not in table.colnames]
        if missing:
            msg = f"table must have columns 'radius' and 'median', got {table.colnames}"
            raise ValueError(msg)
        bands = {name: _column(table, name) for name in _COLUMNS[1:] if name in table.colnames}
        self = cls(_column(table, "radius"), _column(table, "median"), **bands,
                   quantity=quantity, meta=meta)
        if "samples" in table.colnames:
            samples = _check_values(_column(table, "samples"), "samples", quantity, self._unit)[0]
            if samples.ndim != 2:
                msg = f"column 'samples' must have shape (n_radii, n_samples), got {samples.shape}"
                raise ValueError(msg)
            self._set_samples(samples.T)
        return self

    def write(self, path, *, overwrite=False, format=None, samples=False):
        """Write the profile to an ECSV or FITS file, atomically.

        Parameters
        ----------
        path : str or `~pathlib.Path`
            ``.ecsv`` or ``.fits`` (or any name with ``format``).
        overwrite : bool
            Replace an existing file.
        format : {"ascii.ecsv", "fits"}, optional
            Default: from the extension.
        samples : bool
            Also write the per-sample curves (see `to_table`).
        """
        from astropy.io import fits

        path = Path(path)
        fmt = _file_format(path, format)
        if path.exists() and not overwrite:
            msg = f"{path} exists; pass overwrite=True to replace it"
            raise FileExistsError(msg)
        table = self.to_table(samples=samples)
        with atomic_path(path) as tmp:
            if fmt == "fits":
                table.meta = {"DMPMETA": json.dumps(table.meta, default=str)}
                hdu = fits.table_to_hdu(table)
                hdu.name = "PROFILE"
                fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(tmp, overwrite=True)
            else:
                table.write(tmp, format="ascii.ecsv", overwrite=True)

    @classmethod
    def read(cls, path, *, format=None):
        """Read a profile written by `write`.

        Parameters
        ----------
        path : str or `~pathlib.Path`
        format : {"ascii.ecsv", "fits"}, optional
            Default: from the extension.

        Returns
        -------
        `MassProfile`
        """
        from astropy.io import fits

        if _file_format(path, format) == "ascii.ecsv":
            return cls.from_table(QTable.read(path, format="ascii.ecsv"))
        with fits.open(path) as hdus:
            return cls.from_table(QTable.read(hdus["PROFILE"]))

    # ------------------------------------------------------------------ plot
    def _axes_units(self, ax):
        """Return the units of ``ax`` (recorded by an earlier profile), else the profile's units."""
        xunit, yunit = _AXES_UNITS.get(ax, (self._radius_unit, self._unit))
        if not self._unit.is_equivalent(yunit):
            msg = (f"cannot draw a {self._quantity} profile ({self._unit}) on axes showing "
                   f"{yunit.physical_type} ({yunit})")
            raise ValueError(msg)
        _AXES_UNITS[ax] = (xunit, yunit)
        return xunit, yunit

    def plot(self, ax=None, *, level=(0.68, 0.95), color=None, label=None, logy=None,
             **kwargs):
        """Draw the median and shaded credible bands against radius (log radius axis).

        Profiles drawn on the same axes are converted to the units of the first one, so that,
        e.g., a network and a Jeans profile of one galaxy overlay.

        Parameters
        ----------
        ax : `matplotlib.axes.Axes`, optional
            Axes to draw on (default: the current axes).
        level : float or sequence of float
            Levels of the shaded bands; levels the profile cannot provide are skipped.
        color : color, optional
            Of the line and the bands (default: the next colour of the axes' cycle).
        label : str, optional
            Legend label of the median line.
        logy : bool, optional
            Logarithmic value axis (default: True unless ``quantity`` is ``"log_slope"`` or a
            value is not positive).
        **kwargs
            Passed to ``ax.plot`` for the median line (``ls``, ``lw``...).

        Returns
        -------
        `matplotlib.axes.Axes`
        """
        if ax is None:
            ax = require("matplotlib.pyplot", "plot").gca()
        xunit, yunit = self._axes_units(ax)
        r = self.radius.to_value(xunit)
        (line,) = ax.plot(r, self.median.to_value(yunit), color=color, label=label, **kwargs)
        for lev in np.atleast_1d(level):
            try:
                low, high = self.interval(float(lev))
            except ValueError:
                continue
            ax.fill_between(r, low.to_value(yunit), high.to_value(yunit), color=line.get_color(),
                            alpha=_ALPHA.get(_match_level(lev), 0.2), lw=0)
        ax.set_xscale("log")
        if logy is None:
            logy = self._log_interpolation()
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel(f"$r${_unit_text(xunit)}")
        ax.set_ylabel(f"{_QUANTITIES[self._quantity][1]}{_unit_text(yunit)}")
        return ax
