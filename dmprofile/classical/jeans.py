"""Classical spherical Jeans analysis of a dwarf spheroidal, sampled with emcee.

The model follows GravSphere (Read & Steger 2017; Read et al. 2018) in its essentials: a
(sum of) Plummer tracer fitted to the star positions by maximum likelihood, a Zhao, coreNFW or
NFW dark-matter halo (by default a Zhao halo whose M200, concentration-mass relation and
shape priors follow the default training prior), optional stellar mass, Baes & van Hese (2007)
anisotropy with priors uniform in the symmetrised tilde-beta = beta / (2 - beta), and an
unbinned Gaussian likelihood
of every star's line-of-sight velocity around the systemic velocity with variance
sigma_los(R)^2 + v_err^2. The projected dispersion comes from `sigma_los` (fixed-grid projection
integrals, vectorised over walkers), so one fit on 1,000 stars takes about a minute.
"""

import time
import warnings

import numpy as np
from astropy import units as u

from .._utils import MASS, as_value, require, show_progress
from .._version import __version__
from ..exceptions import DMProfileWarning
from ..profiles import DensityProfile, Plummer
from ._likelihood import JeansLikelihood, _models, default_priors
from ._mixture import mixture_fit
from ._models import HALO_MODELS
from ._result import JeansResult
from ._sampling import MAX_STEPS, TARGET_TAU, run_sampler, warn_convergence
from ._tracer_fit import TRACER_FAMILIES, _fit_tracer_R

__all__ = ["jeans_analysis", "default_priors"]

#: Keywords of `jeans_analysis` that describe the galaxy geometry (passed to the catalogue parser).
_GEOMETRY = ("center", "distance", "ellipticity", "position_angle", "r_half", "v_sys")


def _read_catalogue(table, member_threshold, galaxy_parameters):
    """Projected radii, velocities, errors and weights of a star catalogue."""
    from ..kinematics import StarCatalogue

    cat = StarCatalogue.from_table(table, member_threshold=member_threshold, **galaxy_parameters)
    # the summaries the bundled network was trained on: a unit or frame mistake shows there
    from ..kinematics import catalogue_summaries, check_summaries, default_summary_ranges

    check_summaries(catalogue_summaries(cat), default_summary_ranges(), stacklevel=3,
                    method="catalogue")
    R, v = cat.R, cat.v_los
    if cat.v_err is None:
        warnings.warn("the catalogue has no 'v_err' column: assuming exact velocities",
                      DMProfileWarning, stacklevel=3)
        e = np.zeros_like(v)
    else:
        e = cat.v_err
    if np.any(R <= 0):
        R = np.maximum(R, 1e-6 * R.max())
    return {"catalogue": cat, "R": R, "v": v, "v_err": e, "weights": cat.weights}


def _tracer(tracer, data, tracer_components, tracer_family="plummer"):
    """``(tracer_fit, tracer_profile)`` for the ``tracer`` argument of `jeans_analysis`."""
    if not isinstance(tracer_family, str) or tracer_family not in TRACER_FAMILIES:
        msg = f"argument 'tracer_family' must be one of {TRACER_FAMILIES}, got {tracer_family!r}"
        raise ValueError(msg)
    if isinstance(tracer, str) and tracer == "fit":
        tracer_fit = _fit_tracer_R(data["R"], data["weights"], n_components=tracer_components,
                                   family=tracer_family)
        return tracer_fit, tracer_fit.profile
    if isinstance(tracer, str) and tracer == "r_half":
        cat = data["catalogue"]
        if cat.sources["r_half"] == "estimated":
            msg = ("tracer='r_half' needs the half-light radius as keyword 'r_half' or in "
                   "table.meta['r_half']")
            raise ValueError(msg)
        return None, Plummer(cat.galaxy_parameters["r_half"])
    if isinstance(tracer, DensityProfile):
        return None, tracer
    msg = f"argument 'tracer' must be 'fit', 'r_half' or a DensityProfile, got {tracer!r}"
    raise TypeError(msg)


def _make_likelihood(data, tracer_profile, halo, anisotropy, priors, v_sys_prior, m_star,
                     n_grid, vsp, v_sys):
    """Return the `JeansLikelihood` of one halo family.

    ``priors`` may override the anisotropy's and ``v_sys``'s defaults.
    """
    full = {**default_priors(halo, anisotropy), "v_sys": v_sys_prior, **priors}
    return JeansLikelihood(data["R"], data["v"], data["v_err"], data["weights"], tracer_profile,
                           halo=halo, anisotropy=anisotropy, priors=full, stellar_mass=m_star,
                           n_grid=n_grid, vsp=vsp, v_sys_vsp=v_sys)


