"""Tests of dmprofile.observe: projection, errors, contamination, binaries, validation."""

import numpy as np
import pytest
from astropy import units as u
from astropy.table import QTable, Table
from astropy.tests.helper import assert_quantity_allclose
from scipy import stats

from dmprofile import __version__
from dmprofile.observe import binary_velocities, draw_velocity_errors, observe

KMS = u.km / u.s


def plummer_sample(n=2000, *, a=0.3, sigma=10.0, seed=0):
    """Make a fake galaxy: Plummer positions (scale a kpc), isotropic Gaussian velocities."""
    rng = np.random.default_rng(seed)
    r = a / np.sqrt(rng.uniform(size=n) ** (-2 / 3) - 1)
    direction = rng.normal(size=(n, 3))
    direction /= np.linalg.norm(direction, axis=1)[:, None]
    pos = r[:, None] * direction
    vel = rng.normal(0, sigma, size=(n, 3))
    table = QTable(meta={"gamma_150": -1.0, "r_half": a, "halo_family": "fake", "seed": seed})
    for i, name in enumerate("xyz"):
        table[name] = pos[:, i] * u.kpc
    for i, name in enumerate(("vx", "vy", "vz")):
        table[name] = vel[:, i] * KMS
    return table


@pytest.fixture(scope="module")
def sample():
    return plummer_sample()


def test_columns_units_meta(sample):
    obs = observe(sample, seed=1)
    assert obs.colnames == ["x", "y", "v_los", "v_err"]
    assert len(obs) == len(sample)
    for name, unit in (("x", u.kpc), ("y", u.kpc), ("v_los", KMS), ("v_err", KMS)):
        assert obs[name].unit == unit
    assert_quantity_allclose(obs["v_err"], 2 * KMS)
    m = obs.meta
    # truth carried over, observation parameters added
    assert m["gamma_150"] == -1.0 and m["halo_family"] == "fake"
    assert m["sample_seed"] == 0 and m["seed"] == 1
    assert m["n_stars"] == m["n_members"] == len(sample)
    assert m["dmprofile_version"] == __version__
    assert m["contamination"] == 0.0 and m["binary_fraction"] == 0.0
    assert np.isclose(np.linalg.norm(m["los"]), 1.0)
    assert m["v_err_median"] == 2.0


def test_plain_table_with_units_accepted(sample):
    obs_q = observe(sample, seed=3)
    obs_t = observe(Table(sample), seed=3)
    assert np.array_equal(obs_q["v_los"], obs_t["v_los"])


def test_seed_reproducible(sample):
    a = observe(sample, seed=42, contamination=0.2, binary_fraction=0.3)
    b = observe(sample, seed=42, contamination=0.2, binary_fraction=0.3)
    c = observe(sample, seed=43, contamination=0.2, binary_fraction=0.3)
    for name in a.colnames:
        assert np.array_equal(a[name], b[name])
    assert not np.array_equal(a["v_los"], c["v_los"])
    # a Generator works too and is advanced
    rng = np.random.default_rng(5)
    assert not np.array_equal(observe(sample, seed=rng)["x"], observe(sample, seed=rng)["x"])


def test_given_los_projection(sample):
    obs = observe(sample, los=[0, 0, 2.0], v_err=1e-9 * KMS, seed=0)
    # z line of sight: v_los = vz, and the sky plane is the (x, y) plane (up to a rotation)
    assert_quantity_allclose(obs["v_los"], sample["vz"], atol=1e-6 * KMS)
    assert_quantity_allclose(np.hypot(obs["x"], obs["y"]), np.hypot(sample["x"], sample["y"]))
    assert obs.meta["los"] == [0.0, 0.0, 1.0]
    # x line of sight
    obs = observe(sample, los=np.array([1.0, 0, 0]), v_err=1e-9 * KMS, v_sys=100 * KMS, seed=0)
    assert_quantity_allclose(obs["v_los"], sample["vx"] + 100 * KMS, atol=1e-6 * KMS)
    assert_quantity_allclose(np.hypot(obs["x"], obs["y"]), np.hypot(sample["y"], sample["z"]))


