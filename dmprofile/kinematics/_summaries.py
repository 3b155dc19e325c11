"""Catalogue summaries: the numbers the slope network's input depends on, and their ranges.

The phase-space images hide the scales of the catalogue (they are normalised histograms), so a
catalogue in the wrong units or with a wrong systemic velocity still gives images of the right
shape. `catalogue_summaries` measures the scales and ratios that decide what the images look
like; a model card records their range over the training suite (`summary_ranges`), and
`check_summaries` warns when an input lies outside it. The network (`dmprofile.infer_slope`)
and the Jeans analysis check the same summaries, against the ranges of the bundled model
(`default_summary_ranges`).
"""

import json
import warnings
from importlib import resources

import numpy as np

from ..exceptions import DMProfileWarning
from ._catalogue import StarCatalogue

__all__ = ["catalogue_summaries", "summary_ranges", "check_summaries", "default_summary_ranges",
           "SUMMARIES", "MARGINS"]

#: The summaries: key -> (description, unit). Ratios are dimensionless (unit "").
SUMMARIES = {
    "n_stars": ("star count", ""),
    "r_half": ("half-light radius r_half", "kpc"),
    "p98": ("velocity scale P98 (98th percentile of |v - v_sys|)", "km / s"),
    "spread_r_half": ("spread of the stars relative to r_half (median R / r_half)", ""),
    "v_offset_sigma": ("mean velocity offset relative to the dispersion "
                       "((mean v - v_sys) / sigma_v)", ""),
    "v_err_sigma": ("velocity errors relative to the dispersion (median v_err / sigma_v)", ""),
}

#: Margins of `check_summaries` for the three ratios: ("factor", f) accepts [min / f, max * f],
#: ("add", a) accepts [min - a, max + a]. Real spectroscopic samples select stars differently
#: from the mocks (the MMFS fields of Sextans reach a median radius of 0.6 r_half, the mocks at
#: least about 0.8), while the mistakes the check is for (radians labelled degrees, a wrong
#: distance, v_sys off by many sigma, errors in the wrong units) change them by far more.
#: The star count, r_half and P98 are checked against the training range itself.
MARGINS = {"spread_r_half": ("factor", 1.5), "v_offset_sigma": ("add", 0.5),
           "v_err_sigma": ("factor", 2.0)}

#: File of the training ranges of the bundled model, in ``dmprofile/data``.
DEFAULT_RANGES_FILE = "slope_default_summary_ranges.json"


def _weighted_quantile(values, weights, q):
    """Quantile ``q`` (0..1) of ``values`` with optional weights (mid-point CDF)."""
    if weights is None:
        return float(np.quantile(values, q))
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cdf, v))


def _from_catalogue(cat):
    """Compute the summaries of a parsed `StarCatalogue`."""
    gp = cat.galaxy_parameters
    r_half = float(gp["r_half"].to_value("kpc"))
    v_sys = float(gp["v_sys"].to_value("km / s"))
    w = cat.weights
    mean_v = float(np.average(cat.v_los, weights=w))
    sigma = float(np.sqrt(np.average((cat.v_los - mean_v) ** 2, weights=w)))
    dv = np.abs(cat.v_los - v_sys)
    out = {"n_stars": float(cat.n_stars), "r_half": r_half,
           "p98": _weighted_quantile(dv, w, 0.98),
           "spread_r_half": _weighted_quantile(cat.R, w, 0.5) / r_half,
           "v_offset_sigma": (mean_v - v_sys) / sigma if sigma > 0 else float("inf")}
    if cat.v_err is not None:
        err = _weighted_quantile(cat.v_err, w, 0.5)
        out["v_err_sigma"] = err / sigma if sigma > 0 else float("inf")
    return out


def catalogue_summaries(data, **galaxy_parameters):
    """Measure the summaries of a star catalogue that the slope network's input depends on.

    The phase-space images are normalised, so these numbers are what tells a catalogue in
    the wrong units (km/s values labelled m/s, radians labelled degrees) or with a wrong
    systemic velocity from a sound one. They are the keys of `SUMMARIES`: ``n_stars``;
    ``r_half`` [kpc]; ``p98`` [km/s], the 98th percentile of ``|v - v_sys|``;
    ``spread_r_half``, the median projected (circularised) radius over ``r_half`` (close to 1
    for a Plummer sample); ``v_offset_sigma``, ``(mean v - v_sys) / sigma_v``; and
    ``v_err_sigma``, the median velocity error over ``sigma_v`` (absent without ``v_err``).
    ``sigma_v`` is the standard deviation of the velocities; membership weights are used
    as in the images.

    Parameters
    ----------
    data : `~astropy.table.Table`, `StarCatalogue` or `PhaseSpaceImages`
        A star catalogue (parsed with `StarCatalogue.from_table`), a parsed catalogue, or the
        images made by `phase_space_images` (which carry the summaries of their catalogue).
    **galaxy_parameters
        For a table only: ``member_threshold`` and the galaxy parameters of
        `StarCatalogue.from_table`.

    Returns
    -------
    dict
        Summary name -> float, in the units of `SUMMARIES`.

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from astropy.table import QTable
    >>> from dmprofile.kinematics import catalogue_summaries
    >>> rng = np.random.default_rng(0)
    >>> t = QTable({"x": rng.normal(0, 0.3, 500) * u.kpc, "y": rng.normal(0, 0.3, 500) * u.kpc,
    ...             "v_los": rng.normal(50, 10, 500) * u.km / u.s})
    >>> s = catalogue_summaries(t, r_half=0.35 * u.kpc, v_sys=50 * u.km / u.s)
    >>> sorted(s)
    ['n_stars', 'p98', 'r_half', 'spread_r_half', 'v_offset_sigma']
    >>> round(s["p98"])
    23
    """
    summaries = getattr(data, "summaries", None)
    if summaries is not None and not isinstance(data, StarCatalogue):
        if galaxy_parameters:
            msg = "galaxy parameters cannot be given with phase-space images"
            raise TypeError(msg)
        return dict(summaries)
    if isinstance(data, StarCatalogue):
        if galaxy_parameters:
            msg = "galaxy parameters cannot be changed on a parsed StarCatalogue"
            raise TypeError(msg)
        return _from_catalogue(data)
    return _from_catalogue(StarCatalogue.from_table(data, **galaxy_parameters))


