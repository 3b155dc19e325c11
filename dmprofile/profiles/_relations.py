"""Halo scaling relations of the disc galaxies: stellar-to-halo mass and concentration-mass.

* `moster13_stellar_mass`: the stellar-to-halo-mass relation of Moster, Naab & White (2013) at
  redshift 0 (all central galaxies), and its numerical inverse `moster13_halo_mass`;
* `dutton10_halo_mass`: the mean halo mass of late-type (or early-type) galaxies at given stellar
  mass of Dutton et al. (2010), from weak lensing and satellite kinematics;
* `concentration_colossus`: a concentration-mass relation of colossus (Diemer 2018), by default
  Diemer & Joyce (2019), evaluated offline in the Planck 2018 cosmology.
"""

import numpy as np
from scipy import optimize

from .._utils import MASS, as_value

__all__ = ["concentration_colossus", "dutton10_halo_mass", "moster13_halo_mass",
           "moster13_stellar_mass"]

#: Moster, Naab & White (2013, MNRAS 428, 3121), Table 1, the z = 0 values M10, N10, beta10,
#: gamma10 (log10 M1 [Msun], N, beta, gamma) of their eq. 2; halo mass M200c, 0.15 dex scatter
#: in log M* (their section 3.1).
MOSTER13 = {"log_m1": 11.590, "n": 0.0351, "beta": 1.376, "gamma": 0.608}

#: Dutton et al. (2010, MNRAS 407, 2), eq. 3: M200 / M* = y0 (M*/x0)^alpha
#: [1/2 + 1/2 (M*/x0)^gamma]^((beta - alpha) / gamma), fitted to the halo masses of SDSS
#: galaxies from weak lensing (Mandelbaum et al. 2006) and satellite kinematics (More et al.
#: 2011), Chabrier IMF, h = 0.7, M200 at 200 times the critical density. Late types: log y0 =
#: 1.61 (+0.14/-0.12), log x0 = 10.4, alpha = -0.5, beta = 0, gamma = 1 (measured for
#: 10^9.35 < M* < 10^11 Msun; M200/M* tends to 10^1.46 above); early types: log y0 = 1.97,
#: log x0 = 10.8, alpha = -0.15, beta = 0.85, gamma = 2.
DUTTON10 = {"late": {"log_y0": 1.61, "log_x0": 10.4, "alpha": -0.5, "beta": 0.0, "gamma": 1.0},
            "early": {"log_y0": 1.97, "log_x0": 10.8, "alpha": -0.15, "beta": 0.85,
                      "gamma": 2.0}}

#: The c-M models of colossus that need no downloaded file (computed from the power spectrum
#: or closed-form fits).
COLOSSUS_MODELS = ("diemer19", "ludlow16", "dutton14", "child18", "diemer15")

# Planck 2018 reduced Hubble constant (colossus's "planck18"), to convert Msun to Msun/h.
_PLANCK18_H = 0.6766


def _moster_ratio(log_mh):
    p = MOSTER13
    x = 10.0 ** (np.asarray(log_mh, dtype=float) - p["log_m1"])
    return 2.0 * p["n"] / (x ** -p["beta"] + x ** p["gamma"])


def moster13_stellar_mass(M200):
    """Return the median stellar mass of central galaxies in haloes of mass M200 (z = 0).

    ``M* / M200 = 2 N [(M200 / M1)^-beta + (M200 / M1)^gamma]^-1`` with log10 M1 = 11.590,
    N = 0.0351, beta = 1.376, gamma = 0.608 (Moster, Naab & White 2013, eq. 2 and Table 1;
    halo mass inside the radius of 200 times the critical density). The scatter they assume
    around the median is 0.15 dex in M*.

    Parameters
    ----------
    M200 : `~astropy.units.Quantity` [mass]
        Halo mass.

    Returns
    -------
    `~astropy.units.Quantity` [mass]
        The median stellar mass.

    References
    ----------
    Moster, B. P., Naab, T., & White, S. D. M. 2013, MNRAS, 428, 3121.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.profiles import moster13_stellar_mass
    >>> print(f"{moster13_stellar_mass(1e12 * u.Msun):.3g}")
    3.43e+10 solMass
    """
    mh = as_value(M200, MASS, "M200", positive=True, allow_zero=False)
    return mh * _moster_ratio(np.log10(mh)) * MASS


def moster13_halo_mass(stellar_mass):
    """Return the halo mass M200 whose median stellar mass is ``stellar_mass`` (Moster+2013).

    The numerical inverse (Brent's method in log10 M200 over [9, 17]) of
    `moster13_stellar_mass`, which increases monotonically with the halo mass.

    Parameters
    ----------
    stellar_mass : `~astropy.units.Quantity` [mass]
        Stellar mass(es), between 1e6 and 1e13 Msun.

    Returns
    -------
    `~astropy.units.Quantity` [mass]
        M200, with the shape of ``stellar_mass``.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.profiles import moster13_halo_mass
    >>> print(f"{moster13_halo_mass(3.43e10 * u.Msun):.2g}")
    1e+12 solMass
    """
    ms = as_value(stellar_mass, MASS, "stellar_mass", positive=True, allow_zero=False)
    flat = np.atleast_1d(ms).ravel()
    if np.any((flat < 1e6) | (flat > 1e13)):
        msg = f"argument 'stellar_mass' must lie in [1e6, 1e13] Msun, got {stellar_mass!r}"
        raise ValueError(msg)

    def root(log_ms):
        def f(log_mh):
            return log_mh + np.log10(_moster_ratio(log_mh)) - log_ms

        return optimize.brentq(f, 9.0, 17.0, xtol=1e-10)

    out = np.array([root(np.log10(m)) for m in flat]).reshape(np.shape(ms))
    return 10.0**out * MASS


