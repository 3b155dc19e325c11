"""`infer_mass_profile`: the enclosed dark-matter mass of a disc galaxy from its images.

The images (any subset of the SDSS ``u g r i z`` bands and the HI moment maps ``mom0 mom1
mom2``, or an HI cube from which the maps are made) are put on the network grid
(`dmprofile.observe.reproject_image`, `~dmprofile.observe.reproject_cube` and
`~dmprofile.observe.moment_maps`), stacked and normalised
(`~dmprofile.observe.stack_channels`) and read by a `~dmprofile.nets.BootstrapEnsemble` of
mass-profile networks (de los Rios et al. 2023), which returns a
`~dmprofile.results.MassProfile`. `infer_mass_profiles` does the same for a table of files,
optionally spread over a ``dask.distributed`` cluster.
"""

import warnings
from pathlib import Path

import numpy as np

from ._utils import as_int, check_seed, draw_seed
from ._version import __version__
from .exceptions import DMProfileWarning

__all__ = ["infer_mass_profile", "infer_mass_profiles", "load_mass_ensemble", "BUNDLED_MODELS"]

#: Bundled ensembles: name -> (directory under dmprofile/data/models, channels, suite command).
BUNDLED_MODELS = {
    "default": ("mass_default", "u,g,r,i,z,mom0,mom1,mom2"),
    "photometry": ("mass_photometry", "u,r,z"),
}
#: Training-range keys the inputs are checked against (the others need the truth).
CHECKED_RANGES = ("distance", "psf_scale", "hi_beam_fwhm", "flux_u", "flux_g", "flux_r",
                  "flux_i", "flux_z", "mom0_peak", "velocity_scale")


def _bundled_error(name, directory):
    folder, channels = BUNDLED_MODELS[name]
    msg = (f"the bundled disc model {name!r} is missing ({directory} has no ensemble.json): "
           "reinstall dmprofile, or rebuild it as docs/nets.rst says "
           "(dmprofile simulate discs --n-galaxies 3000 --realisations 3 --seed 1 --out "
           f"discs_suite && dmprofile train mass --data discs_suite --out {folder} "
           f"--channels {channels} ...), or pass a trained ensemble directory as model=")
    return FileNotFoundError(msg)


def load_mass_ensemble(model="default"):
    """Return the ensemble named by ``model`` (a bundled name, a directory or an object).

    Parameters
    ----------
    model : str, `~pathlib.Path`, `~dmprofile.nets.BootstrapEnsemble` or `~dmprofile.nets.MassModel`
        ``"default"`` (all eight channels) or ``"photometry"`` (u, r, z), the ensembles
        bundled with dmprofile; an ensemble directory (``ensemble.json``, written by
        `~dmprofile.nets.BootstrapEnsemble.train`); a single model directory
        (``model_card.json``, `~dmprofile.nets.train_mass`), used as an ensemble of one; or a
        loaded ensemble or model.

    Returns
    -------
    `~dmprofile.nets.BootstrapEnsemble`

    Raises
    ------
    FileNotFoundError
        For a bundled model whose files are missing (the message gives the commands that
        rebuild it) or a directory that holds neither an ensemble nor a model.
    """
    from importlib import resources

    from .nets import BootstrapEnsemble, MassModel, load_mass_model

    if isinstance(model, BootstrapEnsemble):
        return model
    if isinstance(model, MassModel):
        return _single(model)
    if isinstance(model, str) and model in BUNDLED_MODELS:
        directory = Path(str(resources.files("dmprofile") / "data" / "models"
                             / BUNDLED_MODELS[model][0]))
        if not (directory / "ensemble.json").is_file():
            raise _bundled_error(model, directory)
        return BootstrapEnsemble.load(directory)
    if not isinstance(model, (str, Path)):
        msg = (f"argument 'model' must be 'default', 'photometry', a directory or a "
               f"BootstrapEnsemble, got {type(model).__name__}")
        raise TypeError(msg)
    directory = Path(model).expanduser()
    if (directory / "ensemble.json").is_file():
        return BootstrapEnsemble.load(directory)
    if (directory / "model_card.json").is_file():
        return _single(load_mass_model(directory))
    msg = (f"argument 'model': {directory} is not a mass ensemble or model directory (no "
           "ensemble.json or model_card.json); use 'default', 'photometry' or a directory "
           "written by 'dmprofile train mass'")
    raise FileNotFoundError(msg)


