"""Tests of DefaultDiscPrior and the scaling relations behind it."""

import json

import numpy as np
import pytest
from astropy import units as u

from dmprofile.profiles import (
    concentration_colossus,
    moster13_halo_mass,
    moster13_stellar_mass,
)
from dmprofile.simulate import INSTRUMENTS, DefaultDiscPrior, DiscGalaxy
from dmprofile.simulate._disc_relations import hi_profile_scale, wang16_log_hi_diameter


@pytest.fixture(scope="module")
def draws():
    prior = DefaultDiscPrior()
    rng = np.random.default_rng(11)
    return prior, [prior.draw(rng) for _ in range(60)]


def test_draws_reproducible():
    prior = DefaultDiscPrior()
    a = prior.draw(np.random.default_rng(4))
    b = prior.draw(np.random.default_rng(4))
    assert a == b
    assert tuple(a) == DefaultDiscPrior.param_names
    assert a != prior.draw(np.random.default_rng(5))


def test_draws_within_documented_ranges(draws):
    prior, params = draws
    table = {k: np.array([p[k] for p in params]) for k in prior.param_names}
    assert np.all((table["log_mstar"] >= 10) & (table["log_mstar"] <= 12))
    assert np.all((table["log_m200"] >= 10.8) & (table["log_m200"] <= 15.5))
    assert np.all(table["log_m200"] - table["log_mstar"] > 1.0)
    assert np.all((table["contraction"] >= -0.2) & (table["contraction"] <= 1.0))
    assert np.all((table["core_strength"] >= 0) & (table["core_strength"] <= 1))
    assert np.all(table["core_strength"][table["log_m200"] >= 12.0] <= 0.5)
    assert np.all(table["core_strength"][table["log_m200"] < 12.0] <= 0.3)  # DC14 near the peak
    ratio = table["core_radius"] / table["disc_scale_length"]
    assert np.all((ratio >= 0.3 - 1e-9) & (ratio <= 2.0 + 1e-9))
    thickness = table["disc_scale_length"] / table["disc_scale_height"]
    assert np.all((thickness >= 5) & (thickness <= 10))
    assert np.all((table["bulge_fraction"] >= 0) & (table["bulge_fraction"] <= 0.9))
    assert np.all((table["inclination"] >= 0) & (table["inclination"] <= 90))
    assert np.all((table["distance"] >= 8) & (table["distance"] <= 40))
    assert np.all((table["hi_beam_fwhm"] >= 6) & (table["hi_beam_fwhm"] <= 30))
    assert np.all((table["hi_dispersion"] >= 6) & (table["hi_dispersion"] <= 12))
    # isotropic orientations: cos i uniform (mean 1/2)
    assert np.mean(np.cos(np.radians(table["inclination"]))) == pytest.approx(0.5, abs=0.12)
    json.dumps(params)


def test_paper_preset():
    prior = DefaultDiscPrior.paper()
    params = [prior.draw(np.random.default_rng(s)) for s in range(20)]
    assert all(10 <= p["distance"] <= 20 for p in params)
    assert all(p["psf_scale"] == 1 and p["hi_beam_fwhm"] == 10 for p in params)
    obs = prior.observation(params[0])
    assert obs["psf_fwhm"]["r"] == 1.32 * u.arcsec
    assert obs["sky_brightness"]["u"].value == pytest.approx(22.01)
    assert obs["n_channels"] == 64 and obs["channel_width"] == 5 * u.km / u.s
    assert obs["noise"] == 5e-6 * u.Jy / u.arcsec**2
    assert obs["fov"] == 17.2 * u.arcmin and obs["npix"] == 128


def test_galaxies_are_buildable_and_dm_not_a_function_of_mstar(draws):
    prior, params = draws
    log_ms, log_mdm = [], []
    for p in params[:30]:
        gal = prior.galaxy(p)
        assert isinstance(gal, DiscGalaxy)
        log_ms.append(p["log_mstar"])
        log_mdm.append(gal.truth()["log_mdm"][10])  # about 11 kpc
    residual = np.array(log_mdm) - np.polyval(np.polyfit(log_ms, log_mdm, 1), log_ms)
    assert np.std(residual) > 0.05


def test_smf_weighting_favours_low_masses():
    rng = np.random.default_rng(2)
    smf = DefaultDiscPrior(mstar_distribution="smf")
    flat = DefaultDiscPrior()
    a = [smf._draw_log_mstar(rng) for _ in range(300)]
    b = [flat._draw_log_mstar(rng) for _ in range(300)]
    assert np.median(a) < np.median(b) - 0.2


def test_to_dict_round_trip():
    for prior in (DefaultDiscPrior(), DefaultDiscPrior.paper(c_scatter=0.1),
                  DefaultDiscPrior(instrument={**INSTRUMENTS["paper"], "npix": 64})):
        description = json.loads(json.dumps(prior.to_dict()))
        again = DefaultDiscPrior.from_dict(description)
        assert again == prior
    assert "instrument='paper'" in repr(DefaultDiscPrior.paper())


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"nope": 1}, TypeError, "nope"),
    ({"instrument": "hst"}, ValueError, "'instrument'"),
    ({"instrument": {"npix": 64}}, ValueError, "'instrument'"),
    ({"log_mstar_range": (11, 10)}, ValueError, "'log_mstar_range'"),
    ({"mstar_distribution": "flat"}, ValueError, "'mstar_distribution'"),
    ({"c_scatter": -0.1}, ValueError, "'c_scatter'"),
])
def test_bad_settings(kwargs, error, match):
    with pytest.raises(error, match=match):
        DefaultDiscPrior(**kwargs)


def test_moster13_inverse():
    mh = np.array([3e11, 1e12, 1e13, 1e14]) * u.Msun
    back = moster13_halo_mass(moster13_stellar_mass(mh))
    np.testing.assert_allclose(back.to_value(u.Msun), mh.value, rtol=1e-6)
    # the peak of M*/M200 is near M1 = 10^11.59 Msun, below 2N = 0.0702
    grid = np.logspace(10.5, 13.5, 301) * u.Msun
    ratio = (moster13_stellar_mass(grid) / grid).to_value(u.one)
    assert 11.4 < np.log10(grid.value[np.argmax(ratio)]) < 12.2 and ratio.max() < 0.0702
    with pytest.raises(ValueError, match="'stellar_mass'"):
        moster13_halo_mass(1e14 * u.Msun)


def test_concentration_colossus_matches_colossus():
    colossus = pytest.importorskip("colossus.halo.concentration")
    c = concentration_colossus([1e11, 1e13] * u.Msun)
    direct = colossus.concentration(np.array([1e11, 1e13]) * 0.6766, "200c", 0.0,
                                    model="diemer19")
    np.testing.assert_allclose(c, direct)
    assert np.all(np.diff(c) < 0)
    with pytest.raises(ValueError, match="'model'"):
        concentration_colossus(1e12 * u.Msun, model="prada12")


def test_hi_profile_scale_hits_the_edge_density():
    m_hi, q, d = 5e9, 0.4, 0.9
    r1, d_hi = hi_profile_scale(m_hi, q, d)
    assert np.log10(d_hi) == pytest.approx(float(wang16_log_hi_diameter(np.log10(m_hi))))
    sigma0 = m_hi / (2 * np.pi * r1**2 * (1 - d * q**2))
    edge = sigma0 * (np.exp(-d_hi / 2 / r1) - d * np.exp(-d_hi / 2 / (q * r1)))
    assert edge == pytest.approx(1e6, rel=1e-6)
