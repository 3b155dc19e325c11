"""`compare`: the neural and the classical slope posteriors of one galaxy, side by side.

Observers trust spherical Jeans modelling and will believe the network only next to it.
`compare` runs `dmprofile.infer_slope` (the mixture-density network) and
`dmprofile.classical.jeans_analysis` (emcee) on the same star catalogue with the same galaxy
parameters and returns a `~dmprofile.results.Comparison`: both
`~dmprofile.results.SlopePosterior` objects, the raw results, a summary table (mode, 68%
highest-density interval, width, mean, std, wall time) and a figure with both posteriors overlaid.

For a disc galaxy (a mapping of channels to images, or an HDUList) it runs the CNN ensemble
(`dmprofile.infer_mass_profile`) and the rotation-curve route (tilted rings, a photometric
stellar disc and an NFW fit, `dmprofile._compare_discs`) and returns a
`~dmprofile.results.MassComparison` of the two enclosed dark-matter mass profiles.
"""

import time

import numpy as np

from ._utils import check_seed, draw_seed
from ._version import __version__
from .results import Comparison

__all__ = ["compare", "Comparison", "METHODS"]

#: The methods `compare` knows, in display order.
METHODS = ("network", "jeans")

#: Galaxy parameters shared by both methods.
_GALAXY_KEYS = ("center", "distance", "ellipticity", "position_angle", "r_half", "v_sys",
                "member_threshold")


def _meta_get(meta, key):
    """``meta[key]``, also under the upper-case key of a FITS header; None if absent."""
    for k in (key, key.upper()):
        if k in meta:
            return meta[k]
    return None


def _check_methods(methods):
    if isinstance(methods, str):
        methods = (methods,)
    try:
        methods = tuple(methods)
    except TypeError:
        msg = (f"argument 'methods' must be a sequence of methods out of {METHODS}, got "
               f"{type(methods).__name__} {methods!r}")
        raise TypeError(msg) from None
    methods = tuple(str(m).lower() for m in methods)
    unknown = [m for m in methods if m not in METHODS]
    if not methods or unknown or len(set(methods)) != len(methods):
        msg = (f"argument 'methods' must be a non-empty sequence of distinct methods out of "
               f"{METHODS}, got {methods!r}")
        raise ValueError(msg)
    return methods


def _check_kwargs(kwargs, name, forbidden):
    if kwargs is not None and not isinstance(kwargs, dict):
        msg = f"argument {name!r} must be a dict of keyword arguments, got {type(kwargs).__name__}"
        raise TypeError(msg)
    kwargs = dict(kwargs or {})
    clash = sorted(set(kwargs) & set(forbidden))
    if clash:
        msg = (f"argument {name!r} must not contain {clash}: pass them to compare() directly, "
               f"they are shared by both methods")
        raise TypeError(msg)
    return kwargs


