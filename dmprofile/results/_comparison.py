"""`Comparison`: the slope posteriors of one galaxy from several methods, side by side.

`dmprofile.compare` runs the mixture-density network and the Jeans analysis on the same star
catalogue and returns a `Comparison`; one can also be built directly from posteriors.
"""

import math
import types

import numpy as np
from astropy import units as u
from astropy.table import QTable

from .._utils import require
from ._interval import REFERENCES, plot_title

__all__ = ["Comparison", "MethodResults"]

#: Legend labels and colours of the methods `dmprofile.compare` knows; other methods are
#: labelled by their name and coloured from the matplotlib cycle.
_LABELS = {"network": "network (MDCNN)", "jeans": "Jeans (emcee)"}
_COLORS = {"network": "C0", "jeans": "C3"}


def _label(method):
    return _LABELS.get(method, method)


class MethodResults:
    """What every side-by-side result holds: one item per method, raw results, wall times, meta.

    The base of `Comparison` (slope posteriors) and `MassComparison` (mass profiles).

    Parameters
    ----------
    items : mapping
        ``{method: result object}``, in display order.
    results : mapping, optional
        ``{method: raw result}`` (default: the items themselves).
    wall_times : mapping, optional
        ``{method: seconds}`` (default: NaN, unknown).
    meta : dict, optional
        Provenance.
    """

    def __init__(self, items, results=None, wall_times=None, meta=None):
        items = dict(items)
        results = items if results is None else dict(results)
        wall_times = {} if wall_times is None else dict(wall_times)
        self._items = types.MappingProxyType(items)
        self._results = types.MappingProxyType(dict(results))
        self._wall = types.MappingProxyType({k: float(wall_times.get(k, math.nan))
                                             for k in items})
        self._meta = dict(meta or {})

    @property
    def methods(self):
        """The names of the compared methods, in order (tuple of str)."""
        return tuple(self._items)

    @property
    def results(self):
        """``{method: raw result}`` (read-only mapping)."""
        return self._results

    @property
    def wall_times(self):
        """``{method: wall time in seconds}`` (read-only mapping)."""
        return self._wall

    @property
    def meta(self):
        """dict: provenance (a copy)."""
        return dict(self._meta)

    def __getitem__(self, method):
        return self._items[method]


