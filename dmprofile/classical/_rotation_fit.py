"""Bayesian rotation-curve decomposition: emcee over the halo, mass-to-light ratios and geometry.

The model follows de los Rios et al. (2023, Section 5.6) and Li et al. (2018, 2020): the observed
velocities (and their errors) scale with sin(i_0) / sin(i) when the inclination i differs from the
catalogue value i_0; the baryonic velocities with sqrt(D / D_0) and the radii with D / D_0 when
the distance D differs from D_0.
"""

import warnings

import numpy as np
from astropy import units as u
from astropy.table import Table

from .._utils import G_KPC, VELOCITY, as_value, column_values, require
from ..exceptions import DMProfileWarning
from ..profiles import kernels
from ._rotation_models import DEFAULT_H0, HALO_MODELS, halo_mass, signed_sqrt
from ._rotation_result import RotationCurveFit

__all__ = ["fit_rotation_curve", "ROTATION_PRIORS"]

#: Prior presets of `fit_rotation_curve`.
ROTATION_PRIORS = ("paper", "astrophysical")

#: Flat ranges of the "paper" preset (de los Rios et al. 2023).
_FLAT = {"V200": (10.0, 800.0), "C200": (1.0, 1000.0), "Y_disk": (0.0, 20.0),
         "Y_bul": (0.0, 20.0), "r_c": (0.01, 30.0)}
#: Log-normal mass-to-light ratios of the "astrophysical" preset: median, dex (Li et al. 2020).
_LOGNORMAL_Y = {"Y_disk": (0.5, 0.1), "Y_bul": (0.7, 0.1)}
#: Parameters sampled in ln x (better mixing along the V200-C200 degeneracy); the prior
#: densities are in x, so the sampler's log density gains sum(ln x).
_LOG = ("V200", "C200", "r_c")
#: Scatter of the Dutton & Maccio (2014) c-M relation [dex].
_CM_SCATTER = 0.11
_UNITS = {"V200": VELOCITY, "C200": u.one, "Y_disk": u.Msun / u.Lsun, "Y_bul": u.Msun / u.Lsun,
          "D": u.Mpc, "inc": u.deg, "r_c": u.kpc}


# ------------------------------------------------------------------ input parsing
def _columns(curve):
    """Radius [kpc], v_obs, v_err [km/s] and v|v| of gas, disc, bulge [(km/s)^2]."""
    if isinstance(curve, dict):
        lengths = {k: np.size(v) for k, v in curve.items() if hasattr(v, "__len__")}
        if len(set(lengths.values())) > 1:
            msg = f"the columns of argument 'curve' must have the same length, got {lengths}"
            raise ValueError(msg)
        curve = Table(dict(curve))
    if not isinstance(curve, Table):
        msg = f"argument 'curve' must be a Table/QTable or a dict of columns, got {type(curve)}"
        raise TypeError(msg)
    what = "argument 'curve'"
    r = column_values(curve, "radius", u.kpc, finite=True, what=what)
    if len(r) < 3:
        msg = f"argument 'curve' needs at least 3 radii, got {len(r)}"
        raise ValueError(msg)
    if np.any(r <= 0) or np.any(np.diff(r) <= 0):
        msg = "column 'radius' of argument 'curve' must be > 0 and strictly increasing"
        raise ValueError(msg)
    v_name = "v_rot" if "v_obs" not in curve.colnames and "v_rot" in curve.colnames else "v_obs"
    v = column_values(curve, v_name, VELOCITY, finite=True, what=what)
    e = column_values(curve, "v_err", VELOCITY, finite=True, what=what)
    if np.any(e <= 0):
        msg = "column 'v_err' of argument 'curve' must be > 0 (errors are positive)"
        raise ValueError(msg)
    comps = {}
    for name in ("v_gas", "v_disk", "v_bul"):
        c = column_values(curve, name, VELOCITY, required=False, finite=True, what=what)
        c = np.zeros_like(r) if c is None else c
        if name != "v_gas" and np.any(c < 0):
            msg = f"column {name!r} of argument 'curve' must be >= 0 (only v_gas is signed)"
            raise ValueError(msg)
        comps[name] = c * np.abs(c)
    return r, v, e, comps, curve


def _meta_value(meta, key, unit):
    value = meta.get(key)
    if value is None:
        return None
    return u.Quantity(value, unit).to_value(unit) if isinstance(value, u.Quantity) else float(value)


