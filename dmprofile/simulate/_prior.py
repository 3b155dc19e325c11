"""The default prior of the dwarf-galaxy training suites."""

import importlib
import math

import numpy as np
from astropy import units as u

from ..profiles import concentration_dutton_maccio
from ._df import InconsistentModelError
from ._populations import TRACER_FAMILIES, CompositeDwarfGalaxy, make_tracer, mixture_half_radius

# concentration_dutton_maccio lives in dmprofile.profiles; it is re-exported here (and by
# dmprofile.simulate) under its old name.
__all__ = ["DefaultDwarfPrior", "concentration_dutton_maccio"]

_HALO_FAMILIES = ("dc14", "corenfw", "zhao", "nfw", "cored", "burkert")
_LEGACY_FAMILIES = {"dc14", "corenfw", "zhao", "nfw"}
_ANISOTROPY_FAMILIES = ("cuddeford", "osipkov_merritt")

# The keys of the draws before the broadened options, and the keys added with them (appended),
# with the value they take when unused (and in truth rows of suites that predate them).
_LEGACY_NAMES = ("halo_family", "log_m200", "c", "log_mstar_mhalo", "r_c", "n", "gamma",
                 "alpha", "beta", "r_half", "beta0", "r_a", "n_stars", "v_err_median")
_NEW_KEY_DEFAULTS = {"tracer_family": "plummer", "tracer_alpha": math.nan,
                     "tracer_beta": math.nan, "tracer_gamma": math.nan,
                     "anisotropy_family": "cuddeford", "compact_fraction": math.nan,
                     "r_half_ratio": math.nan, "beta0_2": math.nan, "r_a_2": math.nan}

# The broad preset of `DefaultDwarfPrior.broad` (issue 14: a prior as broad as real dwarfs).
_BROAD = {
    "family_weights": {"dc14": 0.25, "corenfw": 0.15, "zhao": 0.2, "nfw": 0.15, "cored": 0.15,
                       "burkert": 0.1},
    "tracer_weights": {"plummer": 0.4, "zhao": 0.3, "exponential": 0.3},
    "p_two_populations": 0.3,
    "anisotropy_weights": {"cuddeford": 0.8, "osipkov_merritt": 0.2},
    "beta0_range": (-0.45, 0.5),
    "r_a_range": (0.3, 30.0),
    "n_stars_range": (30, 20000),
    "v_err_range": (0.5, 5.0),
}


def _loguniform(rng, lo, hi):
    return float(10.0 ** rng.uniform(math.log10(lo), math.log10(hi)))


def _weights(name, value, allowed):
    """Check a dict of relative weights over ``allowed``; return it with float values, sorted."""
    weights = dict(value)
    bad = set(weights) - set(allowed)
    if bad or not weights or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        names = ", ".join(f"'{a}'" for a in allowed)
        msg = (f"'{name}' must map a subset of {names} to non-negative weights with a positive "
               f"sum, got {weights}")
        raise ValueError(msg)
    return {k: float(v) for k, v in sorted(weights.items())}


def _choose(rng, weights):
    names = list(weights)
    p = np.array([weights[k] for k in names])
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def _text(value):
    return (value.decode() if isinstance(value, bytes) else str(value)).strip()


