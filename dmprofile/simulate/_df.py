r"""Numerical inversion of the Cuddeford (1991) family of distribution functions.

A spherical tracer of density :math:`\nu(r)` in the potential :math:`\Phi(r) = -\Psi(r)` with the
anisotropy profile :math:`\beta(r) = (r^2 + \beta_0 r_a^2) / (r^2 + r_a^2)` has the equilibrium
distribution function

.. math:: f(\mathcal{E}, L) = L^{-2\beta_0} f_Q(Q), \qquad Q = \mathcal{E} - \frac{L^2}{2 r_a^2},

where :math:`\mathcal{E} = \Psi - v^2/2` is the binding energy. Integrating over velocities gives

.. math::

    \tilde\rho(\Psi) \equiv \left(1 + \frac{r^2}{r_a^2}\right)^{1-\beta_0} r^{2\beta_0}\nu(r)
    = \lambda \int_0^\Psi f_Q(Q) (\Psi - Q)^{1/2 - \beta_0} \, dQ,
    \qquad \lambda = \frac{2^{3/2-\beta_0}\pi^{3/2}\Gamma(1-\beta_0)}{\Gamma(3/2-\beta_0)},

an Abel (Riemann-Liouville) integral of order :math:`\alpha = 3/2 - \beta_0`, inverted as

.. math::

    f_Q(Q) = C \frac{d}{dQ} \int_0^Q \frac{d^m\tilde\rho}{d\Psi^m} (Q - \Psi)^{m - \alpha} \, d\Psi
           = C \int_0^Q \frac{d^{m+1}\tilde\rho}{d\Psi^{m+1}} (Q - \Psi)^{m - \alpha} \, d\Psi,

with :math:`m = 1`, :math:`C = 1 / [\lambda\Gamma(\alpha)\Gamma(2-\alpha)]` for
:math:`\beta_0 \le 1/2` (for :math:`\beta_0 = 0` this is Eddington's formula) and :math:`m = 0`,
:math:`C = 1 / [\lambda\Gamma(\alpha)\Gamma(1-\alpha)]` for :math:`1/2 < \beta_0 < 1`. The
second form follows by parts because :math:`d^m\tilde\rho/d\Psi^m = 0` at :math:`\Psi = 0`.

Numerically, :math:`H = d^{m+1}\tilde\rho/d\Psi^{m+1}` is evaluated *analytically* at the nodes
of a logarithmic radius grid by the caller (from the tracer log-slope, M(r) and rho(r)), so no
numerical derivative of a table is ever taken. Between nodes, ln rho~ and the O(1) ratio
H (dPsi/dy)^(m+1) / rho~ are interpolated in y = ln Psi - ln(Psi_c - Psi), which is a power of r at
both ends. The Abel integral is then done by composite Gauss-Legendre quadrature on geometric
panels towards both ends of [0, Q], with the integrable endpoint singularity integrated exactly
(see `invert_cuddeford`); all nodes are evaluated as one array operation.

References: Eddington (1916); Osipkov (1979); Merritt (1985); Cuddeford (1991, MNRAS 253, 414);
An & Evans (2006, ApJ 642, 752) for the central anisotropy theorem.
"""

import numpy as np
from scipy import special

__all__ = ["InconsistentModelError", "NEGATIVE_DF_TOLERANCE", "cuddeford_lambda", "inversion_order",
           "invert_cuddeford", "FQTable"]

#: Relative tolerance below which a negative value of f_Q counts as numerical zero. A node value
#: f_Q(Q_j) is a quadrature sum of positive and negative contributions; it is declared genuinely
#: negative when f_Q(Q_j) < -NEGATIVE_DF_TOLERANCE * sum_i |contribution_i|, i.e. when it is
#: negative beyond the cancellation/discretisation error of the quadrature (a few 1e-4 of that
#: sum on the analytic power-law and Plummer tests). Genuinely inconsistent models give ratios
#: of -0.1 to -0.8, and the OM Plummer threshold r_a = 3a/4 is resolved to better than 1%.
NEGATIVE_DF_TOLERANCE = 1e-3


