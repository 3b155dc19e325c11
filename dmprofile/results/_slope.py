"""`SlopePosterior`: the posterior of the inner dark-matter slope.

`SlopePosterior` is the posterior of the dark-matter log-slope ``gamma_150 = d ln rho / d ln r``
at 150 pc, tabulated on a grid.  `dmprofile.infer_slope` (the mixture-density network with
Monte-Carlo dropout) builds it with `SlopePosterior.from_mixture`; the Jeans analysis of
`dmprofile.classical` builds it from MCMC samples with `SlopePosterior.from_samples`, so that one
galaxy can be analysed both ways and the two posteriors compared side by side.
"""

import json
import warnings
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.table import QTable

from .._utils import atomic_path, require
from ..exceptions import DMProfileWarning
from . import _gridpdf as _gp
from ._interval import XLABEL, HDInterval, _meta, _plot_references, default_grid, plot_title

__all__ = ["SlopePosterior"]

class SlopePosterior:
    """Posterior of the dark-matter log-slope ``gamma_150`` at 150 pc, on a grid.

    The pdf is treated as piecewise linear between the grid nodes and normalised to unit integral
    on construction.  Instances are immutable (read-only arrays).

    Parameters
    ----------
    grid : array-like
        Strictly increasing values of ``gamma_150`` (dimensionless), e.g. `default_grid`.
    pdf : array-like
        Non-negative (unnormalised) posterior density at ``grid``.
    pdf_std : array-like, optional
        Epistemic uncertainty of the pdf at each grid point (for the network: the spread of the
        Monte-Carlo-dropout pdfs); rescaled by the same factor as ``pdf``.  None for Jeans.
    samples : array-like, optional
        Posterior samples the pdf was estimated from (kept for reference).
    meta : dict, optional
        Provenance: ``method``, ``model``, ``seed``, ``n_passes``...; ``dmprofile_version`` is
        added.

    Notes
    -----
    ``interval(level)`` is the interval grown from the primary mode, adding at each step the
    denser neighbouring grid cell, until it holds ``level`` of the probability: the
    highest-density interval (HDI) for a unimodal posterior, and the connected interval around
    the primary mode quoted in Table 1 of Exposito-Marquez et al. (2022) otherwise.

    ``secondary_mode`` is the highest local maximum (grid edges included) other than the primary
    one whose height is at least 10% of the primary peak and which is separated from it by a dip
    of at least 20% of its own height; see `modes`.

    Examples
    --------
    >>> import numpy as np
    >>> from dmprofile.results import SlopePosterior, default_grid
    >>> grid = default_grid()
    >>> post = SlopePosterior(grid, np.exp(-0.5 * ((grid + 0.4) / 0.25) ** 2))
    >>> print(post.interval(0.68))
    -0.40 +0.25/-0.25
    >>> round(post.mean, 3), round(post.std, 3), post.secondary_mode
    (-0.4, 0.25, None)
    """

    def __init__(self, grid, pdf, *, pdf_std=None, samples=None, meta=None):
        grid = _gp._check_grid(grid)
        pdf = np.asarray(pdf, dtype=float)
        if pdf.shape != grid.shape:
            msg = f"pdf must have the shape of the grid {grid.shape}, got {pdf.shape}"
            raise ValueError(msg)
        pdfs, norm = _gp._normalise(grid, pdf[None, :])
        self._grid, self._pdf = grid, pdfs[0]
        self._pdf_std = None
        if pdf_std is not None:
            pdf_std = np.asarray(pdf_std, dtype=float)
            bad = not np.all(np.isfinite(pdf_std)) or np.any(pdf_std < 0)
            if pdf_std.shape != grid.shape or bad:
                msg = (f"pdf_std must be finite, non-negative and of shape {grid.shape}, "
                       f"got shape {pdf_std.shape}")
                raise ValueError(msg)
            self._pdf_std = pdf_std / norm[0]
        self._samples = None
        if samples is not None:
            samples = np.array(samples, dtype=float).ravel()
            if samples.size == 0 or not np.all(np.isfinite(samples)):
                msg = "samples must be a non-empty array of finite values"
                raise ValueError(msg)
            self._samples = samples
        for arr in (self._grid, self._pdf, self._pdf_std, self._samples):
            if arr is not None:
                arr.flags.writeable = False
        self._meta = _meta(meta)
        self._cnodes = _gp._cdf_nodes(grid, pdfs)
        mean, std = _gp._moments(grid, pdfs)
        self._mean, self._std = float(mean[0]), float(std[0])
        self._imode = int(np.argmax(self._pdf))
        self._mode = float(_gp._refine_peak(grid, pdfs, [self._imode])[0])

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_samples(cls, samples, *, grid=None, meta=None, bandwidth=None, n_effective=None):
        """Posterior from samples of ``gamma_150`` (e.g. an MCMC chain) by Gaussian KDE.

        Parameters
        ----------
        samples : array-like
            Samples of ``gamma_150`` (flattened).
        grid : array-like, optional
            Evaluation grid (default `default_grid`).  The KDE is truncated to the grid and
            renormalised; a warning is emitted when more than 1% of the samples lie outside.
        meta : dict, optional
            Provenance; ``method="samples"``, ``n_samples``, ``n_effective`` and ``bandwidth`` are
            recorded.
        bandwidth : float or {"silverman", "scott"}, optional
            Kernel standard deviation in units of ``gamma_150``; default Silverman's robust rule
            ``0.9 min(std, IQR/1.34) n**-0.2``.  Never smaller than the grid spacing.
        n_effective : float, optional
            Number of independent samples used by the bandwidth rules (default: the number of
            samples); for a correlated MCMC chain pass ``n / tau`` (autocorrelation time ``tau``)
            for a smoother, less noisy density.

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> post = SlopePosterior.from_samples(rng.normal(-1.0, 0.3, 20000))
        >>> round(post.mean, 2), round(post.std, 2)
        (-1.0, 0.3)
        """
        samples = np.asarray(samples, dtype=float).ravel()
        if samples.size < 2 or not np.all(np.isfinite(samples)):
            msg = f"samples must hold at least 2 finite values, got {samples.size}"
            raise ValueError(msg)
        grid = default_grid() if grid is None else _gp._check_grid(grid)
        n = samples.size
        n_rule = float(n if n_effective is None else n_effective)
        if not 1 <= n_rule <= n:
            msg = f"n_effective must be between 1 and the number of samples {n}, got {n_effective}"
            raise ValueError(msg)
        spread = np.std(samples, ddof=1)
        iqr = np.subtract(*np.percentile(samples, [75, 25])) / 1.349
        if bandwidth is None or bandwidth == "silverman":
            bw = 0.9 * min(spread, iqr if iqr > 0 else spread) * n_rule**-0.2
        elif bandwidth == "scott":
            bw = 1.059 * spread * n_rule**-0.2
        elif isinstance(bandwidth, str):
            msg = f"bandwidth must be a positive number, 'silverman' or 'scott', got {bandwidth!r}"
            raise ValueError(msg)
        else:
            bw = float(bandwidth)
            if not bw > 0:
                msg = f"bandwidth must be > 0, got {bandwidth!r}"
                raise ValueError(msg)
        bw = max(bw, np.max(np.diff(grid)))
        outside = np.mean((samples < grid[0]) | (samples > grid[-1]))
        if outside > 0.01:
            warnings.warn(f"{outside:.1%} of the samples lie outside the grid "
                          f"[{grid[0]:g}, {grid[-1]:g}]; the posterior is truncated there",
                          DMProfileWarning, stacklevel=2)
        pdf = np.zeros_like(grid)
        chunk = max(1, 2_000_000 // grid.size)
        for start in range(0, n, chunk):
            z = (grid[None, :] - samples[start:start + chunk, None]) / bw
            pdf += np.exp(-0.5 * z**2).sum(axis=0)
        meta = _meta(meta, method="samples", n_samples=int(n), n_effective=n_rule,
                     bandwidth=float(bw))
        return cls(grid, pdf, samples=samples, meta=meta)

    @classmethod
    def from_mixture(cls, weights, means, sigmas, *, grid=None, meta=None):
        """Posterior from Gaussian mixtures, e.g. the Monte-Carlo-dropout passes of the network.

        Parameters
        ----------
        weights, means, sigmas : array-like, shape (n_passes, K) or (K,)
            Mixture weights (normalised per pass), centres and widths (> 0) of each pass.
        grid : array-like, optional
            Evaluation grid (default `default_grid`).
        meta : dict, optional
            Provenance; ``method="mixture"``, ``n_passes`` and ``n_components`` are recorded.

        Returns
        -------
        `SlopePosterior`
            ``pdf`` = the normalised mean of the per-pass mixture densities on the grid;
            ``pdf_std`` = their standard deviation across passes (the epistemic band).

        Examples
        --------
        >>> post = SlopePosterior.from_mixture([[0.7, 0.3], [0.6, 0.4]],
        ...                                    [[-0.4, -1.1], [-0.35, -1.2]],
        ...                                    [[0.2, 0.15], [0.2, 0.15]])
        >>> round(post.mode, 2), round(post.secondary_mode, 2)
        (-0.38, -1.16)
        """
        w, mu, sig = (np.array(a, dtype=float, ndmin=2) for a in (weights, means, sigmas))
        if not (w.ndim == 2 and w.shape == mu.shape == sig.shape):
            msg = (f"weights, means and sigmas must share one shape (n_passes, K), got "
                   f"{w.shape}, {mu.shape}, {sig.shape}")
            raise ValueError(msg)
        if not all(np.all(np.isfinite(a)) for a in (w, mu, sig)):
            msg = "weights, means and sigmas must be finite"
            raise ValueError(msg)
        if np.any(w < 0) or np.any(w.sum(axis=1) <= 0):
            msg = "weights must be non-negative with a positive sum in every pass"
            raise ValueError(msg)
        if np.any(sig <= 0):
            msg = f"sigmas must be > 0, got a minimum of {sig.min():.3g}"
            raise ValueError(msg)
        grid = default_grid() if grid is None else _gp._check_grid(grid)
        w = w / w.sum(axis=1, keepdims=True)
        relevant = sig[w > 0.01]
        if relevant.size and relevant.min() < np.max(np.diff(grid)):
            warnings.warn(f"a mixture component of width {relevant.min():.3g} is narrower than the "
                          f"grid spacing {np.max(np.diff(grid)):.3g}; use a finer grid",
                          DMProfileWarning, stacklevel=2)
        z = (grid[None, None, :] - mu[..., None]) / sig[..., None]
        per_pass = np.einsum("pk,pkg->pg", w / (np.sqrt(2 * np.pi) * sig),
                             np.exp(-0.5 * z**2))
        meta = _meta(meta, method="mixture", n_passes=int(w.shape[0]), n_components=int(w.shape[1]))
        return cls(grid, per_pass.mean(axis=0), pdf_std=per_pass.std(axis=0), meta=meta)

    # ------------------------------------------------------------------ attributes
    @property
    def grid(self):
        """The ``gamma_150`` grid (read-only array)."""
        return self._grid

    @property
    def pdf(self):
        """The normalised posterior density on the grid."""
        return self._pdf

    @property
    def pdf_std(self):
        """Epistemic spread of the pdf on the grid (None when not available)."""
        return self._pdf_std

    @property
    def samples(self):
        """The samples the posterior was built from (None when not available)."""
        return self._samples

    @property
    def mode(self):
        """The primary mode (grid maximum refined by a parabola through 3 nodes)."""
        return self._mode

    @property
    def mean(self):
        """The posterior mean."""
        return self._mean

    @property
    def std(self):
        """The posterior standard deviation."""
        return self._std

    @property
    def meta(self):
        """Provenance (a copy): method, model, seed, n_passes, dmprofile_version..."""
        return dict(self._meta)

    @property
    def median(self):
        """The posterior median."""
        return float(self.quantile(0.5))

    def modes(self, *, min_height=0.1, min_dip=0.2):
        """All modes, primary first, then the qualifying secondary maxima by decreasing height.

        A local maximum (the grid edges included) counts as a mode when its height is at least
        ``min_height`` times that of the primary peak and the lowest density between it and the
        primary peak is at most ``1 - min_dip`` times its own height.

        Parameters
        ----------
        min_height : float
            Smallest height of a secondary mode, as a fraction of the primary peak.
        min_dip : float
            Smallest dip between a secondary mode and the primary peak, as a fraction of the
            secondary mode's height.

        Returns
        -------
        list of float
            The modes, primary first.
        """
        peaks = _gp._secondary_peaks(self._grid, self._pdf, min_height=min_height, min_dip=min_dip)
        if not peaks:
            return [self._mode]
        refined = _gp._refine_peak(self._grid, np.tile(self._pdf, (len(peaks), 1)), peaks)
        return [self._mode] + [float(x) for x in refined]

    @property
    def secondary_mode(self):
        """The highest secondary mode (see `modes`), or None for a unimodal posterior."""
        modes = self.modes()
        return modes[1] if len(modes) > 1 else None

    def interval(self, level=0.68):
        """Return the highest-density interval holding ``level`` of the probability.

        The interval is grown from the mode.

        Parameters
        ----------
        level : float
            The probability held, between 0 and 1 (exclusive).

        Returns
        -------
        `HDInterval`
            ``(low, high)``; ``str()`` of it reads ``"mode +plus/-minus"``.
        """
        level = float(level)
        if not 0 < level < 1:
            msg = f"level must be between 0 and 1 (exclusive), got {level}"
            raise ValueError(msg)
        low, high = _gp._grow_from_mode(self._grid, self._pdf[None], self._cnodes, level=level)
        return HDInterval(low[0], high[0], center=self._mode, level=level)

    def cdf(self, x):
        """Return the posterior probability that ``gamma_150 <= x``.

        Parameters
        ----------
        x : float or array_like
            Values of ``gamma_150``.

        Returns
        -------
        float or ndarray
            The probability, 0 below and 1 above the grid, with the shape of ``x``.
        """
        x = np.asarray(getattr(x, "value", x), dtype=float)
        out = _gp._cdf_at(self._grid, self._pdf[None], self._cnodes, x.ravel()).reshape(x.shape)
        return float(out) if out.ndim == 0 else out

    def quantile(self, q):
        """Return the values of ``gamma_150`` at probabilities ``q`` (the inverse of `cdf`).

        Parameters
        ----------
        q : float or array_like
            Probabilities in [0, 1].

        Returns
        -------
        float or ndarray
            The quantiles, with the shape of ``q``.
        """
        q = np.asarray(q, dtype=float)
        if np.any((q < 0) | (q > 1)) or not np.all(np.isfinite(q)):
            msg = f"q must lie in [0, 1], got {q}"
            raise ValueError(msg)
        out = _gp._quantile(self._grid, self._pdf[None], self._cnodes, q.ravel()).reshape(q.shape)
        return float(out) if out.ndim == 0 else out

    def sample(self, n, *, seed=None):
        """Draw ``n`` samples of ``gamma_150`` by exact inversion of the piecewise-quadratic CDF.

        Parameters
        ----------
        n : int
            Number of samples.
        seed : int, `~numpy.random.SeedSequence` or `~numpy.random.Generator`, optional
            Seed of the random numbers.

        Returns
        -------
        ndarray
            The samples, shape (n,).
        """
        n = int(n)
        if n < 0:
            msg = f"n must be >= 0, got {n}"
            raise ValueError(msg)
        rng = np.random.default_rng(seed)
        return self.quantile(rng.uniform(size=n))

    # ------------------------------------------------------------------ text
    def summary(self, level=0.68, digits=2):
        """Summarise the posterior in one line.

        Parameters
        ----------
        level : float
            Probability of the highest-density interval.
        digits : int
            Number of decimals.

        Returns
        -------
        str
            Mode +plus/-minus (HDI), mean, std and the secondary mode if any.
        """
        text = (f"gamma_150 = {self.interval(level).format(digits)} ({level:.0%} HDI), "
                f"mean {self._mean:.{digits}f}, std {self._std:.{digits}f}")
        second = self.secondary_mode
        if second is not None:
            text += f", secondary mode {second:.{digits}f}"
        return text

    def __repr__(self):
        return f"SlopePosterior({self.summary()})"

    # ------------------------------------------------------------------ table and files
    def to_table(self):
        """Return the posterior as a table.

        Returns
        -------
        `~astropy.table.QTable`
            Columns ``gamma_150``, ``pdf`` (and ``pdf_std``), all dimensionless; ``meta`` holds
            the provenance and the summary statistics.
        """
        cols = {"gamma_150": self._grid * u.dimensionless_unscaled,
                "pdf": self._pdf * u.dimensionless_unscaled}
        if self._pdf_std is not None:
            cols["pdf_std"] = self._pdf_std * u.dimensionless_unscaled
        lo, hi = self.interval(0.68)
        meta = {**self._meta, "quantity": "gamma_150 = dln rho / dln r at 150 pc",
                "mode": self._mode, "mean": self._mean, "std": self._std,
                "hdi68_low": lo, "hdi68_high": hi}
        return QTable(cols, meta=meta)

    @classmethod
    def from_table(cls, table, *, samples=None):
        """Rebuild a posterior from the output of `to_table` (or any table with those columns).

        Parameters
        ----------
        table : `~astropy.table.Table`
            With columns ``gamma_150`` and ``pdf`` (and optionally ``pdf_std``).
        samples : array_like, optional
            The samples the posterior was built from.

        Returns
        -------
        `SlopePosterior`
            The posterior.
        """
        for name in ("gamma_150", "pdf"):
            if name not in table.colnames:
                msg = f"table must have columns 'gamma_150' and 'pdf', got {table.colnames}"
                raise ValueError(msg)

        def value(name):
            return np.asarray(getattr(table[name], "value", table[name]), dtype=float)

        derived = {"quantity", "mode", "mean", "std", "hdi68_low", "hdi68_high"}
        meta = {k: v for k, v in table.meta.items() if k not in derived}
        if "DMPMETA" in meta:
            meta = json.loads(meta["DMPMETA"])
        std = value("pdf_std") if "pdf_std" in table.colnames else None
        return cls(value("gamma_150"), value("pdf"), pdf_std=std, samples=samples, meta=meta)

    def write(self, path, *, overwrite=False):
        """Write to ECSV (``.ecsv``) or FITS (``.fits``; the samples, if any, in HDU "SAMPLES").

        Parameters
        ----------
        path : str or `~pathlib.Path`
            The file; its extension sets the format.
        overwrite : bool
            Whether to replace an existing file.
        """
        from astropy.io import fits

        path = Path(path)
        if path.exists() and not overwrite:
            msg = f"{path} exists; pass overwrite=True to replace it"
            raise FileExistsError(msg)
        table = self.to_table()
        name = path.name.lower()
        with atomic_path(path) as tmp:
            if name.endswith(".ecsv"):
                if self._samples is not None:
                    table.meta["samples"] = self._samples.tolist()
                table.write(tmp, format="ascii.ecsv", overwrite=True)
            elif name.endswith((".fits", ".fits.gz", ".fit")):
                table.meta = {"DMPMETA": json.dumps(self._meta, default=str)}
                hdus = fits.HDUList([fits.PrimaryHDU(), fits.table_to_hdu(table)])
                hdus[1].name = "POSTERIOR"
                if self._samples is not None:
                    hdus.append(fits.BinTableHDU.from_columns(
                        [fits.Column("gamma_150", "D", array=self._samples)], name="SAMPLES"))
                hdus.writeto(tmp, overwrite=True)
            else:
                msg = f"unknown file type {path.name!r}: use .ecsv or .fits"
                raise ValueError(msg)

    @classmethod
    def read(cls, path):
        """Read a posterior written by `write`.

        Parameters
        ----------
        path : str or `~pathlib.Path`
            An ECSV or FITS file.

        Returns
        -------
        `SlopePosterior`
            The posterior.
        """
        from astropy.io import fits
        from astropy.table import Table

        path = Path(path)
        if path.name.lower().endswith(".ecsv"):
            table = QTable.read(path, format="ascii.ecsv")
            samples = table.meta.pop("samples", None)
            return cls.from_table(table, samples=samples)
        with fits.open(path) as hdus:
            table = Table.read(hdus["POSTERIOR"])
            samples = hdus["SAMPLES"].data["gamma_150"] if "SAMPLES" in hdus else None
            return cls.from_table(table, samples=None if samples is None else np.array(samples))

    # ------------------------------------------------------------------ plot
    def plot(self, ax=None, *, level=0.68, band=True, markers=True, legend=True,
             references=True, title=None, **kwargs):
        """Plot the posterior like Fig. 2 of Exposito-Marquez et al. (2022).

        The pdf, its epistemic band (``pdf +- pdf_std``, grey), the ``level`` highest-density
        interval shaded under the curve (in the colour of the curve), vertical lines at the
        mode (solid, a darker shade of the curve), the secondary mode (dashed) and the mean
        (dotted, the complementary hue), and grey reference lines at a core (``gamma_150 = 0``) and
        an NFW cusp (``gamma_150 = -1``).

        Parameters
        ----------
        ax : `matplotlib.axes.Axes`, optional
            Axes to draw on (default: the current axes).
        level : float
            Level of the shaded interval.
        band, markers, legend : bool
            Draw the epistemic band, the vertical lines, the legend.
        references : bool
            Draw the core and NFW-cusp reference lines (once per axes).
        title : str, optional
            Axes title; by default the galaxy name of ``meta["galaxy"]`` (when known) and
            what is plotted. An empty string leaves the title unchanged.
        **kwargs
            Passed to ``ax.plot`` for the curve (``color``, ``label``, ``lw``...).

        Returns
        -------
        `matplotlib.axes.Axes`
        """
        if ax is None:
            ax = require("matplotlib.pyplot", "plot").gca()
        label = kwargs.pop("label", None)
        prefix = f"{label} " if label else ""
        (line,) = ax.plot(self._grid, self._pdf, label=label or "posterior", **kwargs)
        color = line.get_color()
        if band and self._pdf_std is not None:
            ax.fill_between(self._grid, np.clip(self._pdf - self._pdf_std, 0, None),
                            self._pdf + self._pdf_std, color="0.55", alpha=0.3, lw=0,
                            label=f"{prefix}epistemic band")
        lo, hi = self.interval(level)
        inside = (self._grid >= lo) & (self._grid <= hi)
        x = np.concatenate([[lo], self._grid[inside], [hi]])
        ax.fill_between(x, 0, np.interp(x, self._grid, self._pdf), color=color, alpha=0.3, lw=0,
                        label=f"{prefix}{level:.0%} HDI")
        if markers:
            self._plot_markers(ax, color, prefix)
        if references:
            _plot_references(ax, self._grid)
        ax.set_xlabel(XLABEL)
        ax.set_ylabel("posterior density")
        ax.set_xlim(self._grid[0], self._grid[-1])
        ax.set_ylim(bottom=0)
        if title is None:
            title = plot_title(self._meta.get("galaxy"))
        if title:
            ax.set_title(title)
        if legend:
            ax.legend(fontsize="small")
        return ax

    def _plot_markers(self, ax, color, prefix):
        """Vertical lines at the modes (darker shade) and the mean (complementary hue)."""
        from matplotlib.colors import hsv_to_rgb, rgb_to_hsv, to_rgb

        rgb = np.array(to_rgb(color))
        hue, sat, val = rgb_to_hsv(rgb)
        dark = tuple(0.55 * rgb)
        mean = tuple(hsv_to_rgb(((hue + 0.5) % 1.0, max(sat, 0.6), 0.8)))
        ax.axvline(self._mode, color=dark, ls="-", lw=1.5, label=f"{prefix}mode")
        if self.secondary_mode is not None:
            ax.axvline(self.secondary_mode, color=dark, ls="--", lw=1,
                       label=f"{prefix}secondary mode")
        ax.axvline(self._mean, color=mean, ls=":", lw=2, label=f"{prefix}mean")

