"""`GalaxyParticles`: the particles of one galaxy, the input of the disc observing pipeline.

One container for every source of particles: the synthetic `DiscGalaxy` of dmprofile and the
cut-outs of hydrodynamical simulations (IllustrisTNG, EAGLE) read from HDF5, so that the same
observing code (`dmprofile.observe`: SDSS images, HI cubes, moment maps) serves both.
"""

import numpy as np
from astropy import units as u
from astropy.table import QTable

from .._utils import LENGTH, MASS, VELOCITY, column_values

__all__ = ["GalaxyParticles", "STAR_COLUMNS", "GAS_COLUMNS", "DARK_COLUMNS"]

_POSITION = {"x": LENGTH, "y": LENGTH, "z": LENGTH}
_VELOCITY = {"vx": VELOCITY, "vy": VELOCITY, "vz": VELOCITY}

#: Columns of the star particles and their units (``metallicity``: mass fraction Z).
STAR_COLUMNS = {**_POSITION, **_VELOCITY, "mass": MASS, "age": u.Gyr,
                "metallicity": u.dimensionless_unscaled}
#: Columns of the gas particles and their units (``smoothing_length``: SPH kernel support).
GAS_COLUMNS = {**_POSITION, **_VELOCITY, "mass": MASS, "hi_mass": MASS,
               "smoothing_length": LENGTH, "temperature": u.K}
#: Columns of the dark-matter particles (optional: a synthetic galaxy stores its halo
#: analytically and its truth in ``meta``).
DARK_COLUMNS = {**_POSITION, **_VELOCITY, "mass": MASS}

_KINDS = {"stars": STAR_COLUMNS, "gas": GAS_COLUMNS, "dark": DARK_COLUMNS}


def _check_table(table, kind, *, required):
    """Return ``table`` as a QTable with the columns of ``kind`` in their units, or None."""
    if table is None:
        if required:
            msg = f"argument '{kind}' is required (a table with columns {list(_KINDS[kind])})"
            raise ValueError(msg)
        return None
    if not hasattr(table, "colnames"):
        msg = f"argument '{kind}' must be an astropy Table or QTable, got {type(table).__name__}"
        raise TypeError(msg)
    out = QTable(meta=dict(table.meta))
    for name, unit in _KINDS[kind].items():
        values = column_values(table, name, unit, finite=True, what=f"argument '{kind}'")
        out[name] = values * unit
    for name in ("mass", "hi_mass", "smoothing_length", "temperature", "age", "metallicity"):
        if name in out.colnames and np.any(out[name].value < 0):
            msg = f"column {name!r} of argument '{kind}' must be >= 0"
            raise ValueError(msg)
    if kind == "gas" and np.any(out["smoothing_length"].value <= 0):
        msg = "column 'smoothing_length' of argument 'gas' must be > 0"
        raise ValueError(msg)
    return out


class GalaxyParticles:
    """The star, gas and (optionally) dark-matter particles of one galaxy, in its own frame.

    Positions are relative to the galaxy centre and velocities to its bulk motion; for a disc the
    rotation axis is ``+z`` (the observing pipeline inclines and rotates the galaxy on the sky).

    Parameters
    ----------
    stars : `~astropy.table.Table` or `~astropy.table.QTable`
        Star particles: ``x``, ``y``, ``z`` [length], ``vx``, ``vy``, ``vz`` [speed], ``mass``
        [mass], ``age`` [time] and ``metallicity`` (mass fraction Z, dimensionless).
    gas : `~astropy.table.Table` or `~astropy.table.QTable`
        Gas particles: positions, velocities, ``mass`` and ``hi_mass`` [mass] (neutral atomic
        hydrogen), ``smoothing_length`` [length] and ``temperature`` [K].
    dark : `~astropy.table.Table` or `~astropy.table.QTable`, optional
        Dark-matter particles: positions, velocities and ``mass``.
    meta : dict, optional
        Provenance and truth (e.g. the enclosed dark-matter masses of a synthetic galaxy).

    Raises
    ------
    ValueError
        If a table misses a column, holds NaN or negative masses, or has no rows.
    astropy.units.UnitTypeError
        If a column has no unit or the wrong physical type.

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from astropy.table import QTable
    >>> from dmprofile.simulate import GalaxyParticles
    >>> n = 3
    >>> stars = QTable({"x": np.zeros(n) * u.kpc, "y": np.ones(n) * u.kpc, "z": np.zeros(n) * u.kpc,
    ...                 "vx": np.zeros(n) * u.km / u.s, "vy": np.zeros(n) * u.km / u.s,
    ...                 "vz": np.zeros(n) * u.km / u.s, "mass": np.full(n, 1e6) * u.Msun,
    ...                 "age": np.full(n, 5.0) * u.Gyr, "metallicity": np.full(n, 0.02)})
    >>> gas = QTable({**{c: stars[c] for c in ("x", "y", "z", "vx", "vy", "vz", "mass")},
    ...               "hi_mass": np.full(n, 5e5) * u.Msun,
    ...               "smoothing_length": np.full(n, 0.5) * u.kpc,
    ...               "temperature": np.full(n, 1e4) * u.K})
    >>> GalaxyParticles(stars, gas)
    <GalaxyParticles: 3 stars (M* = 3e+06 Msun), 3 gas (M_HI = 1.5e+06 Msun), 0 dark>
    """

    def __init__(self, stars, gas, *, dark=None, meta=None):
        self._stars = _check_table(stars, "stars", required=True)
        self._gas = _check_table(gas, "gas", required=True)
        self._dark = _check_table(dark, "dark", required=False)
        if len(self._stars) == 0 and len(self._gas) == 0:
            msg = "arguments 'stars' and 'gas' are both empty: a galaxy needs particles"
            raise ValueError(msg)
        self._meta = dict(meta or {})

    @property
    def stars(self):
        """`~astropy.table.QTable`: the star particles."""
        return self._stars

    @property
    def gas(self):
        """`~astropy.table.QTable`: the gas particles."""
        return self._gas

    @property
    def dark(self):
        """`~astropy.table.QTable` or None: the dark-matter particles, if any."""
        return self._dark

    @property
    def meta(self):
        """dict: provenance and truth."""
        return self._meta

    @property
    def stellar_mass(self):
        """`~astropy.units.Quantity`: the total mass of the star particles."""
        return self._stars["mass"].sum()

    @property
    def hi_mass(self):
        """`~astropy.units.Quantity`: the total HI mass of the gas particles."""
        return self._gas["hi_mass"].sum()

    def __len__(self):
        n_dark = 0 if self._dark is None else len(self._dark)
        return len(self._stars) + len(self._gas) + n_dark

    def __repr__(self):
        n_dark = 0 if self._dark is None else len(self._dark)
        return (f"<GalaxyParticles: {len(self._stars)} stars "
                f"(M* = {self.stellar_mass.to_value(MASS):.3g} Msun), {len(self._gas)} gas "
                f"(M_HI = {self.hi_mass.to_value(MASS):.3g} Msun), {n_dark} dark>")
