r"""Circular-velocity components of disc galaxies: stellar disc, bulge, gas and dark halo.

Every function takes and returns `~astropy.units.Quantity`; the vectorised formulas come from
`dmprofile.profiles.kernels` (thin exponential disc, Hernquist bulge, NFW and coreNFW haloes).
Squared velocities add; terms that can be negative (the gas, whose ``v_gas`` SPARC gives signed,
negative where the gas pulls outwards) add as ``v |v|``:

.. math:: V^2 = \sum_k v_k |v_k|, \qquad V = \mathrm{sign}(V^2) \sqrt{|V^2|}.
"""

import numpy as np
from astropy import units as u

from .._utils import G_KPC, VELOCITY, as_value
from ..profiles import kernels

__all__ = ["disc_velocity", "bulge_velocity", "gas_velocity", "halo_velocity",
           "total_velocity", "HALO_MODELS"]

#: Halo models of `halo_velocity` and `fit_rotation_curve`: name -> extra parameters.
HALO_MODELS = {"nfw": (), "corenfw": ("r_c",)}

#: Hubble constant used when none is given (SPARC's distances assume 73 km/s/Mpc; Li et al.
#: 2020 and the paper use this value for V200).
DEFAULT_H0 = 73.0 * u.km / u.s / u.Mpc

_SURFACE = u.Msun / u.kpc**2


# ------------------------------------------------------------------ internal units
def halo_mass(r, v200, c, h0, halo="nfw", r_c=None, n=1.0):
    """Enclosed halo mass [Msun] at r [kpc] (internal units, broadcasting)."""
    rho_s, r_s = kernels.nfw_from_V200_c(v200, c, h0)
    if halo == "nfw":
        return kernels.nfw_enclosed_mass(r, rho_s, r_s)
    return kernels.corenfw_enclosed_mass(r, rho_s, r_s, r_c, n)


def signed_sqrt(v2):
    """Return sign(v2) sqrt(|v2|)."""
    return np.sign(v2) * np.sqrt(np.abs(v2))


# ------------------------------------------------------------------ public components
def _radius(radius, name="radius"):
    r = as_value(radius, u.kpc, name, positive=True)
    return np.atleast_1d(r) if np.ndim(r) else r


def disc_velocity(radius, *, sigma0, r_d):
    r"""Circular velocity of a razor-thin exponential disc (Freeman 1970).

    .. math:: v^2 = 4 \pi G \Sigma_0 R_d\, y^2 [I_0(y) K_0(y) - I_1(y) K_1(y)],
              \quad y = R / (2 R_d)

    (Binney & Tremaine 2008, eq. 2.165; Mo, van den Bosch & White 2010, eq. 11.30 print
    ``y = R / R_d``, a typo).

    Parameters
    ----------
    radius : `~astropy.units.Quantity` [length]
        Galactocentric radii in the disc plane.
    sigma0 : `~astropy.units.Quantity` [surface mass density]
        Central surface density (for a stellar disc, the mass-to-light ratio times the central
        surface brightness).
    r_d : `~astropy.units.Quantity` [length]
        Scale length.

    Returns
    -------
    `~astropy.units.Quantity` [speed]
        The circular velocity at ``radius``.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.classical import disc_velocity
    >>> v = disc_velocity([1, 2.2, 10] * u.kpc, sigma0=500 * u.Msun / u.pc**2, r_d=1 * u.kpc)
    >>> v.round(1)
    <Quantity [61.3, 72.3, 37.8] km / s>
    """
    r = _radius(radius)
    s0 = as_value(sigma0, _SURFACE, "sigma0", scalar=True, positive=True)
    rd = as_value(r_d, u.kpc, "r_d", scalar=True, positive=True, allow_zero=False)
    return np.sqrt(np.maximum(kernels.exponential_disc_vcirc2(r, s0, rd), 0.0)) * VELOCITY