class InconsistentModelError(ValueError):
    """The requested tracer / anisotropy / potential combination has no physical equilibrium DF.

    Parameters
    ----------
    message : str
        Human-readable explanation (where it fails and for which anisotropy).
    reason : str
        Short machine-readable reason: ``"negative_df"``, ``"central_anisotropy"`` or
        ``"divergent_potential"``. Suites record it for rejected models.
    """

    def __init__(self, message, *, reason):
        super().__init__(message)
        self.reason = reason


def cuddeford_lambda(beta0):
    """Return the normalisation lambda of the Cuddeford density integral."""
    return (2.0 ** (1.5 - beta0) * np.pi**1.5 * special.gamma(1.0 - beta0)
            / special.gamma(1.5 - beta0))


def inversion_order(beta0):
    """Return (m, exponent, C) of the inversion f_Q = C int H (Q - Psi)^exponent dPsi.

    H = d^(m+1) rho~ / dPsi^(m+1).

    ``m`` here counts the derivatives of rho~ stored at the nodes (1: rho~', 0: rho~ itself).
    """
    alpha = 1.5 - beta0
    lam = cuddeford_lambda(beta0)
    if beta0 <= 0.5:
        return 1, 1.0 - alpha, 1.0 / (lam * special.gamma(alpha) * special.gamma(2.0 - alpha))
    return 0, -alpha, 1.0 / (lam * special.gamma(alpha) * special.gamma(1.0 - alpha))


# Composite Gauss-Legendre rule on s in [0, _S_MAX] (geometric panels in Psi or in Q - Psi).
_S_MAX = 24.0
_N_PANEL = 12
_GLX, _GLW = np.polynomial.legendre.leggauss(6)
_S_NODES = ((np.arange(_N_PANEL)[:, None] + 0.5 * (_GLX[None, :] + 1.0))
            * _S_MAX / _N_PANEL).ravel()
_S_WEIGHTS = np.tile(0.5 * _GLW * _S_MAX / _N_PANEL, _N_PANEL)


class _LogInterpolant:
    """H(Psi) = w(y) exp(ln rho~(y)) / Psi_y^k from node values, in y = ln Psi - ln(Psi_c - Psi).

    ln rho~ is a cubic spline in y, extrapolated linearly (a power law) below the first node;
    the O(1) ratio w = H Psi_y^k / rho~ (Psi_y = dPsi/dy) is a PCHIP interpolant, held constant
    outside the nodes. Both are smooth, nearly linear functions of y at small and large radii.
    """

    def __init__(self, psi, log_g, w, psi_c, k):
        from scipy.interpolate import CubicSpline, PchipInterpolator

        self.psi_c, self.k = psi_c, k
        self.y = np.log(psi) - np.log(psi_c - psi)
        self.log_g = CubicSpline(self.y, log_g)
        self.w = PchipInterpolator(self.y, w, extrapolate=False)
        self.slope0 = (log_g[1] - log_g[0]) / (self.y[1] - self.y[0])
        self.w_ends = w[0], w[-1]

    def __call__(self, psi):
        y = np.log(psi) - np.log(self.psi_c - psi)
        yc = np.clip(y, self.y[0], self.y[-1])
        log_g = self.log_g(yc) + self.slope0 * np.minimum(y - self.y[0], 0.0)
        w = self.w(yc)
        psi_y = psi * (self.psi_c - psi) / self.psi_c
        return w * np.exp(log_g - self.k * np.log(psi_y))


