"""Mock SDSS ugriz images of a particle galaxy, in nanomaggies, with a celestial WCS.

The stellar light of every star particle comes from the shipped Bruzual & Charlot (2003) SSP
table (`ssp_absolute_magnitude`, by age and metallicity), placed at the distance without a
k-correction (the discs are at z < 0.01), drawn on an oversampled grid, convolved with a
Gaussian PSF per band, binned to the pixels, and observed through the sky: a uniform sky of the
given surface brightness adds Poisson noise in electrons (SDSS gain and counts per nanomaggy)
and is then subtracted, as in SDSS ``frame`` images.

SDSS calibration numbers used (document them when you change them):

* exposure 53.907456 s (drift scan; the ``EXPTIME`` of every SDSS frame);
* gain [e-/DN], camera column 3 of the SDSS frame data model table (DR8+): u 1.59, g 3.845,
  r 4.72, i 4.86, z 4.885;
* counts [DN] per nanomaggy: u 113, g 254, r 192, i 139, z 32, from the DR7 photometric zero
  points (``aa`` = -23.9, -24.4, -24.0, -23.6, -22.0, extinction ``k`` = 0.50, 0.18, 0.10,
  0.06, 0.06 at airmass 1.2): ``counts = t_exp 10**(0.4 (-aa - k X - 22.5))``; they match the
  typical ``NMGY`` header values (0.0089, 0.0039, 0.0052, 0.0072, 0.031 nanomaggy per count).

Read noise and dark current are neglected: at 8 arcsec per pixel the sky dominates by far.
"""

import dataclasses

import numpy as np
from astropy import units as u
from astropy.io import fits

from .._utils import MASS, as_value, column_values
from .._version import __version__
from ._sky import (
    celestial_wcs,
    check_centre,
    check_particles,
    orientation,
    pixel_coordinates,
    rotate_table,
    systemic,
)
from ._ssp import SDSS_BANDS, check_band, ssp_absolute_magnitude

__all__ = ["ImagingSetup", "sdss_images", "sky_noise_per_pixel"]

_NMGY_ZERO_MAG = 22.5
#: Effective wavelengths of the SDSS bands [micron] (speclite sdss2010, for the dust curve).
_EFFECTIVE_WAVELENGTH = {"u": 0.3614, "g": 0.4712, "r": 0.6179, "i": 0.7485, "z": 0.8947}


def _per_band(values, unit=None):
    return {b: (v * unit if unit is not None else v) for b, v in zip(SDSS_BANDS, values)}


@dataclasses.dataclass(frozen=True)
class ImagingSetup:
    """The distance-independent parameters of an SDSS-like imaging instrument.

    The defaults are the paper's set-up (de los Rios et al. 2023, Table 2: SDSS DR16 median
    seeing and sky); `ImagingSetup.paper` returns it by name.

    Parameters
    ----------
    n_pixels : int
        Pixels on each side of the image.
    field_of_view : `~astropy.units.Quantity` [angle]
        Width of the square field.
    psf_fwhm : dict of str to `~astropy.units.Quantity` [angle]
        FWHM of the Gaussian PSF per band.
    sky_brightness : dict of str to `~astropy.units.Quantity` [mag / arcsec2]
        Sky surface brightness per band (AB).
    exposure_time : `~astropy.units.Quantity` [time]
        Exposure time (enters through ``counts_per_nanomaggy``, documented for reference).
    gain : dict of str to float
        Electrons per count (DN) per band.
    counts_per_nanomaggy : dict of str to float
        Counts (DN) per nanomaggy in ``exposure_time`` per band.
    oversample : int
        Sub-pixels per pixel side on which the light is drawn and the PSF applied.
    noise : bool
        Add the sky's Poisson noise (and that of the galaxy); ``False`` gives noiseless images.
    """

    n_pixels: int = 128
    field_of_view: u.Quantity = 17.2 * u.arcmin
    psf_fwhm: dict = dataclasses.field(
        default_factory=lambda: _per_band((1.53, 1.44, 1.32, 1.26, 1.29), u.arcsec))
    sky_brightness: dict = dataclasses.field(
        default_factory=lambda: _per_band((22.01, 21.84, 20.84, 20.16, 18.96),
                                          u.mag / u.arcsec**2))
    exposure_time: u.Quantity = 53.907456 * u.s
    gain: dict = dataclasses.field(
        default_factory=lambda: _per_band((1.59, 3.845, 4.72, 4.86, 4.885)))
    counts_per_nanomaggy: dict = dataclasses.field(
        default_factory=lambda: _per_band((113.0, 254.0, 192.0, 139.0, 32.0)))
    oversample: int = 4
    noise: bool = True

    @classmethod
    def paper(cls):
        """Return the set-up of de los Rios et al. (2023): 128 x 128 pixels over 17.2'.

        Returns
        -------
        `ImagingSetup`
            The paper's instrument.
        """
        return cls()

    @property
    def pixel_scale(self):
        """`~astropy.units.Quantity` [angle]: the width of one pixel."""
        return (self.field_of_view / self.n_pixels).to(u.arcsec)


