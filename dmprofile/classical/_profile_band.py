"""Posterior bands of the density and enclosed-mass profiles of a Jeans analysis.

`DensityProfileBand` is a pair of `~dmprofile.results.MassProfile` objects on one radius grid
(``density_profile`` and ``mass_profile``), with the 16/50/84th-percentile interface that
`JeansResult.profile` has always had.
"""

import numpy as np
from astropy.table import QTable

from .._utils import DENSITY, LENGTH, MASS, as_value, require
from ..profiles import R_REF
from ..results import MassProfile

__all__ = ["DensityProfileBand"]

_LEVELS = (16, 50, 84)


def _check(r, density, mass):
    """Plain arrays of ``r`` [kpc], ``density`` [Msun/kpc3] and ``mass`` [Msun], checked."""
    rv = as_value(r, LENGTH, "r", positive=True, allow_zero=False)
    rho = as_value(density, DENSITY, "density")
    m = as_value(mass, MASS, "mass")
    if rv.ndim != 1 or np.any(np.diff(rv) <= 0):
        msg = "argument 'r' must be a 1-D increasing radius grid"
        raise ValueError(msg)
    return rv, rho, m


def _percentiles(profile):
    """Return the 16th, 50th and 84th percentiles of a `MassProfile`, shape (3, n_radii)."""
    low, high = profile.interval(0.68)
    return np.stack([low, profile.median, high])


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

    Notes
    -----
    The band is built on two `~dmprofile.results.MassProfile` objects sharing the radius grid,
    `density_profile` (``quantity="density"``) and `mass_profile` (``quantity="enclosed_mass"``):
    use them to tabulate, write or overlay the Jeans profile with that of another method, e.g.
    ``band.mass_profile.plot(ax)``. Built by `from_samples` they also hold the 95% bands and the
    samples.

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
    >>> band.mass_profile.quantity, band.mass_profile.levels
    ('enclosed_mass', (0.68, 0.95))
    """

    def __init__(self, r, density, mass, *, meta=None):
        rv, rho, m = _check(r, density, mass)
        shape = (3, rv.size)
        if rho.shape != shape or m.shape != shape:
            msg = (f"'density' and 'mass' must have shape {shape} (16/50/84th percentiles), got "
                   f"{rho.shape} and {m.shape}")
            raise ValueError(msg)
        self._meta = dict(meta or {})
        self._density = MassProfile(rv * LENGTH, rho[1] * DENSITY, lower_68=rho[0] * DENSITY,
                                    upper_68=rho[2] * DENSITY, quantity="density",
                                    meta=self._meta)
        self._mass = MassProfile(rv * LENGTH, m[1] * MASS, lower_68=m[0] * MASS,
                                 upper_68=m[2] * MASS, quantity="enclosed_mass", meta=self._meta)

    @classmethod
    def from_samples(cls, r, density, mass, *, meta=None):
        """Band from per-sample profiles of shape ``(n_samples, len(r))``.

        The two `~dmprofile.results.MassProfile` objects keep the samples and also hold the 95%
        bands (2.5th and 97.5th percentiles).

        Parameters
        ----------
        r : `~astropy.units.Quantity` [length]
        density : `~astropy.units.Quantity` [mass density]
        mass : `~astropy.units.Quantity` [mass]
        meta : dict, optional
        """
        rv, rho, m = _check(r, density, mass)
        if rho.ndim != 2 or m.ndim != 2 or rho.shape[1:] != rv.shape or m.shape != rho.shape:
            msg = (f"'density' and 'mass' must have shape (n_samples, {rv.size}), got "
                   f"{rho.shape} and {m.shape}")
            raise ValueError(msg)
        self = cls.__new__(cls)
        self._meta = {**(meta or {}), "n_samples": int(rho.shape[0])}
        self._density = MassProfile.from_samples(rv * LENGTH, rho * DENSITY, quantity="density",
                                                 meta=self._meta)
        self._mass = MassProfile.from_samples(rv * LENGTH, m * MASS, quantity="enclosed_mass",
                                              meta=self._meta)
        return self

    @property
    def density_profile(self):
        """`~dmprofile.results.MassProfile`: rho(r) (``quantity="density"``)."""
        return self._density

    @property
    def mass_profile(self):
        """`~dmprofile.results.MassProfile`: M(<r) (``quantity="enclosed_mass"``)."""
        return self._mass

    @property
    def r(self):
        """`~astropy.units.Quantity` [length]: the radius grid."""
        return self._density.radius

    @property
    def density(self):
        """`~astropy.units.Quantity` (3, n): 16/50/84th percentiles of rho(r)."""
        return _percentiles(self._density)

    @property
    def mass(self):
        """`~astropy.units.Quantity` (3, n): 16/50/84th percentiles of M(<r)."""
        return _percentiles(self._mass)

    @property
    def meta(self):
        """dict: provenance (a copy)."""
        return dict(self._meta)

    def _at(self, profile, r):
        rv = as_value(r, LENGTH, "r", scalar=True, positive=True, allow_zero=False)
        grid = self._density.radius.to_value(LENGTH)
        if not grid[0] <= rv <= grid[-1]:
            msg = f"argument 'r' = {rv:g} kpc lies outside the band's grid"
            raise ValueError(msg)
        return _percentiles(profile.at(rv * LENGTH))[:, 0]

    def density_at(self, r):
        """Return the 16/50/84th percentiles of rho at radius ``r`` (log-log interpolation).

        Parameters
        ----------
        r : `~astropy.units.Quantity` [length]
            A radius inside the band's grid.

        Returns
        -------
        ndarray
            The three percentiles, in Msun / kpc3.
        """
        return self._at(self._density, r)

    def mass_at(self, r):
        """Return the 16/50/84th percentiles of M(<r) at radius ``r`` (log-log interpolation).

        Parameters
        ----------
        r : `~astropy.units.Quantity` [length]
            A radius inside the band's grid.

        Returns
        -------
        ndarray
            The three percentiles, in Msun.
        """
        return self._at(self._mass, r)

    def __repr__(self):
        r = self.r.to_value(LENGTH)
        i = int(np.argmin(np.abs(np.log(r / R_REF.to_value(LENGTH)))))
        rho = self.density.to_value(DENSITY)[:, i]
        return (f"<DensityProfileBand: {r.size} radii "
                f"{r[0]:.3g}-{r[-1]:.3g} kpc; "
                f"rho({r[i]:.3g} kpc) = {rho[1]:.3g} (+{rho[2] - rho[1]:.2g} / "
                f"-{rho[1] - rho[0]:.2g}) Msun/kpc3>")

    def to_table(self):
        """Return the band as a `~astropy.table.QTable`.

        Returns
        -------
        `~astropy.table.QTable`
            Columns ``r``, ``rho_16``, ``rho_50``, ``rho_84``, ``mass_16``, ``mass_50``,
            ``mass_84``; the band's ``meta``.
        """
        cols = {"r": self.r}
        for name, values in (("rho", self.density), ("mass", self.mass)):
            for k, lev in enumerate(_LEVELS):
                cols[f"{name}_{lev}"] = values[k]
        return QTable(cols, meta=self.meta)

    def plot(self, ax=None, *, quantity="density", color="C0", label=None, **kwargs):
        """Plot the median and the 68% band of rho(r) or M(<r) on log-log axes.

        Parameters
        ----------
        ax : `matplotlib.axes.Axes`, optional
            The axes to draw on (default: a new figure).
        quantity : {"density", "mass"}
            The profile to draw.
        color : str
            Colour of the median line and of the band.
        label : str, optional
            Legend label of the median line.
        **kwargs
            Passed on to ``ax.plot``.

        Returns
        -------
        `matplotlib.axes.Axes`
            The axes drawn on.
        """
        plt = require("matplotlib.pyplot", "plot")
        if quantity not in ("density", "mass"):
            msg = f"argument 'quantity' must be 'density' or 'mass', got {quantity!r}"
            raise ValueError(msg)
        if ax is None:
            _, ax = plt.subplots()
        profile = self._density if quantity == "density" else self._mass
        profile.plot(ax, level=0.68, color=color, label=label, logy=True, **kwargs)
        ax.set_xlabel("r [kpc]")
        ax.set_ylabel(r"$\rho$ [M$_\odot$ kpc$^{-3}$]" if quantity == "density"
                      else r"M(<r) [M$_\odot$]")
        return ax
