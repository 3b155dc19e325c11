"""Star-catalogue parsing: columns, units, membership, galaxy parameters, projection, errors."""

import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import MaskedColumn, QTable, Table
from astropy.tests.helper import assert_quantity_allclose

from dmprofile.exceptions import DMProfileWarning
from dmprofile.kinematics import StarCatalogue, elliptical_radius

KMS = u.km / u.s


def mock(n=200, *, seed=0, a=0.3, v_sys=50.0, sigma=10.0, p_member=False):
    rng = np.random.default_rng(seed)
    q = rng.uniform(size=n)
    R = a * np.sqrt(q / (1 - q))
    phi = rng.uniform(0, 2 * np.pi, n)
    err = rng.uniform(1, 3, n)
    t = QTable({"x": R * np.cos(phi) * u.kpc, "y": R * np.sin(phi) * u.kpc,
                "v_los": rng.normal(v_sys, np.hypot(sigma, err)) * KMS, "v_err": err * KMS})
    if p_member:
        t["p_member"] = rng.uniform(0, 1, n)
    return t


def sky_from_xy(x, y, center, distance):
    """Inverse gnomonic projection (x east, y north, kpc) -> ra, dec [deg]."""
    xi, eta = x / distance, y / distance
    a0, d0 = center.ra.rad, center.dec.rad
    rho = np.hypot(xi, eta)
    c = np.arctan(rho)
    with np.errstate(invalid="ignore", divide="ignore"):
        north = np.where(rho > 0, eta * np.sin(c) * np.cos(d0) / rho, 0)
        dec = np.arcsin(np.cos(c) * np.sin(d0) + north)
    ra = a0 + np.arctan2(xi * np.sin(c),
                         rho * np.cos(d0) * np.cos(c) - eta * np.sin(d0) * np.sin(c))
    return np.rad2deg(ra) % 360, np.rad2deg(dec)


def test_xy_catalogue_defaults():
    t = mock()
    cat = StarCatalogue.from_table(t, r_half=0.3 * u.kpc, v_sys=50 * KMS)
    assert cat.n_stars == 200
    assert cat.sources == {"center": "none", "distance": "none", "ellipticity": "default",
                           "position_angle": "default", "r_half": "keyword", "v_sys": "keyword"}
    np.testing.assert_allclose(cat.R, np.hypot(t["x"].value, t["y"].value))
    assert cat.weights is None
    assert "StarCatalogue" in repr(cat)


def test_table_with_column_units_and_masked_rows():
    t = Table(mock())
    v = MaskedColumn(t["v_los"], unit=KMS, mask=np.zeros(len(t), bool))
    v.mask[:4] = True
    t["v_los"] = v
    with pytest.warns(DMProfileWarning, match="dropped 4 of 200 rows"):
        cat = StarCatalogue.from_table(t, r_half=0.3 * u.kpc)
    assert cat.n_stars == 196


def test_nan_and_inf_rows_dropped_with_count():
    t = mock()
    t["x"][0] = np.nan * u.kpc
    t["v_los"][1] = np.inf * KMS
    t["v_err"][2] = np.nan * KMS
    with pytest.warns(DMProfileWarning, match="dropped 3 of 200 rows"):
        cat = StarCatalogue.from_table(t)
    assert cat.n_stars == 197


def test_membership_threshold_and_weights():
    t = mock(p_member=True)
    p = np.asarray(t["p_member"])
    cut = StarCatalogue.from_table(t, member_threshold=0.5, r_half=0.3 * u.kpc)
    assert cut.n_stars == np.count_nonzero(p >= 0.5)
    assert cut.weights is None
    weighted = StarCatalogue.from_table(t, r_half=0.3 * u.kpc)
    np.testing.assert_allclose(weighted.weights, p[p > 0])


def test_galaxy_parameters_keyword_beats_meta_and_meta_is_case_insensitive():
    t = mock()
    t.meta.update({"R_HALF": 0.25, "v_sys": 49.0 * KMS, "ELLIP": 0.2, "PA": 30.0})
    cat = StarCatalogue.from_table(t, v_sys=51 * KMS)
    gp = cat.galaxy_parameters
    assert_quantity_allclose(gp["r_half"], 0.25 * u.kpc)
    assert_quantity_allclose(gp["v_sys"], 51 * KMS)
    assert gp["ellipticity"] == 0.2
    assert_quantity_allclose(gp["position_angle"], 30 * u.deg)
    assert cat.sources["r_half"] == "meta"
    assert cat.sources["v_sys"] == "keyword"


def test_meta_aliases():
    t = mock()
    t.meta.update({"ellipticity": 0.3, "position_angle": 10 * u.deg, "r_half": 300 * u.pc})
    gp = StarCatalogue.from_table(t).galaxy_parameters
    assert gp["ellipticity"] == 0.3
    assert_quantity_allclose(gp["r_half"], 0.3 * u.kpc)


