r"""Spherical Jeans forward model: projected line-of-sight velocity dispersion.

The radial Jeans equation with anisotropy beta(r) has the solution

.. math::

    \nu \sigma_r^2(r) = \frac{1}{g(r)} \int_r^\infty g(s)\, \nu(s) \frac{G M(s)}{s^2} ds,
    \qquad g(r) = \exp \int \frac{2\beta}{r} dr,

and the line-of-sight projection (Binney & Mamon 1982) reads

.. math::

    \Sigma \sigma_{\rm los}^2 (R) = 2 \int_R^\infty
        \left(1 - \beta(r) \frac{R^2}{r^2}\right)
        \frac{\nu \sigma_r^2(r)\, r\, dr}{\sqrt{r^2 - R^2}}.

Both integrals are done on fixed grids, for many parameter sets at once (the MCMC walkers): the
inner one as a cumulative sum in ln r, exact for piecewise power laws, with an analytic tail; the
outer by Gauss-Legendre quadrature in t with r = R cosh t, which removes the endpoint singularity.
The grid, the tracer density and the interpolation weights are computed once per data set, so
one call for ~50 parameter sets and 30 projected radii costs a few milliseconds.
"""

import numpy as np

from .._utils import G_KPC, LENGTH, MASS, VELOCITY, as_value

__all__ = ["sigma_los"]

_GL16_X, _GL16_W = np.polynomial.legendre.leggauss(24)


def _tracer_scale(tracer):
    """Projected half-light radius of a tracer [kpc] (its scale radius where that is unknown)."""
    try:
        return float(tracer._projected_half_untruncated())
    except (NotImplementedError, ValueError, AttributeError):
        return float(tracer._scale_radius())


class _JeansGrid:
    """Fixed grids for the projected Jeans integral at projected radii ``R`` (kpc).

    Parameters
    ----------
    R : ndarray
        Projected radii (kpc) where the dispersion is wanted.
    nu : callable
        3D tracer density nu(r) (any normalisation) on float arrays.
    surface : callable
        The projection Sigma(R) of ``nu`` (same normalisation).
    r_scale : float
        A characteristic tracer radius (kpc), used to set the outer edge of the grid.
    n_r : int
        Number of points of the logarithmic radial grid.
    """

    def __init__(self, R, nu, surface, r_scale, *, n_r=256, r_min=None, r_max=None):
        R = np.atleast_1d(np.asarray(R, dtype=float))
        if np.any(R <= 0):
            msg = "projected radii must be > 0"
            raise ValueError(msg)
        self.R = R
        r_lo = 0.5 * R.min() if r_min is None else r_min
        r_hi = 200.0 * max(R.max(), r_scale) if r_max is None else r_max
        self.lnr = np.linspace(np.log(r_lo), np.log(r_hi), n_r)
        self.h = self.lnr[1] - self.lnr[0]
        self.r = np.exp(self.lnr)
        self.nu = np.asarray(nu(self.r), dtype=float)
        self.sigma = np.asarray(surface(R), dtype=float)

        # projection points: r = R cosh t, t in [0, t1] and [t1, T] (two Gauss-Legendre panels)
        T = np.arccosh(np.clip(r_hi / R, 1.0, None))
        t1 = np.minimum(1.5, 0.5 * T)
        x, w = _GL16_X, _GL16_W
        ta = 0.5 * t1[:, None] * (x + 1.0)
        wa = 0.5 * t1[:, None] * w
        tb = t1[:, None] + 0.5 * (T - t1)[:, None] * (x + 1.0)
        wb = 0.5 * (T - t1)[:, None] * w
        t = np.concatenate([ta, tb], axis=1)                # (nR, nt)
        wt = np.concatenate([wa, wb], axis=1)
        rp = R[:, None] * np.cosh(t)
        self.n_t = t.shape[1]
        self.r_pts = rp.ravel()
        self.proj_factor = (R[:, None] ** 2 / rp**2).ravel()  # R^2 / r^2
        self.weights = (wt * rp).ravel()                      # dt weight times r
        lnrp = np.clip(np.log(self.r_pts), self.lnr[0], self.lnr[-1])
        idx = np.clip(np.searchsorted(self.lnr, lnrp) - 1, 0, n_r - 2)
        self.idx = idx
        self.frac = (lnrp - self.lnr[idx]) / self.h

    def sigma2(self, mass, log_g, beta_pts, *, return_lnp=False):
        """Projected LOS velocity dispersion squared (km/s)^2 for K parameter sets.

        Parameters
        ----------
        mass : ndarray (K, n_r)
            Enclosed mass M(<r) on the grid ``self.r`` (Msun).
        log_g : ndarray (K, n_r) or (n_r,)
            Logarithm of the Jeans integrating factor on the grid.
        beta_pts : ndarray (K, n_pts), (n_pts,) or scalar
            Anisotropy at the projection points ``self.r_pts``.

        Returns
        -------
        ndarray (K, nR)
            And ln(nu sigma_r^2) on the radial grid, shape (K, n_r), when ``return_lnp``.
        """
        mass = np.atleast_2d(mass)
        log_g = np.atleast_2d(log_g)
        log_g = log_g - log_g.max(axis=1, keepdims=True)
        f = np.exp(log_g) * (self.nu * G_KPC / self.r) * mass        # integrand per d ln r
        # exact for a piecewise power law (log-linear f between grid points)
        lnf = np.log(np.maximum(f, 1e-300))
        d = lnf[:, :-1] - lnf[:, 1:]
        small = np.abs(d) < 1e-6
        with np.errstate(divide="ignore", invalid="ignore"):
            seg = np.where(small, 0.5 * (f[:, 1:] + f[:, :-1]),
                           (f[:, :-1] - f[:, 1:]) / np.where(small, 1.0, d)) * self.h
        cum = np.zeros_like(f)
        cum[:, :-1] = np.cumsum(seg[:, ::-1], axis=1)[:, ::-1]
        # analytic tail beyond the grid: f ~ r^-q
        q = d[:, -1] / self.h
        q = np.where(np.isfinite(q), np.maximum(q, 1.0), 1.0)
        cum += (f[:, -1] / q)[:, None]
        with np.errstate(divide="ignore"):
            lnp = np.log(cum) - log_g                                 # ln(nu sigma_r^2)
        lnp_pts = lnp[:, self.idx] * (1.0 - self.frac) + lnp[:, self.idx + 1] * self.frac
        integrand = (1.0 - beta_pts * self.proj_factor) * np.exp(lnp_pts) * self.weights
        K = integrand.shape[0]
        total = integrand.reshape(K, self.R.size, self.n_t).sum(axis=2)
        s2 = 2.0 * total / self.sigma
        return (s2, lnp) if return_lnp else s2


