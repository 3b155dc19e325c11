r"""Tully-Fisher relations: the stellar-mass relation of Hall et al. (2012) and SPARC's BTFR.

Both relations are straight lines in log-log space. The predictions carry a log-normal
uncertainty propagated from the published coefficient errors (taken as independent, as the
papers give no covariance, which overestimates the error away from the sample's mean mass),
optional errors on the input and, where the paper gives it, the intrinsic scatter.
"""

from dataclasses import dataclass

import numpy as np
from astropy import units as u

from .._utils import VELOCITY, as_value

__all__ = ["TullyFisherEstimate", "tully_fisher_velocity", "baryonic_tully_fisher_mass",
           "baryonic_tully_fisher_velocity", "HALL2012", "LELLI2019"]

#: Hall et al. (2012, MNRAS 425, 2741), as quoted by de los Rios et al. (2023, eq. 5):
#: log10(V_rot / km s^-1) = slope log10(M* / Msun) + intercept; no intrinsic scatter quoted.
HALL2012 = {"slope": 0.264, "slope_err": 0.010, "intercept": -0.558, "intercept_err": 0.101}

#: Lelli et al. (2019, MNRAS 484, 3267), BTFR of 153 SPARC galaxies with the flat velocity:
#: log10(M_b / Msun) = slope log10(V_f / km s^-1) + intercept; intrinsic orthogonal scatter
#: ``scatter_orth`` in dex (about 6 per cent).
LELLI2019 = {"slope": 3.85, "slope_err": 0.09, "intercept": 1.99, "intercept_err": 0.18,
             "scatter_orth": 0.026}


@dataclass(frozen=True)
class TullyFisherEstimate:
    """A Tully-Fisher prediction with its log-normal uncertainty.

    Parameters
    ----------
    value : `~astropy.units.Quantity`
        The prediction (10 to the predicted log10).
    log_err : ndarray
        Its 1-sigma uncertainty in dex (coefficients, input errors and scatter together).
    relation : str
        Which relation made it.
    """

    value: u.Quantity
    log_err: np.ndarray
    relation: str

    @property
    def lower(self):
        """`~astropy.units.Quantity`: the 16th percentile, value / 10^log_err."""
        return self.value / 10**self.log_err

    @property
    def upper(self):
        """`~astropy.units.Quantity`: the 84th percentile, value * 10^log_err."""
        return self.value * 10**self.log_err

    @property
    def err(self):
        """`~astropy.units.Quantity`: a symmetric 1-sigma error, (upper - lower) / 2."""
        return 0.5 * (self.upper - self.lower)

    def __repr__(self):
        return (f"<TullyFisherEstimate {self.relation}: {np.round(self.value, 3)} "
                f"+- {np.round(self.log_err, 3)} dex>")


def _log_err(x, x_err_dex, slope, slope_err, intercept_err, scatter):
    """Error of slope * x + intercept for independent coefficient and input errors [dex]."""
    return np.sqrt((x * slope_err) ** 2 + intercept_err**2 + (slope * x_err_dex) ** 2
                   + scatter**2)


def _dex_err(value, err, name, unit):
    if err is None:
        return np.zeros_like(value)
    e = as_value(err, unit, name, positive=True)
    if np.shape(e) not in ((), np.shape(value)):
        msg = f"argument '{name}' must be a scalar or have the shape of its value {np.shape(value)}"
        raise ValueError(msg)
    return e / (value * np.log(10))


def tully_fisher_velocity(stellar_mass, *, stellar_mass_err=None, scatter=0.0):
    r"""Rotation velocity at twice the stellar half-mass radius from the stellar mass.

    The relation of Hall et al. (2012) used by de los Rios et al. (2023, eq. 5):

    .. math:: \log_{10} V_\mathrm{rot} = (0.264 \pm 0.010) \log_{10} M_\star
              - (0.558 \pm 0.101)

    (V in km/s, M* in Msun). The uncertainty in dex is
    ``sqrt((log10 M* 0.010)^2 + 0.101^2 + (0.264 sigma_logM)^2 + scatter^2)``, treating the
    coefficient errors as independent (no covariance is published); neither paper quotes the
    intrinsic scatter, so ``scatter`` defaults to 0.

    Parameters
    ----------
    stellar_mass : `~astropy.units.Quantity` [mass]
        Stellar mass (scalar or array), > 0.
    stellar_mass_err : `~astropy.units.Quantity` [mass], optional
        Its 1-sigma error (propagated as ``sigma_M / (M ln 10)`` dex).
    scatter : float
        Intrinsic scatter in log10 V [dex] to add in quadrature.

    Returns
    -------
    `TullyFisherEstimate`
        ``value`` in km/s with ``log_err`` [dex], ``lower``, ``upper`` and ``err``.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.classical import tully_fisher_velocity
    >>> tf = tully_fisher_velocity(5e10 * u.Msun)
    >>> tf.value.round(1), round(float(tf.log_err), 3)
    (<Quantity 184.7 km / s>, 0.147)
    """
    m = as_value(stellar_mass, u.Msun, "stellar_mass", positive=True, allow_zero=False)
    x = np.log10(m)
    x_err = _dex_err(m, stellar_mass_err, "stellar_mass_err", u.Msun)
    c = HALL2012
    log_v = c["slope"] * x + c["intercept"]
    err = _log_err(x, x_err, c["slope"], c["slope_err"], c["intercept_err"], float(scatter))
    return TullyFisherEstimate(10**log_v * VELOCITY, err, "Hall et al. 2012 (stellar mass)")


