"""Parameterised halo and anisotropy models for the Jeans fit, vectorised over parameter sets.

Each model maps a dict of fit-parameter arrays (shape ``(K, 1)``, one row per MCMC walker or
posterior sample) onto the parameters of a `dmprofile.profiles` family (`physical`) and evaluates
the formulas of `dmprofile.profiles.kernels` with them on a radius grid (shape ``(K, n)``).
Units are internal: kpc, Msun, Msun/kpc^3.

Fit parameters use the vocabulary of `dmprofile.profiles`: ``log10_<name>`` is log10 of the
profile parameter ``<name>`` (in kpc, Msun or Msun/kpc^3), ``tilde_<name>`` the symmetrised
anisotropy ``<name> / (2 - <name>)``, ``gamma_150`` the log-slope at
`~dmprofile.profiles.R_REF`; every other name (``c``, ``n``, ``alpha``, ``beta``, ``gamma``,
``eta``, ``log_mstar_mhalo``) is the profile parameter itself.
"""

import numpy as np
from astropy import units as u

from ..profiles import R_REF, kernels
from ..profiles.kernels import beta_from_tilde

__all__ = []

#: R_REF in kpc.
_R_REF_KPC = R_REF.to_value(u.kpc)
_RHO_CRIT = [None]


def _rho_crit():
    """Critical density of Planck 2018 [Msun / kpc3] (computed once)."""
    if _RHO_CRIT[0] is None:
        from astropy.cosmology import Planck18

        from ..profiles import critical_density

        _RHO_CRIT[0] = critical_density(Planck18.H0)
    return _RHO_CRIT[0]


def _r200(log10_m200):
    """r200 [kpc] of M200 = 10**log10_m200 Msun (200 x the critical density of Planck18)."""
    return kernels.r200_from_M200(10.0**log10_m200, _rho_crit())


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
    """A halo family with named free parameters and default uniform priors.

    ``profile_class`` names the `dmprofile.profiles` class whose parameters `physical` returns.
    """

    name = ""
    params = ()
    default_prior = {}
    description = {}
    profile_class = ""

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
        """Parameters of `profile_class` (internal units) derived from the fit parameters."""
        return {}

    def to_profile(self, P, index=0):
        """Return the `dmprofile.profiles` object of parameter set ``index`` (row) of ``P``."""
        from .. import profiles

        cls = getattr(profiles, self.profile_class)
        q = {k: float(np.ravel(v)[index]) for k, v in self.physical(P).items()}
        q = {k: v * cls._units[k] if k in cls._units else v for k, v in q.items()}
        return cls(q.pop("rho_s"), q.pop("r_s"), **q)

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
    profile_class = "NFW"

    def physical(self, P):
        rho_s, r_s = kernels.nfw_from_M200_c(10.0 ** P["log10_M200"], P["c"], _rho_crit())
        return {"rho_s": rho_s, "r_s": r_s}

    def density(self, P, r):
        return kernels.nfw_density(r, **self.physical(P))

    def mass(self, P, r):
        return kernels.nfw_enclosed_mass(r, **self.physical(P))

    def log_slope(self, P, r):
        return kernels.nfw_log_slope(r, self.physical(P)["r_s"])


class CoreNFWModel(NFWModel):
    """coreNFW of Read, Agertz & Collins (2016): M(<r) = M_NFW(<r) tanh(r / r_c)^n."""

    name = "corenfw"
    params = ("log10_M200", "c", "log10_r_c", "n")
    default_prior = {"log10_M200": (7.5, 11.5), "c": (4.0, 40.0), "log10_r_c": (-2.0, 0.5),
                     "n": (0.0, 1.0)}
    description = {**NFWModel.description, "log10_r_c": "log10 of the core radius r_c / kpc",
                   "n": "core strength n (0: NFW cusp, 1: full core)"}
    profile_class = "CoreNFW"

    def physical(self, P):
        q = super().physical(P)
        q["r_c"] = 10.0 ** P["log10_r_c"]
        q["n"] = P["n"]
        return q

    def density(self, P, r):
        return kernels.corenfw_density(r, **self.physical(P))

    def mass(self, P, r):
        return kernels.corenfw_enclosed_mass(r, **self.physical(P))

    def log_slope(self, P, r):
        return kernels.corenfw_log_slope(r, **self.physical(P))


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
    profile_class = "Zhao"

    def physical(self, P):
        return {"rho_s": 10.0 ** P["log10_rho_s"], "r_s": 10.0 ** P["log10_r_s"],
                "alpha": P["alpha"], "beta": P["beta"], "gamma": P["gamma"]}

    def density(self, P, r):
        return kernels.zhao_density(r, **self.physical(P))

    def log_slope(self, P, r):
        q = self.physical(P)
        return kernels.zhao_log_slope(r, q["r_s"], q["alpha"], q["beta"], q["gamma"])


