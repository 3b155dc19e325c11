"""Tests of dmprofile.results.MassProfile."""

import numpy as np
import pytest
from astropy import units as u
from astropy.table import QTable, Table
from astropy.tests.helper import assert_quantity_allclose

from dmprofile import __version__
from dmprofile.results import MassProfile

R = np.geomspace(0.1, 10.0, 12) * u.kpc
MSUN = u.Msun
DENSITY = u.Msun / u.kpc**3


def _samples(n=4000, seed=0):
    """Power-law enclosed masses M = A (r / kpc)^1.5 with a log-normal scatter of A."""
    rng = np.random.default_rng(seed)
    amp = 1e9 * np.exp(rng.normal(0.0, 0.2, (n, 1)))
    return amp * (R.value / 1.0) ** 1.5 * MSUN


def _banded(**kwargs):
    m = 1e9 * R.value**1.5 * MSUN
    return MassProfile(R, m, lower_68=0.8 * m, upper_68=1.25 * m, lower_95=0.6 * m,
                       upper_95=1.6 * m, **kwargs)


# ---------------------------------------------------------------------- construction
def test_construction_and_attributes():
    profile = _banded(meta={"method": "test", "seed": 3})
    assert profile.quantity == "enclosed_mass" and profile.unit == MSUN
    assert_quantity_allclose(profile.radius, R)
    assert profile.levels == (0.68, 0.95) and profile.samples is None
    low, high = profile.interval(0.95)
    assert_quantity_allclose(low, 0.6 * profile.median)
    assert_quantity_allclose(high, 1.6 * profile.median)
    meta = profile.meta
    assert meta["method"] == "test" and meta["dmprofile_version"] == __version__
    meta["method"] = "changed"  # a copy
    assert profile.meta["method"] == "test"
    with pytest.raises(ValueError, match="read-only"):
        profile._values["median"][0] = 0.0


def test_units_are_kept_and_bands_converted():
    m = np.array([1.0, 2.0, 3.0]) * 1e10 * MSUN
    profile = MassProfile([1, 2, 3] * u.kpc, m.to(1e10 * MSUN), lower_68=0.5 * m,
                          upper_68=1.5 * m)
    assert profile.unit == 1e10 * MSUN
    np.testing.assert_allclose(profile.interval()[0].value, [0.5, 1.0, 1.5])
    assert_quantity_allclose(profile.median, m)


def test_missing_bands_and_log_slope_without_units():
    slope = MassProfile(R, np.linspace(-0.2, -2.5, R.size), quantity="log_slope")
    assert slope.unit == u.dimensionless_unscaled and slope.levels == ()
    with pytest.raises(ValueError, match="no 0.68 band"):
        slope.interval(0.68)
    assert "bands" not in repr(slope)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"radius": [1, 2, 3]}, TypeError, "argument 'radius' must be an astropy Quantity"),
    ({"radius": [1, 2, 3] * u.s}, u.UnitTypeError, "argument 'radius' must have length"),
    ({"radius": [1, 3, 2] * u.kpc}, ValueError, "argument 'radius' must be strictly increasing"),
    ({"radius": [0, 1, 2] * u.kpc}, ValueError, "argument 'radius' must be a 1-D array"),
    ({"median": [1, 2, 3]}, TypeError, "argument 'median' must be an astropy Quantity"),
    ({"median": [1, 2, 3] * u.km / u.s}, u.UnitTypeError,
     "argument 'median' must have mass units for quantity 'enclosed_mass'"),
    ({"median": [1, 2] * MSUN}, ValueError, r"argument 'median' must have the shape of 'radius'"),
    ({"lower_68": [0, 1, 2] * MSUN}, ValueError, "'lower_68' and 'upper_68' must be given"),
    ({"lower_68": [0, 1] * MSUN, "upper_68": [2, 3] * MSUN}, ValueError,
     "argument 'lower_68' must have the shape"),
    ({"lower_95": [0, 1, 2] * u.kpc, "upper_95": [2, 3, 4] * MSUN}, u.UnitTypeError,
     "argument 'lower_95' must have mass units"),
    ({"lower_68": [0, 3, 2] * MSUN, "upper_68": [2, 3, 4] * MSUN}, ValueError,
     "'lower_68' > 'median' at radius 2 kpc"),
    ({"lower_68": [0, 1, 2] * MSUN, "upper_68": [2, 3, 4] * MSUN,
      "lower_95": [0, 1.5, 2] * MSUN, "upper_95": [2, 3, 4] * MSUN}, ValueError,
     "'lower_95' > 'lower_68'"),
    ({"median": [1, np.nan, 3] * MSUN}, ValueError, "argument 'median' must be finite"),
    ({"quantity": "mass"}, ValueError, "argument 'quantity' must be one of"),
    ({"quantity": "density"}, u.UnitTypeError, "mass density units for quantity 'density'"),
])
def test_validation_errors_name_the_argument(kwargs, error, match):
    args = {"radius": [1, 2, 3] * u.kpc, "median": [1, 2, 3] * MSUN, **kwargs}
    radius, median = args.pop("radius"), args.pop("median")
    with pytest.raises(error, match=match):
        MassProfile(radius, median, **args)


