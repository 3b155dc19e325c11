"""Place the particles of a disc galaxy on the sky: orientation, distance, WCS of the network grid.

Conventions (shared by `sdss_images` and `hi_cube`): the galaxy frame has its rotation axis
along ``+z``. The disc is first inclined about its ``x`` axis by the inclination ``i`` (0 is
face-on, 90 deg edge-on), then turned on the sky so that the major axis on the side of the
galaxy's ``+x`` axis (the receding side of a disc rotating counter-clockwise about ``+z``) lies
at the position angle ``PA``, measured from north through east. Sky-plane offsets are ``x``
(east) and ``y`` (north); ``z`` points away from the observer, so ``v_los > 0`` recedes.
"""

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import QTable
from astropy.wcs import WCS

from .._utils import LENGTH, VELOCITY, as_value, column_values

__all__ = ["DEFAULT_CENTRE", "HUBBLE_CONSTANT", "sky_projection", "celestial_wcs"]

#: Default sky centre of mock observations (an arbitrary point; only the WCS depends on it).
DEFAULT_CENTRE = SkyCoord(ra=150.0 * u.deg, dec=30.0 * u.deg, frame="icrs")
#: Hubble constant of the default systemic velocity, ``H0 * distance`` (MARTINI's h = 0.7).
HUBBLE_CONSTANT = 70.0 * u.km / u.s / u.Mpc

_ANGLE = u.deg


def check_particles(particles, kind, *, name="particles"):
    """Return the ``stars`` or ``gas`` QTable of a particle container (duck typing)."""
    table = getattr(particles, kind, None)
    if table is None or not hasattr(table, "colnames"):
        msg = (f"argument '{name}' must have a '.{kind}' table (e.g. "
               f"dmprofile.simulate.GalaxyParticles), got {type(particles).__name__}")
        raise TypeError(msg)
    return table


def check_centre(centre):
    """Return ``centre`` (a SkyCoord, default `DEFAULT_CENTRE`) in ICRS."""
    if centre is None:
        return DEFAULT_CENTRE
    if not isinstance(centre, SkyCoord) or not centre.isscalar:
        msg = f"argument 'centre' must be a scalar SkyCoord, got {centre!r}"
        raise TypeError(msg)
    return centre.icrs


def orientation(inclination, position_angle):
    """Return the 3x3 matrix taking galaxy-frame vectors to (east, north, away) [float]."""
    inc = as_value(inclination, _ANGLE, "inclination", scalar=True)
    pa = as_value(position_angle, _ANGLE, "position_angle", scalar=True)
    if not 0.0 <= inc <= 180.0:
        msg = f"argument 'inclination' must be within 0-180 deg, got {inclination!r}"
        raise ValueError(msg)
    ci, si = np.cos(np.radians(inc)), np.sin(np.radians(inc))
    cp, sp = np.cos(np.radians(pa)), np.sin(np.radians(pa))
    incline = np.array([[1.0, 0.0, 0.0], [0.0, ci, -si], [0.0, si, ci]])
    turn = np.array([[sp, -cp, 0.0], [cp, sp, 0.0], [0.0, 0.0, 1.0]])
    return turn @ incline


def systemic(systemic_velocity, distance_mpc):
    """Return the systemic velocity in km/s (default ``H0 * distance``)."""
    if systemic_velocity is None:
        return HUBBLE_CONSTANT.to_value(VELOCITY / u.Mpc) * distance_mpc
    return as_value(systemic_velocity, VELOCITY, "systemic_velocity", scalar=True)


def rotate_table(table, matrix, *, what):
    """Return (positions, velocities) [kpc, km/s] of ``table`` rotated by ``matrix``, (3, N)."""
    pos = np.vstack([column_values(table, c, LENGTH, finite=True, what=what) for c in "xyz"])
    vel = np.vstack([column_values(table, c, VELOCITY, finite=True, what=what)
                     for c in ("vx", "vy", "vz")])
    return matrix @ pos, matrix @ vel


