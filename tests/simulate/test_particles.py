import numpy as np
import pytest
from astropy import units as u
from astropy.table import QTable

from dmprofile.simulate import GalaxyParticles


def _stars(n=4):
    return QTable({"x": np.arange(n) * u.kpc, "y": np.zeros(n) * u.kpc, "z": np.zeros(n) * u.pc,
                   "vx": np.zeros(n) * u.km / u.s, "vy": np.ones(n) * u.m / u.s,
                   "vz": np.zeros(n) * u.km / u.s, "mass": np.full(n, 1e6) * u.Msun,
                   "age": np.full(n, 2.0) * u.Gyr, "metallicity": np.full(n, 0.01)})


def _gas(n=3):
    t = _stars(n)
    del t["age"], t["metallicity"]
    t["hi_mass"] = np.full(n, 4e5) * u.Msun
    t["smoothing_length"] = np.full(n, 300.0) * u.pc
    t["temperature"] = np.full(n, 8e3) * u.K
    return t


def test_units_are_converted_and_totals():
    p = GalaxyParticles(_stars(), _gas(), meta={"source": "test"})
    assert p.stars["vy"].unit == u.km / u.s and p.stars["vy"][0].value == pytest.approx(1e-3)
    assert p.gas["smoothing_length"].unit == u.kpc
    assert p.stellar_mass.to_value(u.Msun) == pytest.approx(4e6)
    assert p.hi_mass.to_value(u.Msun) == pytest.approx(1.2e6)
    assert len(p) == 7 and p.dark is None and p.meta == {"source": "test"}
    assert "4 stars" in repr(p)


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="argument 'stars' has no column 'age'"):
        s = _stars()
        del s["age"]
        GalaxyParticles(s, _gas())
    with pytest.raises(u.UnitTypeError):
        g = _gas()
        g["hi_mass"] = g["hi_mass"].value * u.km
        GalaxyParticles(_stars(), g)
    with pytest.raises(ValueError, match="column 'mass' of argument 'gas' must be >= 0"):
        g = _gas()
        g["mass"][0] = -1 * u.Msun
        GalaxyParticles(_stars(), g)
    with pytest.raises(ValueError, match="smoothing_length"):
        g = _gas()
        g["smoothing_length"][1] = 0 * u.kpc
        GalaxyParticles(_stars(), g)
    with pytest.raises(ValueError, match="NaN|finite"):
        s = _stars()
        s["x"][0] = np.nan * u.kpc
        GalaxyParticles(s, _gas())
    with pytest.raises(TypeError, match="argument 'gas' must be an astropy Table"):
        GalaxyParticles(_stars(), {"x": [1]})
    with pytest.raises(ValueError, match="both empty"):
        GalaxyParticles(_stars(0), _gas(0))
    with pytest.raises(ValueError, match="argument 'gas' is required"):
        GalaxyParticles(_stars(), None)
