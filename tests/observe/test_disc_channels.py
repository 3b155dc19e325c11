import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits
from disc_toys import toy_galaxy

from dmprofile.observe import (
    CHANNELS,
    HISetup,
    ImagingSetup,
    observe_disc,
    plot_observation,
    stack_channels,
)

SMALL = {"imaging": ImagingSetup(n_pixels=32, field_of_view=6 * u.arcmin),
         "hi": HISetup(n_pixels=32, field_of_view=6 * u.arcmin)}


@pytest.fixture(scope="module")
def observation():
    g = toy_galaxy(1500, 1500, seed=4)
    return observe_disc(g, distance=20 * u.Mpc, inclination=60 * u.deg,
                        position_angle=45 * u.deg, seed=2, **SMALL)


def test_observe_disc_and_stack(observation):
    assert [h.name for h in observation[1:]] == [c.upper() for c in CHANNELS]
    x = stack_channels(observation)
    assert x.shape == (8, 32, 32) and x.dtype == np.float32 and np.all(np.isfinite(x))
    # the galaxy is brighter than the sky; mom1 keeps its sign on both sides of the disc
    assert x[2, 16, 16] > 3
    assert x[6].min() < -0.5 and x[6].max() > 0.5
    sub = stack_channels(observation, channels=("mom1", "r"))
    np.testing.assert_array_equal(sub[1], x[2])
    # a different seed gives other noise, the same seed the same data
    again = observe_disc(toy_galaxy(1500, 1500, seed=4), distance=20 * u.Mpc,
                         inclination=60 * u.deg, position_angle=45 * u.deg, seed=2, **SMALL)
    np.testing.assert_array_equal(stack_channels(again), x)


def test_stack_normalisation():
    beam = {"BMAJ": 10 / 3600, "BMIN": 10 / 3600}
    mom0 = fits.ImageHDU(np.full((2, 2), 0.2), name="MOM0", header=fits.Header(beam))
    x = stack_channels([mom0, fits.ImageHDU(np.full((2, 2), np.nan), name="MOM2")],
                       channels=("mom0", "mom2"))
    # 0.2 Jy/beam km/s in a 10" beam is 2.2e21 cm^-2
    assert x[0, 0, 0] == pytest.approx(np.arcsinh(22.08), rel=1e-4)
    assert np.all(x[1] == 0)


@pytest.mark.parametrize(("channels", "match"), [(("u", "Halpha"), "channels"), ((), "channels")])
def test_stack_bad_channels(observation, channels, match):
    with pytest.raises(ValueError, match=match):
        stack_channels(observation, channels=channels)


def test_stack_missing_channel_and_shapes():
    r = fits.ImageHDU(np.ones((4, 4)), name="R")
    with pytest.raises(ValueError, match="no channel 'g'"):
        stack_channels([r], channels=("g",))
    g = fits.ImageHDU(np.ones((5, 5)), name="G")
    with pytest.raises(ValueError, match="one shape"):
        stack_channels([r, g], channels=("r", "g"))


def test_plot_observation(observation):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    axes = plot_observation(observation)
    assert len(axes) == 8 and axes[5].get_title().startswith("HI mom0")
    plt.close(axes[0].figure)