def baryonic_tully_fisher_mass(v_flat, *, v_flat_err=None, intrinsic=True):
    r"""Baryonic mass from the flat rotation velocity with the SPARC BTFR (Lelli et al. 2019).

    .. math:: \log_{10} M_b = (3.85 \pm 0.09) \log_{10} V_f + (1.99 \pm 0.18)

    (M_b in Msun, V_f in km/s; 153 SPARC galaxies, orthogonal intrinsic scatter 0.026 dex).
    The uncertainty propagates the coefficient errors (independent), ``v_flat_err`` and, with
    ``intrinsic``, the intrinsic scatter projected on log M_b (0.026 sqrt(1 + 3.85^2) dex).

    Parameters
    ----------
    v_flat : `~astropy.units.Quantity` [speed]
        Velocity of the flat part of the rotation curve, > 0.
    v_flat_err : `~astropy.units.Quantity` [speed], optional
        Its 1-sigma error.
    intrinsic : bool
        Include the intrinsic scatter.

    Returns
    -------
    `TullyFisherEstimate`
        ``value`` in Msun with ``log_err`` [dex].

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.classical import baryonic_tully_fisher_mass
    >>> btf = baryonic_tully_fisher_mass(150 * u.km / u.s)
    >>> print(f"{btf.value:.3g}")
    2.33e+10 solMass
    """
    v = as_value(v_flat, VELOCITY, "v_flat", positive=True, allow_zero=False)
    x = np.log10(v)
    x_err = _dex_err(v, v_flat_err, "v_flat_err", VELOCITY)
    c = LELLI2019
    scatter = c["scatter_orth"] * np.sqrt(1 + c["slope"] ** 2) if intrinsic else 0.0
    err = _log_err(x, x_err, c["slope"], c["slope_err"], c["intercept_err"], scatter)
    return TullyFisherEstimate(10 ** (c["slope"] * x + c["intercept"]) * u.Msun, err,
                               "Lelli et al. 2019 (baryonic, V_flat)")


def baryonic_tully_fisher_velocity(baryonic_mass, *, baryonic_mass_err=None, intrinsic=True):
    r"""Flat rotation velocity from the baryonic mass: the SPARC BTFR inverted.

    ``log10 V_f = (log10 M_b - 1.99) / 3.85`` (Lelli et al. 2019); the uncertainty propagates
    the coefficient errors (independent), ``baryonic_mass_err`` and, with ``intrinsic``, the
    intrinsic scatter projected on log V_f (0.026 sqrt(1 + 1/3.85^2) dex).

    Parameters
    ----------
    baryonic_mass : `~astropy.units.Quantity` [mass]
        Stars plus gas, > 0.
    baryonic_mass_err : `~astropy.units.Quantity` [mass], optional
        Its 1-sigma error.
    intrinsic : bool
        Include the intrinsic scatter.

    Returns
    -------
    `TullyFisherEstimate`
        ``value`` in km/s with ``log_err`` [dex].

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.classical import baryonic_tully_fisher_mass, baryonic_tully_fisher_velocity
    >>> btf = baryonic_tully_fisher_mass(150 * u.km / u.s)
    >>> baryonic_tully_fisher_velocity(btf.value).value.round(1)
    <Quantity 150. km / s>
    """
    m = as_value(baryonic_mass, u.Msun, "baryonic_mass", positive=True, allow_zero=False)
    y = np.log10(m)
    y_err = _dex_err(m, baryonic_mass_err, "baryonic_mass_err", u.Msun)
    c = LELLI2019
    s, b = c["slope"], c["intercept"]
    x = (y - b) / s
    # d x / d s = -x / s, d x / d b = -1 / s, d x / d y = 1 / s
    err = np.sqrt((x * c["slope_err"] / s) ** 2 + (c["intercept_err"] / s) ** 2
                  + (y_err / s) ** 2
                  + ((c["scatter_orth"] * np.sqrt(1 + 1 / s**2)) ** 2 if intrinsic else 0.0))
    return TullyFisherEstimate(10**x * VELOCITY, err, "Lelli et al. 2019 (baryonic, V_flat)")
