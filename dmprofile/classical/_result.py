"""The result of a Jeans analysis: posterior samples, slope posterior, profile bands, plots."""

import functools
import time

import numpy as np
from astropy.table import QTable

from .._utils import DENSITY, LENGTH, MASS, VELOCITY
from ..profiles import R_REF
from ._profile_band import DensityProfileBand

__all__ = ["JeansResult"]

_UNITS = {"v_sys": VELOCITY, "rho_150": DENSITY, "M_150": MASS}
_MAX_BAND_SAMPLES = 4000
_MAX_SIGMA_SAMPLES = 800


def _subset(n, k):
    return np.unique(np.linspace(0, n - 1, min(n, k)).astype(int))


def _binned_dispersion(R, v, e, w, v_sys, n_bins):
    """Equal-number bins: weighted dispersion corrected for the mean squared error."""
    w = np.ones_like(R) if w is None else w
    order = np.argsort(R)
    rows = []
    for chunk in np.array_split(order, n_bins):
        ww = w[chunk]
        dv = v[chunk] - v_sys
        var = np.sum(ww * dv**2) / ww.sum() - np.sum(ww * e[chunk] ** 2) / ww.sum()
        s = np.sqrt(max(var, 0.0))
        n_eff = ww.sum() ** 2 / np.sum(ww**2)
        rows.append((np.median(R[chunk]), s, max(s, 1e-3) / np.sqrt(2 * n_eff)))
    return np.array(rows).T


def _nanmax(values):
    """Largest finite value (NaN when there is none)."""
    v = np.asarray(values, dtype=float)
    return float(np.max(v[np.isfinite(v)])) if np.any(np.isfinite(v)) else float("nan")


def _tau_of(flat_values, nwalkers):
    """Integrated autocorrelation time of a derived quantity from the flattened chain."""
    import warnings

    from .._utils import require

    emcee = require("emcee", "jeans")
    x = np.asarray(flat_values).reshape(-1, nwalkers)[:, :, None]
    if x.shape[0] < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(emcee.autocorr.integrated_time(x, quiet=True, tol=0)[0])


