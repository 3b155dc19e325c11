r"""Disc-galaxy formulas on plain arrays (internal units), listed in `~dmprofile.profiles.kernels`.

Radii in kpc, masses in Msun, surface densities in Msun / kpc2, velocities in km/s, the Hubble
constant ``H0`` in km/s/Mpc (a plain float). Arguments broadcast; nothing is checked.

* the razor-thin exponential disc: surface density, cylindrical mass and the circular velocity
  of Freeman (1970), and the spherical mass of a disc with a sech^2 vertical profile;
* the Hernquist (1990) sphere (bulges): density, enclosed mass, circular velocity;
* the NFW halo from (V200, c, H0);
* the response of a halo to the baryons that settle in it: adiabatic contraction of Blumenthal
  et al. (1986) or Gnedin et al. (2004), with the efficiency parameter nu of Dutton et al.
  (2007) (nu = 1 full contraction, 0 none, < 0 expansion).

References
----------
Blumenthal, G. R., Faber, S. M., Flores, R., & Primack, J. R. 1986, ApJ, 301, 27.
Dutton, A. A., van den Bosch, F. C., Dekel, A., & Courteau, S. 2007, ApJ, 654, 27.
Freeman, K. C. 1970, ApJ, 160, 811.
Gnedin, O. Y., Kravtsov, A. V., Klypin, A. A., & Nagai, D. 2004, ApJ, 616, 16.
Hernquist, L. 1990, ApJ, 356, 359.
"""

import numpy as np
from scipy import special

from .._utils import G_KPC

__all__ = [
    "adiabatic_contraction",
    "exponential_disc_enclosed_mass",
    "exponential_disc_surface_density",
    "exponential_disc_vcirc2",
    "hernquist_density",
    "hernquist_enclosed_mass",
    "hernquist_vcirc2",
    "m200_from_V200",
    "nfw_from_V200_c",
    "r200_from_V200",
    "sech2_disc_spherical_mass",
]

# Gauss-Legendre nodes of the spherical mass of a thick disc.
_GL_X, _GL_W = np.polynomial.legendre.leggauss(64)


# ------------------------------------------------------------------------ exponential disc
def exponential_disc_surface_density(R, sigma0, r_d):
    """Surface density sigma0 exp(-R / r_d) of an exponential disc [Msun / kpc2]."""
    return sigma0 * np.exp(-np.asarray(R, dtype=float) / r_d)


def exponential_disc_enclosed_mass(R, sigma0, r_d):
    """Mass of an exponential disc inside the cylinder of radius R [Msun].

    ``2 pi sigma0 r_d^2 [1 - (1 + x) exp(-x)]``, x = R / r_d (total mass 2 pi sigma0 r_d^2).
    """
    x = np.asarray(R, dtype=float) / r_d
    # 1 - (1 + x) e^-x without cancellation at small x
    return 2 * np.pi * sigma0 * r_d**2 * -(np.expm1(-x) + x * np.exp(-x))


def exponential_disc_vcirc2(R, sigma0, r_d):
    """Squared circular velocity in the mid-plane of a razor-thin exponential disc [(km/s)^2].

    Freeman (1970): ``v^2 = 4 pi G sigma0 r_d y^2 [I0(y) K0(y) - I1(y) K1(y)]``, y = R / (2 r_d),
    with the exponentially scaled Bessel functions of scipy (stable at any R; 0 at R = 0).

    Parameters
    ----------
    R : float or ndarray
        Cylindrical radius [kpc].
    sigma0 : float or ndarray
        Central surface density [Msun / kpc2].
    r_d : float or ndarray
        Scale length [kpc].

    Returns
    -------
    ndarray
        v_c^2 [(km/s)^2].

    Examples
    --------
    >>> import numpy as np
    >>> from dmprofile.profiles import kernels
    >>> # the peak, at R = 2.15 r_d, is 0.622 sqrt(G M / r_d) (M = 2 pi sigma0 r_d^2)
    >>> v2 = kernels.exponential_disc_vcirc2(2.15, 1e9 / (2 * np.pi), 1.0)
    >>> round(float(np.sqrt(v2 / (4.30091e-6 * 1e9))), 3)
    0.622
    """
    y = np.asarray(R, dtype=float) / (2.0 * r_d)
    ys = np.where(y > 0, y, 1.0)
    bessel = special.i0e(ys) * special.k0e(ys) - special.i1e(ys) * special.k1e(ys)
    return np.where(y > 0, 4 * np.pi * G_KPC * sigma0 * r_d * ys**2 * bessel, 0.0)


