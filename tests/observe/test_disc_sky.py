import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import QTable
from disc_toys import exponential_disc, toy_galaxy

from dmprofile.observe import (
    DEFAULT_CENTRE,
    celestial_wcs,
    sky_projection,
    ssp_absolute_magnitude,
    ssp_table,
)


def test_projection_geometry_and_wcs_agree():
    t = QTable(exponential_disc(500, seed=3))
    p = sky_projection(t, inclination=90 * u.deg, position_angle=90 * u.deg, distance=10 * u.Mpc,
                       systemic_velocity=0 * u.km / u.s)
    # edge-on, PA 90: receding major axis to the east; galaxy y axis along the line of sight
    np.testing.assert_allclose(p["x"].to_value(u.kpc), t["x"].to_value(u.kpc), atol=1e-12)
    np.testing.assert_allclose(p["v_los"].to_value(u.km / u.s), t["vy"].to_value(u.km / u.s))
    wcs = celestial_wcs(n_pixels=64, field_of_view=10 * u.arcmin)
    col, row = wcs.world_to_pixel(SkyCoord(p["ra"], p["dec"]))
    # east to the left: larger x means smaller column
    slope = np.polyfit(p["x"].to_value(u.kpc), col, 1)[0]
    expected = -np.degrees(1 / 10_000) / (10 / 60 / 64)
    assert slope == pytest.approx(expected, rel=1e-3)
    assert wcs.pixel_to_world(31.5, 31.5).separation(DEFAULT_CENTRE) < 1e-6 * u.deg


def test_face_on_has_no_rotation_signal():
    t = QTable(exponential_disc(200, seed=1))
    p = sky_projection(t, inclination=0 * u.deg, position_angle=10 * u.deg, distance=10 * u.Mpc)
    assert np.ptp(p["v_los"].to_value(u.km / u.s)) < 1e-9
    assert p["v_los"][0].to_value(u.km / u.s) == pytest.approx(700.0)  # H0 D


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"distance": 10.0}, TypeError, "distance"),
    ({"distance": 10 * u.km / u.s}, u.UnitTypeError, "distance"),
    ({"inclination": 200 * u.deg}, ValueError, "inclination"),
    ({"position_angle": np.nan * u.deg}, ValueError, "position_angle"),
    ({"centre": "M31"}, TypeError, "centre"),
])
def test_projection_bad_input(kwargs, error, match):
    t = QTable(exponential_disc(10))
    args = {"inclination": 30 * u.deg, "position_angle": 0 * u.deg, "distance": 10 * u.Mpc,
            **kwargs}
    with pytest.raises(error, match=match):
        sky_projection(t, **args)


def test_projection_nan_column():
    g = toy_galaxy(10, 10)
    g.stars["x"][3] = np.nan * u.kpc
    with pytest.raises(ValueError, match="'x'.*non-finite"):
        sky_projection(g.stars, inclination=30 * u.deg, position_angle=0 * u.deg,
                       distance=10 * u.Mpc)


def test_ssp_table_and_interpolation():
    t = ssp_table()
    assert set("ugriz") <= set(t.colnames) and "Bruzual" in t.meta["source"]
    row = t[(np.isclose(t["log_age"], 9.9)) & np.isclose(t["metallicity"], 0.02)]
    m = ssp_absolute_magnitude(10**9.9 * u.yr, 0.02, band="g")
    assert m.to_value(u.mag) == pytest.approx(row["g"][0].to_value(u.mag), abs=1e-9)
    # older populations are fainter per unit mass; colours redden
    young, old = (ssp_absolute_magnitude(a * u.Gyr, 0.02, band="r") for a in (0.1, 10.0))
    assert old > young
    gr = [ssp_absolute_magnitude(a * u.Gyr, 0.02, band="g") -
          ssp_absolute_magnitude(a * u.Gyr, 0.02, band="r") for a in (0.1, 10.0)]
    assert gr[1] > gr[0]
    with pytest.raises(ValueError, match="band"):
        ssp_absolute_magnitude(1 * u.Gyr, 0.02, band="V")
    with pytest.raises(u.UnitTypeError, match="age"):
        ssp_absolute_magnitude(1 * u.kpc, 0.02, band="r")
