"""Real data in: images and HI cubes of any WCS, pixel scale, beam and unit on the network grid.

Images are converted to a surface brightness, reprojected with the exact area-overlap method of
``reproject`` (`reproject.reproject_exact`, which conserves surface brightness and hence, once
multiplied by the new pixel area, the flux) and returned in nanomaggies per pixel. Cubes are
read with ``spectral-cube``: converted to Jy/beam (from K, mJy/beam, ...), convolved to the
set-up's beam when theirs is smaller, interpolated onto channels of the set-up's width centred on
the systemic velocity (radio convention) and reprojected on the sky. reproject and spectral-cube
are imported only here, when called.
"""

import warnings

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_area

from .._utils import as_value, require
from .._version import __version__
from ._hi import HISetup
from ._moments import HI_REST_FREQUENCY
from ._sdss import ImagingSetup
from ._sky import celestial_wcs

__all__ = ["reproject_image", "reproject_cube"]

_NMGY_JY = 3.631e-6
_MAGGY = 3631.0 * u.Jy / u.mgy  # AB: 1 maggy = 3631 Jy


def _read_hdu(data, hdu, name):
    """Return (array, header) from an HDU, HDUList (+ ``hdu``), filename or (array, WCS)."""
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[1], WCS):
        return np.asarray(data[0], dtype=float), data[1].to_header()
    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)  # e.g. truncated padding
            with fits.open(data) as hdus:
                array, header = _read_hdu(hdus, hdu, name)
                return np.array(array), header.copy()
    if isinstance(data, fits.HDUList):
        data = data[0 if hdu is None else hdu]
    if not isinstance(data, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)):
        msg = (f"argument '{name}' must be an image HDU, an HDUList (with 'hdu'), a file name or "
               f"(array, WCS), got {type(data).__name__}")
        raise TypeError(msg)
    if data.data is None:
        msg = f"argument '{name}' holds no data"
        raise ValueError(msg)
    return np.asarray(data.data, dtype=float), data.header


def _celestial(header, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)  # FITSFixedWarning of old headers
        wcs = WCS(header)
    if not wcs.has_celestial:
        msg = f"argument '{name}' has no celestial WCS (CTYPE {list(wcs.wcs.ctype)})"
        raise ValueError(msg)
    return wcs


def _unit(unit, header, name):
    if unit is None:
        if "BUNIT" not in header:
            msg = (f"argument '{name}' has no BUNIT: give 'unit' (e.g. u.nanomaggy per pixel, "
                   "or u.nanomaggy / (0.396 * u.arcsec)**2 for SDSS pixels resampled)")
            raise ValueError(msg)
        text = str(header["BUNIT"]).strip()
        unit = u.nanomaggy if text.lower() in ("nanomaggy", "nanomaggies", "nmgy") else text
    try:
        return u.Unit(unit)
    except ValueError:
        msg = f"argument 'unit' (or BUNIT) {unit!r} is not a unit astropy understands"
        raise ValueError(msg) from None


def _surface_brightness(data, unit, pixel_arcsec2):
    """Return ``data`` in ``unit`` as a surface brightness in Jy/arcsec^2."""
    for one in (1.0 * unit, 1.0 * unit * _MAGGY):  # maggies are AB flux ratios
        for target, area in ((u.Jy / u.arcsec**2, 1.0), (u.Jy, pixel_arcsec2)):
            try:
                return data * one.to_value(target) / area
            except u.UnitConversionError:
                continue
    if True:
        msg = (f"argument 'unit' must be a flux per pixel (e.g. nanomaggy, Jy) or a surface "
               f"brightness (e.g. MJy/sr, nanomaggy/arcsec2), got {unit}")
        raise u.UnitTypeError(msg) from None


