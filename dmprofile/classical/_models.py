"""Parameterised halo and anisotropy models for the Jeans fit, vectorised over parameter sets.

Each model maps a dict of parameter arrays (shape ``(K, 1)``, one row per MCMC walker or posterior
sample) to densities, enclosed masses, log-slopes or anisotropies on a radius grid (shape
``(K, n)``). Units are internal: kpc, Msun, Msun/kpc^3.
"""

import numpy as np

__all__ = []


def _rho_crit():
    from astropy.cosmology import Planck18

    from ..profiles import critical_density

    return critical_density(Planck18.H0)


def _r200(log10_m200):
    """r200 [kpc] of M200 = 10**log10_m200 Msun (200 x the critical density of Planck18)."""
    _ensure_rho_crit()
    return (3 * 10.0**log10_m200 / (4 * np.pi * 200 * _RHO_CRIT[0])) ** (1 / 3)


def _nfw_from_m200_c(log10_m200, c):
    m200 = 10.0**log10_m200
    r_s = _r200(log10_m200) / c
    rho_s = m200 / (4 * np.pi * r_s**3 * (np.log1p(c) - c / (1 + c)))
    return rho_s, r_s


_RHO_CRIT = [None]


def _ensure_rho_crit():
    if _RHO_CRIT[0] is None:
        _RHO_CRIT[0] = _rho_crit()


def _mass_from_density(rho, r, slope0, m0=None):
    """M(<r) on a log-uniform grid ``r`` by exact integration of a piecewise power law.

    The mass inside the first grid point is ``m0`` if given, else 4 pi rho r^3 / (3 + slope),
    exact for a power law.
    """
    lnr = np.log(r)
    h = lnr[1] - lnr[0]
    f = 4 * np.pi * rho * r**3                                   # dM / dln r
    lnf = np.log(np.maximum(f, 1e-300))
    d = lnf[:, 1:] - lnf[:, :-1]
    small = np.abs(d) < 1e-6
    seg = np.where(small, 0.5 * (f[:, 1:] + f[:, :-1]),
                   (f[:, 1:] - f[:, :-1]) / np.where(small, 1.0, d)) * h
    if m0 is None:
        m0 = f[:, :1] / np.maximum(3.0 + slope0, 0.05)
    return np.concatenate([m0, m0 + np.cumsum(seg, axis=1)], axis=1)


class HaloModel:
    """A halo family with named free parameters and default uniform priors."""

    name = ""
    params = ()
    default_prior = {}
    description = {}

    def density(self, P, r):
        raise NotImplementedError

    def mass(self, P, r):
        """Enclosed mass on a log-uniform grid ``r``."""
        return _mass_from_density(self.density(P, r), r, self.log_slope(P, r[:1]))

    def log_slope(self, P, r):
        h = 1e-4
        r = np.asarray(r, dtype=float)
        up, down = self.density(P, r * np.exp(h)), self.density(P, r * np.exp(-h))
        return (np.log(up) - np.log(down)) / (2 * h)

    def physical(self, P):
        """Physical parameters (internal units) derived from the fit parameters."""
        return {}

    def support(self, P):
        """Mask (K, 1) of parameter sets allowed by conditions that join several parameters.

        None when the prior is just the product of the per-parameter priors.
        """
        return None


class NFWModel(HaloModel):
    name = "nfw"
    params = ("log10_M200", "c")
    default_prior = {"log10_M200": (7.5, 11.5), "c": (4.0, 40.0)}
    description = {"log10_M200": "log10 of M200 / Msun (200 x critical, Planck18)",
                   "c": "concentration r200 / r_s"}

    def physical(self, P):
        rho_s, r_s = _nfw_from_m200_c(P["log10_M200"], P["c"])
        return {"rho_s": rho_s, "r_s": r_s}

    def density(self, P, r):
        q = self.physical(P)
        x = r / q["r_s"]
        return q["rho_s"] / (x * (1 + x) ** 2)

    def mass(self, P, r):
        q = self.physical(P)
        x = r / q["r_s"]
        return 4 * np.pi * q["rho_s"] * q["r_s"] ** 3 * (np.log1p(x) - x / (1 + x))

    def log_slope(self, P, r):
        x = r / self.physical(P)["r_s"]
        return -(1 + 3 * x) / (1 + x)


