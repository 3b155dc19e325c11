"""Posterior bands of the density and enclosed-mass profiles."""

import numpy as np
from astropy.table import QTable

from .._utils import DENSITY, LENGTH, MASS, as_value

__all__ = ["DensityProfileBand"]

_LEVELS = (16, 50, 84)


class DensityProfileBand:
    """Percentiles of rho(r) and M(<r) over posterior samples of a halo.

    Parameters
    ----------
    r : `~astropy.units.Quantity` [length]
        Radius grid (1-D, increasing).
    density, mass : `~astropy.units.Quantity` [mass density], [mass]
        Arrays of shape ``(3, len(r))``: the 16th, 50th and 84th percentiles.
    meta : dict, optional
        Provenance (method, halo family, number of samples...).

    Examples
    --------
    >>> import numpy as np, astropy.units as u
    >>> from dmprofile.classical import DensityProfileBand
    >>> r = np.geomspace(0.01, 1, 5) * u.kpc
    >>> samples = np.array([1e8, 2e8, 3e8])[:, None] * (r.value / 0.1) ** -1
    >>> band = DensityProfileBand.from_samples(r, samples * u.Msun / u.kpc**3,
    ...                                        samples * r.value**3 * u.Msun)
    >>> band.density_at(0.1 * u.kpc).round(-6)
    <Quantity [1.32e+08, 2.00e+08, 2.68e+08] solMass / kpc3>
    """

    def __init__(self, r, density, mass, *, meta=None):
        self._r = as_value(r, LENGTH, "r", positive=True, allow_zero=False)
        self._rho = as_value(density, DENSITY, "density")
        self._mass = as_value(mass, MASS, "mass")
        if self._r.ndim != 1 or np.any(np.diff(self._r) <= 0):
            msg = "argument 'r' must be a 1-D increasing radius grid"
            raise ValueError(msg)
        shape = (3, self._r.size)
        if self._rho.shape != shape or self._mass.shape != shape:
            msg = (f"'density' and 'mass' must have shape {shape} (16/50/84th percentiles), got "
                   f"{self._rho.shape} and {self._mass.shape}")
            raise ValueError(msg)
        self._meta = dict(meta or {})

    @classmethod
    def from_samples(cls, r, density, mass, *, meta=None):
        """Band from per-sample profiles of shape ``(n_samples, len(r))``.

        Parameters
        ----------
        r : `~astropy.units.Quantity` [length]
        density : `~astropy.units.Quantity` [mass density]
        mass : `~astropy.units.Quantity` [mass]
        meta : dict, optional
        """
        rho = as_value(density, DENSITY, "density")
        m = as_value(mass, MASS, "mass")
        meta = {**(meta or {}), "n_samples": int(np.shape(rho)[0])}
        return cls(r, np.percentile(rho, _LEVELS, axis=0) * DENSITY,
                   np.percentile(m, _LEVELS, axis=0) * MASS, meta=meta)

    @property
    def r(self):
        """`~astropy.units.Quantity` [length]: the radius grid."""
        return self._r * LENGTH

    @property
    def density(self):
        """`~astropy.units.Quantity` (3, n): 16/50/84th percentiles of rho(r)."""
        return self._rho * DENSITY

    @property
    def mass(self):
        """`~astropy.units.Quantity` (3, n): 16/50/84th percentiles of M(<r)."""
        return self._mass * MASS

    @property
    def meta(self):
        """dict: provenance (a copy)."""
        return dict(self._meta)

    def _at(self, table, r):
        rv = as_value(r, LENGTH, "r", scalar=True, positive=True, allow_zero=False)
        if not self._r[0] <= rv <= self._r[-1]:
            msg = f"argument 'r' = {rv:g} kpc lies outside the band's grid"
            raise ValueError(msg)
        return np.exp([np.interp(np.log(rv), np.log(self._r), np.log(row)) for row in table])

    def density_at(self, r):
        """16/50/84th percentiles of rho at radius ``r`` (log-log interpolation)."""
        return self._at(self._rho, r) * DENSITY

    def mass_at(self, r):
        """16/50/84th percentiles of M(<r) at radius ``r`` (log-log interpolation)."""
        return self._at(self._mass, r) * MASS

    def __repr__(self):
        i = int(np.argmin(np.abs(np.log(self._r / 0.15))))
        rho = self._rho[:, i]
        return (f"<DensityProfileBand: {self._r.size} radii "
                f"{self._r[0]:.3g}-{self._r[-1]:.3g} kpc; "
                f"rho({self._r[i]:.3g} kpc) = {rho[1]:.3g} (+{rho[2] - rho[1]:.2g} / "
                f"-{rho[1] - rho[0]:.2g}) Msun/kpc3>")

    def to_table(self):
        """A `~astropy.table.QTable` with columns ``r``, ``rho_16``, ``rho_50``, ``rho_84``,
        ``mass_16``, ``mass_50``, ``mass_84``."""
        cols = {"r": self.r}
        for k, lev in enumerate(_LEVELS):
            cols[f"rho_{lev}"] = self._rho[k] * DENSITY
        for k, lev in enumerate(_LEVELS):
            cols[f"mass_{lev}"] = self._mass[k] * MASS
        return QTable(cols, meta=self.meta)

    def plot(self, ax=None, *, quantity="density", color="C0", label=None, **kwargs):
        """Plot the median and the 68% band of rho(r) or M(<r) on log-log axes.

        Parameters
        ----------
        ax : `matplotlib.axes.Axes`, optional
        quantity : {"density", "mass"}
        color, label : matplotlib styling; extra ``kwargs`` go to ``ax.plot``.

        Returns
        -------
        ax : `matplotlib.axes.Axes`
        """
        from .._utils import require

        plt = require("matplotlib.pyplot", "plot")
        if quantity not in ("density", "mass"):
            msg = f"argument 'quantity' must be 'density' or 'mass', got {quantity!r}"
            raise ValueError(msg)
        if ax is None:
            _, ax = plt.subplots()
        y = self._rho if quantity == "density" else self._mass
        ax.fill_between(self._r, y[0], y[2], color=color, alpha=0.3, lw=0)
        ax.plot(self._r, y[1], color=color, label=label, **kwargs)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("r [kpc]")
        ax.set_ylabel(r"$\rho$ [M$_\odot$ kpc$^{-3}$]" if quantity == "density"
                      else r"M(<r) [M$_\odot$]")
        return ax