def _single(member):
    from .nets import BootstrapEnsemble

    card = member.card
    return BootstrapEnsemble([member], {"name": card.get("name"), "_sha256": member.card_hash,
                                        "training_ranges": card.get("training_ranges", {})},
                             path=member.path)


def infer_mass_profile(images, *, model="default", seed=None, centre=None, distance=None,
                       batch_size=64):
    """Enclosed dark-matter mass M_DM(<r) of a disc galaxy at the networks' 20 radii.

    Parameters
    ----------
    images : mapping
        Channel name -> image: ``u``, ``g``, ``r``, ``i``, ``z`` (any flux unit astropy
        knows, from ``BUNIT``), ``mom0`` [Jy/beam km/s, with ``BMAJ``/``BMIN``], ``mom1``
        and ``mom2`` [km/s], each an HDU, an HDUList (its first image), a FITS file name or an
        ``(array, WCS)`` pair (a Quantity array gives the unit); and/or ``cube`` (or ``hi``),
        an HI cube from which the moment maps are made. Every channel the model reads must be
        there (or come from the cube); channels it does not read are ignored and listed in
        ``meta["ignored_channels"]``.
    model : str, `~pathlib.Path` or `~dmprofile.nets.BootstrapEnsemble`
        See `load_mass_ensemble`: ``"default"``, ``"photometry"``, a directory or an
        ensemble.
    seed : int, optional
        Recorded in ``meta`` (drawn when None). The ensemble prediction itself is
        deterministic: the networks run without dropout.
    centre : `~astropy.coordinates.SkyCoord`, optional
        Centre of the network grid; default the centre of the pixel grid of the first image
        given (in the order of the model's channels, the cube last).
    distance : `~astropy.units.Quantity` [length], optional
        Distance of the galaxy (default: the ``DIST_MPC`` keyword of an image, when there
        is one). Checked against the training range; required by models that read a
        physical grid (``physical_grid`` in their card; the bundled ones read the angular
        grid), which resample the images onto a fixed field in kpc with it.
    batch_size : int
        Rows per network call.

    Returns
    -------
    `~dmprofile.results.MassProfile`
        ``quantity="enclosed_mass"`` in Msun at the model's radii: the median and the 68 %
        and 95 % bands of the ensemble, with provenance in ``meta`` (dmprofile version,
        model, seed, channels, centre, the input summaries checked).

    Raises
    ------
    ValueError
        For a missing or unknown channel, a channel without WCS, all-NaN images, band images
        with NaN on the network grid, or a channel given twice (the message names it); or no
        distance for a model that needs one.
    FileNotFoundError
        For a missing bundled model or file.
    astropy.units.UnitTypeError
        For a channel in the wrong unit.

    Warns
    -----
    DMProfileWarning
        When a quantity of the input lies outside its range over the training galaxies
        (``training_ranges`` of the ensemble card): the network then extrapolates. Checked
        are the flux scales of the bands and of mom0 and the velocity scale of mom1
        (`~dmprofile.nets.image_summaries`), the PSF scale (``PSF_FWHM`` of the band
        headers over the instrument's FWHM), the HI beam (``BMAJ``, ``BMIN`` of mom0 or of
        the reprojected cube) and the distance; inclination, sky level, HI noise and the
        masses are not known from the images and are not checked.

    Examples
    --------
    >>> import dmprofile
    >>> profile = dmprofile.infer_mass_profile(
    ...     {"u": "u.fits", "r": "r.fits", "z": "z.fits"}, model="photometry")  # doctest: +SKIP
    >>> profile.at(10 * u.kpc)  # doctest: +SKIP
    """
    seed = check_seed(seed)
    seed = draw_seed() if seed is None else seed
    ensemble = load_mass_ensemble(model)
    x, info = prepare_inputs(images, ensemble, centre=centre, distance=distance)
    outside = _warn_outside(info["summaries"], ensemble.card.get("training_ranges", {}))
    meta = {"dmprofile_version": __version__, "seed": seed, "model_path": str(ensemble.path),
            "outside_training_ranges": outside, **info}
    return ensemble.predict(x, distance=_distance(info),
                            batch_size=as_int(batch_size, "batch_size", minimum=1),
                            meta=meta)[0]


