"""Unbinned Jeans likelihood with box priors, vectorised over parameter sets (MCMC walkers)."""

import numpy as np
from astropy import units as u

from ..profiles import R_REF
from ..profiles.kernels import beta_from_tilde
from ._jeans_model import _JeansGrid, _tracer_scale
from ._models import ANISOTROPY_MODELS, HALO_MODELS, HaloModel
from ._priors import DuttonMaccio, normalise_spec, parse_prior

__all__ = ["default_priors", "JeansLikelihood"]


def default_priors(halo="zhao_m200", anisotropy="baes"):
    """Default priors of the Jeans fit, as ``{name: specification}``.

    A specification is ``(low, high)`` (uniform), ``("normal", mean, sigma)``,
    ``("dutton_maccio", sigma_dex)`` (for ``c`` only: log-normal around the Dutton & Maccio 2014
    concentration-mass relation at the sampled M200) or a number (fixed); the same forms are
    accepted by the ``priors`` argument of `jeans_analysis`. The reasons for the defaults are
    given in the user guide (:ref:`classical`).

    Parameters
    ----------
    halo : {"zhao_m200", "zhao_slope", "dc14", "corenfw", "zhao", "nfw"}
        Halo family. ``zhao_m200`` (default): the Zhao (1996) profile parameterised like
        `~dmprofile.profiles.Zhao.from_M200_c`, with the priors of the default training prior
        (`~dmprofile.simulate.DefaultDwarfPrior`): ``log10_M200`` [Msun] in (8.5, 10.5),
        ``c`` = r200/r_s log-normal around the Dutton & Maccio (2014) relation with 0.15 dex
        scatter, ``alpha`` in (0.5, 3), ``beta`` in (2.5, 5), ``gamma`` in (0, 1.5), a box
        that contains the NFW and DC14 profiles. ``zhao_slope``: the same halo with the
        log-slope at 150 pc, ``gamma_150``, as a free parameter instead of ``gamma``: uniform in
        (-2.5, 0) where the implied inner slope lies in (0, 1.5). ``corenfw`` (Read et al. 2016):
        ``log10_M200`` in (7.5, 11.5), ``c`` in (4, 40), ``log10_r_c`` [kpc] in (-2, 0.5),
        ``n`` in (0, 1). ``zhao``: ``log10_rho_s`` [Msun/kpc3] in (5, 10), ``log10_r_s``
        [kpc] in (-1, 1.5), ``alpha`` in (0.5, 3), ``beta`` in (3, 7), ``gamma`` in (0, 2).
        ``nfw``: ``log10_M200`` and ``c`` as for coreNFW. ``dc14`` (Di Cintio et al. 2014):
        ``log10_M200`` and ``c`` (of the dark-matter-only halo) as for ``zhao_m200`` and
        ``log_mstar_mhalo`` = log10(M*/M200) in (-4.1, -1.3). M200 is defined at 200 times the
        critical density of Planck 2018. (``halo="mixture"`` of `jeans_analysis` combines
        several families; its priors are given by `mixture_priors`.)
    anisotropy : {"baes", "om", "constant", "isotropic"}
        Anisotropy family. ``baes`` (Baes & van Hese 2007): ``tilde_beta0``,
        ``tilde_beta_inf`` in (-0.95, 0.95), where tilde-beta = beta / (2 - beta) is the
        symmetrised anisotropy of GravSphere (uniform in tilde-beta treats radial and tangential
        orbits alike), ``log10_r_a`` [kpc] in (-1.5, 1), ``eta`` in (1, 3). ``om``:
        ``log10_r_a``. ``constant``: ``tilde_beta0``.

    Returns
    -------
    dict
        The systemic velocity ``v_sys`` is added by `jeans_analysis` when it is fitted: uniform
        within half the velocity standard deviation of the stars' mean.

    Examples
    --------
    >>> from dmprofile.classical import default_priors
    >>> default_priors()["c"]
    ('dutton_maccio', 0.15)
    >>> priors = default_priors("corenfw", "om")
    >>> priors["log10_r_c"], priors["log10_r_a"]
    ((-2.0, 0.5), (-1.5, 1.0))
    """
    h, a = _models(halo, anisotropy)
    return {**h.default_prior, **a.default_prior}


