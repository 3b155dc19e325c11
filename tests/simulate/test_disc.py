"""Tests of DiscGalaxy: composite circular velocity, truth against particles, input checks."""

import numpy as np
import pytest
from astropy import units as u
from astropy.units import UnitTypeError

from dmprofile._utils import G_KPC
from dmprofile.profiles import NFW, kernels
from dmprofile.simulate import DISC_RADII, DiscGalaxy, GalaxyParticles
from dmprofile.simulate._disc_relations import PLANCK18, wang16_log_hi_diameter

BASE = {"stellar_mass": 4e10 * u.Msun, "disc_scale_length": 3.0 * u.kpc,
        "m200": 1.2e12 * u.Msun, "c": 9.0, "hi_mass": 6e9 * u.Msun}
R = np.array([0.5, 2.0, 6.0, 15.0, 40.0]) * u.kpc


def _galaxy(**kwargs):
    return DiscGalaxy(**{**BASE, **kwargs})


def test_disc_radii():
    assert DISC_RADII.unit == u.kpc and DISC_RADII.shape == (20,)
    np.testing.assert_allclose(DISC_RADII.value[[0, -1]], [1.0, 100.0])
    np.testing.assert_allclose(np.diff(np.log(DISC_RADII.value)), np.log(100) / 19)


def test_circular_velocity_against_freeman_and_nfw():
    gal = _galaxy(bulge_fraction=0.25, bulge_scale_radius=0.6 * u.kpc, hi_hole_depth=0.7,
                  hi_hole_ratio=0.4)
    r = R.to_value(u.kpc)
    # without a response the dark matter and the hot gas together are (1 - f_gal) of the NFW
    halo = NFW.from_M200_c(BASE["m200"], 9.0, H0=PLANCK18["H0"] * u.km / u.s / u.Mpc)
    m_gal = 4e10 + 6e9 / 0.76
    f_gal = m_gal / 1.2e12
    v2_halo = G_KPC * (1 - f_gal) * halo.enclosed_mass(R).to_value(u.Msun) / r
    sigma_d = 0.75 * 4e10 / (2 * np.pi * 9.0)
    v2_disc = kernels.exponential_disc_vcirc2(r, sigma_d, 3.0)
    v2_bulge = G_KPC * 1e10 * r / (r + 0.6) ** 2
    r1 = gal.hi_scale_length.to_value(u.kpc)
    s_gas = 6e9 / 0.76 / (2 * np.pi * (r1**2 - 0.7 * (0.4 * r1) ** 2))
    v2_gas = (kernels.exponential_disc_vcirc2(r, s_gas, r1)
              - 0.7 * kernels.exponential_disc_vcirc2(r, s_gas, 0.4 * r1))
    expected = np.sqrt(v2_halo + v2_disc + v2_bulge + v2_gas)
    np.testing.assert_allclose(gal.circular_velocity(R).to_value(u.km / u.s), expected,
                               rtol=2e-4)
    parts = gal.circular_velocity(R, components=True)
    np.testing.assert_allclose(parts["disc"].to_value(u.km / u.s), np.sqrt(v2_disc))
    assert set(parts) == {"disc", "bulge", "gas", "halo", "total"}


def test_circular_velocity_against_galpy():
    potential = pytest.importorskip("galpy.potential")
    gal = _galaxy(hi_mass=1.0 * u.Msun)  # a massless HI disc: disc + NFW only
    f_gal = (4e10 + 1 / 0.76) / 1.2e12
    halo = NFW.from_M200_c(BASE["m200"], 9.0, H0=PLANCK18["H0"] * u.km / u.s / u.Mpc)
    rho_s = halo.parameters["rho_s"].to_value(u.Msun / u.kpc**3)
    r_s = halo.parameters["r_s"].to_value(u.kpc)
    kw = {"ro": 8.0, "vo": 220.0}
    pots = [potential.RazorThinExponentialDiskPotential(
                amp=4e10 / (2 * np.pi * 9.0) * u.Msun / u.kpc**2, hr=3.0 * u.kpc, **kw),
            potential.NFWPotential(amp=(1 - f_gal) * 4 * np.pi * rho_s * r_s**3 * u.Msun,
                                   a=r_s * u.kpc, **kw)]
    v_galpy = [np.sqrt(sum(p.vcirc(r, quantity=True).to_value(u.km / u.s) ** 2 for p in pots))
               for r in R]
    np.testing.assert_allclose(gal.circular_velocity(R).to_value(u.km / u.s), v_galpy,
                               rtol=2e-3)


def test_response_of_the_halo():
    r = [1.0, 3.0] * u.kpc
    plain = _galaxy().dark_mass(r)
    contracted = _galaxy(contraction=1.0).dark_mass(r)
    expanded = _galaxy(contraction=-0.5).dark_mass(r)
    cored = _galaxy(core_radius=3 * u.kpc, core_strength=0.8).dark_mass(r)
    assert np.all(contracted > 1.2 * plain)
    assert np.all(expanded < plain)
    assert np.all(cored < 0.9 * plain)
    # the core only moves mass: far out the halo is unchanged
    far = 200 * u.kpc
    cored_far = _galaxy(core_radius=3 * u.kpc, core_strength=0.8).dark_mass(far)
    assert cored_far.value == pytest.approx(_galaxy().dark_mass(far).value, rel=1e-3)


def test_hi_size_follows_wang2016():
    gal = _galaxy(hi_hole_depth=0.8, hi_hole_ratio=0.5)
    d_hi = gal.truth()["hi_diameter"]
    assert np.log10(d_hi) == pytest.approx(float(wang16_log_hi_diameter(np.log10(6e9))),
                                           abs=0.01)


