"""Phase-space images: normalisation, axis convention, equivalence of inputs, FITS meta."""

import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import QTable, Table
from astropy.tests.helper import assert_quantity_allclose

from dmprofile.exceptions import DMProfileWarning
from dmprofile.kinematics import PhaseSpaceImages, StarCatalogue, phase_space_images

KMS = u.km / u.s


def plummer_mock(n=1000, *, seed=0, a=0.4, v_sys=80.0, sigma=10.0):
    rng = np.random.default_rng(seed)
    q = rng.uniform(size=n)
    R = a * np.sqrt(q / (1 - q))
    phi = rng.uniform(0, 2 * np.pi, n)
    err = rng.uniform(1, 3, n)
    return QTable({"x": R * np.cos(phi) * u.kpc, "y": R * np.sin(phi) * u.kpc,
                   "v_los": rng.normal(v_sys, np.hypot(sigma, err)) * KMS, "v_err": err * KMS})


def gnomonic_inverse(x, y, center, distance):
    xi, eta = x / distance, y / distance
    a0, d0 = center.ra.rad, center.dec.rad
    denom = np.cos(d0) - eta * np.sin(d0)
    ra = a0 + np.arctan2(xi, denom)
    dec = np.arctan2(np.sin(d0) + eta * np.cos(d0), np.hypot(xi, denom))
    return np.rad2deg(ra) * u.deg, np.rad2deg(dec) * u.deg


@pytest.mark.parametrize("bins", [64, 32])
def test_shape_dtype_normalisation(bins):
    ims = phase_space_images(plummer_mock(), bins=bins)
    assert isinstance(ims, PhaseSpaceImages)
    assert ims.images.shape == (2, bins, bins)
    assert ims.images.dtype == np.float32
    np.testing.assert_allclose(ims.images.sum(axis=(1, 2)), 1.0, rtol=1e-5)
    assert np.all(ims.images >= 0)
    assert not ims.images.flags.writeable
    assert ims.bins == bins


