"""Bayesian rotation-curve fits: recovery of a known halo, rescalings, presets, bad input."""

import numpy as np
import pytest
from astropy import units as u
from astropy.table import QTable
from astropy.tests.helper import assert_quantity_allclose

from dmprofile.classical import (
    RotationCurveFit,
    default_mass_radii,
    disc_velocity,
    fit_rotation_curve,
    halo_velocity,
)
from dmprofile.classical._rotation_fit import _Posterior
from dmprofile.datasets import sparc
from dmprofile.results import MassProfile

KMS = u.km / u.s
SHORT = {"nsteps": 1500, "burn": 500, "nwalkers": 24}
pytestmark = pytest.mark.filterwarnings("ignore:the chain")


def mock_curve(seed=0, *, v200=150.0, c200=9.0, y_disk=0.6, err=3.0, n=30):
    """Curve of a known NFW halo and exponential disc (unit-M/L disc curve given)."""
    rng = np.random.default_rng(seed)
    r = np.linspace(0.5, 30, n) * u.kpc
    v_disk = disc_velocity(r, sigma0=800 * u.Msun / u.pc**2, r_d=2.5 * u.kpc)
    v_gas = 0.2 * v_disk * np.where(r < 1.5 * u.kpc, -1, 1)
    v_halo = halo_velocity(r, v200=v200 * KMS, c200=c200)
    v_true = np.sqrt(v_halo**2 + y_disk * v_disk**2 + v_gas * np.abs(v_gas))
    curve = QTable({"radius": r, "v_obs": v_true + rng.normal(0, err, n) * KMS,
                    "v_err": np.full(n, err) * KMS, "v_gas": v_gas, "v_disk": v_disk})
    curve.meta.update({"distance": 10.0, "dist_err": 0.5, "inc": 60.0, "inc_err": 3.0,
                       "galaxy": "mock"})
    return curve


@pytest.mark.slow
def test_recovers_known_halo_and_mass_profile():
    curve = mock_curve()
    fit = fit_rotation_curve(curve, seed=3, **SHORT)
    assert isinstance(fit, RotationCurveFit)
    assert fit.parameter_names == ("V200", "C200", "Y_disk", "D", "inc")
    s = fit.to_table()
    row = {name: i for i, name in enumerate(s["parameter"])}
    for name, truth in (("V200", 150.0), ("C200", 9.0), ("Y_disk", 0.6)):
        i = row[name]
        width = s["upper_68"][i] - s["lower_68"][i]
        assert abs(s["median"][i] - truth) < 2.5 * width, name
    assert 0.4 < fit.chi2_reduced < 2.0
    conv = fit.convergence
    assert 0.1 < conv["acceptance_fraction"] < 0.8 and conv["tau_max"] > 0
    # the enclosed dark mass at the 20 network radii brackets the truth
    prof = fit.mass_profile()
    assert isinstance(prof, MassProfile) and prof.quantity == "enclosed_mass"
    assert_quantity_allclose(prof.radius, default_mass_radii())
    truth = (halo_velocity(prof.radius, v200=150 * KMS, c200=9.0) ** 2 * prof.radius
             / (6.674e-11 * u.m**3 / u.kg / u.s**2)).to(u.Msun)
    low, high = prof.interval(0.95)
    inside = (truth >= low) & (truth <= high)
    assert inside[:12].all()  # within the data (<= 30 kpc)
    assert prof.meta["halo"] == "nfw" and prof.meta["galaxy"] == "mock"


def test_same_seed_same_samples():
    curve = mock_curve(1)
    kw = {"nsteps": 300, "burn": 100, "nwalkers": 16}
    a = fit_rotation_curve(curve, seed=5, **kw)
    b = fit_rotation_curve(curve, seed=5, **kw)
    np.testing.assert_array_equal(a.samples["V200"], b.samples["V200"])