# ---------------------------------------------------------------------- samples
def test_from_samples_percentiles_match_numpy():
    samples = _samples()
    profile = MassProfile.from_samples(R, samples.to(1e9 * MSUN), meta={"seed": 0})
    expected = np.percentile(samples.to_value(MSUN), [50, 16, 84, 2.5, 97.5], axis=0)
    assert_quantity_allclose(profile.median, expected[0] * MSUN, rtol=1e-12)
    for (low, high), k in (((profile.interval(0.68)), 1), ((profile.interval(0.95)), 3)):
        assert_quantity_allclose(low, expected[k] * MSUN, rtol=1e-12)
        assert_quantity_allclose(high, expected[k + 1] * MSUN, rtol=1e-12)
    assert profile.samples.shape == (4000, R.size) and profile.meta["n_samples"] == 4000
    # any other level comes from the samples; the log-normal scatter is 0.2 dex in ln
    low, high = profile.interval(0.5)
    np.testing.assert_allclose(np.log(high / low), 2 * 0.6745 * 0.2, rtol=0.05)


@pytest.mark.parametrize("shape", [(10,), (10, 5), (0, 12)])
def test_from_samples_shape_error(shape):
    with pytest.raises(ValueError, match=r"argument 'samples' must have shape \(n_samples, 12\)"):
        MassProfile.from_samples(R, np.ones(shape) * MSUN)


# ---------------------------------------------------------------------- interpolation
def test_at_is_exact_for_power_laws_and_at_the_nodes():
    profile = _banded()
    r = [0.15, 1.0, 7.0] * u.kpc
    at = profile.at(r)
    assert isinstance(at, MassProfile) and at.levels == (0.68, 0.95)
    assert_quantity_allclose(at.median, 1e9 * r.value**1.5 * MSUN, rtol=1e-10)
    assert_quantity_allclose(at.interval(0.95)[1], 1.6e9 * r.value**1.5 * MSUN, rtol=1e-10)
    assert_quantity_allclose(profile.at(R).median, profile.median, rtol=1e-12)
    # a scalar, in other units
    assert_quantity_allclose(profile.at(2000 * u.pc).median, [1e9 * 2**1.5] * MSUN, rtol=1e-10)


def test_at_log_slope_is_linear_in_log_radius():
    slope = MassProfile([0.1, 1.0] * u.kpc, [-0.5, -1.5], quantity="log_slope")
    np.testing.assert_allclose(slope.at(np.sqrt(0.1) * u.kpc).median, [-1.0])


def test_at_outside_the_range():
    with pytest.raises(ValueError, match=r"argument 'radius' must lie within the profile's radii"):
        _banded().at(20 * u.kpc)
    with pytest.raises(u.UnitTypeError, match="argument 'radius' must have length units"):
        _banded().at(1 * u.s)


# ---------------------------------------------------------------------- tables and files
def test_to_table_and_from_table():
    profile = MassProfile.from_samples(R, _samples(200), meta={"galaxy": "toy"})
    table = profile.to_table()
    assert table.colnames == ["radius", "median", "lower_68", "upper_68", "lower_95", "upper_95"]
    assert table["radius"].unit == u.kpc and table["upper_95"].unit == MSUN
    assert table.meta["quantity"] == "enclosed_mass" and table.meta["galaxy"] == "toy"
    again = MassProfile.from_table(table)
    assert again.quantity == "enclosed_mass" and again.samples is None
    assert again.meta == profile.meta
    assert_quantity_allclose(again.interval(0.95)[0], profile.interval(0.95)[0], rtol=0)
    with_samples = MassProfile.from_table(profile.to_table(samples=True))
    assert_quantity_allclose(with_samples.samples, profile.samples, rtol=0)
    # a plain Table, without the quantity in meta
    plain = Table(table)
    plain.meta = {}
    with pytest.raises(ValueError, match="pass quantity="):
        MassProfile.from_table(plain)
    assert MassProfile.from_table(plain, quantity="enclosed_mass").unit == MSUN
    with pytest.raises(ValueError, match="columns 'radius' and 'median'"):
        MassProfile.from_table(QTable({"r": R}), quantity="density")


