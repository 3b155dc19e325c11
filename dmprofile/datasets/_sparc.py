"""Bundled SPARC rotation curves and mass models (Lelli, McGaugh & Schombert 2016)."""

import functools
import re
from importlib import resources

import numpy as np
from astropy import units as u
from astropy.table import QTable, Table

from .._version import __version__

__all__ = ["sparc", "sparc_table"]

#: Bundled files in ``dmprofile/data/sparc/`` (rebuilt by ``dmprofile.datasets._sparc_build``).
TABLE_FILE = "sparc_table1.ecsv.gz"
CURVES_FILE = "sparc_massmodels.ecsv.gz"

_BIBCODE = "2016AJ....152..157L"
_CITATION = ("Lelli, McGaugh & Schombert 2016, AJ 152, 157 (SPARC; Zenodo "
             "10.5281/zenodo.16284118, CC-BY-4.0)")

#: ``sparc(name).meta`` key -> (Table 1 column, unit of the plain number stored).
_META = {
    "distance": ("distance", u.Mpc), "dist_err": ("distance_err", u.Mpc),
    "dist_mth": ("distance_method", None), "inc": ("inclination", u.deg),
    "inc_err": ("inclination_err", u.deg), "quality": ("quality", None),
    "hubble_t": ("hubble_type", None), "l36": ("luminosity_36", 1e9 * u.Lsun),
    "l36_err": ("luminosity_36_err", 1e9 * u.Lsun), "r_eff": ("r_eff", u.kpc),
    "sb_eff": ("sb_eff", u.Lsun / u.pc**2), "r_disk": ("r_disk", u.kpc),
    "sb_disk": ("sb_disk", u.Lsun / u.pc**2), "m_hi": ("m_hi", 1e9 * u.Msun),
    "r_hi": ("r_hi", u.kpc), "v_flat": ("v_flat", u.km / u.s),
    "vflt_err": ("v_flat_err", u.km / u.s),
}


def _data_path(name):
    return resources.files("dmprofile") / "data" / "sparc" / name


@functools.lru_cache(maxsize=2)
def _read(name):
    with resources.as_file(_data_path(name)) as path:
        return Table.read(path, format="ascii.ecsv")


def _key(name):
    """Normalised galaxy name: upper case, no spaces/underscores, no leading zeros in numbers."""
    key = re.sub(r"[\s_]+", "", str(name)).upper()
    return re.sub(r"(?<!\d)0+(?=\d)", "", key)


@functools.lru_cache(maxsize=1)
def _index():
    names = np.asarray(_read(TABLE_FILE)["galaxy"]).astype(str)
    return {_key(n): i for i, n in enumerate(names)}


def sparc_table():
    """SPARC Table 1: distances, inclinations, photometry and quality of 175 disc galaxies.

    From Lelli, McGaugh & Schombert (2016, AJ 152, 157), bundled with dmprofile.

    Returns
    -------
    `~astropy.table.QTable`
        One row per galaxy, indexed by ``galaxy``: ``hubble_type`` (0 S0 ... 11 BCD),
        ``distance``, ``distance_err`` [Mpc], ``distance_method`` (1 Hubble flow, 2 TRGB,
        3 Cepheids, 4 Ursa Major, 5 supernovae), ``inclination``, ``inclination_err`` [deg],
        ``luminosity_36``, ``luminosity_36_err`` [Lsun at 3.6 micron], ``r_eff`` [kpc],
        ``sb_eff`` [Lsun/pc2], ``r_disk`` [kpc, disc scale length], ``sb_disk`` [Lsun/pc2],
        ``m_hi`` [Msun], ``r_hi`` [kpc], ``v_flat``, ``v_flat_err`` [km/s, 0 where
        undefined], ``quality`` (1 high, 2 medium, 3 low) and ``ref``.

    Examples
    --------
    >>> from dmprofile.datasets import sparc_table
    >>> t = sparc_table()
    >>> len(t), int((t["quality"] <= 2).sum())
    (175, 163)
    >>> t.loc["NGC2403"]["r_disk"], t.loc["NGC2403"]["m_hi"]
    (<Quantity 1.39 kpc>, <Quantity 3.199e+09 solMass>)
    """
    raw = _read(TABLE_FILE)
    out = QTable(meta={"source": _CITATION, "bibcode": _BIBCODE,
                       "dmprofile_version": __version__})
    for name in raw.colnames:
        col = raw[name]
        if col.unit is not None:
            out[name] = u.Quantity(np.asarray(col, dtype=float), col.unit)
        else:
            out[name] = np.asarray(col)
        out[name].info.description = col.description
    out.add_index("galaxy")
    return out


