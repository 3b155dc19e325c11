"""Reading HI data for the tilted-ring fit: velocity fields, cubes and their moment maps."""

import contextlib
import warnings
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.wcs import WCS, FITSFixedWarning

from .._utils import require

__all__ = ["hi_moment_maps"]


@contextlib.contextmanager
def quiet_fits():
    """Silence the header fixes astropy reports for old radio FITS files (e.g. WHISP's)."""
    from astropy.utils.exceptions import AstropyPendingDeprecationWarning

    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", FITSFixedWarning)
        warnings.simplefilter("ignore", AstropyPendingDeprecationWarning)
        yield


def _spectral_cube():
    with quiet_fits():
        return require("spectral_cube", "discs")


def _select_hdu(data, hdu):
    """Return one HDU (and whether we opened a file we must close)."""
    if isinstance(data, str | Path):
        with fits.open(data) as hdus, quiet_fits():
            chosen = _select_hdu(hdus, hdu)
            return chosen.__class__(data=np.array(chosen.data), header=chosen.header.copy())
    if isinstance(data, fits.HDUList):
        if hdu is None:
            hdu = next((k for k, h in enumerate(data) if h.data is not None), None)
            if hdu is None:
                msg = "argument 'data' (an HDUList) has no HDU with data"
                raise ValueError(msg)
        return data[hdu]
    if isinstance(data, fits.PrimaryHDU | fits.ImageHDU):
        return data
    msg = (f"argument 'data' must be an HDU, HDUList, file name, SpectralCube or (Quantity, WCS)"
           f" pair, got {type(data).__name__}")
    raise TypeError(msg)


def _header_wcs(header):
    with quiet_fits():
        return WCS(header)


def _cube_from_hdu(hdu):
    sc = _spectral_cube()
    with quiet_fits():
        return sc.SpectralCube.read(hdu)


def hi_moment_maps(cube, *, threshold=3.0, min_channels=3, hdu=None):
    """Moment maps of an HI cube: integrated intensity, velocity field and dispersion.

    Voxels brighter than ``threshold`` times the noise (the median absolute deviation of the
    cube, scaled to a Gaussian sigma) are kept, in spatial pixels where at least
    ``min_channels`` channels pass; the moments are computed with spectral-cube.

    Parameters
    ----------
    cube : `~astropy.io.fits.ImageHDU`, `~astropy.io.fits.HDUList`, str, or SpectralCube
        A data cube with two celestial axes and a spectral axis (velocity, frequency or
        wavelength: the spectral axis is converted to km/s, radio convention for frequencies).
    threshold : float
        Mask threshold in units of the noise.
    min_channels : int
        Minimum number of channels above the threshold for a pixel to be kept.
    hdu : int or str, optional
        Which HDU of an HDUList or file (default: the first with data).

    Returns
    -------
    `~astropy.io.fits.HDUList`
        A primary HDU and the images ``MOM0`` (intensity x km/s), ``MOM1`` (km/s) and ``MOM2``
        (velocity dispersion, km/s), NaN outside the mask, with the celestial WCS, ``BUNIT``
        and, where the cube has one, the beam (``BMAJ``, ``BMIN``, ``BPA``); ``NOISE`` in the
        headers is the noise of the cube.

    Raises
    ------
    ValueError
        If the cube has no spectral axis or no pixel passes the mask.
    """
    sc = _spectral_cube()
    if not isinstance(cube, sc.SpectralCube):
        h = _select_hdu(cube, hdu)
        if h.data is None or np.squeeze(h.data).ndim != 3 or _header_wcs(h.header).wcs.spec < 0:
            msg = "argument 'cube' must be a 3-D data cube with a spectral axis"
            raise ValueError(msg)
        cube = _cube_from_hdu(h)
    with quiet_fits():
        if cube.spectral_axis.unit.physical_type != "speed":
            cube = cube.with_spectral_unit(u.km / u.s, velocity_convention="radio")
        else:
            cube = cube.with_spectral_unit(u.km / u.s)
        data = cube.unmasked_data[:].value
        noise = 1.4826 * np.nanmedian(np.abs(data - np.nanmedian(data)))
        voxels = data > threshold * noise
        pixels = voxels.sum(axis=0) >= int(min_channels)
        if not pixels.any():
            msg = (f"no pixel of argument 'cube' has {min_channels} channels above {threshold} "
                   f"times the noise ({noise:.3g})")
            raise ValueError(msg)
        masked = cube.with_mask(voxels & pixels[None])
        maps = {"MOM0": masked.moment0(), "MOM1": masked.moment1(),
                "MOM2": masked.linewidth_sigma()}
        out = fits.HDUList([fits.PrimaryHDU()])
        for name, image in maps.items():
            header = image.wcs.to_header()
            header["BUNIT"] = image.unit.to_string("fits")
            header["NOISE"] = (float(noise), "noise of the cube (MAD x 1.4826)")
            if cube.header.get("OBJECT"):
                header["OBJECT"] = str(cube.header["OBJECT"]).strip()
            beam = getattr(cube, "beam", None)
            if beam is not None:
                header["BMAJ"] = beam.major.to_value(u.deg)
                header["BMIN"] = beam.minor.to_value(u.deg)
                header["BPA"] = beam.pa.to_value(u.deg)
            values = np.where(pixels, image.value, np.nan).astype(np.float32)
            out.append(fits.ImageHDU(values, header=header, name=name))
    return out


def velocity_field(data, hdu=None):
    """Velocity field [km/s] (2-D, NaN where blank), its celestial WCS and its header."""
    sc_module = None
    if isinstance(data, tuple):
        if len(data) != 2 or not isinstance(data[1], WCS):
            msg = "argument 'data' as a tuple must be (Quantity image, celestial WCS)"
            raise TypeError(msg)
        image, wcs = data
        if not isinstance(image, u.Quantity) or image.unit.physical_type != "speed":
            msg = "argument 'data' must have velocity units (e.g. km/s)"
            raise u.UnitTypeError(msg)
        header = wcs.to_header()
        return np.asarray(image.to_value(u.km / u.s), dtype=float), wcs.celestial, header
    with contextlib.suppress(ImportError):
        if type(data).__module__.startswith("spectral_cube"):
            sc_module = _spectral_cube()
    if sc_module is not None and isinstance(data, sc_module.SpectralCube):
        return velocity_field(hi_moment_maps(data)["MOM1"])
    h = _select_hdu(data, hdu)
    if h.data is None:
        msg = "argument 'data' has no image data"
        raise ValueError(msg)
    array = np.squeeze(np.asarray(h.data, dtype=float))
    wcs = _header_wcs(h.header)
    if array.ndim == 3:
        if wcs.wcs.spec < 0:
            msg = "argument 'data' is a 3-D cube without a spectral axis"
            raise ValueError(msg)
        return velocity_field(hi_moment_maps(h)["MOM1"])
    if array.ndim != 2:
        msg = f"argument 'data' must be a 2-D velocity field or a cube, got {array.ndim} axes"
        raise ValueError(msg)
    if not wcs.has_celestial:
        msg = "argument 'data' has no celestial WCS"
        raise ValueError(msg)
    bunit = h.header.get("BUNIT")
    try:
        unit = u.Unit(str(bunit).strip(), format="fits") if bunit else None
    except ValueError:
        unit = u.Unit(str(bunit).strip(), parse_strict="silent")
    if unit is None or unit.physical_type != "speed":
        msg = f"argument 'data' must have a velocity BUNIT (e.g. km/s, m/s), got {bunit!r}"
        raise u.UnitTypeError(msg)
    return array * unit.to(u.km / u.s), wcs.celestial, h.header