def sky_noise_per_pixel(setup, band):
    """Return the sky level and its Poisson noise per pixel, in nanomaggies.

    Parameters
    ----------
    setup : `ImagingSetup`
        The instrument.
    band : str
        An SDSS band.

    Returns
    -------
    sky : `~astropy.units.Quantity`
        Sky flux per pixel [nanomaggy].
    sigma : `~astropy.units.Quantity`
        Standard deviation of its Poisson noise [nanomaggy].

    Examples
    --------
    >>> from dmprofile.observe import ImagingSetup, sky_noise_per_pixel
    >>> sky, sigma = sky_noise_per_pixel(ImagingSetup.paper(), "r")
    >>> print(f"{sky:.0f} {sigma:.2f}")
    300 nmgy 0.58 nmgy
    """
    check_band(band)
    mu = setup.sky_brightness[band].to_value(u.mag / u.arcsec**2)
    area = setup.pixel_scale.to_value(u.arcsec) ** 2
    sky = 10 ** (-0.4 * (mu - _NMGY_ZERO_MAG)) * area
    electrons_per_nmgy = setup.counts_per_nanomaggy[band] * setup.gain[band]
    return sky * u.nanomaggy, np.sqrt(sky / electrons_per_nmgy) * u.nanomaggy


def _cardelli(wavelength_um, r_v=3.1):
    """A_lambda / A_V of Cardelli, Clayton & Mathis (1989), optical and near-infrared."""
    x = 1.0 / wavelength_um
    if x < 1.1:
        a, b = 0.574 * x**1.61, -0.527 * x**1.61
    else:
        y = x - 1.82
        a = (1 + 0.17699 * y - 0.50447 * y**2 - 0.02427 * y**3 + 0.72085 * y**4
             + 0.01979 * y**5 - 0.77530 * y**6 + 0.32999 * y**7)
        b = (1.41338 * y + 2.28305 * y**2 + 1.07233 * y**3 - 5.38434 * y**4
             - 0.62251 * y**5 + 5.30260 * y**6 - 2.09002 * y**7)
    return a + b / r_v


def _star_fluxes(stars, band, distance_mpc, dust_av):
    """Flux of every star particle in nanomaggies at the distance (no k-correction)."""
    mass = column_values(stars, "mass", MASS, finite=True, what="particles.stars")
    age = column_values(stars, "age", u.Gyr, finite=True, what="particles.stars")
    z = column_values(stars, "metallicity", u.dimensionless_unscaled, finite=True,
                      what="particles.stars")
    mag1 = ssp_absolute_magnitude(age * u.Gyr, z, band=band).to_value(u.mag)
    distance_modulus = 5.0 * np.log10(distance_mpc * 1e5)
    attenuation = dust_av * _cardelli(_EFFECTIVE_WAVELENGTH[band])
    return mass * 10 ** (-0.4 * (mag1 + distance_modulus + attenuation - _NMGY_ZERO_MAG))