def test_estimates_used_when_absent():
    t = mock(n=2000, a=0.4, v_sys=100.0)
    cat = StarCatalogue.from_table(t)
    gp = cat.galaxy_parameters
    assert cat.sources["r_half"] == cat.sources["v_sys"] == "estimated"
    assert abs(gp["r_half"].to_value(u.kpc) - 0.4) < 0.04
    assert abs(gp["v_sys"].to_value(KMS) - 100.0) < 1.0
    assert abs(gp["sigma_los"].to_value(KMS) - 10.0) < 1.0


@pytest.mark.parametrize(("pa", "point", "expected"), [
    (90.0, (1.0, 0.0), np.sqrt(0.64)),       # on the major axis (towards the east)
    (90.0, (0.0, 1.0), 1 / np.sqrt(0.64)),   # on the minor axis
    (0.0, (0.0, 1.0), np.sqrt(0.64)),        # major axis towards the north
    (45.0, (1.0, 1.0), np.sqrt(2 * 0.64)),
])
def test_elliptical_radius_convention(pa, point, expected):
    R = elliptical_radius(np.array([point[0]]), np.array([point[1]]), 0.36, np.deg2rad(pa))
    np.testing.assert_allclose(R, expected)


def test_sky_projection_matches_xy():
    t = mock(n=300)
    center = SkyCoord(40.0 * u.deg, -34.5 * u.deg)
    ra, dec = sky_from_xy(t["x"].value, t["y"].value, center, 140.0)
    sky = QTable({"ra": ra * u.deg, "dec": dec * u.deg, "v_los": t["v_los"]})
    cat = StarCatalogue.from_table(sky, center=center, distance=140 * u.kpc, r_half=0.3 * u.kpc)
    np.testing.assert_allclose(cat.x, t["x"].value, atol=1e-9)
    np.testing.assert_allclose(cat.y, t["y"].value, atol=1e-9)
    # and agrees with astropy's sky offset frame up to terms of order (offset angle)^2
    off = SkyCoord(ra * u.deg, dec * u.deg).transform_to(center.skyoffset_frame())
    # (inside the 2 kpc of the position image, i.e. within 0.8 deg)
    inner = np.hypot(cat.x, cat.y) < 2.0
    np.testing.assert_allclose(cat.x[inner], 140 * off.lon.rad[inner], rtol=5e-4, atol=1e-9)
    np.testing.assert_allclose(cat.y[inner], 140 * off.lat.rad[inner], rtol=5e-4, atol=1e-9)


def test_sky_parameters_from_fits_style_meta():
    t = mock(n=100)
    center = SkyCoord(150.0 * u.deg, 10.0 * u.deg)
    ra, dec = sky_from_xy(t["x"].value, t["y"].value, center, 80.0)
    sky = Table({"ra": ra * u.deg, "dec": dec * u.deg, "v_los": t["v_los"]})
    sky.meta.update({"RA_CEN": 150.0, "DEC_CEN": 10.0, "DISTANCE": 80.0})
    cat = StarCatalogue.from_table(sky)
    assert cat.sources["center"] == cat.sources["distance"] == "meta"
    np.testing.assert_allclose(cat.x, t["x"].value, atol=1e-9)


# ----------------------------------------------------------------------------- errors
def _drop(t, name):
    t = t.copy()
    t.remove_column(name)
    return t


def _strip_unit(t, name):
    t = Table(t)
    t[name] = np.asarray(t[name])
    return t


