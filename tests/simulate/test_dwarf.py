"""Tests of DwarfGalaxy: sampling against the spherical Jeans equations and galpy."""

import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.table import QTable
from astropy.tests.helper import assert_quantity_allclose
from scipy import integrate, stats

from dmprofile._utils import G_KPC
from dmprofile.profiles import NFW, Cuddeford, Isotropic, OsipkovMerritt, Plummer
from dmprofile.simulate._dwarf import DwarfGalaxy, InconsistentModelError

# ----------------------------------------------------------------------------- helpers


def _hernquist_tracer(a):
    """Return a cusped (gamma = 1) tracer, as a Zhao profile when available."""
    zhao = pytest.importorskip("dmprofile.profiles").__dict__.get("Zhao")
    if zhao is None:
        pytest.skip("Zhao profile not available yet")
    return zhao(1 * u.Msun / u.kpc**3, a * u.kpc, alpha=1, beta=4, gamma=1)


def _jeans_sigma_los2(R, halo_mass, nu, beta0, r_a, r_trunc):
    """Independent spherical Jeans projection with scipy.integrate.quad (no dmprofile code).

    ``halo_mass(r)`` and ``nu(r)`` are plain scalar callables (kpc, Msun). The halo mass is cut
    at ``r_trunc``. Returns sigma_los^2(R) in (km/s)^2.
    """
    def mass(r):
        return halo_mass(min(r, r_trunc))

    def jeans_g(r):  # exp(int 2 beta / r dr) for the Cuddeford profile
        out = r ** (2 * beta0)
        if r_a is not None:
            out *= (r**2 + r_a**2) ** (1 - beta0)
        return out

    def beta(r):
        return beta0 if r_a is None else (r**2 + beta0 * r_a**2) / (r**2 + r_a**2)

    # g nu sigma_r^2 (r) = int_r^inf g nu G M / s^2 ds, tabulated by quad between nodes
    r_max = 1e3 * r_trunc
    nodes = np.geomspace(1e-4, r_max, 161)
    nodes = np.sort(np.append(nodes, r_trunc))

    def integrand(t):
        s = np.exp(t)
        return jeans_g(s) * nu(s) * G_KPC * mass(s) / s

    pieces = [integrate.quad(integrand, np.log(lo), np.log(hi))[0]
              for lo, hi in zip(nodes[:-1], nodes[1:], strict=True)]
    tail = np.concatenate([np.cumsum(pieces[::-1])[::-1], [0.0]])
    nu_sr2_nodes = tail / np.array([jeans_g(x) for x in nodes])

    def nu_sr2(r):
        return np.exp(np.interp(np.log(r), np.log(nodes), np.log(np.maximum(nu_sr2_nodes, 1e-300))))

    out = []
    for big_r in np.atleast_1d(R):
        # r = R cosh(t): r dr / sqrt(r^2 - R^2) = R cosh(t) dt
        def num(t, big_r=big_r):
            r = big_r * np.cosh(t)
            return (1 - beta(r) / np.cosh(t) ** 2) * nu_sr2(r) * np.cosh(t)

        def den(t, big_r=big_r):
            return nu(big_r * np.cosh(t)) * np.cosh(t)

        t_max = min(np.arccosh(r_max / big_r), 30.0)
        top = integrate.quad(num, 0, t_max, limit=200)[0]
        bottom = integrate.quad(den, 0, t_max, limit=200)[0]
        out.append(top / bottom)
    return np.array(out)


def _scalar(profile, method):
    def f(r):
        return float(getattr(profile, method)(np.array([r]))[0])
    return f


def _relative_dispersion_errors(galaxy, pos, vel, edges, *, min_stars=5000, stellar_mass=0.0):
    """Return (sampled / Jeans) - 1 of the LOS dispersion in projected-radius bins (3 views)."""
    halo, tracer, aniso = galaxy.halo, galaxy.tracer, galaxy.anisotropy
    r_grid = np.geomspace(edges[0] * 0.9, edges[-1] * 1.1, 24)
    halo_mass = _scalar(halo, "_enclosed_mass")
    star_mass = _scalar(tracer, "_enclosed_mass")
    star_total = tracer._total_mass()

    def mass(r):  # the stars' mass beyond r_trunc is negligible for the tracers used here
        return halo_mass(r) + stellar_mass * star_mass(r) / star_total

    s2 = _jeans_sigma_los2(r_grid, mass, _scalar(tracer, "_density"),
                           aniso._beta0, aniso._r_a, galaxy.r_trunc.to_value(u.kpc))
    big_r = np.concatenate([np.hypot(pos[:, 0], pos[:, 1]), np.hypot(pos[:, 1], pos[:, 2]),
                            np.hypot(pos[:, 0], pos[:, 2])])
    v_los = np.concatenate([vel[:, 2], vel[:, 0], vel[:, 1]])
    # the expected mean of v_los^2 in a bin is the mean of sigma_los^2(R) over its stars
    model = np.exp(np.interp(np.log(big_r), np.log(r_grid), np.log(s2)))
    which = np.digitize(big_r, edges)
    out = []
    for k in range(1, len(edges)):
        sel = which == k
        assert sel.sum() >= 3 * min_stars
        out.append(np.sqrt(np.mean(v_los[sel] ** 2) / np.mean(model[sel])) - 1)
    return np.array(out)