def bulge_velocity(radius, *, mass, a):
    """Circular velocity of a spherical Hernquist (1990) bulge, sqrt(G M r / (r + a)^2).

    Parameters
    ----------
    radius : `~astropy.units.Quantity` [length]
        Radii.
    mass : `~astropy.units.Quantity` [mass]
        Total bulge mass.
    a : `~astropy.units.Quantity` [length]
        Scale radius (the half-mass radius is (1 + sqrt 2) a).

    Returns
    -------
    `~astropy.units.Quantity` [speed]
        The circular velocity at ``radius``.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.classical import bulge_velocity
    >>> bulge_velocity(1 * u.kpc, mass=1e10 * u.Msun, a=1 * u.kpc).round(1)
    <Quantity 103.7 km / s>
    """
    r = _radius(radius)
    m = as_value(mass, u.Msun, "mass", scalar=True, positive=True)
    aa = as_value(a, u.kpc, "a", scalar=True, positive=True, allow_zero=False)
    return np.sqrt(kernels.hernquist_vcirc2(r, m, aa)) * VELOCITY


def _exponential_basis(r, radius_grid):
    """Scale lengths spanning the profile and their Freeman v^2 for a unit Sigma0."""
    lo, hi = radius_grid[radius_grid > 0].min(), radius_grid.max()
    scales = np.geomspace(max(lo / 2, hi / 200), 2 * hi, 24)
    sigma = np.exp(-radius_grid[:, None] / scales[None, :])
    v2 = kernels.exponential_disc_vcirc2(r[:, None], 1.0, scales[None, :])
    return sigma, v2, scales


def gas_velocity(radius, *, v_gas=None, surface_density=None, profile_radius=None,
                 helium=1.33):
    r"""Return the gas contribution to the circular velocity, signed (negative: pulled out).

    Either from a gas velocity curve (``v_gas``, e.g. SPARC's, returned at ``radius``), or from a
    face-on HI surface-density profile ``surface_density`` at ``profile_radius``, scaled by
    ``helium``. The profile is expanded on 24 thin exponential discs of scale lengths from half
    the smallest to twice the largest profile radius (least squares with signed amplitudes, so
    that central holes are represented); the gas ``v |v|`` is the sum of their Freeman terms.
    This is exact for exponential profiles and sums of them and accurate to a few per cent for
    smooth profiles sampled out to where they vanish.

    Parameters
    ----------
    radius : `~astropy.units.Quantity` [length]
        Radii at which to return the velocity.
    v_gas : `~astropy.units.Quantity` [speed], optional
        A gas velocity curve at ``radius`` (signed), returned unchanged.
    surface_density : `~astropy.units.Quantity` [surface mass density], optional
        HI surface density (face-on) at ``profile_radius``.
    profile_radius : `~astropy.units.Quantity` [length], optional
        Radii of ``surface_density`` (default: ``radius``).
    helium : float
        Factor from HI to total gas mass (1.33 for the primordial helium fraction).

    Returns
    -------
    `~astropy.units.Quantity` [speed]
        ``sign(v^2) sqrt(|v^2|)`` at ``radius``.

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from dmprofile.classical import disc_velocity, gas_velocity
    >>> r = np.linspace(0.5, 20, 40) * u.kpc
    >>> sigma = 5 * u.Msun / u.pc**2 * np.exp(-r / (4 * u.kpc))
    >>> v = gas_velocity(r, surface_density=sigma, helium=1.0)
    >>> ref = disc_velocity(r, sigma0=5 * u.Msun / u.pc**2, r_d=4 * u.kpc)
    >>> bool(np.allclose(v, ref, rtol=1e-3))
    True
    """
    r = np.atleast_1d(_radius(radius))
    if (v_gas is None) == (surface_density is None):
        msg = "give exactly one of the arguments 'v_gas' and 'surface_density'"
        raise ValueError(msg)
    if v_gas is not None:
        v = np.atleast_1d(as_value(v_gas, VELOCITY, "v_gas"))
        if v.shape != r.shape:
            msg = (f"argument 'v_gas' must have the shape of 'radius' {r.shape}, got {v.shape}")
            raise ValueError(msg)
        return v * VELOCITY
    sigma = np.atleast_1d(as_value(surface_density, _SURFACE, "surface_density"))
    grid = r if profile_radius is None else np.atleast_1d(_radius(profile_radius,
                                                                  "profile_radius"))
    if sigma.shape != grid.shape:
        name = "radius" if profile_radius is None else "profile_radius"
        msg = (f"argument 'surface_density' must have the shape of '{name}' {grid.shape}, got "
               f"{sigma.shape}")
        raise ValueError(msg)
    basis, v2, _ = _exponential_basis(r, grid)
    scale = max(float(np.max(np.abs(sigma))), 1e-30)
    ridge = 1e-6
    lhs = np.vstack([basis, ridge * np.eye(basis.shape[1])])
    rhs = np.concatenate([sigma / scale, np.zeros(basis.shape[1])])
    amp = np.linalg.lstsq(lhs, rhs, rcond=None)[0] * scale
    return signed_sqrt(helium * v2 @ amp) * VELOCITY