def jeans_analysis(table, *, halo="mixture", anisotropy="baes", priors=None, nwalkers=32,
                   nsteps=None, burn=None, thin=None, seed=None, workers=1, pool=None,
                   progress=True, tracer="fit", tracer_components="auto",
                   tracer_family="plummer", stellar_mass=None,
                   fit_v_sys=None, member_threshold=None, vsp=False, n_grid=30, moves=None,
                   mixture_prior=None, max_steps=None, target_tau=TARGET_TAU, processes=None,
                   **galaxy_parameters):
    """Spherical Jeans analysis of a star catalogue, sampled with emcee.

    Parameters
    ----------
    table : `~astropy.table.Table` or `~astropy.table.QTable`
        Star catalogue: ``x``, ``y`` [length] (or ``ra``, ``dec`` [angle] with the galaxy centre
        and distance), ``v_los`` [speed], optional ``v_err`` [speed] and ``p_member`` (used as
        likelihood weights unless ``member_threshold`` is given). Parsed by
        `dmprofile.kinematics.StarCatalogue`; elliptical radii are circularised.
    halo : {"mixture", "zhao_m200", "dc14", "zhao_slope", "corenfw", "zhao", "nfw"}
        Dark-matter halo prior. ``"mixture"`` (default) fits the halo families of a training
        prior (by default `~dmprofile.simulate.DefaultDwarfPrior`: DC14, coreNFW, Zhao and NFW
        with their weights and parameter ranges, see `mixture_priors`), each in its own
        process (``processes``), estimates each family's Bayesian evidence by importance
        sampling, and pools their samples in proportion to the families' posterior probabilities
        (``result.family_probabilities``, ``result.components``). The other names fit one
        family (parameters and default priors in `default_priors`); ``"zhao_m200"`` is the most
        flexible. The calibration on mocks from the training prior is in the user guide.
    anisotropy : {"baes", "om", "constant", "isotropic"}
        Velocity anisotropy family.
    priors : dict, optional
        Overrides of the default priors: ``{name: (low, high)}`` (uniform),
        ``{name: ("normal", mean, sigma)}``, ``{"c": ("dutton_maccio", sigma_dex)}``
        (log-normal around the concentration-mass relation) or ``{name: value}`` (fixed), e.g.
        ``{"gamma": 1.0}`` for a fixed inner slope or ``{"v_sys": (100, 120)}`` in km/s.
    nwalkers : int
        emcee ensemble size.
    nsteps : int, optional
        Fixed chain length (per halo family). Default: run each chain until its kept steps
        span ``target_tau`` integrated autocorrelation times of every parameter (checked every
        250 steps, after 1,000 steps of burn-in), at most ``max_steps``.
    burn : int, optional
        With a fixed ``nsteps``: steps discarded as burn-in (default ``nsteps // 2``). With
        ``nsteps=None`` the burn-in is the first 1,000 steps plus 10% of the rest.
    thin : int, optional
        Keep every ``thin``-th step after burn-in. Default: 1 with a fixed ``nsteps``; with
        ``nsteps=None`` a fifth of each family's tau_max (the kept samples then hold ~5 per
        autocorrelation time and walker, all but none of the information, at a fraction of the
        cost of the derived quantities).
    seed : int, `~numpy.random.SeedSequence` or `~numpy.random.Generator`, optional
        Seeds the initial walkers and emcee's random state; the result does not depend on
        ``workers`` or ``processes``.
    workers : int
        Number of processes evaluating the (vectorised) likelihood; ignored when ``pool`` is
        given. The likelihood of 1,000 stars costs ~1 ms per step for all walkers together, so
        a pool only helps for much larger catalogues.
    pool : object with a ``map`` method, optional
        E.g. a `multiprocessing.pool.Pool` or a ``schwimmbad`` pool.
    progress : bool or "always"
        Show a tqdm progress bar: ``True`` only when standard error is a terminal or in
        Jupyter (a log file gets no progress lines), ``"always"`` in any case.
    tracer : {"fit", "r_half"} or `~dmprofile.profiles.DensityProfile`
        The tracer density: "fit" (default) a maximum-likelihood (sum of) Plummer fit to the
        stars' positions; "r_half" a Plummer sphere with the galaxy's half-light radius
        (keyword or ``table.meta``, e.g. from photometry, which is preferable when the
        spectroscopic targets do not sample the light profile fairly); or any profile.
    tracer_components : {1, 2, 3, "auto"}
        Number of Plummer components of the tracer fit ("auto": lowest BIC).
    tracer_family : {"plummer", "exponential", "zhao", "auto"}
        Family of the tracer fit (``tracer="fit"``, see `fit_tracer`): sums of Plummer spheres
        (default), a spherical exponential, a Zhao profile with free shape, or "auto", the
        lowest BIC among them. Recorded in ``meta["tracer_family"]``.
    stellar_mass : `~astropy.units.Quantity` [mass], optional
        Stellar mass following the tracer, added to the halo mass (default: none).
    fit_v_sys : bool, optional
        Fit the systemic velocity (default: fit it unless ``v_sys`` is given as keyword or in
        ``table.meta``).
    member_threshold : float, optional
        Keep stars with ``p_member >= member_threshold`` instead of weighting them.
    vsp : bool
        Add the two fourth-moment virial shape parameters (Merrifield & Kent 1990; Read et al.
        2017) as Gaussian constraints, which narrows the mass-anisotropy degeneracy. The data
        estimates are corrected for the velocity errors; beyond the survey radius the model's
        fourth moments assume Gaussian velocity distributions with a 15% systematic uncertainty,
        so they help most when the stars reach several half-light radii. Off by default.
    n_grid : int
        Number of projected radii where the model dispersion is computed.
    moves : emcee move or list of ``(move, weight)``, optional
        Default: differential-evolution moves (80% ``DEMove``, 20% ``DESnookerMove``), which mix
        about three times faster than the stretch move. emcee samples every parameter mapped
        to the real line (logit of a uniform prior, log of the concentration), so that no move
        runs into the edge of the prior box.
    mixture_prior : `~dmprofile.simulate.DefaultDwarfPrior`, optional
        For ``halo="mixture"``: the prior whose halo families, family weights, M200 range,
        concentration scatter and shape ranges the mixture follows (default:
        ``DefaultDwarfPrior()``). Entries of ``priors`` override it in every family that has the
        parameter.
    max_steps : int, optional
        With ``nsteps=None``: the longest chain per family (default 30000); a
        `DMProfileWarning` says so when a chain stops there before converging.
    target_tau : float
        With ``nsteps=None``: the number of autocorrelation times the kept steps must span
        (default 50, emcee's rule of thumb); ``convergence["converged"]`` uses it in any case.
    processes : int, optional
        Number of processes fitting the halo families of ``halo="mixture"`` at the same time
        (default: one per usable CPU core, at most one per family). Each family draws from its
        own child of the ``seed`` (`numpy.random.SeedSequence` spawning), so the result is the
        same for any number of processes.
    **galaxy_parameters
        ``center``, ``distance``, ``ellipticity``, ``position_angle``, ``r_half``, ``v_sys``
        (keywords override ``table.meta``).

    Returns
    -------
    `JeansResult`
        ``.slope`` (`~dmprofile.results.SlopePosterior` of gamma_150), ``.profile``
        (`DensityProfileBand`), ``.samples``, ``.convergence``, ``.meta``.

    Raises
    ------
    ImportError
        If emcee is not installed (``pip install "dmprofile[jeans]"``).

    Notes
    -----
    A `DMProfileWarning` is emitted when the kept chain of a family spans fewer than
    ``target_tau`` integrated autocorrelation times (a fixed ``nsteps`` too short, or
    ``max_steps`` reached). ``result.convergence_table()`` lists tau, acceptance, chain length
    and wall time per family; progress bars (``progress``) are labelled with the family.
    Differential-evolution moves typically accept 6-15% of their proposals on a Jeans
    posterior: what tells convergence is the number of autocorrelation times.

    Examples
    --------
    >>> import numpy as np, astropy.units as u
    >>> from astropy.table import QTable
    >>> from dmprofile.classical import jeans_analysis
    >>> rng = np.random.default_rng(0)
    >>> n = 300
    >>> R = 0.3 * np.sqrt(1 / (1 / rng.uniform(size=n) - 1))
    >>> phi = rng.uniform(0, 2 * np.pi, n)
    >>> t = QTable({"x": R * np.cos(phi) * u.kpc, "y": R * np.sin(phi) * u.kpc,
    ...             "v_los": rng.normal(0, 9, n) * u.km / u.s,
    ...             "v_err": np.full(n, 2.0) * u.km / u.s})
    >>> res = jeans_analysis(t, anisotropy="isotropic", nwalkers=16, nsteps=200, seed=1,
    ...                      progress=False)  # doctest: +IGNORE_WARNINGS
    >>> res.samples["gamma_150"].shape
    (1600,)
    """
    emcee = require("emcee", "jeans")
    t_start = time.perf_counter()
    settings = _check_settings(halo, anisotropy, galaxy_parameters, mixture_prior,
                               nwalkers=nwalkers, nsteps=nsteps, burn=burn, thin=thin,
                               workers=workers, pool=pool, progress=progress, moves=moves,
                               max_steps=max_steps, target_tau=target_tau, processes=processes)
    m_star = 0.0 if stellar_mass is None else as_value(stellar_mass, MASS, "stellar_mass",
                                                       scalar=True, positive=True)
    _check_priors(priors)

    data = _read_catalogue(table, member_threshold, galaxy_parameters)
    tracer_fit, tracer_profile = _tracer(tracer, data, tracer_components, tracer_family)
    v_sys, v_sys_prior = _v_sys_prior(data, fit_v_sys)

    def likelihood(halo_name, halo_priors):
        return _make_likelihood(data, tracer_profile, halo_name, anisotropy, halo_priors,
                                v_sys_prior, m_star, n_grid, vsp, v_sys)

    rng = np.random.default_rng(seed)
    meta = _meta(data, settings, halo=halo, anisotropy=anisotropy, seed=seed, m_star=m_star,
                 vsp=vsp, v_sys_fixed=None if isinstance(v_sys_prior, tuple) else v_sys,
                 tracer_profile=tracer_profile, table_meta=getattr(table, "meta", None),
                 tracer_family=None if tracer_fit is None else tracer_fit.family)
    arrays = {k: data[k] for k in ("R", "v", "v_err", "weights")}
    if halo == "mixture":
        return mixture_fit(likelihood, priors or {}, mixture_prior, tracer_profile, rng,
                           settings, meta, t_start, tracer_fit=tracer_fit, data=arrays)

    like = likelihood(halo, {**default_priors(halo, anisotropy), **(priors or {})})
    run, conv = run_sampler(like, rng, emcee, settings)
    warn_convergence(conv, stacklevel=2)
    burn, thin = conv["burn"], conv["thin"]
    flat = run.get_chain(discard=burn, thin=thin, flat=True)
    log_prob = run.get_log_prob(discard=burn, thin=thin, flat=True)
    meta = {**meta, "priors": like.priors, "wall_time": time.perf_counter() - t_start}
    return JeansResult._build(like, flat, log_prob, run.get_chain(), conv, meta,
                              tracer_fit=tracer_fit, tracer=tracer_profile, data=arrays)