def _zhao(a, gamma, *, alpha=1.0, beta=4.0):
    from dmprofile.profiles import Zhao

    return Zhao(1 * u.Msun / u.kpc**3, a * u.kpc, alpha=alpha, beta=beta, gamma=gamma)


def _burkert():
    from dmprofile.profiles import Burkert

    return Burkert(2e7 * u.Msun / u.kpc**3, 1.0 * u.kpc)


NFW_HALO = NFW.from_M200_c(1e9 * u.Msun, 15)

# --------------------------------------------------------------------------- (b) Jeans


JEANS_CASES = {
    # core halo, cored tracer
    "burkert-plummer-iso": (_burkert, lambda: Plummer(0.3 * u.kpc), Isotropic),
    "burkert-plummer-om": (_burkert, lambda: Plummer(0.3 * u.kpc),
                           lambda: OsipkovMerritt(0.4 * u.kpc)),
    # cusp halo: a cored tracer needs tangential central anisotropy
    "nfw-plummer-cuddeford": (lambda: NFW_HALO, lambda: Plummer(0.3 * u.kpc),
                              lambda: Cuddeford(-0.2, 0.6 * u.kpc)),
    "nfw-plummer-beta-const": (lambda: NFW_HALO, lambda: Plummer(0.3 * u.kpc),
                               lambda: Cuddeford(-0.2)),
    # cusp halo, cusped tracer, isotropic and OM
    "nfw-hernquist-iso": (lambda: NFW_HALO, lambda: _zhao(0.3, 1.0), Isotropic),
    "nfw-hernquist-om": (lambda: NFW_HALO, lambda: _zhao(0.3, 1.0),
                         lambda: OsipkovMerritt(0.5 * u.kpc)),
    # radial central anisotropy beta0 > 1/2 (the other branch of the inversion)
    "burkert-cusp-radial": (_burkert, lambda: _zhao(0.3, 1.5, alpha=2.0, beta=5.0),
                            lambda: Cuddeford(0.6)),
}


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("case", list(JEANS_CASES))
def test_los_dispersion_matches_jeans(case):
    make_halo, make_tracer, make_aniso = JEANS_CASES[case]
    galaxy = DwarfGalaxy(make_halo(), make_tracer(), make_aniso())
    pos, vel = galaxy._sample(200_000, np.random.default_rng(11))
    edges = np.array([0.03, 0.08, 0.15, 0.25, 0.4, 0.6, 0.9])
    errors = _relative_dispersion_errors(galaxy, pos, vel, edges)
    assert np.all(np.abs(errors) < 0.03), errors


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
def test_los_dispersion_with_stellar_mass():
    galaxy = DwarfGalaxy(_burkert(), Plummer(0.3 * u.kpc), OsipkovMerritt(0.5 * u.kpc),
                         stellar_mass=3e7 * u.Msun)
    pos, vel = galaxy._sample(200_000, np.random.default_rng(12))
    edges = np.array([0.03, 0.1, 0.25, 0.5, 0.9])
    errors = _relative_dispersion_errors(galaxy, pos, vel, edges, stellar_mass=3e7)
    assert np.all(np.abs(errors) < 0.03), errors
    # ignoring the stars' mass would be detected
    errors = _relative_dispersion_errors(galaxy, pos, vel, edges)
    assert np.max(np.abs(errors)) > 0.03


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
def test_jeans_test_can_fail():
    """The Jeans comparison detects a wrong model (here the wrong anisotropy)."""
    galaxy = DwarfGalaxy(_burkert(), Plummer(0.3 * u.kpc), OsipkovMerritt(0.4 * u.kpc))
    pos, vel = galaxy._sample(100_000, np.random.default_rng(5))
    galaxy.anisotropy = Isotropic()  # pretend the stars were isotropic
    errors = _relative_dispersion_errors(galaxy, pos, vel, np.array([0.15, 0.4, 0.9]),
                                         min_stars=2000)
    assert np.max(np.abs(errors)) > 0.03


