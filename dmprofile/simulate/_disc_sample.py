"""Particle realisation of a `DiscGalaxy`: inverse-CDF sampling, vectorised (internal units).

Stars of the disc: R / R_d follows a Gamma(2) law (the exponential disc's cylindrical mass),
z = z0 artanh(2u - 1) (sech^2), velocities from the circular speed minus the asymmetric drift
with sigma_z^2 = pi G Sigma(R) z0 (isothermal sheet) and sigma_z / sigma_R = 0.6 (Shapiro et
al. 2003). Bulge: the Hernquist inverse CDF r = a sqrt(u) / (1 - sqrt(u)) and an isotropic
Gaussian with the dispersion of the isotropic Jeans equation in the total spherical mass. Gas:
rejection from the exponential part of the HI profile, circular orbits in the mid-plane plus
the turbulent dispersion, SPH smoothing lengths from the local density (64 neighbours).
"""

import numpy as np
from astropy import units as u
from astropy.table import QTable

from .._utils import G_KPC, LENGTH, MASS, VELOCITY
from .._version import __version__
from ..profiles import kernels
from ._disc_relations import X_HYDROGEN
from ._particles import GalaxyParticles

__all__ = ["sample_galaxy"]

_N_NGB = 64               # SPH neighbours of the smoothing length (kernel support)
_SIGMA_RATIO = 0.6        # sigma_z / sigma_R of the stellar disc
_AGE_MAX = 13.5           # Gyr
_ZSUN = 0.0127
_JEANS_GRID = np.geomspace(1e-3, 1e4, 400)


def _isotropic(rng, n):
    """Return n random unit vectors (shape (n, 3))."""
    cos_t = rng.uniform(-1.0, 1.0, n)
    phi = rng.uniform(0.0, 2 * np.pi, n)
    sin_t = np.sqrt(1.0 - cos_t**2)
    return np.column_stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t])


def _jeans_sigma(r, rho, m_tot):
    """Return the isotropic Jeans dispersion on the grid r: 1/rho int_r^inf rho G M / s^2 ds."""
    integrand = rho * G_KPC * m_tot / r**2 * r  # d ln s
    lnr = np.log(r)
    seg = 0.5 * (integrand[1:] + integrand[:-1]) * np.diff(lnr)
    tail = np.concatenate([np.cumsum(seg[::-1])[::-1], [0.0]])
    return np.sqrt(np.maximum(tail / np.maximum(rho, 1e-300), 0.0))


def _total_spherical_mass(gal, r):
    return (gal._dark_mass(r) + gal._interp(r, gal._m_hot_grid) + gal._stellar_mass_sph(r)
            + gal._gas_mass_sph(r))


def _populations(rng, R, gal, n_bulge):
    """Ages [Gyr] and metallicities (mass fraction) of disc (R given) and bulge stars."""
    age_c, age_grad, age_bulge = gal._ages
    z_c, z_grad, z_bulge = gal._log_z
    mean_age = np.clip(age_c - age_grad * R / gal._r_d, 0.5, _AGE_MAX)
    # a Gamma(3) spread around the local mean age (a continuous star formation history)
    disc_age = np.clip(rng.gamma(3.0, mean_age / 3.0), 0.01, _AGE_MAX)
    bulge_age = np.clip(rng.normal(age_bulge, 1.5, n_bulge), 0.5, _AGE_MAX)
    disc_z = z_c + z_grad * R / gal._r_d + rng.normal(0.0, 0.1, R.size)
    bulge_z = z_bulge + rng.normal(0.0, 0.1, n_bulge)
    ages = np.concatenate([disc_age, bulge_age])
    log_z = np.concatenate([disc_z, bulge_z])
    return ages, _ZSUN * 10.0**log_z


