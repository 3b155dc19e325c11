"""Tests of DefaultDiscPrior and the scaling relations behind it."""

import json

import numpy as np
import pytest
from astropy import units as u

from dmprofile.classical import tully_fisher_velocity
from dmprofile.profiles import (
    concentration_colossus,
    dc14_shape,
    dutton10_halo_mass,
    moster13_halo_mass,
    moster13_stellar_mass,
)
from dmprofile.simulate import INSTRUMENTS, DefaultDiscPrior, DiscGalaxy
from dmprofile.simulate._disc_relations import (
    hi_hole_for_diameter,
    hi_profile_scale,
    huang12_log_hi_mass,
    wang16_log_hi_diameter,
)


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
    assert np.all((table["contraction"] >= -1.0) & (table["contraction"] <= 0.2))
    assert np.all((table["core_strength"] >= 0) & (table["core_strength"] <= 1))
    assert np.all(table["core_strength"][table["log_m200"] >= 12.0] <= 0.5)
    low = table["log_m200"] < 12.0
    x = np.clip(table["log_mstar"][low] - table["log_m200"][low], -4.1, -1.3)
    bound = np.clip([1.0 - dc14_shape(float(xi))[2] for xi in x], 0.0, 1.0)
    assert np.all(table["core_strength"][low] <= bound + 1e-12)
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
    # descriptions from before 'halo_relation' existed rebuild the prior they described
    old = DefaultDiscPrior(halo_relation="moster13").to_dict()
    del old["parameters"]["halo_relation"]
    assert DefaultDiscPrior.from_dict(old).halo_relation == "moster13"


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"nope": 1}, TypeError, "nope"),
    ({"instrument": "hst"}, ValueError, "'instrument'"),
    ({"instrument": {"npix": 64}}, ValueError, "'instrument'"),
    ({"log_mstar_range": (11, 10)}, ValueError, "'log_mstar_range'"),
    ({"mstar_distribution": "flat"}, ValueError, "'mstar_distribution'"),
    ({"c_scatter": -0.1}, ValueError, "'c_scatter'"),
    ({"halo_relation": "behroozi"}, ValueError, "'halo_relation'"),
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


def test_hi_hole_for_diameter():
    m_hi, q = 5e9, 0.4
    log_d = float(wang16_log_hi_diameter(np.log10(m_hi)))
    assert hi_hole_for_diameter(m_hi, q, 0.3, log_d) == (q, 0.3)  # reachable: unchanged
    for offset in (0.02, 0.045):  # above the relation: a deeper (then wider) depression
        q2, d2 = hi_hole_for_diameter(m_hi, q, 0.0, log_d + offset)
        assert d2 > 0.0 and q2 >= q
        r1, _ = hi_profile_scale(m_hi, q2, d2, log_diameter=log_d + offset)
        galaxy = DiscGalaxy(stellar_mass=3e10 * u.Msun, disc_scale_length=3 * u.kpc,
                            m200=1e12 * u.Msun, c=8.0, hi_mass=m_hi * u.Msun,
                            hi_hole_ratio=q2, hi_hole_depth=d2, hi_scale_length=r1 * u.kpc)
        realised = np.log10(galaxy.truth()["hi_diameter"])
        assert realised == pytest.approx(log_d + offset, abs=0.003)
    assert hi_hole_for_diameter(m_hi, q, 0.0, log_d + 0.3) == (0.95, 1.0)  # out of reach


def test_hi_profile_scale_hits_the_edge_density():
    m_hi, q, d = 5e9, 0.4, 0.9
    r1, d_hi = hi_profile_scale(m_hi, q, d)
    assert np.log10(d_hi) == pytest.approx(float(wang16_log_hi_diameter(np.log10(m_hi))))
    sigma0 = m_hi / (2 * np.pi * r1**2 * (1 - d * q**2))
    edge = sigma0 * (np.exp(-d_hi / 2 / r1) - d * np.exp(-d_hi / 2 / (q * r1)))
    assert edge == pytest.approx(1e6, rel=1e-6)