def test_random_los_isotropic():
    tiny = plummer_sample(5)
    los = np.array([observe(tiny, seed=s).meta["los"] for s in range(2000)])
    assert np.allclose(np.linalg.norm(los, axis=1), 1.0)
    # isotropy: cos(theta) uniform in [-1, 1], phi uniform in [0, 2 pi), mean vector ~ 0
    assert stats.kstest(los[:, 2], stats.uniform(-1, 2).cdf).pvalue > 1e-3
    phi = np.arctan2(los[:, 1], los[:, 0]) % (2 * np.pi)
    assert stats.kstest(phi, stats.uniform(0, 2 * np.pi).cdf).pvalue > 1e-3
    assert np.linalg.norm(los.mean(axis=0)) < 4 / np.sqrt(len(los))


def test_projection_preserves_dispersion(sample):
    # isotropic velocities: the LOS dispersion equals the 1D dispersion for any direction
    obs = observe(sample, v_err=1e-9 * KMS, seed=7)
    assert abs(np.std(obs["v_los"].value) / 10.0 - 1) < 4 / np.sqrt(2 * len(sample))


@pytest.mark.parametrize("per_star", [False, True])
def test_error_statistics(sample, per_star):
    n = len(sample)
    err = (np.geomspace(0.5, 5, n) * KMS) if per_star else 2 * KMS
    obs = observe(sample, los=[0, 0, 1], v_err=err, seed=11)
    z = ((obs["v_los"] - sample["vz"]) / obs["v_err"]).to_value(u.one)
    assert_quantity_allclose(obs["v_err"], err * np.ones(n))
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(np.std(z) - 1) < 0.06


def test_log_normal_error_scatter(sample):
    obs = observe(sample, v_err=1.5 * KMS, v_err_scatter=0.2, seed=2)
    log_err = np.log10(obs["v_err"].value)
    assert abs(np.median(obs["v_err"].value) / 1.5 - 1) < 0.05
    assert abs(np.std(log_err) - 0.2) < 0.015
    assert obs.meta["v_err_median"] == pytest.approx(np.median(obs["v_err"].value))
    err = draw_velocity_errors(20000, median=3 * KMS, scatter=0.1, seed=0)
    assert err.unit == KMS and err.shape == (20000,)
    assert abs(np.median(err.value) / 3 - 1) < 0.01
    assert abs(np.std(np.log10(err.value)) - 0.1) < 0.003
    assert_quantity_allclose(draw_velocity_errors(3, median=1 * KMS, scatter=0), [1, 1, 1] * KMS)


@pytest.mark.parametrize("fraction", [0.1, 0.3])
def test_contamination_fraction_and_foreground(sample, fraction):
    obs = observe(sample, contamination=fraction, v_sys=50 * KMS, seed=3)
    n = len(sample)
    n_fg = int(round(fraction * n / (1 - fraction)))
    assert len(obs) == n + n_fg
    assert obs["is_member"].sum() == n
    assert abs((~obs["is_member"]).mean() - fraction) < 1e-3
    fg = obs[~obs["is_member"]]
    r_field = obs.meta["field_radius"]
    assert r_field == pytest.approx(np.hypot(obs["x"], obs["y"])[obs["is_member"]].max().value)
    # uniform in the field disc: R^2 / R_field^2 is uniform in [0, 1]
    r2 = (np.hypot(fg["x"], fg["y"]).value / r_field) ** 2
    assert r2.max() <= 1.0
    assert stats.kstest(r2, "uniform").pvalue > 1e-3
    # broad Gaussian centred on v_sys with 60 km/s dispersion
    v = fg["v_los"].value
    assert abs(np.mean(v) - 50) < 5 * 60 / np.sqrt(n_fg)
    assert abs(np.std(v) / 60 - 1) < 0.1


def test_p_member_calibration(sample):
    obs = observe(sample, contamination=0.3, v_err=2 * KMS, v_err_scatter=0.2, seed=4)
    p = np.asarray(obs["p_member"])
    member = np.asarray(obs["is_member"])
    assert np.all((p >= 0) & (p <= 1))
    assert p[member].mean() > 0.8
    assert p[~member].mean() < 0.3
    # calibrated probabilities: the expected number of members is right, and in each bin of
    # p_member the member fraction matches the mean probability
    assert abs(p.sum() / member.sum() - 1) < 0.05
    edges = np.linspace(0, 1, 6)
    idx = np.digitize(p, edges[1:-1])
    for k in range(5):
        sel = idx == k
        if sel.sum() >= 50:
            assert abs(member[sel].mean() - p[sel].mean()) < 0.12


