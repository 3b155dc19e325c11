import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS
from disc_toys import toy_galaxy

from dmprofile.observe import HISetup, clipped_flux_fraction, column_density, hi_cube, moment_maps

GEOMETRY = {"distance": 15 * u.Mpc, "position_angle": 0 * u.deg}
SMALL = HISetup(n_pixels=48, field_of_view=12 * u.arcmin, noise=False)


def test_setup_noise_conversion():
    setup = HISetup.paper()
    assert setup.n_channels == 64
    # 5e-6 Jy/arcsec2 times the area of a 10" Gaussian beam (113.3 arcsec2)
    assert setup.noise_per_beam.to_value(u.Jy / u.beam) == pytest.approx(5.665e-4, rel=1e-3)


@pytest.mark.slow
def test_edge_on_moment1_follows_vc_sin_i():
    """Edge-on ring (9-12 kpc): near the outer edge the sight lines run tangent to the orbits."""
    v_c, inc = 180.0, 90.0
    g = toy_galaxy(10, 4000, v_circ=v_c, temperature=100.0, seed=2)
    rng = np.random.default_rng(2)
    r, phi = rng.uniform(9.0, 12.0, 4000), rng.uniform(0, 2 * np.pi, 4000)
    g.gas["x"], g.gas["y"] = r * np.cos(phi) * u.kpc, r * np.sin(phi) * u.kpc
    g.gas["vx"] = -v_c * np.sin(phi) * u.km / u.s
    g.gas["vy"] = v_c * np.cos(phi) * u.km / u.s
    g.gas["smoothing_length"] = np.full(4000, 0.5) * u.kpc
    cube = hi_cube(g, inclination=inc * u.deg, setup=SMALL, **GEOMETRY)
    wcs = WCS(cube.header)
    assert wcs.has_celestial and cube.header["BUNIT"] == "Jy / beam"
    mom1 = moment_maps(cube)["MOM1"].data
    # PA 0: the receding major axis points north (up the rows)
    n = mom1.shape[0]
    column = mom1[:, n // 2 - 1: n // 2 + 1].mean(axis=1)
    pixel_kpc = 15e3 * np.radians(12 / 60 / 48)
    radius = (np.arange(n) - (n - 1) / 2) * pixel_kpc
    outer = (np.abs(radius) > 9.8) & (np.abs(radius) < 11.8) & np.isfinite(column)
    assert outer.sum() >= 4
    np.testing.assert_allclose(np.abs(column[outer]), v_c * np.sin(np.radians(inc)), rtol=0.06)
    assert np.all(np.sign(column[outer]) == np.sign(radius[outer]))
    inner = np.abs(radius) < 3  # sight lines through the ring see only a fraction of v_c
    assert np.all(np.abs(column[inner & np.isfinite(column)]) < 0.4 * v_c)


def test_moments_match_spectral_cube():
    spectral_cube = pytest.importorskip("spectral_cube")
    g = toy_galaxy(10, 800, seed=5)
    cube = hi_cube(g, inclination=60 * u.deg, position_angle=30 * u.deg, distance=15 * u.Mpc,
                   setup=HISetup(n_pixels=32, field_of_view=8 * u.arcmin), seed=3)
    ours = moment_maps(cube, threshold=3.0)
    from dmprofile.observe._moments import _smooth_mask

    mask, _ = _smooth_mask(cube.data.astype(float), 15.0, (10.0, 10.0), 3.0)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", AstropyWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)  # spectral-cube's 0/0 off the mask
        sc = spectral_cube.SpectralCube.read(cube).with_spectral_unit(
            u.km / u.s, velocity_convention="radio")
        sc = sc.with_mask(mask)
        m0 = sc.moment0().to_value(u.Jy / u.beam * u.km / u.s)
        m1 = sc.moment1().to_value(u.km / u.s) - cube.header["VSYS"]
        m2 = np.sqrt(sc.moment2().to_value(u.km**2 / u.s**2))
    good = np.isfinite(ours["MOM1"].data) & (np.nan_to_num(m0) > 0)
    assert good.sum() > 20
    np.testing.assert_allclose(ours["MOM0"].data[good], m0[good], rtol=1e-4)
    np.testing.assert_allclose(ours["MOM1"].data[good], m1[good], atol=1e-2)
    # spectral-cube leaves NaN where noise makes the variance negative; we clip it to 0
    ok = good & np.isfinite(m2)
    np.testing.assert_allclose(ours["MOM2"].data[ok], m2[ok], rtol=1e-3, atol=1e-2)
    assert np.all(ours["MOM2"].data[good & ~np.isfinite(m2)] == 0)


def test_hi_mass_recovered_and_noise():
    g = toy_galaxy(10, 1000, hi_mass=3e9, seed=7)
    setup = HISetup(n_pixels=48, field_of_view=48 * 8 * u.arcsec)  # pixels smaller than the beam
    geometry = {"distance": 40 * u.Mpc, "position_angle": 0 * u.deg}
    cube = hi_cube(g, inclination=50 * u.deg, setup=setup, seed=1, **geometry)
    # M_HI = 2.36e5 D^2 S dv (Msun, Mpc, Jy km/s); flux = sum / (beam area in pixels)
    beam_px = setup.beam_area.to_value(u.arcsec**2) / setup.pixel_scale.to_value(u.arcsec) ** 2
    flux = cube.data.sum() / beam_px * 5.0
    assert 2.36e5 * 40**2 * flux == pytest.approx(3e9, rel=0.05)
    edge = cube.data[:, :4, :4]
    assert np.std(edge) == pytest.approx(setup.noise_per_beam.value, rel=0.15)
    a = hi_cube(g, inclination=50 * u.deg, setup=setup, seed=1, **geometry)
    np.testing.assert_array_equal(a.data, cube.data)


def test_clipped_flux_fraction():
    g = toy_galaxy(10, 2000, v_circ=250.0)
    wide = clipped_flux_fraction(g, inclination=90 * u.deg, setup=HISetup())
    paper = clipped_flux_fraction(g, inclination=90 * u.deg)
    face_on = clipped_flux_fraction(g, inclination=0 * u.deg)
    assert wide < 1e-6 and face_on < 1e-6
    assert 0.3 < paper < 0.7


def test_column_density_and_moment_errors():
    n = column_density(1 * u.Jy / u.beam * u.km / u.s, beam_major=10 * u.arcsec,
                       beam_minor=10 * u.arcsec)
    assert n.to_value(u.cm**-2) == pytest.approx(1.104e22)
    with pytest.raises(TypeError, match="cube"):
        moment_maps(np.zeros((3, 4, 4)))
    bare = fits.PrimaryHDU(np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="cube.*WCS"):
        moment_maps(bare)


@pytest.mark.parametrize(("change", "error", "match"), [
    ({"hi_mass": 0.0}, ValueError, "no HI"),
    ({"smoothing_length": np.nan}, ValueError, "smoothing_length"),
])
def test_hi_bad_particles(change, error, match):
    g = toy_galaxy(10, 20)
    for column, value in change.items():
        g.gas[column] = np.full(len(g.gas), value) * g.gas[column].unit
    with pytest.raises(error, match=match):
        hi_cube(g, inclination=30 * u.deg, setup=SMALL, **GEOMETRY)


def test_hi_no_gas():
    with pytest.raises(ValueError, match="no gas"):
        hi_cube(toy_galaxy(10, 0), inclination=30 * u.deg, setup=SMALL, **GEOMETRY)


def test_hi_outside_field_gives_noise_only():
    from dmprofile import DMProfileWarning

    g = toy_galaxy(10, 50)
    g.gas["x"] = g.gas["x"] + 5000 * u.kpc
    setup = HISetup(n_pixels=24, field_of_view=24 * 8 * u.arcsec)
    with pytest.warns(DMProfileWarning, match="no HI falls inside"):
        cube = hi_cube(g, inclination=50 * u.deg, setup=setup, seed=1, **GEOMETRY)
    assert np.std(cube.data) == pytest.approx(setup.noise_per_beam.value, rel=1e-3)
    assert WCS(cube.header).has_celestial