def _geometry(meta, distance, distance_err, inclination, inclination_err):
    """(D0, dD) [Mpc] and (i0, di) [deg]; errors of 0 fix the parameter."""
    out = []
    for val, err, keys, unit, name in (
            (distance, distance_err, ("distance", "dist_err"), u.Mpc, "distance"),
            (inclination, inclination_err, ("inc", "inc_err"), u.deg, "inclination")):
        v0 = (_meta_value(meta, keys[0], unit) if val is None
              else as_value(val, unit, name, scalar=True))
        e0 = (_meta_value(meta, keys[1], unit) if err is None
              else as_value(err, unit, f"{name}_err", scalar=True))
        if v0 is None:
            v0, e0 = (np.nan, 0.0)
        if e0 is None or not np.isfinite(e0):
            e0 = 0.0
        if e0 < 0:
            msg = f"argument '{name}_err' must be >= 0, got {e0}"
            raise ValueError(msg)
        out.append((float(v0), float(e0)))
    (d0, _), (i0, _) = out
    if np.isfinite(d0) and d0 <= 0:
        msg = f"argument 'distance' must be > 0, got {d0} Mpc"
        raise ValueError(msg)
    if np.isfinite(i0) and not 0 < i0 <= 90:
        msg = f"argument 'inclination' must lie in (0, 90] deg, got {i0} deg"
        raise ValueError(msg)
    return out