def _dutton10_log_ratio(log_mstar, galaxy_type):
    """Return log10(M200 / M*) and its derivative d log(M200/M*) / d log M* (Dutton+2010)."""
    p = DUTTON10[galaxy_type]
    x = np.asarray(log_mstar, dtype=float) - p["log_x0"]
    r = 10.0 ** (p["gamma"] * x)
    power = (p["beta"] - p["alpha"]) / p["gamma"]
    log_ratio = p["log_y0"] + p["alpha"] * x + power * np.log10(0.5 + 0.5 * r)
    slope = p["alpha"] + (p["beta"] - p["alpha"]) * r / (1.0 + r)
    return log_ratio, slope


def dutton10_halo_mass(stellar_mass, *, galaxy_type="late"):
    """Return the mean halo mass M200 of galaxies of given stellar mass (Dutton et al. 2010).

    ``M200 / M* = y0 (M*/x0)^alpha [1/2 + 1/2 (M*/x0)^gamma]^((beta - alpha) / gamma)``
    (Dutton et al. 2010, eq. 3), fitted to halo masses of SDSS galaxies from weak lensing and
    satellite kinematics, separately for late types (log y0 = 1.61, log x0 = 10.4, alpha =
    -0.5, beta = 0, gamma = 1) and early types (log y0 = 1.97, log x0 = 10.8, alpha = -0.15,
    beta = 0.85, gamma = 2); Chabrier IMF, M200 at 200 times the critical density. Unlike the
    inverse of an all-galaxy stellar-to-halo-mass relation, the late-type M200 / M* stays near
    30 at high mass: massive spirals do not sit in group-scale haloes (Mandelbaum et al. 2016;
    Posti et al. 2019). The late-type data reach M* = 1e11 Msun; above, the fit is extrapolated.

    Parameters
    ----------
    stellar_mass : `~astropy.units.Quantity` [mass]
        Stellar mass(es).
    galaxy_type : str
        ``"late"`` (discs, the default) or ``"early"``.

    Returns
    -------
    `~astropy.units.Quantity` [mass]
        The mean M200, with the shape of ``stellar_mass``.

    Raises
    ------
    ValueError
        If ``galaxy_type`` is not ``"late"`` or ``"early"``.

    References
    ----------
    Dutton, A. A., Conroy, C., van den Bosch, F. C., Prada, F., & More, S. 2010, MNRAS, 407, 2.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.profiles import dutton10_halo_mass
    >>> print(f"{dutton10_halo_mass(1e11 * u.Msun):.2g}")
    3.2e+12 solMass
    """
    ms = as_value(stellar_mass, MASS, "stellar_mass", positive=True, allow_zero=False)
    if galaxy_type not in DUTTON10:
        msg = f"argument 'galaxy_type' must be 'late' or 'early', got {galaxy_type!r}"
        raise ValueError(msg)
    log_ratio, _ = _dutton10_log_ratio(np.log10(ms), galaxy_type)
    return ms * 10.0**log_ratio * MASS


def _colossus_concentration_module():
    """Return colossus's concentration module with Planck 2018 set, writing no cache file."""
    from .._utils import require

    cosmology = require("colossus.cosmology.cosmology", "discs")
    concentration = require("colossus.halo.concentration", "discs")
    current = cosmology.current_cosmo
    if current is None or current.name != "planck18":
        cosmology.setCosmology("planck18", persistence="")
    return concentration


def concentration_colossus(M200, *, model="diemer19", z=0.0):
    """Return the median concentration c200 (critical overdensity 200) from colossus.

    colossus (Diemer 2018) is set to the Planck 2018 cosmology with ``persistence=""``: it
    computes its tables in memory and neither downloads nor writes any file. Masses are
    converted to its Msun/h with the Planck 2018 h = 0.6766.

    Parameters
    ----------
    M200 : `~astropy.units.Quantity` [mass]
        Halo mass(es) M200c.
    model : str
        A colossus c-M model that needs no external data: ``"diemer19"`` (Diemer & Joyce
        2019; scatter about 0.16 dex), ``"ludlow16"``, ``"dutton14"``, ``"child18"`` or
        ``"diemer15"``.
    z : float
        Redshift.

    Returns
    -------
    float or ndarray
        The concentration, with the shape of ``M200``.

    Raises
    ------
    ValueError
        If ``model`` is not one of the models above.

    References
    ----------
    Diemer, B. 2018, ApJS, 239, 35 (colossus). Diemer, B., & Joyce, M. 2019, ApJ, 871, 168.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.profiles import concentration_colossus
    >>> print(f"{concentration_colossus(1e12 * u.Msun):.2f}")
    8.35
    """
    mh = as_value(M200, MASS, "M200", positive=True, allow_zero=False)
    if model not in COLOSSUS_MODELS:
        msg = f"argument 'model' must be one of {COLOSSUS_MODELS}, got {model!r}"
        raise ValueError(msg)
    z = float(z)
    concentration = _colossus_concentration_module()
    c = concentration.concentration(np.asarray(mh) * _PLANCK18_H, "200c", z, model=model)
    return float(c) if np.ndim(c) == 0 else np.asarray(c, dtype=float)
