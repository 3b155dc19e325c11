r"""Two-dimensional tilted-ring fit of an HI velocity field (Begeman 1989, ROTCUR-like).

Each ring of radius R in the disc plane has a rotation speed, inclination i, position angle PA
(east of north, of the receding half of the major axis), centre and systemic velocity; a pixel at
azimuth theta in the disc plane has the line-of-sight velocity

.. math:: v_\mathrm{los} = v_\mathrm{sys} + v_\mathrm{rot}(R) \sin i \cos\theta .

A global fit with an arctan rotation curve gives the starting geometry; then each ring is fitted
with `scipy.optimize.least_squares`, weighting pixels by ``|cos theta|`` and leaving out a wedge
around the minor axis.
"""

import numpy as np
from astropy import units as u
from astropy.table import QTable
from scipy import optimize

from .._utils import as_value
from .._version import __version__
from ._hi_data import velocity_field

__all__ = ["fit_tilted_rings"]

_KMS = u.km / u.s
#: Parameters of a ring, in order: offsets of the centre [arcsec], v_sys [km/s], PA, i [deg],
#: v_rot [km/s].
_NAMES = ("x0", "y0", "v_sys", "pa", "inc", "v_rot")


# ------------------------------------------------------------------ geometry
def _disc_coords(x, y, x0, y0, pa, inc):
    """Disc-plane radius [arcsec] and cos(theta) of sky offsets x (east), y (north)."""
    dx, dy = x - x0, y - y0
    p, i = np.radians(pa), np.radians(inc)
    major = dx * np.sin(p) + dy * np.cos(p)
    minor = (-dx * np.cos(p) + dy * np.sin(p)) / np.cos(i)
    radius = np.hypot(major, minor)
    cos_t = np.where(radius > 0, major / np.where(radius > 0, radius, 1.0), 0.0)
    return radius, cos_t


def _los(x, y, q, v_of_r):
    radius, cos_t = _disc_coords(x, y, q["x0"], q["y0"], q["pa"], q["inc"])
    return q["v_sys"] + v_of_r(radius) * np.sin(np.radians(q["inc"])) * cos_t


class _Problem:
    """Which parameters are free, their start values and bounds."""

    def __init__(self, start, free, extent):
        self.start, self.free = dict(start), list(free)
        self.bounds = {"x0": (-extent, extent), "y0": (-extent, extent),
                       "v_sys": (-1e5, 1e5), "pa": (-720.0, 720.0), "inc": (5.0, 89.0),
                       "v_rot": (0.0, 2000.0), "v_flat": (0.0, 2000.0),
                       "r_t": (1e-3, 10 * extent)}

    def params(self, vec):
        q = dict(self.start)
        q.update(zip(self.free, vec))
        return q

    def x0_bounds(self):
        lo = [self.bounds[n][0] for n in self.free]
        hi = [self.bounds[n][1] for n in self.free]
        x0 = np.clip([self.start[n] for n in self.free], np.array(lo) + 1e-9,
                     np.array(hi) - 1e-9)
        return x0, (lo, hi)


