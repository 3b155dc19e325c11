"""The network input: two normalised 2-D histograms of a star catalogue (phase-space images)."""

import warnings

import numpy as np
from astropy import units as u
from astropy.table import QTable

from .._utils import require
from .._version import __version__
from ..exceptions import DMProfileWarning
from ._catalogue import StarCatalogue
from ._summaries import catalogue_summaries

__all__ = ["PhaseSpaceImages", "phase_space_images", "POSITION_RANGE", "PHASE_RANGE"]

#: Range of image 0, (x, y) in kpc.
POSITION_RANGE = ((-2.0, 2.0), (-2.0, 2.0))
#: Range of image 1, (R / R_half, (v - v_sys) / P98).
PHASE_RANGE = ((0.0, 1.0), (-1.0, 1.0))


def _weighted_percentile(values, weights, q):
    """Percentile ``q`` (0..100) of ``values``; plain `numpy.percentile` when unweighted."""
    if weights is None:
        return float(np.percentile(values, q))
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q / 100.0, cdf, v))


def _histogram(a, b, weights, bins, rng):
    h, _, _ = np.histogram2d(a, b, bins=bins, range=rng, weights=weights)
    total = h.sum()
    return h / total if total > 0 else h


def _phase_space_arrays(x, y, R, v, *, r_half, v_sys, weights=None, bins=64):
    """Fast float path: the (2, bins, bins) float32 images and P98.

    ``x``, ``y``, ``R`` [kpc], ``v`` [km/s] are plain arrays, ``R`` the (circularised)
    projected radius; ``r_half`` [kpc] and ``v_sys`` [km/s] floats. Simulation suites call this
    directly to avoid the table parsing.
    """
    dv = v - v_sys
    p98 = _weighted_percentile(np.abs(dv), weights, 98.0)
    if not p98 > 0:
        msg = "the 98th percentile of |v - v_sys| is zero: the velocities carry no spread"
        raise ValueError(msg)
    out = np.empty((2, bins, bins), dtype=np.float32)
    out[0] = _histogram(x, y, weights, bins, POSITION_RANGE)
    out[1] = _histogram(R / r_half, dv / p98, weights, bins, PHASE_RANGE)
    return out, p98


