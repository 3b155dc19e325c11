"""The images of `dmprofile.infer_mass_profile`: read, check and put on the network grid.

One function per input kind, each naming the channel in its errors:

* the SDSS bands (``u g r i z``): any celestial WCS and flux unit, reprojected with
  `dmprofile.observe.reproject_image` (flux conserving) into nanomaggies per pixel;
* moment maps given as images (``mom0`` in Jy/beam km/s with the beam in ``BMAJ``/``BMIN``,
  ``mom1`` and ``mom2`` in km/s): bilinear interpolation onto the grid
  (``reproject.reproject_interp``; the maps are intensive), NaN (no emission) kept;
* an HI cube (``cube`` or ``hi``): `dmprofile.observe.reproject_cube` then
  `dmprofile.observe.moment_maps`.

Images already on the network grid (same shape and celestial WCS, e.g. mock observations of
`dmprofile.observe.observe_disc`) are used as they are.
"""

import warnings
from collections.abc import Mapping

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS

__all__ = ["parse_images", "network_grid", "first_centre", "grid_hdus", "header_summaries",
           "CUBE_KEYS"]

#: Keys under which an HI cube may be given.
CUBE_KEYS = ("cube", "hi")
_BANDS = ("u", "g", "r", "i", "z")
_MOMENTS = ("mom0", "mom1", "mom2")
_MAP_UNITS = {"mom0": u.Jy / u.beam * u.km / u.s, "mom1": u.km / u.s, "mom2": u.km / u.s}


def parse_images(images, channels):
    """Sort the ``images`` mapping into what the model needs, the cube and the ignored names.

    Parameters
    ----------
    images : mapping
        Channel name -> image (any case).
    channels : sequence of str
        The channels the model reads.

    Returns
    -------
    needed : dict
        Channel -> input, for the needed channels given directly.
    cube : object or None
        The HI cube, when one is given and a moment map is needed.
    ignored : list of str
        Channels given but not read by the model.
    """
    from .observe import CHANNELS

    if not isinstance(images, Mapping) or not images:
        msg = ("argument 'images' must be a non-empty mapping of channel name to image "
               f"(u, g, r, i, z, mom0, mom1, mom2 or cube), got {type(images).__name__}")
        raise TypeError(msg)
    given = {}
    for key, value in images.items():
        name = str(key).strip().lower()
        if name not in CHANNELS and name not in CUBE_KEYS:
            msg = (f"argument 'images' has an unknown channel {key!r}; the channels are "
                   f"{', '.join(CHANNELS)} and 'cube' (or 'hi') for an HI cube")
            raise ValueError(msg)
        if name in given or (name in CUBE_KEYS and any(k in given for k in CUBE_KEYS)):
            msg = f"argument 'images' gives channel {name!r} twice"
            raise ValueError(msg)
        given[name] = value
    cube = next((given[k] for k in CUBE_KEYS if k in given), None)
    maps_needed = [c for c in channels if c in _MOMENTS]
    twice = [c for c in maps_needed if c in given and cube is not None]
    if twice:
        msg = (f"argument 'images' gives {', '.join(twice)} both as a map and through the "
               "'cube': give one or the other")
        raise ValueError(msg)
    missing = [c for c in channels if c not in given and not (c in _MOMENTS and cube is not None)]
    if missing:
        msg = (f"argument 'images' lacks the channel(s) {', '.join(missing)} that the model "
               f"needs (it reads {', '.join(channels)}; moment maps may come from a 'cube')")
        raise ValueError(msg)
    needed = {c: given[c] for c in channels if c in given}
    ignored = [k for k in given if k not in channels and not (k in CUBE_KEYS and maps_needed)]
    return needed, (cube if maps_needed else None), ignored


def network_grid(member_card, npix):
    """Return the imaging and HI set-ups of the network grid recorded in a member's card.

    Parameters
    ----------
    member_card : dict
        A member's model card (its ``prior`` holds the instrument of the training suite).
    npix : int
        The image size the network reads.

    Returns
    -------
    imaging : `~dmprofile.observe.ImagingSetup`
    hi : `~dmprofile.observe.HISetup`
        Field of view of the suite's instrument (17.2 arcmin when the card does not record
        it); HI channels of the instrument's width and, as the smallest beam, the smallest
        of the training range (smaller beams are convolved to it).
    """
    from .observe import HISetup, ImagingSetup

    instrument = (member_card.get("prior") or {}).get("instrument") or {}
    fov = float(instrument.get("fov_arcmin", 17.2)) * u.arcmin
    beam = float((instrument.get("hi_beam_arcsec_range") or (10.0, 10.0))[0]) * u.arcsec
    width = float(instrument.get("hi_channel_kms", 5.0)) * u.km / u.s
    return (ImagingSetup(n_pixels=int(npix), field_of_view=fov),
            HISetup(n_pixels=int(npix), field_of_view=fov, beam_fwhm=beam, channel_width=width,
                    n_channels=None))


