"""Tests of the composite (several-population) dwarf galaxies and of the scaled tracers."""

import numpy as np
import pytest
from astropy import units as u
from scipy import special, stats

from dmprofile.kinematics import phase_space_images
from dmprofile.observe import observe
from dmprofile.profiles import NFW, Cuddeford, Exponential, Plummer
from dmprofile.simulate import CompositeDwarfGalaxy, DwarfGalaxy
from dmprofile.simulate._populations import make_tracer, mixture_half_radius, projected_fraction

HALO = NFW.from_M200_c(1e9 * u.Msun, 15)


def projected_median(stars):
    return float(np.median(np.hypot(stars["x"], stars["y"]).to_value(u.kpc)))


@pytest.mark.parametrize(("family", "shape"), [
    ("plummer", {}), ("exponential", {}),
    ("zhao", {"alpha": 1.0, "beta": 3.5, "gamma": 0.9}),
    ("zhao", {"alpha": 3.0, "beta": 6.0, "gamma": 0.0}),
    ("zhao", {"alpha": 0.5, "beta": 4.5, "gamma": 0.5}),
])
def test_tracer_has_the_requested_half_light_radius(family, shape):
    tracer = make_tracer(family, 0.25, **shape)
    assert tracer.family == family
    assert projected_fraction(tracer, 0.25)[0] == pytest.approx(0.5, abs=1e-7)
    # the stars as sampled (20,000: the largest catalogue of the broad prior) agree
    galaxy = DwarfGalaxy(HALO, tracer, Cuddeford(-0.1, 1.0 * u.kpc))
    stars = galaxy.sample(20000, seed=4)
    assert projected_median(stars) == pytest.approx(0.25, rel=0.03)


def test_projected_fraction_closed_forms():
    R = np.array([0.05, 0.2, 1.0])
    plummer = Plummer(0.2 * u.kpc)
    assert np.allclose(projected_fraction(plummer, R), R**2 / (R**2 + 0.04), atol=1e-8)
    expo = Exponential(0.1 * u.kpc)
    x = R / 0.1
    assert np.allclose(projected_fraction(expo, R), 1 - 0.5 * x**2 * special.kn(2, x), atol=1e-8)
    # Plummer mixture: f R^2/(a1^2+R^2) + (1-f) R^2/(a2^2+R^2) = 1/2
    r = mixture_half_radius([Plummer(0.2 * u.kpc), Plummer(0.5 * u.kpc)], [0.4, 0.6])
    assert 0.4 * r**2 / (0.04 + r**2) + 0.6 * r**2 / (0.25 + r**2) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="divergent mass"):
        projected_fraction(NFW.from_M200_c(1e9 * u.Msun, 10), R)


@pytest.fixture(scope="module")
def composite():
    compact = DwarfGalaxy(HALO, Plummer(0.15 * u.kpc), Cuddeford(-0.2, None))
    extended = DwarfGalaxy(HALO, Plummer(0.45 * u.kpc), Cuddeford(-0.3, 1.0 * u.kpc))
    return CompositeDwarfGalaxy([compact, extended], [0.35, 0.65])


def test_composite_sample(composite):
    stars = composite.sample(4000, seed=8)
    assert stars.colnames == ["x", "y", "z", "vx", "vy", "vz", "population"]
    pop = np.asarray(stars["population"])
    n1 = int(np.sum(pop == 1))
    assert stars.meta["pop1_n_stars"] == n1 and stars.meta["pop2_n_stars"] == 4000 - n1
    assert stats.binomtest(n1, 4000, 0.35).pvalue > 1e-3
    # each population follows its own profile, the whole its mixture
    R = np.hypot(stars["x"], stars["y"]).to_value(u.kpc)
    for k, a in ((1, 0.15), (2, 0.45)):
        cdf = (lambda a_: lambda r: r**2 / (r**2 + a_**2))(a)
        assert stats.kstest(R[pop == k], cdf).pvalue > 1e-3
    truth = composite.truth()
    assert all(stars.meta[k] == v or k.endswith("_r_a") for k, v in truth.items())
    assert projected_median(stars) == pytest.approx(truth["r_half"], rel=0.05)
    assert truth["pop1_r_half"] == pytest.approx(0.15) and truth["pop2_r_half"] == 0.45
    assert truth["gamma_150"] == composite.populations[0].truth()["gamma_150"]
    assert (truth["pop1_aniso_beta0"], truth["pop2_aniso_r_a"]) == (-0.2, 1.0)
    assert np.isnan(truth["pop1_aniso_r_a"])
    # same seed, same stars; the sample is shuffled (populations interleaved)
    again = composite.sample(4000, seed=8)
    assert np.array_equal(again["vx"], stars["vx"]) and not np.all(np.diff(pop) >= 0)
    assert "CompositeDwarfGalaxy" in repr(composite) and composite.halo == HALO
    assert composite.r_trunc == composite.populations[1].r_trunc


@pytest.mark.parametrize("n", [30, 20000])
def test_small_and_large_catalogues_observed(composite, n):
    obs = observe(composite.sample(n, seed=1), v_err=5 * u.km / u.s, v_err_scatter=0.2, seed=2)
    assert len(obs) == n and obs.meta["pop1_fraction"] == 0.35
    images = phase_space_images(obs, bins=16, r_half=obs.meta["r_half"] * u.kpc,
                                v_sys=0 * u.km / u.s).images
    assert images.shape == (2, 16, 16) and np.all(np.isfinite(images))


def test_composite_errors(composite):
    other = DwarfGalaxy(NFW.from_M200_c(2e9 * u.Msun, 15), Plummer(0.3 * u.kpc),
                        Cuddeford(-0.1, None))
    one = composite.populations[0]
    with pytest.raises(ValueError, match="share the halo"):
        CompositeDwarfGalaxy([one, other], [0.5, 0.5])
    with pytest.raises(ValueError, match="sum 1"):
        CompositeDwarfGalaxy([one, composite.populations[1]], [0.5, 0.6])
    with pytest.raises(ValueError, match="one positive fraction"):
        CompositeDwarfGalaxy([one, composite.populations[1]], [1.0])
    with pytest.raises(TypeError, match="must be a DwarfGalaxy"):
        CompositeDwarfGalaxy([one, HALO], [0.5, 0.5])
    heavy = DwarfGalaxy(HALO, Plummer(0.3 * u.kpc), Cuddeford(-0.1, None),
                        stellar_mass=1e6 * u.Msun)
    with pytest.raises(ValueError, match="massless"):
        CompositeDwarfGalaxy([one, heavy], [0.5, 0.5])
    with pytest.raises(ValueError, match="'n' must be >= 0"):
        composite.sample(-1)