def sech2_disc_spherical_mass(r, sigma0, r_d, z0):
    r"""Mass inside the sphere of radius r of an exponential disc with a sech^2 vertical profile.

    The density is ``sigma0 exp(-R / r_d) sech^2(z / z0) / (2 z0)``, so that the mass inside
    the sphere is ``int_0^r 2 pi R sigma(R) tanh(sqrt(r^2 - R^2) / z0) dR``, integrated here by
    64-point Gauss-Legendre quadrature in R = r sin(t) up to min(r, 40 r_d) (relative
    error < 1e-6). With
    ``z0 = 0`` it is the cylindrical mass of `exponential_disc_enclosed_mass`.

    Parameters
    ----------
    r : float or ndarray
        Spherical radius [kpc].
    sigma0, r_d, z0 : float
        Central surface density [Msun / kpc2], scale length and scale height [kpc].

    Returns
    -------
    ndarray
        Mass [Msun], with the shape of ``r``.
    """
    r = np.asarray(r, dtype=float)
    if z0 <= 0:
        return exponential_disc_enclosed_mass(r, sigma0, r_d)
    # substitute R = r sin(t): smooth integrand at R -> r; stop at R = 40 r_d (e^-40)
    t_max = np.arcsin(np.minimum(1.0, 40.0 * r_d / np.where(r > 0, r, 1.0)))[..., None]
    t = 0.5 * t_max * (_GL_X + 1.0)
    rr = r[..., None]
    R = rr * np.sin(t)
    z = rr * np.cos(t)
    integrand = 2 * np.pi * R * sigma0 * np.exp(-R / r_d) * np.tanh(z / z0) * z
    return 0.5 * t_max[..., 0] * (integrand @ _GL_W)


# ------------------------------------------------------------------------ Hernquist
def hernquist_density(r, mass, a):
    """Hernquist (1990) density ``M a / (2 pi r (r + a)^3)`` [Msun / kpc3]."""
    r = np.asarray(r, dtype=float)
    return mass * a / (2 * np.pi * r * (r + a) ** 3)


def hernquist_enclosed_mass(r, mass, a):
    """Mass ``M r^2 / (r + a)^2`` inside radius r of a Hernquist (1990) sphere [Msun].

    Parameters
    ----------
    r : float or ndarray
        Radius [kpc].
    mass : float or ndarray
        Total mass [Msun].
    a : float or ndarray
        Scale radius [kpc] (the half-mass radius is (1 + sqrt(2)) a).

    Returns
    -------
    ndarray
        Enclosed mass [Msun].
    """
    r = np.asarray(r, dtype=float)
    return mass * r**2 / (r + a) ** 2


def hernquist_vcirc2(r, mass, a):
    """Squared circular velocity ``G M r / (r + a)^2`` of a Hernquist sphere [(km/s)^2]."""
    r = np.asarray(r, dtype=float)
    return G_KPC * mass * r / (r + a) ** 2


# ------------------------------------------------------------------------ NFW from V200
def r200_from_V200(v200, H0):
    """Radius r200 = V200 / (10 H0) [kpc], V200 in km/s, H0 in km/s/Mpc."""
    return np.asarray(v200, dtype=float) / (10.0 * H0 / 1000.0)


def m200_from_V200(v200, H0):
    """Mass M200 = V200^2 r200 / G [Msun] (mean density 200 times critical inside r200)."""
    v200 = np.asarray(v200, dtype=float)
    return v200**2 * r200_from_V200(v200, H0) / G_KPC


def nfw_from_V200_c(v200, c, H0):
    """NFW (rho_s [Msun / kpc3], r_s [kpc]) of the halo with circular velocity V200 at r200.

    r200 = V200 / (10 H0) and M200 = V200^2 r200 / G, for an overdensity of 200 times the
    critical density 3 H0^2 / (8 pi G); r_s = r200 / c.

    Parameters
    ----------
    v200 : float or ndarray
        Circular velocity at r200 [km/s].
    c : float or ndarray
        Concentration r200 / r_s.
    H0 : float
        Hubble constant [km/s/Mpc] (a plain number, e.g. 67.66).

    Returns
    -------
    rho_s : float or ndarray
        Characteristic density [Msun / kpc3].
    r_s : float or ndarray
        Scale radius [kpc].

    Examples
    --------
    >>> from dmprofile.profiles import kernels
    >>> rho_s, r_s = kernels.nfw_from_V200_c(200.0, 10.0, 70.0)
    >>> round(float(r_s), 2)
    28.57
    """
    r200 = r200_from_V200(v200, H0)
    m200 = m200_from_V200(v200, H0)
    r_s = r200 / c
    x = np.asarray(c, dtype=float)
    rho_s = m200 / (4 * np.pi * r_s**3 * (np.log1p(x) - x / (1 + x)))
    return rho_s, r_s


# ------------------------------------------------------------------------ halo response
def _loglog_interp(x, xp, fp):
    """Interpolate log f against log x (fp > 0), extrapolating by the end slopes."""
    lx, lxp, lfp = np.log(x), np.log(xp), np.log(fp)
    out = np.interp(lx, lxp, lfp)
    lo_slope = (lfp[1] - lfp[0]) / (lxp[1] - lxp[0])
    hi_slope = (lfp[-1] - lfp[-2]) / (lxp[-1] - lxp[-2])
    out = np.where(lx < lxp[0], lfp[0] + lo_slope * (lx - lxp[0]), out)
    out = np.where(lx > lxp[-1], lfp[-1] + hi_slope * (lx - lxp[-1]), out)
    return np.exp(out)


