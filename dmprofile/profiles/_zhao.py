r"""The Zhao (1996) double power law, also called the (alpha, beta, gamma) profile."""

import numpy as np
from scipy import special

from .._utils import DENSITY, LENGTH, as_dimensionless, as_value
from . import kernels
from ._base import DensityProfile, _m200_r200, _positive_float

__all__ = ["Zhao"]

class Zhao(DensityProfile):
    r"""Zhao (1996) double-power-law profile.

    .. math::

        \rho(r) = \frac{\rho_s}{x^\gamma \left(1 + x^\alpha\right)^{(\beta - \gamma)/\alpha}},
        \qquad x = r / r_s

    The density falls as r^-gamma inside r_s and as r^-beta outside; alpha sets the sharpness of
    the transition. ``Zhao(alpha=1, beta=3, gamma=1)`` is the NFW profile, ``(1, 4, 1)`` the
    Hernquist profile and ``(2, 5, 0)`` the Plummer sphere. The log-slope is

    .. math:: \frac{d\ln\rho}{d\ln r} = -\gamma - (\beta - \gamma)\frac{x^\alpha}{1 + x^\alpha}

    and the enclosed mass has the closed form

    .. math::

        M(<r) = \frac{4\pi\rho_s r_s^3 x^{3-\gamma}}{3-\gamma}\,
        {}_2F_1\!\left(\frac{3-\gamma}{\alpha}, \frac{\beta-\gamma}{\alpha};
        \frac{3-\gamma+\alpha}{\alpha}; -x^\alpha\right),

    computed as an incomplete beta function when beta > 3 (then the total mass is finite,
    4 pi rho_s r_s^3 B((3-gamma)/alpha, (beta-3)/alpha) / alpha). For beta <= 3 the mass diverges:
    sample such halos with an explicit outer truncation.

    Parameters
    ----------
    rho_s : `~astropy.units.Quantity` [mass density]
        Characteristic density (rho at r_s is ``rho_s / 2**((beta - gamma) / alpha)``).
    r_s : `~astropy.units.Quantity` [length]
        Scale radius.
    alpha : float
        Sharpness of the transition, > 0.
    beta : float
        Outer logarithmic slope (density ~ r^-beta at large radius).
    gamma : float
        Inner logarithmic slope (density ~ r^-gamma at small radius), < 3 so that the mass
        converges at the centre.

    References
    ----------
    Zhao, H. 1996, MNRAS, 278, 488.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.profiles import Zhao
    >>> halo = Zhao.from_M200_c(1e9 * u.Msun, 10, alpha=2, beta=3, gamma=0.5,
    ...                         H0=70 * u.km / u.s / u.Mpc)
    >>> print(f"{halo.log_slope(150 * u.pc):.3f}")
    -0.513
    >>> print(f"{halo.enclosed_mass(halo.virial_radius(H0=70 * u.km / u.s / u.Mpc)):.4g}")
    1e+09 solMass
    """

    family = "zhao"
    _parameters = ("rho_s", "r_s", "alpha", "beta", "gamma")
    _units = {"rho_s": DENSITY, "r_s": LENGTH}

    def __init__(self, rho_s, r_s, *, alpha, beta, gamma):
        self._rho_s = as_value(rho_s, DENSITY, "rho_s", scalar=True, positive=True,
                                allow_zero=False)
        self._r_s = as_value(r_s, LENGTH, "r_s", scalar=True, positive=True, allow_zero=False)
        self._alpha, self._beta, self._gamma = _check_shape(alpha, beta, gamma)

    @classmethod
    def from_M200_c(cls, M200, c, *, alpha, beta, gamma, H0=None, overdensity=200):
        """Zhao halo from its virial mass and concentration c = r200 / r_s.

        Parameters
        ----------
        M200 : `~astropy.units.Quantity` [mass]
            Mass inside r200, where the mean density is ``overdensity`` x critical.
        c : float
            Concentration r200 / r_s (note: r_s is not the radius of slope -2 unless
            ``alpha=1, beta=3, gamma=1``).
        alpha, beta, gamma : float
            Shape parameters, see `Zhao`.
        H0 : `~astropy.units.Quantity` [frequency], optional
            Hubble constant (default Planck 2018).
        overdensity : float
            Overdensity with respect to critical (default 200).

        Returns
        -------
        profile : `Zhao`
            With M(<r200) = M200.
        """
        m200, r200 = _m200_r200(M200, H0, overdensity)
        c = _positive_float(c, "c")
        alpha, beta, gamma = _check_shape(alpha, beta, gamma)
        r_s = r200 / c
        norm = float(kernels.zhao_mass_integral(c, alpha, beta, gamma))
        rho_s = m200 / (4 * np.pi * r_s**3 * norm)
        return cls(rho_s * DENSITY, r_s * LENGTH, alpha=alpha, beta=beta, gamma=gamma)

    # ------------------------------------------------------------------ private float API
    def _shape(self):
        return self._alpha, self._beta, self._gamma

    def _density(self, r):
        return kernels.zhao_density(r, self._rho_s, self._r_s, *self._shape())

    def _enclosed_mass(self, r):
        x = np.asarray(r, dtype=float) / self._r_s
        unit = kernels.zhao_mass_integral(x, *self._shape())
        return 4 * np.pi * self._rho_s * self._r_s**3 * unit

    def _log_slope(self, r):
        return kernels.zhao_log_slope(r, self._r_s, *self._shape())

    def _total_mass(self):
        a, b, g = self._alpha, self._beta, self._gamma
        if b <= 3:
            return np.inf
        return float(4 * np.pi * self._rho_s * self._r_s**3
                     * special.beta((3 - g) / a, (b - 3) / a) / a)

    def _r_minus2(self):
        """Radius (kpc) where the log-slope is -2 (nan if there is none)."""
        a, b, g = self._alpha, self._beta, self._gamma
        if not g < 2 < b:
            return np.nan
        return self._r_s * kernels.zhao_r_minus2_ratio(a, b, g)


def _check_shape(alpha, beta, gamma):
    alpha = _positive_float(alpha, "alpha")
    beta = as_dimensionless(beta, "beta")
    gamma = as_dimensionless(gamma, "gamma")
    if gamma >= 3:
        msg = f"argument 'gamma' must be < 3 (finite central mass), got {gamma}"
        raise ValueError(msg)
    return alpha, beta, gamma

