"""Bayesian evidence of a Jeans fit by importance sampling around its posterior samples.

The evidence Z = int L(theta) pi(theta) d theta is estimated as the mean of
L pi / q over draws from a proposal q built from the MCMC posterior samples after mapping every
parameter to the real line (logit of uniform priors, log of the concentration): half a Gaussian
kernel density estimate of the samples (which follows curved, non-Gaussian posteriors) and half
a heavy-tailed Student-t with the samples' mean and an inflated covariance (which keeps the
weights bounded in the tails). The estimate is unbiased; its standard error and the effective
sample size of the weights are reported with it.
"""

import numpy as np
from scipy import stats
from scipy.special import logsumexp

__all__ = []


def _to_unbounded(like, theta):
    return np.column_stack([p.to_unbounded(theta[:, i]) for i, p in enumerate(like._priors)])


def _from_unbounded(like, y):
    cols, log_jac = [], np.zeros(len(y))
    for i, p in enumerate(like._priors):
        x, lj = p.from_unbounded(y[:, i])
        cols.append(x)
        log_jac = log_jac + lj
    return np.column_stack(cols), log_jac


class _Proposal:
    """Defensive mixture: ``kde_fraction`` Gaussian KDE + the rest a multivariate Student-t."""

    def __init__(self, y, rng, *, df, inflate, n_kernels, kde_fraction):
        n, d = y.shape
        mean = y.mean(axis=0)
        cov = np.atleast_2d(np.cov(y, rowvar=False))
        cov = cov + np.eye(d) * 1e-10 * max(np.trace(cov) / d, 1e-300)
        k = min(n, int(n_kernels))
        self.centres = y[rng.choice(n, size=k, replace=False)]
        bandwidth = (4.0 / (d + 2)) ** (1.0 / (d + 4)) * k ** (-1.0 / (d + 4))   # Silverman
        self.chol = np.linalg.cholesky(cov * bandwidth**2)
        self.log_det = 2 * np.sum(np.log(np.diag(self.chol)))
        self.t = stats.multivariate_t(loc=mean, shape=cov * inflate**2, df=df)
        self.f = float(kde_fraction)
        self.d = d

    def rvs(self, n, rng):
        n_kde = rng.binomial(n, self.f)
        idx = rng.integers(0, len(self.centres), n_kde)
        kde = self.centres[idx] + rng.standard_normal((n_kde, self.d)) @ self.chol.T
        t = np.atleast_2d(self.t.rvs(size=n - n_kde, random_state=rng)).reshape(-1, self.d)
        return rng.permutation(np.concatenate([kde, t]))

    def logpdf(self, x, chunk=500):
        from scipy.linalg import solve_triangular

        out = []
        for i in range(0, len(x), chunk):
            diff = x[i:i + chunk, None, :] - self.centres[None, :, :]          # (m, k, d)
            z = solve_triangular(self.chol, diff.reshape(-1, self.d).T, lower=True)
            q = np.sum(z**2, axis=0).reshape(diff.shape[:2])
            out.append(logsumexp(-0.5 * q, axis=1) - np.log(len(self.centres))
                       - 0.5 * self.log_det - 0.5 * self.d * np.log(2 * np.pi))
        log_kde = np.concatenate(out)
        return np.logaddexp(np.log(self.f) + log_kde, np.log1p(-self.f) + self.t.logpdf(x))


def log_evidence(like, samples, rng, *, n_draws=6000, df=4.0, inflate=1.5, n_kernels=800,
                 kde_fraction=0.5, chunk=1000):
    """Importance-sampling estimate of ln Z for a `JeansLikelihood` and its posterior samples.

    Parameters
    ----------
    like : JeansLikelihood
        Its ``__call__`` (log prior + log likelihood) plus ``log_prior_norm`` is the log of the
        normalised integrand.
    samples : ndarray (n, ndim)
        Posterior samples (e.g. the flattened emcee chain after burn-in).
    rng : `~numpy.random.Generator`
    n_draws : int
        Number of proposal draws.
    df, inflate : float
        Degrees of freedom of the Student-t part of the proposal and the factor applied to the
        posterior standard deviations there.
    n_kernels : int
        Posterior samples used as kernel centres.
    kde_fraction : float
        Weight of the kernel density estimate in the proposal.
    chunk : int
        Draws evaluated per (vectorised) likelihood call.

    Returns
    -------
    info : dict
        ``log_evidence``, ``log_evidence_err`` (standard error from the weights' scatter),
        ``ess`` (effective number of draws, Kish), ``n_draws``.
    """
    samples = np.atleast_2d(samples)
    y = _to_unbounded(like, samples)
    proposal = _Proposal(y, rng, df=df, inflate=inflate, n_kernels=n_kernels,
                         kde_fraction=kde_fraction)
    draws = proposal.rvs(int(n_draws), rng)
    theta, log_jac = _from_unbounded(like, draws)
    log_target = np.concatenate([like(theta[i:i + chunk]) for i in range(0, len(theta), chunk)])
    log_w = log_target + like.log_prior_norm + log_jac - proposal.logpdf(draws)
    log_w = np.where(np.isfinite(log_w), log_w, -np.inf)
    n = len(log_w)
    log_z = float(logsumexp(log_w) - np.log(n))
    w = np.exp(log_w - log_w.max())
    ess = float(w.sum() ** 2 / np.sum(w**2))
    # relative standard error of the mean weight = standard error of ln Z
    rel = float(np.std(w) / (np.sqrt(n) * np.mean(w)))
    return {"log_evidence": log_z, "log_evidence_err": rel, "ess": ess, "n_draws": n}
