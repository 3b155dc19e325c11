"""The `DensityProfile` base class shared by every spherical profile."""

import numpy as np
from astropy import units as u
from scipy import optimize

from .._utils import DENSITY, G_KPC, LENGTH, MASS, VELOCITY, as_dimensionless, as_value
from .kernels import r200_from_M200

__all__ = ["R_REF", "DensityProfile", "ParametrizedMixin", "critical_density"]

#: The reference radius of the inner dark-matter slope, 150 pc: ``gamma_150`` is
#: d ln rho / d ln r there, and ``rho_150``, ``M_150`` the density and enclosed mass. Code
#: working in internal units uses ``R_REF.to_value(u.kpc)``.
R_REF = 150 * u.pc

# Gauss-Legendre nodes used by the generic numerical integrals (in ln r).
_GL_X, _GL_W = np.polynomial.legendre.leggauss(96)


def critical_density(H0):
    """Critical density of the Universe, 3 H0^2 / (8 pi G), in Msun/kpc^3.

    Parameters
    ----------
    H0 : `~astropy.units.Quantity` [frequency]
        Hubble constant, e.g. ``70 * u.km / u.s / u.Mpc``.
    """
    h0 = as_value(H0, u.km / u.s / u.kpc, "H0", scalar=True, positive=True, allow_zero=False)
    return 3.0 * h0**2 / (8.0 * np.pi * G_KPC)


def _default_H0():
    from astropy.cosmology import Planck18

    return Planck18.H0


def _positive_float(value, name):
    value = as_dimensionless(value, name)
    if value <= 0:
        msg = f"argument '{name}' must be > 0, got {value}"
        raise ValueError(msg)
    return value


def _virial_args(M200, H0, overdensity):
    """Return the checked M200 [Msun], critical density [Msun/kpc3] (Planck 2018), overdensity."""
    m200 = as_value(M200, MASS, "M200", scalar=True, positive=True, allow_zero=False)
    overdensity = _positive_float(overdensity, "overdensity")
    rho_c = critical_density(_default_H0() if H0 is None else H0)
    return m200, rho_c, overdensity


def _m200_r200(M200, H0, overdensity):
    """M200 in Msun and r200 in kpc for the given (or Planck 2018) Hubble constant."""
    m200, rho_c, overdensity = _virial_args(M200, H0, overdensity)
    return m200, r200_from_M200(m200, rho_c, overdensity)


class ParametrizedMixin:
    """``parameters`` dict and ``repr`` built from ``_parameters`` (names) and ``_units``.

    Each parameter is stored as ``self._<name>`` in internal units (or None when unset).
    """

    _parameters = ()
    _units = {}

    @property
    def parameters(self):
        """dict: the parameters, as `~astropy.units.Quantity` where they have units."""
        out = {}
        for name in self._parameters:
            value = getattr(self, f"_{name}")
            unit = self._units.get(name)
            out[name] = value * unit if (unit is not None and value is not None) else value
        return out

    def __repr__(self):
        parts = []
        for name, value in self.parameters.items():
            if isinstance(value, u.Quantity):
                parts.append(f"{name}={value.value:.4g} {value.unit:s}")
            elif value is None or isinstance(value, str):
                parts.append(f"{name}={value}")
            else:
                parts.append(f"{name}={value:.4g}")
        return f"<{type(self).__name__}({', '.join(parts)})>"


