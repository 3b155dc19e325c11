"""3D tilted-ring fits of HI cubes with 3D-Barolo (3DFIT), through pyBBarolo.

de los Rios et al. (2023) measured the rotation curves of their mock galaxies with 3D-Barolo
(Di Teodoro & Fraternali 2015), which fits a model *cube* and so is not biased by beam
smearing, unlike a tilted-ring fit of the velocity field (`fit_tilted_rings`). pyBBarolo is an
optional dependency (``pip install "dmprofile[barolo]"``; it compiles against the Debian
packages libcfitsio-dev, libfftw3-dev and wcslib-dev, and is GPL-licensed).

`fit_3dbarolo` takes its initial geometry (centre, systemic velocity, inclination, position
angle) and first rotation speeds from `fit_tilted_rings` on the cube's moment 1, writes the cube
to a temporary FITS file, runs 3DFIT ring by ring (rotation and dispersion free, then the
geometry if asked) and returns a QTable in the format of `fit_tilted_rings`, which
`fit_rotation_curve` accepts.
"""

import tempfile
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import QTable
from astropy.wcs import WCS

from .._utils import as_value, require
from .._version import __version__

__all__ = ["fit_3dbarolo"]

_KMS = u.km / u.s
#: Parameters 3DFIT may fit, by the names of `fit_tilted_rings`.
_FREE = {"v_rot": "VROT", "v_disp": "VDISP", "inclination": "INC", "position_angle": "PA"}


def _cube_hdu(cube):
    if isinstance(cube, (str, Path)):
        with fits.open(cube) as hdul:
            hdu = next((h for h in hdul if h.data is not None and h.data.ndim >= 3), None)
            if hdu is None:
                msg = f"argument 'cube': {cube} holds no 3-D image"
                raise ValueError(msg)
            return fits.PrimaryHDU(np.array(hdu.data, dtype=np.float32), hdu.header.copy())
    if isinstance(cube, fits.HDUList):
        cube = next((h for h in cube if h.data is not None and h.data.ndim >= 3), None)
    if cube is None or getattr(cube, "data", None) is None or cube.data.ndim != 3:
        msg = "argument 'cube' must be a 3-D HDU, an HDUList holding one, or a FITS file name"
        raise ValueError(msg)
    return fits.PrimaryHDU(np.asarray(cube.data, dtype=np.float32), cube.header.copy())


def _read_rings(path):
    """Read a 3D-Barolo ring file (a header line of column names, then one row per ring)."""
    lines = Path(path).read_text().splitlines()
    names = lines[0].lstrip("#").split()
    values = np.atleast_2d(np.loadtxt(lines[1:], ndmin=2))
    return {name: values[:, k] for k, name in enumerate(names) if k < values.shape[1]}