def _disc_stars(rng, gal, n):
    R = rng.gamma(2.0, gal._r_d, n)
    phi = rng.uniform(0.0, 2 * np.pi, n)
    z = gal._z0 * np.arctanh(rng.uniform(-1.0, 1.0, n))
    sigma_surface = kernels.exponential_disc_surface_density(R, gal._sigma_disc, gal._r_d)
    sigma_z = np.sqrt(np.pi * G_KPC * sigma_surface * gal._z0)
    sigma_r = sigma_z / _SIGMA_RATIO
    vc = gal._vcirc(R)
    # asymmetric drift with sigma_phi^2 / sigma_R^2 = 1/2, sigma_R^2 ~ exp(-R / R_d)
    drift = sigma_r**2 * (2.0 * R / gal._r_d - 0.5)
    v_phi = np.sqrt(np.maximum(vc**2 - drift, 0.0)) + rng.normal(0.0, 1.0, n) * sigma_r / np.sqrt(2)
    v_r = rng.normal(0.0, 1.0, n) * sigma_r
    v_z = rng.normal(0.0, 1.0, n) * sigma_z
    pos = np.column_stack([R * np.cos(phi), R * np.sin(phi), z])
    vel = np.column_stack([v_r * np.cos(phi) - v_phi * np.sin(phi),
                           v_r * np.sin(phi) + v_phi * np.cos(phi), v_z])
    return pos, vel, R


def _spherical(rng, r, sigma_grid_r, sigma_grid):
    """Positions at radii r in random directions and isotropic Gaussian velocities."""
    pos = r[:, None] * _isotropic(rng, r.size)
    sigma = np.interp(np.log(r), np.log(sigma_grid_r), sigma_grid)
    vel = rng.normal(0.0, 1.0, (r.size, 3)) * sigma[:, None]
    return pos, vel


def _bulge_stars(rng, gal, n, m_tot):
    s = np.sqrt(rng.uniform(0.0, 1.0, n))
    r = gal._a * s / (1.0 - s)
    mass = gal._bt * gal._mstar
    rho = kernels.hernquist_density(_JEANS_GRID, max(mass, 1.0), gal._a)
    return _spherical(rng, np.maximum(r, 1e-6), _JEANS_GRID, _jeans_sigma(_JEANS_GRID, rho, m_tot))


def _stars(rng, gal, n, m_tot):
    n_bulge = int(rng.binomial(n, gal._bt)) if n else 0
    pos_d, vel_d, R = _disc_stars(rng, gal, n - n_bulge)
    pos_b, vel_b = _bulge_stars(rng, gal, n_bulge, m_tot)
    ages, metallicity = _populations(rng, R, gal, n_bulge)
    table = _table(np.vstack([pos_d, pos_b]), np.vstack([vel_d, vel_b]),
                   np.full(n, gal._mstar / max(n, 1)))
    table["age"] = ages * u.Gyr
    table["metallicity"] = metallicity * u.dimensionless_unscaled
    return table


def _gas_radii(rng, gal, n):
    """HI radii by rejection from the exponential part of the profile."""
    out = np.empty(0)
    while out.size < n:
        trial = rng.gamma(2.0, gal._r1, max(2 * (n - out.size), 16))
        keep = rng.uniform(0.0, 1.0, trial.size) < 1.0 - gal._d * np.exp(
            -trial * (1.0 / gal._r2 - 1.0 / gal._r1))
        out = np.concatenate([out, trial[keep]])
    return out[:n]


def _gas(rng, gal, n):
    R = _gas_radii(rng, gal, n)
    phi = rng.uniform(0.0, 2 * np.pi, n)
    z = gal._zg * np.arctanh(rng.uniform(-1.0, 1.0, n))
    vc = gal._vcirc(R)
    pos = np.column_stack([R * np.cos(phi), R * np.sin(phi), z])
    vel = np.column_stack([-vc * np.sin(phi), vc * np.cos(phi), np.zeros(n)])
    vel += rng.normal(0.0, 1.0, (n, 3)) * gal._sigma_gas
    m_part = gal.gas_mass / max(n, 1)
    sigma = gal._hi_surface_density(R) / X_HYDROGEN
    rho = np.maximum(sigma / (2 * gal._zg) / np.cosh(z / gal._zg) ** 2, 1e-300)
    h = np.clip((3 * _N_NGB * m_part / (4 * np.pi * rho)) ** (1 / 3), 0.01, 2.0 * gal._r1)
    table = _table(pos, vel, np.full(n, m_part))
    table["hi_mass"] = np.full(n, gal._mhi / max(n, 1)) * MASS
    table["smoothing_length"] = h * LENGTH
    table["temperature"] = np.full(n, gal._temperature) * u.K
    return table


def _dark(rng, gal, n, m_tot):
    grid = _JEANS_GRID[_JEANS_GRID <= gal._r200]
    m = gal._dark_mass(grid)
    r = np.exp(np.interp(rng.uniform(0.0, m[-1], n), m, np.log(grid)))
    rho = np.gradient(m, grid) / (4 * np.pi * grid**2)
    full_rho = np.interp(_JEANS_GRID, grid, rho, right=0.0)
    pos, vel = _spherical(rng, r, _JEANS_GRID, _jeans_sigma(_JEANS_GRID, full_rho, m_tot))
    return _table(pos, vel, np.full(n, m[-1] / max(n, 1)))