def sky_projection(table, *, inclination, position_angle, distance, centre=None,
                   systemic_velocity=None):
    """Project particles on the sky at a given orientation and distance.

    Parameters
    ----------
    table : `~astropy.table.QTable`
        Particles in the galaxy frame (rotation axis ``+z``): ``x``, ``y``, ``z`` [length] and
        ``vx``, ``vy``, ``vz`` [speed], e.g. ``particles.stars`` or ``particles.gas``.
    inclination : `~astropy.units.Quantity` [angle]
        Inclination, 0 (face-on) to 180 deg; 90 deg is edge-on.
    position_angle : `~astropy.units.Quantity` [angle]
        Position angle of the receding major axis, north through east.
    distance : `~astropy.units.Quantity` [length]
        Distance of the galaxy centre.
    centre : `~astropy.coordinates.SkyCoord`, optional
        Sky position of the galaxy centre (default `DEFAULT_CENTRE`).
    systemic_velocity : `~astropy.units.Quantity` [speed], optional
        Line-of-sight velocity of the centre (default ``HUBBLE_CONSTANT * distance``).

    Returns
    -------
    `~astropy.table.QTable`
        Columns ``x`` (east) and ``y`` (north) [kpc] in the sky plane, ``z`` [kpc] along the
        line of sight (away from the observer), ``v_los`` [km/s] including the systemic
        velocity, and ``ra``, ``dec`` [deg] (gnomonic projection about ``centre``).

    Examples
    --------
    >>> import astropy.units as u
    >>> from astropy.table import QTable
    >>> from dmprofile.observe import sky_projection
    >>> t = QTable({"x": [1.0] * u.kpc, "y": [0.0] * u.kpc, "z": [0.0] * u.kpc,
    ...             "vx": [0.0] * u.km / u.s, "vy": [200.0] * u.km / u.s,
    ...             "vz": [0.0] * u.km / u.s})
    >>> p = sky_projection(t, inclination=90 * u.deg, position_angle=0 * u.deg,
    ...                    distance=10 * u.Mpc, systemic_velocity=0 * u.km / u.s)
    >>> print(f"{p['y'][0]:.2f} {p['v_los'][0]:.1f}")
    1.00 kpc 200.0 km / s
    """
    distance_kpc = as_value(distance, LENGTH, "distance", scalar=True, positive=True,
                            allow_zero=False)
    centre = check_centre(centre)
    vsys = systemic(systemic_velocity, distance_kpc / 1000.0)
    matrix = orientation(inclination, position_angle)
    pos, vel = rotate_table(table, matrix, what="argument 'table'")
    out = QTable()
    out["x"], out["y"], out["z"] = pos[0] * LENGTH, pos[1] * LENGTH, pos[2] * LENGTH
    out["v_los"] = (vel[2] + vsys) * VELOCITY
    depth = distance_kpc + pos[2]
    offsets = SkyCoord(lon=np.degrees(np.arctan(pos[0] / depth)) * u.deg,
                       lat=np.degrees(np.arctan(pos[1] / depth)) * u.deg,
                       frame=centre.skyoffset_frame())
    sky = offsets.icrs
    out["ra"], out["dec"] = sky.ra.to(u.deg), sky.dec.to(u.deg)
    out.meta.update({"inclination": float(np.degrees(np.arccos(matrix[2, 2]))),
                     "distance_mpc": distance_kpc / 1000.0, "systemic_velocity": vsys})
    return out


def celestial_wcs(*, n_pixels=128, field_of_view=17.2 * u.arcmin, centre=None):
    """Return the celestial WCS (RA---TAN, DEC--TAN, ICRS) of an ``n x n`` pixel grid.

    Parameters
    ----------
    n_pixels : int
        Pixels on each side (the paper: 128).
    field_of_view : `~astropy.units.Quantity` [angle]
        Width of the square field (the paper: 17.2 arcmin, 8.06 arcsec per pixel).
    centre : `~astropy.coordinates.SkyCoord`, optional
        Centre of the field (default `DEFAULT_CENTRE`): the centre of the image, between the
        four central pixels for an even ``n_pixels``.

    Returns
    -------
    `~astropy.wcs.WCS`
        The two-axis celestial WCS, east to the left (``CDELT1 < 0``).

    Examples
    --------
    >>> from dmprofile.observe import celestial_wcs
    >>> w = celestial_wcs()
    >>> print(w.wcs.ctype[0], w.pixel_shape, round(w.wcs.cdelt[1] * 3600, 4))
    RA---TAN (128, 128) 8.0625
    """
    n = _check_npix(n_pixels, "n_pixels")
    fov = as_value(field_of_view, _ANGLE, "field_of_view", scalar=True, positive=True,
                   allow_zero=False)
    centre = check_centre(centre)
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.cunit = ["deg", "deg"]
    wcs.wcs.crval = [centre.ra.to_value(u.deg), centre.dec.to_value(u.deg)]
    wcs.wcs.crpix = [(n + 1) / 2.0, (n + 1) / 2.0]
    wcs.wcs.cdelt = [-fov / n, fov / n]
    wcs.wcs.radesys = "ICRS"
    wcs.wcs.equinox = 2000.0
    wcs.pixel_shape = (n, n)
    return wcs


def _check_npix(n, name):
    """Return ``n`` as a positive int, or raise naming ``name``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        msg = f"argument '{name}' must be an integer >= 2, got {n!r}"
        raise ValueError(msg)
    return int(n)


def pixel_coordinates(x_kpc, y_kpc, z_kpc, distance_kpc, n_pixels, fov_deg):
    """Zero-based pixel coordinates of sky-plane offsets on the `celestial_wcs` grid.

    In the gnomonic (TAN) projection the intermediate world coordinates are the tangent of
    the angular offsets, so the mapping is linear in ``x / (D + z)`` and ``y / (D + z)``.
    """
    scale = n_pixels / fov_deg
    depth = distance_kpc + z_kpc
    col = (n_pixels - 1) / 2.0 - np.degrees(x_kpc / depth) * scale  # east to the left
    row = (n_pixels - 1) / 2.0 + np.degrees(y_kpc / depth) * scale
    return col, row
