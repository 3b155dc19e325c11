"""Disc galaxies side by side: the CNN ensemble and the rotation-curve route on one galaxy.

The rotation-curve route is the classical analysis of de los Rios et al. (2023, Sections
5.5-5.6) run on images alone: tilted rings on the HI velocity field
(`~dmprofile.classical.fit_tilted_rings`) give the rotation curve; an exponential disc fitted to
the g-band isophotes, with the mass-to-light ratio of its g - r colour
(`~dmprofile.classical.fit_photometric_disc`, Bell et al. 2003), gives the stellar disc; and an
NFW halo with the paper's priors is fitted to the curve (`~dmprofile.classical.fit_rotation_curve`).
As in the paper the baryons are the stellar disc only: neither the gas nor a bulge is modelled.
Both routes return a `~dmprofile.results.MassProfile` of the enclosed dark-matter mass at the
networks' 20 radii.
"""

import time
from collections.abc import Mapping

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.table import QTable

from ._utils import check_seed, draw_seed
from ._version import __version__

__all__ = ["rotation_curve_from_images", "rotation_curve_mass_profile", "compare_disc",
           "DISC_METHODS"]

#: The methods `compare_disc` knows, in display order.
DISC_METHODS = ("network", "rotation_curve")


def _hdu(images, name, *, required=True):
    """Return the 2-D HDU of channel ``name`` from a mapping or an HDUList (None if absent)."""
    if isinstance(images, Mapping):
        value = next((v for k, v in images.items() if str(k).lower() == name), None)
    else:
        value = next((h for h in images
                      if h.header.get("EXTNAME", "").strip().lower() == name), None)
    if value is None:
        if required:
            msg = (f"argument 'images' has no {name!r} channel, which the rotation-curve route "
                   "needs (mom1 for the tilted rings, g for the stellar disc)")
            raise ValueError(msg)
        return None
    if isinstance(value, (str, bytes)) or hasattr(value, "__fspath__"):
        with fits.open(value) as hdul:
            hdu = next((h for h in hdul if h.data is not None), None)
            if hdu is None:
                msg = f"channel {name!r}: the file {value} holds no image"
                raise ValueError(msg)
            return fits.ImageHDU(np.array(hdu.data), header=hdu.header.copy())
    if isinstance(value, fits.HDUList):
        value = next((h for h in value if h.data is not None), None)
    return value


def _distance(images, distance):
    if distance is not None:
        return u.Quantity(distance, u.Mpc)
    for name in ("g", "r", "i", "u", "z"):
        hdu = _hdu(images, name, required=False)
        if hdu is not None and "DIST_MPC" in hdu.header:
            return float(hdu.header["DIST_MPC"]) * u.Mpc
    msg = ("argument 'distance' is needed for the rotation-curve route (no band image has a "
           "DIST_MPC keyword)")
    raise ValueError(msg)


def rotation_curve_from_images(images, *, distance=None, distance_err=None):
    """Measure a rotation curve and its stellar-disc component from images alone.

    Parameters
    ----------
    images : mapping or `~astropy.io.fits.HDUList`
        Channel name -> HDU, HDUList or FITS file name (or an HDUList with these EXTNAMEs):
        ``mom1`` (a velocity field in km/s with a celestial WCS) or ``cube`` (an HI cube), and
        ``g`` (nanomaggies per pixel), optionally ``r`` for the g - r colour.
    distance : `~astropy.units.Quantity` [length], optional
        Distance (default: ``DIST_MPC`` of a band header).
    distance_err : `~astropy.units.Quantity` [length], optional
        Its error, recorded for `~dmprofile.classical.fit_rotation_curve` (default 10 %).

    Returns
    -------
    curve : `~astropy.table.QTable`
        ``radius``, ``v_obs``, ``v_err`` and ``v_disk`` (the stellar disc with the colour's
        mass-to-light ratio, so that ``Y_disk`` near 1 is expected), with the ring geometry in
        ``meta`` (``distance``, ``dist_err``, ``inc``, ``inc_err``).
    rings : `~astropy.table.QTable`
        The tilted-ring fit.
    disc : `~dmprofile.classical.PhotometricDiscFit`
        The photometric disc fit.
    """
    from .classical import fit_photometric_disc, fit_tilted_rings

    distance = _distance(images, distance)
    distance_err = 0.1 * distance if distance_err is None else u.Quantity(distance_err, u.Mpc)
    velocity = next((hdu for hdu in (_hdu(images, name, required=False)
                                     for name in ("mom1", "cube")) if hdu is not None), None)
    if velocity is None:
        msg = ("argument 'images' has no 'mom1' channel (nor a 'cube'), which the "
               "rotation-curve route needs for the tilted rings")
        raise ValueError(msg)
    rings = fit_tilted_rings(velocity, distance=distance, distance_err=distance_err)
    if len(rings) < 2:
        msg = f"the tilted-ring fit kept {len(rings)} ring(s); a rotation curve needs 2 or more"
        raise ValueError(msg)
    g = _hdu(images, "g")
    r = _hdu(images, "r", required=False)
    disc = fit_photometric_disc(g, distance=distance, band="g",
                                color=None if r is None else r)
    curve = QTable({"radius": rings["radius"], "v_obs": rings["v_rot"],
                    "v_err": rings["v_err"]})
    if disc.sigma0 is not None:
        curve["v_disk"] = disc.velocity(curve["radius"]).to(u.km / u.s)
    curve.meta.update(rings.meta)
    curve.meta.update({"disc_r_d_kpc": float(disc.r_d.to_value(u.kpc)),
                       "disc_mass_to_light": None if disc.mass_to_light is None
                       else float(disc.mass_to_light.value)})
    return curve, rings, disc