def fit_3dbarolo(cube, *, distance, distance_err=None, free=("v_rot", "v_disp"),
                 radii=None, v_disp=10 * _KMS, threads=1, workdir=None):
    """Fit a 3D tilted-ring model to an HI cube with 3D-Barolo (3DFIT); return a rotation curve.

    Parameters
    ----------
    cube : HDU, `~astropy.io.fits.HDUList` or str
        The HI cube, with a celestial WCS, a velocity (or frequency) spectral axis, the beam in
        ``BMAJ``/``BMIN`` and the intensity in Jy/beam.
    distance : `~astropy.units.Quantity` [length]
        Distance of the galaxy.
    distance_err : `~astropy.units.Quantity` [length], optional
        Its error, recorded in ``meta`` for `fit_rotation_curve`.
    free : sequence of str
        Parameters fitted per ring: ``"v_rot"``, ``"v_disp"``, ``"inclination"``,
        ``"position_angle"`` (the geometry is otherwise fixed at the values that
        `fit_tilted_rings` finds on the moment-1 map).
    radii : `~astropy.units.Quantity` [angle], optional
        Ring centres (default: those of `fit_tilted_rings`, one per beam).
    v_disp : `~astropy.units.Quantity` [speed]
        Initial velocity dispersion.
    threads : int
        Threads of 3D-Barolo.
    workdir : str or `~pathlib.Path`, optional
        Directory for 3D-Barolo's input and output files (default: a temporary directory,
        removed afterwards).

    Returns
    -------
    `~astropy.table.QTable`
        ``radius`` [kpc], ``v_rot``, ``v_err`` (3D-Barolo's errors when it gives them, else
        the spread of the two halves' speeds, at least 2 km/s), ``v_disp``, ``inclination``
        and ``position_angle`` per ring, with ``distance``, ``dist_err``, ``inc`` and
        ``inc_err`` in ``meta`` (as `fit_tilted_rings`).

    Raises
    ------
    ImportError
        If pyBBarolo is not installed.
    ValueError
        For a cube that is not 3-D, an unknown free parameter or no ring fitted.
    """
    from ._tilted_rings import fit_tilted_rings

    bb = require("pyBBarolo", "barolo")
    dist = as_value(distance, u.Mpc, "distance", scalar=True, positive=True, allow_zero=False)
    unknown = sorted(set(free) - set(_FREE))
    if unknown or "v_rot" not in free:
        msg = f"argument 'free' must include 'v_rot' and name only {sorted(_FREE)}, got {free!r}"
        raise ValueError(msg)
    hdu = _cube_hdu(cube)
    rings = fit_tilted_rings(hdu, distance=distance, distance_err=distance_err, radii=radii)
    arcsec = (rings["radius"].to_value(u.kpc) / (dist * 1e3) * u.rad).to_value(u.arcsec)
    wcs = WCS(hdu.header).celestial
    centre = SkyCoord(np.median(rings["ra_center"]), np.median(rings["dec_center"]))
    x0, y0 = (float(v) for v in wcs.world_to_pixel(centre))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(workdir) if workdir is not None else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        path = work / "cube.fits"
        if str(hdu.header.get("BUNIT", "")).replace(" ", "").lower() == "jy/beam":
            hdu.header["BUNIT"] = "JY/BEAM"  # the spelling 3D-Barolo reads
        hdu.writeto(path, overwrite=True)
        fit = bb.FitMod3D(str(path))
        fit.init(radii=arcsec, xpos=x0 + 1.0, ypos=y0 + 1.0,  # FITS pixels start at 1
                 vsys=float(np.median(rings["v_sys"].to_value(_KMS))),
                 vrot=rings["v_rot"].to_value(_KMS),
                 vdisp=float(as_value(v_disp, _KMS, "v_disp", scalar=True, positive=True)),
                 vrad=0.0, z0=0.0, inc=rings["inclination"].to_value(u.deg),
                 phi=rings["position_angle"].to_value(u.deg))
        outdir = work / "output"
        outdir.mkdir(exist_ok=True)
        fit.set_options(mask="SEARCH", free=" ".join(_FREE[p] for p in free),
                        distance=dist, outfolder=str(outdir) + "/", twostage=False,
                        errors=False)
        try:
            fit.compute(threads=int(threads))
        finally:
            # pyBBarolo opens the input cube and the model with fits.open and never closes them
            for hdu in (getattr(fit.inp, "fapy", None), getattr(fit, "outmodel", None)):
                handle = getattr(hdu, "_file", None)
                if handle is not None:
                    handle.close()
        ringfile = next((outdir / n for n in ("rings_final2.txt", "rings_final1.txt")
                         if (outdir / n).is_file()), None)
        if ringfile is None:
            msg = "3D-Barolo wrote no ring file: no ring could be fitted"
            raise ValueError(msg)
        cols = _read_rings(ringfile)
    return _rings_table(cols, rings, dist, distance_err)


def _col(cols, *prefixes):
    for name, values in cols.items():
        if any(name.upper().startswith(p) for p in prefixes):
            return values
    return None


def _rings_table(cols, rings2d, dist, distance_err):
    radius_kpc = _col(cols, "RAD(KPC)")
    if radius_kpc is None:
        radius_kpc = _col(cols, "RAD(ARCS)") * dist * 1e3 / 206264.806
    t = QTable()
    t["radius"] = radius_kpc * u.kpc
    t["v_rot"] = _col(cols, "VROT") * _KMS
    err = _col(cols, "E_VROT")
    if err is not None and err.ndim == 1:
        t["v_err"] = np.maximum(np.abs(err), 2.0) * _KMS
    else:
        t["v_err"] = np.interp(radius_kpc, rings2d["radius"].to_value(u.kpc),
                               np.maximum(rings2d["v_err"].to_value(_KMS), 2.0)) * _KMS
    for key, prefix, unit in (("v_disp", "DISP", _KMS), ("inclination", "INC", u.deg),
                              ("position_angle", "P.A.", u.deg)):
        values = _col(cols, prefix)
        if values is not None:
            t[key] = values * unit
    t = t[np.isfinite(t["v_rot"]) & (t["v_rot"] > 0)]
    if len(t) == 0:
        msg = "3D-Barolo fitted no ring with a positive rotation speed"
        raise ValueError(msg)
    inc = t["inclination"].to_value(u.deg) if "inclination" in t.colnames else [
        rings2d.meta["inc"]]
    t.meta.update({"distance": dist, "inc": float(np.median(inc)),
                   "inc_err": max(float(np.std(inc)), rings2d.meta["inc_err"], 1.0),
                   "pa": rings2d.meta["pa"], "v_sys": rings2d.meta["v_sys"],
                   "galaxy": rings2d.meta.get("galaxy", ""), "method": "3dbarolo",
                   "dmp_ver": __version__})
    if distance_err is not None:
        t.meta["dist_err"] = float(u.Quantity(distance_err, u.Mpc).value)
    return t