def _read(value, name):
    """Return (data, header) of one input (HDU, HDUList, file name or (array, WCS))."""
    try:
        if isinstance(value, tuple) and len(value) == 2:
            data, wcs = value
            if not isinstance(wcs, WCS):
                msg = (f"channel '{name}': an (array, WCS) pair needs an astropy WCS, got "
                       f"{type(wcs).__name__}")
                raise TypeError(msg)
            header = wcs.to_header()
            if isinstance(data, u.Quantity):
                header["BUNIT"] = data.unit.to_string()
                data = data.value
            return np.asarray(data, dtype=float), header
        if isinstance(value, (str, bytes)) or hasattr(value, "__fspath__"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AstropyWarning)
                with fits.open(value) as hdus:
                    data, header = _read(hdus, name)
                    return np.array(data), header.copy()
        if isinstance(value, fits.HDUList):
            value = next((h for h in value if getattr(h, "data", None) is not None
                          and np.ndim(h.data) >= 2), value[0])
        if not isinstance(value, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)):
            msg = (f"channel '{name}' must be an image HDU, an HDUList, a file name or "
                   f"(array, WCS), got {type(value).__name__}")
            raise TypeError(msg)
        if value.data is None:
            msg = f"channel '{name}' holds no data"
            raise ValueError(msg)
        return np.asarray(value.data, dtype=float), value.header
    except FileNotFoundError:
        msg = f"channel '{name}': file {value!s} not found"
        raise FileNotFoundError(msg) from None