def _bands(pairs, data, meta):
    """Density, mass and dispersion bands from ``(like, flat)`` pairs (samples pooled)."""
    r_max = max(2 * float(data["R"].max()), 1.0)
    r = np.geomspace(0.01, r_max, 60)
    n_total = sum(len(flat) for _, flat in pairs)
    rho, mass, s, v_sys = [], [], [], []
    for like, flat in pairs:
        share = len(flat) / n_total
        sub = _subset(len(flat), max(1, int(round(share * _MAX_BAND_SAMPLES))))
        rho_k, mass_k = like.band(like.params(flat[sub]), r)
        rho.append(rho_k)
        mass.append(mass_k)
        sub = _subset(len(flat), max(1, int(round(share * _MAX_SIGMA_SAMPLES))))
        P = like.params(flat[sub])
        s.append(np.sqrt(like.sigma2_grid(P)))
        v_sys.append(P["v_sys"][:, 0])
    profile = DensityProfileBand.from_samples(
        r * LENGTH, np.concatenate(rho) * DENSITY, np.concatenate(mass) * MASS,
        meta={"method": "jeans", "halo": meta["halo"]})
    q = np.percentile(np.concatenate(s), (16, 50, 84), axis=0)
    like = pairs[0][0]
    sigma = QTable({"R": like.R_grid * LENGTH, "sigma_16": q[0] * VELOCITY,
                    "sigma_50": q[1] * VELOCITY, "sigma_84": q[2] * VELOCITY})
    n_bins = int(np.clip(len(data["R"]) // 40, 3, 12))
    Rb, sb, eb = _binned_dispersion(data["R"], data["v"], data["v_err"], data["weights"],
                                    float(np.median(np.concatenate(v_sys))), n_bins)
    binned = QTable({"R": Rb * LENGTH, "sigma": sb * VELOCITY, "sigma_err": eb * VELOCITY})
    return profile, sigma, binned


class JeansResult:
    """Posterior of a spherical Jeans analysis (`jeans_analysis`).

    Made by `jeans_analysis`, not by hand.

    Parameters
    ----------
    samples : `~astropy.table.QTable`
        Flattened posterior samples (see ``samples`` below).
    chain : ndarray
        The full chain (see ``chain`` below).
    convergence : dict
        Convergence diagnostics (see ``convergence`` below).
    profile : `DensityProfileBand`
        The density band of the halo.
    sigma_los : `~astropy.table.QTable`
        The model dispersion profile (16/50/84th percentiles).
    binned : `~astropy.table.QTable`
        The binned line-of-sight dispersion of the data.
    tracer : `~dmprofile.profiles.DensityProfile`
        The tracer density used.
    tracer_fit : `TracerFit` or None
        The fit of the tracer (None for a given tracer).
    meta : dict
        Provenance (see ``meta`` below).
    components : dict, optional
        For a mixture, the `JeansResult` of each halo family.
    evidence : dict, optional
        For a mixture, the evidence of each family (see ``evidence`` below).

    Attributes
    ----------
    slope : `~dmprofile.results.SlopePosterior`
        Posterior of gamma_150 = d ln rho / d ln r of the halo at 150 pc, the same type as
        `dmprofile.infer_slope` returns (a Gaussian KDE of the samples).
    profile : `DensityProfileBand`
        16/50/84th percentiles of the halo rho(r) and M(<r).
    samples : `~astropy.table.QTable`
        Flattened posterior samples (after burn-in and thinning): the free parameters, the derived
        ``gamma_150``, ``rho_150``, ``M_150`` (and ``beta0``, ``beta_inf``), ``log_prob``.
    chain : ndarray (nsteps, nwalkers, ndim)
        The full emcee chain of the free parameters (burn-in included); for a mixture, see the
        chain of each family in ``components``.
    convergence : dict
        ``tau`` (integrated autocorrelation time of each free parameter after burn-in),
        ``tau_max``, ``tau_gamma_150`` (of the derived gamma_150; all in steps), ``thin``,
        ``acceptance_fraction``, ``steps_per_tau``, ``n_effective``, ``converged`` (chain
        longer than 50 tau_max). For a mixture: the worst of the families (``tau_max``,
        ``tau_gamma_150``, ``acceptance_fraction``, ``converged``) and ``families`` (each
        family's dict).
    components : dict
        For ``halo="mixture"``: the `JeansResult` of each halo family (empty otherwise).
    family_probabilities : dict
        For ``halo="mixture"``: posterior probability of each halo family.
    evidence : dict or None
        For ``halo="mixture"``: per family its prior ``weight``, ``log_evidence`` (natural log,
        with the likelihood's constant terms), ``log_evidence_err``, ``ess`` (effective number
        of importance-sampling draws) and ``probability``.
    tracer : `~dmprofile.profiles.DensityProfile`
        The tracer density used; ``tracer_fit`` the `TracerFit` (None for a given tracer).
    sigma_los : `~astropy.table.QTable`
        The model dispersion profile (16/50/84th percentiles) and the binned data.
    meta : dict
        Provenance: method, halo and anisotropy families, priors, sampler settings, seed,
        dmprofile version, number of stars, wall time [s].
    """

    def __init__(self, *, samples, chain, convergence, profile, sigma_los, binned, tracer,
                 tracer_fit, meta, components=None, evidence=None):
        self._samples = samples
        self._chain = chain
        self._convergence = dict(convergence)
        self._profile = profile
        self._sigma_los = sigma_los
        self._binned = binned
        self._tracer = tracer
        self._tracer_fit = tracer_fit
        self._meta = dict(meta)
        self._components = dict(components or {})
        self._evidence = evidence

    @classmethod
    def _build(cls, like, flat, log_prob, chain, convergence, meta, *, tracer_fit, tracer, data):
        t0 = time.perf_counter()
        derived = like.derived(flat)
        cols = {}
        for i, name in enumerate(like.names):
            cols[name] = flat[:, i] * _UNITS.get(name, 1)
        for name, values in derived.items():
            cols[name] = values * _UNITS.get(name, 1)
        cols["log_prob"] = log_prob
        samples = QTable(cols, meta={"halo": meta["halo"], "anisotropy": meta["anisotropy"]})
        convergence = dict(convergence)
        # in steps of the chain (the derived values are of the thinned samples)
        convergence["tau_gamma_150"] = (_tau_of(derived["gamma_150"], convergence["nwalkers"])
                                        * convergence.get("thin", 1))
        profile, sigma, binned = _bands([(like, flat)], data, meta)
        meta = {**meta, "wall_time": meta["wall_time"] + time.perf_counter() - t0}
        return cls(samples=samples, chain=chain, convergence=convergence, profile=profile,
                   sigma_los=sigma, binned=binned, tracer=tracer, tracer_fit=tracer_fit, meta=meta)

    @classmethod
    def _build_mixture(cls, parts, components, evidence, rng, meta, *, tracer_fit, tracer, data):
        """Combine per-family fits in proportion to their posterior probabilities.

        ``parts`` maps a family to ``(like, flat)``; ``components`` to its `JeansResult`;
        ``evidence`` to a dict with ``probability``. The combined samples draw about
        probability x n rows (without replacement) from each family's samples, n in all
        (largest-remainder rounding).
        """
        from astropy.table import vstack

        t0 = time.perf_counter()
        n = max(len(flat) for _, flat in parts.values())
        common = None
        for res in components.values():
            names = list(res._samples.colnames)
            common = names if common is None else [c for c in common if c in names]
        share = np.array([evidence[f]["probability"] * n for f in parts])
        counts = np.floor(share).astype(int)
        counts[np.argsort(counts - share)[:n - counts.sum()]] += 1
        tables, pairs = [], []
        for (family, (like, flat)), k in zip(parts.items(), counts):
            k = int(k)
            if k == 0:
                continue
            rows = np.sort(rng.choice(len(flat), size=k, replace=k > len(flat)))
            t = components[family]._samples[common][rows]
            t["family"] = np.full(k, family)
            tables.append(t)
            pairs.append((like, flat[rows]))
        samples = vstack(tables, metadata_conflicts="silent")
        samples.meta = {"halo": meta["halo"], "anisotropy": meta["anisotropy"]}
        convs = {f: r._convergence for f, r in components.items()}
        convergence = {
            "families": convs,
            "tau_max": _nanmax([c["tau_max"] for c in convs.values()]),
            "tau_gamma_150": _nanmax([c["tau_gamma_150"] for c in convs.values()]),
            "acceptance_fraction": min(c["acceptance_fraction"] for c in convs.values()),
            "nsteps": max(c["nsteps"] for c in convs.values()),
            "target_tau": max(c.get("target_tau", 50.0) for c in convs.values()),
            "converged": all(c["converged"] for c in convs.values()),
        }
        profile, sigma, binned = _bands(pairs, data, meta)
        meta = {**meta, "wall_time": meta["wall_time"] + time.perf_counter() - t0}
        return cls(samples=samples, chain=None, convergence=convergence, profile=profile,
                   sigma_los=sigma, binned=binned, tracer=tracer, tracer_fit=tracer_fit,
                   meta=meta, components=components, evidence=evidence)

    # ------------------------------------------------------------------ attributes
    @functools.cached_property
    def slope(self):
        """`~dmprofile.results.SlopePosterior` of gamma_150 (KDE of the posterior samples)."""
        from ..results import SlopePosterior

        model = f"jeans-{self._meta['halo']}-{self._meta['anisotropy']}"
        meta = {"method": "jeans", "model": model,
                "seed": self._meta["seed"], "dmprofile_version": self._meta["dmprofile_version"],
                "n_stars": self._meta["n_stars"], "wall_time": self._meta["wall_time"]}
        if self._meta.get("galaxy"):
            meta["galaxy"] = self._meta["galaxy"]
        return SlopePosterior.from_samples(np.asarray(self._samples["gamma_150"]), meta=meta)

    @property
    def profile(self):
        """`DensityProfileBand`: posterior band of rho(r) and M(<r)."""
        return self._profile

    @property
    def samples(self):
        """`~astropy.table.QTable`: flattened posterior samples (a copy)."""
        return self._samples.copy()

    @property
    def chain(self):
        """The full chain (a copy), an ndarray of shape (nsteps, nwalkers, ndim)."""
        if self._chain is None:
            msg = ("a mixture result has one chain per halo family: use "
                   "result.components[family].chain")
            raise AttributeError(msg)
        return self._chain.copy()

    @property
    def components(self):
        """dict: the `JeansResult` of each halo family of a mixture (empty otherwise)."""
        return dict(self._components)

    @property
    def evidence(self):
        """Per-family evidence and probability of a mixture (dict, a copy), or None."""
        return None if self._evidence is None else {k: dict(v) for k, v in self._evidence.items()}

    @property
    def family_probabilities(self):
        """dict: posterior probability of each halo family (``{halo: 1.0}`` for one family)."""
        if self._evidence is None:
            return {self._meta["halo"]: 1.0}
        return {k: v["probability"] for k, v in self._evidence.items()}

    @property
    def parameter_names(self):
        """The free parameters, in chain order (tuple of str; empty for a mixture)."""
        if self._components:
            return ()
        return tuple(n for n in self._samples.colnames if n in self._meta["priors"]
                     and np.ndim(self._meta["priors"][n]) > 0)

    @property
    def convergence(self):
        """dict: autocorrelation times, acceptance fraction, convergence flag (a copy)."""
        return dict(self._convergence)

    @property
    def tracer(self):
        """The tracer density profile used by the model."""
        return self._tracer

    @property
    def tracer_fit(self):
        """`TracerFit` or None."""
        return self._tracer_fit

    @property
    def sigma_los(self):
        """`~astropy.table.QTable`: model LOS dispersion percentiles on the radius grid."""
        return self._sigma_los.copy()

    @property
    def binned(self):
        """`~astropy.table.QTable`: binned dispersion of the data (for plots)."""
        return self._binned.copy()

    @property
    def meta(self):
        """dict: provenance (a copy)."""
        return dict(self._meta)

    def gamma_150(self, level=0.68):
        """Return the median and equal-tailed ``level`` interval of the gamma_150 samples.

        Parameters
        ----------
        level : float
            The probability held by the interval.

        Returns
        -------
        median : float
            The median.
        low : float
            The lower end of the interval.
        high : float
            The upper end of the interval.
        """
        g = np.asarray(self._samples["gamma_150"])
        lo, med, hi = np.percentile(g, [50 * (1 - level), 50, 50 * (1 + level)])
        return med, lo, hi

    def __repr__(self):
        med, lo, hi = self.gamma_150()
        c = self._convergence
        state = "converged" if c["converged"] else "NOT converged"
        head = (f"<JeansResult: {self._meta['halo']} halo, {self._meta['anisotropy']} anisotropy, "
                f"{self._meta['n_stars']} stars; gamma_150 = {med:.2f} +{hi - med:.2f} "
                f"-{med - lo:.2f} (median, 68%)")
        tail = f"; {self._meta['wall_time']:.1f} s>"
        if self._evidence is None:
            return (f"{head}; tau_max = {c['tau_max']:.0f} steps (gamma_150: "
                    f"{c['tau_gamma_150']:.0f}) of {c['nsteps']} ({state}), "
                    f"acceptance {c['acceptance_fraction']:.2f}{tail}")
        fams = "; ".join(
            f"{f} p={self._evidence[f]['probability']:.2f}, tau_max {fc['tau_max']:.0f} of "
            f"{fc['nsteps']} steps, acceptance {fc['acceptance_fraction']:.2f}"
            + ("" if fc["converged"] else " NOT converged")
            for f, fc in c["families"].items())
        return f"{head}; {state}; families: {fams}{tail}"

    def convergence_table(self):
        """Return the convergence report as a table: one row per halo family.

        Returns
        -------
        `~astropy.table.QTable`
            Columns ``family``, ``probability``, ``nsteps`` (per walker), ``burn``,
            ``tau_max`` and ``tau_gamma_150`` [steps], ``steps_per_tau`` (kept steps / tau_max),
            ``acceptance``, ``converged`` and ``wall_time`` [s] of each family's fit (one row
            named after the halo for a single family).
        """
        if self._components:
            convs = self._convergence["families"]
            probs = self.family_probabilities
            walls = {f: r.meta["wall_time"] for f, r in self._components.items()}
        else:
            convs = {self._meta["halo"]: self._convergence}
            probs = {self._meta["halo"]: 1.0}
            walls = {self._meta["halo"]: self._meta["wall_time"]}
        rows = {"family": [], "probability": [], "nsteps": [], "burn": [], "tau_max": [],
                "tau_gamma_150": [], "steps_per_tau": [], "acceptance": [], "converged": [],
                "wall_time": []}
        for f, c in convs.items():
            for key, value in (("family", f), ("probability", probs[f]),
                               ("nsteps", c["nsteps"]), ("burn", c["burn"]),
                               ("tau_max", c["tau_max"]),
                               ("tau_gamma_150", c["tau_gamma_150"]),
                               ("steps_per_tau", c["steps_per_tau"]),
                               ("acceptance", c["acceptance_fraction"]),
                               ("converged", c["converged"]), ("wall_time", walls[f])):
                rows[key].append(value)
        return QTable(rows, meta={"target_tau": self._convergence.get("target_tau", 50.0)})

    def _parameter_tau(self):
        """``{parameter: tau}``; for a mixture the largest over the families that have it."""
        if not self._components:
            return dict(zip(self.parameter_names, np.atleast_1d(self._convergence.get("tau", []))))
        tau = {}
        for res in self._components.values():
            for name, t in res._parameter_tau().items():
                tau[name] = _nanmax([tau.get(name, np.nan), t])
        return tau

    def to_table(self):
        """Posterior summary: one row per parameter with median, 16th/84th percentiles, tau.

        Returns
        -------
        `~astropy.table.QTable`
            Columns ``name``, ``median``, ``p16``, ``p84``, ``unit``, ``tau`` (integrated
            autocorrelation time in steps; for a mixture the largest over the families with
            that parameter; NaN for derived quantities); ``meta`` holds the result's
            provenance. `convergence_table` gives tau and acceptance per family.
        """
        names = [n for n in self._samples.colnames if n not in ("log_prob", "family")]
        tau = self._parameter_tau()
        rows = {"name": [], "median": [], "p16": [], "p84": [], "unit": [], "tau": []}
        for n in names:
            col = self._samples[n]
            vals = np.asarray(getattr(col, "value", col))
            p16, p50, p84 = np.percentile(vals, [16, 50, 84])
            rows["name"].append(n)
            rows["median"].append(p50)
            rows["p16"].append(p16)
            rows["p84"].append(p84)
            rows["unit"].append(str(getattr(col, "unit", "") or ""))
            rows["tau"].append(float(tau.get(n, np.nan)))
        meta = {k: v for k, v in self._meta.items() if k not in ("priors", "galaxy_parameters")}
        return QTable(rows, meta=meta)

    def plot(self, axes=None, *, color="C0"):
        """Three panels: LOS dispersion (data and model band), density band, gamma_150 posterior.

        The model bands are the 16th-84th percentiles (68%) of the posterior at each radius,
        drawn only over the projected radii of the stars (beyond them the profile is an
        extrapolation of the halo family); a dotted line marks r = 150 pc, where gamma_150 is
        measured. The band is narrowest, often strikingly, near the radius where the
        dispersion profile pins the enclosed mass down, about two half-light radii, and its
        density one or two tracer scale radii further in (see the user guide).

        Parameters
        ----------
        axes : sequence of three `matplotlib.axes.Axes`, optional
            Default: a new 1 x 3 figure.
        color : str
            Colour of the model and of the posterior.

        Returns
        -------
        ndarray of `matplotlib.axes.Axes`
            The three axes drawn on.
        """
        from .._utils import require

        plt = require("matplotlib.pyplot", "plot")
        if axes is None:
            _, axes = plt.subplots(1, 3, figsize=(14, 4.2), layout="constrained")
        axes = np.asarray(axes).ravel()
        if axes.size != 3:
            msg = f"argument 'axes' must hold 3 axes, got {axes.size}"
            raise ValueError(msg)
        self._plot_dispersion(axes[0], color)
        self._plot_density(axes[1], color)
        self.slope.plot(ax=axes[2])
        galaxy = self._meta.get("galaxy")
        if galaxy:
            axes[0].figure.suptitle(f"{galaxy}: Jeans analysis ({self._meta['halo']} halo)")
        return axes

    def _plot_dispersion(self, ax, color):
        s = self._sigma_los
        ax.fill_between(s["R"].value, s["sigma_16"].value, s["sigma_84"].value, color=color,
                        alpha=0.3, lw=0, label="model, 68% band (16th-84th percentiles)")
        ax.plot(s["R"].value, s["sigma_50"].value, color=color, label="model, median")
        b = self._binned
        ax.errorbar(b["R"].value, b["sigma"].value, b["sigma_err"].value, fmt="o", color="k",
                    ms=4, label=r"data, binned ($\pm 1\sigma$)")
        ax.set_xscale("log")
        ax.set_xlabel("R [kpc]")
        ax.set_ylabel(r"$\sigma_{\rm los}$ [km/s]")
        ax.set_title("line-of-sight velocity dispersion")
        ax.legend(frameon=False, fontsize="small")

    def _plot_density(self, ax, color):
        prof = self._profile.density_profile
        r = prof.radius.to_value(LENGTH)
        lo, hi = (q.to_value(DENSITY) for q in prof.interval(0.68))
        med = prof.median.to_value(DENSITY)
        r_lo, r_hi = self._meta.get("R_range", (r[0], r[-1]))
        keep = (r >= min(r_lo, R_REF.to_value(LENGTH))) & (r <= r_hi)
        ax.fill_between(r[keep], lo[keep], hi[keep], color=color, alpha=0.3, lw=0,
                        label="68% band (16th-84th percentiles)")
        ax.plot(r[keep], med[keep], color=color, label="median")
        ax.axvline(R_REF.to_value(LENGTH), color="0.3", ls=":", lw=1.2,
                   label=r"150 pc (where $\gamma_{150}$ is measured)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("r [kpc]")
        ax.set_ylabel(r"$\rho_{\rm DM}$ [M$_\odot$ kpc$^{-3}$]")
        ax.set_title("dark-matter density (within the stars' radii)")
        ax.legend(frameon=False, fontsize="small")