def reproject_image(image, *, hdu=None, unit=None, setup=None, centre=None, band=None):
    """Reproject a real image onto the network grid, in nanomaggies per pixel.

    Parameters
    ----------
    image : HDU, `~astropy.io.fits.HDUList`, str or (array, `~astropy.wcs.WCS`)
        The image, with a celestial WCS of any projection and pixel scale.
    hdu : int or str, optional
        The HDU of an HDUList or file (default the first).
    unit : `~astropy.units.Unit` or str, optional
        Unit of the pixel values, overriding ``BUNIT``: a flux per pixel (nanomaggy, Jy) or a
        surface brightness (MJy/sr, ``u.nanomaggy / (0.396 * u.arcsec)**2``).
    setup : `ImagingSetup`, optional
        The target grid (default the paper's: 128 x 128 pixels over 17.2').
    centre : `~astropy.coordinates.SkyCoord`, optional
        Centre of the target grid (default the centre of the input image).
    band : str, optional
        Band name written as ``EXTNAME`` and ``FILTER``.

    Returns
    -------
    `~astropy.io.fits.ImageHDU`
        The image in nanomaggies per pixel (flux conserved) on `celestial_wcs`.
    """
    require("reproject", "discs")
    from reproject import reproject_exact

    setup = ImagingSetup() if setup is None else setup
    data, header = _read_hdu(image, hdu, "image")
    if data.ndim != 2:
        data = np.squeeze(data)
        if data.ndim != 2:
            msg = f"argument 'image' must be a 2-D image, got shape {data.shape}"
            raise ValueError(msg)
    wcs = _celestial(header, "image").celestial
    unit = _unit(unit, header, "image")
    pixel_in = proj_plane_pixel_area(wcs) * 3600.0**2
    sb = _surface_brightness(data, unit, pixel_in)
    if centre is None:
        centre = wcs.pixel_to_world((data.shape[1] - 1) / 2.0, (data.shape[0] - 1) / 2.0)
    target = celestial_wcs(n_pixels=setup.n_pixels, field_of_view=setup.field_of_view,
                           centre=centre.icrs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        out, _ = reproject_exact((sb, wcs), target, shape_out=(setup.n_pixels,) * 2)
    pixel_out = setup.pixel_scale.to_value(u.arcsec) ** 2
    header_out = target.to_header()
    header_out["BUNIT"] = ("nanomaggy", "flux per pixel; 1 nanomaggy = 3.631e-6 Jy")
    if band is not None:
        header_out["EXTNAME"], header_out["FILTER"] = str(band).upper(), str(band)
    header_out["ORIGIN"] = f"dmprofile {__version__} (reproject_exact)"
    return fits.ImageHDU((out * pixel_out / _NMGY_JY).astype(np.float32), header=header_out)


def reproject_cube(cube, *, hdu=None, setup=None, centre=None, systemic_velocity=None):
    """Reproject a real HI cube onto the network grid, in Jy/beam.

    Parameters
    ----------
    cube : HDU, `~astropy.io.fits.HDUList` or str
        A cube with a celestial WCS, a spectral axis (velocity or frequency), a beam
        (``BMAJ``, ``BMIN``) and ``BUNIT`` in Jy/beam, mJy/beam or K.
    hdu : int or str, optional
        The HDU of an HDUList or file (default the first).
    setup : `HISetup`, optional
        The target grid and channels (default the paper's with a band wide enough): channels
        of ``setup.channel_width`` centred on the systemic velocity; ``setup.n_channels``
        channels, or when None enough to cover the input band.
    centre : `~astropy.coordinates.SkyCoord`, optional
        Centre of the target grid (default the centre of the input cube).
    systemic_velocity : `~astropy.units.Quantity` [speed], optional
        Systemic velocity (radio convention); default the flux-weighted mean velocity.

    Returns
    -------
    `~astropy.io.fits.PrimaryHDU`
        The cube (channel, y, x) in Jy/beam on `celestial_wcs` x channels (VRAD), with the
        beam (the input's, or the set-up's when larger) and ``VSYS`` [km/s].
    """
    require("reproject", "discs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)  # its astropy.utils.compat import
        spectral_cube = require("spectral_cube", "discs")
    setup = HISetup() if setup is None else setup
    data, header = _read_hdu(cube, hdu, "cube")
    if data.ndim == 4:
        data = data[0]
    if data.ndim != 3:
        msg = f"argument 'cube' must be 3-D, got shape {data.shape}"
        raise ValueError(msg)
    _celestial(header, "cube")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        warnings.simplefilter("ignore", UserWarning)  # spectral-cube's beam/WCS notices
        sc = spectral_cube.SpectralCube.read(fits.PrimaryHDU(data, _three_axes(header)))
        sc = sc.with_spectral_unit(u.km / u.s, velocity_convention="radio",
                                   rest_value=HI_REST_FREQUENCY)
        sc = sc.to(u.Jy / u.beam)
        sc = _match_beam(sc, setup)
        vsys = _cube_systemic(sc, systemic_velocity)
        sc = sc.spectral_interpolate(_channels(sc, setup, vsys) * u.km / u.s,
                                     update_function=lambda *args: None)
        if centre is None:
            centre = sc.wcs.celestial.pixel_to_world((sc.shape[2] - 1) / 2.0,
                                                     (sc.shape[1] - 1) / 2.0)
        target = _target_header(sc, setup, centre)
        sc = sc.reproject(target)
        header_out = sc.wcs.to_header()
        data_out = np.asarray(sc.filled_data[:].value, dtype=np.float32)
        beam = sc.beam
    header_out["BUNIT"] = "Jy / beam"
    header_out["BMAJ"] = beam.major.to_value(u.deg)
    header_out["BMIN"] = beam.minor.to_value(u.deg)
    header_out["BPA"] = beam.pa.to_value(u.deg)
    header_out["VSYS"] = (vsys, "[km/s] systemic velocity, radio")
    header_out["ORIGIN"] = f"dmprofile {__version__}"
    return fits.PrimaryHDU(data_out, header=header_out)


def _three_axes(header):
    """Drop a degenerate Stokes axis 4 and add the HI rest frequency if the header lacks it."""
    header = header.copy()
    if not header.get("RESTFRQ") and not header.get("RESTFREQ"):
        header["RESTFRQ"] = HI_REST_FREQUENCY.to_value(u.Hz)
    if header.get("NAXIS", 3) == 4:
        header["NAXIS"] = 3
        for key in list(header):
            if key.endswith("4") and key[:-1] in ("NAXIS", "CTYPE", "CRVAL", "CDELT", "CRPIX",
                                                  "CUNIT", "CROTA"):
                del header[key]
    return header


def _match_beam(sc, setup):
    """Convolve to the set-up's beam if the cube's is smaller."""
    from radio_beam import Beam

    target = Beam(setup.beam_fwhm)
    try:
        sc.beam.deconvolve(target)
    except ValueError:  # the target beam is larger: it can be reached
        if sc.beam.major < target.major:
            return sc.convolve_to(target)
    return sc


def _cube_systemic(sc, systemic_velocity):
    if systemic_velocity is not None:
        return as_value(systemic_velocity, u.km / u.s, "systemic_velocity", scalar=True)
    spectrum = np.nansum(np.clip(sc.filled_data[:].value, 0, None), axis=(1, 2))
    velocity = sc.spectral_axis.to_value(u.km / u.s)
    return float(np.sum(spectrum * velocity) / np.sum(spectrum))


def _channels(sc, setup, vsys):
    width = setup.channel_width.to_value(u.km / u.s)
    if setup.n_channels is not None:
        n = int(setup.n_channels)
    else:
        velocity = sc.spectral_axis.to_value(u.km / u.s)
        n = 2 * int(np.floor(np.max(np.abs(velocity - vsys)) / width))
    return vsys + (np.arange(n) - (n - 1) / 2.0) * width


def _target_header(sc, setup, centre):
    header = celestial_wcs(n_pixels=setup.n_pixels, field_of_view=setup.field_of_view,
                           centre=centre.icrs).to_header()
    spec = sc.wcs.sub([3]).to_header()
    header["NAXIS"] = 3
    header["NAXIS1"] = header["NAXIS2"] = setup.n_pixels
    header["NAXIS3"] = sc.shape[0]
    header["WCSAXES"] = 3
    for key in ("CTYPE", "CRVAL", "CDELT", "CRPIX", "CUNIT"):
        if f"{key}1" in spec:
            header[f"{key}3"] = spec[f"{key}1"]
    header["SPECSYS"] = spec.get("SPECSYS", "BARYCENT")
    header["RESTFRQ"] = spec.get("RESTFRQ", HI_REST_FREQUENCY.to_value(u.Hz))
    return header
