"""Tiny synthetic disc galaxies for the observe tests (exponential discs on circular orbits)."""

from types import SimpleNamespace

import numpy as np
from astropy import units as u
from astropy.table import QTable

KMS = u.km / u.s


def exponential_disc(n, *, scale_length=3.0, v_circ=200.0, height=0.1, seed=0):
    """Positions and velocities of ``n`` particles of an exponential disc with v = const."""
    rng = np.random.default_rng(seed)
    r = rng.gamma(2.0, scale_length, n)
    phi = rng.uniform(0, 2 * np.pi, n)
    z = rng.normal(0, height, n)
    return {"x": r * np.cos(phi) * u.kpc, "y": r * np.sin(phi) * u.kpc, "z": z * u.kpc,
            "vx": -v_circ * np.sin(phi) * KMS, "vy": v_circ * np.cos(phi) * KMS,
            "vz": np.zeros(n) * KMS}


def toy_galaxy(n_stars=2000, n_gas=2000, *, v_circ=200.0, age=5.0, metallicity=0.02,
               stellar_mass=1e10, hi_mass=5e9, temperature=1e4, seed=0):
    """Return an object with ``stars`` and ``gas`` QTables (a duck-typed GalaxyParticles)."""
    stars = QTable(exponential_disc(n_stars, v_circ=v_circ, seed=seed))
    stars["mass"] = np.full(n_stars, stellar_mass / max(n_stars, 1)) * u.Msun
    stars["age"] = np.full(n_stars, age) * u.Gyr
    stars["metallicity"] = np.full(n_stars, metallicity)
    gas = QTable(exponential_disc(n_gas, scale_length=5.0, v_circ=v_circ, seed=seed + 1))
    gas["mass"] = np.full(n_gas, 1.4 * hi_mass / max(n_gas, 1)) * u.Msun
    gas["hi_mass"] = np.full(n_gas, hi_mass / max(n_gas, 1)) * u.Msun
    gas["smoothing_length"] = np.full(n_gas, 1.0) * u.kpc
    gas["temperature"] = np.full(n_gas, temperature) * u.K
    return SimpleNamespace(stars=stars, gas=gas)