# --------------------------------------------------------------------------- (a) galpy


def _galpy_case(kind):
    """Return one model built with galpy (units ro = 1 kpc, vo = 100 km/s) and with dmprofile."""
    gp = pytest.importorskip("galpy.potential")
    gdf = pytest.importorskip("galpy.df")
    ro, vo = 1.0, 100.0
    m_unit = vo**2 * ro / G_KPC  # galpy mass unit in Msun (G = 1)
    if kind == "nfw-hernquist-om":
        rho_s, r_s, a, r_a = 1e7, 1.5, 0.4, 0.8
        pot = gp.NFWPotential(amp=4 * np.pi * rho_s * r_s**3 / m_unit, a=r_s / ro, ro=ro, vo=vo)
        dens = gp.HernquistPotential(amp=1.0, a=a / ro, ro=ro, vo=vo)
        df = gdf.osipkovmerrittdf(pot=pot, denspot=dens, ra=r_a / ro, ro=ro, vo=vo)
        # r_trunc far out: inside it the two potentials differ by a constant only
        ours = DwarfGalaxy(NFW(rho_s * u.Msun / u.kpc**3, r_s * u.kpc), _zhao(a, 1.0),
                           OsipkovMerritt(r_a * u.kpc), r_trunc=1e4 * r_s * u.kpc)
    elif kind == "plummer-plummer-om":
        mass, b, a, r_a = 1e8, 1.0, 0.3, 0.35
        pot = gp.PlummerPotential(amp=mass / m_unit, b=b / ro, ro=ro, vo=vo)
        dens = gp.PlummerPotential(amp=1.0, b=a / ro, ro=ro, vo=vo)
        df = gdf.osipkovmerrittdf(pot=pot, denspot=dens, ra=r_a / ro, ro=ro, vo=vo)
        ours = DwarfGalaxy(Plummer(b * u.kpc, mass=mass * u.Msun), Plummer(a * u.kpc),
                           OsipkovMerritt(r_a * u.kpc), r_trunc=1e5 * u.kpc)
    else:  # "plummer-plummer-iso"
        mass, b, a = 1e8, 1.0, 0.3
        pot = gp.PlummerPotential(amp=mass / m_unit, b=b / ro, ro=ro, vo=vo)
        dens = gp.PlummerPotential(amp=1.0, b=a / ro, ro=ro, vo=vo)
        df = gdf.eddingtondf(pot=pot, denspot=dens, ro=ro, vo=vo)
        ours = DwarfGalaxy(Plummer(b * u.kpc, mass=mass * u.Msun), Plummer(a * u.kpc),
                           Isotropic(), r_trunc=1e5 * u.kpc)
    return df, ours, ro, vo