class CoreNFWModel(NFWModel):
    """coreNFW of Read, Agertz & Collins (2016): M(<r) = M_NFW(<r) tanh(r / r_c)^n."""

    name = "corenfw"
    params = ("log10_M200", "c", "log10_r_c", "n")
    default_prior = {"log10_M200": (7.5, 11.5), "c": (4.0, 40.0), "log10_r_c": (-2.0, 0.5),
                     "n": (0.0, 1.0)}
    description = {**NFWModel.description, "log10_r_c": "log10 of the core radius r_c / kpc",
                   "n": "core strength n (0: NFW cusp, 1: full core)"}

    def physical(self, P):
        q = super().physical(P)
        q["r_c"] = 10.0 ** P["log10_r_c"]
        q["n"] = P["n"]
        return q

    def _parts(self, P, r):
        q = self.physical(P)
        x = r / q["r_s"]
        m_nfw = 4 * np.pi * q["rho_s"] * q["r_s"] ** 3 * (np.log1p(x) - x / (1 + x))
        rho_nfw = q["rho_s"] / (x * (1 + x) ** 2)
        f = np.tanh(r / q["r_c"])
        return q, m_nfw, rho_nfw, f

    def density(self, P, r):
        q, m_nfw, rho_nfw, f = self._parts(P, r)
        n = q["n"]
        fn = f**n
        return fn * rho_nfw + n * fn / f * (1 - f**2) / (4 * np.pi * r**2 * q["r_c"]) * m_nfw

    def mass(self, P, r):
        q, m_nfw, _, f = self._parts(P, r)
        return m_nfw * f ** q["n"]

    log_slope = HaloModel.log_slope


class ZhaoModel(HaloModel):
    """Zhao (1996) alpha-beta-gamma profile rho_s x^-gamma (1 + x^alpha)^((gamma - beta)/alpha)."""

    name = "zhao"
    params = ("log10_rho_s", "log10_r_s", "alpha", "beta", "gamma")
    default_prior = {"log10_rho_s": (5.0, 10.0), "log10_r_s": (-1.0, 1.5), "alpha": (0.5, 3.0),
                     "beta": (3.0, 7.0), "gamma": (0.0, 2.0)}
    description = {"log10_rho_s": "log10 of rho_s / (Msun / kpc3)",
                   "log10_r_s": "log10 of the scale radius r_s / kpc",
                   "alpha": "sharpness of the transition", "beta": "outer slope",
                   "gamma": "inner slope"}

    def physical(self, P):
        return {"rho_s": 10.0 ** P["log10_rho_s"], "r_s": 10.0 ** P["log10_r_s"],
                "alpha": P["alpha"], "beta": P["beta"], "gamma": P["gamma"]}

    def density(self, P, r):
        return self._density(self.physical(P), r)

    @staticmethod
    def _density(q, r):
        x = r / q["r_s"]
        outer = (q["gamma"] - q["beta"]) / q["alpha"]
        return q["rho_s"] * x ** -q["gamma"] * (1 + x ** q["alpha"]) ** outer

    def log_slope(self, P, r):
        q = self.physical(P)
        xa = (r / q["r_s"]) ** q["alpha"]
        return -q["gamma"] - (q["beta"] - q["gamma"]) * xa / (1 + xa)


def _zhao_norm(c, alpha, beta, gamma, n=161, span=24.0):
    """I(c) = int_0^c x^(2-gamma) (1 + x^alpha)^(-(beta-gamma)/alpha) dx, vectorised.

    Simpson's rule in ln x over [ln c - span, ln c] plus the power-law part below (relative
    error < 1e-5 for the shapes of the priors).
    """
    u = np.linspace(-span, 0.0, n)
    h = u[1] - u[0]
    w = np.full(n, 2.0)
    w[1::2] = 4.0
    w[0] = w[-1] = 1.0
    lnx = np.log(c) + u
    p = 3.0 - gamma
    with np.errstate(over="ignore"):
        f = np.exp(p * lnx - (beta - gamma) / alpha * np.logaddexp(0.0, alpha * lnx))
    inner = np.exp(p * lnx[..., :1]) / p
    return h / 3.0 * np.sum(w * f, axis=-1, keepdims=True) + inner


