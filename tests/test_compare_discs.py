"""dmprofile.compare for disc galaxies: the CNN ensemble and the rotation-curve route."""

import numpy as np
import pytest
from astropy import units as u

pytest.importorskip("keras")
pytest.importorskip("reproject")
pytest.importorskip("photutils")
pytest.importorskip("emcee")

from disc_mass_helpers import MODEL_CHANNELS, tiny_build, tiny_observation  # noqa: E402

import dmprofile  # noqa: E402
from dmprofile.results import MassComparison, MassProfile  # noqa: E402

#: A prior draw whose mock has a well-resolved, inclined HI disc (found by trying seeds).
GALAXY_SEED = 6


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return tiny_build(tmp_path_factory)


@pytest.fixture(scope="module")
def ensemble(built):
    from dmprofile.nets import BootstrapEnsemble

    return BootstrapEnsemble.load(built["ensemble"])


@pytest.fixture(scope="module")
def tiny_obs(built):
    return tiny_observation(built["suite"], 0)


def mock_disc(seed=GALAXY_SEED, npix=128, n=20000, keep_cube=False):
    """Return a mock observation (HDUList) of a galaxy of the default prior, the galaxy, setup."""
    from dmprofile.observe import HISetup, ImagingSetup, observe_disc
    from dmprofile.simulate import DefaultDiscPrior

    prior = DefaultDiscPrior()
    params = prior.draw(np.random.default_rng(seed))
    galaxy = prior.galaxy(params)
    setup = prior.observation(params)
    imaging = ImagingSetup(n_pixels=npix, field_of_view=setup["fov"],
                           psf_fwhm=setup["psf_fwhm"], sky_brightness=setup["sky_brightness"])
    hi = HISetup(n_pixels=npix, field_of_view=setup["fov"],
                 channel_width=setup["channel_width"], n_channels=setup["n_channels"] or None,
                 beam_fwhm=setup["beam_fwhm"], noise_rms=setup["noise"])
    obs = observe_disc(galaxy.sample(n, n, seed=1), distance=setup["distance"],
                       inclination=setup["inclination"], position_angle=setup["position_angle"],
                       imaging=imaging, hi=hi, seed=2, keep_cube=keep_cube)
    return obs, galaxy, setup


@pytest.fixture(scope="module")
def mock():
    return mock_disc()


def _profile(scale=1.0, bands=True):
    r = np.geomspace(1, 100, 6) * u.kpc
    m = scale * 1e9 * (r / u.kpc).value ** 1.5 * u.Msun
    if not bands:
        return MassProfile(r, m)
    return MassProfile(r, m, lower_68=0.7 * m, upper_68=1.4 * m)


def test_mass_comparison_table_and_differences():
    cmp = MassComparison({"network": _profile(), "rotation_curve": _profile(2.0, bands=False)},
                         wall_times={"network": 0.5})
    assert cmp.methods == ("network", "rotation_curve")
    t = cmp.to_table()
    np.testing.assert_allclose(t["rotation_curve_log_median"] - t["network_log_median"],
                               np.log10(2.0))
    np.testing.assert_allclose(t["network_log_upper_68"] - t["network_log_median"],
                               np.log10(1.4))
    assert np.all(np.isnan(t["rotation_curve_log_lower_68"]))
    np.testing.assert_allclose(cmp.log_difference("rotation_curve", "network"), np.log10(2.0))
    assert np.isnan(cmp.wall_times["rotation_curve"])
    assert "network (0.5 s)" in repr(cmp)


@pytest.mark.parametrize(("profiles", "error", "match"), [
    ({}, ValueError, "at least one MassProfile"),
    ({"network": 3.0}, TypeError, "'network' is 3.0"),
    ({"network": MassProfile(np.geomspace(1, 10, 3) * u.kpc, [100, 200, 300] * u.km / u.s,
                             quantity="circular_velocity")}, TypeError, "enclosed-mass"),
])
def test_mass_comparison_rejects_what_is_not_an_enclosed_mass(profiles, error, match):
    with pytest.raises(error, match=match):
        MassComparison(profiles)


def test_mass_comparison_plot_with_truth():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cmp = MassComparison({"network": _profile(), "rotation_curve": _profile(2.0)})
    ax = cmp.plot(truth=_profile(1.5, bands=False).median)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["CNN ensemble", "rotation curve (NFW)", "truth"]
    plt.close("all")