def test_dutton10_halo_mass():
    # M200 / M* = y0 (x/x0)^alpha [(1 + (x/x0)^gamma) / 2]^((beta - alpha) / gamma)
    mh = dutton10_halo_mass([10**10.4, 1e13] * u.Msun).to_value(u.Msun)
    np.testing.assert_allclose(mh[0] / 10**10.4, 10**1.61, rtol=1e-12)
    # late types: M200 / M* tends to y0 / sqrt(2) at high mass (no group-scale haloes)
    assert mh[1] / 1e13 == pytest.approx(10**1.61 / np.sqrt(2), rel=0.02)
    early = dutton10_halo_mass(10**10.8 * u.Msun, galaxy_type="early").to_value(u.Msun)
    assert early / 10**10.8 == pytest.approx(10**1.97, rel=1e-12)
    # passive galaxies sit in heavier haloes than discs of the same stellar mass
    assert dutton10_halo_mass(2e11 * u.Msun, galaxy_type="early") > dutton10_halo_mass(
        2e11 * u.Msun)
    with pytest.raises(ValueError, match="'galaxy_type'"):
        dutton10_halo_mass(1e11 * u.Msun, galaxy_type="spiral")


def test_halo_relations_of_the_prior():
    disc = DefaultDiscPrior(shmr_scatter=0.0)
    moster = DefaultDiscPrior(halo_relation="moster13", shmr_scatter=0.0)
    rng = np.random.default_rng(0)
    for log_ms in (10.2, 11.0, 11.9):
        expected = np.log10(dutton10_halo_mass(10**log_ms * u.Msun).to_value(u.Msun))
        assert disc._draw_log_m200(rng, log_ms) == pytest.approx(expected, abs=1e-9)
    # the all-galaxy relation, inverted, gives cluster-scale haloes to massive discs
    assert moster._draw_log_m200(rng, 11.9) > 14.5 > disc._draw_log_m200(rng, 11.9) + 1.0
    # the scatter in log M200 is shmr_scatter times d log M200 / d log M* (0.5 to 1)
    draws = [DefaultDiscPrior()._draw_log_m200(rng, 11.9) for _ in range(400)]
    assert 0.08 < np.std(draws) < 0.13


@pytest.mark.slow
def test_population_follows_the_tully_fisher_relation():
    """V_circ(2 r_half) of the drawn discs against Hall et al. (2012), in bins of M*."""
    prior = DefaultDiscPrior()
    rng = np.random.default_rng(7)
    rows = []
    for _ in range(320):
        params = prior.draw(rng)
        truth = prior.galaxy(params).truth()
        rows.append((params["log_mstar"], truth["v_circ_2rhalf"], params["log_m200"],
                     params["log_hi_mass"], truth["hi_diameter"]))
    log_ms, v, log_mh, log_hi, d_hi = np.array(rows).T
    for lo in (10.0, 10.5, 11.0, 11.5):
        sel = (log_ms >= lo) & (log_ms < lo + 0.5)
        assert sel.sum() > 50
        tf = tully_fisher_velocity(10 ** np.median(log_ms[sel]) * u.Msun).value
        assert abs(np.log10(np.median(v[sel]) / tf.to_value(u.km / u.s))) < 0.1
    # the fastest known discs rotate at up to 570 km/s (Ogle et al. 2019); the old prior
    # (inverted Moster et al. 2013 haloes, contraction) reached 790 km/s at the 99th percentile
    assert np.percentile(v, 99) < 570
    # discs do not sit in group or cluster haloes
    assert np.percentile(log_mh, 99) < 13.8
    # HI: Huang et al. (2012) masses, Wang et al. (2016) sizes (0.06 dex scatter)
    residual = log_hi - huang12_log_hi_mass(log_ms)
    assert abs(np.median(residual)) < 0.05 and 0.25 < np.std(residual) < 0.35
    size = np.log10(d_hi) - wang16_log_hi_diameter(log_hi)
    assert abs(np.median(size)) < 0.02 and 0.04 < np.std(size) < 0.07
    top = log_ms > 11.7
    assert np.all((log_hi[top] - log_ms[top] > -3.5) & (log_hi[top] - log_ms[top] < -0.8))


def test_nfw_settings_turn_cores_and_contraction_off_and_leave_the_rest():
    nfw = DefaultDiscPrior(dc14_core_scale=0, agn_core_max=0, contraction_range=(0, 0))
    half = DefaultDiscPrior(dc14_core_scale=0.5)
    default = DefaultDiscPrior()
    for seed in range(20):
        a, b, h = (p.draw(np.random.default_rng(seed)) for p in (nfw, default, half))
        assert a["core_strength"] == 0.0 and a["contraction"] == 0.0
        for key in ("log_mstar", "log_m200", "c", "disc_scale_length", "inclination"):
            assert a[key] == b[key]
        if b["log_m200"] < 12.0:
            assert h["core_strength"] == pytest.approx(0.5 * b["core_strength"])
        else:
            assert h["core_strength"] == b["core_strength"]