def halo_velocity(radius, *, v200, c200, halo="nfw", r_c=None, H0=DEFAULT_H0):
    """Circular velocity of a dark halo given by V200 and C200.

    r200 = V200 / (10 H0) and M200 = V200^3 / (10 G H0) (overdensity 200 times critical);
    ``c200 = r200 / r_s``. ``"nfw"`` is Navarro, Frenk & White (1996); ``"corenfw"`` the cored
    NFW of Read, Agertz & Collins (2016), M_NFW(<r) tanh(r / r_c), with core radius ``r_c``.

    Parameters
    ----------
    radius : `~astropy.units.Quantity` [length]
        Radii.
    v200 : `~astropy.units.Quantity` [speed]
        Circular velocity at r200.
    c200 : float
        Concentration r200 / r_s.
    halo : {"nfw", "corenfw"}
        Halo model.
    r_c : `~astropy.units.Quantity` [length], optional
        Core radius (``"corenfw"`` only).
    H0 : `~astropy.units.Quantity` [frequency]
        Hubble constant (default 73 km/s/Mpc, as SPARC's Hubble-flow distances).

    Returns
    -------
    `~astropy.units.Quantity` [speed]
        The circular velocity at ``radius``.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.classical import halo_velocity
    >>> v = halo_velocity([10, 100] * u.kpc, v200=150 * u.km / u.s, c200=10)
    >>> v.round(1)
    <Quantity [146.6, 170.8] km / s>
    """
    r = _radius(radius)
    v200 = as_value(v200, VELOCITY, "v200", scalar=True, positive=True, allow_zero=False)
    c = as_value(c200 * u.one if not isinstance(c200, u.Quantity) else c200, u.one, "c200",
                 scalar=True, positive=True, allow_zero=False)
    h0 = as_value(H0, u.km / u.s / u.Mpc, "H0", scalar=True, positive=True, allow_zero=False)
    if halo not in HALO_MODELS:
        msg = f"argument 'halo' must be one of {sorted(HALO_MODELS)}, got {halo!r}"
        raise ValueError(msg)
    rc = None
    if halo == "corenfw":
        if r_c is None:
            msg = "argument 'r_c' is required for halo='corenfw'"
            raise ValueError(msg)
        rc = as_value(r_c, u.kpc, "r_c", scalar=True, positive=True, allow_zero=False)
    m = halo_mass(r, v200, c, h0, halo, rc)
    return np.sqrt(G_KPC * m / r) * VELOCITY


def total_velocity(*components):
    """Add circular-velocity components in quadrature, signed terms as ``v |v|``.

    Parameters
    ----------
    *components : `~astropy.units.Quantity` [speed]
        Velocity curves of the same shape (e.g. halo, disc, bulge and signed gas).

    Returns
    -------
    `~astropy.units.Quantity` [speed]
        ``sign(V^2) sqrt(|V^2|)`` with ``V^2 = sum v |v|``.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.classical import total_velocity
    >>> total_velocity([30, 40] * u.km / u.s, [40, -30] * u.km / u.s)
    <Quantity [50.        , 26.45751311] km / s>
    """
    if not components:
        msg = "total_velocity needs at least one component"
        raise ValueError(msg)
    values = [np.atleast_1d(as_value(c, VELOCITY, f"components[{i}]"))
              for i, c in enumerate(components)]
    shapes = {v.shape for v in values}
    if len(shapes) != 1:
        msg = f"arguments 'components' must all have the same shape, got {sorted(shapes)}"
        raise ValueError(msg)
    return signed_sqrt(sum(v * np.abs(v) for v in values)) * VELOCITY
