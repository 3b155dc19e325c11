"""One observation of a disc galaxy: images + moment maps, the network's channel stack, a plot.

The normalisation of `stack_channels` (fixed physical scales, so that mock and real data of any
galaxy map to the same numbers; NaN, i.e. no data or outside the HI mask, becomes 0):

* ``u g r i z`` (nanomaggies per pixel): ``asinh(f / 1 nanomaggy)``; linear around the sky
  noise (~0.1-3 nanomaggies per pixel), logarithmic for the bright disc;
* ``mom0`` (Jy/beam km/s): ``asinh(N_HI / 1e20 cm^-2)``, through the column density so that
  the beam does not matter;
* ``mom1`` (km/s relative to the systemic velocity): ``v / 100 km/s``, keeping its sign;
* ``mom2`` (km/s): ``sigma / 100 km/s``.
"""

import numpy as np
from astropy import units as u
from astropy.io import fits

from .._utils import as_value
from .._version import __version__
from ._hi import hi_cube
from ._moments import _NHI_FACTOR, moment_maps
from ._sdss import sdss_images
from ._ssp import SDSS_BANDS

__all__ = ["CHANNELS", "observe_disc", "stack_channels", "plot_observation"]

#: The eight channels of the paper, in order.
CHANNELS = ("u", "g", "r", "i", "z", "mom0", "mom1", "mom2")
_VELOCITY_SCALE = 100.0  # km/s
_COLUMN_SCALE = 1e20  # cm^-2
_FLUX_SCALE = 1.0  # nanomaggy


def observe_disc(particles, *, distance, inclination, position_angle, imaging=None, hi=None,
                 centre=None, systemic_velocity=None, dust_av=0.0 * u.mag, seed=None,
                 keep_cube=False):
    """Observe a disc galaxy as the paper does: SDSS ugriz images and HI moment maps.

    Parameters
    ----------
    particles : `~dmprofile.simulate.GalaxyParticles` or similar
        Any object with ``stars`` and ``gas`` tables (see `sdss_images` and `hi_cube`).
    distance : `~astropy.units.Quantity` [length]
        Distance of the galaxy.
    inclination : `~astropy.units.Quantity` [angle]
        Inclination (0 face-on, 90 deg edge-on).
    position_angle : `~astropy.units.Quantity` [angle]
        Position angle of the receding major axis, north through east.
    imaging : `ImagingSetup`, optional
        The imaging instrument (default the paper's).
    hi : `HISetup`, optional
        The HI observation (default the paper's with a band wide enough).
    centre : `~astropy.coordinates.SkyCoord`, optional
        Sky position of the galaxy centre.
    systemic_velocity : `~astropy.units.Quantity` [speed], optional
        Systemic velocity (default ``HUBBLE_CONSTANT * distance``).
    dust_av : `~astropy.units.Quantity` [mag]
        V-band attenuation of a foreground dust screen (see `sdss_images`).
    seed : int, `~numpy.random.Generator` or None
        Seed of the image and cube noise.
    keep_cube : bool
        Also return the HI cube (as the ``CUBE`` extension).

    Returns
    -------
    `~astropy.io.fits.HDUList`
        ImageHDUs ``U``, ``G``, ``R``, ``I``, ``Z``, ``MOM0``, ``MOM1``, ``MOM2`` (and
        ``CUBE``), all on the same celestial grid when the two set-ups share it.
    """
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, 2**63 - 1, size=2)
    geometry = {"distance": distance, "inclination": inclination,
                "position_angle": position_angle, "centre": centre}
    images = sdss_images(particles, **geometry, setup=imaging, dust_av=dust_av, seed=seeds[0])
    cube = hi_cube(particles, **geometry, setup=hi, systemic_velocity=systemic_velocity,
                   seed=seeds[1])
    out = fits.HDUList([fits.PrimaryHDU(), *images[1:], *moment_maps(cube)[1:]])
    out[0].header["ORIGIN"] = f"dmprofile {__version__}"
    if keep_cube:
        out.append(fits.ImageHDU(cube.data, header=cube.header, name="CUBE"))
    return out


def _find(observation, name):
    """Return the 2-D HDU called ``name`` (EXTNAME, any case) in an HDUList or a sequence."""
    hdus = [observation] if isinstance(observation, fits.hdu.base.ExtensionHDU) else observation
    for item in hdus:
        group = item if isinstance(item, fits.HDUList) else [item]
        for hdu in group:
            if hdu.header.get("EXTNAME", "").strip().lower() == name and hdu.data is not None:
                return hdu
    msg = f"argument 'observation' has no channel {name!r} (an HDU with EXTNAME {name.upper()})"
    raise ValueError(msg)


