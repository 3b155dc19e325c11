r"""Photometric disc fit: isophotes of an optical image, an exponential profile and its mass.

`fit_photometric_disc` measures elliptical isophotes with `photutils.isophote.Ellipse`, fits
``I(R) = I_0 exp(-R / R_d)`` to their intensities along the major axis, converts the central
surface brightness to a face-on surface density of light and, with a colour-based stellar
mass-to-light ratio (Bell et al. 2003), of mass.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.table import QTable
from astropy.wcs import WCS

from .._utils import as_value, require
from ._hi_data import quiet_fits
from ._rotation_models import disc_velocity

__all__ = ["PhotometricDiscFit", "fit_photometric_disc", "bell2003_mass_to_light",
           "BELL2003_GR", "SOLAR_ABS_MAG"]

#: Bell et al. (2003, ApJS 149, 289, Table 7): log10(M/L_band) = a + b (g - r), "diet"
#: Salpeter IMF, SDSS bands.
BELL2003_GR = {"g": (-0.499, 1.519), "r": (-0.306, 1.097), "i": (-0.222, 0.864)}
#: Absolute magnitude of the Sun in the SDSS bands (AB; Willmer 2018, ApJS 236, 47).
SOLAR_ABS_MAG = {"g": 5.11, "r": 4.65, "i": 4.53}
#: 1 Lsun/pc2 is this many mag/arcsec2 brighter than M_sun: mu = M_sun + 21.572 - 2.5 log Sigma.
_MU_TO_LSUN = 21.572


def bell2003_mass_to_light(color, *, band="g", log_offset=0.0):
    """Stellar mass-to-light ratio from the g - r colour (Bell et al. 2003, Table 7).

    ``log10(M/L) = a + b (g - r) + log_offset`` with (a, b) = (-0.499, 1.519) in g,
    (-0.306, 1.097) in r and (-0.222, 0.864) in i, for Bell et al.'s "diet" Salpeter IMF
    (``log_offset=-0.15`` converts to a Kroupa IMF, as Bell et al. note).

    Parameters
    ----------
    color : float or array
        Rest-frame g - r colour [mag].
    band : {"g", "r", "i"}
        Band of the luminosity.
    log_offset : float
        Added to log10(M/L) [dex].

    Returns
    -------
    `~astropy.units.Quantity` [Msun / Lsun]
        The mass-to-light ratio.

    Examples
    --------
    >>> from dmprofile.classical import bell2003_mass_to_light
    >>> bell2003_mass_to_light(0.6).round(3)
    <Quantity 2.585 solMass / solLum>
    """
    if band not in BELL2003_GR:
        msg = f"argument 'band' must be one of {sorted(BELL2003_GR)}, got {band!r}"
        raise ValueError(msg)
    a, b = BELL2003_GR[band]
    color = np.asarray(color, dtype=float)
    return 10 ** (a + b * color + float(log_offset)) * u.Msun / u.Lsun


@dataclass(frozen=True)
class PhotometricDiscFit:
    """An exponential disc fitted to the isophotes of an image (see `fit_photometric_disc`).

    Parameters
    ----------
    r_d, r_d_err : `~astropy.units.Quantity` [length]
        Scale length and its error.
    mu0 : `~astropy.units.Quantity` [mag / arcsec2]
        Central surface brightness of the fitted exponential (as observed, not face-on).
    sigma0_light : `~astropy.units.Quantity` [Lsun / pc2]
        Face-on central surface density of light (``mu0`` corrected by the axis ratio).
    mass_to_light : `~astropy.units.Quantity` [Msun / Lsun] or None
        Stellar mass-to-light ratio used (None if no colour or value was given).
    color : float or None
        The g - r colour used for ``mass_to_light``.
    ellipticity : float
        Median ellipticity 1 - b/a of the fitted isophotes.
    isophotes : `~astropy.table.QTable`
        The isophotes: ``sma`` [arcsec], ``radius`` [kpc], ``intensity`` (image units per
        pixel, background subtracted), ``intensity_err``, ``mu`` [mag/arcsec2],
        ``ellipticity``, ``pa_pixel`` [deg, photutils' angle from the image x axis] and
        ``fitted`` (used in the exponential fit).
    meta : dict
        Band, distance, zero point, fit range, background.
    """

    r_d: u.Quantity
    r_d_err: u.Quantity
    mu0: u.Quantity
    sigma0_light: u.Quantity
    mass_to_light: u.Quantity | None
    color: float | None
    ellipticity: float
    isophotes: QTable = field(repr=False)
    meta: dict = field(repr=False, default_factory=dict)

    @property
    def sigma0(self):
        """`~astropy.units.Quantity` [Msun / pc2] or None: stellar central surface density."""
        if self.mass_to_light is None:
            return None
        return (self.sigma0_light * self.mass_to_light).to(u.Msun / u.pc**2)

    @property
    def disc_mass(self):
        """`~astropy.units.Quantity` [Msun] or None: 2 pi Sigma0 R_d^2."""
        s0 = self.sigma0
        return None if s0 is None else (2 * np.pi * s0 * self.r_d**2).to(u.Msun)

    @property
    def inclination(self):
        """`~astropy.units.Quantity` [deg]: arccos(b/a) of a thin disc."""
        return np.degrees(np.arccos(np.clip(1 - self.ellipticity, 0, 1))) * u.deg

    def velocity(self, radius):
        """Return the circular velocity of the stellar disc (Freeman 1970) at ``radius``.

        Parameters
        ----------
        radius : `~astropy.units.Quantity` [length]
            Radii.

        Returns
        -------
        `~astropy.units.Quantity` [speed]
            `disc_velocity` with this fit's ``sigma0`` and ``r_d``.
        """
        if self.sigma0 is None:
            msg = "no mass-to-light ratio: pass color= or mass_to_light= to fit_photometric_disc"
            raise ValueError(msg)
        return disc_velocity(radius, sigma0=self.sigma0, r_d=self.r_d)

    def plot(self, ax=None):
        """Draw the surface-brightness profile and the fitted exponential.

        Parameters
        ----------
        ax : `matplotlib.axes.Axes`, optional
            Axes to draw on (default: the current axes).

        Returns
        -------
        `matplotlib.axes.Axes`
        """
        if ax is None:
            ax = require("matplotlib.pyplot", "plot").gca()
        t = self.isophotes
        r = t["radius"].to_value(u.kpc)
        ax.plot(r, t["mu"].value, "o", ms=3, color="0.5", label="isophotes")
        fit = t["fitted"]
        ax.plot(r[fit], t["mu"].value[fit], "o", ms=3, color="k", label="fitted")
        model = self.mu0.value + 1.0857 * r / self.r_d.to_value(u.kpc)
        ax.plot(r, model, "-", color="C3",
                label=f"exponential, $R_d$ = {self.r_d.to_value(u.kpc):.2f} kpc")
        ax.invert_yaxis()
        ax.set_xlabel("$R$ [kpc]")
        ax.set_ylabel(rf"$\mu_{self.meta.get('band', '')}$ [mag arcsec$^{{-2}}$]")
        ax.legend(fontsize="small")
        return ax


# ------------------------------------------------------------------ image input
def _image(data, name):
    """(2-D float array, celestial WCS) from an HDU, HDUList, file name or (array, WCS)."""
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[1], WCS):
        arr = np.asarray(getattr(data[0], "value", data[0]), dtype=float)
        wcs = data[1].celestial
    else:
        if isinstance(data, str) or hasattr(data, "__fspath__"):
            from astropy.utils.exceptions import AstropyUserWarning

            with warnings.catch_warnings():
                # cutouts from sky maps often lack the FITS padding or use loose cards
                warnings.simplefilter("ignore", fits.verify.VerifyWarning)
                warnings.simplefilter("ignore", AstropyUserWarning)
                with fits.open(data) as hdus:
                    hdu = next(h for h in hdus if h.data is not None)
                    arr, header = np.array(hdu.data, dtype=float), hdu.header.copy()
        elif isinstance(data, fits.HDUList):
            hdu = next(h for h in data if h.data is not None)
            arr, header = np.asarray(hdu.data, dtype=float), hdu.header
        elif isinstance(data, fits.PrimaryHDU | fits.ImageHDU):
            arr, header = np.asarray(data.data, dtype=float), data.header
        else:
            msg = (f"argument '{name}' must be an image HDU, HDUList, file name or (array, WCS)"
                   f", got {type(data).__name__}")
            raise TypeError(msg)
        with quiet_fits():
            wcs = WCS(header).celestial
    if arr.ndim != 2:
        msg = f"argument '{name}' must be a 2-D image, got shape {arr.shape}"
        raise ValueError(msg)
    if not wcs.has_celestial:
        msg = f"argument '{name}' has no celestial WCS"
        raise ValueError(msg)
    return arr, wcs


def _pixel_scale(wcs):
    from astropy.wcs.utils import proj_plane_pixel_scales

    return float(np.mean(proj_plane_pixel_scales(wcs)) * 3600.0)


def _background(arr):
    from astropy.stats import sigma_clipped_stats

    _, median, std = sigma_clipped_stats(arr[np.isfinite(arr)], sigma=3.0, maxiters=10)
    return float(median), float(std)


def _moment_geometry(arr, x0, y0, noise):
    """Return the ellipticity and position angle (photutils' convention) of the light.

    From the second moments of the pixels above 3 noise levels within 20 pixels of the centre;
    (0.2, 0.5) without 10 such pixels.
    """
    ny, nx = arr.shape
    yy, xx = np.mgrid[:ny, :nx]
    dx, dy = xx - x0, yy - y0
    sel = np.isfinite(arr) & (arr > 3 * noise) & (dx**2 + dy**2 < 400)
    if np.count_nonzero(sel) < 10:
        return 0.2, 0.5
    w = arr[sel]
    cxx = np.sum(w * dx[sel] ** 2) / w.sum()
    cyy = np.sum(w * dy[sel] ** 2) / w.sum()
    cxy = np.sum(w * dx[sel] * dy[sel]) / w.sum()
    lam = np.linalg.eigvalsh([[cxx, cxy], [cxy, cyy]])
    eps = float(np.clip(1 - np.sqrt(max(lam[0], 1e-9) / max(lam[1], 1e-9)), 0.05, 0.85))
    return eps, float(0.5 * np.arctan2(2 * cxy, cxx - cyy))


def _isophotes(arr, x0, y0, sma0, max_sma, noise):
    """Isophotes from the moment geometry, trying a few starting sizes until 4 or more fit."""
    iso = require("photutils.isophote", "discs")
    eps, pa = _moment_geometry(arr, x0, y0, noise)
    result = []
    for start, (e0, p0) in ((sma0, (eps, pa)), (sma0 / 2, (eps, pa)), (2 * sma0, (eps, pa)),
                            (sma0, (0.2, 0.5))):
        geometry = iso.EllipseGeometry(x0=x0, y0=y0, sma=start, eps=e0, pa=p0)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            ellipse = iso.Ellipse(np.nan_to_num(arr), geometry)
            result = ellipse.fit_image(sma0=start, minsma=1.0, maxsma=max_sma, step=0.1,
                                       fix_center=False, nclip=2)
        if len(result) >= 4:
            return result
    msg = "photutils found fewer than 4 isophotes: check the centre and the image"
    raise RuntimeError(msg)


def _centre(data, wcs, center):
    if center is not None:
        x, y = wcs.world_to_pixel(center)
        return float(x), float(y)
    from scipy import ndimage

    smooth = ndimage.gaussian_filter(np.nan_to_num(data), 2.0)
    ny, nx = data.shape
    inner = np.zeros_like(smooth, dtype=bool)
    inner[ny // 4:3 * ny // 4, nx // 4:3 * nx // 4] = True
    y, x = np.unravel_index(np.argmax(np.where(inner, smooth, -np.inf)), smooth.shape)
    return float(x), float(y)


def _color_from_image(data_g, red, bg_wcs_shape, x0, y0, sma, eps, pa):
    """Measure g - r from the background-subtracted fluxes of two images in one ellipse."""
    aperture = require("photutils.aperture", "discs")
    arr_r, _ = _image(red, "color")
    if arr_r.shape != bg_wcs_shape:
        msg = (f"argument 'color' (an image) must have the shape of 'image' {bg_wcs_shape}, "
               f"got {arr_r.shape}")
        raise ValueError(msg)
    arr_r = arr_r - _background(arr_r)[0]
    ap = aperture.EllipticalAperture((x0, y0), sma, sma * (1 - eps), theta=pa)
    f_g = float(aperture.aperture_photometry(np.nan_to_num(data_g), ap)["aperture_sum"][0])
    f_r = float(aperture.aperture_photometry(np.nan_to_num(arr_r), ap)["aperture_sum"][0])
    if f_g <= 0 or f_r <= 0:
        msg = "the galaxy has no positive flux in one of the images: cannot measure g - r"
        raise ValueError(msg)
    return -2.5 * np.log10(f_g / f_r)


def _exponential_fit(r, intens, err):
    """Weighted fit of ln I = ln I0 - r / r_d; returns r_d, its error and I0."""
    w = intens / err  # 1 / sigma of ln I
    coef, cov = np.polyfit(r, np.log(intens), 1, w=w, cov="unscaled")
    slope, intercept = coef
    if slope >= 0:
        msg = "the fitted profile does not decline outwards: no exponential disc"
        raise RuntimeError(msg)
    r_d = -1.0 / slope
    r_d_err = np.sqrt(cov[0, 0]) / slope**2
    return r_d, r_d_err, np.exp(intercept)


def fit_photometric_disc(image, *, distance, band="g", color=None, mass_to_light=None,
                         zero_point=22.5 * u.mag, pixel_area=None, center=None, fit_range=None,
                         log_offset=0.0):
    r"""Fit an exponential disc to the isophotes of an optical image.

    The background (sigma-clipped median) is subtracted, elliptical isophotes are fitted with
    `photutils.isophote.Ellipse` (centre, ellipticity and position angle free), and
    ``ln I = ln I_0 - R / R_d`` is fitted (weighted least squares) to the intensities along
    the major axis over ``fit_range``. The central surface brightness
    ``mu_0 = zero_point - 2.5 log10(I_0 / pixel area)`` becomes a face-on surface density of
    light ``Sigma_0 = 10^(-0.4 (mu_0 - M_sun - 21.572)) (1 - e)`` [Lsun/pc2] (e the median
    ellipticity, M_sun from Willmer 2018), and of mass with the g - r colour and the relation
    of Bell et al. (2003). Neither Galactic extinction nor K-corrections are applied.

    Parameters
    ----------
    image : HDU, `~astropy.io.fits.HDUList`, str or (array, WCS)
        The image, in flux per pixel units whose AB magnitude is ``zero_point - 2.5 log10``
        (SDSS nanomaggies: 22.5 mag), with a celestial WCS.
    distance : `~astropy.units.Quantity` [length]
        Distance, for radii in kpc.
    band : {"g", "r", "i"}
        Band of ``image`` (solar absolute magnitude and colour relation).
    color : float or image, optional
        The g - r colour [mag], or an r-band image of the same grid from which it is measured
        (fluxes inside the outermost fitted isophote).
    mass_to_light : `~astropy.units.Quantity` [Msun / Lsun], optional
        A stellar mass-to-light ratio to use instead of the colour relation.
    zero_point : `~astropy.units.Quantity` [mag]
        AB magnitude of one image unit.
    pixel_area : `~astropy.units.Quantity` [solid angle], optional
        Area that one image unit of flux refers to (default: the WCS pixel); e.g.
        ``0.396**2 * u.arcsec**2`` for SDSS cutouts resampled without rescaling.
    center : `~astropy.coordinates.SkyCoord`, optional
        Starting centre (default: the brightest smoothed pixel of the central half).
    fit_range : `~astropy.units.Quantity` [length or angle], optional
        (min, max) semi-major axes of the exponential fit (default: from a quarter of the
        outermost significant isophote to that isophote, which skips most bulges).
    log_offset : float
        Added to log10(M/L) of the colour relation (e.g. -0.15 for a Kroupa IMF).

    Returns
    -------
    `PhotometricDiscFit`
        ``r_d``, ``mu0``, ``sigma0_light``, ``mass_to_light``, ``sigma0``, ``disc_mass``,
        ``isophotes``, ``velocity(radius)`` and ``plot()``.

    Raises
    ------
    ValueError
        For an unknown band, an image that is not 2-D or has no celestial WCS, or a bad range.
    RuntimeError
        If no isophotes or no declining profile are found.

    Examples
    --------
    See :doc:`/classical_discs` (a synthetic exponential disc and NGC 6195's SDSS images).
    """
    arr, wcs = _image(image, "image")
    dist = as_value(distance, u.Mpc, "distance", scalar=True, positive=True, allow_zero=False)
    if band not in SOLAR_ABS_MAG:
        msg = f"argument 'band' must be one of {sorted(SOLAR_ABS_MAG)}, got {band!r}"
        raise ValueError(msg)
    zp = as_value(zero_point, u.mag, "zero_point", scalar=True)
    pix = _pixel_scale(wcs)
    area = (pix**2 if pixel_area is None
            else as_value(pixel_area, u.arcsec**2, "pixel_area", scalar=True, positive=True,
                          allow_zero=False))
    bg, noise = _background(arr)
    data = arr - bg
    x0, y0 = _centre(data, wcs, center)
    iso = _isophotes(data, x0, y0, sma0=10.0, max_sma=0.48 * min(data.shape), noise=noise)
    kpc_per_arcsec = dist * 1000.0 * np.pi / (180.0 * 3600.0)
    t = QTable()
    t["sma"] = np.asarray(iso.sma) * pix * u.arcsec
    t["radius"] = t["sma"].value * kpc_per_arcsec * u.kpc
    t["intensity"] = np.asarray(iso.intens, dtype=float)
    t["intensity_err"] = np.maximum(np.asarray(iso.int_err, dtype=float), 1e-3 * noise)
    with np.errstate(invalid="ignore", divide="ignore"):
        t["mu"] = (zp - 2.5 * np.log10(t["intensity"] / area)) * u.mag / u.arcsec**2
    t["ellipticity"] = np.asarray(iso.eps, dtype=float)
    t["pa_pixel"] = np.degrees(np.asarray(iso.pa, dtype=float)) * u.deg
    significant = (t["intensity"] > 3 * t["intensity_err"]) & (t["intensity"] > noise / 10)
    if np.count_nonzero(significant) < 4:
        msg = "fewer than 4 significant isophotes: no disc to fit"
        raise RuntimeError(msg)
    r_out = float(np.max(t["sma"].value[significant]))
    lo, hi = (0.25 * r_out, r_out) if fit_range is None else _range(fit_range, kpc_per_arcsec)
    t["fitted"] = significant & (t["sma"].value >= lo) & (t["sma"].value <= hi)
    if np.count_nonzero(t["fitted"]) < 3:
        msg = f"fewer than 3 isophotes in the fit range [{lo:.3g}, {hi:.3g}] arcsec"
        raise ValueError(msg)
    fit = t["fitted"]
    r_d, r_d_err, i0 = _exponential_fit(t["sma"].value[fit], t["intensity"][fit],
                                        t["intensity_err"][fit])
    eps = float(np.median(t["ellipticity"][fit]))
    mu0 = zp - 2.5 * np.log10(i0 / area)
    sigma_light = 10 ** (-0.4 * (mu0 - SOLAR_ABS_MAG[band] - _MU_TO_LSUN)) * (1 - eps)
    outer = np.flatnonzero(fit)[-1]
    col = color
    if color is not None and not isinstance(color, int | float | np.number):
        col = _color_from_image(data, color, data.shape, float(iso.x0[outer]),
                                float(iso.y0[outer]), float(iso.sma[outer]), eps,
                                float(iso.pa[outer]))
    if mass_to_light is not None:
        ml = as_value(mass_to_light, u.Msun / u.Lsun, "mass_to_light", scalar=True,
                      positive=True) * u.Msun / u.Lsun
    elif col is not None:
        ml = bell2003_mass_to_light(float(col), band=band, log_offset=log_offset)
    else:
        ml = None
    meta = {"band": band, "distance": dist, "zero_point": zp, "pixel_area": area,
            "fit_range_arcsec": (lo, hi), "background": bg, "noise": noise,
            "method": "photutils isophotes + exponential"}
    return PhotometricDiscFit(
        r_d=r_d * kpc_per_arcsec * u.kpc, r_d_err=r_d_err * kpc_per_arcsec * u.kpc,
        mu0=mu0 * u.mag / u.arcsec**2, sigma0_light=sigma_light * u.Lsun / u.pc**2,
        mass_to_light=ml, color=None if col is None else float(col), ellipticity=eps,
        isophotes=t, meta=meta)


def _range(fit_range, kpc_per_arcsec):
    values = u.Quantity(fit_range)
    if values.shape != (2,):
        msg = f"argument 'fit_range' must be (min, max), got {fit_range!r}"
        raise ValueError(msg)
    if values.unit.physical_type == "length":
        lo, hi = values.to_value(u.kpc) / kpc_per_arcsec
    else:
        lo, hi = as_value(values, u.arcsec, "fit_range")
    if not 0 <= lo < hi:
        msg = f"argument 'fit_range' must satisfy 0 <= min < max, got {fit_range!r}"
        raise ValueError(msg)
    return float(lo), float(hi)
