"""`compare`: the neural and the classical slope posteriors of one galaxy, side by side.

Observers trust spherical Jeans modelling and will believe the network only next to it.
`compare` runs `dmprofile.infer_slope` (the mixture-density network) and
`dmprofile.classical.jeans_analysis` (emcee) on the same star catalogue with the same galaxy
parameters and returns a `Comparison`: both `~dmprofile.results.SlopePosterior` objects, the raw
results, a summary table (mode, 68% highest-density interval, width, mean, std, wall time) and a
figure with both posteriors overlaid.
"""

import time
import types

import numpy as np
from astropy import units as u
from astropy.table import QTable

from ._utils import require
from ._version import __version__

__all__ = ["compare", "Comparison", "METHODS"]

#: The methods `compare` knows, in display order.
METHODS = ("network", "jeans")

_LABELS = {"network": "network (MDCNN)", "jeans": "Jeans (emcee)"}
_COLORS = {"network": "C0", "jeans": "C3"}
#: Galaxy parameters shared by both methods.
_GALAXY_KEYS = ("center", "distance", "ellipticity", "position_angle", "r_half", "v_sys",
                "member_threshold")


def _meta_get(meta, key):
    """``meta[key]``, also under the upper-case key of a FITS header; None if absent."""
    for k in (key, key.upper()):
        if k in meta:
            return meta[k]
    return None


def _check_methods(methods):
    if isinstance(methods, str):
        methods = (methods,)
    methods = tuple(str(m).lower() for m in methods)
    unknown = [m for m in methods if m not in METHODS]
    if not methods or unknown or len(set(methods)) != len(methods):
        msg = (f"argument 'methods' must be a non-empty sequence of distinct methods out of "
               f"{METHODS}, got {methods!r}")
        raise ValueError(msg)
    return methods


def _check_kwargs(kwargs, name, forbidden):
    kwargs = dict(kwargs or {})
    clash = sorted(set(kwargs) & set(forbidden))
    if clash:
        msg = (f"argument {name!r} must not contain {clash}: pass them to compare() directly, "
               f"they are shared by both methods")
        raise TypeError(msg)
    return kwargs


def compare(table, *, methods=METHODS, model="default", seed=None, jeans_kwargs=None,
            network_kwargs=None, **galaxy_parameters):
    """Infer the inner dark-matter slope of one galaxy with the network and a Jeans analysis.

    Both methods see the same star catalogue and the same galaxy parameters and return the same
    `~dmprofile.results.SlopePosterior` of gamma_150 (d ln rho / d ln r at 150 pc), so their
    modes, 68% highest-density intervals and widths compare directly.

    Parameters
    ----------
    table : `~astropy.table.Table` or `~astropy.table.QTable`
        Star catalogue: ``x``, ``y`` [length] or ``ra``, ``dec`` [angle], ``v_los`` [speed],
        optional ``v_err`` [speed] and ``p_member``; galaxy parameters in ``table.meta``
        (as written by `dmprofile.datasets.walker2009` or `dmprofile.observe.observe`).
    methods : sequence of {"network", "jeans"}
        The methods to run, in this order.
    model : str, `~pathlib.Path` or `~dmprofile.nets.SlopeModel`
        The network: ``"default"`` (bundled), a model directory or a loaded model.
    seed : int, `~numpy.random.SeedSequence` or `~numpy.random.Generator`, optional
        Seeds both methods (each gets its own integer seed drawn from it, recorded in ``meta``);
        a ``seed`` in ``network_kwargs`` or ``jeans_kwargs`` takes precedence.
    jeans_kwargs : dict, optional
        Keyword arguments of `dmprofile.classical.jeans_analysis` (``halo``, ``anisotropy``,
        ``nwalkers``, ``nsteps``, ``tracer``, ``progress``, ``priors``...).
    network_kwargs : dict, optional
        Keyword arguments of `dmprofile.infer_slope` (``n_passes``).
    **galaxy_parameters
        ``center``, ``distance``, ``ellipticity``, ``position_angle``, ``r_half``, ``v_sys`` and
        ``member_threshold``, given to both methods (keywords override ``table.meta``).

    Returns
    -------
    `Comparison`

    Raises
    ------
    ValueError
        For an unknown method.
    TypeError
        For an unknown galaxy parameter, or galaxy parameters inside ``jeans_kwargs`` or
        ``network_kwargs``.

    Notes
    -----
    The wall time of the network excludes loading the model from disk (recorded separately as
    ``meta["model_load_time"]``): loaded models are cached, so that is a one-off cost.

    Examples
    --------
    >>> import dmprofile
    >>> from dmprofile.datasets import walker2009
    >>> cmp = dmprofile.compare(walker2009("fornax"), seed=1,
    ...                         jeans_kwargs={"tracer": "r_half"})  # doctest: +SKIP
    >>> print(cmp.to_table())  # doctest: +SKIP
    >>> cmp.plot()  # doctest: +SKIP
    """
    methods = _check_methods(methods)
    unknown = sorted(set(galaxy_parameters) - set(_GALAXY_KEYS))
    if unknown:
        msg = (f"unexpected keyword argument(s) {unknown}; galaxy parameters are "
               f"{list(_GALAXY_KEYS)}")
        raise TypeError(msg)
    jeans_kwargs = _check_kwargs(jeans_kwargs, "jeans_kwargs", _GALAXY_KEYS)
    network_kwargs = _check_kwargs(network_kwargs, "network_kwargs", (*_GALAXY_KEYS, "model"))

    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    rng = np.random.default_rng(seed)
    child = dict(zip(METHODS, (int(s) for s in rng.integers(0, 2**32 - 1, size=len(METHODS)))))
    meta = {"dmprofile_version": __version__, "methods": list(methods),
            "seed": seed if isinstance(seed, (int, np.integer)) else repr(seed),
            "galaxy": _meta_get(table.meta, "galaxy"),
            "galaxy_parameters": dict(galaxy_parameters)}

    results, posteriors, wall = {}, {}, {}
    for method in methods:
        if method == "network":
            from ._infer import infer_slope
            from .nets._io import get_model

            t0 = time.perf_counter()
            slope_model = get_model(model)
            meta["model_load_time"] = time.perf_counter() - t0
            kwargs = {"seed": child["network"], **network_kwargs}
            t0 = time.perf_counter()
            result = infer_slope(table, model=slope_model, **kwargs, **galaxy_parameters)
            wall[method] = time.perf_counter() - t0
            posterior = result
        else:
            from .classical import jeans_analysis

            kwargs = {"seed": child["jeans"], **jeans_kwargs}
            t0 = time.perf_counter()
            result = jeans_analysis(table, **kwargs, **galaxy_parameters)
            wall[method] = time.perf_counter() - t0
            posterior = result.slope
        meta[f"{method}_seed"] = kwargs["seed"]
        results[method], posteriors[method] = result, posterior
    return Comparison(posteriors, results, wall, meta)


