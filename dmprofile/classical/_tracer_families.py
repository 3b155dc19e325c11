"""Exponential and Zhao tracer fits to projected radii, by maximum likelihood.

The likelihood of a star at projected radius R inside the survey radius R_max is
2 pi R Sigma(R) / N(<R_max), raised to the power of its membership weight.
"""

import numpy as np
from scipy import optimize, special

from .._utils import DENSITY, LENGTH
from ..profiles import Exponential, Zhao, kernels

__all__ = []

#: Bounds of the Zhao tracer shape: alpha, beta, gamma.
ZHAO_BOUNDS = ((0.5, 4.0), (3.2, 8.0), (0.0, 1.5))

# composite Gauss-Legendre rule in t (r = R cosh t) over [0, arccosh(1e6)]
_GX, _GW = np.polynomial.legendre.leggauss(8)
_EDGES = np.linspace(0.0, np.arccosh(1e6), 17)
_HALF = 0.5 * np.diff(_EDGES)
_T = ((0.5 * (_EDGES[1:] + _EDGES[:-1]))[:, None] + _HALF[:, None] * _GX[None, :]).ravel()
_WT = (_HALF[:, None] * _GW[None, :]).ravel()
_LNCOSH = np.log(np.cosh(_T))
# weight of the projected-mass correction: cosh^2 t sinh t (1 - tanh t)
_CORR = np.cosh(_T) ** 2 * np.sinh(_T) * 2.0 / (1.0 + np.exp(2.0 * _T))


def _fit_exponential(R, w, R_max):
    """Maximum-likelihood `~dmprofile.profiles.Exponential`: ``(profile, r_half, ll, k)``."""
    lnR = np.log(R)
    sw = w.sum()

    def negll(ln_rd):
        rd = np.exp(ln_rd)
        X = R / rd
        # 2 pi R Sigma(R) = X^2 K1(X) / (2 r_d); N(<R_max) = 1 - X_m^2 K2(X_m) / 2
        lnpdf = 2 * (lnR - ln_rd) + np.log(special.k1e(X)) - X - np.log(2.0) - ln_rd
        Xm = R_max / rd
        norm = -np.expm1(2 * np.log(Xm) + np.log(special.kve(2, Xm)) - Xm - np.log(2.0))
        ll = np.sum(w * lnpdf) - sw * np.log(norm)
        return -ll if np.isfinite(ll) else 1e300

    med = np.log(np.median(R))
    res = optimize.minimize_scalar(negll, bounds=(med - 7.0, med + 7.0), method="bounded",
                                   options={"xatol": 1e-8})
    profile = Exponential(np.exp(res.x) * LENGTH)
    return profile, profile._projected_half_untruncated(), -float(res.fun), 1