def summary_ranges(summaries):
    """Range of each summary over many catalogues (the ``training_ranges`` of a model card).

    Parameters
    ----------
    summaries : sequence of dict
        The outputs of `catalogue_summaries`, one per catalogue (e.g. per training mock).

    Returns
    -------
    dict
        Summary name -> ``{"min", "max", "p01", "p99", "n", "unit", "description"}`` over the
        finite values (names without any finite value are left out).
    """
    ranges = {}
    for key, (description, unit) in SUMMARIES.items():
        values = np.array([s[key] for s in summaries if key in s], dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        ranges[key] = {"min": float(values.min()), "max": float(values.max()),
                       "p01": float(np.percentile(values, 1)),
                       "p99": float(np.percentile(values, 99)), "n": int(values.size),
                       "unit": unit, "description": description}
    return ranges


def check_summaries(summaries, ranges, *, stacklevel=2, method="network"):
    """Warn for each summary outside its range: the method then extrapolates.

    The star count, ``r_half`` and P98 are checked against the range itself, the three ratios
    against the range widened by `MARGINS` (real samples select stars differently from the
    training mocks; unit and frame mistakes move the ratios much further).

    Parameters
    ----------
    summaries : dict
        Summary name -> value, from `catalogue_summaries`.
    ranges : dict
        Summary name -> dict with ``min`` and ``max`` (and optionally ``unit``), e.g. the
        ``training_ranges`` of a model card or `default_summary_ranges`. Names missing from
        either side are skipped.
    stacklevel : int
        Passed to `warnings.warn` (2 points at the caller of `check_summaries`).
    method : {"network", "catalogue"}
        The wording of the warning: ``"network"`` when the network analyses the catalogue
        (it extrapolates), ``"catalogue"`` when another method (the Jeans analysis) checks
        the catalogue against the mocks the bundled network was trained on.

    Returns
    -------
    list of str
        The summaries outside their range.

    Warns
    -----
    DMProfileWarning
        One per summary outside its range, naming it, with its value and the range.

    Examples
    --------
    >>> from dmprofile.kinematics import check_summaries
    >>> check_summaries({"p98": 20.0}, {"p98": {"min": 5.0, "max": 80.0, "unit": "km / s"}})
    []
    """
    if method not in _CONSEQUENCES:
        msg = f"argument 'method' must be 'network' or 'catalogue', got {method!r}"
        raise ValueError(msg)
    outside = []
    for key, value in summaries.items():
        rng = ranges.get(key)
        if rng is None or value is None or key not in SUMMARIES:
            continue
        low, high = float(rng["min"]), float(rng["max"])
        value = float(value)
        accept_low, accept_high, margin = _accepted(key, low, high)
        if accept_low <= value <= accept_high:
            continue
        outside.append(key)
        unit = rng.get("unit") or SUMMARIES[key][1]
        unit = f" {unit}" if unit else ""
        msg = (f"{key} = {value:.4g}{unit} ({SUMMARIES[key][0]}) lies outside the training "
               f"range [{low:.4g}, {high:.4g}]{unit} of the slope network{margin}: "
               f"{_CONSEQUENCES[method]}; {_HINTS[key]}")
        warnings.warn(msg, DMProfileWarning, stacklevel=stacklevel + 1)
    return outside


def _accepted(key, low, high):
    """Return the accepted interval of a summary (range widened by `MARGINS`), its wording."""
    kind, size = MARGINS.get(key, (None, None))
    if kind == "factor":
        return low / size, high * size, f" (even widened by a factor {size:g})"
    if kind == "add":
        return low - size, high + size, f" (even widened by {size:g})"
    return low, high, ""


_CONSEQUENCES = {
    "network": "the network extrapolates and its posterior may be unreliable",
    "catalogue": ("an unusual value for a dwarf spheroidal, often the sign of a unit or "
                  "reference-frame mistake"),
}

_HINTS = {
    "n_stars": "check the membership selection",
    "r_half": "check r_half and the units (or distance) of the positions",
    "p98": "check the units of v_los and v_sys",
    "spread_r_half": "check r_half and the units (or distance) of the positions",
    "v_offset_sigma": "check v_sys (same frame and units as v_los)",
    "v_err_sigma": "check the units of v_err and v_los",
}


def default_summary_ranges():
    """Return the training ranges of the bundled slope model (read without TensorFlow).

    Returns
    -------
    dict
        Summary name -> range, as in `summary_ranges` (empty if the file is missing).

    Examples
    --------
    >>> from dmprofile.kinematics import default_summary_ranges
    >>> sorted(default_summary_ranges())[:3]
    ['n_stars', 'p98', 'r_half']
    """
    path = resources.files("dmprofile").joinpath("data", DEFAULT_RANGES_FILE)
    if not path.is_file():
        return {}
    doc = json.loads(path.read_text())
    return dict(doc.get("training_ranges", {}))