class PhaseSpaceImages:
    """The two phase-space images of a galaxy, as fed to the slope network.

    Following Expósito-Márquez et al. (2022), image 0 is the normalised 2-D
    histogram of projected positions {x, y} in [-2, 2] kpc and image 1 that of
    {R / R_half in [0, 1], (v - v_sys) / P98 in [-1, 1]}, with P98 the 98th percentile of
    ``|v - v_sys|``. Each image sums to one (when any star falls in its range).
    ``images[c, i, j]`` has ``i`` along the first coordinate (x or R/R_half) and ``j`` along the
    second (y or v), the order of `numpy.histogram2d`.

    Create it with `phase_space_images`. Instances are read-only; the parameters are also the
    attributes.

    Parameters
    ----------
    images : ndarray
        float32 array of shape (2, bins, bins).
    galaxy_parameters : dict
        The galaxy parameters used (Quantities; ``ellipticity`` is a float).
    sources : dict
        Where each parameter came from: ``"keyword"``, ``"meta"``, ``"estimated"``, ``"default"``
        or ``"none"``.
    n_stars : int
        Number of usable stars.
    p98 : `~astropy.units.Quantity` [speed]
        The velocity normalisation.
    meta : dict
        Provenance: dmprofile version, bins, member threshold, dropped rows, weighting.
    summaries : dict, optional
        The `~dmprofile.kinematics.catalogue_summaries` of the catalogue.
    """

    def __init__(self, images, *, galaxy_parameters, sources, n_stars, p98, meta=None,
                 summaries=None):
        images = np.array(images, dtype=np.float32)
        images.setflags(write=False)
        self._images = images
        self._galaxy_parameters = dict(galaxy_parameters)
        self._sources = dict(sources)
        self._n_stars = int(n_stars)
        self._p98 = p98
        self._meta = dict(meta or {})
        self._summaries = None if summaries is None else dict(summaries)
        self._catalogue = None  # set by phase_space_images: summaries measured when asked for

    @property
    def summaries(self):
        """The summaries of the catalogue (`~dmprofile.kinematics.catalogue_summaries`)."""
        if self._summaries is None and self._catalogue is not None:
            self._summaries = catalogue_summaries(self._catalogue)
            self._catalogue = None
        return None if self._summaries is None else dict(self._summaries)

    @property
    def images(self):
        """The two phase-space images, a float32 array of shape (2, bins, bins)."""
        return self._images

    @property
    def galaxy_parameters(self):
        """Galaxy parameters used (a copy)."""
        return dict(self._galaxy_parameters)

    @property
    def sources(self):
        """Origin of each galaxy parameter."""
        return dict(self._sources)

    @property
    def n_stars(self):
        """Number of usable stars."""
        return self._n_stars

    @property
    def p98(self):
        """98th percentile of ``|v - v_sys|``."""
        return self._p98

    @property
    def meta(self):
        """Provenance metadata."""
        return dict(self._meta)

    @property
    def bins(self):
        """Number of bins along each image axis."""
        return self._images.shape[-1]

    def __repr__(self):
        gp, src = self._galaxy_parameters, self._sources
        return (f"<PhaseSpaceImages: 2 x {self.bins}x{self.bins}, n_stars = {self.n_stars}, "
                f"r_half = {gp['r_half'].to_value(u.kpc):.4g} kpc ({src['r_half']}), "
                f"v_sys = {gp['v_sys'].to_value(u.km / u.s):.4g} km / s ({src['v_sys']}), "
                f"P98 = {self.p98.to_value(u.km / u.s):.4g} km / s>")

    def to_table(self):
        """One-row `~astropy.table.QTable` of the galaxy parameters, star count and P98."""
        row = {"n_stars": [self.n_stars], "p98": [self.p98.value] * self.p98.unit}
        for name, value in self._galaxy_parameters.items():
            if name == "center":
                if value is not None:
                    row["ra_cen"] = [value.icrs.ra.deg] * u.deg
                    row["dec_cen"] = [value.icrs.dec.deg] * u.deg
            elif isinstance(value, u.Quantity):
                row[name] = [value.value] * value.unit
            elif value is not None:
                row[name] = [value]
        return QTable(row, meta={**self._meta, "sources": self.sources})

    def plot(self, axes=None, **kwargs):
        """Show the two images side by side.

        Parameters
        ----------
        axes : sequence of two `~matplotlib.axes.Axes`, optional
            Where to draw; by default a new figure with two panels.
        **kwargs
            Passed to `~matplotlib.axes.Axes.imshow`.

        Returns
        -------
        ndarray of `~matplotlib.axes.Axes`
            The two axes (call ``axes[0].figure.savefig(...)`` to save).
        """
        plt = require("matplotlib.pyplot", "plot")
        if axes is None:
            _, axes = plt.subplots(1, 2, figsize=(9, 4), layout="constrained")
        axes = np.asarray(axes).ravel()
        if axes.size != 2:
            msg = f"argument 'axes' must hold two Axes, got {axes.size}"
            raise ValueError(msg)
        kwargs.setdefault("cmap", "viridis")
        labels = ((r"$x$ [kpc]", r"$y$ [kpc]"),
                  (r"$R / R_{\rm half}$", r"$(v - v_{\rm sys}) / P_{98}$"))
        for ax, image, rng, (xl, yl) in zip(axes, self._images, (POSITION_RANGE, PHASE_RANGE),
                                            labels, strict=True):
            # images[i, j]: i along the horizontal coordinate -> transpose for imshow.
            ax.imshow(image.T, origin="lower", aspect="auto",
                      extent=(*rng[0], *rng[1]), **kwargs)
            ax.set_xlabel(xl)
            ax.set_ylabel(yl)
        axes[0].set_title(f"positions ({self.n_stars} stars)")
        axes[1].set_title("phase space")
        return axes