class ZhaoM200Model(ZhaoModel):
    """The Zhao (1996) profile parameterised by M200 and c = r200 / r_s (as `Zhao.from_M200_c`).

    With gamma free this is the most flexible halo of the fit: it contains the NFW profile
    (alpha, beta, gamma) = (1, 3, 1) and the DC14 profiles of Di Cintio et al. (2014), and its
    concentration can follow a cosmological concentration-mass relation.
    """

    name = "zhao_m200"
    params = ("log10_M200", "c", "alpha", "beta", "gamma")
    default_prior = {"log10_M200": (8.5, 10.5), "c": ("dutton_maccio", 0.15),
                     "alpha": (0.5, 3.0), "beta": (2.5, 5.0), "gamma": (0.0, 1.5)}
    description = {**NFWModel.description,
                   "c": "concentration r200 / r_s (r_s: the Zhao scale radius)",
                   "alpha": "sharpness of the transition", "beta": "outer slope",
                   "gamma": "inner slope"}

    def physical(self, P):
        m200 = 10.0 ** P["log10_M200"]
        r_s = _r200(P["log10_M200"]) / P["c"]
        norm = _zhao_norm(P["c"], P["alpha"], P["beta"], P["gamma"])
        return {"rho_s": m200 / (4 * np.pi * r_s**3 * norm), "r_s": r_s,
                "alpha": P["alpha"], "beta": P["beta"], "gamma": P["gamma"]}

    def mass(self, P, r):
        """Enclosed mass on a log-uniform grid ``r`` (exact inside the first point)."""
        q = self.physical(P)
        m0 = 4 * np.pi * q["rho_s"] * q["r_s"] ** 3 * _zhao_norm(
            r[0] / q["r_s"], q["alpha"], q["beta"], q["gamma"])
        return _mass_from_density(self._density(q, r), r, None, m0=m0)


#: Radius of the reference log-slope gamma_150, kpc.
R_REF = 0.15


class ZhaoSlopeModel(ZhaoM200Model):
    """The Zhao M200-c halo with its log-slope at 150 pc, gamma_150, as a free parameter.

    The inner slope follows from ``gamma_150 = -gamma - (beta - gamma) f`` with
    ``f = x^alpha / (1 + x^alpha)``, ``x = 150 pc / r_s``. A uniform prior on gamma_150 (with
    the condition that the implied inner slope lies in ``gamma_range``) is flat in the quantity
    the analysis measures; a uniform prior on the inner slope instead weights every (alpha, r_s)
    by ``1 / (1 - f)`` in gamma_150, which favours the halo shapes whose slope at 150 pc is
    already steep, i.e. cusps.
    """

    name = "zhao_slope"
    params = ("log10_M200", "c", "alpha", "beta", "gamma_150")
    default_prior = {"log10_M200": (8.5, 10.5), "c": ("dutton_maccio", 0.15),
                     "alpha": (0.5, 3.0), "beta": (2.5, 5.0), "gamma_150": (-2.5, 0.0)}
    description = {**ZhaoM200Model.description,
                   "gamma_150": "log-slope d ln rho / d ln r at 150 pc"}
    #: Allowed range of the implied inner slope gamma (as the zhao_m200 prior box).
    gamma_range = (0.0, 1.5)

    def with_gamma(self, P):
        """``P`` with the implied inner slope ``gamma`` added."""
        xa = (R_REF * P["c"] / _r200(P["log10_M200"])) ** P["alpha"]
        f = xa / (1 + xa)
        return {**P, "gamma": (-P["gamma_150"] - P["beta"] * f) / (1 - f)}

    def physical(self, P):
        return super().physical(P if "gamma" in P else self.with_gamma(P))

    def mass(self, P, r):
        return super().mass(self.with_gamma(P), r)

    def support(self, P):
        gamma = self.with_gamma(P)["gamma"]
        return (gamma >= self.gamma_range[0]) & (gamma <= self.gamma_range[1])


class DC14Model(ZhaoM200Model):
    """The DC14 halo of Di Cintio et al. (2014) (`~dmprofile.profiles.DC14`), vectorised.

    Parameters: ``log10_M200``, the dark-matter-only concentration ``c`` and X =
    log10(M*/M200), which sets the Zhao (alpha, beta, gamma) and the concentration.
    """

    name = "dc14"
    params = ("log10_M200", "c", "log_mstar_mhalo")
    default_prior = {"log10_M200": (8.5, 10.5), "c": ("dutton_maccio", 0.15),
                     "log_mstar_mhalo": (-4.1, -1.3)}
    description = {**NFWModel.description,
                   "c": "concentration r200 / r_s of the dark-matter-only (NFW) halo",
                   "log_mstar_mhalo": "X = log10(M* / M200), in the DC14 range (-4.1, -1.3)"}

    def zhao_params(self, P):
        """The `ZhaoM200Model` parameters (c = r200 / r_s of the Zhao profile) of ``P``."""
        from ..profiles._dc14 import _dc14_c_ratio, _dc14_shape

        x = P["log_mstar_mhalo"]
        alpha, beta, gamma = _dc14_shape(x)
        # r_s = r_-2 [(2 - gamma) / (beta - 2)]^(-1/alpha), r_-2 = r200 / c_DC14
        c_zhao = P["c"] * _dc14_c_ratio(x) * ((2.0 - gamma) / (beta - 2.0)) ** (1.0 / alpha)
        return {**P, "c": c_zhao, "alpha": alpha, "beta": beta, "gamma": gamma}

    def physical(self, P):
        return super().physical(P if "alpha" in P else self.zhao_params(P))

    def mass(self, P, r):
        return super().mass(self.zhao_params(P), r)