def _distance(info):
    """Return the distance (Quantity) of a prepared galaxy, or None (`MassModel.prepare` checks)."""
    from astropy import units as u

    value = info["summaries"].get("distance")
    return None if value is None else value * u.Mpc


def prepare_inputs(images, ensemble, *, centre=None, distance=None):
    """Return the stacked network input of one galaxy and what was measured on the way.

    Parameters
    ----------
    images : mapping
        As for `infer_mass_profile`.
    ensemble : `~dmprofile.nets.BootstrapEnsemble`
        The model (channels, image size, instrument of its card).
    centre : `~astropy.coordinates.SkyCoord`, optional
        Centre of the grid.
    distance : `~astropy.units.Quantity` [length], optional
        Distance of the galaxy.

    Returns
    -------
    x : ndarray, shape (n_channels, npix, npix)
    info : dict
        ``channels``, ``ignored_channels``, ``centre`` (deg), ``summaries``.
    """
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    from . import _mass_inputs as inputs
    from .nets import image_summaries
    from .observe import stack_channels

    channels = tuple(ensemble.channels)
    needed, cube, ignored = inputs.parse_images(images, channels)
    if centre is None:
        centre = inputs.first_centre(needed, cube)
    elif not isinstance(centre, SkyCoord):
        msg = f"argument 'centre' must be a SkyCoord, got {type(centre).__name__}"
        raise TypeError(msg)
    card = ensemble.members[0].card
    imaging, hi = inputs.network_grid(card, ensemble.npix)
    hdus = inputs.grid_hdus(needed, cube, imaging=imaging, hi=hi, centre=centre)
    x = stack_channels(hdus, channels)
    summaries = inputs.header_summaries(hdus, card)
    if distance is not None:
        from ._utils import as_value

        summaries["distance"] = as_value(distance, u.Mpc, "distance", scalar=True,
                                         positive=True, allow_zero=False)
    summaries.update({k: float(v[0]) for k, v in image_summaries(x, channels).items()})
    icrs = centre.icrs
    return x, {"channels": list(channels), "ignored_channels": ignored,
               "centre_deg": [float(icrs.ra.deg), float(icrs.dec.deg)],
               "summaries": summaries}


def _warn_outside(summaries, ranges):
    """Warn for every checked quantity outside its training range; return their names."""
    outside = []
    for key in CHECKED_RANGES:
        value, rng = summaries.get(key), ranges.get(key)
        if value is None or not rng or not np.isfinite(value):
            continue
        if not rng["min"] <= value <= rng["max"]:
            unit = f" {rng['unit']}" if rng.get("unit") else ""
            msg = (f"input {key} = {value:.4g}{unit} lies outside the range of the training "
                   f"galaxies [{rng['min']:.4g}, {rng['max']:.4g}]{unit}: the network "
                   "extrapolates")
            warnings.warn(msg, DMProfileWarning, stacklevel=3)
            outside.append(key)
    return outside