def _models(halo, anisotropy):
    if halo == "mixture":
        msg = ("the priors of halo='mixture' depend on the tracer's half-light radius: see "
               "mixture_priors")
        raise ValueError(msg)
    if halo not in HALO_MODELS:
        msg = f"argument 'halo' must be one of {sorted(HALO_MODELS)}, got {halo!r}"
        raise ValueError(msg)
    if anisotropy not in ANISOTROPY_MODELS:
        msg = (f"argument 'anisotropy' must be one of {sorted(ANISOTROPY_MODELS)}, "
               f"got {anisotropy!r}")
        raise ValueError(msg)
    return HALO_MODELS[halo], ANISOTROPY_MODELS[anisotropy]


class JeansLikelihood:
    """Log-posterior of a spherical Jeans model for one star catalogue.

    Instances are picklable (plain arrays only) so that a multiprocessing pool can evaluate
    chunks of walkers. Calling the instance with an ``(K, ndim)`` array returns ``K`` log
    posterior values (up to a constant; ``-inf`` outside the prior support).

    Parameters
    ----------
    R, v, v_err, weights : ndarray
        Projected radii [kpc], velocities and errors [km/s], membership weights.
    tracer : DensityProfile
        The fitted tracer (shape only).
    halo, anisotropy : str
        Model names (see `default_priors`).
    priors : dict
        ``{name: specification}`` (see `default_priors`) or ``{name: value}`` for fixed
        parameters; must cover every parameter of the models and ``v_sys``.
    stellar_mass : float
        Stellar mass [Msun] following the tracer (0 for none).
    n_grid : int
        Number of projected radii where the dispersion is computed (then interpolated in ln R).
    vsp : bool
        Add the two virial shape parameters (fourth moments) as Gaussian constraints.
    v_sys_vsp : float, optional
        Systemic velocity used to estimate the fourth moments of the data (default: the
        weighted mean velocity).
    """

    def __init__(self, R, v, v_err, weights, tracer, *, halo, anisotropy, priors,
                 stellar_mass=0.0, n_grid=30, vsp=False, v_sys_vsp=None):
        self.halo_name, self.aniso_name = halo, anisotropy
        h, a = _models(halo, anisotropy)
        all_names = (*h.params, *a.params, "v_sys")
        missing = [n for n in all_names if n not in priors]
        if missing:
            msg = f"priors missing for parameter(s) {missing}"
            raise ValueError(msg)
        unknown = sorted(set(priors) - set(all_names))
        if unknown:
            msg = f"unknown prior parameter(s) {unknown}; the model has {list(all_names)}"
            raise ValueError(msg)
        self.names, self.fixed, self._priors = [], {}, []
        for name in all_names:
            prior = parse_prior(name, priors[name])
            if prior is None:
                self.fixed[name] = float(priors[name])
                continue
            if isinstance(prior, DuttonMaccio) and "log10_M200" not in all_names:
                msg = "the 'dutton_maccio' prior of 'c' needs a halo with 'log10_M200'"
                raise ValueError(msg)
            self.names.append(name)
            self._priors.append(prior)
        self.names = tuple(self.names)
        self.priors = {k: normalise_spec(priors[k]) for k in all_names}

        self.R = np.asarray(R, dtype=float)
        self.v = np.asarray(v, dtype=float)
        self.e2 = np.asarray(v_err, dtype=float) ** 2
        self.w = np.ones_like(self.v) if weights is None else np.asarray(weights, dtype=float)
        R_lo = max(self.R.min(), 1e-3 * self.R.max())
        self.R_grid = np.geomspace(R_lo, self.R.max(), n_grid)
        r_scale = _tracer_scale(tracer)
        self.grid = _JeansGrid(self.R_grid, tracer._density, tracer._surface_density, r_scale)
        lnR = np.clip(np.log(self.R), np.log(self.R_grid[0]), np.log(self.R_grid[-1]))
        lng = np.log(self.R_grid)
        idx = np.clip(np.searchsorted(lng, lnR) - 1, 0, n_grid - 2)
        self.idx, self.frac = idx, (lnR - lng[idx]) / (lng[idx + 1] - lng[idx])
        self.stellar_mass = float(stellar_mass)
        self.m_star = (self.stellar_mass * tracer._enclosed_mass(self.grid.r) / tracer._total_mass()
                       if self.stellar_mass > 0 else 0.0)
        self.vsp = None
        self._tracer = tracer
        if vsp:
            vs = np.average(self.v, weights=self.w) if v_sys_vsp is None else float(v_sys_vsp)
            self.vsp = _VSPData(self.R, self.v - vs, self.e2, self.w, tracer, r_scale)

    @property
    def ndim(self):
        return len(self.names)

    def params(self, theta):
        """Return the dict of parameter arrays (K, 1) of the free parameters ``theta`` (K, ndim)."""
        theta = np.atleast_2d(theta)
        P = {n: theta[:, i:i + 1] for i, n in enumerate(self.names)}
        for n, value in self.fixed.items():
            P[n] = np.full((theta.shape[0], 1), value)
        return P

    def log_prior(self, theta):
        """Log prior density of ``theta`` (K, ndim), up to a constant; -inf outside."""
        P = self.params(theta)
        out = np.zeros(np.atleast_2d(theta).shape[0])
        for name, prior in zip(self.names, self._priors):
            out = out + prior.log_pdf(P[name][:, 0], {k: v[:, 0] for k, v in P.items()})
        with np.errstate(all="ignore"):
            ok = HALO_MODELS[self.halo_name].support(P)
        if ok is not None:
            out = np.where(ok[:, 0], out, -np.inf)
        return out

    @property
    def log_prior_norm(self):
        """Log normalisation of the prior: ``log_prior + log_prior_norm`` is a normalised density.

        Raises ValueError for halo families whose prior support joins several parameters
        (``zhao_slope``), where the normalisation is not known in closed form.
        """
        if type(HALO_MODELS[self.halo_name]).support is not HaloModel.support:
            msg = (f"the prior of the {self.halo_name!r} halo is not normalised in closed form "
                   "(its support joins several parameters)")
            raise ValueError(msg)
        return float(sum(p.log_norm for p in self._priors))

    def in_prior(self, theta):
        return np.isfinite(self.log_prior(theta))

    def sample_prior(self, n, rng):
        """``n`` independent draws from the prior, shape (n, ndim)."""
        P = {k: np.full(n, v) for k, v in self.fixed.items()}
        for name, prior in zip(self.names, self._priors):
            P[name] = prior.draw(n, rng, P)
        return np.stack([P[name] for name in self.names], axis=1)

    def sigma2_grid(self, P, *, return_vsp_chi2=False):
        """Model LOS dispersion squared on ``self.R_grid`` (K, n_grid)."""
        h, a = HALO_MODELS[self.halo_name], ANISOTROPY_MODELS[self.aniso_name]
        r = self.grid.r
        mass = h.mass(P, r) + self.m_star
        log_g = a.log_g(P, r)
        beta = a.beta(P, self.grid.r_pts)
        if not return_vsp_chi2:
            return self.grid.sigma2(mass, log_g, beta)
        s2, lnp = self.grid.sigma2(mass, log_g, beta, return_lnp=True)
        return s2, self.vsp.chi2(P, h, a, self._m_star_fn, r, mass, lnp)

    def _m_star_fn(self, r):
        if self.stellar_mass <= 0:
            return 0.0
        return self.stellar_mass * self._tracer._enclosed_mass(r) / self._tracer._total_mass()

    def log_likelihood(self, P):
        with np.errstate(all="ignore"):
            if self.vsp is None:
                s2, chi2 = self.sigma2_grid(P), 0.0
            else:
                s2, chi2 = self.sigma2_grid(P, return_vsp_chi2=True)
            var = s2[:, self.idx] * (1 - self.frac) + s2[:, self.idx + 1] * self.frac + self.e2
            dv = self.v - P["v_sys"]
            ll = -0.5 * (self.w * (dv**2 / var + np.log(2 * np.pi * var))).sum(axis=1) - 0.5 * chi2
        return np.where(np.isfinite(ll), ll, -np.inf)

    def __call__(self, theta):
        theta = np.atleast_2d(theta)
        out = self.log_prior(theta)
        ok = np.isfinite(out)
        if np.any(ok):
            out[ok] = out[ok] + self.log_likelihood(self.params(theta[ok]))
        return out

    # ------------------------------------------------------------------ derived quantities
    def derived(self, theta, *, r_ref=None, chunk=2048):
        """gamma, rho and M(<r) at ``r_ref`` kpc and physical anisotropies for samples ``theta``.

        ``r_ref`` defaults to `~dmprofile.profiles.R_REF` (150 pc).
        """
        h = HALO_MODELS[self.halo_name]
        if r_ref is None:
            r_ref = R_REF.to_value(u.kpc)
        out = {"gamma_150": [], "rho_150": [], "M_150": []}
        r = np.array([r_ref])
        for start in range(0, len(theta), chunk):
            P = self.params(theta[start:start + chunk])
            out["gamma_150"].append(h.log_slope(P, r)[:, 0])
            out["rho_150"].append(h.density(P, r)[:, 0])
            out["M_150"].append(self.band(P, np.array([r_ref]))[1][:, 0])
        out = {k: np.concatenate(v) for k, v in out.items()}
        P = self.params(theta)
        for name in ("tilde_beta0", "tilde_beta_inf"):
            if name in P:
                out[name.replace("tilde_", "")] = beta_from_tilde(P[name][:, 0])
        return out

    def band(self, P, r_out):
        """Density and enclosed halo mass at radii ``r_out`` (kpc) for parameter sets ``P``."""
        h = HALO_MODELS[self.halo_name]
        r_out = np.asarray(r_out, dtype=float)
        rho = h.density(P, r_out)
        # enclosed mass from a fine log grid (exact closed forms where the model has them)
        lo = min(r_out.min(), 1e-3) * 1e-2
        grid = np.geomspace(lo, r_out.max() * 1.001, 400)
        lnm = np.log(h.mass(P, grid))
        lg = np.log(grid)
        x = np.clip(np.log(r_out), lg[0], lg[-1])
        idx = np.clip(np.searchsorted(lg, x) - 1, 0, lg.size - 2)
        f = (x - lg[idx]) / (lg[idx + 1] - lg[idx])
        mass = np.exp(lnm[:, idx] * (1 - f) + lnm[:, idx + 1] * f)
        return rho, mass