@pytest.mark.parametrize(("make", "kwargs", "exc", "match"), [
    (lambda t: _drop(t, "v_los"), {}, KeyError, "no column 'v_los'"),
    (lambda t: _drop(t, "y"), {}, KeyError, "'x', 'y' .* or sky positions 'ra', 'dec'"),
    (lambda t: _strip_unit(t, "v_los"), {}, u.UnitTypeError,
     "column 'v_los' must have speed/velocity units .* no unit"),
    (lambda t: _strip_unit(t, "x"), {}, u.UnitTypeError, "column 'x' must have length units"),
    (lambda t: QTable({**{c: t[c] for c in t.colnames}, "v_err": t["v_err"].value * u.kpc}), {},
     u.UnitTypeError, "column 'v_err' must have speed/velocity units .* got kpc"),
    (lambda t: QTable({**{c: t[c] for c in t.colnames}, "x": t["x"].value * KMS}), {},
     u.UnitTypeError, "column 'x' must have length units"),
    (lambda t: QTable({**{c: t[c] for c in t.colnames}, "p_member": np.ones(len(t)) * u.kpc}), {},
     u.UnitTypeError, "column 'p_member' must be dimensionless"),
    (lambda t: t[:19], {}, ValueError, "only 19 usable stars"),
    (lambda t: t, {"member_threshold": 0.5}, ValueError, "no 'p_member' column"),
    (lambda t: QTable({**{c: t[c] for c in t.colnames}, "v_los": np.full(len(t), 7.0) * KMS}), {},
     ValueError, "all 200 line-of-sight velocities are equal"),
    (lambda t: t, {"r_half": 0 * u.kpc}, ValueError, "'r_half' must be > 0"),
    (lambda t: t, {"r_half": -0.1 * u.kpc}, ValueError, "'r_half' must be > 0"),
    (lambda t: t, {"r_half": 0.3}, TypeError, "'r_half' must be an astropy Quantity"),
    (lambda t: t, {"v_sys": 3 * u.kpc}, u.UnitTypeError, "'v_sys' must have speed"),
    (lambda t: t, {"distance": 0 * u.kpc}, ValueError, "'distance' must be > 0"),
    (lambda t: t, {"ellipticity": 1.2}, ValueError, "ellipticity must be in"),
    (lambda t: t, {"centre": 1}, TypeError, "unexpected galaxy parameter"),
    (lambda t: t, {"center": (1, 2)}, TypeError, "scalar SkyCoord"),
    (lambda t: dict(t), {}, TypeError, "Table or QTable, got dict"),
])
def test_errors(make, kwargs, exc, match):
    t = mock()
    with pytest.raises(exc, match=match):
        StarCatalogue.from_table(make(t), **kwargs)


def test_too_few_members_after_threshold():
    t = mock(n=40, p_member=True)
    t["p_member"] = np.r_[np.ones(15), np.zeros(25)]
    with pytest.raises(ValueError, match="only 15 usable stars"):
        StarCatalogue.from_table(t, member_threshold=0.5)
    with pytest.raises(ValueError, match="only 15 usable stars"):
        StarCatalogue.from_table(t)


def test_too_few_after_dropping_nan():
    t = mock(n=25)
    t["v_los"][:6] = np.nan * KMS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DMProfileWarning)
        with pytest.raises(ValueError, match="only 19 usable stars"):
            StarCatalogue.from_table(t)


SKY = {"ra_cen": 1.0, "dec_cen": 2.0, "distance": 50.0}


@pytest.mark.parametrize(("meta", "exc", "match"), [
    ({"distance": -5.0, "ra_cen": 1.0, "dec_cen": 2.0}, ValueError,
     r"table.meta\['distance'\]' must be > 0"),
    ({"DISTANCE": 0.0, "RA_CEN": 1.0, "DEC_CEN": 2.0}, ValueError, r"'DISTANCE'\]' must be > 0"),
    ({**SKY, "r_half": 0.0}, ValueError, r"table.meta\['r_half'\]' must be > 0"),
    ({**SKY, "r_half": 3 * KMS}, u.UnitTypeError, r"table.meta\['r_half'\] must have length"),
    ({**SKY, "r_half": "big"}, TypeError, r"table.meta\['r_half'\] must be a number"),
    ({**SKY, "ellip": 0.2, "ellipticity": 0.3}, ValueError, "conflicting values for ellipticity"),
    ({"ra_cen": 1.0, "distance": 50.0}, ValueError, "both 'ra_cen' and 'dec_cen'"),
    ({**SKY, "v_sys": np.nan}, ValueError, r"table.meta\['v_sys'\] must be finite"),
])
def test_meta_errors(meta, exc, match):
    t = mock()
    center = SkyCoord(1 * u.deg, 2 * u.deg)
    ra, dec = sky_from_xy(t["x"].value, t["y"].value, center, 50.0)
    sky = QTable({"ra": ra * u.deg, "dec": dec * u.deg, "v_los": t["v_los"]}, meta=meta)
    with pytest.raises(exc, match=match):
        StarCatalogue.from_table(sky)


def test_sky_catalogue_needs_center_and_distance():
    t = mock()
    sky = QTable({"ra": t["x"].value * u.deg, "dec": t["y"].value * u.deg, "v_los": t["v_los"]})
    with pytest.raises(ValueError, match="needs the galaxy center and distance"):
        StarCatalogue.from_table(sky)
    with pytest.raises(ValueError, match="needs the galaxy distance"):
        StarCatalogue.from_table(sky, center=SkyCoord(0 * u.deg, 0 * u.deg))


def test_bad_probabilities_and_errors():
    t = mock(p_member=True)
    t["p_member"][0] = 1.5
    with pytest.raises(ValueError, match="probabilities in"):
        StarCatalogue.from_table(t)
    t = mock()
    t["v_err"][0] = -1 * KMS
    with pytest.raises(ValueError, match="'v_err' must be >= 0"):
        StarCatalogue.from_table(t)
    with pytest.raises(ValueError, match="'member_threshold' must be in"):
        StarCatalogue.from_table(mock(p_member=True), member_threshold=2)
