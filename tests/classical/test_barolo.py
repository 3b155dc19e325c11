"""3D-Barolo (3DFIT) through pyBBarolo, an optional extra: skipped where it is not installed."""

import numpy as np
import pytest
from astropy import units as u

from dmprofile.classical import fit_3dbarolo


def mock_cube(seed=6):
    """Return a mock observation with its HI cube (64 x 64 pixels), the galaxy and the setup."""
    from dmprofile.observe import HISetup, ImagingSetup, observe_disc
    from dmprofile.simulate import DefaultDiscPrior

    prior = DefaultDiscPrior()
    params = prior.draw(np.random.default_rng(seed))
    galaxy = prior.galaxy(params)
    setup = prior.observation(params)
    imaging = ImagingSetup(n_pixels=64, field_of_view=setup["fov"], psf_fwhm=setup["psf_fwhm"],
                           sky_brightness=setup["sky_brightness"])
    hi = HISetup(n_pixels=64, field_of_view=setup["fov"], channel_width=setup["channel_width"],
                 n_channels=setup["n_channels"] or None, beam_fwhm=setup["beam_fwhm"],
                 noise_rms=setup["noise"])
    obs = observe_disc(galaxy.sample(20000, 20000, seed=1), distance=setup["distance"],
                       inclination=setup["inclination"], position_angle=setup["position_angle"],
                       imaging=imaging, hi=hi, seed=2, keep_cube=True)
    return obs, galaxy, setup


def test_bad_arguments_are_named_before_barolo_runs():
    pytest.importorskip("pyBBarolo")
    with pytest.raises(ValueError, match="argument 'cube' must be a 3-D HDU"):
        fit_3dbarolo(np.zeros((4, 4)), distance=10 * u.Mpc)


def test_missing_pybbarolo_says_how_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pyBBarolo", None)  # importing it now fails
    with pytest.raises(ImportError, match=r"dmprofile\[barolo\]"):
        fit_3dbarolo(None, distance=10 * u.Mpc)


@pytest.mark.slow
def test_3dfit_recovers_the_rotation_of_a_mock_cube(tmp_path):
    pytest.importorskip("pyBBarolo")
    pytest.importorskip("reproject")
    obs, galaxy, setup = mock_cube()
    rings = fit_3dbarolo(obs["CUBE"], distance=setup["distance"],
                         distance_err=0.1 * setup["distance"], workdir=tmp_path)
    assert len(rings) >= 3
    assert rings.meta["method"] == "3dbarolo"
    v_true = galaxy.circular_velocity(rings["radius"])
    ratio = (rings["v_rot"] / v_true).to_value(u.one)
    assert np.median(ratio) == pytest.approx(1.0, abs=0.15)
    assert (tmp_path / "output").is_dir()
