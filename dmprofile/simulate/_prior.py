"""The default prior of the dwarf-galaxy training suites."""

import importlib
import math

import numpy as np
from astropy import units as u

from ..profiles import concentration_dutton_maccio

# concentration_dutton_maccio lives in dmprofile.profiles; it is re-exported here (and by
# dmprofile.simulate) under its old name.
__all__ = ["DefaultDwarfPrior", "concentration_dutton_maccio"]

def _loguniform(rng, lo, hi):
    return float(10.0 ** rng.uniform(math.log10(lo), math.log10(hi)))


class DefaultDwarfPrior:
    """The documented default prior of the dwarf-galaxy training suites.

    One draw (`draw`) is a dict of plain numbers describing a dwarf galaxy and how it is
    observed; `build` turns it into a `~dmprofile.simulate.DwarfGalaxy` and the keyword
    arguments of `dmprofile.observe.observe`. All ranges are constructor arguments; the defaults
    are:

    * **halo family** (``family_weights``): DC14 30 %, coreNFW 20 %, Zhao 30 %, NFW 20 %;
    * **virial mass** M200 log-uniform in [10^8.5, 10^10.5] Msun, concentration from the
      Dutton & Maccio (2014) c-M relation with ``c_scatter`` = 0.1 dex log-normal scatter;
    * **DC14** (Di Cintio et al. 2014): log10(M*/Mhalo) uniform in [-4.1, -1.3];
    * **coreNFW** (Read et al. 2016): core radius r_c = eta R_half with eta log-uniform in
      [0.5, 3] (their fiducial eta = 1.75) and n uniform in [0, 1];
    * **Zhao**: inner slope gamma uniform in [0, 1.5], transition sharpness alpha uniform in
      [0.5, 3], outer slope beta uniform in [3, 5];
    * **tracer**: Plummer sphere with projected half-light radius R_half log-uniform in
      [0.1, 1] kpc;
    * **anisotropy**: Cuddeford (1991) beta(r) = (r^2 + beta0 r_a^2) / (r^2 + r_a^2) with beta0
      uniform in [-0.3, 0] (mildly tangential centre; a Plummer core forbids beta0 > 0) and
      r_a / R_half log-uniform in [0.5, 30] (radial outskirts), or r_a infinite (constant
      beta = beta0) with probability ``p_constant_beta`` = 0.3. Models whose distribution
      function is negative somewhere are rejected by `~dmprofile.simulate.DwarfGalaxy` and
      redrawn by the suite generator, which records the reason;
    * **observation**: N stars log-uniform in [100, 3000]; median velocity error log-uniform in
      [0.5, 3] km/s with 0.2 dex log-normal star-to-star scatter; no contamination and no
      binaries (``contamination``, ``binary_fraction``); systemic velocity 0.

    The resulting log-slope at 150 pc, gamma_150, spans about -2 to 0; see the user guide for
    its histogram.

    Parameters
    ----------
    **kwargs
        The settings of the prior, by keyword (any subset; the others keep their defaults):

        family_weights : dict
            Relative probability of each halo family among ``"dc14"``, ``"corenfw"``, ``"zhao"``,
            ``"nfw"``.
        log_m200_range : tuple of float
            Range of log10(M200 / Msun).
        c_scatter : float
            Scatter of log10(c) around the c-M relation, dex.
        log_mstar_mhalo_range : tuple of float
            Range of log10(M*/Mhalo) of the DC14 halos.
        corenfw_eta_range, corenfw_n_range : tuple of float
            Ranges of eta = r_c / R_half and n of the coreNFW halos.
        zhao_gamma_range, zhao_alpha_range, zhao_beta_range : tuple of float
            Ranges of gamma, alpha and beta of the Zhao halos.
        r_half_range : tuple of float
            Range of the projected half-light radius, kpc (log-uniform).
        beta0_range : tuple of float
            Range of the central anisotropy.
        r_a_range : tuple of float
            Range of r_a / R_half (log-uniform).
        p_constant_beta : float
            Probability of an infinite anisotropy radius.
        n_stars_range : tuple of int
            Range of the number of stars (log-uniform).
        v_err_range : tuple of float
            Range of the median velocity error, km/s (log-uniform).
        v_err_scatter : float
            Star-to-star scatter of the velocity errors, dex.
        contamination, binary_fraction : float
            Passed to `dmprofile.observe.observe`.

    Examples
    --------
    >>> import numpy as np
    >>> from dmprofile.simulate import DefaultDwarfPrior
    >>> prior = DefaultDwarfPrior()
    >>> params = prior.draw(np.random.default_rng(1))
    >>> params["halo_family"] in ("dc14", "corenfw", "zhao", "nfw")
    True
    >>> 100 <= params["n_stars"] <= 3000
    True
    """

    _defaults = {
        "family_weights": {"dc14": 0.3, "corenfw": 0.2, "zhao": 0.3, "nfw": 0.2},
        "log_m200_range": (8.5, 10.5),
        "c_scatter": 0.1,
        "log_mstar_mhalo_range": (-4.1, -1.3),
        "corenfw_eta_range": (0.5, 3.0),
        "corenfw_n_range": (0.0, 1.0),
        "zhao_gamma_range": (0.0, 1.5),
        "zhao_alpha_range": (0.5, 3.0),
        "zhao_beta_range": (3.0, 5.0),
        "r_half_range": (0.1, 1.0),
        "beta0_range": (-0.3, 0.0),
        "r_a_range": (0.5, 30.0),
        "p_constant_beta": 0.3,
        "n_stars_range": (100, 3000),
        "v_err_range": (0.5, 3.0),
        "v_err_scatter": 0.2,
        "contamination": 0.0,
        "binary_fraction": 0.0,
    }

    #: Keys of every draw, in order (family parameters not used by a family are NaN).
    param_names = ("halo_family", "log_m200", "c", "log_mstar_mhalo", "r_c", "n", "gamma",
                   "alpha", "beta", "r_half", "beta0", "r_a", "n_stars", "v_err_median")

    def __init__(self, **kwargs):
        unknown = set(kwargs) - set(self._defaults)
        if unknown:
            msg = (f"unknown prior parameter(s) {sorted(unknown)}; "
                   f"valid ones are {sorted(self._defaults)}")
            raise TypeError(msg)
        config = {**self._defaults, **kwargs}
        weights = dict(config["family_weights"])
        bad = set(weights) - {"dc14", "corenfw", "zhao", "nfw"}
        if bad or not weights or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            msg = (f"'family_weights' must map a subset of 'dc14', 'corenfw', 'zhao', 'nfw' to "
                   f"non-negative weights with a positive sum, got {weights}")
            raise ValueError(msg)
        config["family_weights"] = {k: float(v) for k, v in sorted(weights.items())}
        for key, value in config.items():
            if key.endswith("_range"):
                lo, hi = (float(v) for v in value)
                if not lo <= hi:
                    msg = f"'{key}' must be (low, high) with low <= high, got {value}"
                    raise ValueError(msg)
                config[key] = (lo, hi)
            elif key != "family_weights":
                config[key] = float(value)
        if not 0 <= config["p_constant_beta"] <= 1:
            msg = f"'p_constant_beta' must lie in [0, 1], got {config['p_constant_beta']}"
            raise ValueError(msg)
        if config["log_mstar_mhalo_range"][0] < -4.1 or config["log_mstar_mhalo_range"][1] > -1.3:
            msg = "'log_mstar_mhalo_range' must lie inside the DC14 validity range [-4.1, -1.3]"
            raise ValueError(msg)
        self._config = config

    def __getattr__(self, name):
        config = self.__dict__.get("_config", {})
        if name in config:
            return config[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute {name!r}")

    def __repr__(self):
        defaults = DefaultDwarfPrior()._config
        changed = {k: v for k, v in self._config.items() if defaults.get(k) != v}
        inner = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"<{type(self).__name__}({inner})>"

    def __eq__(self, other):
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    # ------------------------------------------------------------------ description
    def to_dict(self):
        """JSON-friendly description (class path and every parameter), for suite manifests."""
        params = {}
        for key, value in self._config.items():
            params[key] = list(value) if isinstance(value, tuple) else value
        cls = type(self)
        module = cls.__module__
        if module.startswith("dmprofile.simulate."):
            module = "dmprofile.simulate"
        return {"class": f"{module}.{cls.__qualname__}", "parameters": params}

    @classmethod
    def from_dict(cls, description):
        """Rebuild a prior from `to_dict` output (the class named there is imported).

        Parameters
        ----------
        description : dict
            The output of `to_dict`: ``class`` (dotted name) and ``parameters``.

        Returns
        -------
        `DefaultDwarfPrior`
            The prior, an instance of the class named.
        """
        module, _, name = description["class"].rpartition(".")
        klass = getattr(importlib.import_module(module), name)
        if not (isinstance(klass, type) and issubclass(klass, DefaultDwarfPrior)):
            msg = f"{description['class']} is not a DefaultDwarfPrior subclass"
            raise TypeError(msg)
        return klass(**description["parameters"])

    # ------------------------------------------------------------------ drawing
    def draw(self, rng):
        """Draw the parameters of one galaxy.

        Parameters
        ----------
        rng : `~numpy.random.Generator`

        Returns
        -------
        dict
            Plain floats/str/int with keys `param_names`: ``halo_family``, ``log_m200``
            [log10 Msun], ``c``, the family parameters (``log_mstar_mhalo`` for DC14; ``r_c``
            [kpc], ``n`` for coreNFW; ``gamma``, ``alpha``, ``beta`` for Zhao; NaN otherwise),
            ``r_half`` [kpc], ``beta0``, ``r_a`` [kpc, NaN = infinite], ``n_stars``,
            ``v_err_median`` [km/s].
        """
        c = self._config
        families = list(c["family_weights"])
        weights = np.array([c["family_weights"][f] for f in families])
        # fixed order of the random draws: every parameter is drawn whatever the family
        family = families[int(rng.choice(len(families), p=weights / weights.sum()))]
        log_m200 = float(rng.uniform(*c["log_m200_range"]))
        log_c = (float(np.log10(concentration_dutton_maccio(10.0**log_m200)))
                 + c["c_scatter"] * float(rng.standard_normal()))
        r_half = _loguniform(rng, *c["r_half_range"])
        beta0 = float(rng.uniform(*c["beta0_range"]))
        constant = bool(rng.uniform() < c["p_constant_beta"])
        r_a_ratio = _loguniform(rng, *c["r_a_range"])
        n_lo, n_hi = c["n_stars_range"]
        n_stars = int(round(_loguniform(rng, n_lo, n_hi)))
        v_err = _loguniform(rng, *c["v_err_range"])
        log_mstar_mhalo = float(rng.uniform(*c["log_mstar_mhalo_range"]))
        eta = _loguniform(rng, *c["corenfw_eta_range"])
        n_core = float(rng.uniform(*c["corenfw_n_range"]))
        gamma = float(rng.uniform(*c["zhao_gamma_range"]))
        alpha = float(rng.uniform(*c["zhao_alpha_range"]))
        beta = float(rng.uniform(*c["zhao_beta_range"]))
        nan = float("nan")
        return {
            "halo_family": family,
            "log_m200": log_m200,
            "c": 10.0**log_c,
            "log_mstar_mhalo": log_mstar_mhalo if family == "dc14" else nan,
            "r_c": eta * r_half if family == "corenfw" else nan,
            "n": n_core if family == "corenfw" else nan,
            "gamma": gamma if family == "zhao" else nan,
            "alpha": alpha if family == "zhao" else nan,
            "beta": beta if family == "zhao" else nan,
            "r_half": r_half,
            "beta0": beta0,
            "r_a": nan if constant else r_a_ratio * r_half,
            "n_stars": n_stars,
            "v_err_median": v_err,
        }

    def build_halo(self, params):
        """Return the dark-matter halo profile of a draw.

        Parameters
        ----------
        params : dict
            A draw (see `draw`).

        Returns
        -------
        `~dmprofile.profiles.DensityProfile`
            The halo.
        """
        from dmprofile import profiles

        family = str(params["halo_family"]).strip()
        m200 = 10.0 ** float(params["log_m200"]) * u.Msun
        c = float(params["c"])
        if family == "nfw":
            return profiles.NFW.from_M200_c(m200, c)
        if family == "dc14":
            return profiles.DC14(m200, c, log_mstar_mhalo=float(params["log_mstar_mhalo"]))
        if family == "corenfw":
            return profiles.CoreNFW.from_M200_c(m200, c, r_c=float(params["r_c"]) * u.kpc,
                                                n=float(params["n"]))
        if family == "zhao":
            return profiles.Zhao.from_M200_c(m200, c, alpha=float(params["alpha"]),
                                             beta=float(params["beta"]),
                                             gamma=float(params["gamma"]))
        msg = f"unknown halo family {family!r}"
        raise ValueError(msg)

    def build(self, params):
        """Build the galaxy model and the observation settings of a draw.

        Parameters
        ----------
        params : dict
            Output of `draw` (or a row of a suite's truth table with the same keys).

        Returns
        -------
        galaxy : `~dmprofile.simulate.DwarfGalaxy`
        observe_kwargs : dict
            Keyword arguments of `dmprofile.observe.observe` (``v_err``, ``v_err_scatter``,
            ``v_sys``, ``contamination``, ``binary_fraction``).

        Raises
        ------
        dmprofile.simulate.InconsistentModelError
            If the distribution function of the model is negative somewhere.
        """
        from dmprofile.profiles import Cuddeford, Plummer

        from ._dwarf import DwarfGalaxy

        halo = self.build_halo(params)
        tracer = Plummer(float(params["r_half"]) * u.kpc)
        r_a = float(params["r_a"])
        anisotropy = Cuddeford(float(params["beta0"]), r_a * u.kpc if np.isfinite(r_a) else None)
        galaxy = DwarfGalaxy(halo, tracer, anisotropy)
        observe_kwargs = {
            "v_err": float(params["v_err_median"]) * u.km / u.s,
            "v_err_scatter": self._config["v_err_scatter"],
            "v_sys": 0.0 * u.km / u.s,
            "contamination": self._config["contamination"],
            "binary_fraction": self._config["binary_fraction"],
        }
        return galaxy, observe_kwargs
