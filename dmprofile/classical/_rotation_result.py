"""`RotationCurveFit`: the posterior of a rotation-curve decomposition and what follows from it."""

import numpy as np
from astropy import units as u
from astropy.table import QTable

from .._utils import G_KPC, VELOCITY, as_value, require
from .._version import __version__
from ..results import MassProfile
from ._rotation_models import halo_mass, signed_sqrt

__all__ = ["RotationCurveFit", "default_mass_radii"]


def default_mass_radii():
    """Return the 20 radii, log-spaced from 1 to 100 kpc, of the disc mass profiles.

    Returns
    -------
    `~astropy.units.Quantity` [length]
        ``numpy.geomspace(1, 100, 20)`` kpc, the radii at which the disc networks give the
        enclosed dark-matter mass.
    """
    return np.geomspace(1.0, 100.0, 20) * u.kpc


class RotationCurveFit:
    """Posterior of a rotation-curve fit (returned by `fit_rotation_curve`).

    Parameters
    ----------
    samples : `~astropy.table.QTable`
        Flat posterior samples, one column per parameter, with units.
    log_prob : ndarray
        Log posterior of each sample.
    convergence : dict
        ``tau`` (per parameter), ``tau_max``, ``acceptance_fraction``, ``nsteps``,
        ``nwalkers``, ``burn``, ``n_effective``, ``converged``.
    curve : `~astropy.table.QTable`
        The fitted curve.
    meta : dict
        Provenance: ``method``, ``halo``, ``priors``, ``seed``, ``H0``, ``galaxy``.
    """

    def __init__(self, *, samples, log_prob, convergence, curve, meta):
        self._samples = samples
        self._log_prob = np.asarray(log_prob, dtype=float)
        self._convergence = dict(convergence)
        self._curve = curve
        self._meta = {**meta, "dmprofile_version": __version__}
        self._post = None  # the posterior object of the fit (set by `_build`)

    @classmethod
    def _build(cls, post, flat, log_prob, conv, table, meta, units):
        samples = QTable()
        for k, name in enumerate(post.names):
            samples[name] = flat[:, k] * units[name]
        self = cls(samples=samples, log_prob=log_prob, convergence=conv, curve=QTable(table),
                   meta=meta)
        self._post = post
        return self

    # ------------------------------------------------------------------ attributes
    @property
    def parameter_names(self):
        """The fitted parameters, in order (tuple of str)."""
        return tuple(self._samples.colnames)

    @property
    def samples(self):
        """`~astropy.table.QTable`: the flat posterior samples (a copy)."""
        return self._samples.copy()

    @property
    def convergence(self):
        """dict: the emcee convergence report (autocorrelation times, acceptance...)."""
        return dict(self._convergence)

    @property
    def meta(self):
        """dict: provenance (a copy)."""
        return dict(self._meta)

    @property
    def curve(self):
        """`~astropy.table.QTable`: the fitted rotation curve."""
        return self._curve.copy()

    @property
    def median(self):
        """dict: the posterior median of each parameter (Quantity)."""
        return {name: np.median(self._samples[name]) for name in self.parameter_names}

    @property
    def best(self):
        """dict: the sample of highest posterior (Quantity per parameter)."""
        k = int(np.argmax(self._log_prob))
        return {name: self._samples[name][k] for name in self.parameter_names}

    def _params(self, values):
        theta = np.array([[values[n].to_value(self._samples[n].unit)
                           for n in self.parameter_names]])
        return self._post.unpack(theta, internal=False)

    @property
    def chi2(self):
        """float: chi^2 of the highest-posterior sample."""
        return float(self._post.chi2(self._params(self.best))[0][0])

    @property
    def dof(self):
        """int: degrees of freedom, number of radii minus number of parameters."""
        return len(self._curve) - len(self.parameter_names)

    @property
    def chi2_reduced(self):
        """float: `chi2` / `dof` (NaN when dof <= 0)."""
        return self.chi2 / self.dof if self.dof > 0 else float("nan")

    # ------------------------------------------------------------------ tables
    def to_table(self):
        """Return the summary: median and 16th/84th percentiles of each parameter.

        Returns
        -------
        `~astropy.table.QTable`
            Columns ``parameter``, ``median``, ``lower_68``, ``upper_68``, ``err_minus``,
            ``err_plus`` (plain numbers) and ``unit``; ``meta`` has ``chi2_reduced``,
            ``tau_max``, ``acceptance_fraction`` and the provenance.
        """
        rows = []
        for name in self.parameter_names:
            values = self._samples[name].value
            q = np.percentile(values, [50, 16, 84])
            rows.append((name, q[0], q[1], q[2], q[0] - q[1], q[2] - q[0],
                         str(self._samples[name].unit)))
        names = ("parameter", "median", "lower_68", "upper_68", "err_minus", "err_plus", "unit")
        table = QTable(rows=rows, names=names)
        table.meta.update(self.meta)
        table.meta.update({"chi2_reduced": self.chi2_reduced,
                           "tau_max": self._convergence["tau_max"],
                           "acceptance_fraction": self._convergence["acceptance_fraction"]})
        return table

    def components(self, params=None):
        """Return the model components at the curve's radii for one parameter set.

        Parameters
        ----------
        params : dict, optional
            Parameter values (Quantities); default: the posterior median.

        Returns
        -------
        `~astropy.table.QTable`
            ``radius`` (rescaled to the fitted distance) [kpc]; ``v_obs`` and ``v_err`` rescaled
            to the fitted inclination; ``v_halo``, ``v_baryon`` (signed), ``v_model`` [km/s].
        """
        p = self._params(self.median if params is None else params)
        post = self._post
        v_dm2, v_bar2 = post.model(p)
        s = post.scale_obs(p)[0]
        ratio = float(np.asarray(p["D"]).ravel()[0]) / (post.d0 if np.isfinite(post.d0) else 1)
        out = QTable()
        out["radius"] = post.r * ratio * u.kpc
        out["v_obs"] = post.v * s * VELOCITY
        out["v_err"] = post.e * s * VELOCITY
        out["v_halo"] = np.sqrt(v_dm2[0]) * VELOCITY
        out["v_baryon"] = signed_sqrt(v_bar2[0] * np.ones_like(post.r)) * VELOCITY
        out["v_model"] = signed_sqrt(v_dm2[0] + v_bar2[0]) * VELOCITY
        for name, v2 in (("v_gas", post.vg2), ("v_disk", p["Y_disk"] * post.vd2),
                         ("v_bul", p["Y_bul"] * post.vb2)):
            if np.any(np.asarray(v2) != 0):
                out[name] = signed_sqrt(np.ravel(v2 * ratio)) * VELOCITY
        return out

    def mass_profile(self, radii=None, *, max_samples=4000, seed=0):
        """Enclosed dark-matter mass against radius, with bands from the posterior samples.

        Parameters
        ----------
        radii : `~astropy.units.Quantity` [length], optional
            Strictly increasing radii (default: `default_mass_radii`, the 20 radii of the
            disc networks, 1-100 kpc).
        max_samples : int
            Use at most this many posterior samples (drawn without replacement).
        seed : int
            Seed of the draw of samples.

        Returns
        -------
        `~dmprofile.results.MassProfile`
            ``quantity="enclosed_mass"``, with the per-sample curves.
        """
        radii = default_mass_radii() if radii is None else radii
        r = np.atleast_1d(as_value(radii, u.kpc, "radii", positive=True))
        n = len(self._samples)
        rng = np.random.default_rng(seed)
        idx = np.sort(rng.choice(n, min(n, int(max_samples)), replace=False))
        theta = np.column_stack([self._samples[name].value[idx]
                                 for name in self.parameter_names])
        p = self._post.unpack(theta, internal=False)
        m = halo_mass(r, p["V200"], p["C200"], self._post.h0, self._post.halo, p.get("r_c"))
        meta = {k: v for k, v in self._meta.items() if k != "dmprofile_version"}
        return MassProfile.from_samples(radii, m * u.Msun, quantity="enclosed_mass", meta=meta)

    def velocity_profile(self, radii=None, *, max_samples=4000, seed=0):
        """Circular velocity of the dark halo against radius, with bands (see `mass_profile`).

        Parameters
        ----------
        radii : `~astropy.units.Quantity` [length], optional
            Strictly increasing radii (default: `default_mass_radii`).
        max_samples : int
            Use at most this many posterior samples.
        seed : int
            Seed of the draw of samples.

        Returns
        -------
        `~dmprofile.results.MassProfile`
            ``quantity="circular_velocity"``.
        """
        prof = self.mass_profile(radii, max_samples=max_samples, seed=seed)
        r = prof.radius.to_value(u.kpc)
        v = np.sqrt(G_KPC * prof.samples.to_value(u.Msun) / r) * VELOCITY
        return MassProfile.from_samples(prof.radius, v, quantity="circular_velocity",
                                        meta=prof.meta)

    # ------------------------------------------------------------------ text and plot
    def __repr__(self):
        med = ", ".join(f"{n}={np.median(self._samples[n].value):.3g}"
                        for n in self.parameter_names)
        name = self._meta.get("galaxy") or "curve"
        return (f"<RotationCurveFit {name} ({self._meta['halo']}, {self._meta['priors']} priors):"
                f" {med}; chi2_red={self.chi2_reduced:.2f}; {len(self._samples)} samples>")

    def plot(self, ax=None, *, color="k"):
        """Draw the data and the decomposition at the posterior median.

        Parameters
        ----------
        ax : `matplotlib.axes.Axes`, optional
            Axes to draw on (default: the current axes).
        color : color
            Of the data points and the total model.

        Returns
        -------
        `matplotlib.axes.Axes`
        """
        if ax is None:
            ax = require("matplotlib.pyplot", "plot").gca()
        t = self.components()
        r = t["radius"].to_value(u.kpc)
        ax.errorbar(r, t["v_obs"].value, t["v_err"].value, fmt="o", ms=3, color=color,
                    label="observed", zorder=3)
        ax.plot(r, t["v_model"].value, color=color, lw=2, label="total")
        ax.plot(r, t["v_halo"].value, "--", color="C0", label=f"halo ({self._meta['halo']})")
        for name, label, c in (("v_disk", "disc", "C1"), ("v_bul", "bulge", "C4"),
                               ("v_gas", "gas", "C2")):
            if name in t.colnames:
                ax.plot(r, t[name].value, ":", color=c, label=label)
        ax.set_xlabel("$R$ [kpc]")
        ax.set_ylabel("$v_\\mathrm{c}$ [km/s]")
        ax.legend(fontsize="small")
        if self._meta.get("galaxy"):
            ax.set_title(str(self._meta["galaxy"]))
        return ax