class _ZhaoLikelihood:
    """Negative log-likelihood of a unit-mass Zhao tracer, theta = (ln r_s, alpha, beta, gamma).

    Sigma is computed by quadrature on a fixed log grid of projected radii spanning the stars
    and interpolated (cubic in ln Sigma) at each star with precomputed weights; the
    normalisation is M(<R_max) plus the closed-form-free correction
    int_R^inf 4 pi r^2 rho (1 - sqrt(1 - R^2/r^2)) dr, which converges fast for any beta > 3.
    """

    def __init__(self, R, w, R_max, n_grid=160):
        self.R, self.w, self.R_max, self.sw = R, w, R_max, float(w.sum())
        lo, hi = np.log(R.min()) - 1e-6, np.log(R_max) + 1e-6
        self.lnRg = np.linspace(lo, hi, n_grid)
        pos = (np.log(R) - lo) / (hi - lo) * (n_grid - 1)
        # four-point (cubic) Lagrange interpolation weights, precomputed
        i0 = np.clip(pos.astype(int), 1, n_grid - 3)
        u_ = pos - i0
        self.idx = i0[:, None] + np.arange(-1, 3)[None, :]
        self.lagrange = np.stack([-u_ * (u_ - 1) * (u_ - 2) / 6, (u_ + 1) * (u_ - 1) * (u_ - 2) / 2,
                                  -(u_ + 1) * u_ * (u_ - 2) / 2, (u_ + 1) * u_ * (u_ - 1) / 6],
                                 axis=1)
        self.sum_wlnR = float(np.sum(w * np.log(R)))
        # ln r of the quadrature nodes: rows grid radii (Sigma), last row R_max (correction)
        self.lnr = np.concatenate([self.lnRg, [np.log(R_max)]])[:, None] + _LNCOSH[None, :]

    @staticmethod
    def _ln_rho(lnx, alpha, beta, gamma):
        return -gamma * lnx - (beta - gamma) / alpha * np.logaddexp(0.0, alpha * lnx)

    def ln_sigma_and_norm(self, theta):
        """Return ln Sigma [on the grid] and N(<R_max) for rho_s = 1, r_s = exp(theta[0])."""
        ln_rs, alpha, beta, gamma = theta
        lnx = self.lnr - ln_rs
        rho = np.exp(self._ln_rho(lnx, alpha, beta, gamma))
        # Sigma(R) = 2 int rho(r) r dt, r = R cosh t
        sig = 2.0 * np.exp(self.lnr[:-1]) * rho[:-1] @ _WT
        x_m = self.R_max / np.exp(ln_rs)
        m3d = 4 * np.pi * np.exp(3 * ln_rs) * kernels.zhao_mass_integral(x_m, alpha, beta, gamma)
        corr = 4 * np.pi * self.R_max**3 * (rho[-1] * _CORR) @ _WT
        return np.log(sig), float(m3d + corr)

    def __call__(self, theta):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lnsig, norm = self.ln_sigma_and_norm(theta)
            lns = np.sum(lnsig[self.idx] * self.lagrange, axis=1)
            ll = (np.sum(self.w * lns) + self.sum_wlnR
                  + self.sw * (np.log(2 * np.pi) - np.log(norm)))
        return -ll if np.isfinite(ll) else 1e300


def _zhao_profile(ln_rs, alpha, beta, gamma):
    """Unit-mass Zhao tracer and its projected half-light radius [kpc]."""
    r_s = np.exp(ln_rs)
    total = 4 * np.pi * r_s**3 * special.beta((3 - gamma) / alpha, (beta - 3) / alpha) / alpha
    profile = Zhao(1.0 / total * DENSITY, r_s * LENGTH, alpha=alpha, beta=beta, gamma=gamma)

    def frac(lnR):
        R = np.exp(lnR)
        lnr = lnR + _LNCOSH
        rho = np.exp(_ZhaoLikelihood._ln_rho(lnr - ln_rs, alpha, beta, gamma)) / total
        m3d = profile._enclosed_mass(R)
        return float(m3d + 4 * np.pi * R**3 * (rho * _CORR) @ _WT) - 0.5

    r_half = float(np.exp(optimize.brentq(frac, ln_rs - 12, ln_rs + 12, xtol=1e-10)))
    return profile, r_half


def _fit_zhao(R, w, R_max):
    """Maximum-likelihood Zhao tracer: ``(profile, r_half, ll, k)``."""
    like = _ZhaoLikelihood(R, w, R_max)
    med = np.log(np.median(R))
    bounds = ((med - 5.0, med + 5.0),) + ZHAO_BOUNDS
    best = None
    for start in ((med, 2.0, 5.0, 0.0), (med, 1.0, 4.0, 1.0), (med + 0.7, 1.5, 6.0, 0.5)):
        res = optimize.minimize(like, np.array(start), method="L-BFGS-B", bounds=bounds)
        if best is None or res.fun < best.fun:
            best = res
    profile, r_half = _zhao_profile(*best.x)
    return profile, r_half, -float(best.fun), 4
