"""Published scaling relations of disc galaxies used by `DiscGalaxy` and `DefaultDiscPrior`.

Plain floats in Msun, kpc; each function cites its source. The halo relations (stellar-to-halo
mass, concentration) live in `dmprofile.profiles`.
"""

import numpy as np
from scipy import optimize

__all__ = [
    "PLANCK18",
    "X_HYDROGEN",
    "baldry12_log_smf",
    "bulge_fraction_mean",
    "hi_hole_for_diameter",
    "hi_profile_scale",
    "huang12_log_hi_mass",
    "shen03_early_log_r50",
    "shen03_late_log_r50",
    "shen03_late_sigma_ln_r",
    "wang16_log_hi_diameter",
]

#: Planck 2018 (astropy.cosmology.Planck18): H0 [km/s/Mpc] and the cosmic baryon fraction.
PLANCK18 = {"H0": 67.66, "f_baryon": 0.1581}

#: Hydrogen mass fraction of the gas (primordial, as IllustrisTNG): M_gas = M_HI / X_H when
#: all the hydrogen is atomic.
X_HYDROGEN = 0.76

#: Surface density at the edge of the HI disc of Wang et al. (2016), 1 Msun/pc^2 [Msun/kpc2].
_SIGMA_EDGE = 1e6


def shen03_late_log_r50(log_mstar):
    """Return log10 of the median r-band half-light radius [kpc] of late-type galaxies.

    Shen et al. (2003, MNRAS 343, 978), eq. 18 with their Table 1 (late types, Sersic n < 2.5;
    SDSS r-band Petrosian R50, Kauffmann et al. 2003 stellar masses):
    ``R50 = gamma M*^alpha (1 + M* / M0)^(beta - alpha)``, alpha = 0.14, beta = 0.39,
    gamma = 0.10 kpc, M0 = 3.98e10 Msun.
    """
    m = 10.0 ** np.asarray(log_mstar, dtype=float)
    return np.log10(0.10 * m**0.14 * (1.0 + m / 3.98e10) ** (0.39 - 0.14))


def shen03_late_sigma_ln_r(log_mstar):
    """Return the scatter of ln R50 of late types: sigma2 + (sigma1 - sigma2) / (1 + (M*/M0)^2).

    Shen et al. (2003), eq. 19 and Table 1: sigma1 = 0.47, sigma2 = 0.34, M0 = 3.98e10 Msun.
    """
    m = 10.0 ** np.asarray(log_mstar, dtype=float)
    return 0.34 + (0.47 - 0.34) / (1.0 + (m / 3.98e10) ** 2)


def shen03_early_log_r50(log_mstar):
    """Return log10 of the median half-light radius [kpc] of early types, b M*^a (Shen+2003).

    Shen et al. (2003), eq. 17 and Table 1 (early types, n > 2.5): a = 0.56, b = 2.88e-6 kpc;
    used for bulges.
    """
    return np.log10(2.88e-6) + 0.56 * np.asarray(log_mstar, dtype=float)


def huang12_log_hi_mass(log_mstar):
    """Return the mean log10 M_HI [Msun] of HI-detected galaxies at given stellar mass.

    Huang et al. (2012, ApJ 756, 113), the alpha.40-SDSS-GALEX sample of HI-selected galaxies
    (96 per cent in the blue cloud): log M_HI = 0.276 log M* + 6.78 above M* = 10^9 Msun
    (their fit of the M_HI-M* relation; scatter about 0.3 dex). At 1e12 Msun it gives
    M_HI / M* = 1.2 per cent.
    """
    return 0.276 * np.asarray(log_mstar, dtype=float) + 6.78


def wang16_log_hi_diameter(log_hi_mass):
    """Return log10 D_HI [kpc], the diameter where Sigma_HI = 1 Msun/pc^2 (Wang et al. 2016).

    Wang et al. (2016, MNRAS 460, 2143), eq. 2: ``log D_HI = 0.506 log M_HI - 3.293`` (D_HI
    in kpc, M_HI in Msun), scatter 0.06 dex over five decades of M_HI.
    """
    return 0.506 * np.asarray(log_hi_mass, dtype=float) - 3.293


def bulge_fraction_mean(log_mstar):
    """Return the mean bulge-to-total mass ratio at given stellar mass (an approximate trend).

    ``B/T = 0.1 + 0.35 clip((log M* - 10) / 2, 0, 1)``: from 0.1 at 1e10 Msun to 0.45 at
    1e12 Msun, approximating the rise of the mean B/T of SDSS bulge-disc decompositions with
    stellar mass (Mendel et al. 2014); not a fit.
    """
    x = np.clip((np.asarray(log_mstar, dtype=float) - 10.0) / 2.0, 0.0, 1.0)
    return 0.1 + 0.35 * x