def _table(pos, vel, mass):
    table = QTable()
    for i, name in enumerate("xyz"):
        table[name] = pos[:, i] * LENGTH
    for i, name in enumerate(("vx", "vy", "vz")):
        table[name] = vel[:, i] * VELOCITY
    table["mass"] = mass * MASS
    return table


def _clumps(rng, gal, centres, velocities, masses, m_part, age_range, log_z):
    """Plummer clumps of star particles (satellites, field sources); mass per particle ~m_part."""
    tables = []
    for centre, velocity, mass in zip(centres, velocities, masses, strict=True):
        n = max(int(round(mass / m_part)), 8)
        a = 0.015 * np.sqrt(mass / 1e6)  # ~1.5 kpc at 1e10 Msun (compact dwarfs)
        s = rng.uniform(0.0, 1.0, n) ** (2 / 3)
        r = a * np.sqrt(s / (1.0 - s))
        pos = centre + r[:, None] * _isotropic(rng, n)
        sigma = np.sqrt(G_KPC * mass / (6 * a))
        vel = velocity + rng.normal(0.0, sigma, (n, 3))
        t = _table(pos, vel, np.full(n, mass / n))
        t["age"] = rng.uniform(*age_range, n) * u.Gyr
        t["metallicity"] = _ZSUN * 10.0 ** (log_z + rng.normal(0.0, 0.1, n)) * u.one
        tables.append(t)
    return tables


def _satellites(rng, gal, n, m_part):
    dist = 10.0 ** rng.uniform(np.log10(15.0), np.log10(150.0), n)
    centres = dist[:, None] * _isotropic(rng, n)
    speeds = gal._vcirc(dist)
    tangent = np.cross(centres, _isotropic(rng, n))
    tangent /= np.linalg.norm(tangent, axis=1)[:, None]
    masses = gal._mstar * 10.0 ** rng.uniform(-3.0, -1.3, n)
    return _clumps(rng, gal, centres, speeds[:, None] * tangent, masses, m_part, (4.0, 12.0),
                   -0.5)


def _field(rng, gal, n, half_width, m_part):
    r = half_width * rng.uniform(0.0, 1.0, n) ** (1 / 3)
    centres = r[:, None] * _isotropic(rng, n)
    # unrelated: far off in velocity (outside any HI band), as background galaxies are
    velocities = rng.choice([-1.0, 1.0], (n, 1)) * rng.uniform(1000.0, 3000.0, (n, 1)) * \
        _isotropic(rng, n)
    masses = 10.0 ** rng.uniform(8.0, 10.0, n)
    return _clumps(rng, gal, centres, velocities, masses, m_part, (1.0, 12.0), -0.3)


def sample_galaxy(gal, counts, half_width, seed):
    """Return the `GalaxyParticles` of ``gal`` (see `DiscGalaxy.sample`)."""
    from astropy.table import vstack

    rng = np.random.default_rng(seed)
    m_tot = _total_spherical_mass(gal, _JEANS_GRID)
    stars = _stars(rng, gal, counts["n_stars"], m_tot)
    gas = _gas(rng, gal, counts["n_gas"])
    dark = _dark(rng, gal, counts["n_dark"], m_tot) if counts["n_dark"] else None
    m_part = gal._mstar / max(counts["n_stars"], 1)
    sats = _satellites(rng, gal, counts["satellites"], m_part)
    field = _field(rng, gal, counts["field_sources"], half_width, m_part)
    n_sat = sum(len(t) for t in sats)
    n_field = sum(len(t) for t in field)
    if sats or field:
        stars = vstack([stars, *sats, *field], metadata_conflicts="silent")
    meta = gal.truth()
    meta.update(n_host_stars=counts["n_stars"], n_satellite_stars=n_sat, n_field_stars=n_field,
                n_gas=counts["n_gas"], n_dark=counts["n_dark"],
                seed=seed if isinstance(seed, (int, np.integer, type(None))) else repr(seed),
                dmprofile_version=__version__, source="dmprofile.simulate.DiscGalaxy")
    return GalaxyParticles(stars, gas, dark=dark, meta=meta)
