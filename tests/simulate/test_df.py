"""Tests of the numerical Cuddeford/Eddington inversion (dmprofile.simulate._df)."""

import numpy as np
import pytest
from astropy import units as u
from scipy import special

from dmprofile._utils import G_KPC
from dmprofile.profiles import Isotropic, OsipkovMerritt, Plummer
from dmprofile.simulate._df import (
    NEGATIVE_DF_TOLERANCE,
    InconsistentModelError,
    cuddeford_lambda,
    inversion_order,
    invert_cuddeford,
)
from dmprofile.simulate._dwarf import DwarfGalaxy


def test_eddington_constant():
    # beta0 = 0: f = 1 / (sqrt(8) pi^2) d/dQ int rho' dPsi / sqrt(Q - Psi)
    m, exponent, const = inversion_order(0.0)
    assert m == 1
    assert exponent == pytest.approx(-0.5)
    assert const == pytest.approx(1 / (np.sqrt(8) * np.pi**2), rel=1e-14)
    # lambda is the velocity integral int 4 pi v^2 dv (Psi - v^2/2)^0 ... for beta0 = 0: 2^(5/2) pi
    assert cuddeford_lambda(0.0) == pytest.approx(2**2.5 * np.pi, rel=1e-14)


@pytest.mark.parametrize("beta0", [-0.45, -0.2, 0.0, 0.3, 0.5, 0.6, 0.8])
@pytest.mark.parametrize("n", [2.5, 4.0, 6.0])
def test_power_law_fractional_derivative(beta0, n):
    """rho~ = Psi^n inverts to Gamma(n+1) / (lambda Gamma(alpha) Gamma(n+1-alpha)) Q^(n-alpha)."""
    alpha = 1.5 - beta0
    psi_c = 1.0
    # nodes uniform in y = ln Psi - ln(psi_c - Psi), like those of a logarithmic radius grid
    y = np.linspace(np.log(1e-6), np.log(0.999 / 0.001), 400)
    psi = psi_c / (1 + np.exp(-y))
    m, _, _ = inversion_order(beta0)
    psi_y = psi * (psi_c - psi) / psi_c
    if m == 1:
        h_over_g = n * (n - 1) / psi**2
    else:
        h_over_g = n / psi
    w = h_over_g * psi_y ** (m + 1)
    q = np.geomspace(1e-3, 0.99, 25)
    f, scale = invert_cuddeford(psi, n * np.log(psi), w, psi_c, beta0, q)
    expected = (special.gamma(n + 1) / (cuddeford_lambda(beta0) * special.gamma(alpha)
                                        * special.gamma(n + 1 - alpha)) * q ** (n - alpha))
    np.testing.assert_allclose(f, expected, rtol=2e-4)
    assert np.all(scale >= np.abs(f) * (1 - 1e-12))


def _plummer_om_df(q, a, mass, r_a):
    """Analytic OM DF of the self-consistent Plummer sphere (number density normalised to 1)."""
    psi0 = G_KPC * mass / a
    amp = 3 / (4 * np.pi * a**3)
    qa2 = np.inf if r_a is None else (r_a / a) ** 2

    def term(n, coef):  # rho~ = coef (Psi / psi0)^n -> Eddington
        return (coef * n * (n - 0.5) * special.beta(n, 0.5) / (np.sqrt(8) * np.pi**2)
                * (q / psi0) ** (n - 1.5) / psi0**1.5)

    return term(5, amp * (1 - 1 / qa2)) + term(3, amp / qa2)


@pytest.mark.parametrize("r_a", [None, 2.0, 1.0, 0.8])
def test_plummer_analytic(r_a):
    a, mass = 1.0, 1e8
    aniso = Isotropic() if r_a is None else OsipkovMerritt(r_a * u.kpc)
    galaxy = DwarfGalaxy(Plummer(a * u.kpc, mass=mass * u.Msun), Plummer(a * u.kpc), aniso,
                         r_trunc=1e5 * u.kpc)
    psi0 = G_KPC * mass / a
    q = np.array([1e-3, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99]) * psi0
    np.testing.assert_allclose(galaxy._fq(q), _plummer_om_df(q, a, mass, r_a), rtol=1e-3)
    # the public DF: L = 0 on radial orbits, E = Q
    f = galaxy.distribution_function(q * u.km**2 / u.s**2, np.zeros_like(q) * u.kpc * u.km / u.s)
    assert f.unit == u.kpc**-3 * (u.km / u.s) ** -3
    np.testing.assert_allclose(f.value, _plummer_om_df(q, a, mass, r_a), rtol=1e-3)


@pytest.mark.parametrize(("r_a", "consistent"), [(0.70, False), (0.74, False), (0.76, True),
                                                 (0.9, True)])
def test_plummer_om_consistency_threshold(r_a, consistent):
    """The self-consistent OM Plummer sphere has f_Q >= 0 if and only if r_a >= 3a/4."""
    args = (Plummer(1 * u.kpc, mass=1e8 * u.Msun), Plummer(1 * u.kpc), OsipkovMerritt(r_a * u.kpc))
    if consistent:
        DwarfGalaxy(*args, r_trunc=1e5 * u.kpc)
    else:
        with pytest.raises(InconsistentModelError, match="negative") as info:
            DwarfGalaxy(*args, r_trunc=1e5 * u.kpc)
        assert info.value.reason == "negative_df"
        assert "OsipkovMerritt" in str(info.value)


def test_error_class():
    err = InconsistentModelError("bad model", reason="negative_df")
    assert isinstance(err, ValueError)
    assert err.reason == "negative_df"
    assert 0 < NEGATIVE_DF_TOLERANCE < 0.01