@pytest.mark.parametrize("suffix", [".ecsv", ".fits"])
@pytest.mark.parametrize("quantity", ["density", "circular_velocity", "log_slope"])
def test_file_round_trip(tmp_path, suffix, quantity):
    unit = {"density": DENSITY, "circular_velocity": u.km / u.s,
            "log_slope": u.dimensionless_unscaled}[quantity]
    sign = -1 if quantity == "log_slope" else 1
    samples = sign * np.exp(np.random.default_rng(1).normal(0, 0.3, (50, R.size))) * unit
    meta = {"method": "jeans", "seed": 7, "halo": {"family": "nfw", "n": 2}, "radii": [1, 2]}
    profile = MassProfile.from_samples(R.to(u.pc), samples, quantity=quantity, meta=meta)
    path = tmp_path / f"profile{suffix}"
    profile.write(path, samples=True)
    back = MassProfile.read(path)
    assert back.quantity == quantity and back.meta == profile.meta
    assert back.unit == profile.unit and back.radius.unit == u.pc
    for name in ("lower_68", "median", "upper_95"):
        np.testing.assert_array_equal(back.to_table()[name], profile.to_table()[name])
    np.testing.assert_array_equal(back.samples, profile.samples)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        profile.write(path)
    profile.write(path, overwrite=True)  # without samples
    assert MassProfile.read(path).samples is None


def test_file_format(tmp_path):
    profile = _banded()
    with pytest.raises(ValueError, match="unknown file type 'profile.txt'"):
        profile.write(tmp_path / "profile.txt")
    profile.write(tmp_path / "profile.txt", format="fits")
    assert MassProfile.read(tmp_path / "profile.txt", format="fits").levels == (0.68, 0.95)
    with pytest.raises(ValueError, match="argument 'format'"):
        profile.write(tmp_path / "p.ecsv", format="hdf5")
    assert not list(tmp_path.glob(".*tmp"))  # atomic writes leave no temporary files


# ---------------------------------------------------------------------- repr and plot
def test_repr():
    assert repr(_banded()) == ("<MassProfile enclosed_mass: 12 radii 0.1-10 kpc; median "
                               "3.16e+07 to 3.16e+10 solMass; bands 68%, 95%>")
    assert repr(MassProfile.from_samples(R, _samples(100))).endswith("95%; 100 samples>")
    slope = MassProfile([1, 2] * u.kpc, [-0.5, -1.25], quantity="log_slope")
    assert repr(slope) == "<MassProfile log_slope: 2 radii 1-2 kpc; median -0.5 to -1.25>"
    assert repr(slope.at(1 * u.kpc)) == "<MassProfile log_slope: 1 radius 1 kpc; median -0.5>"


def test_plot_draws_median_and_bands():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    profile = _banded()
    assert profile.plot(ax, label="network", color="C2") is ax
    (line,) = ax.lines
    np.testing.assert_allclose(line.get_xdata(), R.value)
    np.testing.assert_allclose(line.get_ydata(), profile.median.value)
    assert line.get_label() == "network" and len(ax.collections) == 2  # 68% and 95%
    assert [c.get_alpha() for c in ax.collections] == [0.3, 0.15]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "M(<r)" in ax.get_ylabel() and "kpc" in ax.get_xlabel()
    band = ax.collections[0].get_paths()[0].vertices
    np.testing.assert_allclose(band[:, 1].max(), profile.interval(0.68)[1].value.max())


def test_two_profiles_on_one_axis_share_units():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    jeans = _banded()
    network = MassProfile.from_samples(R.to(u.pc), _samples(500).to(1e9 * MSUN))
    jeans.plot(ax, label="Jeans")
    network.plot(ax, level=0.68, label="network")
    assert len(ax.lines) == 2 and len(ax.collections) == 3
    # the second profile is drawn in the units of the first (kpc, Msun)
    np.testing.assert_allclose(ax.lines[1].get_xdata(), R.value)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), network.median.to_value(MSUN))
    assert ax.lines[0].get_color() != ax.lines[1].get_color()
    density = MassProfile(R, np.ones(R.size) * DENSITY, quantity="density")
    with pytest.raises(ValueError, match="cannot draw a density profile"):
        density.plot(ax)


def test_plot_log_slope_linear_axis():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    MassProfile(R, np.linspace(-0.2, -2.5, R.size), quantity="log_slope").plot(ax)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"
    assert not ax.collections  # no bands to draw
