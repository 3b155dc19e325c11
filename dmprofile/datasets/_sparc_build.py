"""Rebuild the bundled SPARC files from the SPARC release tables (maintainers only).

Usage::

    python -m dmprofile.datasets._sparc_build SPARC_DIR OUT_DIR

``SPARC_DIR`` holds ``sparc_table1.csv`` (SPARC Table 1) and ``sparc_massmodels.csv`` (Table 2,
the mass models) as described in its ``PROVENANCE.md``. The output is two gzip-compressed ECSV
files, byte-for-byte reproducible (gzip with a zero timestamp); no value is changed, only units
and snake_case column names are attached.
"""

import gzip
import hashlib
import io
import sys
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.table import Table

from .._utils import atomic_path
from ._sparc import CURVES_FILE, TABLE_FILE

__all__ = []

_KMS = u.km / u.s
_SB = u.Lsun / u.pc**2

#: Table 1: source column -> (column, unit, dtype, description).
TABLE_COLUMNS = {
    "Galaxy": ("galaxy", None, str, "galaxy name"),
    "T": ("hubble_type", None, np.int16,
          "Hubble type: 0 S0, 1 Sa, 2 Sab, 3 Sb, 4 Sbc, 5 Sc, 6 Scd, 7 Sd, 8 Sdm, 9 Sm, 10 Im, "
          "11 BCD"),
    "D": ("distance", u.Mpc, float, "distance"),
    "e_D": ("distance_err", u.Mpc, float, "mean error on the distance"),
    "f_D": ("distance_method", None, np.int16,
            "distance method: 1 Hubble flow (H0 = 73 km/s/Mpc, Virgo-centric infall), 2 TRGB, "
            "3 Cepheids, 4 Ursa Major cluster, 5 supernovae"),
    "Inc": ("inclination", u.deg, float, "inclination"),
    "e_Inc": ("inclination_err", u.deg, float, "mean error on the inclination"),
    "L36": ("luminosity_36", 1e9 * u.Lsun, float, "total luminosity at 3.6 micron"),
    "e_L36": ("luminosity_36_err", 1e9 * u.Lsun, float, "mean error on luminosity_36"),
    "Reff": ("r_eff", u.kpc, float, "effective radius at 3.6 micron"),
    "SBeff": ("sb_eff", _SB, float, "effective surface brightness at 3.6 micron"),
    "Rdisk": ("r_disk", u.kpc, float, "disc scale length at 3.6 micron"),
    "SBdisk": ("sb_disk", _SB, float, "disc central surface brightness at 3.6 micron"),
    "MHI": ("m_hi", 1e9 * u.Msun, float, "total HI mass"),
    "RHI": ("r_hi", u.kpc, float, "HI radius at 1 Msun/pc2 (0 = not measured)"),
    "Vflat": ("v_flat", _KMS, float, "asymptotically flat rotation velocity (0 = undefined)"),
    "e_Vflat": ("v_flat_err", _KMS, float, "mean error on v_flat (0 = undefined)"),
    "Q": ("quality", None, np.int16, "quality flag: 1 high, 2 medium, 3 low"),
    "Ref": ("ref", None, str, "references for the HI and H-alpha data (SPARC Table 1 notes)"),
}

#: Table 2: source column -> (column, unit, description).
CURVE_COLUMNS = {
    "ID": ("galaxy", None, "galaxy name"),
    "R": ("radius", u.kpc, "galactocentric radius"),
    "Vobs": ("v_obs", _KMS, "observed circular velocity"),
    "e_Vobs": ("v_err", _KMS, "error on v_obs"),
    "Vgas": ("v_gas", _KMS, "gas contribution (with helium; negative where the gas pulls out)"),
    "Vdisk": ("v_disk", _KMS, "stellar disc contribution for a mass-to-light ratio of 1 at 3.6um"),
    "Vbul": ("v_bul", _KMS, "bulge contribution for a mass-to-light ratio of 1 at 3.6um"),
    "SBdisk": ("sb_disk", _SB, "disc surface brightness at 3.6 micron"),
    "SBbul": ("sb_bul", _SB, "bulge surface brightness at 3.6 micron"),
}


def build_table(sparc_dir):
    """SPARC Table 1 as a Table with units (one row per galaxy)."""
    raw = Table.read(Path(sparc_dir) / "sparc_table1.csv", format="ascii.csv")
    out = Table()
    for src, (name, unit, dtype, desc) in TABLE_COLUMNS.items():
        values = np.asarray(raw[src]).astype(dtype)
        out[name] = values if unit is None else values * unit
        out[name].description = desc
    out.meta["source"] = "SPARC Table 1 (Lelli, McGaugh & Schombert 2016, AJ 152, 157)"
    return out


def build_curves(sparc_dir):
    """SPARC Table 2 (the mass models, 3391 radial points) as a Table with units."""
    raw = Table.read(Path(sparc_dir) / "sparc_massmodels.csv", format="ascii.csv")
    out = Table()
    for src, (name, unit, desc) in CURVE_COLUMNS.items():
        values = np.asarray(raw[src])
        out[name] = values.astype(str) if unit is None else values.astype(float) * unit
        out[name].description = desc
    out.meta["source"] = "SPARC Table 2 (Lelli, McGaugh & Schombert 2016, AJ 152, 157)"
    return out


def _write_gzip_ecsv(table, path):
    buf = io.StringIO()
    table.write(buf, format="ascii.ecsv")
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(buf.getvalue().encode())
    with atomic_path(path) as tmp:
        tmp.write_bytes(raw.getvalue())
    path.chmod(0o644)


def write_bundle(sparc_dir, out_dir):
    """Write the bundled SPARC files to ``out_dir``; return their sha256 by file name."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_gzip_ecsv(build_table(sparc_dir), out_dir / TABLE_FILE)
    _write_gzip_ecsv(build_curves(sparc_dir), out_dir / CURVES_FILE)
    return {name: hashlib.sha256((out_dir / name).read_bytes()).hexdigest()
            for name in (TABLE_FILE, CURVES_FILE)}


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    for file, digest in write_bundle(sys.argv[1], sys.argv[2]).items():
        print(f"{digest}  {file}")