def phase_space_images(table, *, bins=64, member_threshold=None, **galaxy_parameters):
    """Turn a star catalogue into the two normalised phase-space images of the slope network.

    Parameters
    ----------
    table : `~astropy.table.Table`, `~astropy.table.QTable` or `StarCatalogue`
        Columns ``x``, ``y`` [length] (``x`` east, ``y`` north) or ``ra``, ``dec`` [angle],
        ``v_los`` [speed], optional ``v_err`` [speed] (used when ``v_sys`` is estimated) and
        ``p_member``. See `StarCatalogue.from_table`.
    bins : int
        Number of bins along each image axis (64 in the paper and for the bundled network).
    member_threshold : float, optional
        Keep stars with ``p_member >= member_threshold``; when None, ``p_member`` (if present)
        weights each star in the histograms and in the estimates.
    **galaxy_parameters
        ``center`` (`~astropy.coordinates.SkyCoord`), ``distance`` [length], ``ellipticity``,
        ``position_angle`` [angle, east of north], ``r_half`` [length, circularised projected
        half-light radius], ``v_sys`` [speed]. Each comes from the keyword, else from
        ``table.meta`` (keys ``ra_cen``, ``dec_cen``, ``distance``, ``ellip``, ``pa``,
        ``r_half``, ``v_sys``; see :ref:`kinematics-meta`), else ``r_half`` is fitted as a
        Plummer profile and ``v_sys`` by maximum likelihood (ellipticity and position angle
        default to 0).

    Returns
    -------
    `PhaseSpaceImages`

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from astropy.table import QTable
    >>> from dmprofile.kinematics import phase_space_images
    >>> rng = np.random.default_rng(0)
    >>> t = QTable({"x": rng.normal(0, 0.3, 500) * u.kpc, "y": rng.normal(0, 0.3, 500) * u.kpc,
    ...             "v_los": rng.normal(50, 10, 500) * u.km / u.s})
    >>> ims = phase_space_images(t, r_half=0.35 * u.kpc)
    >>> ims.images.shape, ims.images.dtype
    ((2, 64, 64), dtype('float32'))
    >>> print(ims.sources["r_half"], ims.sources["v_sys"])
    keyword estimated
    """
    bins = int(bins)
    if bins < 2:
        msg = f"argument 'bins' must be >= 2, got {bins}"
        raise ValueError(msg)
    if isinstance(table, StarCatalogue):
        if galaxy_parameters or member_threshold is not None:
            msg = ("galaxy parameters and member_threshold cannot be changed on a parsed "
                   "StarCatalogue")
            raise TypeError(msg)
        cat = table
    else:
        cat = StarCatalogue.from_table(table, member_threshold=member_threshold,
                                       **galaxy_parameters)
    gp = cat.galaxy_parameters
    r_half = gp["r_half"].to_value(u.kpc)
    v_sys = gp["v_sys"].to_value(u.km / u.s)
    images, p98 = _phase_space_arrays(cat.x, cat.y, cat.R, cat.v_los, r_half=r_half, v_sys=v_sys,
                                      weights=cat.weights, bins=bins)
    if images[0].sum() == 0:
        msg = ("no star falls inside the position image (|x|, |y| <= 2 kpc); check the distance "
               "and the units of the positions")
        raise ValueError(msg)
    if images[1].sum() == 0:
        msg = (f"no star lies inside R_half = {r_half:.4g} kpc: the phase-space image is empty; "
               "check r_half")
        warnings.warn(msg, DMProfileWarning, stacklevel=2)
    meta = {"dmprofile_version": __version__, "bins": bins, "member_threshold": member_threshold,
            "weighted": cat.weights is not None, "n_dropped": cat.n_dropped,
            "n_outside_positions": int(np.count_nonzero((np.abs(cat.x) > 2) | (np.abs(cat.y) > 2)))}
    out = PhaseSpaceImages(images, galaxy_parameters=gp, sources=cat.sources,
                           n_stars=cat.n_stars, p98=p98 * (u.km / u.s), meta=meta)
    out._catalogue = cat
    return out