# ------------------------------------------------------------------ the posterior
class _Posterior:
    """Vectorised log posterior over walkers: theta has shape (K, ndim)."""

    def __init__(self, r, v, e, comps, geometry, *, halo, priors, h0, bounds):
        self.r, self.v, self.e = r, v, e
        self.vg2, self.vd2, self.vb2 = comps["v_gas"], comps["v_disk"], comps["v_bul"]
        (self.d0, self.dd), (self.i0, self.di) = geometry
        self.halo, self.priors, self.h0 = halo, priors, h0
        names = ["V200", "C200"]
        if np.any(self.vd2 > 0):
            names.append("Y_disk")
        if np.any(self.vb2 > 0):
            names.append("Y_bul")
        if self.dd > 0:
            names.append("D")
        if self.di > 0:
            names.append("inc")
        names += list(HALO_MODELS[halo])
        self.names = names
        self.ndim = len(names)
        self.bounds = {**_FLAT, **bounds}
        self.sin_i0 = np.sin(np.radians(self.i0)) if np.isfinite(self.i0) else 1.0

    def unpack(self, theta, internal=True):
        """Parameter dict (columns of shape (K, 1)) from sampler (``internal``) or plain values."""
        theta = np.atleast_2d(theta)
        p = {name: (np.exp(theta[:, [k]]) if internal and name in _LOG else theta[:, [k]])
             for k, name in enumerate(self.names)}
        p.setdefault("Y_disk", 0.0)
        p.setdefault("Y_bul", 0.0)
        p.setdefault("D", self.d0 if np.isfinite(self.d0) else 1.0)
        p.setdefault("inc", self.i0 if np.isfinite(self.i0) else 90.0)
        return p

    def log_prior(self, p):
        lp = np.zeros(len(p["V200"]))
        for name in self.names:
            x = p[name][:, 0]
            if name in self.bounds and name not in ("D", "inc"):
                lo, hi = self.bounds[name]
                lp = np.where((x >= lo) & (x <= hi), lp, -np.inf)
        if "r_c" in self.names:
            lp = lp - np.log(np.maximum(p["r_c"][:, 0], 1e-300))
        if "D" in self.names:
            d = p["D"][:, 0]
            lp = np.where(d > 0, lp - 0.5 * ((d - self.d0) / self.dd) ** 2, -np.inf)
        if "inc" in self.names:
            i = p["inc"][:, 0]
            lp = np.where((i > 0) & (i <= 90), lp - 0.5 * ((i - self.i0) / self.di) ** 2, -np.inf)
        if self.priors == "astrophysical":
            lp = lp + self._astrophysical(p)
        return lp

    def _astrophysical(self, p):
        lp = 0.0
        for name, (median, dex) in _LOGNORMAL_Y.items():
            if name in self.names:
                y = np.maximum(p[name][:, 0], 1e-300)
                lp = lp - 0.5 * ((np.log10(y) - np.log10(median)) / dex) ** 2 - np.log(y)
        # outside the flat ranges the prior is already -inf: keep the logs finite there
        v200, c = np.maximum(p["V200"][:, 0], 1e-3), np.maximum(p["C200"][:, 0], 1e-3)
        m200 = kernels.m200_from_V200(v200, self.h0)
        c_dm = kernels.concentration_dutton_maccio(m200, h=self.h0 / 100.0)
        return lp - 0.5 * ((np.log10(c) - np.log10(c_dm)) / _CM_SCATTER) ** 2 - np.log(c)

    def model(self, p, r=None):
        """Observed-frame data (v', e') and the model components at catalogue radii."""
        ratio = p["D"] / (self.d0 if np.isfinite(self.d0) else 1.0)
        r = self.r if r is None else r
        r_phys = r * ratio
        m = halo_mass(r_phys, p["V200"], p["C200"], self.h0, self.halo, p.get("r_c"))
        v_dm2 = G_KPC * m / r_phys
        v_bar2 = (self.vg2 + p["Y_disk"] * self.vd2 + p["Y_bul"] * self.vb2) * ratio
        return v_dm2, v_bar2

    def scale_obs(self, p):
        """sin(i_0) / sin(i), shape (K, 1)."""
        s = self.sin_i0 / np.sin(np.radians(p["inc"]))
        return s * np.ones((len(p["V200"]), 1))

    def chi2(self, p):
        v_dm2, v_bar2 = self.model(p)
        s = self.scale_obs(p)
        resid = (self.v * s - signed_sqrt(v_dm2 + v_bar2)) / (self.e * s)
        return np.sum(resid**2, axis=1), np.sum(np.log(self.e * s), axis=1)

    def __call__(self, theta):
        p = self.unpack(theta)
        with np.errstate(all="ignore"):  # walkers outside the support get -inf
            lp = self.log_prior(p)
            ok = np.isfinite(lp)
            out = np.full(lp.shape, -np.inf)
            if np.any(ok):
                q = {k: (v[ok] if np.ndim(v) else v) for k, v in p.items()}
                chi2, log_norm = self.chi2(q)
                jacobian = sum(np.log(q[n][:, 0]) for n in self.names if n in _LOG)
                out[ok] = lp[ok] - 0.5 * chi2 - log_norm + jacobian
        return np.where(np.isfinite(out), out, -np.inf)

    def sample_prior(self, n, rng):
        cols = []
        for name in self.names:
            if name == "D":
                cols.append(np.abs(rng.normal(self.d0, self.dd, n)))
            elif name == "inc":
                cols.append(np.clip(rng.normal(self.i0, self.di, n), 1.0, 90.0))
            elif name in ("C200", "r_c"):
                lo, hi = self.bounds[name]
                cols.append(np.exp(rng.uniform(np.log(max(lo, 1e-3)), np.log(hi), n)))
            elif name.startswith("Y_") and self.priors == "astrophysical":
                med, dex = _LOGNORMAL_Y[name]
                cols.append(10 ** rng.normal(np.log10(med), dex, n))
            else:
                lo, hi = self.bounds[name]
                cols.append(rng.uniform(lo, hi, n))
        out = np.column_stack(cols)
        return self.to_internal(out)

    def to_internal(self, values):
        out = np.array(values, dtype=float, copy=True)
        for k, name in enumerate(self.names):
            if name in _LOG:
                out[:, k] = np.log(np.maximum(out[:, k], 1e-300))
        return out

    def from_internal(self, theta):
        out = np.array(theta, dtype=float, copy=True)
        for k, name in enumerate(self.names):
            if name in _LOG:
                out[:, k] = np.exp(out[:, k])
        return out