def baldry12_log_smf(log_mstar):
    """Return log10 of the double-Schechter stellar mass function of Baldry et al. (2012).

    GAMA z < 0.06 (Baldry et al. 2012, MNRAS 421, 621, abstract; H0 = 70, fitted
    between 1e8 and 10^11.5 Msun): M* = 10^10.66 Msun, phi1 = 3.96e-3 Mpc^-3, alpha1 = -0.35,
    phi2 = 0.79e-3 Mpc^-3, alpha2 = -1.47; returned per dex, up to a constant (only the shape
    is used).
    """
    x = 10.0 ** (np.asarray(log_mstar, dtype=float) - 10.66)
    phi = np.exp(-x) * (3.96e-3 * x ** (1 - 0.35) + 0.79e-3 * x ** (1 - 1.47)) * np.log(10)
    return np.log10(phi)


def _log_edge_density(r1, m_hi, q, d, radius):
    """Return ln Sigma(radius) of the HI profile with scale length r1 (no underflow)."""
    log_sigma0 = np.log(m_hi / (2 * np.pi * r1**2 * (1.0 - d * q**2)))
    return log_sigma0 - radius / r1 + np.log1p(-d * np.exp(-radius / r1 * (1.0 / q - 1.0)))


def _max_log_edge_excess(m_hi, q, d, radius):
    """Return max over R_1 of ln(Sigma(radius) / 1 Msun pc^-2) for a profile of shape (q, d)."""
    best = optimize.minimize_scalar(
        lambda x: -_log_edge_density(10.0**x, m_hi, q, d, radius),
        bounds=(np.log10(radius) - 3, np.log10(radius) + 1), method="bounded",
        options={"xatol": 1e-6})
    return -best.fun - np.log(_SIGMA_EDGE)


#: Largest ratio R_2 / R_1 of the central depression used to reach a large HI diameter.
_Q_MAX = 0.95


def hi_hole_for_diameter(m_hi, q, d, log_diameter):
    """Return the depression (q, d), deepened if needed, with which an HI disc reaches D_HI.

    An exponential HI disc of mass ``m_hi`` reaches 1 Msun/pc^2 at the radius D_HI / 2 of the
    Wang et al. (2016) relation only just, and not at all for a diameter above it. Real HI
    discs have flat inner profiles (Wang et al. 2016) that the central depression of
    `hi_profile_scale` mimics: if the profile (q, d) cannot reach D_HI, the depth d is raised
    to the smallest value that can, then (with d = 1) the ratio q, up to 0.95. Diameters more
    than about 0.05 dex above the relation are out of reach of any such profile: the deepest
    one is returned and `hi_profile_scale` falls back to its largest diameter.

    Parameters
    ----------
    m_hi : float
        HI mass [Msun].
    q, d : float
        The drawn ratio R_2 / R_1 and depth of the central depression.
    log_diameter : float
        log10 D_HI [kpc].

    Returns
    -------
    q, d : float
        The depression to use (the input when it reaches D_HI).
    """
    radius = 0.5 * 10.0**log_diameter
    if m_hi <= 0 or _max_log_edge_excess(m_hi, q, d, radius) >= 0:
        return float(q), float(d)
    if _max_log_edge_excess(m_hi, q, 1.0, radius) >= 0:
        d = optimize.brentq(lambda x: _max_log_edge_excess(m_hi, q, x, radius), d, 1.0,
                            xtol=1e-4)
        return float(q), float(min(d + 1e-4, 1.0))
    if _max_log_edge_excess(m_hi, _Q_MAX, 1.0, radius) < 0:
        return _Q_MAX, 1.0
    q = optimize.brentq(lambda x: _max_log_edge_excess(m_hi, x, 1.0, radius), q, _Q_MAX,
                        xtol=1e-4)
    return float(min(q + 1e-4, _Q_MAX)), 1.0


def hi_profile_scale(m_hi, q, d, *, log_diameter=None):
    """Return the scale length R_1 [kpc] of an HI disc on the Wang et al. (2016) relation.

    The disc is ``Sigma0 [exp(-R / R_1) - d exp(-R / (q R_1))]`` with mass ``m_hi``; R_1 is
    the most compact solution with Sigma = 1 Msun/pc^2 at D_HI / 2 (an outer scale length of
    about 0.2-0.25 R_HI, as Wang et al. find). If no profile of this shape reaches it, the one
    with the highest edge density is used.

    Parameters
    ----------
    m_hi : float
        HI mass [Msun].
    q, d : float
        Ratio R_2 / R_1 and depth of the central depression.
    log_diameter : float, optional
        log10 D_HI [kpc] (default: `wang16_log_hi_diameter`).

    Returns
    -------
    r1 : float
        The scale length [kpc].
    d_hi : float
        The target diameter D_HI [kpc].
    """
    if m_hi <= 0:
        return 1.0, 0.0
    if log_diameter is None:
        log_diameter = float(wang16_log_hi_diameter(np.log10(m_hi)))
    radius = 0.5 * 10.0**log_diameter

    def f(log_r1):
        return _log_edge_density(10.0**log_r1, m_hi, q, d, radius) - np.log(_SIGMA_EDGE)

    best = optimize.minimize_scalar(lambda x: -f(x), bounds=(np.log10(radius) - 3,
                                                             np.log10(radius) + 1),
                                    method="bounded", options={"xatol": 1e-8})
    if -best.fun <= 0:
        return float(10.0**best.x), 2 * radius
    log_r1 = optimize.brentq(f, np.log10(radius) - 3, best.x, xtol=1e-10)
    return float(10.0**log_r1), 2 * radius