def _galpy_sample(df, n, ro, vo, seed):
    np.random.seed(seed)  # noqa: NPY002 - galpy samples with numpy's legacy global generator
    orbits = df.sample(n=n)
    r = orbits.r(use_physical=False) * ro
    v_r = orbits.vr(use_physical=False) * vo
    # cylindrical components give the speed
    speed = np.sqrt(orbits.vR(use_physical=False) ** 2 + orbits.vT(use_physical=False) ** 2
                    + orbits.vz(use_physical=False) ** 2) * vo
    return r, v_r, speed


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.filterwarnings("ignore:.where. used without .out.:UserWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("kind", ["nfw-hernquist-om", "plummer-plummer-om", "plummer-plummer-iso"])
def test_against_galpy(kind):
    df, galaxy, ro, vo = _galpy_case(kind)
    n = 20_000
    r_g, vr_g, v_g = _galpy_sample(df, n, ro, vo, seed=1)
    pos, vel = galaxy._sample(n, np.random.default_rng(2))
    r = np.linalg.norm(pos, axis=1)
    v_r = np.sum(pos * vel, axis=1) / r
    speed = np.linalg.norm(vel, axis=1)
    for ours, theirs in ((r, r_g), (speed, v_g), (np.abs(v_r), np.abs(vr_g)),
                         (speed / np.sqrt(r), v_g / np.sqrt(r_g))):
        assert stats.ks_2samp(ours, theirs).pvalue > 0.01
    with warnings.catch_warnings():  # "p-value capped" above 0.25 is fine here
        warnings.simplefilter("ignore", UserWarning)
        assert stats.anderson_ksamp([speed, v_g], variant="midrank").pvalue > 0.01


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.filterwarnings("ignore:.where. used without .out.:UserWarning")
def test_galpy_comparison_can_fail():
    """Our OM sample is distinguishable from galpy's isotropic one on the same potential."""
    df, _, ro, vo = _galpy_case("plummer-plummer-iso")
    galaxy = _galpy_case("plummer-plummer-om")[1]
    r_g, vr_g, _ = _galpy_sample(df, 20_000, ro, vo, seed=1)
    pos, vel = galaxy._sample(20_000, np.random.default_rng(2))
    r = np.linalg.norm(pos, axis=1)
    v_r = np.sum(pos * vel, axis=1) / r
    assert stats.ks_2samp(np.abs(v_r), np.abs(vr_g)).pvalue < 0.01


# --------------------------------------------------------------------------- (c) consistency


def test_negative_df_is_rejected_never_clipped():
    tracer = Plummer(0.3 * u.kpc)
    with pytest.raises(InconsistentModelError, match="negative.*OsipkovMerritt") as info:
        DwarfGalaxy(NFW_HALO, tracer, OsipkovMerritt(0.06 * u.kpc))
    assert info.value.reason == "negative_df"


def test_cored_tracer_in_cusp_needs_tangential_orbits():
    """Check d nu / d Psi -> 0 at the centre of a cusp: no isotropic DF for a cored tracer there."""
    with pytest.raises(InconsistentModelError, match="negative") as info:
        DwarfGalaxy(NFW_HALO, Plummer(0.3 * u.kpc))
    assert info.value.reason == "negative_df"
    DwarfGalaxy(NFW_HALO, Plummer(0.3 * u.kpc), Cuddeford(-0.1))  # consistent
    DwarfGalaxy(_burkert(), Plummer(0.3 * u.kpc))                  # cored halo: consistent


def test_central_anisotropy_theorem():
    with pytest.raises(InconsistentModelError, match="An & Evans") as info:
        DwarfGalaxy(_burkert(), Plummer(0.3 * u.kpc), Cuddeford(0.2))
    assert info.value.reason == "central_anisotropy"
    DwarfGalaxy(_burkert(), _zhao(0.3, 1.0), Cuddeford(0.45))  # gamma_t = 1 >= 2 beta0


def test_bad_inputs():
    from dmprofile.profiles import BaesVanHese

    with pytest.raises(TypeError, match="anisotropy"):
        DwarfGalaxy(NFW_HALO, Plummer(0.3 * u.kpc), BaesVanHese(0.0, 0.5, 1 * u.kpc))
    with pytest.raises(TypeError, match="tracer"):
        DwarfGalaxy(NFW_HALO, 0.3 * u.kpc)
    with pytest.raises(u.UnitTypeError, match="r_trunc"):
        DwarfGalaxy(_burkert(), Plummer(0.3 * u.kpc), r_trunc=3 * u.s)
    with pytest.raises(TypeError, match="r_trunc"):
        DwarfGalaxy(_burkert(), Plummer(0.3 * u.kpc), r_trunc=30.0)


# --------------------------------------------------------------------------- (d) table and truth


@pytest.fixture(scope="module")
def galaxy():
    return DwarfGalaxy(NFW_HALO, Plummer(0.25 * u.kpc), Cuddeford(-0.1, 0.5 * u.kpc))


def test_sample_table(galaxy):
    stars = galaxy.sample(500, seed=7)
    assert isinstance(stars, QTable)
    assert stars.colnames == ["x", "y", "z", "vx", "vy", "vz"]
    for name in "xyz":
        assert stars[name].unit == u.kpc
        assert stars["v" + name].unit == u.km / u.s
    assert len(stars) == 500
    assert stars.meta["seed"] == 7
    assert stars.meta["n_stars"] == 500
    assert "dmprofile_version" in stars.meta
    # bound stars only: |v| < v_esc(r)
    r = np.sqrt(stars["x"] ** 2 + stars["y"] ** 2 + stars["z"] ** 2)
    v = np.sqrt(stars["vx"] ** 2 + stars["vy"] ** 2 + stars["vz"] ** 2)
    psi = np.interp(r.to_value(u.kpc), galaxy.potential_table["r"].value,
                    galaxy.potential_table["psi"].value)
    assert np.all(v.to_value(u.km / u.s) ** 2 < 2 * psi)


def test_reproducible(galaxy):
    a = galaxy.sample(300, seed=3)
    b = galaxy.sample(300, seed=3)
    c = galaxy.sample(300, seed=4)
    assert np.array_equal(a["vx"], b["vx"])
    assert not np.array_equal(a["vx"], c["vx"])
    d = galaxy.sample(300, seed=np.random.default_rng(3))
    assert np.array_equal(a["x"], d["x"])


def test_truth(galaxy):
    truth = galaxy.truth()
    assert truth["gamma_150"] == pytest.approx(NFW_HALO.log_slope(150 * u.pc).value, rel=1e-12)
    assert_quantity_allclose(truth["rho_150"] * u.Msun / u.kpc**3,
                             NFW_HALO.density(0.15 * u.kpc), rtol=1e-12)
    assert_quantity_allclose(truth["M_150"] * u.Msun, NFW_HALO.enclosed_mass(0.15 * u.kpc),
                             rtol=1e-12)
    assert truth["halo_r_s"] == pytest.approx(NFW_HALO.parameters["r_s"].to_value(u.kpc))
    assert truth["tracer_a"] == pytest.approx(0.25)
    assert truth["r_half"] == pytest.approx(0.25)  # projected half-light radius of a Plummer
    assert truth["aniso_beta0"] == -0.1
    assert truth["aniso_r_a"] == 0.5
    assert truth["r_trunc"] == pytest.approx(NFW_HALO.virial_radius().to_value(u.kpc))
    for value in truth.values():
        assert isinstance(value, float | str)
    iso = DwarfGalaxy(_burkert(), Plummer(0.3 * u.kpc)).truth()
    assert np.isnan(iso["aniso_r_a"])
    assert iso["aniso_beta0"] == 0.0


def test_stellar_mass_deepens_potential():
    light = DwarfGalaxy(_burkert(), Plummer(0.3 * u.kpc))
    heavy = DwarfGalaxy(_burkert(), Plummer(0.3 * u.kpc), stellar_mass=1e8 * u.Msun)
    psi_l, psi_h = light.potential_table["psi"], heavy.potential_table["psi"]
    assert np.all(psi_h > psi_l)
    v_l = np.std(light._sample(20_000, np.random.default_rng(1))[1])
    v_h = np.std(heavy._sample(20_000, np.random.default_rng(1))[1])
    assert v_h > 1.05 * v_l


def test_distribution_function_integrates_to_density():
    """nu(r) = int f(Psi - v^2/2, r v_t) d^3v for an anisotropic model."""
    galaxy = DwarfGalaxy(NFW_HALO, Plummer(0.3 * u.kpc), Cuddeford(-0.2, 0.6 * u.kpc))
    table = galaxy.potential_table
    for r in (0.1, 0.3, 1.0):
        psi = np.interp(np.log(r), np.log(table["r"].value), table["psi"].value)
        v_esc = np.sqrt(2 * psi)
        # polar coordinates in the (v_r, v_t) half plane; d^3v = 2 pi v_t dv_r dv_t
        speed = np.linspace(0, v_esc, 801)[1:]
        eta = np.linspace(0, np.pi, 401)[1:-1]
        s, e = np.meshgrid(speed, eta, indexing="ij")
        v_t = s * np.sin(e)
        f = galaxy.distribution_function((psi - s**2 / 2) * u.km**2 / u.s**2,
                                         r * v_t * u.kpc * u.km / u.s).value
        integrand = 2 * np.pi * v_t * f * s
        total = np.trapezoid(np.trapezoid(integrand, eta, axis=1), speed)
        nu = Plummer(0.3 * u.kpc)._density(np.array([r]))[0]
        assert total == pytest.approx(nu, rel=0.01)


# --------------------------------------------------------------------------- (e) radii


@pytest.mark.parametrize("tracer", [Plummer(0.3 * u.kpc), None])
def test_radii_follow_tracer(tracer):
    from dmprofile.profiles import Exponential

    tracer = Exponential(0.2 * u.kpc) if tracer is None else tracer
    galaxy = DwarfGalaxy(_burkert(), tracer, Cuddeford(-0.1))
    pos, _ = galaxy._sample(50_000, np.random.default_rng(8))
    r = np.linalg.norm(pos, axis=1)
    total = tracer._total_mass()
    assert stats.kstest(r, lambda x: tracer._enclosed_mass(x) / total).pvalue > 0.01
    # and the directions are isotropic
    assert stats.kstest(pos[:, 2] / r, "uniform", args=(-1, 2)).pvalue > 0.01