class Comparison(MethodResults):
    """The slope posteriors of one galaxy from several methods, returned by `dmprofile.compare`.

    Parameters
    ----------
    posteriors : mapping
        ``{method: SlopePosterior}``, in display order.
    results : mapping, optional
        ``{method: raw result}`` (default: the posteriors themselves).
    wall_times : mapping, optional
        ``{method: seconds}`` (default: NaN, unknown).
    meta : dict, optional
        Provenance.

    Notes
    -----
    ``posteriors`` maps each method to its `~dmprofile.results.SlopePosterior`; ``results``
    holds the raw results (the posterior of `dmprofile.infer_slope` for ``"network"``, the
    `~dmprofile.classical.JeansResult` for ``"jeans"``); ``methods``, ``wall_times`` (seconds)
    and ``meta`` (dmprofile version, seeds, galaxy parameters given, model load time) complete
    it. All are read-only.

    Examples
    --------
    >>> import numpy as np
    >>> from dmprofile.results import Comparison, SlopePosterior, default_grid
    >>> grid = default_grid()
    >>> cmp = Comparison({"network": SlopePosterior(grid, np.exp(-0.5 * ((grid + 0.4) / 0.2) ** 2)),
    ...                   "jeans": SlopePosterior(grid, np.exp(-0.5 * ((grid + 0.5) / 0.3) ** 2))},
    ...                  wall_times={"network": 1.5, "jeans": 60.0})
    >>> cmp.methods
    ('network', 'jeans')
    >>> print(cmp.to_table()["method", "mode", "width"])
     method  mode  width
    ------- ------ -----
    network -0.400 0.398
      jeans -0.500 0.597
    """

    def __init__(self, posteriors, results=None, wall_times=None, meta=None):
        super().__init__(posteriors, results, wall_times, meta)
        self._posteriors = self._items

    @property
    def posteriors(self):
        """``{method: SlopePosterior}`` (read-only mapping)."""
        return self._posteriors

    def to_table(self, level=0.68):
        """One row per method: mode, ``level`` highest-density interval, mean, std, wall time.

        Parameters
        ----------
        level : float
            Probability held by the interval (default 0.68, as in Table 1 of
            Expósito-Márquez et al. 2022).

        Returns
        -------
        `~astropy.table.QTable`
            Columns ``method``, ``mode``, ``low``, ``high`` (interval bounds), ``plus``
            (``high - mode``), ``minus`` (``mode - low``), ``width`` (``high - low``), ``mean``,
            ``std``, ``secondary_mode`` (NaN when unimodal), ``n_stars`` and ``wall_time`` [s].
            ``meta`` holds the provenance and ``level``.
        """
        rows = []
        for method, post in self._posteriors.items():
            hdi = post.interval(level)
            second = post.secondary_mode
            rows.append((method, post.mode, hdi.low, hdi.high, hdi.plus, hdi.minus,
                         hdi.high - hdi.low, post.mean, post.std,
                         np.nan if second is None else second,
                         int(post.meta.get("n_stars", -1)), self._wall[method]))
        names = ("method", "mode", "low", "high", "plus", "minus", "width", "mean", "std",
                 "secondary_mode", "n_stars", "wall_time")
        columns = list(zip(*rows)) if rows else [[] for _ in names]
        table = QTable(columns, names=names, meta={**self._meta, "level": float(level)})
        table["wall_time"] = u.Quantity(np.asarray(table["wall_time"], dtype=float), u.s)
        for name in names[1:10]:
            table[name].info.format = ".3f"
        table["wall_time"].info.format = ".2f"
        return table

    def summary(self, level=0.68, digits=2):
        """Summarise the comparison, one line per method: its posterior summary and wall time.

        Parameters
        ----------
        level : float
            Probability of the highest-density intervals.
        digits : int
            Number of decimals.

        Returns
        -------
        str
            The summary.
        """
        width = max(len(m) for m in self._posteriors)
        return "\n".join(f"{m:<{width}}  {p.summary(level, digits)}{self._wall_text(m)}"
                         for m, p in self._posteriors.items())

    def _wall_text(self, method):
        wall = self._wall[method]
        return "" if math.isnan(wall) else f"; {wall:.2f} s"

    def __repr__(self):
        n = {int(p.meta.get("n_stars", -1)) for p in self._posteriors.values()}
        stars = f" on {n.pop()} stars" if len(n) == 1 else ""
        galaxy = self._meta.get("galaxy")
        head = f"Comparison of {len(self._posteriors)} method(s)"
        head += f" for {galaxy}" if galaxy else ""
        lines = self.summary().splitlines()
        return f"<{head}{stars}:\n  " + "\n  ".join(lines) + ">"

    def agreement(self, level=0.68):
        """Say whether the ``level`` highest-density intervals of the methods overlap.

        Parameters
        ----------
        level : float
            Probability held by the intervals.

        Returns
        -------
        str
            One sentence: whether all intervals share a common range (the methods agree at
            this level) or, if not, the gap between the two furthest apart.

        Examples
        --------
        >>> import numpy as np
        >>> from dmprofile.results import Comparison, SlopePosterior, default_grid
        >>> g = default_grid()
        >>> cmp = Comparison({"network": SlopePosterior(g, np.exp(-0.5 * ((g + 0.4) / 0.2) ** 2)),
        ...                   "jeans": SlopePosterior(g, np.exp(-0.5 * ((g + 0.5) / 0.3) ** 2))})
        >>> print(cmp.agreement())
        the 68% HDIs overlap on [-0.60, -0.20]: the methods agree
        """
        intervals = {m: p.interval(level) for m, p in self._posteriors.items()}
        if len(intervals) < 2:
            return "only one method: nothing to compare"
        low = max(i.low for i in intervals.values())
        high = min(i.high for i in intervals.values())
        if low <= high:
            return f"the {level:.0%} HDIs overlap on [{low:.2f}, {high:.2f}]: the methods agree"
        return (f"the {level:.0%} HDIs do not overlap (gap {low - high:.2f}): "
                "the methods disagree")

    def plot(self, ax=None, *, level=0.68, legend=True, note=True, title=None):
        """Overlay the posteriors: the network with its epistemic band, each with its HDI.

        Each method's curve is shaded under its ``level`` highest-density interval, in the
        colour of its curve; the grey band around the network's curve is its epistemic spread
        (Monte-Carlo dropout). The legend says so, grey dash-dotted lines mark a core (0) and
        an NFW cusp (-1), and a note (the legend's title) says whether the intervals overlap
        (`agreement`).

        Parameters
        ----------
        ax : `matplotlib.axes.Axes`, optional
            Axes to draw on (default: the current axes).
        level : float
            Level of the shaded highest-density intervals.
        legend : bool
            Draw a legend (one entry per method, its interval, the network's epistemic band
            and the reference lines).
        note : bool
            Write the `agreement` sentence (as the legend's title, or in the axes without a
            legend).
        title : str, optional
            Axes title (default: the galaxy of ``meta["galaxy"]``, when known, and what is
            plotted).

        Returns
        -------
        `matplotlib.axes.Axes`
        """
        if ax is None:
            ax = require("matplotlib.pyplot", "plot").gca()
        top = 0.0
        for k, (method, post) in enumerate(self._posteriors.items()):
            post.plot(ax=ax, level=level, label=_label(method),
                      color=_COLORS.get(method, f"C{k}"), legend=False, title="")
            upper = post.pdf if post.pdf_std is None else post.pdf + post.pdf_std
            top = max(top, float(np.max(upper)))
        ax.set_ylim(0, 1.25 * top)  # room for the note; each posterior fixes its own limits
        ax.set_title(plot_title(self._meta.get("galaxy")) if title is None else title)
        text = self.agreement(level) if note and len(self._posteriors) > 1 else None
        if legend:
            self._legend(ax, level, text)
        elif text:
            ax.text(0.02, 0.97, text, transform=ax.transAxes, va="top", ha="left",
                    fontsize="small")
        return ax

    def _legend(self, ax, level, note):
        keep = [_label(m) for m in self._posteriors]
        keep += [f"{_label(m)} {level:.0%} HDI" for m in self._posteriors]
        keep += [f"{_label(m)} epistemic band" for m in self._posteriors
                 if self._posteriors[m].pdf_std is not None]
        keep += [text for _, text in REFERENCES]
        handles, labels = ax.get_legend_handles_labels()
        found = dict(zip(labels, handles))
        pairs = [(found[lab], lab.replace(" HDI", " HDI (shaded)")) for lab in keep
                 if lab in found]
        if pairs:
            ax.legend(*zip(*pairs), fontsize="x-small", title=note, title_fontsize="small",
                      frameon=False, loc="upper left", alignment="left")