@pytest.fixture(scope="module")
def realisation():
    gal = _galaxy(bulge_fraction=0.2, contraction=0.6, core_radius=2 * u.kpc, core_strength=0.3,
                  hi_hole_depth=0.6)
    return gal, gal.sample(20000, 20000, n_dark=20000, seed=7)


def _enclosed(table, radii):
    r = np.sqrt(table["x"] ** 2 + table["y"] ** 2 + table["z"] ** 2).to_value(u.kpc)
    m = table["mass"].to_value(u.Msun)
    return np.array([m[r < rk].sum() for rk in radii]), np.array([(r < rk).sum()
                                                                  for rk in radii])


def test_truth_against_particles(realisation):
    gal, parts = realisation
    truth = parts.meta
    radii = np.array(truth["radii"])
    m_dm, n_dm = _enclosed(parts.dark, radii)
    ok = n_dm > 400
    assert ok.sum() >= 10
    err = 4 / np.sqrt(n_dm[ok]) / np.log(10)  # 4 sigma of the Poisson noise, in dex
    assert np.all(np.abs(np.log10(m_dm[ok]) - np.array(truth["log_mdm"])[ok]) < err)
    m_s, n_s = _enclosed(parts.stars, radii)
    m_g, n_g = _enclosed(parts.gas, radii)
    n_b = n_s + n_g
    ok = n_b > 400
    err = 4 / np.sqrt(n_b[ok]) / np.log(10)
    assert np.all(np.abs(np.log10(m_s + m_g)[ok] - np.array(truth["log_mbar"])[ok]) < err)
    r_star = np.sqrt(parts.stars["x"] ** 2 + parts.stars["y"] ** 2 + parts.stars["z"] ** 2)
    assert np.median(r_star.to_value(u.kpc)) == pytest.approx(truth["r_half_stars"], rel=0.03)
    assert parts.stellar_mass.to_value(u.Msun) == pytest.approx(4e10)
    assert parts.hi_mass.to_value(u.Msun) == pytest.approx(6e9)


def test_gas_rotates_at_the_circular_velocity(realisation):
    gal, parts = realisation
    g = parts.gas
    R = np.hypot(g["x"], g["y"]).to_value(u.kpc)
    v_phi = ((g["x"] * g["vy"] - g["y"] * g["vx"]) / np.hypot(g["x"], g["y"])).to_value(u.km / u.s)
    for lo, hi in ((4, 6), (10, 14), (20, 26)):
        sel = (R > lo) & (R < hi)
        vc = gal.circular_velocity(R[sel] * u.kpc).to_value(u.km / u.s)
        assert np.mean(v_phi[sel] - vc) == pytest.approx(0.0, abs=3 * 8 / np.sqrt(sel.sum()) + 1)
    assert np.all(g["smoothing_length"] > 0) and np.all(g["temperature"] == 8000 * u.K)


def test_truth_keys_and_v_circ(realisation):
    gal, parts = realisation
    truth = gal.truth()
    v = gal.circular_velocity(2 * truth["r_half_stars"] * u.kpc).to_value(u.km / u.s)
    assert truth["v_circ_2rhalf"] == pytest.approx(v)
    for key in ("stellar_mass", "hi_mass", "m200", "c", "disc_scale_length", "bulge_fraction",
                "r_half_stars", "log_mdm", "log_mbar"):
        assert key in parts.meta
    assert len(truth["log_mdm"]) == 20 and np.all(np.diff(truth["log_mdm"]) > 0)


def test_stellar_populations_have_gradients(realisation):
    _, parts = realisation
    s = parts.stars
    R = np.hypot(s["x"], s["y"]).to_value(u.kpc)
    inner, outer = R < 3, (R > 9) & (R < 15)
    assert np.median(s["age"][inner]) > np.median(s["age"][outer])
    assert np.median(s["metallicity"][inner]) > np.median(s["metallicity"][outer])


def test_sample_reproducible_with_satellites_and_field():
    gal = _galaxy()
    a = gal.sample(300, 200, satellites=2, field_sources=3, seed=5)
    b = gal.sample(300, 200, satellites=2, field_sources=3, seed=5)
    assert isinstance(a, GalaxyParticles)
    np.testing.assert_array_equal(a.stars["x"], b.stars["x"])
    n_host, n_sat, n_field = (a.meta[k] for k in ("n_host_stars", "n_satellite_stars",
                                                  "n_field_stars"))
    assert n_host == 300 and n_sat >= 16 and n_field >= 24
    assert len(a.stars) == n_host + n_sat + n_field
    c = gal.sample(300, 200, seed=6)
    assert not np.array_equal(a.stars["x"][:300], c.stars["x"])


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"stellar_mass": 4e10}, TypeError, "'stellar_mass'"),
    ({"disc_scale_length": 3 * u.km / u.s}, UnitTypeError, "'disc_scale_length'"),
    ({"m200": -1 * u.Msun}, ValueError, "'m200'"),
    ({"bulge_fraction": 1.5}, ValueError, "'bulge_fraction'"),
    ({"c": np.nan}, ValueError, "'c'"),
    ({"core_strength": 0.5}, ValueError, "'core_radius'"),
    ({"contraction_model": "nope"}, ValueError, "'contraction_model'"),
    ({"m200": 5e10 * u.Msun}, ValueError, "'m200'"),
])
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        _galaxy(**kwargs)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_stars": -1, "n_gas": 10}, "'n_stars'"),
    ({"n_stars": 10, "n_gas": 2.5}, "'n_gas'"),
    ({"n_stars": 10, "n_gas": 10, "satellites": -2}, "'satellites'"),
])
def test_bad_sample_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _galaxy().sample(**kwargs)