def _check_settings(halo, anisotropy, galaxy_parameters, mixture_prior, **settings):
    """Check the sampler and model arguments of `jeans_analysis`; returns the sampler settings."""
    unknown = sorted(set(galaxy_parameters) - set(_GEOMETRY))
    if unknown:
        msg = f"unexpected keyword argument(s) {unknown}; galaxy parameters are {list(_GEOMETRY)}"
        raise TypeError(msg)
    mixture = halo == "mixture"
    if not mixture and halo not in HALO_MODELS:
        msg = f"argument 'halo' must be one of {['mixture', *sorted(HALO_MODELS)]}, got {halo!r}"
        raise ValueError(msg)
    _models("nfw" if mixture else halo, anisotropy)
    if mixture_prior is not None and not mixture:
        msg = "argument 'mixture_prior' is only used with halo='mixture'"
        raise ValueError(msg)
    nwalkers, thin = _positive_int(settings["nwalkers"], "nwalkers"), settings["thin"]
    nsteps, burn = settings["nsteps"], settings["burn"]
    if nsteps is None:
        if burn is not None:
            msg = ("argument 'burn' needs a fixed 'nsteps'; with nsteps=None each chain runs "
                   "until it spans 'target_tau' autocorrelation times and sets its own burn-in")
            raise ValueError(msg)
        max_steps = MAX_STEPS if settings["max_steps"] is None else settings["max_steps"]
        max_steps = _positive_int(max_steps, "max_steps")
        if max_steps < 2000:
            msg = f"argument 'max_steps' must be >= 2000, got {max_steps}"
            raise ValueError(msg)
    else:
        nsteps, max_steps = _positive_int(nsteps, "nsteps"), None
        burn = nsteps // 2 if burn is None else _positive_int(burn, "burn", zero=True)
        if nsteps < 2 or not 0 <= burn < nsteps:
            msg = f"need nsteps >= 2 and 0 <= burn < nsteps; got nsteps={nsteps}, burn={burn}"
            raise ValueError(msg)
    thin = None if thin is None else _positive_int(thin, "thin")
    target = settings["target_tau"]
    if isinstance(target, bool) or not isinstance(target, (int, float, np.integer,
                                                               np.floating)) or not target > 0:
        msg = f"argument 'target_tau' must be a positive number, got {target!r}"
        raise ValueError(msg)
    _positive_int(settings["workers"], "workers")
    if settings["processes"] is not None:
        _positive_int(settings["processes"], "processes")
    show = show_progress(settings["progress"])
    return {**settings, "nwalkers": nwalkers, "nsteps": nsteps, "burn": burn, "thin": thin,
            "max_steps": max_steps, "target_tau": float(target), "show_progress": show}


