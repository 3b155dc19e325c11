"""Bundled Magellan/MMFS velocities of four classical dwarf spheroidals (Walker et al. 2009)."""

import functools
import re
from importlib import resources

import numpy as np
from astropy import units as u
from astropy.table import QTable, Table

from .._utils import as_dimensionless
from .._version import __version__

__all__ = ["walker2009", "dsph_structure", "WALKER2009_GALAXIES"]

#: Bundled files in ``dmprofile/data/walker2009/`` (rebuilt by ``dmprofile.datasets._build``).
STARS_FILE = "walker2009_mmfs.ecsv.gz"
STRUCTURE_FILE = "classical_dsph_structural_lvdb_v1.0.5.csv"

#: Galaxies of Walker, Mateo & Olszewski (2009) and their target-name prefixes.
WALKER2009_GALAXIES = {"carina": "Car", "fornax": "For", "sculptor": "Scl", "sextans": "Sex"}

_BIBCODE_WALKER2009 = "2009AJ....137.3100W"
_LVDB = "Pace 2025, OJAp 8, 142: Local Volume Database v1.0.5 (Zenodo 10.5281/zenodo.15476348)"

# Units of the structural table columns (the CSV stores plain numbers).
_STRUCTURE_UNITS = {
    "ra": u.deg, "dec": u.deg, "rhalf": u.arcmin, "position_angle": u.deg,
    "distance_modulus": u.mag, "distance": u.kpc, "vlos_systemic": u.km / u.s,
    "vlos_sigma": u.km / u.s, "M_V": u.mag, "rhalf_physical": u.pc, "rhalf_sph_physical": u.pc,
    "pmra": u.mas / u.yr, "pmdec": u.mas / u.yr,
}


def _data_path(name):
    return resources.files("dmprofile") / "data" / "walker2009" / name


@functools.lru_cache(maxsize=1)
def _stars():
    with resources.as_file(_data_path(STARS_FILE)) as path:
        return Table.read(path, format="ascii.ecsv")


@functools.lru_cache(maxsize=1)
def _structure():
    with resources.as_file(_data_path(STRUCTURE_FILE)) as path:
        return Table.read(path, format="ascii.csv")


def _bibcode(ref):
    """LVDB references are 'Author' + ADS bibcode, e.g. 'Munoz2018ApJ...860...66M'."""
    match = re.match(r"^[A-Za-z]+(\d{4}.+)$", str(ref))
    return match.group(1) if match else str(ref)


def dsph_structure():
    """Structural and kinematic parameters of nine classical Milky Way dwarf spheroidals.

    An extract of the Local Volume Database v1.0.5 (Pace 2025, OJAp 8, 142): Carina, Fornax,
    Sculptor, Sextans, Draco, Ursa Minor, Leo I, Leo II and Canes Venatici I.

    Returns
    -------
    `~astropy.table.QTable`
        One row per galaxy. Columns ``key``, ``name``, ``ra``, ``dec`` [deg] (centre),
        ``rhalf`` [arcmin, major axis], ``ellipticity``, ``position_angle`` [deg, east of north],
        ``distance_modulus`` [mag], ``distance`` [kpc], ``vlos_systemic``, ``vlos_sigma``
        [km/s], ``M_V`` [mag], ``mass_stellar`` (log10 of the stellar mass in Msun),
        ``rhalf_physical`` [pc, major axis], ``rhalf_sph_physical`` [pc, circularised],
        ``pmra``, ``pmdec`` [mas/yr]; ``*_em``/``*_ep`` the minus/plus errors (same units) and
        ``ref_*`` the references (LVDB's 'Author' + ADS bibcode strings).

    Examples
    --------
    >>> from dmprofile.datasets import dsph_structure
    >>> t = dsph_structure()
    >>> t.loc["fornax_1"]["distance"].round(1)
    <Quantity 142.6 kpc>
    """
    raw = _structure()
    out = QTable(meta={"source": _LVDB, "dmprofile_version": __version__})
    for name in raw.colnames:
        base = re.sub(r"_e[mp]$", "", name)
        unit = _STRUCTURE_UNITS.get(base)
        col = raw[name]
        if unit is not None:
            out[name] = np.asarray(col, dtype=float) * unit
        elif base in ("ellipticity", "mass_stellar"):
            out[name] = np.asarray(col, dtype=float)
        else:
            out[name] = np.asarray(col).astype(str)
    out.add_index("key")
    return out