def _celestial(header, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        wcs = WCS(header)
    if not wcs.has_celestial:
        msg = (f"channel '{name}' has no celestial WCS (CTYPE {list(wcs.wcs.ctype)}): give an "
               "HDU with RA/Dec axes or an (array, WCS) pair")
        raise ValueError(msg)
    return wcs.celestial


def _same_grid(wcs, shape, target, npix):
    """Whether an image of ``shape`` with ``wcs`` is already on the ``target`` grid."""
    if tuple(shape[-2:]) != (npix, npix):
        return False
    a, b = wcs.wcs, target.wcs
    return (list(a.ctype) == list(b.ctype)
            and np.allclose(wcs.pixel_scale_matrix, target.pixel_scale_matrix, rtol=1e-6)
            and np.allclose(a.crval, b.crval, rtol=0, atol=1e-9)
            and np.allclose(a.crpix, b.crpix, rtol=0, atol=1e-6))


def _check_finite(data, name):
    if data.size == 0 or not np.any(np.isfinite(data)):
        msg = f"channel '{name}' has no finite pixel (all NaN or empty)"
        raise ValueError(msg)


def first_centre(needed, cube):
    """Return the sky position of the centre of the first image (the default grid centre)."""
    name, value = next(iter(needed.items())) if needed else ("cube", cube)
    data, header = _read(value, name)
    wcs = _celestial(header, name)
    ny, nx = data.shape[-2:]
    return wcs.pixel_to_world((nx - 1) / 2.0, (ny - 1) / 2.0)


def grid_hdus(needed, cube, *, imaging, hi, centre):
    """Put every needed channel on the network grid; return the HDUs named by channel.

    Parameters
    ----------
    needed : dict
        Channel -> input (from `parse_images`).
    cube : object or None
        The HI cube.
    imaging : `~dmprofile.observe.ImagingSetup`
        The grid of the bands.
    hi : `~dmprofile.observe.HISetup`
        The grid and channels of the cube.
    centre : `~astropy.coordinates.SkyCoord`
        Centre of the grid.

    Returns
    -------
    list of `~astropy.io.fits.ImageHDU`
        One per channel, with ``EXTNAME`` the channel name (what
        `~dmprofile.observe.stack_channels` reads).
    """
    from .observe import celestial_wcs

    target = celestial_wcs(n_pixels=imaging.n_pixels, field_of_view=imaging.field_of_view,
                           centre=centre.icrs)
    out = []
    for name, value in needed.items():
        data, header = _read(value, name)
        data = np.squeeze(data)
        if data.ndim != 2:
            msg = f"channel '{name}' must be a 2-D image, got shape {data.shape}"
            raise ValueError(msg)
        _check_finite(data, name)
        if name in _BANDS:
            hdu = _band(data, header, name, imaging, centre, target)
        else:
            hdu = _moment_map(data, header, name, target, imaging.n_pixels)
        out.append(hdu)
    if cube is not None:
        out.extend(_cube_maps(cube, hi, centre, target))
    return out


def _band(data, header, name, imaging, centre, target):
    from .observe import reproject_image

    wcs = _celestial(header, name)
    unit = str(header.get("BUNIT", "")).strip().lower()
    if unit in ("nanomaggy", "nanomaggies", "nmgy") and _same_grid(wcs, data.shape, target,
                                                                   imaging.n_pixels):
        out = data.astype(np.float32)
        header_out = target.to_header()
    else:
        try:
            hdu = reproject_image((data, wcs), unit=header.get("BUNIT"), setup=imaging,
                                  centre=centre, band=name)
        except (ValueError, TypeError) as exc:
            msg = f"channel '{name}': {exc}".replace("argument 'image'", "the image")
            raise type(exc)(msg) from None
        out, header_out = hdu.data, hdu.header
    bad = ~np.isfinite(out)
    if bad.any():
        msg = (f"channel '{name}' has NaN in {int(bad.sum())} of {bad.size} pixels of the "
               "network grid: the image has blanked pixels or does not cover the field of view "
               f"({imaging.field_of_view:.3g}); fill them first")
        raise ValueError(msg)
    for key in ("PSF_FWHM", "DIST_MPC"):
        if key in header:
            header_out[key] = header[key]
    header_out["EXTNAME"] = name.upper()
    header_out["BUNIT"] = "nanomaggy"
    return fits.ImageHDU(out, header=header_out)


def _moment_map(data, header, name, target, npix):
    from ._utils import require

    text = str(header.get("BUNIT", "")).strip()
    if not text:
        msg = (f"channel '{name}' has no unit (BUNIT): expected {_MAP_UNITS[name]} "
               "(or give an (Quantity, WCS) pair)")
        raise u.UnitTypeError(msg)
    factor = _map_factor(text, name)
    wcs = _celestial(header, name)
    header_out = target.to_header()
    if name == "mom0":
        if not (header.get("BMAJ") and header.get("BMIN")):
            msg = "channel 'mom0' has no beam (header keywords BMAJ and BMIN, in deg)"
            raise ValueError(msg)
        for key in ("BMAJ", "BMIN", "BPA"):
            if key in header:
                header_out[key] = header[key]
    if _same_grid(wcs, data.shape, target, npix):
        out = data * factor
    else:
        reproject = require("reproject", "discs")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            out, _ = reproject.reproject_interp((data * factor, wcs), target,
                                                shape_out=(npix, npix))
    header_out["EXTNAME"] = name.upper()
    header_out["BUNIT"] = _MAP_UNITS[name].to_string()
    return fits.ImageHDU(np.asarray(out, dtype=np.float32), header=header_out)


def _map_factor(text, name):
    """Conversion factor of a map's BUNIT to the unit of ``name``.

    ``Jy/beam km/s`` (the radio convention, which astropy reads as Jy / (beam km s)) is
    read as (Jy/beam) (km/s).
    """
    target = _MAP_UNITS[name]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", u.UnitsWarning)  # "multiple slashes"
            unit = u.Unit(text)
        for candidate in (unit, unit * u.km**2):  # 'Jy/beam km/s' read as Jy/(beam km s)
            if candidate.is_equivalent(target):
                return float((1.0 * candidate).to_value(target))
    except ValueError:
        pass
    msg = f"channel '{name}' must be in {target} (BUNIT), got {text!r}"
    raise u.UnitTypeError(msg)


def _cube_maps(cube, hi, centre, target):
    from .observe import moment_maps, reproject_cube

    data, header = _read(cube, "cube")
    if np.squeeze(data).ndim != 3:
        msg = f"channel 'cube' must be a 3-D cube (channel, y, x), got shape {data.shape}"
        raise ValueError(msg)
    _check_finite(data, "cube")
    wcs = _celestial(header, "cube")
    unit = u.Unit(header.get("BUNIT", ""), parse_strict="silent")
    try:
        if unit == u.Jy / u.beam and _same_grid(wcs, data.shape, target, hi.n_pixels):
            maps = moment_maps(fits.PrimaryHDU(np.squeeze(data), header))
        else:
            maps = moment_maps(reproject_cube(fits.PrimaryHDU(data, header), setup=hi,
                                              centre=centre))
    except (ValueError, TypeError) as exc:
        msg = f"channel 'cube': {exc}".replace("argument 'cube'", "the cube")
        raise type(exc)(msg) from None
    return list(maps[1:])


def header_summaries(hdus, member_card):
    """Return the observation parameters that the headers give (as in the training ranges).

    Parameters
    ----------
    hdus : list of `~astropy.io.fits.ImageHDU`
        The channels on the network grid (from `grid_hdus`).
    member_card : dict
        A member's model card (its instrument gives the PSF of ``psf_scale`` 1).

    Returns
    -------
    dict of str to float
        ``psf_scale`` (mean over the bands of ``PSF_FWHM`` [arcsec] over the instrument's
        FWHM), ``hi_beam_fwhm`` [arcsec] (sqrt(BMAJ BMIN) of mom0), ``distance`` [Mpc]
        (``DIST_MPC``), where the headers have them.
    """
    instrument = (member_card.get("prior") or {}).get("instrument") or {}
    psf = instrument.get("psf_fwhm_arcsec") or {}
    out, scales = {}, []
    for hdu in hdus:
        name = hdu.header.get("EXTNAME", "").lower()
        if name in psf and hdu.header.get("PSF_FWHM"):
            scales.append(float(hdu.header["PSF_FWHM"]) / float(psf[name]))
        if name == "mom0" and hdu.header.get("BMAJ") and hdu.header.get("BMIN"):
            out["hi_beam_fwhm"] = 3600.0 * float(np.sqrt(hdu.header["BMAJ"] * hdu.header["BMIN"]))
        if "distance" not in out and hdu.header.get("DIST_MPC"):
            out["distance"] = float(hdu.header["DIST_MPC"])
    if scales:
        out["psf_scale"] = float(np.mean(scales))
    return out