def compare(table, *, methods=None, model="default", seed=None, jeans_kwargs=None,
            network_kwargs=None, **galaxy_parameters):
    """Infer the dark matter of one galaxy with the network and a classical method, side by side.

    For a dwarf spheroidal (a star catalogue), the inner slope by the network and by a Jeans
    analysis; for a disc galaxy (images), the enclosed mass profile by the CNN ensemble and by
    its rotation curve. For a dwarf, both methods see the same star catalogue and the same
    galaxy parameters and return the same `~dmprofile.results.SlopePosterior` of gamma_150
    (d ln rho / d ln r at 150 pc), so their modes, 68% highest-density intervals and widths
    compare directly.

    Parameters
    ----------
    table : Table, QTable, mapping or HDUList
        Dwarf: a star catalogue, ``x``, ``y`` [length] or ``ra``, ``dec`` [angle], ``v_los``
        [speed], optional ``v_err`` [speed] and ``p_member``; galaxy parameters in
        ``table.meta`` (as written by `dmprofile.datasets.walker2009` or
        `dmprofile.observe.observe`). Disc: channel name -> image as for
        `dmprofile.infer_mass_profile` (the rotation-curve route needs ``mom1`` or ``cube``
        and ``g``, optionally ``r`` for the colour), or an HDUList with these EXTNAMEs (as
        `dmprofile.observe.observe_disc` writes).
    methods : sequence of str, optional
        The methods to run, in this order: {"network", "jeans"} for a dwarf,
        {"network", "rotation_curve"} for a disc (default: both).
    model : str, `~pathlib.Path`, `~dmprofile.nets.SlopeModel` or BootstrapEnsemble
        The network: ``"default"`` (bundled), a model directory or a loaded model (for a
        disc, an ensemble or ``"photometry"``).
    seed : int, `~numpy.random.SeedSequence` or `~numpy.random.Generator`, optional
        Seeds both methods (each gets its own integer seed drawn from it, recorded in ``meta``);
        a ``seed`` in ``network_kwargs`` or ``jeans_kwargs`` takes precedence.
    jeans_kwargs : dict, optional
        Keyword arguments of `dmprofile.classical.jeans_analysis` (``halo``, ``anisotropy``,
        ``nwalkers``, ``nsteps``, ``tracer``, ``progress``, ``priors``...).
    network_kwargs : dict, optional
        Keyword arguments of `dmprofile.infer_slope` (``n_passes``).
    **galaxy_parameters
        Dwarf: ``center``, ``distance``, ``ellipticity``, ``position_angle``, ``r_half``,
        ``v_sys`` and ``member_threshold``, given to both methods (keywords override
        ``table.meta``). Disc: ``distance`` and ``distance_err`` (default ``DIST_MPC`` of a
        band header, and 10 %), and ``rotation_kwargs`` (keyword arguments of the NFW fit,
        `dmprofile.classical.fit_rotation_curve`: ``halo``, ``priors``, ``nsteps``...).

    Returns
    -------
    `~dmprofile.results.Comparison` or `~dmprofile.results.MassComparison`
        The slope posteriors of a dwarf, or the enclosed-mass profiles of a disc.

    Raises
    ------
    ValueError
        For an unknown method.
    TypeError
        For an unknown galaxy parameter, or galaxy parameters inside ``jeans_kwargs`` or
        ``network_kwargs``.

    Notes
    -----
    The wall time of the network excludes loading the model from disk (recorded separately as
    ``meta["model_load_time"]``): loaded models are cached, so that is a one-off cost.

    Examples
    --------
    >>> import dmprofile
    >>> from dmprofile.datasets import walker2009
    >>> cmp = dmprofile.compare(walker2009("fornax"), seed=1,
    ...                         jeans_kwargs={"tracer": "r_half"})  # doctest: +SKIP
    >>> print(cmp.to_table())  # doctest: +SKIP
    >>> cmp.plot()  # doctest: +SKIP
    """
    from collections.abc import Mapping

    from astropy.io import fits
    from astropy.table import Table

    if isinstance(table, (Mapping, fits.HDUList)):
        return _compare_disc_images(table, methods, model, seed, jeans_kwargs, network_kwargs,
                                    galaxy_parameters)
    if not isinstance(table, Table):
        msg = (f"argument 'table' must be an astropy Table or QTable (a star catalogue) or, for "
               f"a disc galaxy, a mapping of channels to images or an HDUList, got "
               f"{type(table).__name__}; read a file with Table.read(...) first")
        raise TypeError(msg)
    methods = _check_methods(METHODS if methods is None else methods)
    seed = check_seed(seed, generators=True)
    unknown = sorted(set(galaxy_parameters) - set(_GALAXY_KEYS))
    if unknown:
        msg = (f"unexpected keyword argument(s) {unknown}; galaxy parameters are "
               f"{list(_GALAXY_KEYS)}")
        raise TypeError(msg)
    jeans_kwargs = _check_kwargs(jeans_kwargs, "jeans_kwargs", _GALAXY_KEYS)
    network_kwargs = _check_kwargs(network_kwargs, "network_kwargs", (*_GALAXY_KEYS, "model"))

    if seed is None:
        seed = draw_seed()
    rng = np.random.default_rng(seed)
    child = dict(zip(METHODS, (int(s) for s in rng.integers(0, 2**32 - 1, size=len(METHODS)))))
    meta = {"dmprofile_version": __version__, "methods": list(methods),
            "seed": seed if isinstance(seed, (int, np.integer)) else repr(seed),
            "galaxy": _meta_get(table.meta, "galaxy"),
            "galaxy_parameters": dict(galaxy_parameters)}

    results, posteriors, wall = {}, {}, {}
    for method in methods:
        if method == "network":
            from ._infer import infer_slope
            from .nets import get_model

            t0 = time.perf_counter()
            slope_model = get_model(model)
            meta["model_load_time"] = time.perf_counter() - t0
            kwargs = {"seed": child["network"], **network_kwargs}
            t0 = time.perf_counter()
            result = infer_slope(table, model=slope_model, **kwargs, **galaxy_parameters)
            wall[method] = time.perf_counter() - t0
            posterior = result
        else:
            from .classical import jeans_analysis

            kwargs = {"seed": child["jeans"], **jeans_kwargs}
            t0 = time.perf_counter()
            result = jeans_analysis(table, **kwargs, **galaxy_parameters)
            wall[method] = time.perf_counter() - t0
            posterior = result.slope
        meta[f"{method}_seed"] = kwargs["seed"]
        results[method], posteriors[method] = result, posterior
    return Comparison(posteriors, results, wall, meta)


def _compare_disc_images(images, methods, model, seed, jeans_kwargs, network_kwargs,
                         galaxy_parameters):
    """`compare` for a disc galaxy: the CNN ensemble and the rotation-curve route."""
    from ._compare_discs import DISC_METHODS, compare_disc

    if jeans_kwargs or network_kwargs:
        msg = ("a disc comparison takes neither 'jeans_kwargs' nor 'network_kwargs'; use "
               "'rotation_kwargs' for the rotation-curve fit")
        raise TypeError(msg)
    allowed = {"distance", "distance_err", "rotation_kwargs"}
    unknown = sorted(set(galaxy_parameters) - allowed)
    if unknown:
        msg = f"unexpected keyword argument(s) {unknown} for a disc galaxy; use {sorted(allowed)}"
        raise TypeError(msg)
    if methods is None:
        methods = DISC_METHODS
    return compare_disc(images, methods=methods, model=model, seed=seed, **galaxy_parameters)