def _galaxy_meta(row, member_threshold):
    """FITS-friendly meta (keys of <= 8 characters, plain numbers in documented units)."""
    meta = {
        "galaxy": str(row["name"]),
        "dataset": "walker2009",
        "ra_cen": float(row["ra"]),
        "dec_cen": float(row["dec"]),
        "distance": float(row["distance"]),
        "ellip": float(row["ellipticity"]),
        "pa": float(row["position_angle"]),
        "r_half": float(row["rhalf_sph_physical"]) / 1000.0,
        "rh_major": float(row["rhalf_physical"]) / 1000.0,
        "v_sys": float(row["vlos_systemic"]),
        "sig_los": float(row["vlos_sigma"]),
    }
    if member_threshold is not None:
        meta["mmb_min"] = float(member_threshold)
    meta.update({
        "ref_kin": _BIBCODE_WALKER2009,
        "ref_str": _bibcode(row["ref_structure"]),
        "ref_dist": _bibcode(row["ref_distance"]),
        "ref_vsys": _bibcode(row["ref_vlos"]),
        "ref_db": _LVDB,
        "dmp_ver": __version__,
    })
    return meta


def walker2009(name, *, member_threshold=0.5):
    """Stellar line-of-sight velocities of Carina, Fornax, Sculptor or Sextans.

    Magellan/MMFS spectroscopy of Walker, Mateo & Olszewski (2009, AJ 137, 3100; VizieR
    J/AJ/137/3100) with the galaxy's structural parameters from the Local Volume Database
    v1.0.5 (Pace 2025), bundled with dmprofile.

    Parameters
    ----------
    name : str
        ``"carina"``, ``"fornax"``, ``"sculptor"`` or ``"sextans"`` (case-insensitive).
    member_threshold : float or None
        Keep stars whose membership probability ``Mmb`` is ``>= member_threshold``
        (default 0.5); None keeps every observed star, members or not.

    Returns
    -------
    `~astropy.table.QTable`
        One row per star: ``target`` (Walker's identifier), ``ra``, ``dec`` [deg], ``v_los``,
        ``v_err`` [km/s] (for stars observed once, the velocity and error of their single
        spectrum from the per-spectrum table), ``p_member`` (``Mmb``) and ``n_spec`` (number of
        spectra). ``meta`` holds, as plain numbers: ``ra_cen``, ``dec_cen`` [deg],
        ``distance`` [kpc], ``ellip``, ``pa`` [deg east of north], ``r_half`` [kpc, circularised:
        the major-axis radius times sqrt(1 - ellipticity)], ``rh_major`` [kpc, major axis],
        ``v_sys`` and ``sig_los`` [km/s], the bibcodes ``ref_kin``, ``ref_str``, ``ref_dist``,
        ``ref_vsys``, and ``galaxy``, ``dataset``, ``mmb_min``, ``ref_db``, ``dmp_ver``. These
        are the keys `dmprofile.kinematics.phase_space_images` reads, and they survive
        ``table.write("x.fits")`` / ``Table.read("x.fits")``.

    Examples
    --------
    >>> from dmprofile.datasets import walker2009
    >>> fornax = walker2009("Fornax")
    >>> len(fornax), fornax.meta["r_half"]
    (2536, 0.695332994665809)
    """
    key = str(name).strip().lower()
    if key not in WALKER2009_GALAXIES:
        msg = (f"unknown galaxy {name!r} for walker2009; choose one of "
               f"{', '.join(WALKER2009_GALAXIES)}")
        raise ValueError(msg)
    if member_threshold is not None:
        member_threshold = as_dimensionless(member_threshold, "member_threshold")
        if not 0 <= member_threshold <= 1:
            msg = f"argument 'member_threshold' must be in [0, 1] or None, got {member_threshold}"
            raise ValueError(msg)
    stars = _stars()
    target = np.asarray(stars["target"]).astype(str)
    keep = np.char.startswith(target, WALKER2009_GALAXIES[key] + "-")
    if member_threshold is not None:
        keep &= np.asarray(stars["p_member"], dtype=float) >= member_threshold
    sub = stars[keep]
    table = QTable()
    table["target"] = sub["target"]
    for col in ("ra", "dec", "v_los", "v_err"):
        table[col] = u.Quantity(np.asarray(sub[col], dtype=float), sub[col].unit)
        table[col].info.description = sub[col].description
    table["p_member"] = np.asarray(sub["p_member"], dtype=float)
    table["p_member"].info.description = sub["p_member"].description
    table["n_spec"] = sub["n_spec"]
    row = _structure()[list(_structure()["key"]).index(f"{key}_1")]
    table.meta.update(_galaxy_meta(row, member_threshold))
    return table
