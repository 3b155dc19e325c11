"""DensityProfileBand: percentiles, interpolation, table and plot."""

import numpy as np
import pytest
from astropy import units as u
from astropy.tests.helper import assert_quantity_allclose

from dmprofile.classical import DensityProfileBand

R = np.geomspace(0.01, 2.0, 20) * u.kpc


def _band(n=2001, seed=0):
    rng = np.random.default_rng(seed)
    amp = rng.normal(1.0, 0.1, n)[:, None]            # 10% scatter in the normalisation
    rho = amp * 1e8 * (R.value / 0.1) ** -1 * u.Msun / u.kpc**3
    mass = amp * 1e6 * (R.value / 0.1) ** 2 * u.Msun
    return DensityProfileBand.from_samples(R, rho, mass, meta={"method": "test"})


def test_percentiles_and_interpolation():
    band = _band()
    d = band.density_at(0.1 * u.kpc)
    assert_quantity_allclose(d[1], 1e8 * u.Msun / u.kpc**3, rtol=0.01)
    assert_quantity_allclose(d[2] - d[0], 2e7 * u.Msun / u.kpc**3, rtol=0.08)  # +-1 sigma
    m = band.mass_at(0.3 * u.kpc)
    assert_quantity_allclose(m[1], 9e6 * u.Msun, rtol=0.01)
    assert band.meta["n_samples"] == 2001 and band.meta["method"] == "test"
    assert "DensityProfileBand: 20 radii" in repr(band)


def test_table_and_plot():
    band = _band()
    t = band.to_table()
    assert t.colnames == ["r", "rho_16", "rho_50", "rho_84", "mass_16", "mass_50", "mass_84"]
    assert t["rho_50"].unit == u.Msun / u.kpc**3 and t["mass_84"].unit == u.Msun
    assert np.all(t["rho_16"] < t["rho_84"])
    plt = pytest.importorskip("matplotlib.pyplot")
    ax = band.plot(quantity="mass")
    assert ax.get_xscale() == "log"
    plt.close("all")


def test_errors():
    band = _band(50)
    with pytest.raises(ValueError, match="outside the band's grid"):
        band.density_at(5 * u.kpc)
    with pytest.raises(ValueError, match="quantity"):
        band.plot(quantity="velocity")
    with pytest.raises(ValueError, match="shape"):
        DensityProfileBand(R, np.ones((2, 20)) * u.Msun / u.kpc**3, np.ones((3, 20)) * u.Msun)
    with pytest.raises(u.UnitTypeError, match="argument 'mass' must have mass units"):
        DensityProfileBand(R, np.ones((3, 20)) * u.Msun / u.kpc**3, np.ones((3, 20)) * u.kpc)
    with pytest.raises(ValueError, match="increasing"):
        DensityProfileBand(R[::-1], np.ones((3, 20)) * u.Msun / u.kpc**3,
                           np.ones((3, 20)) * u.Msun)


def test_built_on_mass_profiles():
    from dmprofile.results import MassProfile

    rng = np.random.default_rng(1)
    rho = rng.lognormal(0.0, 0.3, (500, R.size)) * 1e8 * u.Msun / u.kpc**3
    mass = rng.lognormal(0.0, 0.3, (500, R.size)) * 1e6 * u.Msun
    band = DensityProfileBand.from_samples(R, rho, mass, meta={"method": "test"})
    dens, enc = band.density_profile, band.mass_profile
    assert isinstance(dens, MassProfile) and isinstance(enc, MassProfile)
    assert (dens.quantity, enc.quantity) == ("density", "enclosed_mass")
    assert dens.levels == (0.68, 0.95) and enc.samples.shape == (500, R.size)
    # the 16/50/84th percentiles are numpy's, exactly
    np.testing.assert_array_equal(band.density.value,
                                  np.percentile(rho.value, (16, 50, 84), axis=0))
    np.testing.assert_array_equal(band.mass.value, np.percentile(mass.value, (16, 50, 84), axis=0))
    np.testing.assert_allclose(band.mass_at(R[3]).value, band.mass.value[:, 3], rtol=1e-13)
    assert dens.meta["method"] == "test" and dens.meta["n_samples"] == 500
    # a band built from percentiles holds the 68% band only
    again = DensityProfileBand(band.r, band.density, band.mass, meta=band.meta)
    assert again.mass_profile.levels == (0.68,) and again.mass_profile.samples is None
    assert again.to_table().pformat() == band.to_table().pformat()


def test_overlay_with_another_mass_profile():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from dmprofile.results import MassProfile

    band = _band()
    ax = Figure().subplots()
    band.mass_profile.plot(ax, label="Jeans")
    other = MassProfile(R[2:], band.mass[1, 2:].to(u.Msun * 1e6) * 1.1, quantity="enclosed_mass")
    other.plot(ax, label="network")
    np.testing.assert_allclose(ax.lines[1].get_ydata(), 1.1 * band.mass.value[1, 2:])