def test_images_equal_reference_histograms():
    """Image content against an independent numpy construction of the paper's recipe."""
    t = plummer_mock(seed=3)
    r_half, v_sys = 0.4, 80.0
    ims = phase_space_images(t, r_half=r_half * u.kpc, v_sys=v_sys * KMS)
    x, y, v = t["x"].value, t["y"].value, t["v_los"].value
    h0, _, _ = np.histogram2d(x, y, bins=64, range=[[-2, 2], [-2, 2]])
    p98 = np.percentile(np.abs(v - v_sys), 98)
    h1, _, _ = np.histogram2d(np.hypot(x, y) / r_half, (v - v_sys) / p98, bins=64,
                              range=[[0, 1], [-1, 1]])
    np.testing.assert_allclose(ims.images[0], h0 / h0.sum(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ims.images[1], h1 / h1.sum(), rtol=1e-6, atol=1e-9)
    assert_quantity_allclose(ims.p98, p98 * KMS)


def test_axis_convention():
    """images[c, i, j]: i along x (or R/R_half), j along y (or v)."""
    n = 50
    rng = np.random.default_rng(1)
    t = QTable({"x": np.full(n, 1.5) * u.kpc, "y": np.full(n, -1.0) * u.kpc,
                "v_los": np.r_[np.full(n - 5, 10.5), rng.normal(10.0, 0.1, 5)] * KMS})
    with pytest.warns(DMProfileWarning, match="same projected radius"):
        ims = phase_space_images(t, r_half=3.0 * u.kpc, v_sys=10.0 * KMS)
    i, j = np.unravel_index(np.argmax(ims.images[0]), (64, 64))
    assert (i, j) == (int((1.5 + 2) / 4 * 64), int((-1.0 + 2) / 4 * 64))
    i, j = np.unravel_index(np.argmax(ims.images[1]), (64, 64))
    # R / R_half = sqrt(1.5^2 + 1) / 3 = 0.60; most velocities at +0.5 km/s above v_sys
    assert i == int(np.hypot(1.5, 1.0) / 3.0 * 64)
    assert j > 32


def test_sky_and_xy_give_identical_images():
    t = plummer_mock(n=800, seed=5)
    center = SkyCoord(100.4 * u.deg, -50.96 * u.deg)
    ra, dec = gnomonic_inverse(t["x"].value, t["y"].value, center, 105.0)
    sky = QTable({"ra": ra, "dec": dec, "v_los": t["v_los"], "v_err": t["v_err"]})
    kw = {"ellipticity": 0.36, "position_angle": 60 * u.deg}
    a = phase_space_images(t, **kw)
    b = phase_space_images(sky, center=center, distance=105 * u.kpc, **kw)
    np.testing.assert_allclose(a.images, b.images, atol=1e-7)
    assert_quantity_allclose(a.galaxy_parameters["r_half"], b.galaxy_parameters["r_half"],
                             rtol=1e-7)
    assert b.sources["center"] == "keyword"


def test_ellipticity_changes_only_phase_image():
    t = plummer_mock(seed=6)
    a = phase_space_images(t, r_half=0.4 * u.kpc, v_sys=80 * KMS)
    b = phase_space_images(t, r_half=0.4 * u.kpc, v_sys=80 * KMS, ellipticity=0.4,
                           position_angle=30 * u.deg)
    np.testing.assert_array_equal(a.images[0], b.images[0])
    assert not np.array_equal(a.images[1], b.images[1])


def test_weights_and_threshold():
    t = plummer_mock(seed=7)
    rng = np.random.default_rng(70)  # not the mock's seed: p must not correlate with radius
    p = rng.uniform(size=len(t))
    t["p_member"] = p
    kw = {"r_half": 0.4 * u.kpc, "v_sys": 80 * KMS}
    weighted = phase_space_images(t, **kw)
    x, y = t["x"].value, t["y"].value
    h0, _, _ = np.histogram2d(x, y, bins=64, range=[[-2, 2], [-2, 2]], weights=p)
    np.testing.assert_allclose(weighted.images[0], h0 / h0.sum(), rtol=1e-5, atol=1e-9)
    assert weighted.meta["weighted"]
    cut = phase_space_images(t, member_threshold=0.5, **kw)
    plain = phase_space_images(t[p >= 0.5]["x", "y", "v_los"], **kw)
    np.testing.assert_array_equal(cut.images, plain.images)
    assert cut.n_stars == np.count_nonzero(p >= 0.5)


def test_meta_forms_give_identical_images(tmp_path):
    """Keywords, Quantities in meta, plain floats in meta and a FITS round trip agree."""
    t = plummer_mock(seed=8)
    center = SkyCoord(40.0 * u.deg, -34.5 * u.deg)
    ra, dec = gnomonic_inverse(t["x"].value, t["y"].value, center, 140.0)
    sky = QTable({"ra": ra, "dec": dec, "v_los": t["v_los"], "v_err": t["v_err"]})
    params = {"center": center, "distance": 140 * u.kpc, "ellipticity": 0.3,
              "position_angle": 42.7 * u.deg, "r_half": 0.7 * u.kpc, "v_sys": 80 * KMS}
    ref = phase_space_images(sky, **params)
    floats = {"ra_cen": 40.0, "dec_cen": -34.5, "distance": 140.0, "ellip": 0.3, "pa": 42.7,
              "r_half": 0.7, "v_sys": 80.0}
    quantities = {"ra_cen": 40 * u.deg, "dec_cen": -34.5 * u.deg, "distance": 1.4e5 * u.pc,
                  "ellip": 0.3, "pa": 42.7 * u.deg, "r_half": 700 * u.pc, "v_sys": 80 * KMS}
    for meta in (floats, quantities):
        tab = sky.copy()
        tab.meta.update(meta)
        ims = phase_space_images(tab)
        np.testing.assert_allclose(ims.images, ref.images, atol=1e-7)
        assert set(ims.sources.values()) == {"meta"}
    tab = sky.copy()
    tab.meta.update(floats)
    path = tmp_path / "galaxy.fits"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no HIERARCH/VerifyWarning: keys fit in 8 characters
        tab.write(path)
    back = Table.read(path)
    np.testing.assert_array_equal(phase_space_images(back).images, phase_space_images(tab).images)


def test_dropped_rows_warn_and_images_match():
    t = plummer_mock(seed=9)
    bad = t.copy()
    bad["v_los"][:5] = np.nan * KMS
    with pytest.warns(DMProfileWarning, match="dropped 5 of 1000 rows"):
        a = phase_space_images(bad, r_half=0.4 * u.kpc)
    b = phase_space_images(t[5:], r_half=0.4 * u.kpc)
    np.testing.assert_array_equal(a.images, b.images)
    assert a.meta["n_dropped"] == 5


def test_estimated_parameters_recorded():
    ims = phase_space_images(plummer_mock(n=2000, seed=10))
    assert ims.sources["r_half"] == ims.sources["v_sys"] == "estimated"
    gp = ims.galaxy_parameters
    assert abs(gp["r_half"].to_value(u.kpc) - 0.4) < 0.05
    assert abs(gp["v_sys"].to_value(KMS) - 80.0) < 1.0
    assert "sigma_los" in gp


def test_catalogue_input_and_repr_table_plot():
    t = plummer_mock(seed=11)
    cat = StarCatalogue.from_table(t, r_half=0.4 * u.kpc)
    ims = phase_space_images(cat)
    np.testing.assert_array_equal(ims.images, phase_space_images(t, r_half=0.4 * u.kpc).images)
    with pytest.raises(TypeError, match="parsed StarCatalogue"):
        phase_space_images(cat, r_half=0.5 * u.kpc)
    text = repr(ims)
    assert "PhaseSpaceImages" in text and "n_stars = 1000" in text and "(keyword)" in text
    row = ims.to_table()
    assert len(row) == 1 and row["n_stars"][0] == 1000
    assert_quantity_allclose(row["r_half"][0], 0.4 * u.kpc)
    pytest.importorskip("matplotlib")
    axes = ims.plot()
    assert len(axes) == 2 and axes[0].get_xlabel() == "$x$ [kpc]"
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    ({"bins": 1}, ValueError, "'bins' must be >= 2"),
])
def test_argument_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        phase_space_images(plummer_mock(), **kwargs)


def test_positions_outside_image_raise():
    t = plummer_mock(seed=12)
    t["x"] += 10 * u.kpc
    with pytest.raises(ValueError, match="no star falls inside the position image"):
        phase_space_images(t, r_half=0.4 * u.kpc)


def test_empty_phase_image_warns():
    t = plummer_mock(seed=13)
    t["x"] += 0.5 * u.kpc
    with pytest.warns(DMProfileWarning, match="no star lies inside R_half"):
        phase_space_images(t, r_half=1e-4 * u.kpc)