#: Relative uncertainty of the model's fourth moments beyond the survey radius, where the
#: line-of-sight velocity distributions are assumed Gaussian (their kurtosis differs by ~10-15%).
TAIL_SYSTEMATIC = 0.15


class _VSPData:
    r"""Virial shape parameters of the data and of the model.

    After Merrifield & Kent (1990), Richardson & Fairbairn (2014) and Read et al. (2017). With the
    tracer normalised to unit mass,

    .. math::

        v_{s1} = \int_0^\infty \Sigma \langle v_{\rm los}^4 \rangle R\, dR
               = \frac{2}{5} \int_0^\infty G M \nu (5 - 2\beta) \sigma_r^2 r\, dr,
        \qquad
        v_{s2} = \int_0^\infty \Sigma \langle v_{\rm los}^4 \rangle R^3 dR
               = \frac{4}{35} \int_0^\infty G M \nu (7 - 6\beta) \sigma_r^2 r^3 dr.

    The data give the part inside the survey radius R_max as F(<R_max) / (2 pi) times the
    weighted mean of v^4 - 6 v^2 e^2 + 3 e^4 (unbiased for Gaussian errors e), with its standard
    error; the part beyond R_max is taken from the model assuming Gaussian line-of-sight velocity
    distributions there (<v^4> = 3 sigma_los^4).
    """

    def __init__(self, R, dv, e2, w, tracer, r_scale):
        from ._jeans_model import _JeansGrid

        R_max = R.max()
        norm = tracer._total_mass()
        q1 = dv**4 - 6 * dv**2 * e2 + 3 * e2**2
        q2 = R**2 * q1
        n_eff = w.sum() ** 2 / np.sum(w**2)
        # projected tracer fraction inside R_max (numerically, valid for any tracer)
        Rg = np.geomspace(R_max * 1e-5, R_max, 400)
        f = 2 * np.pi * Rg**2 * tracer._surface_density(Rg) / norm
        F_in = float(np.sum(0.5 * (f[1:] + f[:-1]) * np.diff(np.log(Rg))))
        c = F_in / (2 * np.pi)
        self.data = np.array([c * np.average(q1, weights=w), c * np.average(q2, weights=w)])
        std = np.sqrt(np.array([np.average((q - np.average(q, weights=w)) ** 2, weights=w)
                                for q in (q1, q2)]))
        self.err = c * std / np.sqrt(n_eff)
        self.norm = norm
        self.R_tail = np.geomspace(R_max, 30 * R_max, 12)
        self.grid = _JeansGrid(self.R_tail, lambda r: tracer._density(r) / norm,
                               lambda r: tracer._surface_density(r) / norm, r_scale, n_r=160)
        self.sigma_tail = self.grid.sigma

    def model(self, P, halo, aniso, m_star_fn, r, mass, lnp):
        """Model (vs1, vs2) inside R_max, each (K,), from the main grid's ln(nu sigma_r^2)."""
        from .._utils import G_KPC

        p = np.exp(lnp) / self.norm                      # nu sigma_r^2 of the unit-mass tracer
        h = np.log(r[1] / r[0])
        beta_r = aniso.beta(P, r)
        base = G_KPC * mass * p * r**2                    # G M nu sigma_r^2 r dr, per d ln r
        vs1 = 0.4 * np.sum((5 - 2 * beta_r) * base, axis=1) * h
        vs2 = 4 / 35 * np.sum((7 - 6 * beta_r) * base * r**2, axis=1) * h
        # the part beyond R_max from the model, for Gaussian line-of-sight velocity distributions
        rt = self.grid.r
        s2 = self.grid.sigma2(halo.mass(P, rt) + m_star_fn(rt), aniso.log_g(P, rt),
                              aniso.beta(P, self.grid.r_pts))
        Rt = self.R_tail
        t1 = 3 * self.sigma_tail * s2**2 * Rt**2
        t2 = t1 * Rt**2
        dlnR = np.diff(np.log(Rt))
        tail1 = np.sum(0.5 * (t1[:, 1:] + t1[:, :-1]) * dlnR, axis=1)
        tail2 = np.sum(0.5 * (t2[:, 1:] + t2[:, :-1]) * dlnR, axis=1)
        return vs1 - tail1, vs2 - tail2, tail1, tail2

    def chi2(self, *args):
        m1, m2, t1, t2 = self.model(*args)
        var1 = self.err[0] ** 2 + (TAIL_SYSTEMATIC * t1) ** 2
        var2 = self.err[1] ** 2 + (TAIL_SYSTEMATIC * t2) ** 2
        return ((m1 - self.data[0]) ** 2 / var1 + (m2 - self.data[1]) ** 2 / var2
                + np.log(var1) + np.log(var2))
