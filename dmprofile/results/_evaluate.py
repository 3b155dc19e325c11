"""Evaluation of gridded 1-D posteriors against known truths.

`evaluate_posteriors` scores a set of posteriors of the dark-matter log-slope ``gamma_150`` against
the true slopes of simulated galaxies (``dmprofile evaluate slope`` and the Jeans benchmark).
"""

import json
import math

import numpy as np
from astropy.table import QTable

from .._utils import atomic_path, atomic_write_text, require
from ._gridpdf import LEVELS, _summaries

__all__ = ["evaluate_posteriors", "SlopeEvaluation"]

#: Tolerances of the "fraction within" accuracy metrics, as in Exposito-Marquez et al. (2022).
WITHIN = (0.1, 0.3)


# --------------------------------------------------------------------------- evaluation
def _as_batches(posteriors, n_truth):
    """Yield (indices, grid, pdfs) groups sharing a grid, from posterior objects or arrays."""
    if isinstance(posteriors, tuple) and len(posteriors) == 2 and np.ndim(posteriors[1]) == 2:
        grid, pdfs = posteriors
        yield np.arange(np.shape(pdfs)[0]), grid, pdfs
        return
    posteriors = list(posteriors)
    groups = {}
    for k, post in enumerate(posteriors):
        if not (hasattr(post, "grid") and hasattr(post, "pdf")):
            msg = ("posteriors must be a sequence of SlopePosterior or a tuple (grid, pdfs) with "
                   f"pdfs of shape (n, len(grid)); item {k} is a {type(post).__name__}")
            raise TypeError(msg)
        grid = np.asarray(post.grid, dtype=float)
        groups.setdefault(grid.tobytes(), (grid, []))[1].append(k)
    for grid, idx in groups.values():
        yield np.array(idx), grid, np.stack([posteriors[k].pdf for k in idx])


def _binomial_err(level, n):
    return math.sqrt(level * (1 - level) / n) if n else math.nan


