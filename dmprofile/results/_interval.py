"""Building blocks of the slope posterior: its grid, `HDInterval`, axis label, reference lines."""

import numpy as np

from .._version import __version__

__all__ = ["HDInterval", "default_grid", "XLABEL", "REFERENCES", "plot_title"]

#: Axis label of gamma_150 in plots.
XLABEL = r"$\mathrm{d}\ln\rho\,/\,\mathrm{d}\ln r$ at 150 pc"


def default_grid(n=601, low=-3.0, high=1.0):
    """Return the default grid of ``gamma_150`` values: ``n`` points over [``low``, ``high``].

    The default spacing is 0.00667, well below the typical posterior width (~0.1).

    Parameters
    ----------
    n : int
        Number of grid points.
    low, high : float
        The ends of the grid.

    Returns
    -------
    ndarray
        The grid, shape (n,).
    """
    return np.linspace(low, high, int(n))


class HDInterval(tuple):
    """A credible interval ``(low, high)`` around a centre (the mode).

    It unpacks as a 2-tuple; ``str()`` gives ``"-0.38 +0.21/-0.28"``.

    Parameters
    ----------
    low, high : float
        The ends of the interval.
    center : float
        The centre the errors are measured from (the mode).
    level : float
        The probability the interval holds.

    Attributes
    ----------
    low, high, center, level : float
        As given.
    plus, minus : float
        ``high - center`` and ``center - low``.
    """

    def __new__(cls, low, high, *, center, level):
        self = super().__new__(cls, (float(low), float(high)))
        self.center, self.level = float(center), float(level)
        return self

    def __getnewargs_ex__(self):
        return (self[0], self[1]), {"center": self.center, "level": self.level}

    @property
    def low(self):
        """The lower end of the interval."""
        return self[0]

    @property
    def high(self):
        """The upper end of the interval."""
        return self[1]

    @property
    def plus(self):
        """The upper error, ``high - center``."""
        return self[1] - self.center

    @property
    def minus(self):
        """The lower error, ``center - low``."""
        return self.center - self[0]

    def __repr__(self):
        return (f"HDInterval(low={self.low:.4g}, high={self.high:.4g}, center={self.center:.4g}, "
                f"level={self.level:g})")

    def __str__(self):
        return self.format()

    def format(self, digits=2):
        """Format the interval as ``"center +plus/-minus"``.

        Parameters
        ----------
        digits : int
            Number of decimals.

        Returns
        -------
        str
            The formatted interval.
        """
        return f"{self.center:.{digits}f} +{self.plus:.{digits}f}/-{self.minus:.{digits}f}"


def _meta(meta, **defaults):
    out = dict(defaults)
    out.update(dict(meta or {}))
    out.setdefault("dmprofile_version", __version__)
    return out


#: gamma_150 of a core and of an NFW cusp, the reference lines of every slope plot.
REFERENCES = ((0.0, "core (0)"), (-1.0, "NFW cusp (-1)"))


def _plot_references(ax, grid):
    """Grey reference lines at a core and an NFW cusp, drawn once per axes."""
    drawn = {line.get_gid() for line in ax.get_lines()}
    for value, text in REFERENCES:
        gid = f"dmprofile-reference-{value:g}"
        if gid in drawn or not grid[0] <= value <= grid[-1]:
            continue
        ax.axvline(value, color="0.35", ls="-.", lw=0.8, alpha=0.8, gid=gid, label=text,
                   zorder=0.5)


def plot_title(galaxy=None):
    """Return the title of a slope plot: the galaxy name (when known) and the quantity."""
    what = "dark-matter log-slope at 150 pc"
    return f"{galaxy}: {what}" if galaxy else what