def invert_cuddeford(psi, log_g, w, psi_c, beta0, q):
    """Evaluate f_Q(q) by quadrature of the Abel inversion integral.

    Parameters
    ----------
    psi : ndarray
        Increasing relative-potential nodes (0 < psi < psi_c).
    log_g : ndarray
        ln rho~ at the nodes.
    w : ndarray
        H Psi_y^(m+1) / rho~ at the nodes, where H = d^(m+1) rho~ / dPsi^(m+1) (``m`` from
        `inversion_order`) and Psi_y = Psi (psi_c - Psi) / psi_c.
    psi_c : float
        The central potential (slightly above ``psi[-1]``).
    beta0 : float
        Central anisotropy.
    q : ndarray
        Where to evaluate f_Q (within the node range).

    Returns
    -------
    f : ndarray
        f_Q(q).
    scale : ndarray
        C int |H| (q - Psi)^e dPsi, the cancellation scale used to decide whether a negative value
        is numerical zero.

    Notes
    -----
    f_Q(Q) = C int_0^Q H(Psi) (Q - Psi)^e dPsi (e = m - alpha; the boundary term vanishes since
    d^m rho~/dPsi^m = 0 at Psi = 0). The range is split at Q/2; the lower half is integrated in
    s = ln(Q / 2 Psi) and the upper half in s = ln(Q / 2 (Q - Psi)), each with a composite
    Gauss-Legendre rule over s in [0, 24], so that structure at any scale close to Psi = 0 or to
    Psi = Q is resolved; the remaining sliver next to Psi = Q (width 1e-11 Q) is integrated with
    H frozen at H(Q), which also absorbs the integrable endpoint singularity exactly.
    """
    m, e, const = inversion_order(beta0)
    interp = _LogInterpolant(np.asarray(psi, float), np.asarray(log_g, float), np.asarray(w, float),
                             psi_c, m + 1)
    q = np.asarray(q, dtype=float)[:, None]
    half = 0.5 * q
    decay = np.exp(-_S_NODES)[None, :]
    # lower half: Psi = Q/2 e^-s, dPsi = Psi ds
    p_lo = half * decay
    t_lo = interp(p_lo) * (q - p_lo) ** e * p_lo
    # upper half: u = Q - Psi = Q/2 e^-s, du = u ds
    u_up = half * decay
    t_up = interp(q - u_up) * u_up ** (e + 1.0)
    u_min = half[:, 0] * np.exp(-_S_MAX)
    h_q = interp(q[:, 0])
    rest = h_q * u_min ** (e + 1.0) / (e + 1.0)
    f = const * (t_lo @ _S_WEIGHTS + t_up @ _S_WEIGHTS + rest)
    scale = abs(const) * (np.abs(t_lo) @ _S_WEIGHTS + np.abs(t_up) @ _S_WEIGHTS + np.abs(rest))
    return f, scale


class FQTable:
    """f_Q tabulated at potential nodes and interpolated in a coordinate that resolves both ends.

    The coordinate ``y = ln Q - ln(Psi_c - Q)`` (``Psi_c`` slightly above the largest node, the
    central potential) is a power law of r at both small and large radii, so that ln f_Q is a
    smooth, nearly linear function of it. Below the first node ln f_Q is extrapolated linearly.
    """

    def __init__(self, q_nodes, f_nodes, psi_c):
        self.psi_c = float(psi_c)
        self.q_nodes = np.asarray(q_nodes, dtype=float)
        self.y = self._coord(self.q_nodes)
        f = np.asarray(f_nodes, dtype=float)
        tiny = np.finfo(float).tiny
        self.logf = np.log(np.maximum(f, tiny))
        self.zero = f <= 0
        dy = self.y[1] - self.y[0]
        self.slope_lo = (self.logf[1] - self.logf[0]) / dy if not self.zero[:2].any() else 0.0

    def _coord(self, q):
        with np.errstate(divide="ignore"):
            return np.log(q) - np.log(self.psi_c - q)

    def __call__(self, q):
        """f_Q(q) for an array of q (0 for q <= 0 or beyond the table)."""
        q = np.asarray(q, dtype=float)
        y = self._coord(np.clip(q, 0.0, self.q_nodes[-1]))
        logf = np.interp(y, self.y, self.logf)
        below = y < self.y[0]
        logf = np.where(below, self.logf[0] + self.slope_lo * (y - self.y[0]), logf)
        out = np.exp(logf)
        # nodes that are numerically zero stay zero (interpolated values near them are tiny anyway)
        out = np.where(q > 0, out, 0.0)
        return out
