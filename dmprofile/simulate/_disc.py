"""`DiscGalaxy`: a disc galaxy (halo with a baryonic response, stellar disc and bulge, HI)."""

import numpy as np
from astropy import units as u

from .._utils import G_KPC, LENGTH, MASS, VELOCITY, as_dimensionless, as_value
from ..profiles import kernels
from ._disc_relations import PLANCK18, X_HYDROGEN, hi_profile_scale

__all__ = ["DISC_RADII", "DiscGalaxy"]

#: The 20 radii of the truth, log-spaced from 1 to 100 kpc (de los Rios et al. 2023).
DISC_RADII = np.geomspace(1.0, 100.0, 20) * u.kpc

# the spherical radius grid of the halo response [kpc]
_GRID = np.geomspace(1e-3, 1e4, 561)


def _quantity(value, unit, name, *, default=None, positive=True, allow_zero=False):
    if value is None:
        return default
    return as_value(value, unit, name, scalar=True, positive=positive, allow_zero=allow_zero)


def _fraction(value, name, lo=0.0, hi=1.0):
    value = as_dimensionless(value, name)
    if not lo <= value <= hi:
        msg = f"argument '{name}' must lie in [{lo}, {hi}], got {value}"
        raise ValueError(msg)
    return value


class DiscGalaxy:
    r"""A disc galaxy: dark halo, stellar disc and bulge, HI disc, with analytic truth.

    * **Halo**: an NFW halo (M200, c), the dark-matter-only equivalent, responds to the galaxy's
      baryons by adiabatic contraction (`~dmprofile.profiles.kernels.adiabatic_contraction`,
      Gnedin et al. 2004 or Blumenthal et al. 1986) with efficiency ``contraction`` (Dutton et
      al. 2007: 1 full, 0 none, < 0 expansion), then optionally forms a core: the dark mass is
      multiplied by tanh(r / r_c)^n (the coreNFW form of Read et al. 2016). Dark matter is the
      cosmic fraction 1 - Omega_b / Omega_m of the halo; the baryons not in the galaxy form a
      hot halo that follows the (responded) dark matter and enters the potential only.
    * **Stars**: an exponential disc with a sech^2(z / z0) vertical profile and a Hernquist (1990)
      bulge; ages and metallicities with radial gradients.
    * **HI**: a thin disc ``Sigma(R) = Sigma0 [exp(-R / R_1) - d exp(-R / R_2)]`` (an
      exponential with a central depression of depth d and radius R_2 = q R_1), its size from
      the HI size-mass relation of Wang et al. (2016) unless ``hi_scale_length`` is given; the
      gas mass is M_HI / 0.76 (hydrogen mass fraction). It moves on circular orbits in the
      mid-plane potential of all components (the discs by the Freeman 1970 formula, linear in
      the surface density) with an isotropic turbulent dispersion.

    Parameters
    ----------
    stellar_mass : `~astropy.units.Quantity` [mass]
        Total stellar mass M* (disc + bulge).
    disc_scale_length : `~astropy.units.Quantity` [length]
        Exponential scale length R_d of the stellar disc.
    m200 : `~astropy.units.Quantity` [mass]
        M200 (critical overdensity 200) of the halo before the response.
    c : float
        NFW concentration of that halo.
    hi_mass : `~astropy.units.Quantity` [mass]
        HI mass.
    bulge_fraction : float
        Bulge-to-total stellar mass ratio B/T in [0, 1).
    bulge_scale_radius : `~astropy.units.Quantity` [length], optional
        Hernquist scale radius a (default 0.1 R_d).
    disc_scale_height : `~astropy.units.Quantity` [length], optional
        z0 of the sech^2 profile (default R_d / 7.3, Kregel et al. 2002).
    hi_scale_length : `~astropy.units.Quantity` [length], optional
        R_1 of the HI disc (default from the Wang et al. 2016 size of ``hi_mass``).
    hi_hole_ratio : float
        q = R_2 / R_1 in (0, 1).
    hi_hole_depth : float
        d in [0, 1] (0: a pure exponential; 1: no HI at the centre).
    hi_scale_height : `~astropy.units.Quantity` [length]
        z0 of the sech^2 profile of the gas.
    hi_dispersion : `~astropy.units.Quantity` [speed]
        One-dimensional turbulent velocity dispersion of the gas.
    gas_temperature : `~astropy.units.Quantity` [temperature]
        Temperature of the gas particles (thermal broadening is left to the observer).
    contraction : float
        Efficiency nu of the adiabatic contraction, in [-1, 1.5].
    contraction_model : str
        ``"gnedin04"`` or ``"blumenthal86"``.
    core_radius : `~astropy.units.Quantity` [length], optional
        Core radius r_c (needed when ``core_strength`` > 0).
    core_strength : float
        Exponent n in [0, 1] of the core (0: no core).
    stellar_ages : tuple of `~astropy.units.Quantity`
        (mean disc age at the centre, its decrease per R_d, mean bulge age) [time].
    stellar_log_z : tuple of float
        (log10(Z / Z_sun) of the disc at the centre, its gradient per R_d [dex], of the bulge).

    Raises
    ------
    ValueError
        If a parameter is out of range or not finite.
    astropy.units.UnitTypeError
        If a parameter has the wrong units.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.simulate import DiscGalaxy
    >>> gal = DiscGalaxy(stellar_mass=5e10 * u.Msun, disc_scale_length=3 * u.kpc,
    ...                  m200=1.5e12 * u.Msun, c=8.0, hi_mass=8e9 * u.Msun, bulge_fraction=0.2,
    ...                  contraction=0.5)
    >>> print(f"{gal.circular_velocity(10 * u.kpc):.0f}")
    221 km / s
    """

    def __init__(self, *, stellar_mass, disc_scale_length, m200, c, hi_mass, bulge_fraction=0.0,
                 bulge_scale_radius=None, disc_scale_height=None, hi_scale_length=None,
                 hi_hole_ratio=0.5, hi_hole_depth=0.0, hi_scale_height=0.2 * u.kpc,
                 hi_dispersion=8.0 * u.km / u.s, gas_temperature=8000.0 * u.K, contraction=0.0,
                 contraction_model="gnedin04", core_radius=None, core_strength=0.0,
                 stellar_ages=(8.0 * u.Gyr, 1.0 * u.Gyr, 10.0 * u.Gyr),
                 stellar_log_z=(0.0, -0.1, 0.1)):
        self._mstar = _quantity(stellar_mass, MASS, "stellar_mass")
        self._r_d = _quantity(disc_scale_length, LENGTH, "disc_scale_length")
        self._m200 = _quantity(m200, MASS, "m200")
        self._c = _fraction(c, "c", 1.0, 100.0)
        self._mhi = _quantity(hi_mass, MASS, "hi_mass", positive=True, allow_zero=True)
        self._bt = _fraction(bulge_fraction, "bulge_fraction", 0.0, 0.99)
        self._a = _quantity(bulge_scale_radius, LENGTH, "bulge_scale_radius",
                            default=0.1 * self._r_d)
        self._z0 = _quantity(disc_scale_height, LENGTH, "disc_scale_height",
                             default=self._r_d / 7.3)
        self._q = _fraction(hi_hole_ratio, "hi_hole_ratio", 1e-3, 0.999)
        self._d = _fraction(hi_hole_depth, "hi_hole_depth")
        self._zg = _quantity(hi_scale_height, LENGTH, "hi_scale_height")
        self._sigma_gas = _quantity(hi_dispersion, VELOCITY, "hi_dispersion", allow_zero=True)
        self._temperature = _quantity(gas_temperature, u.K, "gas_temperature")
        self._nu = _fraction(contraction, "contraction", -1.0, 1.5)
        if contraction_model not in ("gnedin04", "blumenthal86"):
            msg = (f"argument 'contraction_model' must be 'gnedin04' or 'blumenthal86', "
                   f"got {contraction_model!r}")
            raise ValueError(msg)
        self._contraction_model = contraction_model
        self._n_core = _fraction(core_strength, "core_strength")
        self._r_c = _quantity(core_radius, LENGTH, "core_radius")
        if self._n_core > 0 and self._r_c is None:
            msg = "argument 'core_radius' is required when 'core_strength' > 0"
            raise ValueError(msg)
        self._populations(stellar_ages, stellar_log_z)
        self._setup_hi(hi_scale_length)
        self._setup_halo()

    # ------------------------------------------------------------------ set-up
    def _populations(self, ages, log_z):
        if len(ages) != 3 or len(log_z) != 3:
            msg = "arguments 'stellar_ages' and 'stellar_log_z' must have 3 entries each"
            raise ValueError(msg)
        self._ages = tuple(as_value(a, u.Gyr, "stellar_ages", scalar=True) for a in ages)
        self._log_z = tuple(as_dimensionless(z, "stellar_log_z") for z in log_z)

    def _setup_hi(self, hi_scale_length):
        if hi_scale_length is None:
            self._r1, self._d_hi = hi_profile_scale(self._mhi, self._q, self._d)
        else:
            self._r1 = _quantity(hi_scale_length, LENGTH, "hi_scale_length")
            self._d_hi = float("nan")
        self._r2 = self._q * self._r1
        norm = 2 * np.pi * (self._r1**2 - self._d * self._r2**2)
        self._sigma_hi = self._mhi / norm  # Sigma0 of the HI [Msun / kpc2]

    def _setup_halo(self):
        h0 = PLANCK18["H0"]
        self._rho_crit = 3.0 * (h0 / 1000.0) ** 2 / (8.0 * np.pi * G_KPC)
        self._rho_s, self._r_s = kernels.nfw_from_M200_c(self._m200, self._c, self._rho_crit)
        self._r200 = self._c * self._r_s
        m_gal = self._mstar + self.gas_mass
        f_gal = m_gal / self._m200
        if f_gal >= 0.5:
            msg = (f"the galaxy's baryons ({m_gal:.3g} Msun) exceed half of 'm200' "
                   f"({self._m200:.3g} Msun)")
            raise ValueError(msg)
        f_b = max(PLANCK18["f_baryon"], f_gal)
        m_nfw = kernels.nfw_enclosed_mass(_GRID, self._rho_s, self._r_s)
        m_rest = kernels.adiabatic_contraction(
            _GRID, m_nfw, self._galaxy_mass_grid(), f_gal, efficiency=self._nu,
            model=self._contraction_model, r_vir=self._r200)
        core = np.tanh(_GRID / self._r_c) ** self._n_core if self._n_core > 0 else 1.0
        self._m_dm_grid = m_rest * (1.0 - f_b) / (1.0 - f_gal) * core
        self._m_hot_grid = np.maximum(m_rest * (f_b - f_gal) / (1.0 - f_gal), 1e-300)

    def _galaxy_mass_grid(self):
        return self._stellar_mass_sph(_GRID) + self._gas_mass_sph(_GRID)

    # ------------------------------------------------------------------ masses [Msun], kpc
    @property
    def _sigma_disc(self):
        return (1.0 - self._bt) * self._mstar / (2 * np.pi * self._r_d**2)

    def _stellar_mass_sph(self, r):
        disc = kernels.sech2_disc_spherical_mass(r, self._sigma_disc, self._r_d, self._z0)
        return disc + kernels.hernquist_enclosed_mass(r, self._bt * self._mstar, self._a)

    def _gas_mass_sph(self, r):
        s = self._sigma_hi / X_HYDROGEN
        return (kernels.sech2_disc_spherical_mass(r, s, self._r1, self._zg)
                - self._d * kernels.sech2_disc_spherical_mass(r, s, self._r2, self._zg))

    def _interp(self, r, grid_values):
        return np.exp(np.interp(np.log(r), np.log(_GRID), np.log(grid_values)))

    def _dark_mass(self, r):
        return self._interp(r, self._m_dm_grid)

    def _vcirc2_components(self, R):
        R = np.asarray(R, dtype=float)
        s_gas = self._sigma_hi / X_HYDROGEN
        with np.errstate(divide="ignore", invalid="ignore"):
            halo = np.where(R > 0, G_KPC * (self._dark_mass(R) + self._interp(
                R, self._m_hot_grid)) / np.where(R > 0, R, 1.0), 0.0)
        return {
            "disc": kernels.exponential_disc_vcirc2(R, self._sigma_disc, self._r_d),
            "bulge": kernels.hernquist_vcirc2(R, self._bt * self._mstar, self._a),
            "gas": (kernels.exponential_disc_vcirc2(R, s_gas, self._r1)
                    - self._d * kernels.exponential_disc_vcirc2(R, s_gas, self._r2)),
            "halo": halo,
        }

    def _vcirc(self, R):
        v2 = sum(self._vcirc2_components(R).values())
        return np.sqrt(np.maximum(v2, 0.0))

    # ------------------------------------------------------------------ public physics
    @property
    def gas_mass(self):
        """float: the gas mass M_HI / 0.76 [Msun] (no molecular or ionised gas)."""
        return self._mhi / X_HYDROGEN

    @property
    def r200(self):
        """`~astropy.units.Quantity`: r200 of the halo before the response."""
        return self._r200 * LENGTH

    @property
    def hi_scale_length(self):
        """`~astropy.units.Quantity`: the scale length R_1 of the HI disc."""
        return self._r1 * LENGTH

    def dark_mass(self, r):
        """Return the dark-matter mass inside the sphere of radius r.

        Parameters
        ----------
        r : `~astropy.units.Quantity` [length]
            Radii.

        Returns
        -------
        `~astropy.units.Quantity` [mass]
            M_DM(<r), after the baryonic response.
        """
        return self._dark_mass(as_value(r, LENGTH, "r", positive=True, allow_zero=False)) * MASS

    def baryonic_mass(self, r):
        """Return the mass of stars and cold gas (HI and helium) inside the sphere of radius r.

        Parameters
        ----------
        r : `~astropy.units.Quantity` [length]
            Radii.

        Returns
        -------
        `~astropy.units.Quantity` [mass]
            M_bar(<r) (the hot halo gas is not included).
        """
        r = as_value(r, LENGTH, "r", positive=True)
        return (self._stellar_mass_sph(r) + self._gas_mass_sph(r)) * MASS

    def circular_velocity(self, R, *, components=False):
        """Return the circular velocity in the mid-plane of the composite potential.

        Parameters
        ----------
        R : `~astropy.units.Quantity` [length]
            Cylindrical radii.
        components : bool
            Return a dict of the contributions (``disc``, ``bulge``, ``gas``, ``halo`` (dark
            matter and hot gas), signed v|v| for the gas disc with a depression) and ``total``.

        Returns
        -------
        `~astropy.units.Quantity` [speed] or dict
            v_c(R), or the dict of contributions.
        """
        R = as_value(R, LENGTH, "R", positive=True)
        if not components:
            return self._vcirc(R) * VELOCITY
        parts = self._vcirc2_components(R)
        out = {k: np.sign(v) * np.sqrt(np.abs(v)) * VELOCITY for k, v in parts.items()}
        out["total"] = self._vcirc(R) * VELOCITY
        return out

    def stellar_half_mass_radius(self):
        """Return the radius of the sphere that holds half of the stellar mass.

        Returns
        -------
        `~astropy.units.Quantity` [length]
            The 3-D stellar half-mass radius.
        """
        return self._r_half() * LENGTH

    def _r_half(self):
        m = self._stellar_mass_sph(_GRID) / self._mstar
        return float(np.exp(np.interp(np.log(0.5), np.log(m), np.log(_GRID))))

    # ------------------------------------------------------------------ truth
    def truth(self):
        """Return the true properties of the galaxy, as plain floats and lists.

        Returns
        -------
        dict
            ``radii`` [kpc] (`DISC_RADII`), ``log_mdm`` and ``log_mbar`` (log10 of the dark and
            baryonic masses inside those spheres [Msun]), ``stellar_mass``, ``hi_mass``,
            ``gas_mass``, ``m200`` [Msun], ``c``, ``r200``, ``disc_scale_length``,
            ``disc_scale_height``, ``bulge_fraction``, ``bulge_scale_radius``,
            ``r_half_stars`` (3-D) [kpc], ``v_circ_2rhalf`` (mid-plane circular velocity at
            twice r_half_stars) [km/s], ``hi_scale_length``, ``hi_diameter`` (where the HI
            surface density is 1 Msun/pc^2) [kpc], ``contraction``, ``contraction_model``,
            ``core_radius`` [kpc, NaN without a core], ``core_strength``.
        """
        radii = DISC_RADII.to_value(LENGTH)
        r_half = self._r_half()
        return {
            "radii": radii.tolist(),
            "log_mdm": np.log10(self._dark_mass(radii)).tolist(),
            "log_mbar": np.log10(self._stellar_mass_sph(radii)
                                 + self._gas_mass_sph(radii)).tolist(),
            "stellar_mass": self._mstar,
            "hi_mass": self._mhi,
            "gas_mass": self.gas_mass,
            "m200": self._m200,
            "c": self._c,
            "r200": float(self._r200),
            "disc_scale_length": self._r_d,
            "disc_scale_height": self._z0,
            "bulge_fraction": self._bt,
            "bulge_scale_radius": self._a,
            "r_half_stars": r_half,
            "v_circ_2rhalf": float(self._vcirc(2.0 * r_half)),
            "hi_scale_length": self._r1,
            "hi_diameter": self._hi_diameter(),
            "contraction": self._nu,
            "contraction_model": self._contraction_model,
            "core_radius": float("nan") if self._r_c is None else self._r_c,
            "core_strength": self._n_core,
        }

    def _hi_diameter(self):
        grid = np.linspace(0.0, 20.0 * self._r1, 4001)
        sigma = self._hi_surface_density(grid)
        above = np.nonzero(sigma >= 1e6)[0]
        return float(2 * grid[above[-1]]) if above.size else 0.0

    def _hi_surface_density(self, R):
        return self._sigma_hi * (np.exp(-R / self._r1) - self._d * np.exp(-R / self._r2))

    def sample(self, n_stars, n_gas, *, n_dark=0, satellites=0, field_sources=0,
               field_half_width=50.0 * u.kpc, seed=None):
        """Realise the galaxy as particles.

        Parameters
        ----------
        n_stars : int
            Number of star particles of the galaxy (disc and bulge, by mass).
        n_gas : int
            Number of gas particles.
        n_dark : int
            Number of dark-matter particles (inside r200; 0: none, the usual case).
        satellites : int
            Number of satellite galaxies (star particles only) orbiting at 15-150 kpc.
        field_sources : int
            Number of unrelated compact galaxies scattered in the field (stars only).
        field_half_width : `~astropy.units.Quantity` [length]
            Radius of the sphere in which the field sources are placed.
        seed : int, `~numpy.random.SeedSequence` or `~numpy.random.Generator`, optional
            Random seed.

        Returns
        -------
        `~dmprofile.simulate.GalaxyParticles`
            The particles (rotation axis +z); ``meta`` holds `truth` and the particle counts
            (``n_host_stars``: the first rows of ``stars`` belong to the galaxy, then
            ``n_satellite_stars`` and ``n_field_stars``), ``seed`` and ``dmprofile_version``.
        """
        from ._disc_sample import sample_galaxy

        counts = {}
        for name, value in (("n_stars", n_stars), ("n_gas", n_gas), ("n_dark", n_dark),
                            ("satellites", satellites), ("field_sources", field_sources)):
            if isinstance(value, bool) or int(value) != value or value < 0:
                msg = f"argument '{name}' must be a non-negative integer, got {value!r}"
                raise ValueError(msg)
            counts[name] = int(value)
        half_width = as_value(field_half_width, LENGTH, "field_half_width", scalar=True,
                              positive=True, allow_zero=False)
        return sample_galaxy(self, counts, half_width, seed)

    def __repr__(self):
        return (f"<DiscGalaxy: M* = {self._mstar:.3g} Msun (B/T = {self._bt:.2f}, "
                f"R_d = {self._r_d:.3g} kpc), M_HI = {self._mhi:.3g} Msun, "
                f"M200 = {self._m200:.3g} Msun (c = {self._c:.3g}, contraction "
                f"{self._nu:.2g}, core n = {self._n_core:.2g})>")