class DefaultDwarfPrior:
    """The documented default prior of the dwarf-galaxy training suites.

    One draw (`draw`) is a dict of plain numbers describing a dwarf galaxy and how it is
    observed; `build` turns it into a `~dmprofile.simulate.DwarfGalaxy` (or a
    `~dmprofile.simulate.CompositeDwarfGalaxy` of two stellar populations) and the keyword
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

    Broadened options (issue 14), all off by default: more halo families (``"cored"``: coreNFW
    with a core r_c independent of R_half, log-uniform in ``cored_r_c_range`` = [0.15, 1.5] kpc,
    and n uniform in ``cored_n_range`` = [0.8, 1]; ``"burkert"``: Burkert (1995) with core radius
    r_0 = r200 / c, c from the c-M relation), more tracer families (``tracer_weights``: Zhao
    (alpha, beta, gamma) stellar profiles and the spherical exponential; every tracer is scaled
    to the drawn projected half-light radius), a second stellar population (probability
    ``p_two_populations``) and Osipkov-Merritt anisotropy as its own family
    (``anisotropy_weights``). `broad` is the preset that uses them. A prior whose broadened
    options all keep their defaults draws exactly the values it drew before they existed (same
    keys, same values, same use of the random generator), so that existing suites and the
    bundled models' cards stay reproducible. Baes & van Hese (2007) anisotropy
    (`~dmprofile.profiles.BaesVanHese`) is not offered: it has no exact distribution function
    in this simulator (only the Cuddeford family has one).

    Parameters
    ----------
    **kwargs
        The settings of the prior, by keyword (any subset; the others keep their defaults):

        family_weights : dict
            Relative probability of each halo family among ``"dc14"``, ``"corenfw"``, ``"zhao"``,
            ``"nfw"``, ``"cored"``, ``"burkert"``.
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
            Range of the projected half-light radius of all the stars, kpc (log-uniform).
        beta0_range : tuple of float
            Range of the central anisotropy, in [-0.5, 1). A draw with beta0 above half
            the central slope of the tracer (0 for Plummer and exponential tracers, gamma / 2
            for Zhao tracers) is rejected (An & Evans 2006).
        r_a_range : tuple of float
            Range of r_a / R_half (log-uniform).
        p_constant_beta : float
            Probability of an infinite anisotropy radius (Cuddeford family only).
        n_stars_range : tuple of int
            Range of the number of stars (log-uniform).
        v_err_range : tuple of float
            Range of the median velocity error, km/s (log-uniform).
        v_err_scatter : float
            Star-to-star scatter of the velocity errors, dex.
        contamination, binary_fraction : float
            Passed to `dmprofile.observe.observe`.
        tracer_weights : dict
            Relative probability of each tracer family among ``"plummer"``, ``"zhao"``,
            ``"exponential"`` (default Plummer only).
        tracer_alpha_range, tracer_beta_range, tracer_gamma_range : tuple of float
            Ranges of the shape (alpha, beta, gamma) of the Zhao tracers (default [0.5, 3],
            [3.5, 6], [0, 1]; beta stays above 3.5, where the stars beyond the halo's
            sampling grid are a negligible fraction, gamma below 2).
        p_two_populations : float
            Probability of a second stellar population (default 0): then the stars are a
            compact and an extended population of the same tracer family and shape whose
            projected half-light radii have the ratio ``r_half_ratio`` (log-uniform in
            ``r_half_ratio_range``, default [1.5, 4]), with a fraction ``compact_fraction``
            of the stars (uniform in ``compact_fraction_range``, default [0.2, 0.8]) in the
            compact one, scaled so that all the stars together have the drawn projected
            half-light radius. Each population has its own anisotropy, drawn alike (the same
            family; ``beta0``, ``r_a`` for the compact and ``beta0_2``, ``r_a_2`` for the
            extended one, r_a in units of the R_half of all the stars).
        r_half_ratio_range, compact_fraction_range : tuple of float
            See ``p_two_populations``.
        anisotropy_weights : dict
            Relative probability of each anisotropy family among ``"cuddeford"`` (above) and
            ``"osipkov_merritt"`` (beta0 = 0, r_a drawn as above and always finite); default
            Cuddeford only.
        cored_r_c_range, cored_n_range : tuple of float
            Ranges of the core radius (kpc, log-uniform) and n of the ``"cored"`` halos.

    Attributes
    ----------
    param_names : tuple of str
        The keys of the draws, in order. The class attribute lists all of them; a prior whose
        broadened options all keep their defaults draws (and a suite of it stores) only the
        first 14, as before these options existed.

    See Also
    --------
    dmprofile.simulate.DwarfGalaxy, dmprofile.simulate.CompositeDwarfGalaxy

    References
    ----------
    An, J. H. & Evans, N. W. 2006, ApJ, 642, 752. Baes, M. & van Hese, E. 2007, A&A, 471, 419.
    Burkert, A. 1995, ApJ, 447, L25. Cuddeford, P. 1991, MNRAS, 253, 414. Di Cintio, A. et al.
    2014, MNRAS, 441, 2986. Dutton, A. A. & Maccio, A. V. 2014, MNRAS, 441, 3359. Read, J. I.,
    Agertz, O. & Collins, M. L. M. 2016, MNRAS, 459, 2573. Zhao, H. 1996, MNRAS, 278, 488.

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
    >>> broad = DefaultDwarfPrior.broad()
    >>> broad.draw(np.random.default_rng(1))["tracer_family"] in ("plummer", "zhao", "exponential")
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
        # broadened options (issue 14); at these values they change nothing
        "tracer_weights": {"plummer": 1.0},
        "tracer_alpha_range": (0.5, 3.0),
        "tracer_beta_range": (3.5, 6.0),
        "tracer_gamma_range": (0.0, 1.0),
        "p_two_populations": 0.0,
        "r_half_ratio_range": (1.5, 4.0),
        "compact_fraction_range": (0.2, 0.8),
        "anisotropy_weights": {"cuddeford": 1.0},
        "cored_r_c_range": (0.15, 1.5),
        "cored_n_range": (0.8, 1.0),
    }
    _new_options = ("tracer_weights", "tracer_alpha_range", "tracer_beta_range",
                    "tracer_gamma_range", "p_two_populations", "r_half_ratio_range",
                    "compact_fraction_range", "anisotropy_weights", "cored_r_c_range",
                    "cored_n_range")
    _weight_options = {"family_weights": _HALO_FAMILIES, "tracer_weights": TRACER_FAMILIES,
                       "anisotropy_weights": _ANISOTROPY_FAMILIES}

    #: Keys of the draws, in order (family parameters not used by a family are NaN; the keys
    #: after ``v_err_median`` are drawn only when a broadened option is used).
    param_names = _LEGACY_NAMES + tuple(_NEW_KEY_DEFAULTS)

    def __init__(self, **kwargs):
        unknown = set(kwargs) - set(self._defaults)
        if unknown:
            msg = (f"unknown prior parameter(s) {sorted(unknown)}; "
                   f"valid ones are {sorted(self._defaults)}")
            raise TypeError(msg)
        config = {**self._defaults, **kwargs}
        for key, allowed in self._weight_options.items():
            config[key] = _weights(key, config[key], allowed)
        for key, value in config.items():
            if key.endswith("_range"):
                lo, hi = (float(v) for v in value)
                if not lo <= hi:
                    msg = f"'{key}' must be (low, high) with low <= high, got {value}"
                    raise ValueError(msg)
                config[key] = (lo, hi)
            elif key not in self._weight_options:
                config[key] = float(value)
        self._check(config)
        self._config = config
        defaults = {k: _weights(k, v, self._weight_options[k]) if k in self._weight_options
                    else v for k, v in self._defaults.items()}
        self._new_defaults = {k: defaults[k] for k in self._new_options}
        self._broadened = (any(config[k] != defaults[k] for k in self._new_options)
                           or not set(config["family_weights"]) <= _LEGACY_FAMILIES)
        if not self._broadened:
            self.param_names = type(self).param_names[:len(_LEGACY_NAMES)]

    @staticmethod
    def _check(config):
        for key in ("p_constant_beta", "p_two_populations"):
            if not 0 <= config[key] <= 1:
                msg = f"'{key}' must lie in [0, 1], got {config[key]}"
                raise ValueError(msg)
        if config["log_mstar_mhalo_range"][0] < -4.1 or config["log_mstar_mhalo_range"][1] > -1.3:
            msg = "'log_mstar_mhalo_range' must lie inside the DC14 validity range [-4.1, -1.3]"
            raise ValueError(msg)
        limits = {"beta0_range": (-0.5, 1.0, "in [-0.5, 1)", True),
                  "tracer_alpha_range": (0.0, math.inf, "above 0", False),
                  "tracer_beta_range": (3.0, math.inf, "above 3 (finite stellar mass)", False),
                  "tracer_gamma_range": (0.0, 2.0, "in [0, 2)", True),
                  "r_half_ratio_range": (1.0, math.inf, "at or above 1", True),
                  "compact_fraction_range": (0.0, 1.0, "inside (0, 1)", False),
                  "cored_r_c_range": (0.0, math.inf, "above 0", False),
                  "cored_n_range": (0.0, 1.0, "in [0, 1]", True)}
        for key, (lo, hi, text, closed) in limits.items():
            a, b = config[key]
            inside = (lo <= a if closed else lo < a) and (b <= hi if key == "cored_n_range"
                                                          else b < hi)
            if not inside:
                msg = f"'{key}' must lie {text}, got {config[key]}"
                raise ValueError(msg)

    @classmethod
    def broad(cls, **kwargs):
        """Return the broad preset: a training prior as broad as the real dwarfs (issue 14).

        On top of the defaults: halo families DC14 25 %, coreNFW 15 %, Zhao 20 %, NFW 15 %,
        cored (coreNFW with r_c in [0.15, 1.5] kpc, independent of R_half) 15 %, Burkert 10 %;
        tracers Plummer 40 %, Zhao 30 %, exponential 30 %; a second stellar population with
        probability 0.3; anisotropy Cuddeford 80 % (beta0 in [-0.45, 0.5]: tangential to
        radial at the centre, within the consistency limit of each tracer; r_a / R_half in
        [0.3, 30], radial outside r_a) or Osipkov-Merritt 20 %; N stars in [30, 20000];
        median velocity errors in [0.5, 5] km/s.

        Parameters
        ----------
        **kwargs
            Settings that replace those of the preset (see `DefaultDwarfPrior`).

        Returns
        -------
        `DefaultDwarfPrior`
            The prior (an instance of the class it is called on).

        Examples
        --------
        >>> from dmprofile.simulate import DefaultDwarfPrior
        >>> DefaultDwarfPrior.broad().n_stars_range
        (30.0, 20000.0)
        """
        return cls(**{**_BROAD, **kwargs})

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
        """JSON-friendly description (class path and parameters), for suite manifests.

        The broadened options are listed only where they differ from their defaults, so that
        the description of a prior that draws as before is the one written before.

        Returns
        -------
        dict
            ``class`` (dotted name) and ``parameters``.
        """
        params = {}
        for key, value in self._config.items():
            if key in self._new_defaults and value == self._new_defaults[key]:
                continue
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
            Plain floats/str/int with keys ``param_names``: ``halo_family``, ``log_m200``
            [log10 Msun], ``c``, the family parameters (``log_mstar_mhalo`` for DC14; ``r_c``
            [kpc], ``n`` for coreNFW and cored; ``r_c`` = r200 / c for Burkert; ``gamma``,
            ``alpha``, ``beta`` for Zhao; NaN otherwise), ``r_half`` [kpc], ``beta0``, ``r_a``
            [kpc, NaN = infinite], ``n_stars``, ``v_err_median`` [km/s]; with the broadened
            options also ``tracer_family``, ``tracer_alpha``, ``tracer_beta``, ``tracer_gamma``
            (Zhao tracers; NaN otherwise), ``anisotropy_family``, and for two populations
            ``compact_fraction``, ``r_half_ratio``, ``beta0_2``, ``r_a_2`` (NaN for one).
        """
        c = self._config
        # fixed order of the random draws: every parameter is drawn whatever the family
        family = _choose(rng, c["family_weights"])
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
        out = {
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
        if self._broadened:
            # drawn after all the others, so that the draws above are those of the default
            out.update(self._draw_broadened(rng, out, r_a_ratio))
        return {name: out[name] for name in self.param_names}

    def _draw_broadened(self, rng, out, r_a_ratio):
        """Draw the broadened options (fixed order: every one is drawn every time)."""
        c = self._config
        nan = float("nan")
        tracer = _choose(rng, c["tracer_weights"])
        shape = {f"tracer_{p}": float(rng.uniform(*c[f"tracer_{p}_range"]))
                 for p in ("alpha", "beta", "gamma")}
        aniso = _choose(rng, c["anisotropy_weights"])
        two = bool(rng.uniform() < c["p_two_populations"])
        ratio = _loguniform(rng, *c["r_half_ratio_range"])
        fraction = float(rng.uniform(*c["compact_fraction_range"]))
        beta0_2 = float(rng.uniform(*c["beta0_range"]))
        constant_2 = bool(rng.uniform() < c["p_constant_beta"])
        r_a_ratio_2 = _loguniform(rng, *c["r_a_range"])
        r_c = _loguniform(rng, *c["cored_r_c_range"])
        n_core = float(rng.uniform(*c["cored_n_range"]))
        r_half = out["r_half"]
        new = {"tracer_family": tracer, "anisotropy_family": aniso,
               "compact_fraction": fraction if two else nan,
               "r_half_ratio": ratio if two else nan,
               "beta0_2": beta0_2 if two else nan,
               "r_a_2": nan if (constant_2 and aniso == "cuddeford") else r_a_ratio_2 * r_half}
        new.update({k: v if tracer == "zhao" else nan for k, v in shape.items()})
        if not two:
            new["r_a_2"] = nan
        if aniso == "osipkov_merritt":
            new["beta0"] = 0.0
            new["r_a"] = r_a_ratio * r_half
            if two:
                new["beta0_2"] = 0.0
        family = out["halo_family"]
        if family == "cored":
            new.update(r_c=r_c, n=n_core)
        elif family == "burkert":
            r200 = float(_r200(10.0 ** out["log_m200"]))
            new["r_c"] = r200 / out["c"]
        return new

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

        family = _text(params["halo_family"])
        m200 = 10.0 ** float(params["log_m200"]) * u.Msun
        c = float(params["c"])
        if family == "nfw":
            return profiles.NFW.from_M200_c(m200, c)
        if family == "dc14":
            return profiles.DC14(m200, c, log_mstar_mhalo=float(params["log_mstar_mhalo"]))
        if family in ("corenfw", "cored"):
            return profiles.CoreNFW.from_M200_c(m200, c, r_c=float(params["r_c"]) * u.kpc,
                                                n=float(params["n"]))
        if family == "zhao":
            return profiles.Zhao.from_M200_c(m200, c, alpha=float(params["alpha"]),
                                             beta=float(params["beta"]),
                                             gamma=float(params["gamma"]))
        if family == "burkert":
            return profiles.Burkert.from_M200_c(m200, c)
        msg = f"unknown halo family {family!r}"
        raise ValueError(msg)

    def build(self, params):
        """Build the galaxy model and the observation settings of a draw.

        Parameters
        ----------
        params : dict
            Output of `draw` (or a row of a suite's truth table with the same keys). Keys
            added with the broadened options may be missing (draws and suites of a prior that
            does not use them): they then take their defaults (one Plummer population,
            Cuddeford anisotropy).

        Returns
        -------
        galaxy : `~dmprofile.simulate.DwarfGalaxy` or `~dmprofile.simulate.CompositeDwarfGalaxy`
            The galaxy; composite when the draw has two populations.
        observe_kwargs : dict
            Keyword arguments of `dmprofile.observe.observe` (``v_err``, ``v_err_scatter``,
            ``v_sys``, ``contamination``, ``binary_fraction``).

        Raises
        ------
        dmprofile.simulate.InconsistentModelError
            If the distribution function of the model (of either population) is negative
            somewhere.
        """
        from ._dwarf import DwarfGalaxy

        params = {**_NEW_KEY_DEFAULTS, **params}
        halo = self.build_halo(params)
        family = _text(params["tracer_family"])
        shape = {p: float(params[f"tracer_{p}"]) for p in ("alpha", "beta", "gamma")}
        aniso = _text(params["anisotropy_family"])
        r_half = float(params["r_half"])
        fraction = float(params["compact_fraction"])
        if not np.isfinite(fraction):
            tracer = make_tracer(family, r_half, **shape)
            galaxy = DwarfGalaxy(halo, tracer, _anisotropy(aniso, params["beta0"], params["r_a"]))
        else:
            ratio = float(params["r_half_ratio"])
            unit = [make_tracer(family, 1.0, **shape), make_tracer(family, ratio, **shape)]
            scale = r_half / mixture_half_radius(unit, [fraction, 1.0 - fraction])
            tracers = [make_tracer(family, scale, **shape),
                       make_tracer(family, ratio * scale, **shape)]
            anisotropies = [_anisotropy(aniso, params["beta0"], params["r_a"]),
                            _anisotropy(aniso, params["beta0_2"], params["r_a_2"])]
            populations = []
            for name, tracer, anisotropy in zip(("compact", "extended"), tracers, anisotropies):
                try:
                    populations.append(DwarfGalaxy(halo, tracer, anisotropy))
                except InconsistentModelError as exc:
                    msg = f"{name} population: {exc}"
                    raise InconsistentModelError(msg, reason=exc.reason) from None
            galaxy = CompositeDwarfGalaxy(populations, [fraction, 1.0 - fraction])
        observe_kwargs = {
            "v_err": float(params["v_err_median"]) * u.km / u.s,
            "v_err_scatter": self._config["v_err_scatter"],
            "v_sys": 0.0 * u.km / u.s,
            "contamination": self._config["contamination"],
            "binary_fraction": self._config["binary_fraction"],
        }
        return galaxy, observe_kwargs


def _anisotropy(family, beta0, r_a):
    """Return the anisotropy of a draw: Cuddeford(beta0, r_a) or Osipkov-Merritt(r_a)."""
    from dmprofile.profiles import Cuddeford, OsipkovMerritt

    r_a = float(r_a)
    if family == "cuddeford":
        return Cuddeford(float(beta0), r_a * u.kpc if np.isfinite(r_a) else None)
    if family == "osipkov_merritt":
        return OsipkovMerritt(r_a * u.kpc) if np.isfinite(r_a) else Cuddeford(0.0, None)
    msg = f"unknown anisotropy family {family!r}; valid ones are {_ANISOTROPY_FAMILIES}"
    raise ValueError(msg)


def _r200(m200):
    """r200 [kpc] of a halo of mass m200 [Msun] (Planck 2018, 200 x critical)."""
    from astropy.cosmology import Planck18

    from ..profiles import critical_density
    from ..profiles.kernels import r200_from_M200

    return r200_from_M200(m200, critical_density(Planck18.H0), 200)