def _metrics(t, full=False):
    """Metrics of the rows of the per-object columns ``t`` (a dict of arrays)."""
    n = len(t["truth"])
    if n == 0:
        return {"n": 0}
    err = t["mode"] - t["truth"]
    m = {"n": n, "mae_mode": float(np.mean(np.abs(err))), "bias_mode": float(np.mean(err)),
         "mae_median": float(np.mean(np.abs(t["median"] - t["truth"])))}
    for tol in WITHIN:
        m[f"within_{tol:g}"] = float(np.mean(np.abs(err) <= tol))
    m["mean_sigma"] = float(np.mean(t["std"]))
    for level in LEVELS:
        tag = round(100 * level)
        m[f"mean_width_{tag}"] = float(np.mean(t[f"high_{tag}"] - t[f"low_{tag}"]))
        m[f"coverage_{tag}"] = float(np.mean(t["hdi_rank"] <= level))
        m[f"coverage_{tag}_err"] = _binomial_err(level, n)
    if full:
        from scipy import stats

        m["rmse_mode"] = float(np.sqrt(np.mean(err**2)))
        m["median_abs_error"] = float(np.median(np.abs(err)))
        m["fraction_bimodal"] = float(np.mean(np.isfinite(t["secondary_mode"])))
        nbins = int(min(10, max(2, n // 5)))
        counts = np.histogram(t["pit"], bins=nbins, range=(0, 1))[0]
        chi2 = stats.chisquare(counts)
        ks = stats.kstest(t["pit"], "uniform")
        m.update(pit_bins=nbins, pit_chi2=float(chi2.statistic), pit_chi2_pvalue=float(chi2.pvalue),
                 pit_ks=float(ks.statistic), pit_ks_pvalue=float(ks.pvalue))
    return m


def _bin_table(t, key, edges):
    x = t[key]
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    rows = []
    for b in range(len(edges) - 1):
        sel = idx == b
        m = _metrics({k: v[sel] for k, v in t.items()})
        rows.append({"bin_low": float(edges[b]), "bin_high": float(edges[b + 1]), **m})
    names = list(max(rows, key=len))
    return QTable(rows=[[r.get(k, np.nan) for k in names] for r in rows], names=names)


def _default_edges(x, nbins, quantiles):
    x = np.asarray(x, dtype=float)
    if quantiles:
        edges = np.unique(np.round(np.quantile(x, np.linspace(0, 1, nbins + 1))))
    else:
        edges = np.linspace(x.min(), x.max(), nbins + 1)
    if edges.size < 2:
        edges = np.array([x.min() - 0.5, x.max() + 0.5])
    return edges


def evaluate_posteriors(posteriors, truth, *, n_stars=None, out_dir=None, label="slope",
                        n_stars_bins=None, truth_bins=None, meta=None):
    """Score posteriors of the inner slope against the true slopes of simulated galaxies.

    Parameters
    ----------
    posteriors : sequence of `~dmprofile.results.SlopePosterior`, or tuple (grid, pdfs)
        One posterior per galaxy; for speed, a shared ``grid`` (G,) and ``pdfs`` of shape (n, G).
    truth : array-like, shape (n,)
        True ``gamma_150`` of each galaxy.
    n_stars : array-like of int, shape (n,), optional
        Number of stars of each mock, to bin the metrics versus star count.
    out_dir : str or `~pathlib.Path`, optional
        Where to write ``{label}_evaluation.json``, ``.md``, ``{label}_per_object.ecsv`` and the
        figures (written atomically; the figures need matplotlib).
    label : str
        Prefix of the files and title of the report.
    n_stars_bins, truth_bins : array-like, optional
        Bin edges (default: up to 6 quantile bins in star count, 8 equal bins in true slope).
    meta : dict, optional
        Provenance (model, suite checksum, ...) copied into the result.

    Returns
    -------
    `SlopeEvaluation`
        Metrics: MAE/bias of the mode, fraction within 0.1 and 0.3, mean posterior sigma, widths
        and empirical coverage of the 68% and 95% intervals grown from the primary mode (with the
        binomial 1-sigma scatter expected for perfect calibration), PIT uniformity tests, and the
        same binned versus star count and true slope.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> rng = np.random.default_rng(1)
    >>> grid = np.linspace(-3, 1, 601)
    >>> mu = rng.uniform(-2, 0, 500)
    >>> pdfs = stats.norm.pdf(grid, mu[:, None], 0.2)
    >>> res = evaluate_posteriors((grid, pdfs), rng.normal(mu, 0.2))
    >>> abs(res["coverage_68"] - 0.68) < 0.07
    True
    """
    truth = np.asarray(getattr(truth, "value", truth), dtype=float).ravel()
    if not np.all(np.isfinite(truth)):
        msg = "truth must be finite"
        raise ValueError(msg)
    n = truth.size
    cols = None
    for idx, grid, pdfs in _as_batches(posteriors, n):
        if idx.max(initial=-1) >= n or np.shape(pdfs)[0] != idx.size:
            msg = f"got more posteriors than truths ({n})"
            raise ValueError(msg)
        part = _summaries(grid, pdfs, truth[idx])
        if cols is None:
            cols = {k: np.full(n, np.nan) for k in part}
            seen = np.zeros(n, dtype=bool)
        for k, v in part.items():
            cols[k][idx] = v
        seen[idx] = True
    if cols is None or not seen.all():
        msg = f"got {0 if cols is None else int(seen.sum())} posteriors for {n} truths"
        raise ValueError(msg)
    t = {"truth": truth, **cols}
    t["abs_error"] = np.abs(t["mode"] - truth)
    by_n = None
    if n_stars is not None:
        t["n_stars"] = np.asarray(n_stars, dtype=float).ravel()
        if t["n_stars"].size != n:
            msg = f"n_stars must have {n} entries, got {t['n_stars'].size}"
            raise ValueError(msg)
        edges = (_default_edges(t["n_stars"], 6, True) if n_stars_bins is None
                 else np.asarray(n_stars_bins, dtype=float))
        by_n = _bin_table(t, "n_stars", edges)
    edges = _default_edges(truth, 8, False) if truth_bins is None else np.asarray(truth_bins, float)
    by_truth = _bin_table(t, "truth", edges)
    levels = np.union1d(np.round(np.linspace(0.05, 0.95, 19), 2), LEVELS)
    curve = QTable({"level": levels,
                    "coverage": [np.mean(t["hdi_rank"] <= a) for a in levels],
                    "coverage_err": [_binomial_err(a, n) for a in levels]})
    table = QTable(t)
    result = SlopeEvaluation(table, _metrics(t, full=True), by_n, by_truth, curve,
                             label=label, meta=meta)
    if out_dir is not None:
        result.write(out_dir)
    return result


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (np.bool_, bool, str)) or value is None:
        return bool(value) if isinstance(value, np.bool_) else value
    return str(value)


def _table_rows(table):
    return [{name: table[name][i] for name in table.colnames} for i in range(len(table))]


def _markdown_table(table):
    lines = ["| " + " | ".join(table.colnames) + " |", "|" + "---|" * len(table.colnames)]
    for row in _table_rows(table):
        cells = [f"{v:.3f}" if isinstance(v, (float, np.floating)) else str(v)
                 for v in row.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


class SlopeEvaluation:
    """Accuracy and calibration of a set of slope posteriors; made by `evaluate_posteriors`.

    Parameters
    ----------
    table : `~astropy.table.QTable`
        One row per galaxy: ``truth``, ``mode``, ``mean``, ``median``, ``std``, ``low_68``,
        ``high_68``, ``low_95``, ``high_95``, ``pit`` (posterior CDF at the truth), ``hdi_rank``
        (probability of the smallest interval grown from the mode that contains the truth),
        ``secondary_mode`` (NaN when unimodal), ``abs_error`` and ``n_stars`` when given.
    metrics : dict
        The overall metrics (also available as ``result[key]``).
    by_n_stars, by_truth : `~astropy.table.QTable`
        The metrics binned in star count (None without ``n_stars``) and in true slope.
    coverage_curve : `~astropy.table.QTable`
        Empirical coverage of the intervals at nominal levels 0.05 ... 0.95.
    label : str
        Name of the evaluation, used in the report and the file names.
    meta : dict, optional
        Provenance.

    Attributes
    ----------
    table, by_n_stars, by_truth, coverage_curve, label, meta
        As given.
    files : dict
        The paths written by `write` (empty before).
    """

    def __init__(self, table, metrics, by_n_stars, by_truth, coverage_curve, *, label="slope",
                 meta=None):
        self.table, self._metrics = table, dict(metrics)
        self.by_n_stars, self.by_truth, self.coverage_curve = by_n_stars, by_truth, coverage_curve
        self.label, self.meta, self.files = label, dict(meta or {}), {}

    @property
    def metrics(self):
        """The overall metrics (dict, a copy)."""
        return dict(self._metrics)

    def __getitem__(self, key):
        return self._metrics[key]

    def __repr__(self):
        m = self._metrics
        return (f"SlopeEvaluation({self.label!r}, n={m['n']}, MAE(mode) {m['mae_mode']:.3f}, "
                f"within 0.1: {m['within_0.1']:.1%}, within 0.3: {m['within_0.3']:.1%}, "
                f"coverage 68%: {m['coverage_68']:.1%}, 95%: {m['coverage_95']:.1%}, "
                f"PIT KS p={m['pit_ks_pvalue']:.2g})")

    def to_dict(self):
        """Everything except the per-object table, as JSON-ready plain types."""
        out = {"label": self.label, "metrics": self._metrics, "meta": self.meta,
               "coverage_curve": _table_rows(self.coverage_curve),
               "by_truth": _table_rows(self.by_truth),
               "by_n_stars": None if self.by_n_stars is None else _table_rows(self.by_n_stars)}
        return _jsonable(out)

    def to_json(self):
        """Return `to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), indent=2)

    def to_markdown(self):
        """Return a human-readable report (markdown)."""
        m = self._metrics
        lines = [f"# Evaluation: {self.label}", "", f"{m['n']} posteriors.", "",
                 "| metric | value |", "|---|---|"]
        for key, value in m.items():
            lines.append(f"| {key} | {value:.4g} |" if isinstance(value, float) else
                         f"| {key} | {value} |")
        lines += ["", "Coverage errors are the binomial 1-sigma scatter expected for perfectly "
                  "calibrated intervals; PIT = posterior CDF at the true slope (uniform if "
                  "calibrated).",
                  "", "## Versus true slope", "", _markdown_table(self.by_truth)]
        if self.by_n_stars is not None:
            lines += ["", "## Versus number of stars", "", _markdown_table(self.by_n_stars)]
        lines += ["", "## Coverage curve", "", _markdown_table(self.coverage_curve)]
        figures = [p for k, p in self.files.items() if k.startswith("fig_")]
        if figures:
            lines += ["", "## Figures", ""] + [f"![{p.stem}]({p.name})" for p in figures]
        if self.meta:
            lines += ["", "## Provenance", "", "```json",
                      json.dumps(_jsonable(self.meta), indent=2), "```"]
        return "\n".join(lines) + "\n"

    def write(self, out_dir):
        """Write JSON, markdown, the per-object ECSV table and the figures.

        Parameters
        ----------
        out_dir : str or `~pathlib.Path`
            The folder to write into (created if needed).

        Returns
        -------
        dict
            The paths of the files written, by kind (``json``, ``markdown``, ``table``,
            ``fig_<name>``).
        """
        from pathlib import Path

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        files = {}
        try:
            require("matplotlib", "plot")
        except ImportError:
            have_mpl = False
        else:
            have_mpl = True
        if have_mpl:
            from matplotlib.figure import Figure

            plots = [("pred_vs_true", 1, self.plot_scatter),
                     ("calibration", 2, self.plot_calibration),
                     ("vs_truth", 3, lambda axes: self.plot_binned("truth", axes=axes))]
            if self.by_n_stars is not None:
                plots.append(("vs_n_stars", 3,
                              lambda axes: self.plot_binned("n_stars", axes=axes)))
            for name, ncols, func in plots:
                fig = Figure(figsize=(4.5 * ncols, 4.0), layout="constrained")
                axes = fig.subplots(1, ncols)
                func(axes)
                fig.suptitle(self.label)
                path = out_dir / f"{self.label}_{name}.png"
                with atomic_path(path) as tmp:
                    fig.savefig(tmp, format="png", dpi=110)
                files[f"fig_{name}"] = path
        self.files = dict(files)
        path = out_dir / f"{self.label}_per_object.ecsv"
        with atomic_path(path) as tmp:
            self.table.write(tmp, format="ascii.ecsv", overwrite=True)
        files["table"] = path
        for key, suffix, text in (("json", "json", self.to_json()),
                                  ("markdown", "md", self.to_markdown())):
            files[key] = out_dir / f"{self.label}_evaluation.{suffix}"
            atomic_write_text(files[key], text)
        self.files = files
        return dict(files)

    # ------------------------------------------------------------------ plots
    @staticmethod
    def _axes(ax, n=1):
        if ax is not None:
            return ax
        plt = require("matplotlib.pyplot", "plot")
        return plt.gca() if n == 1 else plt.subplots(1, n, figsize=(4.5 * n, 4))[1]

    def plot_scatter(self, ax=None):
        """Plot the mode versus the true slope with the 68% intervals as error bars.

        Parameters
        ----------
        ax : `matplotlib.axes.Axes`, optional
            The axes to draw on (default: the current axes).

        Returns
        -------
        `matplotlib.axes.Axes`
            The axes drawn on.
        """
        ax = self._axes(ax)
        t = self.table
        yerr = np.vstack([t["mode"] - t["low_68"], t["high_68"] - t["mode"]]).clip(0)
        lim = [min(t["truth"].min(), t["low_68"].min()), max(t["truth"].max(), t["high_68"].max())]
        line = np.array(lim)
        ax.fill_between(line, line - 0.3, line + 0.3, color="0.9", label="±0.3")
        ax.fill_between(line, line - 0.1, line + 0.1, color="0.75", label="±0.1")
        ax.plot(line, line, "k-", lw=1)
        ax.errorbar(t["truth"], t["mode"], yerr=yerr, fmt="o", ms=2, lw=0.5, alpha=0.5,
                    label="mode, 68% HDI")
        ax.set_xlabel(r"true $\gamma_{150}$")
        ax.set_ylabel(r"posterior mode of $\gamma_{150}$")
        ax.legend(loc="upper left", fontsize="small")
        return ax

    def plot_calibration(self, axes=None):
        """Plot the PIT histogram and the coverage curve of the intervals.

        Parameters
        ----------
        axes : sequence of two `matplotlib.axes.Axes`, optional
            The axes to draw on (default: a new figure).

        Returns
        -------
        tuple of `matplotlib.axes.Axes`
            The two axes drawn on.
        """
        ax1, ax2 = self._axes(axes, 2)
        pit = self.table["pit"]
        nbins = self._metrics["pit_bins"]
        expected = len(pit) / nbins
        ax1.hist(pit, bins=nbins, range=(0, 1), histtype="stepfilled", alpha=0.6)
        err = math.sqrt(expected * (1 - 1 / nbins))
        ax1.axhspan(expected - 2 * err, expected + 2 * err, color="0.85", zorder=0)
        ax1.axhline(expected, color="k", lw=1)
        ax1.set_xlabel("PIT = posterior CDF at the truth")
        ax1.set_ylabel("number of galaxies")
        ax1.set_title(f"KS p = {self._metrics['pit_ks_pvalue']:.2g}")
        c = self.coverage_curve
        ax2.plot([0, 1], [0, 1], "k-", lw=1)
        ax2.fill_between(c["level"], c["level"] - 2 * c["coverage_err"],
                         c["level"] + 2 * c["coverage_err"], color="0.85")
        ax2.plot(c["level"], c["coverage"], "o-", ms=3)
        ax2.set_xlabel("credible level (interval grown from the mode)")
        ax2.set_ylabel("empirical coverage")
        return ax1, ax2

    def plot_binned(self, by="truth", axes=None):
        """Plot the accuracy, the posterior width and the coverage versus ``by``.

        Parameters
        ----------
        by : {"truth", "n_stars"}
            The binning: true slope or number of stars.
        axes : sequence of three `matplotlib.axes.Axes`, optional
            The axes to draw on (default: a new figure).

        Returns
        -------
        sequence of `matplotlib.axes.Axes`
            The three axes drawn on.
        """
        table = self.by_truth if by == "truth" else self.by_n_stars
        if table is None:
            msg = "no n_stars were given to evaluate_posteriors"
            raise ValueError(msg)
        axes = self._axes(axes, 3)
        low, high = np.asarray(table["bin_low"]), np.asarray(table["bin_high"])
        log = by == "n_stars" and low.min() > 0 and high.max() / low.min() > 20
        x = np.sqrt(low * high) if log else 0.5 * (low + high)
        axes[0].plot(x, table["mae_mode"], "o-", label="MAE of mode")
        for tol in WITHIN:
            axes[0].plot(x, table[f"within_{tol:g}"], "s--", label=f"fraction within {tol:g}")
        axes[1].plot(x, table["mean_sigma"], "o-", label="mean posterior std")
        axes[1].plot(x, table["mean_width_68"] / 2, "s--", label="mean 68% half-width")
        for level in LEVELS:
            tag = round(100 * level)
            line = axes[2].errorbar(x, table[f"coverage_{tag}"], yerr=table[f"coverage_{tag}_err"],
                                    fmt="o-", label=f"{tag}% interval")
            axes[2].axhline(level, color=line[0].get_color(), ls=":")
        axes[2].set_ylim(0, 1.02)
        axes[2].set_ylabel("empirical coverage")
        xlabel = r"true $\gamma_{150}$" if by == "truth" else "number of stars"
        for ax in axes:
            ax.set_xlabel(xlabel)
            ax.legend(fontsize="small")
            if log:
                ticker = require("matplotlib.ticker", "plot")
                ax.set_xscale("log")
                nice = np.outer(10.0 ** np.arange(0, 7), [1, 2, 5]).ravel()
                ax.set_xticks(nice[(nice >= low.min()) & (nice <= high.max())])
                ax.xaxis.set_major_formatter(ticker.ScalarFormatter())
                ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        return axes