def test_li2018_rescalings():
    curve = mock_curve()
    r = curve["radius"].to_value(u.kpc)
    comps = {"v_gas": np.zeros_like(r), "v_disk": np.full_like(r, 100.0),
             "v_bul": np.zeros_like(r)}
    post = _Posterior(r, np.full_like(r, 100.0), np.ones_like(r), comps,
                      [(10.0, 1.0), (60.0, 5.0)], halo="nfw", priors="paper", h0=73.0, bounds={})
    theta = np.array([[100.0, 10.0, 1.0, 10.0, 60.0], [100.0, 10.0, 1.0, 20.0, 30.0]])
    p = post.unpack(theta, internal=False)
    v_dm2, v_bar2 = post.model(p)
    # doubling the distance doubles the baryonic v^2 and evaluates the halo at twice the radius
    np.testing.assert_allclose(v_bar2[1], 2 * v_bar2[0])
    p2 = post.unpack(np.array([[100.0, 10.0, 1.0, 10.0, 60.0]]), internal=False)
    v_dm2_far = post.model(p2, r=2 * r)[0]
    np.testing.assert_allclose(v_dm2[1], v_dm2_far[0])
    # v_obs scales with sin(i0) / sin(i)
    np.testing.assert_allclose(post.scale_obs(p)[:, 0], [1.0, np.sin(np.radians(60)) / 0.5])


@pytest.mark.slow
def test_sparc_galaxy_works_as_it_is_and_plots():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fit = fit_rotation_curve(sparc("NGC6195"), seed=0, nsteps=400, burn=200)
    assert fit.parameter_names == ("V200", "C200", "Y_disk", "Y_bul", "D", "inc")
    assert fit.samples["D"].unit == u.Mpc and fit.samples["inc"].unit == u.deg
    assert "NGC6195" in repr(fit)
    comps = fit.components()
    assert {"v_halo", "v_disk", "v_bul", "v_gas", "v_model"} <= set(comps.colnames)
    fig, ax = plt.subplots()
    assert fit.plot(ax) is ax
    fit.velocity_profile().plot(ax)
    plt.close(fig)


@pytest.mark.slow
def test_astrophysical_preset_pulls_mass_to_light_to_prior():
    # a curve that cannot tell halo from disc apart: the ratio follows its log-normal prior
    curve = mock_curve(2, err=25.0, n=8)
    fit = fit_rotation_curve(curve, priors="astrophysical", seed=1, **SHORT)
    y = fit.samples["Y_disk"].value
    assert 0.35 < np.median(y) < 0.75
    assert np.std(np.log10(y)) < 0.15


def test_corenfw_and_fixed_geometry():
    curve = mock_curve(3)
    curve.meta.pop("dist_err")
    fit = fit_rotation_curve(curve, halo="corenfw", inclination_err=0 * u.deg, seed=2,
                             nsteps=300, burn=100)
    assert fit.parameter_names == ("V200", "C200", "Y_disk", "r_c")
    assert fit.samples["r_c"].unit == u.kpc


def bad(**changes):
    curve = mock_curve()
    for key, value in changes.items():
        curve[key] = value
    return curve


@pytest.mark.parametrize(("curve", "kwargs", "exc", "match"), [
    (bad(v_err=-np.ones(30) * KMS), {}, ValueError, "'v_err' of argument 'curve' must be > 0"),
    (bad(radius=np.linspace(30, 1, 30) * u.kpc), {}, ValueError,
     "'radius' of argument 'curve' must be > 0 and strictly increasing"),
    (bad(v_obs=np.ones(30)), {}, u.UnitTypeError,
     "column 'v_obs' must have speed.*units.*got no unit"),
    (mock_curve(), {"inclination": 95 * u.deg}, ValueError,
     r"argument 'inclination' must lie in \(0, 90\]"),
    (mock_curve(), {"halo": "iso"}, ValueError, "argument 'halo' must be one of"),
    (mock_curve(), {"priors": "flat"}, ValueError, "argument 'priors' must be one of"),
    (mock_curve(), {"bounds": {"M200": (1, 2)}}, ValueError, "unknown names"),
    ({"radius": [1, 2, 3] * u.kpc, "v_obs": [1, 2] * KMS, "v_err": [1, 1, 1] * KMS}, {},
     ValueError, "columns of argument 'curve' must have the same length"),
    ([1, 2], {}, TypeError, "argument 'curve' must be"),
])
def test_bad_input(curve, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fit_rotation_curve(curve, nsteps=10, burn=1, **kwargs)


def test_inclination_meta_outside_range():
    curve = mock_curve()
    curve.meta["inc"] = -10.0
    with pytest.raises(ValueError, match="'inclination' must lie in"):
        fit_rotation_curve(curve, nsteps=10, burn=1)