def _mass_function(halo, tracer, r_trunc, stellar_mass):
    def mass(r):
        rr = r if r_trunc is None else np.minimum(r, r_trunc)
        m = np.asarray(halo._enclosed_mass(rr), dtype=float)
        if stellar_mass:
            m = m + stellar_mass * tracer._enclosed_mass(r) / tracer._total_mass()
        return m

    return mass


def sigma_los(R, halo, tracer, anisotropy=None, *, r_trunc=None, stellar_mass=None):
    """Projected line-of-sight velocity dispersion of a spherical Jeans model.

    Parameters
    ----------
    R : `~astropy.units.Quantity` [length]
        Projected radii (any shape).
    halo : `~dmprofile.profiles.DensityProfile`
        The dark-matter halo (the potential).
    tracer : `~dmprofile.profiles.DensityProfile`
        The stellar tracer density (only its shape matters), e.g.
        `~dmprofile.profiles.Plummer` or `~dmprofile.classical.PlummerSum`.
    anisotropy : `~dmprofile.profiles.AnisotropyProfile`, optional
        Velocity anisotropy beta(r) (default isotropic).
    r_trunc : `~astropy.units.Quantity` [length], optional
        Outer truncation of the halo mass: M(r > r_trunc) = M(r_trunc). Default: none.
    stellar_mass : `~astropy.units.Quantity` [mass], optional
        Stellar mass distributed like the tracer, added to the halo mass.

    Returns
    -------
    `~astropy.units.Quantity` [speed]
        The line-of-sight velocity dispersion in km / s, with the shape of ``R``.

    Notes
    -----
    The Jeans equation is integrated with the integrating factor g(r) and projected with the
    substitution r = R cosh t (Binney & Mamon 1982; Mamon & Lokas 2005, appendix), on fixed grids
    accurate to ~1e-4 relative.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.profiles import NFW, Plummer, Isotropic
    >>> from dmprofile.classical import sigma_los
    >>> halo = NFW.from_M200_c(1e9 * u.Msun, 12, H0=70 * u.km / u.s / u.Mpc)
    >>> s = sigma_los([0.1, 0.3, 1.0] * u.kpc, halo, Plummer(0.3 * u.kpc), Isotropic())
    >>> print(s.round(2))
    [6.91 6.63 7.58] km / s
    """
    Rv = as_value(R, LENGTH, "R", positive=True, allow_zero=False)
    shape = np.shape(Rv)
    Rflat = np.atleast_1d(Rv).ravel()
    rt = None if r_trunc is None else as_value(r_trunc, LENGTH, "r_trunc", scalar=True,
                                               positive=True, allow_zero=False)
    ms = 0.0 if stellar_mass is None else as_value(stellar_mass, MASS, "stellar_mass",
                                                   scalar=True, positive=True)
    if anisotropy is None:
        from ..profiles import Isotropic

        anisotropy = Isotropic()
    grid = _JeansGrid(Rflat, tracer._density, tracer._surface_density, _tracer_scale(tracer))
    mass = _mass_function(halo, tracer, rt, ms)(grid.r)
    log_g = anisotropy._log_jeans_factor(grid.r)
    beta = anisotropy._beta(grid.r_pts)
    s2 = grid.sigma2(mass[None, :], log_g[None, :], beta[None, :])[0]
    return np.reshape(np.sqrt(s2), shape) * VELOCITY
