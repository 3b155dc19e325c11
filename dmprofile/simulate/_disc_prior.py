"""`DefaultDiscPrior`: the documented population of disc galaxies and how they are observed."""

import importlib
import math

import numpy as np
from astropy import units as u
from scipy import optimize

from ..profiles import concentration_colossus, dutton10_halo_mass, kernels
from ..profiles import moster13_stellar_mass as _moster
from ._disc_relations import (
    baldry12_log_smf,
    bulge_fraction_mean,
    hi_hole_for_diameter,
    huang12_log_hi_mass,
    shen03_early_log_r50,
    shen03_late_log_r50,
    shen03_late_sigma_ln_r,
    wang16_log_hi_diameter,
)

__all__ = ["DefaultDiscPrior", "INSTRUMENTS"]

_BANDS = ("u", "g", "r", "i", "z")
# Di Cintio et al. (2014) calibrated the core formation on haloes below the peak of the
# stellar-to-halo-mass relation; above it cores come from AGN feedback (agn_core_max).
_CORE_MAX_LOG_M200 = 12.0

#: The instrument presets. ``"paper"``: de los Rios et al. (2023): distance uniform in 10-20 Mpc,
#: 128 x 128 pixels over 17.2', SDSS PSF FWHM and median sky brightness of DR16, HI beam of 10",
#: 64 channels of 5 km/s, noise 5e-6 Jy/arcsec^2. ``"varied"``: wider ranges, so that networks
#: apply to data that differ from the paper's (distance 8-40 Mpc, PSF 0.8-1.6 times SDSS's, sky
#: 0.5 mag brighter to 0.5 mag darker, beam 6-30", noise 0.5-3 times the paper's, a wide band).
INSTRUMENTS = {
    "paper": {
        "distance_range": (10.0, 20.0), "fov_arcmin": 17.2, "npix": 128,
        "psf_fwhm_arcsec": {"u": 1.53, "g": 1.44, "r": 1.32, "i": 1.26, "z": 1.29},
        "sky_mag_arcsec2": {"u": 22.01, "g": 21.84, "r": 20.84, "i": 20.16, "z": 18.96},
        "psf_scale_range": (1.0, 1.0), "sky_offset_mag_range": (0.0, 0.0),
        "hi_beam_arcsec_range": (10.0, 10.0), "hi_noise_range": (5e-6, 5e-6),
        "hi_channel_kms": 5.0, "hi_n_channels": 64,
    },
    "varied": {
        "distance_range": (8.0, 40.0), "fov_arcmin": 17.2, "npix": 128,
        "psf_fwhm_arcsec": {"u": 1.53, "g": 1.44, "r": 1.32, "i": 1.26, "z": 1.29},
        "sky_mag_arcsec2": {"u": 22.01, "g": 21.84, "r": 20.84, "i": 20.16, "z": 18.96},
        "psf_scale_range": (0.8, 1.6), "sky_offset_mag_range": (-0.5, 0.5),
        "hi_beam_arcsec_range": (6.0, 30.0), "hi_noise_range": (2.5e-6, 1.5e-5),
        "hi_channel_kms": 5.0, "hi_n_channels": 0,
    },
}


def _loguniform(rng, lo, hi):
    value = float(10.0 ** rng.uniform(math.log10(lo), math.log10(hi)))
    return lo if lo == hi else value


def _uniform(rng, bounds):
    return float(rng.uniform(*bounds))