def infer_mass_profiles(table, *, model="default", seed=None, batch_size=64, client=None,
                        chunk_size=16):
    """Run `infer_mass_profile` on many galaxies: a table (or list) of file names.

    Parameters
    ----------
    table : `~astropy.table.Table` or list of mapping
        One row per galaxy, one column per channel (``u`` ... ``mom2``, ``cube``) holding
        file names (a column ``name`` or ``galaxy`` is copied into each profile's
        ``meta["galaxy"]``; a column ``distance``, a Quantity or numbers in Mpc, gives the
        distances when the headers do not; other columns are ignored); or a list of
        mappings as ``images`` of `infer_mass_profile`.
    model : str, `~pathlib.Path` or `~dmprofile.nets.BootstrapEnsemble`
        See `load_mass_ensemble` (a directory when ``client`` is given).
    seed : int, optional
        Recorded in every profile's ``meta``.
    batch_size : int
        Rows per network call.
    client : ``dask.distributed.Client``, optional
        Spread chunks of ``chunk_size`` galaxies over this cluster (each task loads the
        model once).
    chunk_size : int
        Galaxies per dask task.

    Returns
    -------
    list of `~dmprofile.results.MassProfile`
        In the order of the rows.

    Examples
    --------
    >>> from astropy.table import Table
    >>> files = Table({"u": ["a_u.fits"], "r": ["a_r.fits"], "z": ["a_z.fits"]})
    >>> profiles = infer_mass_profiles(files, model="photometry")  # doctest: +SKIP
    """
    rows = _rows(table)
    seed = check_seed(seed)
    seed = draw_seed() if seed is None else seed
    chunk_size = as_int(chunk_size, "chunk_size", minimum=1)
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    if client is None:
        profiles = _run_chunk(rows, model, seed, batch_size, 0)
    else:
        if not isinstance(model, (str, Path)):
            model = getattr(model, "path", None) or model
        chunks = [rows[i:i + chunk_size] for i in range(0, len(rows), chunk_size)]
        futures = [client.submit(_run_chunk, chunk, str(model), seed, batch_size,
                                 i * chunk_size, pure=False) for i, chunk in enumerate(chunks)]
        profiles = [p for part in client.gather(futures) for p in part]
    flagged = [p.meta["row"] for p in profiles if p.meta["outside_training_ranges"]]
    if flagged:
        msg = (f"{len(flagged)} of {len(profiles)} galaxies (rows {flagged[:10]}"
               f"{'...' if len(flagged) > 10 else ''}) lie outside the training ranges: see "
               "meta['outside_training_ranges'] of their profiles")
        warnings.warn(msg, DMProfileWarning, stacklevel=2)
    return profiles


def _rows(table):
    from ._mass_inputs import CUBE_KEYS
    from .observe import CHANNELS

    if isinstance(table, (list, tuple)):
        return [(dict(row), None, None) for row in table]
    colnames = getattr(table, "colnames", None)
    if colnames is None:
        msg = f"argument 'table' must be a Table or a list of mappings, got {type(table).__name__}"
        raise TypeError(msg)
    keys = [c for c in colnames if c.lower() in CHANNELS or c.lower() in CUBE_KEYS]
    if not keys:
        msg = (f"argument 'table' has no channel column ({', '.join(CHANNELS)}, cube); "
               f"got {colnames}")
        raise ValueError(msg)
    label = next((c for c in colnames if c.lower() in ("name", "galaxy")), None)
    distances = [None] * len(table)
    if "distance" in colnames:
        from astropy import units as u

        from ._utils import as_value

        column = table["distance"]
        column = column if isinstance(column, u.Quantity) else np.asarray(column, float) * u.Mpc
        distances = as_value(column, u.Mpc, "table['distance']", positive=True,
                             allow_zero=False) * u.Mpc
    return [({k: str(row[k]) for k in keys}, None if label is None else str(row[label]), d)
            for row, d in zip(table, distances, strict=True)]


def _run_chunk(rows, model, seed, batch_size, start):
    """Infer the profiles of a list of (images, name) rows with one loaded ensemble."""
    ensemble = load_mass_ensemble(model)
    out = []
    for k, (images, name, distance) in enumerate(rows):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DMProfileWarning)
            x, info = prepare_inputs(images, ensemble, distance=distance)
            outside = _warn_outside(info["summaries"], ensemble.card.get("training_ranges", {}))
        for w in caught:
            if not issubclass(w.category, DMProfileWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        meta = {"dmprofile_version": __version__, "seed": seed, "row": start + k,
                "model_path": str(ensemble.path), "outside_training_ranges": outside, **info}
        if name is not None:
            meta["galaxy"] = name
        out.append(ensemble.predict(x, distance=_distance(info),
                                    batch_size=batch_size, meta=meta)[0])
    return out