# ------------------------------------------------------------------ sampling
def _start(post, nwalkers, rng):
    """Walkers in a small ball around the maximum posterior (Nelder-Mead from prior draws)."""
    from scipy import optimize

    draws = post.sample_prior(max(40 * nwalkers, 2000), rng)
    lp = post(draws)
    if not np.any(np.isfinite(lp)):
        msg = "no prior draw has a finite posterior; check the curve and the priors"
        raise RuntimeError(msg)
    best = draws[np.argsort(lp)[::-1][:3]]
    results = [optimize.minimize(lambda x: -post(x[None, :])[0], x0, method="Nelder-Mead",
                                 options={"maxiter": 3000, "xatol": 1e-6, "fatol": 1e-8})
               for x0 in best]
    x_best = min(results, key=lambda res: res.fun).x
    walkers = np.empty((nwalkers, post.ndim))
    filled = 0
    scale = np.maximum(1e-3 * np.abs(x_best), 1e-3)
    while filled < nwalkers:
        trial = x_best + scale * rng.standard_normal((nwalkers, post.ndim))
        good = trial[np.isfinite(post(trial))]
        take = min(len(good), nwalkers - filled)
        walkers[filled:filled + take] = good[:take]
        filled += take
        scale = scale * 0.5
    return walkers, x_best


def _convergence(sampler, burn, emcee):
    chain = sampler.get_chain()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tau = emcee.autocorr.integrated_time(chain[burn:], quiet=True, tol=0)
    tau_max = float(np.nanmax(tau))
    nsteps = chain.shape[0]
    return {"tau": tau, "tau_max": tau_max,
            "acceptance_fraction": float(np.mean(sampler.acceptance_fraction)),
            "nsteps": int(nsteps), "nwalkers": int(chain.shape[1]), "burn": int(burn),
            "n_effective": float(chain.shape[1] * (nsteps - burn) / tau_max),
            "converged": bool(nsteps - burn >= 30 * tau_max)}


def _check_settings(halo, priors, nwalkers, nsteps, burn, thin, ndim_min=2):
    if halo not in HALO_MODELS:
        msg = f"argument 'halo' must be one of {sorted(HALO_MODELS)}, got {halo!r}"
        raise ValueError(msg)
    if priors not in ROTATION_PRIORS:
        msg = f"argument 'priors' must be one of {ROTATION_PRIORS}, got {priors!r}"
        raise ValueError(msg)
    for name, value in (("nwalkers", nwalkers), ("nsteps", nsteps), ("thin", thin)):
        if int(value) != value or value < 1:
            msg = f"argument '{name}' must be a positive integer, got {value!r}"
            raise ValueError(msg)
    if not 0 <= burn < nsteps:
        msg = f"argument 'burn' must lie in [0, nsteps), got {burn}"
        raise ValueError(msg)