class ZhaoM200Model(ZhaoModel):
    """The Zhao (1996) profile parameterised by M200 and c = r200 / r_s (as `Zhao.from_M200_c`).

    With gamma free this is the most flexible halo of the fit: it contains the NFW profile
    (alpha, beta, gamma) = (1, 3, 1) and the DC14 profiles of Di Cintio et al. (2014), and its
    concentration can follow a cosmological concentration-mass relation. The normalisation
    integral is `~dmprofile.profiles.kernels.zhao_mass_integral_simpson` (vectorised over
    shapes, 1e-5 relative).
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
        norm = kernels.zhao_mass_integral_simpson(P["c"], P["alpha"], P["beta"], P["gamma"])
        return {"rho_s": m200 / (4 * np.pi * r_s**3 * norm), "r_s": r_s,
                "alpha": P["alpha"], "beta": P["beta"], "gamma": P["gamma"]}

    def mass(self, P, r):
        """Enclosed mass on a log-uniform grid ``r`` (exact inside the first point)."""
        q = self.physical(P)
        m0 = 4 * np.pi * q["rho_s"] * q["r_s"] ** 3 * kernels.zhao_mass_integral_simpson(
            r[0] / q["r_s"], q["alpha"], q["beta"], q["gamma"])
        return _mass_from_density(kernels.zhao_density(r, **q), r, None, m0=m0)


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
        x = _R_REF_KPC * P["c"] / _r200(P["log10_M200"])
        gamma = kernels.zhao_gamma_from_log_slope(P["gamma_150"], x, P["alpha"], P["beta"])
        return {**P, "gamma": gamma}

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
        """Return the `ZhaoM200Model` parameters (c = r200 / r_s of the Zhao profile) of ``P``."""
        x = P["log_mstar_mhalo"]
        alpha, beta, gamma = kernels.dc14_shape(x)
        # r_s = r_-2 [(2 - gamma) / (beta - 2)]^(-1/alpha), r_-2 = r200 / c_DC14
        c_zhao = (P["c"] * kernels.dc14_concentration_ratio(x)
                  * kernels.zhao_r_minus2_ratio(alpha, beta, gamma))
        return {**P, "c": c_zhao, "alpha": alpha, "beta": beta, "gamma": gamma}

    def physical(self, P):
        return super().physical(P if "alpha" in P else self.zhao_params(P))

    def mass(self, P, r):
        return super().mass(self.zhao_params(P), r)


HALO_MODELS = {m.name: m for m in (NFWModel(), CoreNFWModel(), ZhaoModel(), ZhaoM200Model(),
                                   ZhaoSlopeModel(), DC14Model())}


# ---------------------------------------------------------------------------------- anisotropy
class AnisotropyModel:
    """An anisotropy family; `physical` gives the parameters of its `dmprofile.profiles` class."""

    name = ""
    params = ()
    default_prior = {}
    description = {}

    def physical(self, P):
        """Parameters ``beta0``, ``r_a`` (and ``beta_inf``, ``eta``) from the fit parameters."""
        return {"beta0": 0.0, "r_a": None}

    def beta(self, P, r):
        return kernels.cuddeford_beta(r, **self.physical(P))

    def log_g(self, P, r):
        return kernels.cuddeford_log_g(r, **self.physical(P))


class IsotropicModel(AnisotropyModel):
    name = "isotropic"

    def beta(self, P, r):
        return np.atleast_2d(super().beta(P, r))

    def log_g(self, P, r):
        return np.atleast_2d(super().log_g(P, r))


class ConstantModel(AnisotropyModel):
    name = "constant"
    params = ("tilde_beta0",)
    default_prior = {"tilde_beta0": (-0.95, 0.95)}
    description = {"tilde_beta0": "symmetrised constant anisotropy beta / (2 - beta)"}

    def physical(self, P):
        return {"beta0": beta_from_tilde(P["tilde_beta0"]), "r_a": None}


class OsipkovMerrittModel(AnisotropyModel):
    name = "om"
    params = ("log10_r_a",)
    default_prior = {"log10_r_a": (-1.5, 1.0)}
    description = {"log10_r_a": "log10 of the anisotropy radius r_a / kpc"}

    def physical(self, P):
        return {"beta0": 0.0, "r_a": 10.0 ** P["log10_r_a"]}


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

    def physical(self, P):
        return {"beta0": beta_from_tilde(P["tilde_beta0"]),
                "beta_inf": beta_from_tilde(P["tilde_beta_inf"]),
                "r_a": 10.0 ** P["log10_r_a"], "eta": P["eta"]}

    def beta(self, P, r):
        return kernels.baes_beta(r, **self.physical(P))

    def log_g(self, P, r):
        return kernels.baes_log_g(r, **self.physical(P))


ANISOTROPY_MODELS = {m.name: m for m in (IsotropicModel(), ConstantModel(), OsipkovMerrittModel(),
                                         BaesModel())}