def _positive_int(value, name, *, zero=False):
    """``value`` as an int >= 1 (>= 0 with ``zero``), or an error naming the argument."""
    what = "a non-negative integer" if zero else "a positive integer"
    msg = f"argument {name!r} must be {what}, got {value!r}"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(msg)
    if value < (0 if zero else 1):
        raise ValueError(msg)
    return int(value)


def _check_priors(priors):
    """Prior overrides are plain numbers in the documented units, never Quantities."""
    for name, spec in (priors or {}).items():
        if isinstance(spec, u.Quantity) or (np.ndim(spec) > 0 and any(
                isinstance(s, u.Quantity) for s in spec)):
            msg = (f"prior of {name!r} must be plain numbers in the documented units "
                   f"(see default_priors), got {spec!r}")
            raise TypeError(msg)


def _v_sys_prior(data, fit_v_sys):
    """Return the systemic velocity [km/s] and its prior (a range when fitted, else the value)."""
    cat = data["catalogue"]
    if fit_v_sys is None:
        fit_v_sys = cat.sources["v_sys"] == "estimated"
    vs = cat.galaxy_parameters["v_sys"].to_value(u.km / u.s)
    if not fit_v_sys:
        return vs, vs
    spread = 0.5 * np.std(data["v"])
    return vs, (vs - spread, vs + spread)