HALO_MODELS = {m.name: m for m in (NFWModel(), CoreNFWModel(), ZhaoModel(), ZhaoM200Model(),
                                   ZhaoSlopeModel(), DC14Model())}


# ---------------------------------------------------------------------------------- anisotropy
def beta_from_tilde(tb):
    """beta from the symmetrised anisotropy tilde-beta = beta / (2 - beta) (Read et al. 2006)."""
    return 2 * tb / (1 + tb)


class AnisotropyModel:
    name = ""
    params = ()
    default_prior = {}
    description = {}

    def beta(self, P, r):
        raise NotImplementedError

    def log_g(self, P, r):
        raise NotImplementedError


class IsotropicModel(AnisotropyModel):
    name = "isotropic"

    def beta(self, P, r):
        return np.zeros((1, np.size(r)))

    def log_g(self, P, r):
        return np.zeros((1, np.size(r)))


class ConstantModel(AnisotropyModel):
    name = "constant"
    params = ("tilde_beta0",)
    default_prior = {"tilde_beta0": (-0.95, 0.95)}
    description = {"tilde_beta0": "symmetrised constant anisotropy beta / (2 - beta)"}

    def beta(self, P, r):
        b0 = beta_from_tilde(P["tilde_beta0"])
        return np.broadcast_to(b0, (b0.shape[0], np.size(r)))

    def log_g(self, P, r):
        return 2 * beta_from_tilde(P["tilde_beta0"]) * np.log(r)


class OsipkovMerrittModel(AnisotropyModel):
    name = "om"
    params = ("log10_r_a",)
    default_prior = {"log10_r_a": (-1.5, 1.0)}
    description = {"log10_r_a": "log10 of the anisotropy radius r_a / kpc"}

    def beta(self, P, r):
        ra2 = 10.0 ** (2 * P["log10_r_a"])
        return r**2 / (r**2 + ra2)

    def log_g(self, P, r):
        return np.log(r**2 + 10.0 ** (2 * P["log10_r_a"]))


class BaesModel(AnisotropyModel):
    """Baes & van Hese (2007): beta = (beta0 + beta_inf (r/r_a)^eta) / (1 + (r/r_a)^eta)."""

    name = "baes"
    params = ("tilde_beta0", "tilde_beta_inf", "log10_r_a", "eta")
    default_prior = {"tilde_beta0": (-0.95, 0.95), "tilde_beta_inf": (-0.95, 0.95),
                     "log10_r_a": (-1.5, 1.0), "eta": (1.0, 3.0)}
    description = {"tilde_beta0": "symmetrised central anisotropy beta0 / (2 - beta0)",
                   "tilde_beta_inf": "symmetrised outer anisotropy beta_inf / (2 - beta_inf)",
                   "log10_r_a": "log10 of the transition radius r_a / kpc",
                   "eta": "sharpness of the transition"}

    def beta(self, P, r):
        b0, binf = beta_from_tilde(P["tilde_beta0"]), beta_from_tilde(P["tilde_beta_inf"])
        x = (r / 10.0 ** P["log10_r_a"]) ** P["eta"]
        return (b0 + binf * x) / (1 + x)

    def log_g(self, P, r):
        b0, binf = beta_from_tilde(P["tilde_beta0"]), beta_from_tilde(P["tilde_beta_inf"])
        x = (r / 10.0 ** P["log10_r_a"]) ** P["eta"]
        return 2 * b0 * np.log(r) + 2 * (binf - b0) / P["eta"] * np.log1p(x)


ANISOTROPY_MODELS = {m.name: m for m in (IsotropicModel(), ConstantModel(), OsipkovMerrittModel(),
                                         BaesModel())}
