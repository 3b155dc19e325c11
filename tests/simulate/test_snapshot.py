"""Tests of read_snapshot on tiny IllustrisTNG- and EAGLE-style files written here."""

import numpy as np
import pytest
from astropy import constants as const
from astropy import units as u
from astropy.cosmology import FlatLambdaCDM

from dmprofile.simulate import DiscGalaxy, read_snapshot

h5py = pytest.importorskip("h5py")

H, A = 0.6774, 0.8
CENTRE = np.array([5000.0, 12000.0, 300.0])  # physical kpc
BULK = np.array([120.0, -40.0, 15.0])  # km/s
ANGLE = np.radians(35.0)
ROT = np.array([[1, 0, 0], [0, np.cos(ANGLE), -np.sin(ANGLE)], [0, np.sin(ANGLE), np.cos(ANGLE)]])


@pytest.fixture(scope="module")
def particles():
    gal = DiscGalaxy(stellar_mass=3e10 * u.Msun, disc_scale_length=2.5 * u.kpc,
                     m200=1e12 * u.Msun, c=10.0, hi_mass=5e9 * u.Msun)
    return gal.sample(400, 300, seed=3)


def _arrays(table):
    pos = np.column_stack([table[c].to_value(u.kpc) for c in "xyz"]) @ ROT.T + CENTRE
    vel = np.column_stack([table[c].to_value(u.km / u.s) for c in ("vx", "vy", "vz")]) @ ROT.T
    return pos, vel + BULK, table["mass"].to_value(u.Msun)


def _a_birth(ages):
    cosmo = FlatLambdaCDM(H0=100 * H, Om0=0.3089)
    grid = np.linspace(0.01, 1.0, 4000)
    t = cosmo.age(1 / grid - 1).to_value(u.Gyr)
    t_snap = np.interp(A, grid, t)
    return np.interp(t_snap - ages, t, grid)


def _write_tng(path, particles, *, header=True, drop=None):
    stars, gas = particles.stars, particles.gas
    with h5py.File(path, "w") as f:
        if header:
            f.create_group("Header").attrs.update({"HubbleParam": H, "Time": A,
                                                   "Omega0": 0.3089})
        p4 = f.create_group("PartType4")
        pos, vel, mass = _arrays(stars)
        p4["Coordinates"] = pos * H / A
        p4["Velocities"] = vel / np.sqrt(A)
        p4["Masses"] = mass * H / 1e10
        a_birth = _a_birth(np.clip(stars["age"].to_value(u.Gyr), 0.0, 9.0))
        a_birth[:3] = -0.5  # wind cells
        p4["GFM_StellarFormationTime"] = a_birth
        p4["GFM_Metallicity"] = np.asarray(stars["metallicity"])
        p0 = f.create_group("PartType0")
        pos, vel, mass = _arrays(gas)
        p0["Coordinates"] = pos * H / A
        p0["Velocities"] = vel / np.sqrt(A)
        p0["Masses"] = mass * H / 1e10
        p0["NeutralHydrogenAbundance"] = np.full(len(gas), 0.9)
        p0["InternalEnergy"] = np.full(len(gas), 150.0)
        p0["ElectronAbundance"] = np.full(len(gas), 0.1)
        p0["SubfindHsml"] = gas["smoothing_length"].to_value(u.kpc) * H / A
        if drop:
            del f[drop]
    return path


def test_tng_units_and_frame(tmp_path, particles):
    path = _write_tng(tmp_path / "tng.hdf5", particles)
    read = read_snapshot(path, flavour="tng", centre=CENTRE * u.kpc,
                         bulk_velocity=BULK * u.km / u.s)
    stars, gas = read.stars, read.gas
    assert len(stars) == len(particles.stars) - 3  # wind cells dropped
    assert read.meta["h"] == H and read.meta["scale_factor"] == A
    # masses and HI: 1e10 Msun / h, HI = 0.76 x 0.9 x mass
    np.testing.assert_allclose(stars["mass"].to_value(u.Msun),
                               particles.stars["mass"].to_value(u.Msun)[3:], rtol=1e-10)
    np.testing.assert_allclose(gas["hi_mass"] / gas["mass"], 0.76 * 0.9)
    # the frame: centred, at rest and aligned with the disc (radii preserved)
    r_in = np.sqrt(sum(particles.gas[c] ** 2 for c in "xyz")).to_value(u.kpc)
    r_out = np.sqrt(sum(gas[c] ** 2 for c in "xyz")).to_value(u.kpc)
    np.testing.assert_allclose(r_out, r_in, rtol=1e-8)
    v_in = np.sqrt(sum(particles.gas[c] ** 2 for c in ("vx", "vy", "vz")))
    v_out = np.sqrt(sum(gas[c] ** 2 for c in ("vx", "vy", "vz")))
    np.testing.assert_allclose(v_out.value, v_in.value, rtol=1e-8)
    # by default: the centre by shrinking spheres and the stars' mean velocity
    default = read_snapshot(path, flavour="tng")
    np.testing.assert_allclose(default.meta["centre"], CENTRE, atol=0.5)
    np.testing.assert_allclose(default.meta["bulk_velocity"], BULK, atol=15.0)
    j = np.sum(np.cross(np.column_stack([gas[c].value for c in "xyz"]),
                        np.column_stack([gas[c].value for c in ("vx", "vy", "vz")])), axis=0)
    assert j[2] / np.linalg.norm(j) > 0.99
    # smoothing lengths (ckpc/h) and ages (lookback time since birth)
    np.testing.assert_allclose(gas["smoothing_length"].to_value(u.kpc),
                               particles.gas["smoothing_length"].to_value(u.kpc), rtol=1e-10)
    ages = np.clip(particles.stars["age"].to_value(u.Gyr), 0.0, 9.0)[3:]
    np.testing.assert_allclose(stars["age"].to_value(u.Gyr), ages, atol=0.02)