def _draw(col, row, flux, setup, fwhm_arcsec):
    """Bin fluxes at zero-based pixel coordinates on the oversampled grid, blur and rebin."""
    from astropy.convolution import Gaussian2DKernel, convolve_fft

    n, k = setup.n_pixels, setup.oversample
    sub_col = np.floor((col + 0.5) * k).astype(np.int64)
    sub_row = np.floor((row + 0.5) * k).astype(np.int64)
    inside = (sub_col >= 0) & (sub_col < n * k) & (sub_row >= 0) & (sub_row < n * k)
    grid = np.bincount(sub_row[inside] * (n * k) + sub_col[inside], weights=flux[inside],
                       minlength=(n * k) ** 2).reshape(n * k, n * k)
    sigma_sub = fwhm_arcsec / 2.3548200450309493 / (setup.pixel_scale.to_value(u.arcsec) / k)
    if sigma_sub > 0.05:
        kernel = Gaussian2DKernel(sigma_sub, mode="oversample" if sigma_sub < 1.0 else "center")
        kernel.normalize()
        grid = convolve_fft(grid, kernel, normalize_kernel=False, boundary="fill")
    return grid.reshape(n, k, n, k).sum(axis=(1, 3))


def _image_header(wcs, band, setup, sky, sigma, distance_mpc, dust_av):
    header = wcs.to_header()
    header["BUNIT"] = ("nanomaggy", "flux per pixel; 1 nanomaggy = 3.631e-6 Jy")
    header["FILTER"] = (band, "SDSS band")
    header["EXTNAME"] = band.upper()
    header["PSF_FWHM"] = (setup.psf_fwhm[band].to_value(u.arcsec), "[arcsec] Gaussian PSF")
    header["SKYMAG"] = (setup.sky_brightness[band].to_value(u.mag / u.arcsec**2),
                        "[mag/arcsec2] sky")
    header["SKY"] = (sky, "[nmgy] sky per pixel, subtracted")
    header["SKYSIG"] = (sigma, "[nmgy] sky noise per pixel")
    header["NOISE"] = (bool(setup.noise), "noise added")
    header["GAIN"] = (setup.gain[band], "[e-/DN]")
    header["NMGY"] = (1.0 / setup.counts_per_nanomaggy[band], "nanomaggy per count")
    header["EXPTIME"] = (setup.exposure_time.to_value(u.s), "[s]")
    header["DIST_MPC"] = (distance_mpc, "[Mpc] distance")
    header["DUST_AV"] = (dust_av, "[mag] dust screen A_V, CCM89")
    header["ORIGIN"] = f"dmprofile {__version__}"
    return header


