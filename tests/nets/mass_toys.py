"""Helpers of the mass-network tests: a synthetic disc suite and a tiny network."""

import hashlib
from types import SimpleNamespace

import numpy as np
from astropy import units as u
from astropy.table import Table

#: A tiny network (one 3x3 convolution, one dense layer), so that training takes seconds.
TINY = {"conv": [[4, 3, 2, True]], "dense": [8], "dropout_rate": 0.1}
CHANNELS = ("u", "g", "r", "i", "z", "mom0", "mom1", "mom2")
RADII = np.geomspace(1.0, 100.0, 20)


def make_mass_suite(n_galaxies=6, realisations=2, *, npix=16, seed=0, fov_arcmin=None):
    """Return a DiscSuite look-alike: float16 images whose brightness follows the halo mass.

    With ``fov_arcmin`` the manifest records that field of view (for a physical grid).
    """
    rng = np.random.default_rng(seed)
    rows, images = [], []
    yy, xx = np.mgrid[:npix, :npix] - (npix - 1) / 2
    for gid in range(n_galaxies):
        log_m200 = rng.uniform(11.0, 13.0)
        log_mdm = log_m200 - 1.5 + 1.2 * np.log10(RADII / 100.0) + 0.01 * np.arange(20)
        for k in range(realisations):
            stack = rng.normal(0.0, 0.1, (len(CHANNELS), npix, npix))
            stack[:5] += (log_m200 - 10.0) * np.exp(-(xx**2 + yy**2) / 20.0)
            stack[6] += np.tanh(xx / 3.0) * (log_m200 - 10.0)
            images.append(stack.astype(np.float16))
            rows.append({"galaxy_id": 100 + gid, "realisation": k, "log_mdm": log_mdm,
                         "prior_distance": rng.uniform(20, 100),
                         "prior_inclination": rng.uniform(30, 80),
                         "prior_psf_scale": rng.uniform(0.8, 1.2),
                         "prior_hi_beam_fwhm": rng.uniform(10, 30),
                         "prior_hi_noise": rng.uniform(1e-4, 1e-3),
                         "prior_log_mstar": log_m200 - 1.8})
    truth = Table(rows=rows)
    images = np.stack(images)
    prior = {"name": "toy"}
    if fov_arcmin is not None:
        prior["instrument"] = {"fov_arcmin": float(fov_arcmin)}
    return SimpleNamespace(images=images, truth=truth, channels=CHANNELS, radii=RADII * u.kpc,
                           checksum=hashlib.sha256(images.tobytes()).hexdigest(),
                           manifest={"prior": prior, "n_galaxies": n_galaxies})


def thin_disc_field(npix, position_angle, *, inclination=60.0, v_flat=200.0, r_turn=3.0):
    """Return the line-of-sight velocity of a thin rotating disc (receding side at PA)."""
    yy, xx = np.mgrid[:npix, :npix] - (npix - 1) / 2
    pa, inc = np.radians(position_angle), np.radians(inclination)
    x_major = xx * np.cos(pa) + yy * np.sin(pa)
    y_minor = -xx * np.sin(pa) + yy * np.cos(pa)
    radius = np.hypot(x_major, y_minor / np.cos(inc))
    cos_phi = np.divide(x_major, radius, out=np.zeros_like(radius), where=radius > 0)
    return v_flat * np.tanh(radius / r_turn) * np.sin(inc) * cos_phi


def clump_image(npix, position_angle, *, distance=4.0):
    """Return a bright clump on the receding half of the major axis (asymmetric light)."""
    yy, xx = np.mgrid[:npix, :npix] - (npix - 1) / 2
    pa = np.radians(position_angle)
    cx, cy = distance * np.cos(pa), distance * np.sin(pa)
    return np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 2.0)