class Comparison:
    """The slope posteriors of one galaxy from several methods, returned by `compare`.

    Attributes
    ----------
    methods : tuple of str
        The methods run, in order.
    posteriors : mapping
        ``{method: SlopePosterior}`` (read-only).
    results : mapping
        ``{method: raw result}``: the `~dmprofile.results.SlopePosterior` of
        `dmprofile.infer_slope` for ``"network"``, the `~dmprofile.classical.JeansResult` for
        ``"jeans"`` (read-only).
    wall_times : mapping
        ``{method: seconds}`` (read-only).
    meta : dict
        Provenance: dmprofile version, seeds (top-level and per method), galaxy parameters given,
        model load time.
    """

    def __init__(self, posteriors, results, wall_times, meta):
        self._posteriors = types.MappingProxyType(dict(posteriors))
        self._results = types.MappingProxyType(dict(results))
        self._wall = types.MappingProxyType({k: float(v) for k, v in wall_times.items()})
        self._meta = dict(meta)

    methods = property(lambda self: tuple(self._posteriors))
    posteriors = property(lambda self: self._posteriors,
                          doc="``{method: SlopePosterior}`` (read-only mapping).")
    results = property(lambda self: self._results,
                       doc="``{method: raw result}`` (read-only mapping).")
    wall_times = property(lambda self: self._wall,
                          doc="``{method: wall time in seconds}`` (read-only mapping).")

    @property
    def meta(self):
        """dict: provenance (a copy)."""
        return dict(self._meta)

    def __getitem__(self, method):
        return self._posteriors[method]

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
        """One line per method: its posterior summary and wall time."""
        width = max(len(m) for m in self._posteriors)
        return "\n".join(f"{m:<{width}}  {p.summary(level, digits)}; {self._wall[m]:.2f} s"
                         for m, p in self._posteriors.items())

    def __repr__(self):
        n = {int(p.meta.get("n_stars", -1)) for p in self._posteriors.values()}
        stars = f" on {n.pop()} stars" if len(n) == 1 else ""
        galaxy = self._meta.get("galaxy")
        head = f"Comparison of {len(self._posteriors)} method(s)"
        head += f" for {galaxy}" if galaxy else ""
        lines = self.summary().splitlines()
        return f"<{head}{stars}:\n  " + "\n  ".join(lines) + ">"

    def plot(self, ax=None, *, level=0.68, legend=True):
        """Overlay the posteriors: the network with its epistemic band, each with its HDI.

        Parameters
        ----------
        ax : `matplotlib.axes.Axes`, optional
            Axes to draw on (default: the current axes).
        level : float
            Level of the shaded highest-density intervals.
        legend : bool
            Draw a legend (one entry per method, plus the network's epistemic band).

        Returns
        -------
        `matplotlib.axes.Axes`
        """
        if ax is None:
            ax = require("matplotlib.pyplot", "plot").gca()
        top = 0.0
        for method, post in self._posteriors.items():
            post.plot(ax=ax, level=level, label=_LABELS[method], color=_COLORS[method],
                      legend=False)
            upper = post.pdf if post.pdf_std is None else post.pdf + post.pdf_std
            top = max(top, float(np.max(upper)))
        ax.set_ylim(0, 1.05 * top)  # each SlopePosterior.plot fixes the limits to its own pdf
        if legend:
            keep = {_LABELS[m] for m in self._posteriors}
            keep.add(f"{_LABELS['network']} epistemic band")
            handles, labels = ax.get_legend_handles_labels()
            pairs = [(h, lab) for h, lab in zip(handles, labels) if lab in keep]
            if pairs:
                ax.legend(*zip(*pairs), fontsize="small", frameon=False)
        return ax