def rotation_curve_mass_profile(images, *, distance=None, distance_err=None, halo="nfw",
                                priors="paper", seed=None, radii=None, **fit_kwargs):
    """Enclosed dark-matter mass of a disc galaxy by the rotation-curve route.

    Parameters
    ----------
    images : mapping or `~astropy.io.fits.HDUList`
        See `rotation_curve_from_images`.
    distance, distance_err : `~astropy.units.Quantity` [length], optional
        See `rotation_curve_from_images`.
    halo, priors : str
        See `~dmprofile.classical.fit_rotation_curve` (default NFW, the paper's priors).
    seed : int, optional
        Seed of the fit.
    radii : `~astropy.units.Quantity` [length], optional
        Radii of the profile (default the networks' 20 radii, 1-100 kpc).
    **fit_kwargs
        More keyword arguments of `~dmprofile.classical.fit_rotation_curve` (``nsteps``...).

    Returns
    -------
    profile : `~dmprofile.results.MassProfile`
        Median and bands of M_DM(<r) over the posterior.
    fit : `~dmprofile.classical.RotationCurveFit`
        The fit (its ``curve`` holds the rings and the stellar disc).
    """
    from .classical import fit_rotation_curve

    curve, _, _ = rotation_curve_from_images(images, distance=distance,
                                             distance_err=distance_err)
    fit = fit_rotation_curve(curve, halo=halo, priors=priors, seed=seed, **fit_kwargs)
    return fit.mass_profile(radii, seed=0), fit


def compare_disc(images, *, methods=DISC_METHODS, model="default", seed=None, distance=None,
                 distance_err=None, rotation_kwargs=None):
    """Compare the CNN ensemble and the rotation curve on the dark mass of one disc galaxy.

    Called by `dmprofile.compare` for disc images; see there.

    Parameters
    ----------
    images : mapping or `~astropy.io.fits.HDUList`
        The channels (see `dmprofile.infer_mass_profile` and `rotation_curve_from_images`).
    methods : sequence of {"network", "rotation_curve"}
        The methods to run, in order.
    model : str, `~pathlib.Path` or `~dmprofile.nets.BootstrapEnsemble`
        The ensemble of the network route.
    seed : int, optional
        Seeds both routes.
    distance, distance_err : `~astropy.units.Quantity` [length], optional
        The galaxy's distance (default ``DIST_MPC`` of a band header) and its error.
    rotation_kwargs : dict, optional
        Keyword arguments of `rotation_curve_mass_profile` (``halo``, ``priors``,
        ``nsteps``...).

    Returns
    -------
    `~dmprofile.results.MassComparison`
    """
    from .results import MassComparison

    if isinstance(methods, str):
        methods = (methods,)
    methods = tuple(str(m).lower() for m in methods)
    if not methods or any(m not in DISC_METHODS for m in methods) or len(set(methods)) != len(
            methods):
        msg = (f"argument 'methods' must be a non-empty sequence of distinct methods out of "
               f"{DISC_METHODS} for a disc galaxy, got {methods!r}")
        raise ValueError(msg)
    if not isinstance(images, (Mapping, fits.HDUList)):
        msg = (f"argument 'images' must be a mapping of channel names to images or an HDUList, "
               f"got {type(images).__name__}")
        raise TypeError(msg)
    seed = check_seed(seed)
    seed = draw_seed() if seed is None else int(seed)
    children = dict(zip(DISC_METHODS, (int(s) for s in np.random.default_rng(seed).integers(
        0, 2**32 - 1, size=len(DISC_METHODS))), strict=True))
    meta = {"dmprofile_version": __version__, "methods": list(methods), "seed": seed,
            "kind": "disc"}
    profiles, results, wall = {}, {}, {}
    for method in methods:
        start = time.perf_counter()
        if method == "network":
            from ._infer_mass import infer_mass_profile

            network_images = (dict(images) if isinstance(images, Mapping) else
                              {h.header["EXTNAME"].strip().lower(): h for h in images
                               if h.data is not None and "EXTNAME" in h.header})
            if any(k in network_images for k in ("mom0", "mom1", "mom2")):
                # the moment maps are given: the network reads them, not the cube
                network_images = {k: v for k, v in network_images.items()
                                  if k not in ("cube", "hi")}
            profile = infer_mass_profile(network_images, model=model,
                                         seed=children["network"], distance=distance)
            results[method] = profile
        else:
            profile, fit = rotation_curve_mass_profile(
                images, distance=distance, distance_err=distance_err,
                seed=children["rotation_curve"], **dict(rotation_kwargs or {}))
            results[method] = fit
        wall[method] = time.perf_counter() - start
        profiles[method] = profile
        meta[f"{method}_seed"] = children[method]
    return MassComparison(profiles, results, wall, meta)