def test_compare_dispatches_disc_images_to_the_ensemble(ensemble, tiny_obs):
    images = {c: tiny_obs[c.upper()] for c in MODEL_CHANNELS}
    cmp = dmprofile.compare(images, methods=("network",), model=ensemble, seed=4)
    assert isinstance(cmp, MassComparison)
    direct = dmprofile.infer_mass_profile(images, model=ensemble)
    np.testing.assert_allclose(cmp["network"].median.to_value(u.Msun),
                               direct.median.to_value(u.Msun))
    assert cmp.meta["kind"] == "disc" and cmp.meta["seed"] == 4
    # an HDUList works as well as a mapping
    from_list = dmprofile.compare(tiny_obs, methods="network", model=ensemble, seed=4)
    np.testing.assert_allclose(from_list["network"].median.to_value(u.Msun),
                               direct.median.to_value(u.Msun))


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"methods": ("network", "jeans")}, ValueError, r"out of \('network', 'rotation_curve'\)"),
    ({"r_half": 1 * u.kpc}, TypeError, r"unexpected keyword argument\(s\) \['r_half'\] for a "
                                       "disc"),
    ({"jeans_kwargs": {"halo": "nfw"}}, TypeError, "takes neither 'jeans_kwargs'"),
])
def test_compare_disc_argument_errors(ensemble, tiny_obs, kwargs, error, match):
    with pytest.raises(error, match=match):
        dmprofile.compare(tiny_obs, model=ensemble, **kwargs)


def test_rotation_route_names_the_missing_channel(tiny_obs):
    from dmprofile._compare_discs import rotation_curve_from_images

    with pytest.raises(ValueError, match="no 'mom1' channel"):
        rotation_curve_from_images({"g": tiny_obs["G"]}, distance=10 * u.Mpc)
    with pytest.raises(ValueError, match="argument 'distance' is needed"):
        rotation_curve_from_images({"mom1": tiny_obs["MOM1"]})


@pytest.mark.slow
def test_rotation_route_on_a_mock_disc(mock):
    from dmprofile._compare_discs import rotation_curve_from_images

    obs, galaxy, setup = mock
    curve, rings, disc = rotation_curve_from_images(obs)  # distance from DIST_MPC
    assert curve.meta["distance"] == pytest.approx(setup["distance"].to_value(u.Mpc))
    assert len(curve) >= 4
    assert abs(rings.meta["inc"] - setup["inclination"].to_value(u.deg)) < 10
    # the rings measure the galaxy's circular speed at their radii, within 15 %
    v_true = galaxy.circular_velocity(curve["radius"])
    ratio = (curve["v_obs"] / v_true).to_value(u.one)
    assert np.median(ratio) == pytest.approx(1.0, abs=0.15)
    assert disc.r_d.to_value(u.kpc) == pytest.approx(galaxy.truth()["disc_scale_length"],
                                                     rel=0.6)
    assert np.all(curve["v_disk"] > 0)


@pytest.mark.slow
def test_compare_disc_runs_both_routes(mock, ensemble):
    import warnings

    from dmprofile.exceptions import DMProfileWarning

    obs, _, _ = mock
    with warnings.catch_warnings():
        # the tiny test ensemble was trained on a few galaxies: any input is out of its range
        warnings.simplefilter("ignore", DMProfileWarning)
        cmp = dmprofile.compare(obs, model=ensemble, seed=1,
                                rotation_kwargs={"nsteps": 800, "burn": 300})
        direct = dmprofile.infer_mass_profile(
            {c: obs[c.upper()] for c in ensemble.channels}, model=ensemble)
    assert cmp.methods == ("network", "rotation_curve")
    table = cmp.to_table()
    assert len(table) == 20
    assert np.all(np.isfinite(table["rotation_curve_log_median"]))
    assert np.all(table["rotation_curve_log_lower_68"] <= table["rotation_curve_log_median"])
    np.testing.assert_allclose(cmp["network"].median.to_value(u.Msun),
                               direct.median.to_value(u.Msun))
    fit = cmp.results["rotation_curve"]
    assert len(fit.curve) >= 4 and np.isfinite(fit.chi2_reduced)
    assert set(cmp.wall_times) == {"network", "rotation_curve"}