class DensityProfile(ParametrizedMixin):
    """Base class of spherical mass-density profiles.

    Subclasses set ``_parameters`` (ordered names of the physical parameters, each stored as a
    float in internal units: kpc, Msun, km/s) with ``_units`` (their units) and implement the
    private float methods ``_density(r)`` [Msun / kpc^3, r in kpc]. They may override
    ``_enclosed_mass(r)`` [Msun] and ``_log_slope(r)`` with closed forms; the base class provides
    accurate numerical defaults. The private methods take and return plain ``numpy`` arrays and
    are what the simulators call in their inner loops; the public methods take and return
    `~astropy.units.Quantity`.

    Profiles whose total mass diverges (``total_mass`` is infinite) need an explicit outer
    truncation radius when they are sampled or used as a potential; see
    `dmprofile.simulate.DwarfGalaxy`.
    """

    _parameters = ()
    _units = {}

    # ------------------------------------------------------------------ private float API
    def _density(self, r):
        raise NotImplementedError

    def _enclosed_mass(self, r):
        """M(<r) by Gauss-Legendre quadrature of 4 pi r^3 rho in ln r (from 1e-10 r)."""
        r = np.atleast_1d(np.asarray(r, dtype=float))
        out = np.zeros_like(r)
        pos = r > 0
        lnr = np.log(r[pos])
        lo = lnr + np.log(1e-10)
        half = 0.5 * (lnr - lo)
        x = 0.5 * (lnr + lo)[:, None] + half[:, None] * _GL_X[None, :]
        rr = np.exp(x)
        integrand = 4.0 * np.pi * rr**3 * self._density(rr)
        out[pos] = half * (integrand @ _GL_W)
        return out

    def _log_slope(self, r):
        """Compute d ln rho / d ln r by a central difference in ln r (error ~1e-8)."""
        r = np.asarray(r, dtype=float)
        h = 1e-4
        return (np.log(self._density(r * np.exp(h)))
                - np.log(self._density(r * np.exp(-h)))) / (2 * h)

    def _circular_velocity(self, r):
        r = np.asarray(r, dtype=float)
        return np.sqrt(G_KPC * self._enclosed_mass(r) / r)

    def _surface_density(self, R):
        """Sigma(R) = 2 int_R^inf rho(r) r dr / sqrt(r^2 - R^2), with r = R cosh(t)."""
        R = np.atleast_1d(np.asarray(R, dtype=float))
        shape = R.shape
        R = R.reshape(-1)
        # substitution r = R cosh t removes the singularity: dr / sqrt(r^2-R^2) = dt
        tmax = np.arccosh(1e6)
        t = 0.5 * tmax * (_GL_X + 1.0)
        w = 0.5 * tmax * _GL_W
        # split the range for accuracy at small t (where most of the weight of cored profiles is)
        t2 = np.concatenate([t * 0.05, 0.05 * tmax + t * 0.95])
        w2 = np.concatenate([w * 0.05, w * 0.95])
        rr = R[:, None] * np.cosh(t2)[None, :]
        return (2.0 * (self._density(rr) * rr) @ w2).reshape(shape)

    def __eq__(self, other):
        return type(self) is type(other) and all(
            getattr(self, f"_{n}") == getattr(other, f"_{n}") for n in self._parameters)

    def __hash__(self):
        return hash((type(self).__name__,)
                    + tuple(getattr(self, f"_{n}") for n in self._parameters))

    # ------------------------------------------------------------------ public Quantity API
    def density(self, r):
        """Mass density rho(r).

        Parameters
        ----------
        r : `~astropy.units.Quantity` [length]
            Spherical radius.

        Returns
        -------
        `~astropy.units.Quantity` [mass density]
            The density at ``r``, in Msun / kpc3.
        """
        return self._density(as_value(r, LENGTH, "r", positive=True)) * DENSITY

    def enclosed_mass(self, r):
        """Mass inside the sphere of radius r, M(<r).

        Parameters
        ----------
        r : `~astropy.units.Quantity` [length]

        Returns
        -------
        `~astropy.units.Quantity` [mass]
            The mass inside ``r``, in Msun.
        """
        rv = as_value(r, LENGTH, "r", positive=True)
        return np.reshape(self._enclosed_mass(rv), np.shape(rv)) * MASS

    def log_slope(self, r):
        """Logarithmic density slope d ln rho / d ln r (negative for a falling profile).

        Parameters
        ----------
        r : `~astropy.units.Quantity` [length]

        Returns
        -------
        `~astropy.units.Quantity` [dimensionless]
            The logarithmic slope d ln rho / d ln r at ``r``.
        """
        rv = as_value(r, LENGTH, "r", positive=True, allow_zero=False)
        return np.reshape(self._log_slope(rv), np.shape(rv)) * u.dimensionless_unscaled

    def circular_velocity(self, r):
        """Circular velocity sqrt(G M(<r) / r).

        Parameters
        ----------
        r : `~astropy.units.Quantity` [length]

        Returns
        -------
        `~astropy.units.Quantity` [speed]
            The circular velocity at ``r``, in km / s.
        """
        rv = as_value(r, LENGTH, "r", positive=True, allow_zero=False)
        return np.reshape(self._circular_velocity(rv), np.shape(rv)) * VELOCITY

    def surface_density(self, R):
        """Projected (surface) mass density Sigma(R).

        Parameters
        ----------
        R : `~astropy.units.Quantity` [length]
            Projected radius.

        Returns
        -------
        `~astropy.units.Quantity` [surface mass density]
            The surface density at projected radius ``R``, in Msun / kpc2.
        """
        Rv = as_value(R, LENGTH, "R", positive=True, allow_zero=False)
        return np.reshape(self._surface_density(Rv), np.shape(Rv)) * MASS / LENGTH**2

    @property
    def total_mass(self):
        """`~astropy.units.Quantity`: total mass (``inf`` Msun if it diverges)."""
        return self._total_mass() * MASS

    def _total_mass(self):
        """Total mass in Msun; subclasses with closed forms override. Default: numerical test."""
        r_big = np.array([1e6, 1e8]) * self._scale_radius()
        m = self._enclosed_mass(r_big)
        return float(m[1]) if np.isclose(m[0], m[1], rtol=1e-4) else np.inf

    def _scale_radius(self):
        """Return a characteristic radius in kpc, used to set numerical ranges."""
        for name in ("r_s", "a", "r_0", "r_d"):
            if hasattr(self, f"_{name}"):
                return getattr(self, f"_{name}")
        raise NotImplementedError

    def virial_radius(self, *, overdensity=200, H0=None):
        """Return the radius inside which the mean density is ``overdensity`` times critical.

        Parameters
        ----------
        overdensity : float
            Overdensity with respect to the critical density (200 for r200).
        H0 : `~astropy.units.Quantity` [frequency], optional
            Hubble constant; defaults to Planck 2018 (``astropy.cosmology.Planck18``).

        Returns
        -------
        `~astropy.units.Quantity` [length]
            The virial radius, in kpc.
        """
        return self._virial_radius(overdensity, _default_H0() if H0 is None else H0) * LENGTH

    def _virial_radius(self, overdensity, H0):
        target = overdensity * critical_density(H0)
        rs = self._scale_radius()

        def f(lnr):
            r = np.exp(lnr)
            return np.log(3.0 * self._enclosed_mass(np.array([r]))[0] / (4 * np.pi * r**3) / target)

        lo, hi = np.log(rs * 1e-4), np.log(rs * 1e4)
        if f(lo) < 0 or f(hi) > 0:
            msg = f"{type(self).__name__}: no radius with mean density {overdensity} x critical"
            raise ValueError(msg)
        return float(np.exp(optimize.brentq(f, lo, hi, xtol=1e-10)))

    def virial_mass(self, *, overdensity=200, H0=None):
        """Return the mass inside `virial_radius`, e.g. M200.

        Parameters
        ----------
        overdensity : float
            Overdensity with respect to the critical density (200 for M200).
        H0 : `~astropy.units.Quantity` [frequency], optional
            Hubble constant; defaults to Planck 2018 (``astropy.cosmology.Planck18``).

        Returns
        -------
        `~astropy.units.Quantity` [mass]
            The virial mass, in Msun.
        """
        r = self.virial_radius(overdensity=overdensity, H0=H0)
        return self.enclosed_mass(r)

    def half_mass_radius(self, *, r_max=None):
        """3D radius containing half of the (possibly truncated) mass.

        Parameters
        ----------
        r_max : `~astropy.units.Quantity` [length], optional
            Truncation radius; required when the total mass diverges.
        """
        return self._half_radius(r_max, projected=False) * LENGTH

    def projected_half_mass_radius(self, *, r_max=None):
        """Projected radius containing half of the mass (the half-light radius of a tracer).

        Parameters
        ----------
        r_max : `~astropy.units.Quantity` [length], optional
            Truncation radius; required when the total mass diverges.
        """
        return self._half_radius(r_max, projected=True) * LENGTH

    def _half_radius(self, r_max, projected):
        if r_max is None:
            mtot = self._total_mass()
            if not np.isfinite(mtot):
                msg = f"{type(self).__name__} has divergent mass: give 'r_max'"
                raise ValueError(msg)
            if projected:
                return self._projected_half_untruncated()
        else:
            r_max = as_value(r_max, LENGTH, "r_max", scalar=True, positive=True, allow_zero=False)
            if projected:
                msg = "projected half-mass radius of a truncated profile is not implemented"
                raise NotImplementedError(msg)
            mtot = float(self._enclosed_mass(np.array([r_max]))[0])
        rs = self._scale_radius()

        def f(lnr):
            return self._enclosed_mass(np.array([np.exp(lnr)]))[0] / mtot - 0.5

        return float(np.exp(optimize.brentq(f, np.log(rs * 1e-6), np.log(rs * 1e6), xtol=1e-12)))

    def _projected_half_untruncated(self):
        """Projected half-mass radius.

        M_proj(<R) = M_tot - int_R^inf 4 pi r^2 rho sqrt(1-R^2/r^2) dr.
        """
        mtot = self._total_mass()
        rs = self._scale_radius()

        # r = R cosh(t) makes the integrand 4 pi R^3 rho sinh(t)^2 cosh(t): smooth at t = 0.
        # Composite Gauss-Legendre (24 panels x 32 nodes) up to r = 1e7 R.
        gx, gw = np.polynomial.legendre.leggauss(32)
        edges = np.linspace(0.0, np.arccosh(1e7), 25)
        half = 0.5 * np.diff(edges)
        t = (0.5 * (edges[1:] + edges[:-1]))[:, None] + half[:, None] * gx[None, :]
        w = (half[:, None] * gw[None, :]).ravel()
        t = t.ravel()
        shape = np.sinh(t) ** 2 * np.cosh(t)

        def outside(R):
            # mass outside the cylinder of radius R
            return 4 * np.pi * R**3 * (self._density(R * np.cosh(t)) * shape) @ w

        def f(lnR):
            return 1.0 - outside(np.exp(lnR)) / mtot - 0.5

        return float(np.exp(optimize.brentq(f, np.log(rs * 1e-4), np.log(rs * 1e4), xtol=1e-10)))
