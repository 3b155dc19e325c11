"""Rebuild the bundled Walker et al. (2009) catalogue from the VizieR tables (maintainers only).

Usage::

    python -m dmprofile.datasets._build WALKER2009_DIR DSPH_STRUCTURE_DIR OUT_DIR

``WALKER2009_DIR`` holds ``stars.csv`` and ``tables.csv`` (VizieR J/AJ/137/3100 written as ECSV),
``DSPH_STRUCTURE_DIR`` the LVDB v1.0.5 extract ``classical_dsph_structural_lvdb_v1.0.5.csv``.
The output is byte-for-byte reproducible (gzip with a zero timestamp).
"""

import gzip
import hashlib
import io
import shutil
import sys
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.coordinates import Angle
from astropy.table import Table

from .._utils import atomic_path
from ._walker2009 import STARS_FILE, STRUCTURE_FILE

__all__ = []


def _filled(col, fill=np.nan):
    return np.ma.filled(np.ma.asarray(col).astype(float), fill)


def build_stars(walker_dir):
    """One row per star: target, ra, dec [deg], v_los, v_err [km/s], p_member, n_spec."""
    walker_dir = Path(walker_dir)
    stars = Table.read(walker_dir / "stars.csv", format="ascii.ecsv")
    spectra = Table.read(walker_dir / "tables.csv", format="ascii.ecsv")
    target = np.asarray(stars["Target"]).astype(str)
    n_spec = np.asarray(stars["o_Target"], dtype=np.int16)
    v = _filled(stars["<HV>"])
    e = _filled(stars["e_<HV>"])
    # single-spectrum stars: the error of their only spectrum (tables.csv, e_HV)
    spec_target = np.asarray(spectra["Target"]).astype(str)
    counts = dict(zip(*np.unique(spec_target, return_counts=True), strict=True))
    lookup = {t: i for i, t in enumerate(spec_target)}
    single = np.isnan(e)
    for i in np.flatnonzero(single):
        if n_spec[i] != 1 or counts.get(target[i]) != 1:
            msg = f"star {target[i]} has no mean-velocity error but is not a single-spectrum star"
            raise ValueError(msg)
        j = lookup[target[i]]
        if abs(float(spectra["HV"][j]) - v[i]) >= 1.0:
            msg = f"star {target[i]}: per-spectrum velocity differs from the star's mean velocity"
            raise ValueError(msg)
        # the star table rounds single-spectrum velocities to whole km/s; take the 0.1 km/s value
        v[i] = float(spectra["HV"][j])
        e[i] = float(spectra["e_HV"][j])
    ra = Angle(np.asarray(stars["RAJ2000"]).astype(str), unit=u.hourangle).deg
    dec = Angle(np.asarray(stars["DEJ2000"]).astype(str), unit=u.deg).deg
    out = Table()
    out["target"] = target
    out["ra"] = np.round(ra, 6) * u.deg
    out["dec"] = np.round(dec, 6) * u.deg
    # VizieR precision: velocities and errors to 0.1 km/s, Mmb to 0.001
    out["v_los"] = np.round(v, 1) * u.km / u.s
    out["v_err"] = np.round(e, 1) * u.km / u.s
    out["p_member"] = np.round(_filled(stars["Mmb"]), 3)
    out["n_spec"] = n_spec
    out["target"].description = "Walker et al. (2009) star identifier (Car/For/Scl/Sex-NNNN)"
    out["ra"].description = "right ascension (J2000/ICRS)"
    out["dec"].description = "declination (J2000/ICRS)"
    out["v_los"].description = ("heliocentric line-of-sight velocity: <HV>, or HV of the only "
                                 "spectrum for single-spectrum stars")
    out["v_err"].description = "e_<HV>, or e_HV of the only spectrum for single-spectrum stars"
    out["p_member"].description = "membership probability Mmb (Walker et al. 2009 mixture model)"
    out["n_spec"].description = "number of spectra"
    out.meta["source"] = "VizieR J/AJ/137/3100 (Walker, Mateo & Olszewski 2009, AJ 137, 3100)"
    return out


def write_bundle(walker_dir, structure_dir, out_dir):
    """Write the bundled star file and structural table to ``out_dir``; return their sha256."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stars = build_stars(walker_dir)
    buf = io.StringIO()
    stars.write(buf, format="ascii.ecsv")
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(buf.getvalue().encode())
    with atomic_path(out_dir / STARS_FILE) as tmp:
        tmp.write_bytes(raw.getvalue())
    with atomic_path(out_dir / STRUCTURE_FILE) as tmp:
        shutil.copyfile(Path(structure_dir) / STRUCTURE_FILE, tmp)
    for name in (STARS_FILE, STRUCTURE_FILE):
        (out_dir / name).chmod(0o644)
    return {name: hashlib.sha256((out_dir / name).read_bytes()).hexdigest()
            for name in (STARS_FILE, STRUCTURE_FILE)}


if __name__ == "__main__":  # pragma: no cover
    for name, digest in write_bundle(*sys.argv[1:4]).items():
        print(f"{digest}  {name}")