def test_tng_temperature(tmp_path, particles):
    read = read_snapshot(_write_tng(tmp_path / "t.hdf5", particles), flavour="tng")
    mu = 4 / (1 + 3 * 0.76 + 4 * 0.76 * 0.1) * const.m_p
    expected = (2 / 3 * 150 * (u.km / u.s) ** 2 * mu / const.k_B).to_value(u.K)
    np.testing.assert_allclose(read.gas["temperature"].to_value(u.K), expected, rtol=1e-6)


def test_tng_density_smoothing_length(tmp_path, particles):
    path = _write_tng(tmp_path / "d.hdf5", particles, drop="PartType0/SubfindHsml")
    with h5py.File(path, "a") as f:
        f["PartType0/Density"] = np.full(len(particles.gas), 2e-4)  # 1e10 Msun/h / (ckpc/h)^3
    read = read_snapshot(path, flavour="tng")
    rho = 2e-4 * 1e10 / H / (A / H) ** 3
    m = read.gas["mass"].to_value(u.Msun)
    np.testing.assert_allclose(read.gas["smoothing_length"].to_value(u.kpc),
                               2.5 * (3 * m / (4 * np.pi * rho)) ** (1 / 3))


def test_eagle(tmp_path, particles):
    stars, gas = particles.stars, particles.gas
    path = tmp_path / "eagle.hdf5"
    with h5py.File(path, "w") as f:
        p4 = f.create_group("PartType4")
        pos, vel, mass = _arrays(stars)
        p4["Coordinates"] = pos / 1000 * H / A
        p4["Velocities"] = vel / np.sqrt(A)
        p4["Masses"] = mass * H / 1e10
        p4["StellarFormationTime"] = np.full(len(stars), 0.5)
        p4["SmoothedMetallicity"] = np.full(len(stars), 0.02)
        p0 = f.create_group("PartType0")
        pos, vel, mass = _arrays(gas)
        p0["Coordinates"] = pos / 1000 * H / A
        p0["Velocities"] = vel / np.sqrt(A)
        p0["Masses"] = mass * H / 1e10
        p0["SmoothingLength"] = np.full(len(gas), 1e-3 * H / A)
        temperature = np.where(np.arange(len(gas)) % 2 == 0, 8e3, 1e6)
        p0["Temperature"] = temperature
    read = read_snapshot(path, flavour="eagle", h=H, scale_factor=A, radius=200 * u.kpc)
    np.testing.assert_allclose(read.meta["centre"], CENTRE, atol=0.5)
    np.testing.assert_allclose(read.gas["smoothing_length"].to_value(u.kpc), 1.0)
    cold = read.gas["temperature"].to_value(u.K) < 1e4
    np.testing.assert_allclose(read.gas["hi_mass"][cold] / read.gas["mass"][cold], 0.752)
    assert np.all(read.gas["hi_mass"][~cold] == 0)
    assert np.all(read.stars["metallicity"] == 0.02)
    cosmo = FlatLambdaCDM(H0=100 * H, Om0=0.307)
    expected = (cosmo.age(1 / A - 1) - cosmo.age(1.0)).to_value(u.Gyr)
    np.testing.assert_allclose(read.stars["age"].to_value(u.Gyr), expected, rtol=1e-3)


def test_errors(tmp_path, particles):
    path = _write_tng(tmp_path / "x.hdf5", particles, drop="PartType0/NeutralHydrogenAbundance")
    with pytest.raises(KeyError, match="NeutralHydrogenAbundance"):
        read_snapshot(path)
    path = _write_tng(tmp_path / "y.hdf5", particles, drop="PartType4")
    with pytest.raises(KeyError, match="PartType4"):
        read_snapshot(path)
    path = _write_tng(tmp_path / "z.hdf5", particles, header=False)
    with pytest.raises(ValueError, match="'h'"):
        read_snapshot(path)
    assert len(read_snapshot(path, h=H, scale_factor=A).gas) == len(particles.gas)
    with pytest.raises(ValueError, match="'flavour'"):
        read_snapshot(path, flavour="fire")
    with pytest.raises(u.UnitTypeError, match="'radius'"):
        read_snapshot(path, h=H, scale_factor=A, radius=3 * u.s)
    with pytest.raises(ValueError, match="'centre'"):
        read_snapshot(path, h=H, scale_factor=A, centre=[1, 2] * u.kpc)