# ------------------------------------------------------------------ global fit
def _global_fit(x, y, v, start, fixed, extent):
    """Arctan rotation curve and one geometry for the whole field: the starting point.

    Position angles every 30 deg are tried on at most 600 pixels (every k-th), the best is
    refined on all pixels.
    """
    free = [n for n in ("x0", "y0", "v_sys", "pa", "inc", "v_flat", "r_t") if n not in fixed]

    def solve(q0, xs, ys, vs):
        prob = _Problem(q0, free, extent)

        def resid(vec):
            q = prob.params(vec)
            curve = lambda r: q["v_flat"] * 2 / np.pi * np.arctan(r / q["r_t"])  # noqa: E731
            return _los(xs, ys, q, curve) - vs

        x0, bounds = prob.x0_bounds()
        res = optimize.least_squares(resid, x0, bounds=bounds, loss="soft_l1", f_scale=20.0,
                                     x_scale="jac")
        return res, prob.params(res.x)

    step = max(1, len(v) // 600)
    sub = (x[::step], y[::step], v[::step])
    pa_starts = [start["pa"]] if "pa" in fixed else np.arange(0.0, 360.0, 30.0)
    trials = [solve({**start, "pa": pa}, *sub) for pa in pa_starts]
    best = min(trials, key=lambda t: t[0].cost)[1]
    q = solve(best, x, y, v)[1]
    q["pa"] = q["pa"] % 360.0
    return q


def _clip(x, y, v, geom, clip):
    """Drop pixels far from the global model (robust sigma clipping)."""
    if clip is None:
        return x, y, v
    curve = lambda r: geom["v_flat"] * 2 / np.pi * np.arctan(r / geom["r_t"])  # noqa: E731
    resid = v - _los(x, y, geom, curve)
    mad = 1.4826 * np.median(np.abs(resid - np.median(resid)))
    keep = np.abs(resid - np.median(resid)) <= float(clip) * max(mad, 1e-6)
    return x[keep], y[keep], v[keep]


# ------------------------------------------------------------------ one ring
def _ring_fit(x, y, v, r_in, r_out, geom, free, prior, opts):
    """Fit one ring; return the parameters, their errors and the pixel count (or None)."""
    q = dict(geom)
    r_mid = 0.5 * (r_in + r_out)
    q["v_rot"] = max(geom["v_flat"] * 2 / np.pi * np.arctan(r_mid / geom["r_t"]), 1.0)
    for _ in range(opts["iterations"]):
        radius, cos_t = _disc_coords(x, y, q["x0"], q["y0"], q["pa"], q["inc"])
        sel = (radius >= r_in) & (radius < r_out) & (np.abs(cos_t) >= opts["min_cos"])
        if np.count_nonzero(sel) < max(opts["min_pixels"], len(free) + 2):
            return None
        xs, ys, vs, w = x[sel], y[sel], v[sel], np.abs(cos_t[sel])
        prob = _Problem(q, free, opts["extent"])
        g = geom["inc"]
        prob.bounds["inc"] = (max(5.0, g - opts["inc_window"]), min(89.0, g + opts["inc_window"]))

        def resid(vec, prob=prob, xs=xs, ys=ys, vs=vs, w=w):
            p = prob.params(vec)
            model = _los(xs, ys, p, lambda r, p=p: p["v_rot"])
            out = np.sqrt(w) * (model - vs) / opts["sigma_v"]
            extra = [(p[n] - geom[n]) / s for n, s in prior.items() if n in prob.free]
            return np.concatenate([out, extra]) if extra else out

        x0, bounds = prob.x0_bounds()
        res = optimize.least_squares(resid, x0, bounds=bounds, loss="soft_l1",
                                     f_scale=opts["f_scale"])
        q = prob.params(res.x)
    dof = max(len(vs) - len(free), 1)
    chi2 = float(np.sum(res.fun[:len(vs)] ** 2))
    try:
        cov = np.linalg.inv(res.jac.T @ res.jac) * max(chi2 / dof, 1.0) * opts["beam_pixels"]
        err = dict(zip(free, np.sqrt(np.clip(np.diag(cov), 0, None))))
    except np.linalg.LinAlgError:
        return None
    return q, err, int(len(vs))


# ------------------------------------------------------------------ arguments
def _offsets(wcs, shape, center):
    """Sky offsets (east, north) [arcsec] of every pixel from ``center``."""
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    coords = wcs.pixel_to_world(xx.ravel(), yy.ravel())
    dlon, dlat = center.spherical_offsets_to(coords.transform_to(center.frame))
    return (dlon.to_value(u.arcsec).reshape(shape), dlat.to_value(u.arcsec).reshape(shape))


def _pixel_scale(wcs):
    from astropy.wcs.utils import proj_plane_pixel_scales

    return float(np.mean(proj_plane_pixel_scales(wcs)) * 3600.0)


def _start_values(x, y, v, center_given, v_sys, inclination, position_angle):
    start = {"x0": 0.0, "y0": 0.0, "v_sys": float(np.median(v)), "pa": 0.0, "inc": 55.0,
             "v_flat": float(np.percentile(np.abs(v - np.median(v)), 95) / 0.8 + 1.0),
             "r_t": float(np.percentile(np.hypot(x, y), 50) / 3 + 1e-3)}
    fixed = set()
    if center_given:
        fixed |= {"x0", "y0"}
    for name, value in (("v_sys", v_sys), ("inc", inclination), ("pa", position_angle)):
        if value is not None:
            start[name] = value
            fixed.add(name)
    return start, fixed


def _check_angles(inclination, position_angle):
    inc = pa = None
    if inclination is not None:
        inc = as_value(inclination, u.deg, "inclination", scalar=True)
        if not 0 < inc < 90:
            msg = f"argument 'inclination' must lie in (0, 90) deg, got {inc} deg"
            raise ValueError(msg)
    if position_angle is not None:
        pa = as_value(position_angle, u.deg, "position_angle", scalar=True) % 360.0
    return inc, pa


def _ring_edges(radii, ring_width, pixel, beam, r_max):
    if radii is not None:
        centres = np.atleast_1d(as_value(radii, u.arcsec, "radii", positive=True))
        if np.any(np.diff(centres) <= 0):
            msg = "argument 'radii' must be strictly increasing"
            raise ValueError(msg)
        width = np.diff(centres).min() if len(centres) > 1 else 2 * centres[0]
        if ring_width is not None:
            width = as_value(ring_width, u.arcsec, "ring_width", scalar=True, positive=True)
        return centres, width
    width = (as_value(ring_width, u.arcsec, "ring_width", scalar=True, positive=True,
                      allow_zero=False)
             if ring_width is not None else max(beam or 0.0, 2.0 * pixel))
    n = int(r_max // width)
    return (np.arange(n) + 0.5) * width, width


def fit_tilted_rings(data, *, distance, distance_err=None, center=None, v_sys=None,
                     inclination=None, position_angle=None, radii=None, ring_width=None,
                     free=("v_rot", "inclination", "position_angle"), geometry_sigma=None,
                     exclude_minor=20 * u.deg, min_pixels=8, clip=5.0, hdu=None):
    r"""Fit tilted rings to an HI velocity field; return a rotation curve with its geometry.

    A global fit (arctan rotation curve, one geometry, robust loss) gives the centre, systemic
    velocity, position angle and inclination; each ring is then fitted on its own pixels
    (selected with the ring's geometry, twice) with `scipy.optimize.least_squares` (robust
    ``soft_l1`` loss with a 15 km/s scale, so that stray pixels do not pull), the pixels
    weighted by ``|cos theta|`` and a wedge of ``exclude_minor`` around the minor axis left
    out; a ring's inclination stays within 20 deg of the global one (a ring seen at low
    inclination can otherwise trade sin i for speed without bound). Rings whose speed is
    uncertain by more than half its value are dropped. Errors come from the Jacobian, scaled by
    the reduced chi^2 and by the number of pixels per beam (neighbouring pixels are not
    independent). Beam smearing is not modelled: inner rings of a poorly resolved galaxy rotate
    too slowly.

    Parameters
    ----------
    data : HDU, `~astropy.io.fits.HDUList`, str, SpectralCube or (Quantity, WCS)
        A velocity field (moment 1) with a celestial WCS and a velocity ``BUNIT`` (m/s or
        km/s), or a cube with a spectral axis, whose moment 1 is taken (`hi_moment_maps`).
    distance : `~astropy.units.Quantity` [length]
        Distance of the galaxy, to convert ring radii to kpc.
    distance_err : `~astropy.units.Quantity` [length], optional
        Its error, recorded in ``meta`` for `fit_rotation_curve`.
    center : `~astropy.coordinates.SkyCoord`, optional
        Kinematic centre (fixed); default: fitted.
    v_sys : `~astropy.units.Quantity` [speed], optional
        Systemic velocity (fixed); default: fitted.
    inclination : `~astropy.units.Quantity` [angle], optional
        Inclination in (0, 90) deg, fixed in the global fit (rings may still vary it if
        ``"inclination"`` is in ``free``); default: fitted.
    position_angle : `~astropy.units.Quantity` [angle], optional
        Position angle of the receding major axis, east of north; default: fitted.
    radii : `~astropy.units.Quantity` [angle], optional
        Ring centres; default: from ``ring_width / 2`` out to the edge of the data.
    ring_width : `~astropy.units.Quantity` [angle], optional
        Ring width (default: the beam major axis ``BMAJ``, or 2 pixels).
    free : sequence of str
        Ring parameters fitted per ring, from ``"v_rot"`` (always), ``"inclination"``,
        ``"position_angle"``, ``"center"`` and ``"v_sys"``; the others stay at the global
        values. ``free=("v_rot",)`` fixes the geometry.
    geometry_sigma : `~astropy.units.Quantity` [angle], optional
        Regularisation: a Gaussian penalty of this width pulling each ring's inclination and
        position angle towards the global values.
    exclude_minor : `~astropy.units.Quantity` [angle]
        Half-opening of the wedge around the minor axis that is left out.
    min_pixels : int
        Rings with fewer pixels are dropped.
    clip : float or None
        Pixels further than ``clip`` robust standard deviations (1.4826 x the median absolute
        deviation) from the global model are left out (stray values of a moment map); None
        keeps all.
    hdu : int or str, optional
        HDU of an HDUList or file (default: the first with data).

    Returns
    -------
    `~astropy.table.QTable`
        One row per ring: ``radius`` [kpc], ``radius_angle`` [arcsec], ``v_rot``, ``v_err``
        [km/s], ``inclination``, ``inclination_err``, ``position_angle``,
        ``position_angle_err`` [deg], ``v_sys`` [km/s], ``ra_center``, ``dec_center`` [deg],
        ``n_pixels``. ``meta``: ``distance``, ``dist_err`` [Mpc], ``inc``, ``inc_err`` [deg]
        (median of the rings and the larger of their spread and median error), ``pa`` [deg],
        ``v_sys`` [km/s], ``galaxy``, ``method`` -- what `fit_rotation_curve` reads.

    Raises
    ------
    ValueError
        For a cube without a spectral axis, a map without a celestial WCS, an inclination
        outside (0, 90) deg, unknown ``free`` names or too few valid pixels.
    astropy.units.UnitTypeError
        For a map whose ``BUNIT`` is not a velocity.

    Examples
    --------
    See :doc:`/classical_discs` (fits of a synthetic field and of NGC 2903's WHISP cube).
    """
    vel, wcs, header = velocity_field(data, hdu)
    dist = as_value(distance, u.Mpc, "distance", scalar=True, positive=True, allow_zero=False)
    d_err = (None if distance_err is None
             else as_value(distance_err, u.Mpc, "distance_err", scalar=True, positive=True))
    inc, pa = _check_angles(inclination, position_angle)
    vsys = None if v_sys is None else as_value(v_sys, _KMS, "v_sys", scalar=True)
    free_map = {"v_rot": ["v_rot"], "inclination": ["inc"], "position_angle": ["pa"],
                "center": ["x0", "y0"], "v_sys": ["v_sys"]}
    unknown = set(free) - set(free_map)
    if unknown:
        msg = f"argument 'free' has unknown names {sorted(unknown)}; choose from {list(free_map)}"
        raise ValueError(msg)
    ring_free = [n for key in ("v_rot", *free) for n in free_map[key]]
    ring_free = list(dict.fromkeys(ring_free))
    valid = np.isfinite(vel)
    if np.count_nonzero(valid) < 20:
        msg = f"argument 'data' has only {np.count_nonzero(valid)} valid pixels (need >= 20)"
        raise ValueError(msg)
    if center is None:
        yy, xx = np.nonzero(valid)
        center0 = wcs.pixel_to_world(np.mean(xx), np.mean(yy))
    else:
        center0 = center
    x, y = _offsets(wcs, vel.shape, center0)
    x, y, v = x[valid], y[valid], vel[valid]
    pixel = _pixel_scale(wcs)
    extent = float(np.max(np.hypot(x, y)))
    start, fixed = _start_values(x, y, v, center is not None, vsys, inc, pa)
    geom = _global_fit(x, y, v, start, fixed, extent)
    x, y, v = _clip(x, y, v, geom, clip)
    beam = float(header["BMAJ"]) * 3600.0 if "BMAJ" in header else None
    beam_min = float(header["BMIN"]) * 3600.0 if "BMIN" in header else beam
    beam_pixels = (1.1331 * beam * beam_min / pixel**2) if beam else 1.0
    r_max = np.max(_disc_coords(x, y, geom["x0"], geom["y0"], geom["pa"], geom["inc"])[0])
    centres, width = _ring_edges(radii, ring_width, pixel, beam, r_max)
    prior = {}
    if geometry_sigma is not None:
        s = as_value(geometry_sigma, u.deg, "geometry_sigma", scalar=True, positive=True,
                     allow_zero=False)
        prior = {"inc": s, "pa": s}
    opts = {"iterations": 2, "min_cos": np.sin(np.radians(as_value(exclude_minor, u.deg,
                                                                   "exclude_minor",
                                                                   scalar=True))),
            "min_pixels": int(min_pixels), "sigma_v": 1.0, "extent": extent,
            "beam_pixels": beam_pixels, "f_scale": 15.0, "inc_window": 20.0}
    rows = []
    for rc in centres:
        out = _ring_fit(x, y, v, rc - width / 2, rc + width / 2, geom, ring_free, prior, opts)
        # drop failed rings: no solution, or a speed no better known than to a factor 2
        if out is not None and 0 < out[0]["v_rot"] < 1990.0 and (
                out[1].get("v_rot", 0.0) < 0.5 * out[0]["v_rot"]):
            rows.append((rc, *out))
    if len(rows) < 1:
        msg = "no ring could be fitted: check the velocity field, the centre and ring_width"
        raise ValueError(msg)
    return _table(rows, center0, dist, d_err, geom, header)


def _table(rows, center0, dist, d_err, geom, header):
    kpc_per_arcsec = dist * 1000.0 * np.pi / (180.0 * 3600.0)
    t = QTable()
    rc = np.array([r[0] for r in rows])
    q = [r[1] for r in rows]
    e = [r[2] for r in rows]
    t["radius"] = rc * kpc_per_arcsec * u.kpc
    t["radius_angle"] = rc * u.arcsec
    t["v_rot"] = np.array([p["v_rot"] for p in q]) * _KMS
    t["v_err"] = np.array([max(err.get("v_rot", 0.0), 1e-3) for err in e]) * _KMS
    t["inclination"] = np.array([p["inc"] for p in q]) * u.deg
    t["inclination_err"] = np.array([err.get("inc", 0.0) for err in e]) * u.deg
    t["position_angle"] = np.array([p["pa"] % 360.0 for p in q]) * u.deg
    t["position_angle_err"] = np.array([err.get("pa", 0.0) for err in e]) * u.deg
    t["v_sys"] = np.array([p["v_sys"] for p in q]) * _KMS
    centres = [center0.spherical_offsets_by(p["x0"] * u.arcsec, p["y0"] * u.arcsec) for p in q]
    t["ra_center"] = np.array([c.spherical.lon.deg for c in centres]) * u.deg
    t["dec_center"] = np.array([c.spherical.lat.deg for c in centres]) * u.deg
    t["n_pixels"] = np.array([r[3] for r in rows])
    inc = t["inclination"].to_value(u.deg)
    inc_err = max(float(np.std(inc)), float(np.median(t["inclination_err"].value)), 1.0)
    t.meta.update({"distance": dist, "inc": float(np.median(inc)), "inc_err": inc_err,
                   "pa": float(np.median(t["position_angle"].value)),
                   "v_sys": float(geom["v_sys"]),
                   "galaxy": str(header.get("OBJECT", "")).strip(), "method": "tilted_rings",
                   "dmp_ver": __version__})
    if d_err is not None:
        t.meta["dist_err"] = d_err
    return t
