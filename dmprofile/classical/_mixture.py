"""Jeans analysis over a mixture of halo families, combined by their Bayesian evidence.

The default training prior of the slope network (`~dmprofile.simulate.DefaultDwarfPrior`) draws
the halo from four families (DC14, coreNFW, Zhao, NFW) with given weights. A Jeans fit with the
same prior samples each family separately with emcee, estimates each family's evidence by
importance sampling (`_evidence.log_evidence`), and pools the posterior samples in proportion
to the families' posterior probabilities weight_k Z_k / sum_j weight_j Z_j.
"""

import math
import os
import time

from .._utils import require
from ._evidence import log_evidence
from ._jeans_model import _tracer_scale
from ._result import JeansResult
from ._sampling import run_sampler, warn_convergence

__all__ = ["mixture_priors"]

#: The Jeans halo model of each family of the training prior.
JEANS_FAMILIES = {"dc14": "dc14", "corenfw": "corenfw", "zhao": "zhao_m200", "nfw": "nfw"}
#: Families in decreasing order of their usual chain length (on the benchmark mock DC14 needs
#: the longest chain, NFW the shortest): the order in which the processes pick them up.
SLOWEST_FIRST = ("dc14", "zhao", "corenfw", "nfw")


def mixture_priors(r_half, prior=None):
    """Halo families, weights and priors of the Jeans mixture that follows a training prior.

    Parameters
    ----------
    r_half : float
        Projected half-light radius of the tracer [kpc]; the coreNFW core radius is
        r_c = eta r_half with eta log-uniform in the prior's ``corenfw_eta_range``.
    prior : `~dmprofile.simulate.DefaultDwarfPrior`, optional
        Default: ``DefaultDwarfPrior()``.

    Returns
    -------
    dict
        ``{family: (jeans_halo, weight, priors)}`` for the families of positive weight, with
        ``priors`` in the form of `default_priors`: ``log10_M200`` uniform in
        ``log_m200_range``, ``c`` log-normal around the Dutton & Maccio (2014) relation with
        ``c_scatter`` dex, and the family's shape parameters uniform in the prior's ranges
        (``log_mstar_mhalo`` for DC14; ``log10_r_c``, ``n`` for coreNFW; ``alpha``, ``beta``,
        ``gamma`` for Zhao).

    Examples
    --------
    >>> from dmprofile.classical import mixture_priors
    >>> fams = mixture_priors(0.3)
    >>> {k: v[1] for k, v in fams.items()}
    {'corenfw': 0.2, 'dc14': 0.3, 'nfw': 0.2, 'zhao': 0.3}
    >>> fams["zhao"][2]["gamma"]
    (0.0, 1.5)
    """
    from ..simulate import DefaultDwarfPrior

    prior = DefaultDwarfPrior() if prior is None else prior
    if not isinstance(prior, DefaultDwarfPrior):
        msg = f"argument 'mixture_prior' must be a DefaultDwarfPrior, got {type(prior).__name__}"
        raise TypeError(msg)
    r_half = float(r_half)
    if not (math.isfinite(r_half) and r_half > 0):
        msg = f"the tracer half-light radius must be positive and finite, got {r_half!r}"
        raise ValueError(msg)
    if not prior.c_scatter > 0:
        msg = "the Jeans mixture needs a prior with c_scatter > 0"
        raise ValueError(msg)
    missing = sorted(f for f, w in prior.family_weights.items()
                     if w > 0 and f not in JEANS_FAMILIES)
    if missing:
        msg = (f"argument 'mixture_prior' has halo families without a Jeans counterpart "
               f"({', '.join(missing)}); the Jeans mixture supports "
               f"{', '.join(sorted(JEANS_FAMILIES))}: give those families zero weight")
        raise ValueError(msg)
    base = {"log10_M200": prior.log_m200_range, "c": ("dutton_maccio", prior.c_scatter)}
    eta_lo, eta_hi = prior.corenfw_eta_range
    shapes = {
        "dc14": {"log_mstar_mhalo": prior.log_mstar_mhalo_range},
        "corenfw": {"log10_r_c": (math.log10(eta_lo * r_half), math.log10(eta_hi * r_half)),
                    "n": prior.corenfw_n_range},
        "zhao": {"alpha": prior.zhao_alpha_range, "beta": prior.zhao_beta_range,
                 "gamma": prior.zhao_gamma_range},
        "nfw": {},
    }
    return {family: (JEANS_FAMILIES[family], weight, {**base, **shapes[family]})
            for family, weight in prior.family_weights.items() if weight > 0}