def fit_rotation_curve(curve, *, halo="nfw", priors="paper", seed=None, distance=None,
                       distance_err=None, inclination=None, inclination_err=None,
                       bounds=None, H0=DEFAULT_H0, nwalkers=32, nsteps=6000, burn=1800,
                       thin=10, progress=False):
    r"""Fit a dark halo, mass-to-light ratios, distance and inclination to a rotation curve.

    The model velocity is ``V^2 = V_DM^2(R') + (D / D_0) [v_gas |v_gas| + Y_disk v_disk^2 +
    Y_bul v_bul^2]`` at the rescaled radius ``R' = R D / D_0``, compared with ``v_obs sin(i_0) /
    sin(i)`` (errors scaled alike), as in de los Rios et al. (2023, Section 5.6) and Li et al.
    (2018). The posterior is sampled with emcee, starting from a small ball around the maximum
    found by Nelder-Mead.

    Parameters
    ----------
    curve : `~astropy.table.QTable` or dict
        Columns ``radius`` [length], ``v_obs`` (or ``v_rot``, as `fit_tilted_rings` names it)
        and ``v_err`` [speed], optionally ``v_gas``
        (signed), ``v_disk`` and ``v_bul`` [speed] (disc and bulge for a mass-to-light ratio of
        1; a missing or all-zero component is left out, with its ratio). ``meta`` may give
        ``distance``, ``dist_err`` [Mpc], ``inc``, ``inc_err`` [deg] (as
        `dmprofile.datasets.sparc` and `fit_tilted_rings` do).
    halo : {"nfw", "corenfw"}
        Dark halo: NFW, or the cored NFW of Read et al. (2016) with n = 1 and a free core radius
        ``r_c`` (prior log-uniform in [0.01, 30] kpc).
    priors : {"paper", "astrophysical"}
        ``"paper"`` (de los Rios et al. 2023): flat V200 in [10, 800] km/s, C200 in [1, 1000],
        Y_disk and Y_bul in [0, 20]. ``"astrophysical"``: the same ranges, log-normal Y_disk and
        Y_bul around 0.5 and 0.7 with 0.1 dex (Li et al. 2020) and log10 C200 normal around the
        Dutton & Maccio (2014) relation with 0.11 dex. Both: Gaussian distance and inclination
        around their catalogue values (inclination within (0, 90] deg).
    seed : int or None
        Seed of `numpy.random.default_rng` (start and sampler).
    distance, distance_err : `~astropy.units.Quantity` [length], optional
        Override ``meta``; an error of 0 (or none given) fixes the distance.
    inclination, inclination_err : `~astropy.units.Quantity` [angle], optional
        Override ``meta``; an error of 0 (or none given) fixes the inclination.
    bounds : dict, optional
        Other flat ranges, e.g. ``{"C200": (1, 100)}`` (names ``V200``, ``C200``, ``Y_disk``,
        ``Y_bul``, ``r_c``).
    H0 : `~astropy.units.Quantity` [frequency]
        Hubble constant for V200 (default 73 km/s/Mpc).
    nwalkers, nsteps, burn, thin : int
        emcee walkers, steps, discarded steps and thinning of the kept samples.
    progress : bool
        Show emcee's progress bar.

    Returns
    -------
    `RotationCurveFit`
        Posterior samples, summary table, reduced chi^2, convergence report, ``plot()`` and
        ``mass_profile()``.

    Raises
    ------
    ValueError
        For a curve with fewer than 3 radii, radii not increasing, errors <= 0, an inclination
        outside (0, 90] deg, or unknown options.
    astropy.units.UnitTypeError
        For a column without (the right) units.

    Examples
    --------
    >>> from dmprofile.classical import fit_rotation_curve
    >>> from dmprofile.datasets import sparc
    >>> fit = fit_rotation_curve(sparc("NGC2403"), seed=1, nsteps=600, burn=300)
    ... # doctest: +IGNORE_WARNINGS
    >>> fit.parameter_names
    ('V200', 'C200', 'Y_disk', 'D', 'inc')
    >>> bool(70 < fit.median["V200"].to_value("km/s") < 110)
    True
    """
    emcee = require("emcee", "jeans")
    _check_settings(halo, priors, nwalkers, nsteps, burn, thin)
    r, v, e, comps, table = _columns(curve)
    geometry = _geometry(table.meta, distance, distance_err, inclination, inclination_err)
    h0 = as_value(H0, u.km / u.s / u.Mpc, "H0", scalar=True, positive=True, allow_zero=False)
    bounds = {k: tuple(float(x) for x in b) for k, b in dict(bounds or {}).items()}
    unknown = set(bounds) - set(_FLAT)
    if unknown:
        msg = f"argument 'bounds' has unknown names {sorted(unknown)}; known: {sorted(_FLAT)}"
        raise ValueError(msg)
    post = _Posterior(r, v, e, comps, geometry, halo=halo, priors=priors, h0=h0, bounds=bounds)
    if nwalkers < 2 * post.ndim:
        msg = f"argument 'nwalkers' must be >= {2 * post.ndim} (twice the parameters)"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    p0, _ = _start(post, nwalkers, rng)
    moves = [(emcee.moves.StretchMove(), 0.5), (emcee.moves.DEMove(), 0.4),
             (emcee.moves.DESnookerMove(), 0.1)]
    sampler = emcee.EnsembleSampler(nwalkers, post.ndim, post, vectorize=True, moves=moves)
    sampler.random_state = np.random.RandomState(int(rng.integers(2**32 - 1))).get_state()
    sampler.run_mcmc(p0, nsteps, progress=progress)
    conv = _convergence(sampler, burn, emcee)
    if not conv["converged"]:
        msg = (f"the chain ({nsteps - burn} kept steps) is shorter than 30 autocorrelation "
               f"times (tau_max = {conv['tau_max']:.0f}): increase nsteps")
        warnings.warn(msg, DMProfileWarning, stacklevel=2)
    flat = post.from_internal(sampler.get_chain(discard=burn, thin=thin, flat=True))
    log_prob = sampler.get_log_prob(discard=burn, thin=thin, flat=True)
    meta = {"method": "rotation_curve", "halo": halo, "priors": priors, "seed": seed,
            "H0": h0, "galaxy": table.meta.get("galaxy", "")}
    return RotationCurveFit._build(post, flat, log_prob, conv, table, meta, _UNITS)
