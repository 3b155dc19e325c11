"""`infer_slope`: the inner dark-matter slope of a dwarf galaxy from its star catalogue."""

from ._utils import as_int, check_seed, draw_seed
from ._version import __version__

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
        When a summary of the input (`~dmprofile.kinematics.catalogue_summaries`: star count,
        half-light radius, velocity scale P98, spread of the stars relative to ``r_half``, mean
        velocity offset and velocity errors relative to the dispersion) lies outside its range
        over the training suite, recorded in the model card: the network then extrapolates.
        The warning names the summary, its value and the range.

    Examples
    --------
    >>> import dmprofile
    >>> from astropy.table import Table
    >>> post = dmprofile.infer_slope(Table.read("fornax.fits"))  # doctest: +SKIP
    >>> print(post.summary())  # doctest: +SKIP
    """
    from .kinematics import phase_space_images
    from .nets import get_model

    n_passes = as_int(n_passes, "n_passes", minimum=1)
    seed = check_seed(seed)
    slope_model = get_model(model)
    if seed is None:
        seed = draw_seed()
    images = phase_space_images(table, bins=slope_model.bins, **galaxy_parameters)
    summaries = _check_prior(slope_model.training_ranges, images)
    meta = {"dmprofile_version": __version__, "method": "mdcnn", "model": slope_model.name,
            "model_card_sha256": slope_model.card_hash, "n_passes": n_passes, "seed": seed,
            "n_stars": int(images.n_stars), "p98": images.p98,
            "galaxy_parameters": dict(images.galaxy_parameters), "summaries": summaries}
    galaxy = _galaxy_name(table)
    if galaxy:
        meta["galaxy"] = galaxy
    sources = getattr(images, "sources", None)
    if sources:
        meta["galaxy_parameter_sources"] = dict(sources)
    return slope_model.posterior(images.images, n_passes=n_passes, seed=seed, meta=meta,
                                 n_stars=images.n_stars)


def _check_prior(ranges, images):
    """Warn when a summary of the input lies outside the training ranges of the model card."""
    from .kinematics import catalogue_summaries, check_summaries

    summaries = catalogue_summaries(images)
    check_summaries(summaries, ranges, stacklevel=3)
    return summaries


def _galaxy_name(table):
    """Return the galaxy name of ``table.meta`` (key ``galaxy``, any case), or None."""
    meta = getattr(table, "meta", None) or {}
    for key, value in meta.items():
        if str(key).lower() == "galaxy" and value:
            return str(value)
    return None
