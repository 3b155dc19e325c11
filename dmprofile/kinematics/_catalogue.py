"""The single parser of star catalogues: columns, units, membership, galaxy parameters, projection.

Galaxy parameters are looked up, in this order, in the keyword arguments, in ``table.meta`` and,
for ``r_half`` and ``v_sys`` only, estimated from the stars. ``table.meta`` keys are matched
case-insensitively (a FITS round trip upper-cases them) and may hold plain numbers in the
documented unit or `~astropy.units.Quantity` objects:

==================  =========================  ======  ====================================
parameter           ``table.meta`` keys        unit    meaning
==================  =========================  ======  ====================================
``center``          ``ra_cen``, ``dec_cen``    deg     ICRS centre
``distance``        ``distance``               kpc     heliocentric distance
``ellipticity``     ``ellip``                  --      1 - b/a
``position_angle``  ``pa``                     deg     major axis, east of north
``r_half``          ``r_half``                 kpc     circularised projected half-light
                                                       radius
``v_sys``           ``v_sys``                  km / s  systemic line-of-sight velocity
==================  =========================  ======  ====================================

The long names ``ra_center``, ``dec_center``, ``ellipticity`` and ``position_angle`` are
accepted as aliases (a ``ValueError`` is raised when an alias and the short key disagree).

The short key names fit in standard 8-character FITS keywords, so ``table.write("x.fits")``
stores them without ``HIERARCH`` warnings.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
from astropy import units as u
from astropy.table import Table

from .._utils import LENGTH, VELOCITY, as_dimensionless, as_value, column_values, unit_scale
from ..exceptions import DMProfileWarning
from ._estimate import _ml_plummer, _ml_velocity

__all__ = ["StarCatalogue", "elliptical_radius", "GALAXY_PARAMETERS", "META_KEYS"]

#: Names of the galaxy parameters accepted as keyword arguments.
GALAXY_PARAMETERS = ("center", "distance", "ellipticity", "position_angle", "r_half", "v_sys")

#: ``table.meta`` keys (canonical first, then aliases) and their units for plain numbers.
META_KEYS = {
    "ra_cen": (("ra_cen", "ra_center"), u.deg),
    "dec_cen": (("dec_cen", "dec_center"), u.deg),
    "distance": (("distance",), u.kpc),
    "ellipticity": (("ellip", "ellipticity"), u.dimensionless_unscaled),
    "position_angle": (("pa", "position_angle"), u.deg),
    "r_half": (("r_half",), u.kpc),
    "v_sys": (("v_sys",), u.km / u.s),
}

#: Minimum number of usable stars.
MIN_STARS = 20


def _meta_lookup(meta, name):
    """Return (value as Quantity/float, key found) for a galaxy parameter, or (None, None)."""
    keys, unit = META_KEYS[name]
    lower = {str(k).lower(): k for k in meta}
    found = [(lower[k], meta[lower[k]]) for k in keys if k in lower]
    if not found:
        return None, None
    key, value = found[0]
    for other_key, other in found[1:]:
        if not np.all(np.asarray(u.Quantity(other, unit)) == np.asarray(u.Quantity(value, unit))):
            msg = (f"table.meta has conflicting values for {name}: {key!r} = {value!r} and "
                   f"{other_key!r} = {other!r}")
            raise ValueError(msg)
    where = f"table.meta[{key!r}]"
    if isinstance(value, u.Quantity):
        value = value.value * unit_scale(value.unit, unit, where) * unit
    elif isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        msg = (f"{where} must be a number (in {unit}) or a Quantity, "
               f"got {type(value).__name__} {value!r}")
        raise TypeError(msg)
    else:
        value = float(value) * unit
    if not np.isfinite(value.value):
        msg = f"{where} must be finite, got {value!r}"
        raise ValueError(msg)
    return value, where


def _project(ra, dec, center, distance):
    """Gnomonic (tangent-plane) projection about ``center``; returns x (east), y (north) in kpc."""
    icrs = center.icrs
    a0, d0 = icrs.ra.rad, icrs.dec.rad
    ra = np.deg2rad(ra)
    dec = np.deg2rad(dec)
    dra = ra - a0
    cos_c = np.sin(d0) * np.sin(dec) + np.cos(d0) * np.cos(dec) * np.cos(dra)
    if np.any(cos_c[np.isfinite(cos_c)] <= 0):
        msg = ("some stars lie more than 90 deg from the centre: cannot project them on the "
               "tangent plane")
        raise ValueError(msg)
    xi = np.cos(dec) * np.sin(dra) / cos_c
    eta = (np.cos(d0) * np.sin(dec) - np.sin(d0) * np.cos(dec) * np.cos(dra)) / cos_c
    return distance * xi, distance * eta


def elliptical_radius(x, y, ellipticity, position_angle):
    """Return the circularised elliptical radius sqrt((1-e) X^2 + Y^2/(1-e)).

    X is along the major axis, Y along the minor axis.

    Parameters
    ----------
    x, y : array-like
        Projected positions; ``x`` points east, ``y`` north.
    ellipticity : float
        The ellipticity e = 1 - b / a.
    position_angle : float
        The position angle of the major axis [rad], east of north.

    Returns
    -------
    ndarray
        The radius, in the units of ``x`` and ``y``.
    """
    s, c = np.sin(position_angle), np.cos(position_angle)
    major = x * s + y * c
    minor = x * c - y * s
    q = 1.0 - ellipticity
    return np.sqrt(q * major**2 + minor**2 / q)


@dataclass(frozen=True, repr=False)
class StarCatalogue:
    """A parsed, validated star catalogue in the internal units (kpc, km/s).

    Build it with `StarCatalogue.from_table`. Attributes hold plain float arrays; the galaxy
    parameters are Quantities (``center`` and ``distance`` are None for tables given in
    projected ``x``, ``y``). The parameters are also the attributes.

    Parameters
    ----------
    x, y : ndarray
        Projected positions [kpc]; ``x`` towards the east, ``y`` towards the north.
    R : ndarray
        Circularised elliptical radius [kpc].
    v_los : ndarray
        Line-of-sight velocities [km/s].
    v_err : ndarray or None
        Velocity errors [km/s].
    weights : ndarray or None
        Membership weights (``p_member`` when no threshold is applied), else None.
    galaxy_parameters : dict
        ``center``, ``distance``, ``ellipticity``, ``position_angle``, ``r_half``, ``v_sys``
        (and ``sigma_los`` when ``v_sys`` was estimated).
    sources : dict
        For each galaxy parameter: ``"keyword"``, ``"meta"``, ``"estimated"`` or ``"default"``.
    n_dropped : int
        Rows dropped for non-finite or masked values.
    """

    x: np.ndarray
    y: np.ndarray
    R: np.ndarray
    v_los: np.ndarray
    v_err: np.ndarray | None
    weights: np.ndarray | None
    galaxy_parameters: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    n_dropped: int = 0

    @property
    def n_stars(self):
        """Number of usable stars."""
        return int(self.x.size)

    def __repr__(self):
        gp = self.galaxy_parameters
        return (f"<StarCatalogue: {self.n_stars} stars, r_half = {gp['r_half']:.4g} "
                f"({self.sources['r_half']}), v_sys = {gp['v_sys']:.4g} ({self.sources['v_sys']})>")

    @classmethod
    def from_table(cls, table, *, member_threshold=None, **galaxy_parameters):
        """Parse and validate a star catalogue.

        Parameters
        ----------
        table : `~astropy.table.Table` or `~astropy.table.QTable`
            Columns ``x``, ``y`` [length] or ``ra``, ``dec`` [angle] (``x``, ``y`` win when
            both are present), ``v_los`` [speed], optional ``v_err`` [speed] and ``p_member``
            (membership probability in [0, 1]).
        member_threshold : float, optional
            Keep stars with ``p_member >= member_threshold``. When None and the table has a
            ``p_member`` column, the probabilities are used as weights instead.
        **galaxy_parameters
            ``center`` (`~astropy.coordinates.SkyCoord`), ``distance`` [length],
            ``ellipticity``, ``position_angle`` [angle], ``r_half`` [length], ``v_sys``
            [speed]. Override ``table.meta``.

        Raises
        ------
        KeyError
            If a required column is missing.
        astropy.units.UnitTypeError
            If a column has no unit or the wrong physical type.
        ValueError
            Fewer than 20 usable stars, all velocities equal, non-positive distance or
            half-light radius, missing centre/distance for a sky catalogue.
        """
        if not isinstance(table, Table):
            msg = f"argument 'table' must be an astropy Table or QTable, got {type(table).__name__}"
            raise TypeError(msg)
        unknown = sorted(set(galaxy_parameters) - set(GALAXY_PARAMETERS))
        if unknown:
            msg = (f"unexpected galaxy parameter(s) {unknown}; expected some of "
                   f"{list(GALAXY_PARAMETERS)}")
            raise TypeError(msg)
        kw = {k: v for k, v in galaxy_parameters.items() if v is not None}
        kind, cols = _read_columns(table)
        cols, weights, n_dropped = _select_stars(cols, member_threshold)
        resolver = _Resolver(kw, table.meta or {})
        params = _geometry(resolver, kind)
        if kind == "sky":
            x, y = _project(cols["p1"], cols["p2"], params["center"],
                            params["distance"].to_value(u.kpc))
        else:
            x, y = cols["p1"], cols["p2"]
        R = elliptical_radius(x, y, params["ellipticity"],
                              params["position_angle"].to_value(u.rad))
        _check_spread(R, kind, estimate="r_half" not in kw and
                      _meta_lookup(table.meta or {}, "r_half")[0] is None)
        params.update(_r_half_v_sys(resolver, R, cols["v"], cols["e"], weights))
        for k in ("center", "distance"):
            resolver.sources.setdefault(k, "none")
        order = (*GALAXY_PARAMETERS, "sigma_los")
        params = {k: params[k] for k in order if k in params}
        sources = {k: resolver.sources[k] for k in GALAXY_PARAMETERS}
        for arr in (x, y, R, cols["v"], cols["e"], weights):
            if arr is not None:
                arr.setflags(write=False)
        return cls(x=x, y=y, R=R, v_los=cols["v"], v_err=cols["e"], weights=weights,
                   galaxy_parameters=params, sources=sources, n_dropped=n_dropped)


def _read_columns(table):
    """Return the kind of positions ("xy" or "sky") and the columns in internal units."""
    names = set(table.colnames)
    if {"x", "y"} <= names:
        kind = "xy"
    elif {"ra", "dec"} <= names:
        kind = "sky"
    else:
        msg = ("table must have projected positions 'x', 'y' [length] or sky positions "
               f"'ra', 'dec' [angle]; found columns {table.colnames}")
        raise KeyError(msg)
    if "v_los" not in names:
        msg = ("table has no column 'v_los' (line-of-sight velocity); "
               f"found columns {table.colnames}")
        raise KeyError(msg)
    if kind == "xy":
        p1, p2 = column_values(table, "x", LENGTH), column_values(table, "y", LENGTH)
    else:
        p1, p2 = column_values(table, "ra", u.deg), column_values(table, "dec", u.deg)
    return kind, {"p1": p1, "p2": p2, "v": column_values(table, "v_los", VELOCITY),
                  "e": column_values(table, "v_err", VELOCITY, required=False),
                  "p": column_values(table, "p_member", u.dimensionless_unscaled,
                                     required=False)}


def _select_stars(cols, member_threshold):
    """Drop non-finite rows and non-members; returns the kept columns, weights, rows dropped."""
    e, p = cols["e"], cols["p"]
    finite = np.isfinite(cols["p1"]) & np.isfinite(cols["p2"]) & np.isfinite(cols["v"])
    for arr in (e, p):
        if arr is not None:
            finite &= np.isfinite(arr)
    n_dropped = int(np.count_nonzero(~finite))
    if n_dropped:
        msg = f"dropped {n_dropped} of {len(finite)} rows with NaN, inf or masked values"
        warnings.warn(msg, DMProfileWarning, stacklevel=4)
    if e is not None and np.any(e[finite] < 0):
        msg = "column 'v_err' must be >= 0"
        raise ValueError(msg)
    if p is not None and np.any((p[finite] < 0) | (p[finite] > 1)):
        msg = "column 'p_member' must hold probabilities in [0, 1]"
        raise ValueError(msg)

    keep = finite.copy()
    weights = None
    if member_threshold is not None:
        thr = as_dimensionless(member_threshold, "member_threshold")
        if not 0 <= thr <= 1:
            msg = f"argument 'member_threshold' must be in [0, 1], got {thr}"
            raise ValueError(msg)
        if p is None:
            msg = "member_threshold was given but the table has no 'p_member' column"
            raise ValueError(msg)
        keep &= np.where(finite, p, -1.0) >= thr
    elif p is not None:
        keep &= np.where(finite, p, 0.0) > 0
        weights = p[keep]
    n = int(np.count_nonzero(keep))
    if n < MIN_STARS:
        msg = (f"only {n} usable stars (finite values, members) out of {len(keep)}; "
               f"at least {MIN_STARS} are needed")
        raise ValueError(msg)
    kept = {k: cols[k][keep] for k in ("p1", "p2", "v")}
    kept["e"] = None if e is None else e[keep]
    if np.ptp(kept["v"]) == 0:
        msg = f"all {n} line-of-sight velocities are equal ({kept['v'][0]:g} km/s)"
        raise ValueError(msg)
    return kept, weights, n_dropped


def _check_spread(R, kind, *, estimate):
    """Refuse (or, with r_half given, warn about) stars all at one radius: point or ring."""
    scale = max(float(np.max(R)), 1e-300)
    if np.ptp(R) > 1e-9 * scale:
        return
    cols = "'x', 'y'" if kind == "xy" else "'ra', 'dec' (and the centre)"
    msg = (f"all {R.size} stars lie at the same projected radius R = {R[0]:.4g} kpc from "
           f"the centre (one point or one ring): the positions carry no radial information; "
           f"check the columns {cols}")
    if estimate:
        raise ValueError(msg + " (r_half cannot be estimated from them)")
    warnings.warn(msg, DMProfileWarning, stacklevel=4)


class _Resolver:
    """Galaxy parameters from keywords (first) or ``table.meta``, recording where each came from."""

    def __init__(self, keywords, meta):
        self.keywords, self.meta, self.sources = keywords, meta, {}

    def __call__(self, name, check):
        if name in self.keywords:
            self.sources[name] = "keyword"
            return check(self.keywords[name], name)
        value, where = _meta_lookup(self.meta, name)
        if value is None:
            return None
        self.sources[name] = "meta"
        return check(value, where)

    def center(self):
        from astropy.coordinates import SkyCoord  # lazily: astropy.coordinates is slow to import

        if "center" in self.keywords:
            center = self.keywords["center"]
            if not isinstance(center, SkyCoord) or not center.isscalar:
                msg = f"argument 'center' must be a scalar SkyCoord, got {type(center).__name__}"
                raise TypeError(msg)
            self.sources["center"] = "keyword"
            return center
        ra0, _ = _meta_lookup(self.meta, "ra_cen")
        dec0, _ = _meta_lookup(self.meta, "dec_cen")
        if (ra0 is None) != (dec0 is None):
            msg = "table.meta must hold both 'ra_cen' and 'dec_cen' [deg] (or neither)"
            raise ValueError(msg)
        if ra0 is None:
            return None
        self.sources["center"] = "meta"
        return SkyCoord(ra0, dec0, frame="icrs")


def _length(value, name):
    kpc = as_value(value, LENGTH, name, scalar=True, positive=True, allow_zero=False)
    return kpc * u.kpc


def _geometry(resolve, kind):
    """Distance, centre, ellipticity and position angle of the galaxy."""
    params = {"distance": resolve("distance", _length), "center": resolve.center()}
    ell = resolve("ellipticity", lambda v, n: as_dimensionless(v, n))
    if ell is None:
        ell, resolve.sources["ellipticity"] = 0.0, "default"
    if not 0 <= ell < 1:
        msg = f"ellipticity must be in [0, 1), got {ell}"
        raise ValueError(msg)
    pa = resolve("position_angle", lambda v, n: as_value(v, u.deg, n, scalar=True) * u.deg)
    if pa is None:
        pa, resolve.sources["position_angle"] = 0.0 * u.deg, "default"
    params["ellipticity"] = ell
    params["position_angle"] = pa
    if kind == "sky":
        missing = [k for k in ("center", "distance") if params[k] is None]
        if missing:
            msg = (f"a catalogue with 'ra', 'dec' needs the galaxy {' and '.join(missing)}: "
                   "pass center=SkyCoord(...) and distance=... or set table.meta['ra_cen'], "
                   "['dec_cen'] [deg] and ['distance'] [kpc]")
            raise ValueError(msg)
    return params


def _r_half_v_sys(resolve, R, v, e, weights):
    """Half-light radius and systemic velocity: given, or maximum-likelihood estimates."""
    n = R.size
    w = np.ones(n) if weights is None else weights
    params = {}
    r_half = resolve("r_half", _length)
    if r_half is None:
        a, _ = _ml_plummer(R, w, float(R.max()))
        r_half, resolve.sources["r_half"] = a * u.kpc, "estimated"
    params["r_half"] = r_half
    v_sys = resolve("v_sys", lambda v, n: as_value(v, VELOCITY, n, scalar=True) * VELOCITY)
    if v_sys is None:
        e2 = np.zeros(n) if e is None else e**2
        mu, _, sig, _ = _ml_velocity(v, e2, w)
        v_sys, resolve.sources["v_sys"] = mu * VELOCITY, "estimated"
        params["sigma_los"] = sig * VELOCITY
    params["v_sys"] = v_sys
    return params