def _lookup(name):
    index = _index()
    key = _key(name)
    if key not in index:
        names = np.asarray(_read(TABLE_FILE)["galaxy"]).astype(str)
        close = [n for n in names if key[:3] and _key(n).startswith(key[:3])][:5]
        hint = f"; similar names: {', '.join(close)}" if close else ""
        msg = f"unknown SPARC galaxy {name!r}{hint} (see sparc_table()['galaxy'])"
        raise ValueError(msg)
    return _read(TABLE_FILE)[index[key]]


def _curve_meta(row):
    meta = {"galaxy": str(row["galaxy"]), "dataset": "sparc"}
    for key, (col, unit) in _META.items():
        value = row[col]  # a Table row: plain number in the column's unit
        if unit is None:
            meta[key] = int(value)
        else:
            # e.g. Msun -> 1e9 Msun; 10 significant digits undo the rounding of the scaling
            meta[key] = float(f"{float(value) * row.table[col].unit.to(unit):.10g}")
    meta.update({"refs": str(row["ref"]), "ref_data": _BIBCODE, "dmp_ver": __version__})
    return meta


def sparc(name):
    """Rotation curve and mass model of one SPARC galaxy, with its parameters in ``meta``.

    The 3.6 micron mass models of Lelli, McGaugh & Schombert (2016, AJ 152, 157), bundled with
    dmprofile. The table is what `dmprofile.classical.fit_rotation_curve` takes as it is.

    Parameters
    ----------
    name : str
        SPARC galaxy name, e.g. ``"NGC2403"``; case, spaces, underscores and leading zeros of
        catalogue numbers are ignored (``"ngc 2403"``, ``"UGC 2487"`` for ``UGC02487``).

    Returns
    -------
    `~astropy.table.QTable`
        One row per radius: ``radius`` [kpc], ``v_obs``, ``v_err``, ``v_gas``, ``v_disk``,
        ``v_bul`` [km/s], ``sb_disk``, ``sb_bul`` [Lsun/pc2 at 3.6 micron]. ``v_disk`` and
        ``v_bul`` are for a mass-to-light ratio of 1 Msun/Lsun; ``v_gas`` includes helium and is
        negative where the gas pulls outwards (SPARC adds ``v_gas |v_gas|`` to the squared
        velocities). ``meta`` holds plain numbers: ``distance``, ``dist_err`` [Mpc],
        ``dist_mth``, ``inc``, ``inc_err`` [deg], ``quality``, ``hubble_t``, ``l36``,
        ``l36_err`` [1e9 Lsun], ``r_eff``, ``r_disk``, ``r_hi`` [kpc], ``sb_eff``, ``sb_disk``
        [Lsun/pc2], ``m_hi`` [1e9 Msun], ``v_flat``, ``vflt_err`` [km/s], and ``galaxy``,
        ``dataset``, ``refs``, ``ref_data`` (bibcode), ``dmp_ver``.

    Raises
    ------
    ValueError
        If ``name`` is not a SPARC galaxy.

    Examples
    --------
    >>> from dmprofile.datasets import sparc
    >>> curve = sparc("ngc 2403")
    >>> len(curve), curve.meta["distance"], curve.meta["inc"]
    (73, 3.16, 63.0)
    >>> curve["v_obs"][-1]
    <Quantity 134. km / s>
    """
    row = _lookup(name)
    curves = _read(CURVES_FILE)
    sub = curves[np.asarray(curves["galaxy"]).astype(str) == str(row["galaxy"])]
    table = QTable()
    for col in sub.colnames[1:]:
        table[col] = u.Quantity(np.asarray(sub[col], dtype=float), sub[col].unit)
        table[col].info.description = sub[col].description
    table.meta.update(_curve_meta(row))
    return table