def sdss_images(particles, *, distance, inclination, position_angle, bands="ugriz",
                setup=None, centre=None, dust_av=0.0 * u.mag, seed=None):
    """Observe the star particles of a galaxy as SDSS images in nanomaggies.

    Parameters
    ----------
    particles : `~dmprofile.simulate.GalaxyParticles` or similar
        Any object with a ``stars`` table (positions, velocities, ``mass``, ``age``,
        ``metallicity``) in the galaxy frame, rotation axis ``+z``.
    distance : `~astropy.units.Quantity` [length]
        Distance of the galaxy.
    inclination : `~astropy.units.Quantity` [angle]
        Inclination (0 face-on, 90 deg edge-on); see `sky_projection`.
    position_angle : `~astropy.units.Quantity` [angle]
        Position angle of the receding major axis, north through east.
    bands : str or sequence of str
        SDSS bands to draw, e.g. ``"ugriz"`` or ``("g", "r")``.
    setup : `ImagingSetup`, optional
        The instrument (default `ImagingSetup.paper`).
    centre : `~astropy.coordinates.SkyCoord`, optional
        Sky position of the galaxy centre (default `DEFAULT_CENTRE`).
    dust_av : `~astropy.units.Quantity` [mag]
        V-band attenuation of a uniform foreground dust screen, scaled to each band with the
        Cardelli, Clayton & Mathis (1989) curve (R_V = 3.1); 0 for no dust.
    seed : int, `~numpy.random.Generator` or None
        Seed of the noise.

    Returns
    -------
    `~astropy.io.fits.HDUList`
        An empty primary HDU and one `~astropy.io.fits.ImageHDU` per band (``EXTNAME`` the
        band in capitals, ``BUNIT = 'nanomaggy'`` per pixel, celestial WCS, and the PSF, sky
        and calibration in the header). Images are sky-subtracted.

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from astropy.table import QTable
    >>> from types import SimpleNamespace
    >>> from dmprofile.observe import ImagingSetup, sdss_images
    >>> n = 100
    >>> stars = QTable({"x": np.linspace(-2, 2, n) * u.kpc, "y": np.zeros(n) * u.kpc,
    ...                 "z": np.zeros(n) * u.kpc, "vx": np.zeros(n) * u.km / u.s,
    ...                 "vy": np.zeros(n) * u.km / u.s, "vz": np.zeros(n) * u.km / u.s,
    ...                 "mass": np.full(n, 1e8) * u.Msun, "age": np.full(n, 5.0) * u.Gyr,
    ...                 "metallicity": np.full(n, 0.02)})
    >>> hdus = sdss_images(SimpleNamespace(stars=stars), distance=15 * u.Mpc,
    ...                    inclination=30 * u.deg, position_angle=0 * u.deg, bands="gr",
    ...                    setup=ImagingSetup(n_pixels=32, noise=False))
    >>> [h.name for h in hdus[1:]], hdus["R"].header["BUNIT"], hdus["R"].data.shape
    (['G', 'R'], 'nanomaggy', (32, 32))
    """
    setup = ImagingSetup() if setup is None else setup
    if not isinstance(setup, ImagingSetup):
        msg = f"argument 'setup' must be an ImagingSetup, got {type(setup).__name__}"
        raise TypeError(msg)
    bands = [check_band(b, "bands") for b in (bands if not isinstance(bands, str) else bands)]
    if not bands:
        msg = "argument 'bands' must name at least one SDSS band"
        raise ValueError(msg)
    stars = check_particles(particles, "stars")
    if len(stars) == 0:
        msg = "argument 'particles' has no star particles: there is no light to draw"
        raise ValueError(msg)
    distance_kpc = as_value(distance, u.kpc, "distance", scalar=True, positive=True,
                            allow_zero=False)
    av = as_value(dust_av, u.mag, "dust_av", scalar=True, positive=True)
    centre = check_centre(centre)
    wcs = celestial_wcs(n_pixels=setup.n_pixels, field_of_view=setup.field_of_view,
                        centre=centre)
    matrix = orientation(inclination, position_angle)
    pos, _ = rotate_table(stars, matrix, what="particles.stars")
    fov_deg = setup.field_of_view.to_value(u.deg)
    col, row = pixel_coordinates(pos[0], pos[1], pos[2], distance_kpc, setup.n_pixels, fov_deg)
    rng = np.random.default_rng(seed)
    hdus = fits.HDUList([fits.PrimaryHDU()])
    hdus[0].header["ORIGIN"] = f"dmprofile {__version__}"
    hdus[0].header["VSYS"] = (systemic(None, distance_kpc / 1000.0), "[km/s] H0 D")
    for band in bands:
        flux = _star_fluxes(stars, band, distance_kpc / 1000.0, av)
        image = _draw(col, row, flux, setup, setup.psf_fwhm[band].to_value(u.arcsec))
        sky, sigma = (q.to_value(u.nanomaggy) for q in sky_noise_per_pixel(setup, band))
        if setup.noise:
            e_per_nmgy = setup.counts_per_nanomaggy[band] * setup.gain[band]
            electrons = rng.poisson(np.maximum(image + sky, 0.0) * e_per_nmgy)
            image = electrons / e_per_nmgy - sky
        header = _image_header(wcs, band, setup, sky, sigma, distance_kpc / 1000.0, av)
        hdus.append(fits.ImageHDU(image.astype(np.float32), header=header))
    return hdus