class DefaultDiscPrior:
    """The documented population of disc galaxies of the training suites, and the instrument.

    `draw` returns a dict of plain numbers (keys `param_names`); `galaxy` builds the
    `~dmprofile.simulate.DiscGalaxy` and `observation` the observing set-up as Quantities.
    The defaults and their sources:

    * **stellar mass** M* in [1e10, 1e12] Msun (the sample of de los Rios et al. 2023),
      log-uniform (``mstar_distribution="loguniform"``) or weighted by the stellar mass
      function of Baldry et al. (2012) (``"smf"``);
    * **halo mass** M200c, the mean halo mass of late-type galaxies at given M* of Dutton et
      al. (2010, eq. 3; `~dmprofile.profiles.dutton10_halo_mass`), from weak lensing and
      satellite kinematics, with a log-normal scatter: ``shmr_scatter`` = 0.11 dex in M* at
      fixed halo mass (blue centrals, Rodriguez-Puebla et al. 2015) times the local slope
      d log M200 / d log M* (0.5-1), kept inside ``log_m200_range``. Star-forming discs sit in
      lighter haloes than passive galaxies of the same M* (Mandelbaum et al. 2016; Posti et al.
      2019): the inverse of an all-galaxy relation (``halo_relation="moster13"``, Moster et al.
      2013) puts discs of M* > 3e11 Msun in cluster-scale haloes and makes them rotate at
      500-800 km/s;
    * **concentration** from colossus (Diemer 2018), model ``c_model`` (Diemer & Joyce 2019)
      with ``c_scatter`` = 0.16 dex log-normal scatter;
    * **halo response**: adiabatic contraction (Gnedin et al. 2004) with efficiency nu uniform
      in ``contraction_range`` [-1, 0.2], mostly an expansion (nu < 0, Dutton et al. 2007):
      with a Chabrier IMF, late types match the zero point of the Tully-Fisher relation only if
      their haloes expand (Dutton et al. 2011); contracted haloes (nu up to 1) put V_circ(2
      r_half) 0.03-0.05 dex higher, above the relation of Hall et al. (2012); a core
      tanh(r / r_c)^n (Read et al. 2016) with n uniform in [0, n_max], n_max = 1 - gamma(X)
      clipped to [0, 1], gamma the inner slope of Di Cintio et al. (2014) at X = log10(M*/M200)
      (cores where M*/M_halo favours them), for haloes below the peak of the stellar-to-halo
      relation (M200 < 1e12 Msun, where DC14 was calibrated); above it n uniform in
      [0, ``agn_core_max``] = [0, 0.5], the flattening by AGN feedback of massive haloes
      (Martizzi et al. 2012; Peirani et al. 2017); r_c / R_d log-uniform in
      ``core_radius_range``;
    * **disc size**: the late-type size-mass relation of Shen et al. (2003) with its scatter,
      R_d = R50 / 1.678; scale height R_d / z0 uniform in [5, 10] (Kregel et al. 2002: 7.3);
    * **bulge**: B/T from a Beta distribution (concentration 8) around the mean trend of
      `bulge_fraction_mean` (Mendel et al. 2014); Hernquist a = R_e / 1.8153 with R_e from the
      early-type relation of Shen et al. (2003) at the bulge mass, 0.15 dex scatter;
    * **HI**: M_HI from Huang et al. (2012) with ``hi_scatter`` = 0.3 dex; diameter from Wang et
      al. (2016) with 0.06 dex scatter; central depression q uniform in [0.2, 0.6], depth d in
      [0, 1], deepened where the drawn diameter needs it (``hi_hole_for_diameter``; an
      exponential disc reaches 1 Msun/pc^2 only at the median D_HI); turbulent dispersion
      6-12 km/s (Tamburro et al. 2009); scale height 0.1-0.4 kpc;
    * **stars**: mean disc age at the centre 6-11 Gyr, decreasing by 0-1.5 Gyr per R_d (inside-out
      growth); log10(Z/Z_sun) at the centre 0.2 (log M* - 10.5) - 0.05 +- 0.1 (approximating
      Gallazzi et al. 2005), gradient -0.2 to 0 dex per R_d; bulge ages 8-12 Gyr;
    * **environment**: Poisson numbers of satellites (mean 0.5) and field sources (mean 1);
    * **orientation**: isotropic inclination (cos i uniform), position angle uniform;
    * **instrument** (``instrument``): ``"varied"`` (default) or ``"paper"``, see `INSTRUMENTS`.

    Parameters
    ----------
    instrument : str or dict
        ``"paper"``, ``"varied"``, or a dict with the keys of `INSTRUMENTS` entries.
    **kwargs
        Any of the settings below (the others keep their defaults):

        log_mstar_range : tuple of float
            Range of log10(M* / Msun).
        mstar_distribution : str
            ``"loguniform"`` or ``"smf"``.
        halo_relation : str
            ``"dutton10"`` (late-type halo masses of Dutton et al. 2010, the default) or
            ``"moster13"`` (the inverse of the all-galaxy relation of Moster et al. 2013, whose
            own scatter is 0.15 dex: cluster-scale haloes above M* = 3e11 Msun).
        shmr_scatter : float
            Scatter of log M* at fixed halo mass, dex (0.11: blue centrals, Rodriguez-Puebla
            et al. 2015).
        log_m200_range : tuple of float
            Allowed log10(M200 / Msun).
        c_model : str
            colossus c-M model.
        c_scatter : float
            Scatter of log10 c, dex.
        contraction_range, core_radius_range, disc_thickness_range : tuple of float
            Ranges of nu, r_c / R_d (log-uniform) and R_d / z0.
        agn_core_max : float
            Largest core strength n of haloes above 1e12 Msun.
        dc14_core_scale : float
            Factor on the largest core strength n_max of haloes below 1e12 Msun (1; 0 turns
            their cores off: with ``agn_core_max=0`` and ``contraction_range=(0, 0)`` every
            halo is a plain NFW halo).
        hi_scatter : float
            Scatter of log M_HI, dex.
        satellites_mean, field_sources_mean : float
            Poisson means of the numbers of satellites and field sources.

    Examples
    --------
    >>> import numpy as np
    >>> from dmprofile.simulate import DefaultDiscPrior
    >>> prior = DefaultDiscPrior.paper()
    >>> params = prior.draw(np.random.default_rng(3))
    >>> 10.0 <= params["log_mstar"] <= 12.0 and 10.0 <= params["distance"] <= 20.0
    True
    >>> prior.galaxy(params)  # doctest: +ELLIPSIS
    <DiscGalaxy: M* = ... Msun (B/T = ...
    """

    _defaults = {
        "log_mstar_range": (10.0, 12.0),
        "mstar_distribution": "loguniform",
        "halo_relation": "dutton10",
        "shmr_scatter": 0.11,
        "log_m200_range": (10.8, 15.5),
        "c_model": "diemer19",
        "c_scatter": 0.16,
        "contraction_range": (-1.0, 0.2),
        "core_radius_range": (0.3, 2.0),
        "agn_core_max": 0.5,
        "dc14_core_scale": 1.0,
        "disc_thickness_range": (5.0, 10.0),
        "hi_scatter": 0.3,
        "satellites_mean": 0.5,
        "field_sources_mean": 1.0,
    }

    #: Keys of every draw, in order.
    param_names = ("log_mstar", "log_m200", "c", "contraction", "core_radius", "core_strength",
                   "disc_scale_length", "disc_scale_height", "bulge_fraction",
                   "bulge_scale_radius", "log_hi_mass", "hi_log_diameter", "hi_hole_ratio",
                   "hi_hole_depth", "hi_dispersion", "hi_scale_height", "age_centre",
                   "age_gradient", "age_bulge", "log_z_centre", "log_z_gradient", "log_z_bulge",
                   "satellites", "field_sources", "inclination", "position_angle", "distance",
                   "psf_scale", "sky_offset_mag", "hi_beam_fwhm", "hi_noise")

    def __init__(self, *, instrument="varied", **kwargs):
        unknown = set(kwargs) - set(self._defaults)
        if unknown:
            msg = (f"unknown prior parameter(s) {sorted(unknown)}; "
                   f"valid ones are {sorted(self._defaults)}")
            raise TypeError(msg)
        config = {**self._defaults, **kwargs}
        for key, value in config.items():
            if key.endswith("_range"):
                lo, hi = (float(v) for v in value)
                if not lo <= hi:
                    msg = f"'{key}' must be (low, high) with low <= high, got {value}"
                    raise ValueError(msg)
                config[key] = (lo, hi)
            elif key not in ("mstar_distribution", "c_model", "halo_relation"):
                config[key] = float(value)
                if not config[key] >= 0:
                    msg = f"'{key}' must be >= 0, got {value}"
                    raise ValueError(msg)
        if config["mstar_distribution"] not in ("loguniform", "smf"):
            msg = (f"'mstar_distribution' must be 'loguniform' or 'smf', "
                   f"got {config['mstar_distribution']!r}")
            raise ValueError(msg)
        if config["halo_relation"] not in ("dutton10", "moster13"):
            msg = (f"'halo_relation' must be 'dutton10' or 'moster13', "
                   f"got {config['halo_relation']!r}")
            raise ValueError(msg)
        lo, hi = config["log_mstar_range"]
        if lo < 9.0 or hi > 12.5:
            msg = f"'log_mstar_range' must lie inside [9, 12.5], got {(lo, hi)}"
            raise ValueError(msg)
        self._config = config
        self._instrument = self._check_instrument(instrument)

    @staticmethod
    def _check_instrument(instrument):
        if isinstance(instrument, str):
            if instrument not in INSTRUMENTS:
                msg = (f"argument 'instrument' must be one of {sorted(INSTRUMENTS)} or a dict, "
                       f"got {instrument!r}")
                raise ValueError(msg)
            return {"name": instrument, **INSTRUMENTS[instrument]}
        if not isinstance(instrument, dict):
            msg = f"argument 'instrument' must be a str or a dict, got {type(instrument).__name__}"
            raise TypeError(msg)
        missing = set(INSTRUMENTS["paper"]) - set(instrument)
        if missing:
            msg = f"argument 'instrument' misses the key(s) {sorted(missing)}"
            raise ValueError(msg)
        out = {"name": "custom", **instrument}
        for key in out:
            if key.endswith("_range"):
                out[key] = tuple(float(v) for v in out[key])
        return out

    @classmethod
    def paper(cls, **kwargs):
        """Return the prior with the instrument of de los Rios et al. (2023).

        Parameters
        ----------
        **kwargs
            Other settings, as for the constructor.

        Returns
        -------
        `DefaultDiscPrior`
            The prior, ``instrument="paper"``.
        """
        return cls(instrument="paper", **kwargs)

    @property
    def instrument(self):
        """dict: the instrument settings (plain numbers: Mpc, arcsec, arcmin, km/s, Jy/arcsec^2)."""
        return {k: (dict(v) if isinstance(v, dict) else v) for k, v in self._instrument.items()}

    def __getattr__(self, name):
        config = self.__dict__.get("_config", {})
        if name in config:
            return config[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute {name!r}")

    def __repr__(self):
        changed = {k: v for k, v in self._config.items() if self._defaults.get(k) != v}
        inner = ", ".join([f"instrument={self._instrument['name']!r}",
                           *(f"{k}={v!r}" for k, v in changed.items())])
        return f"<{type(self).__name__}({inner})>"

    def __eq__(self, other):
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    __hash__ = None

    def to_dict(self):
        """Return a JSON-friendly description (class path, settings, instrument).

        Returns
        -------
        dict
            ``class``, ``parameters`` and ``instrument``.
        """
        def plain(value):
            if isinstance(value, tuple):
                return list(value)
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            return value

        cls = type(self)
        module = cls.__module__
        if module.startswith("dmprofile.simulate."):
            module = "dmprofile.simulate"
        instrument = plain(self._instrument)
        return {"class": f"{module}.{cls.__qualname__}",
                "parameters": plain(self._config), "instrument": instrument}

    @classmethod
    def from_dict(cls, description):
        """Rebuild a prior from `to_dict` output.

        Parameters
        ----------
        description : dict
            The output of `to_dict`.

        Returns
        -------
        `DefaultDiscPrior`
            The prior, an instance of the class named. A description without
            ``halo_relation`` (written by dmprofile before it existed) gets ``"moster13"``.
        """
        module, _, name = description["class"].rpartition(".")
        klass = getattr(importlib.import_module(module), name)
        if not (isinstance(klass, type) and issubclass(klass, DefaultDiscPrior)):
            msg = f"{description['class']} is not a DefaultDiscPrior subclass"
            raise TypeError(msg)
        instrument = dict(description["instrument"])
        name = instrument.pop("name", "custom")
        parameters = dict(description["parameters"])
        # descriptions written before 'halo_relation' existed used Moster et al. (2013)
        parameters.setdefault("halo_relation", "moster13")
        return klass(instrument=name if name in INSTRUMENTS else instrument, **parameters)

    # ------------------------------------------------------------------ drawing
    def _draw_log_mstar(self, rng):
        lo, hi = self._config["log_mstar_range"]
        if self._config["mstar_distribution"] == "loguniform":
            return _uniform(rng, (lo, hi))
        grid = np.linspace(lo, hi, 512)
        cdf = np.cumsum(10.0 ** baldry12_log_smf(grid))
        return float(np.interp(rng.uniform(0.0, cdf[-1]), cdf, grid))

    def _log_m200_median(self, log_mstar):
        """Return the median log10 M200 at log10 M* and d log M200 / d log M* there."""
        if self._config["halo_relation"] == "dutton10":
            def log_mh(log_ms):
                return math.log10(dutton10_halo_mass(10.0**log_ms * u.Msun).to_value(u.Msun))

            median = log_mh(log_mstar)
            return median, (log_mh(log_mstar + 0.01) - log_mh(log_mstar - 0.01)) / 0.02

        def log_ms(log_mh):
            return math.log10(_moster(10.0**log_mh * u.Msun).to_value(u.Msun))

        median = optimize.brentq(lambda x: log_ms(x) - log_mstar, 9.0, 17.0, xtol=1e-8)
        return median, 0.02 / (log_ms(median + 0.01) - log_ms(median - 0.01))

    def _draw_log_m200(self, rng, log_mstar):
        median, slope = self._log_m200_median(log_mstar)
        scatter = self._config["shmr_scatter"] * slope
        return float(np.clip(median + scatter * rng.standard_normal(),
                             *self._config["log_m200_range"]))

    def _core_strength_max(self, log_mstar, log_m200):
        """Return 1 - gamma_DC14(M*/M200) in [0, 1] below the SHMR peak, else agn_core_max."""
        if log_m200 >= _CORE_MAX_LOG_M200:
            return self._config["agn_core_max"]
        x = float(np.clip(log_mstar - log_m200, -4.1, -1.3))
        n_max = float(np.clip(1.0 - kernels.dc14_shape(x)[2], 0.0, 1.0))
        return self._config["dc14_core_scale"] * n_max

    def draw(self, rng):
        """Draw the parameters of one galaxy and of its observation.

        Parameters
        ----------
        rng : `~numpy.random.Generator`
            The random stream.

        Returns
        -------
        dict
            Plain numbers with keys `param_names`: masses as log10 Msun, lengths in kpc, ages
            in Gyr, velocities in km/s, angles in degrees, ``distance`` in Mpc,
            ``hi_beam_fwhm`` in arcsec, ``hi_noise`` in Jy/arcsec^2.
        """
        c = self._config
        log_mstar = self._draw_log_mstar(rng)
        log_m200 = self._draw_log_m200(rng, log_mstar)
        conc = concentration_colossus(10.0**log_m200 * u.Msun, model=c["c_model"])
        conc = float(conc * 10.0 ** (c["c_scatter"] * rng.standard_normal()))
        log_r50 = float(shen03_late_log_r50(log_mstar)) + float(
            shen03_late_sigma_ln_r(log_mstar)) / math.log(10) * rng.standard_normal()
        r_d = 10.0**log_r50 / 1.678
        bt_mean = float(bulge_fraction_mean(log_mstar))
        bt = min(float(rng.beta(8 * bt_mean, 8 * (1 - bt_mean))), 0.9)
        log_re_bulge = float(shen03_early_log_r50(log_mstar + math.log10(max(bt, 1e-3))))
        a_bulge = 10.0 ** (log_re_bulge + 0.15 * rng.standard_normal()) / 1.8153
        log_hi = float(huang12_log_hi_mass(log_mstar)) + c["hi_scatter"] * rng.standard_normal()
        n_max = self._core_strength_max(log_mstar, log_m200)
        params = {
            "log_mstar": log_mstar, "log_m200": log_m200, "c": conc,
            "contraction": _uniform(rng, c["contraction_range"]),
            "core_radius": r_d * _loguniform(rng, *c["core_radius_range"]),
            "core_strength": n_max * float(rng.uniform()),
            "disc_scale_length": r_d,
            "disc_scale_height": r_d / _uniform(rng, c["disc_thickness_range"]),
            "bulge_fraction": bt, "bulge_scale_radius": a_bulge, "log_hi_mass": log_hi,
            "hi_log_diameter": float(wang16_log_hi_diameter(log_hi))
            + 0.06 * rng.standard_normal(),
            "hi_hole_ratio": _uniform(rng, (0.2, 0.6)), "hi_hole_depth": float(rng.uniform()),
            "hi_dispersion": _uniform(rng, (6.0, 12.0)),
            "hi_scale_height": _uniform(rng, (0.1, 0.4)),
            "age_centre": _uniform(rng, (6.0, 11.0)), "age_gradient": _uniform(rng, (0.0, 1.5)),
            "age_bulge": _uniform(rng, (8.0, 12.0)),
            "log_z_centre": 0.2 * (log_mstar - 10.5) - 0.05 + 0.1 * rng.standard_normal(),
            "log_z_gradient": _uniform(rng, (-0.2, 0.0)),
        }
        params["hi_hole_ratio"], params["hi_hole_depth"] = hi_hole_for_diameter(
            10.0**log_hi, params["hi_hole_ratio"], params["hi_hole_depth"],
            params["hi_log_diameter"])
        params["log_z_bulge"] = params["log_z_centre"] + 0.05
        params["satellites"] = int(rng.poisson(c["satellites_mean"]))
        params["field_sources"] = int(rng.poisson(c["field_sources_mean"]))
        params.update(self._draw_observation(rng))
        return {k: params[k] for k in self.param_names}

    def draw_observation(self, rng):
        """Draw the orientation, distance and instrument of one observation of a galaxy.

        A training suite observes each galaxy several times: `draw` gives the galaxy with one
        observation, this the further ones.

        Parameters
        ----------
        rng : `~numpy.random.Generator`
            The random stream.

        Returns
        -------
        dict
            ``inclination`` and ``position_angle`` [deg], ``distance`` [Mpc], ``psf_scale``,
            ``sky_offset_mag``, ``hi_beam_fwhm`` [arcsec] and ``hi_noise`` [Jy/arcsec^2].
        """
        return self._draw_observation(rng)

    def _draw_observation(self, rng):
        ins = self._instrument
        return {
            "inclination": math.degrees(math.acos(rng.uniform(0.0, 1.0))),
            "position_angle": _uniform(rng, (0.0, 360.0)),
            "distance": _uniform(rng, ins["distance_range"]),
            "psf_scale": _uniform(rng, ins["psf_scale_range"]),
            "sky_offset_mag": _uniform(rng, ins["sky_offset_mag_range"]),
            "hi_beam_fwhm": _uniform(rng, ins["hi_beam_arcsec_range"]),
            "hi_noise": _loguniform(rng, *ins["hi_noise_range"]),
        }

    # ------------------------------------------------------------------ building
    def galaxy(self, params):
        """Build the galaxy of a draw.

        Parameters
        ----------
        params : dict
            Output of `draw` (or a truth row with the same keys).

        Returns
        -------
        `~dmprofile.simulate.DiscGalaxy`
            The galaxy.
        """
        from ._disc import DiscGalaxy
        from ._disc_relations import hi_profile_scale

        p = {k: float(params[k]) for k in self.param_names}
        m_hi = 10.0 ** p["log_hi_mass"]
        r1, _ = hi_profile_scale(m_hi, p["hi_hole_ratio"], p["hi_hole_depth"],
                                 log_diameter=p["hi_log_diameter"])
        kpc, gyr = u.kpc, u.Gyr
        return DiscGalaxy(
            stellar_mass=10.0 ** p["log_mstar"] * u.Msun,
            disc_scale_length=p["disc_scale_length"] * kpc, m200=10.0 ** p["log_m200"] * u.Msun,
            c=p["c"], hi_mass=m_hi * u.Msun, bulge_fraction=p["bulge_fraction"],
            bulge_scale_radius=p["bulge_scale_radius"] * kpc,
            disc_scale_height=p["disc_scale_height"] * kpc, hi_scale_length=r1 * kpc,
            hi_hole_ratio=p["hi_hole_ratio"], hi_hole_depth=p["hi_hole_depth"],
            hi_scale_height=p["hi_scale_height"] * kpc,
            hi_dispersion=p["hi_dispersion"] * u.km / u.s, contraction=p["contraction"],
            core_radius=p["core_radius"] * kpc, core_strength=p["core_strength"],
            stellar_ages=(p["age_centre"] * gyr, p["age_gradient"] * gyr, p["age_bulge"] * gyr),
            stellar_log_z=(p["log_z_centre"], p["log_z_gradient"], p["log_z_bulge"]))

    def observation(self, params):
        """Return the observing set-up of a draw, as Quantities.

        Parameters
        ----------
        params : dict
            Output of `draw`.

        Returns
        -------
        dict
            ``distance``, ``inclination``, ``position_angle``, ``fov``, ``npix``,
            ``psf_fwhm`` and ``sky_brightness`` (dicts by band ugriz; the PSF scaled by
            ``psf_scale``, the sky shifted by ``sky_offset_mag``), ``beam_fwhm``, ``noise``
            [Jy/arcsec^2], ``channel_width``, ``n_channels`` (0: wide enough for the galaxy).
        """
        ins = self._instrument
        arcsec = u.arcsec
        return {
            "distance": float(params["distance"]) * u.Mpc,
            "inclination": float(params["inclination"]) * u.deg,
            "position_angle": float(params["position_angle"]) * u.deg,
            "fov": ins["fov_arcmin"] * u.arcmin, "npix": int(ins["npix"]),
            "psf_fwhm": {b: ins["psf_fwhm_arcsec"][b] * float(params["psf_scale"]) * arcsec
                         for b in _BANDS},
            "sky_brightness": {b: (ins["sky_mag_arcsec2"][b] + float(params["sky_offset_mag"]))
                               * u.mag / arcsec**2 for b in _BANDS},
            "beam_fwhm": float(params["hi_beam_fwhm"]) * arcsec,
            "noise": float(params["hi_noise"]) * u.Jy / arcsec**2,
            "channel_width": ins["hi_channel_kms"] * u.km / u.s,
            "n_channels": int(ins["hi_n_channels"]),
        }