def adiabatic_contraction(r, m_initial, m_baryon, f_gal, *, efficiency=1.0, model="gnedin04",
                          r_vir=None, a0=0.85, w=0.8, n_iter=60):
    r"""Dark-matter mass profile of a halo after the response to its galaxy's baryons [Msun].

    The halo starts with total mass profile ``m_initial`` (dark matter and baryons mixed), a
    fraction ``f_gal`` of which cools into the galaxy, with final mass profile ``m_baryon``.
    Each dark shell keeps its adiabatic invariant (Blumenthal et al. 1986)

    ``r_i M_i(rb_i) = r_f [M_b(rb_f) + (1 - f_gal) M_i(rb_i)]``

    with rb = r (``model="blumenthal86"``) or the orbit-averaged radius of Gnedin et al. (2004),
    ``rb = a0 r_vir (r / r_vir)^w`` (``model="gnedin04"``, a0 = 0.85, w = 0.8). The contraction
    factor Gamma = rb_f / rb_i is then applied with the efficiency nu of Dutton et al. (2007):
    the shell moves to ``rb_i Gamma^nu`` (nu = 1 the model's contraction, 0 none, negative an
    expansion, as feedback-driven outflows produce) and encloses ``(1 - f_gal) M_i(rb_i)`` of
    dark matter.

    Parameters
    ----------
    r : ndarray
        Increasing radius grid [kpc] (1-D, at least 8 points; the result is interpolated
        log-log on it, so it should extend a factor of a few beyond the radii of interest).
    m_initial : ndarray
        Initial total mass inside each ``r`` [Msun].
    m_baryon : ndarray
        Final baryonic mass inside each ``r`` [Msun] (spherically averaged).
    f_gal : float
        Fraction of the initial mass that ends in the galaxy.
    efficiency : float
        The efficiency nu.
    model : str
        ``"gnedin04"`` or ``"blumenthal86"``.
    r_vir : float, optional
        Virial radius [kpc] of the Gnedin et al. orbit average (needed for ``"gnedin04"``).
    a0, w : float
        Parameters of the orbit-averaged radius.
    n_iter : int
        Bisection steps (in ln r_f) of the invariant equation.

    Returns
    -------
    ndarray
        Dark-matter mass inside each ``r`` after the response [Msun].

    Examples
    --------
    >>> import numpy as np
    >>> from dmprofile.profiles import kernels
    >>> r = np.geomspace(0.01, 2000.0, 200)
    >>> m_i = kernels.nfw_enclosed_mass(r, 1e7, 20.0)
    >>> m_b = kernels.hernquist_enclosed_mass(r, 5e10, 2.0)
    >>> f = 5e10 / float(kernels.nfw_enclosed_mass(200.0, 1e7, 20.0))
    >>> m_dm = kernels.adiabatic_contraction(r, m_i, m_b, f, model="blumenthal86")
    >>> bool(np.interp(1.0, r, m_dm) > (1 - f) * np.interp(1.0, r, m_i))  # contracted
    True
    """
    r = np.asarray(r, dtype=float)
    m_i = np.asarray(m_initial, dtype=float)
    # baryonic mass > 0 for the log-log interpolation (power-law extrapolation off the grid)
    m_b = np.maximum(np.asarray(m_baryon, dtype=float), 1e-30 * np.max(m_i))
    if model == "blumenthal86":
        a0, w, r_vir = 1.0, 1.0, 1.0
    elif model == "gnedin04":
        if r_vir is None:
            msg = "argument 'r_vir' is required by model='gnedin04'"
            raise ValueError(msg)
    else:
        msg = f"argument 'model' must be 'gnedin04' or 'blumenthal86', got {model!r}"
        raise ValueError(msg)

    def mean_radius(x):
        return a0 * r_vir * (x / r_vir) ** w

    # the shells whose orbit-averaged radii are the grid: rb_i = r, M_i(rb_i) = m_initial
    r_i = r_vir * (r / (a0 * r_vir)) ** (1.0 / w)
    invariant = r_i * m_i
    m_dm = (1.0 - f_gal) * m_i

    def residual(r_f):
        return r_f * (_loglog_interp(mean_radius(r_f), r, m_b) + m_dm) - invariant

    # bisection in ln r_f for every shell at once; the residual grows with r_f
    lo, hi = np.log(r_i) - 8.0, np.log(r_i) + 1.0
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        above = residual(np.exp(mid)) > 0
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    gamma = mean_radius(np.exp(0.5 * (lo + hi))) / r
    rb_final = np.maximum.accumulate(r * gamma**efficiency)  # shells do not cross
    keep = np.concatenate([[True], np.diff(rb_final) > 0])
    return _loglog_interp(r, rb_final[keep], m_dm[keep])
