"""`infer_slope`: the inner dark-matter slope of a dwarf galaxy from its star catalogue."""

import warnings

import numpy as np
from astropy import units as u

from ._version import __version__
from .exceptions import DMProfileWarning

__all__ = ["infer_slope"]


def infer_slope(table, *, model="default", n_passes=100, seed=None, **galaxy_parameters):
    """Posterior of the dark-matter log-slope gamma_150 at 150 pc from a star catalogue.

    The catalogue is turned into the two phase-space images of
    `~dmprofile.kinematics.phase_space_images`, the mixture-density network runs
    ``n_passes`` Monte-Carlo dropout passes in one batched call, and the posterior is the
    normalised mean of the predicted Gaussian mixtures (Expósito-Márquez et al. 2022), with
    the spread of the passes as its epistemic band.

    Parameters
    ----------
    table : `~astropy.table.Table` or `~astropy.table.QTable`
        Star catalogue: ``x``, ``y`` [length] or ``ra``, ``dec`` [angle], ``v_los`` [speed],
        optional ``v_err`` [speed] and ``p_member``. Tables read from FITS or ECSV files work,
        with galaxy parameters in ``table.meta``.
    model : str, `~pathlib.Path` or `~dmprofile.nets.SlopeModel`
        ``"default"`` (the model bundled with dmprofile), a model directory written by
        `~dmprofile.nets.train_slope`, or a loaded model. Loaded files are cached.
    n_passes : int
        Number of Monte-Carlo dropout passes.
    seed : int, optional
        Seeds the dropout masks; the same seed gives the same posterior. When None a seed is
        drawn and recorded in ``meta``.
    **galaxy_parameters
        ``center``, ``distance``, ``ellipticity``, ``position_angle``, ``r_half``, ``v_sys`` and
        ``member_threshold``, passed to `~dmprofile.kinematics.phase_space_images` (keywords
        take precedence over ``table.meta``; missing ones are estimated).

    Returns
    -------
    `~dmprofile.results.SlopePosterior`
        With provenance in ``meta``: dmprofile version, model name and card hash, ``n_passes``,
        ``seed``, star count and the galaxy parameters used.

    Warns
    -----
    DMProfileWarning
        When the star count, half-light radius or velocity scale (P98) of the input lies outside
        the range of the training suite recorded in the model card: the network then extrapolates.

    Examples
    --------
    >>> import dmprofile
    >>> from astropy.table import Table
    >>> post = dmprofile.infer_slope(Table.read("fornax.fits"))  # doctest: +SKIP
    >>> print(post.summary())  # doctest: +SKIP
    """
    from .kinematics import phase_space_images
    from .nets import get_model

    slope_model = get_model(model)
    n_passes = int(n_passes)
    if n_passes < 1:
        msg = f"argument 'n_passes' must be >= 1, got {n_passes}"
        raise ValueError(msg)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    images = phase_space_images(table, bins=slope_model.bins, **galaxy_parameters)
    _check_prior(slope_model.card, images)
    meta = {"dmprofile_version": __version__, "method": "mdcnn", "model": slope_model.name,
            "model_card_sha256": slope_model.card_hash, "n_passes": n_passes, "seed": seed,
            "n_stars": int(images.n_stars), "p98": images.p98,
            "galaxy_parameters": dict(images.galaxy_parameters)}
    sources = getattr(images, "sources", None)
    if sources:
        meta["galaxy_parameter_sources"] = dict(sources)
    return slope_model.posterior(images.images, n_passes=n_passes, seed=seed, meta=meta)


def _observables(images):
    """Return the observables compared with the training ranges, in the units of the card."""
    out = {"n_stars": (float(images.n_stars), "")}
    r_half = images.galaxy_parameters.get("r_half")
    if r_half is not None:
        out["r_half"] = (r_half, "kpc")
    p98 = getattr(images, "p98", None)
    if p98 is not None:
        out["p98"] = (p98, "km / s")
    return out


_LABELS = {"n_stars": "star count", "r_half": "half-light radius",
           "p98": "velocity scale P98 (98th percentile of |v - v_sys|)"}


def _check_prior(card, images):
    """Warn when the input lies outside the training ranges recorded in the model card."""
    ranges = card.get("training_ranges") or {}
    for key, (value, default_unit) in _observables(images).items():
        rng = ranges.get(key)
        if rng is None:
            continue
        unit = u.Unit(rng.get("unit") or default_unit or "")
        if isinstance(value, u.Quantity):
            try:
                value = value.to_value(unit)
            except u.UnitConversionError:
                continue
        value = float(value)
        low, high = rng["min"], rng["max"]
        if not low <= value <= high:
            unit_str = f" {unit}" if unit != u.dimensionless_unscaled else ""
            msg = (f"the {_LABELS[key]} of the input, {value:.4g}{unit_str}, lies outside the "
                   f"training range [{low:.4g}, {high:.4g}]{unit_str} of the model: the "
                   "network extrapolates and its posterior may be unreliable")
            warnings.warn(msg, DMProfileWarning, stacklevel=3)