def _galaxy_name(meta):
    """Return the galaxy name of a table's ``meta`` (key ``galaxy``, any case), or None."""
    for key, value in (meta or {}).items():
        if str(key).lower() == "galaxy" and value:
            return str(value)
    return None


def _meta(data, settings, *, halo, anisotropy, seed, m_star, vsp, v_sys_fixed, tracer_profile,
          table_meta=None, tracer_family=None):
    """Return the provenance recorded in ``JeansResult.meta``."""
    cat = data["catalogue"]
    return {
        "method": "jeans",
        "dmprofile_version": __version__,
        "halo": halo,
        "anisotropy": anisotropy,
        "nwalkers": settings["nwalkers"],
        "nsteps": settings["nsteps"],
        "burn": settings["burn"],
        "thin": settings["thin"],
        "max_steps": settings["max_steps"],
        "target_tau": settings["target_tau"],
        "processes": settings["processes"],
        "seed": seed if isinstance(seed, (int, np.integer, type(None))) else repr(seed),
        "workers": settings["workers"],
        "n_stars": int(data["R"].size),
        "R_range": (float(data["R"].min()), float(data["R"].max())),
        "galaxy": _galaxy_name(table_meta),
        "stellar_mass": m_star,
        "vsp": bool(vsp),
        "v_sys_fixed": v_sys_fixed,
        "tracer": repr(tracer_profile),
        "tracer_family": tracer_family,
        "galaxy_parameters": {k: cat.galaxy_parameters.get(k) for k in _GEOMETRY},
    }