def _normalise(hdu, name):
    data = np.asarray(hdu.data, dtype=float)
    if name in SDSS_BANDS:
        return np.arcsinh(data / _FLUX_SCALE)
    if name == "mom0":
        beam = hdu.header.get("BMAJ", 0.0) * hdu.header.get("BMIN", 0.0) * 3600.0**2
        if beam <= 0:
            msg = "channel 'mom0' of argument 'observation' has no beam (BMAJ, BMIN)"
            raise ValueError(msg)
        return np.arcsinh(_NHI_FACTOR * data / beam / _COLUMN_SCALE)
    return data / _VELOCITY_SCALE


def stack_channels(observation, channels=CHANNELS):
    """Stack and normalise the channels of an observation for the networks.

    Parameters
    ----------
    observation : `~astropy.io.fits.HDUList` or sequence of HDUs or HDULists
        Images named by ``EXTNAME`` (``U`` ... ``Z`` in nanomaggies per pixel, ``MOM0`` in
        Jy/beam km/s with the beam, ``MOM1`` and ``MOM2`` in km/s), all of one shape, e.g.
        from `observe_disc` or `reproject_image` / `reproject_cube` + `moment_maps`.
    channels : sequence of str
        Any subset of ``("u", "g", "r", "i", "z", "mom0", "mom1", "mom2")``, in the order
        wanted.

    Returns
    -------
    `~numpy.ndarray`
        float32 array (n_channels, n, n), normalised as described in the module docstring:
        ``asinh(f / 1 nanomaggy)`` for the bands, ``asinh(N_HI / 1e20 cm^-2)`` for mom0,
        ``v / 100 km/s`` for mom1 and mom2; NaN becomes 0.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> from dmprofile.observe import stack_channels
    >>> obs = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.ones((4, 4)), name="R"),
    ...                     fits.ImageHDU(np.full((4, 4), -50.0), name="MOM1")])
    >>> x = stack_channels(obs, channels=("r", "mom1"))
    >>> x.shape, x.dtype, float(x[1, 0, 0])
    ((2, 4, 4), dtype('float32'), -0.5)
    """
    if isinstance(channels, str):
        channels = (channels,)
    names = [str(c).lower() for c in channels]
    unknown = [c for c in names if c not in CHANNELS]
    if unknown or not names:
        msg = f"argument 'channels' must be a non-empty subset of {CHANNELS}, got {channels!r}"
        raise ValueError(msg)
    layers = [_normalise(_find(observation, name), name) for name in names]
    shapes = {layer.shape for layer in layers}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        msg = (f"the channels of argument 'observation' must be 2-D images of one shape, "
               f"got {sorted(shapes)}; reproject them onto one grid first")
        raise ValueError(msg)
    return np.nan_to_num(np.stack(layers), nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)


def plot_observation(observation, channels=CHANNELS, *, axes=None, velocity_limit=None):
    """Show the channels of an observation side by side, as in the paper's Figs. 1-2.

    Parameters
    ----------
    observation : `~astropy.io.fits.HDUList` or sequence of HDUs or HDULists
        As for `stack_channels`.
    channels : sequence of str
        The channels to show, in order.
    axes : sequence of `~matplotlib.axes.Axes`, optional
        One axis per channel (default: a new figure with one row).
    velocity_limit : `~astropy.units.Quantity` [speed], optional
        Colour range of mom1 (+-); default from the data (mom2 always shows 0 to its 99th
        percentile).

    Returns
    -------
    list of `~matplotlib.axes.Axes`
        The axes, each with its image and a colour bar.
    """
    import matplotlib.pyplot as plt

    if isinstance(channels, str):
        channels = (channels,)
    if axes is None:
        fig, axes = plt.subplots(1, len(channels), figsize=(2.2 * len(channels), 2.4),
                                 squeeze=False)
        axes = list(axes[0])
        fig.subplots_adjust(wspace=0.35)
    vlim = None if velocity_limit is None else as_value(velocity_limit, u.km / u.s,
                                                        "velocity_limit", scalar=True)
    for ax, name in zip(axes, channels):
        name = name.lower()
        data = np.asarray(_find(observation, name).data, dtype=float)
        _show(ax, name, data, vlim)
    return list(axes)


def _show(ax, name, data, vlim):
    finite = data[np.isfinite(data)]
    if name in SDSS_BANDS:
        im = ax.imshow(np.arcsinh(data), origin="lower", cmap="gray_r")
        label = f"SDSS {name}: asinh(f/nmgy)"
    elif name == "mom0":
        im = ax.imshow(data, origin="lower", cmap="Blues")
        label = "HI mom0 [Jy/beam km/s]"
    elif name == "mom1":
        lim = vlim or (float(np.nanmax(np.abs(finite))) if finite.size else 1.0)
        im = ax.imshow(data, origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim)
        label = "HI mom1 [km/s]"
    else:
        top = float(np.nanpercentile(finite, 99)) if finite.size else 1.0
        im = ax.imshow(data, origin="lower", cmap="viridis", vmin=0, vmax=top)
        label = "HI mom2 [km/s]"
    ax.set_title(label, fontsize=7)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.03).ax.tick_params(labelsize=6)