def test_binary_jitter(sample):
    base = observe(sample, los=[0, 0, 1], v_err=1e-9 * KMS, seed=9)
    obs = observe(sample, los=[0, 0, 1], v_err=1e-9 * KMS, binary_fraction=0.5, seed=9)
    dv = (obs["v_los"] - sample["vz"]).to_value(KMS)
    assert obs.meta["n_binaries"] == len(sample) // 2
    moved = np.abs(dv) > 1e-6
    assert np.all(np.abs((base["v_los"] - sample["vz"]).to_value(KMS)) < 1e-6)
    assert 0.9 * len(sample) // 2 < moved.sum() <= len(sample) // 2


def test_binary_velocity_distribution():
    v = binary_velocities(100_000, seed=1).to_value(KMS)
    # the largest possible amplitude: shortest period (100 d), q = 1, edge-on
    period = 100 * 86400.0
    k_max = (2 * np.pi * 1.32712440018e11 * 1.6 / period) ** (1 / 3) * 0.5
    assert np.abs(v).max() <= k_max
    assert np.abs(v).max() > 0.7 * k_max
    assert 0.3 < np.median(np.abs(v)) < 1.0
    assert 0.005 < np.mean(np.abs(v) > 10) < 0.05
    # symmetric about zero
    assert abs(np.mean(np.sign(v))) < 0.02


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"v_err": 2.0}, TypeError, "'v_err' must be an astropy Quantity"),
    ({"v_err": 2 * u.kpc}, u.UnitTypeError, "'v_err' must have speed"),
    ({"v_err": -1 * KMS}, ValueError, "'v_err' must be >= 0"),
    ({"v_err": [1, 2] * KMS}, ValueError, "one value per star"),
    ({"v_err": [1, 2] * KMS, "v_err_scatter": 0.1}, ValueError, "one value per star"),
    ({"v_sys": 3 * u.s}, u.UnitTypeError, "'v_sys'"),
    ({"contamination": 1.0}, ValueError, r"'contamination' must lie in \[0, 1\)"),
    ({"contamination": -0.1}, ValueError, "'contamination'"),
    ({"binary_fraction": 1.5}, ValueError, "'binary_fraction'"),
    ({"los": [0, 0, 0]}, ValueError, "non-zero"),
    ({"los": [1, 0]}, ValueError, "3-vector"),
    ({"v_err_scatter": -0.1}, ValueError, "'v_err_scatter'"),
    ({"foreground_sigma": 0 * KMS}, ValueError, "'foreground_sigma' must be > 0"),
])
def test_bad_arguments(kwargs, error, match):
    tiny = plummer_sample(10)
    with pytest.raises(error, match=match):
        observe(tiny, **kwargs)


def test_bad_samples():
    good = plummer_sample(10)
    with pytest.raises(TypeError, match="must be an astropy Table"):
        observe(np.zeros((10, 6)))
    bad = good.copy()
    bad.remove_column("vz")
    with pytest.raises(ValueError, match="column 'vz'"):
        observe(bad)
    bad = Table(good)
    bad["x"].unit = None
    with pytest.raises(u.UnitTypeError,
                       match=r"column 'x' must have length units \(e.g. kpc\), got no unit"):
        observe(bad)
    bad = good.copy()
    bad["vx"] = bad["vx"].value * u.kpc
    with pytest.raises(u.UnitTypeError, match="column 'vx'"):
        observe(bad)
    bad = good.copy()
    bad["x"][0] = np.nan * u.kpc
    with pytest.raises(ValueError, match="non-finite"):
        observe(bad)
    with pytest.raises(ValueError, match="no stars"):
        observe(good[:0])
    with pytest.raises(ValueError, match="non-negative integer"):
        draw_velocity_errors(2.5)


def test_real_galaxy():
    from dmprofile.profiles import NFW, Cuddeford, Plummer
    from dmprofile.simulate import DwarfGalaxy

    galaxy = DwarfGalaxy(NFW.from_M200_c(1e9 * u.Msun, 15), Plummer(0.3 * u.kpc),
                         Cuddeford(-0.1, 3 * u.kpc))
    obs = observe(galaxy.sample(300, seed=1), seed=2, contamination=0.1)
    assert obs.meta["gamma_150"] == pytest.approx(galaxy.truth()["gamma_150"])
    assert obs.meta["sample_seed"] == 1 and obs.meta["seed"] == 2
    assert obs["p_member"][obs["is_member"]].mean() > 0.8