def mixture_fit(make_likelihood, priors, mixture_prior, tracer, rng, settings, meta, t_start,
                *, tracer_fit, data):
    """Fit every family, weigh them by evidence, and pool their samples (see module doc)."""
    require("emcee", "jeans")
    families = mixture_priors(_tracer_scale(tracer), mixture_prior)
    # user overrides apply to every family that has the parameter
    likes, known = {}, set()
    for family, (halo, _, fam_priors) in families.items():
        probe = make_likelihood(halo, fam_priors)
        names = set(probe.priors)
        known |= names
        own = {k: v for k, v in priors.items() if k in names}
        likes[family] = make_likelihood(halo, {**fam_priors, **own}) if own else probe
    unknown = sorted(set(priors) - known)
    if unknown:
        msg = (f"unknown prior parameter(s) {unknown}; the mixture's families have "
               f"{sorted(known)}")
        raise ValueError(msg)

    fits = _fit_families(likes, rng, settings)
    parts, components, evidence = {}, {}, {}
    total_weight = sum(w for _, w, _ in families.values())
    for family, like in likes.items():
        run, conv, ev, wall = fits[family]
        warn_convergence(conv, f" ({family} halo)", stacklevel=3)
        burn = conv["burn"]
        flat = run.get_chain(discard=burn, thin=conv["thin"], flat=True)
        log_prob = run.get_log_prob(discard=burn, thin=conv["thin"], flat=True)
        ev["weight"] = families[family][1] / total_weight
        evidence[family] = ev
        fam_meta = {**meta, "halo": like.halo_name, "priors": like.priors, "wall_time": wall}
        components[family] = JeansResult._build(like, flat, log_prob, run.get_chain(), conv,
                                                fam_meta, tracer_fit=tracer_fit, tracer=tracer,
                                                data=data)
        parts[family] = (like, flat)
    log_post = {f: math.log(e["weight"]) + e["log_evidence"] for f, e in evidence.items()}
    top = max(log_post.values())
    norm = sum(math.exp(v - top) for v in log_post.values())
    for f, e in evidence.items():
        e["probability"] = math.exp(log_post[f] - top) / norm
    meta = {**meta, "halo": "mixture",
            "priors": {f: components[f].meta["priors"] for f in families},
            "families": {f: families[f][0] for f in families},
            "wall_time": time.perf_counter() - t_start}
    return JeansResult._build_mixture(parts, components, evidence, rng, meta,
                                      tracer_fit=tracer_fit, tracer=tracer, data=data)


def _fit_family(like, rng, settings, label, position):
    """Sample one family and estimate its evidence (module level: runs in a worker process)."""
    emcee = require("emcee", "jeans")
    t0 = time.perf_counter()
    run, conv = run_sampler(like, rng, emcee, settings, label=label, position=position)
    flat = run.get_chain(discard=conv["burn"], thin=conv["thin"], flat=True)
    ev = log_evidence(like, flat, rng)
    return run, conv, ev, time.perf_counter() - t0


def default_processes(n_tasks):
    """Return the processes used for ``n_tasks`` families: one per usable core, at most n_tasks."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:          # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, n_tasks))


def _fit_families(likes, rng, settings):
    """Fit every family, in ``settings["processes"]`` processes; ``{family: fit}``.

    Family k draws only from the k-th child of ``rng`` (`numpy.random.Generator.spawn`), so
    the result does not depend on the number of processes or on the order of completion.
    """
    names = list(likes)
    rngs = dict(zip(names, rng.spawn(len(names))))
    processes = settings["processes"] or default_processes(len(names))
    if settings["pool"] is not None:    # a user's pool cannot travel to another process
        processes = 1
    processes = min(processes, len(names))
    # the families that usually need the longest chains first, so the processes end together
    order = sorted(names, key=lambda f: SLOWEST_FIRST.index(f) if f in SLOWEST_FIRST else -1)
    if processes <= 1:
        return {f: _fit_family(likes[f], rngs[f], settings, f, 0) for f in names}
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=processes) as pool:
        futures = {f: pool.submit(_fit_family, likes[f], rngs[f], settings, f, i)
                   for i, f in enumerate(order)}
        return {f: futures[f].result() for f in names}
