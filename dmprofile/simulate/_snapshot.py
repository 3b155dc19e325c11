"""Read IllustrisTNG- and EAGLE-style HDF5 cut-outs into `GalaxyParticles`.

Field names, units and conversions (a the scale factor, h the reduced Hubble constant),
IllustrisTNG (``flavour="tng"``) / EAGLE (``flavour="eagle"``):

* positions: ``Coordinates`` in ckpc/h (x a / h kpc) / in cMpc/h (x 1000 a / h kpc);
* velocities: ``Velocities`` in km sqrt(a)/s (x sqrt(a)), both;
* masses: ``Masses`` in 1e10 Msun/h, both;
* stellar birth: ``GFM_StellarFormationTime`` (a at birth; <= 0 marks TNG wind cells, which
  are dropped) / ``StellarFormationTime``;
* stellar metallicity: ``GFM_Metallicity`` / ``SmoothedMetallicity``;
* gas temperature: from ``InternalEnergy`` [(km/s)^2] and ``ElectronAbundance`` /
  ``Temperature`` [K];
* gas smoothing length: ``SubfindHsml`` [ckpc/h], else 2.5 (3 m / (4 pi rho))^(1/3) from
  ``Density`` / ``SmoothingLength`` [cMpc/h];
* neutral hydrogen fraction: ``NeutralHydrogenAbundance`` / the same if present, else 1 for
  T < 10^4.5 K and 0 above (a crude approximation: no self-shielding correction);
* hydrogen mass fraction: ``GFM_Metals[:, 0]``, else 0.76 / ``ElementAbundance/Hydrogen``,
  else 0.752.

HI mass = hydrogen mass fraction x neutral fraction x mass: molecular hydrogen is not
separated. The factor 2.5 of the Voronoi-cell radius is MARTINI's for TNG with a cubic-spline
kernel (Oman et al. 2019). Ages are the lookback times between birth and the snapshot in a flat
Lambda-CDM cosmology with ``Omega0`` of the header (TNG: 0.3089, EAGLE: 0.307 by default).
"""

import numpy as np
from astropy import units as u
from astropy.table import QTable

from .._utils import LENGTH, MASS, VELOCITY, require
from ._particles import GalaxyParticles

__all__ = ["read_snapshot"]

_FLAVOURS = {
    "tng": {"length": 1.0, "age": "GFM_StellarFormationTime", "metal": "GFM_Metallicity",
            "omega_m": 0.3089, "x_h": 0.76},
    "eagle": {"length": 1000.0, "age": "StellarFormationTime", "metal": "SmoothedMetallicity",
              "omega_m": 0.307, "x_h": 0.752},
}
_K_B_OVER_MP = 1.380649e-23 / 1.67262192e-27 / 1e6  # k_B / m_p in (km/s)^2 / K
_GAMMA = 5.0 / 3.0
_COLD = 10**4.5  # K: cold gas taken as neutral when no neutral fraction is stored


def _field(group, name, path):
    if name not in group:
        msg = f"field {name!r} missing from group {group.name!r} of {path}"
        raise KeyError(msg)
    return np.asarray(group[name][()], dtype=float)


def _group(handle, name, path):
    if name not in handle:
        msg = f"group {name!r} missing from {path} (groups: {sorted(handle.keys())})"
        raise KeyError(msg)
    return handle[name]


def _header(handle, h, scale_factor, omega_m, path):
    attrs = dict(handle["Header"].attrs) if "Header" in handle else {}
    h = attrs.get("HubbleParam") if h is None else h
    a = attrs.get("Time", attrs.get("ExpansionFactor")) if scale_factor is None else scale_factor
    for name, value in (("h", h), ("scale_factor", a)):
        if value is None:
            msg = f"argument '{name}' is required: {path} has no Header attribute for it"
            raise ValueError(msg)
        if not (np.isfinite(float(value)) and 0 < float(value) <= 2):
            msg = f"argument '{name}' must lie in (0, 2], got {value}"
            raise ValueError(msg)
    box = attrs.get("BoxSize")
    return float(h), float(a), float(attrs.get("Omega0", omega_m)), box


def _ages(a_birth, a_snap, h, omega_m):
    """Lookback time [Gyr] from birth (scale factor) to the snapshot, flat Lambda-CDM."""
    from astropy.cosmology import FlatLambdaCDM

    cosmo = FlatLambdaCDM(H0=100.0 * h, Om0=omega_m)
    grid = np.linspace(1e-3, max(a_snap, 1.0), 512)
    t = cosmo.age(1.0 / grid - 1.0).to_value(u.Gyr)
    t_snap = np.interp(a_snap, grid, t)
    return np.clip(t_snap - np.interp(a_birth, grid, t), 0.0, None)


def _temperature_tng(group, path, x_h):
    u_int = _field(group, "InternalEnergy", path)
    x_e = _field(group, "ElectronAbundance", path)
    mu = 4.0 / (1.0 + 3.0 * x_h + 4.0 * x_h * x_e)
    return (_GAMMA - 1.0) * u_int / _K_B_OVER_MP * mu


def _hydrogen_fraction(group, flavour, default):
    if flavour == "tng" and "GFM_Metals" in group:
        return np.asarray(group["GFM_Metals"][:, 0], dtype=float)
    if flavour == "eagle" and "ElementAbundance" in group and \
            "Hydrogen" in group["ElementAbundance"]:
        return np.asarray(group["ElementAbundance"]["Hydrogen"][()], dtype=float)
    return default


def _common(group, path, conv, box):
    pos = _field(group, "Coordinates", path) * conv["length"]
    vel = _field(group, "Velocities", path) * conv["velocity"]
    mass = _field(group, "Masses", path) * conv["mass"]
    if pos.ndim != 2 or pos.shape[1] != 3:
        msg = f"field 'Coordinates' of {group.name!r} must have shape (n, 3), got {pos.shape}"
        raise ValueError(msg)
    return {"pos": pos, "vel": vel, "mass": mass, "box": box}


def _read_stars(handle, path, flavour, conv, a, h, omega_m, box):
    group = _group(handle, "PartType4", path)
    spec = _FLAVOURS[flavour]
    out = _common(group, path, conv, box)
    a_birth = _field(group, spec["age"], path)
    keep = a_birth > 0  # TNG wind cells have a_birth <= 0
    out = {k: (v[keep] if isinstance(v, np.ndarray) else v) for k, v in out.items()}
    out["age"] = _ages(a_birth[keep], a, h, omega_m)
    out["metallicity"] = _field(group, spec["metal"], path)[keep]
    return out


def _read_gas(handle, path, flavour, conv, box):
    group = _group(handle, "PartType0", path)
    spec = _FLAVOURS[flavour]
    out = _common(group, path, conv, box)
    x_h = _hydrogen_fraction(group, flavour, spec["x_h"])
    if flavour == "tng":
        out["temperature"] = _temperature_tng(group, path, x_h)
        neutral = _field(group, "NeutralHydrogenAbundance", path)
        if "SubfindHsml" in group:
            out["hsml"] = _field(group, "SubfindHsml", path) * conv["length"]
        else:
            rho = _field(group, "Density", path) * conv["mass"] / conv["length"] ** 3
            out["hsml"] = 2.5 * (3.0 * out["mass"] / (4.0 * np.pi * rho)) ** (1.0 / 3.0)
    else:
        out["temperature"] = _field(group, "Temperature", path)
        out["hsml"] = _field(group, "SmoothingLength", path) * conv["length"]
        if "NeutralHydrogenAbundance" in group:
            neutral = _field(group, "NeutralHydrogenAbundance", path)
        else:
            neutral = (out["temperature"] < _COLD).astype(float)
    out["hi_mass"] = out["mass"] * x_h * np.clip(neutral, 0.0, 1.0)
    return out


def _shrinking_centre(pos, mass, *, shrink=0.9, min_particles=50):
    """Centre of mass by shrinking spheres (Power et al. 2003)."""
    centre = np.average(pos, axis=0, weights=mass)
    radius = np.max(np.linalg.norm(pos - centre, axis=1))
    while True:
        inside = np.linalg.norm(pos - centre, axis=1) < radius
        if np.count_nonzero(inside) < min_particles:
            return centre
        centre = np.average(pos[inside], axis=0, weights=mass[inside])
        radius *= shrink


def _rotation_to_z(pos, vel, mass, radius):
    """Rotation matrix taking the angular momentum inside ``radius`` to +z."""
    inside = np.linalg.norm(pos, axis=1) < radius
    j = np.sum(mass[inside, None] * np.cross(pos[inside], vel[inside]), axis=0)
    norm = np.linalg.norm(j)
    if norm == 0:
        return np.eye(3)
    z = j / norm
    helper = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    return np.vstack([x, np.cross(z, x), z])


def _frame(stars, gas, centre, bulk_velocity, align, align_radius):
    """Positions relative to the centre (periodic wrap), velocities to the bulk, aligned."""
    for part in (stars, gas):
        part["pos"] = part["pos"] - centre
        if part["box"] is not None:
            part["pos"] = (part["pos"] + 0.5 * part["box"]) % part["box"] - 0.5 * part["box"]
    if bulk_velocity is None:
        inside = np.linalg.norm(stars["pos"], axis=1) < align_radius
        weights = stars["mass"] * inside
        bulk_velocity = (np.average(stars["vel"], axis=0, weights=weights) if weights.sum() > 0
                         else np.zeros(3))
    for part in (stars, gas):
        part["vel"] = part["vel"] - bulk_velocity
    if align:
        rot = _rotation_to_z(stars["pos"], stars["vel"], stars["mass"], align_radius)
        for part in (stars, gas):
            part["pos"] = part["pos"] @ rot.T
            part["vel"] = part["vel"] @ rot.T
    return bulk_velocity


def _table(part, extra):
    table = QTable()
    for i, name in enumerate("xyz"):
        table[name] = part["pos"][:, i] * LENGTH
    for i, name in enumerate(("vx", "vy", "vz")):
        table[name] = part["vel"][:, i] * VELOCITY
    table["mass"] = part["mass"] * MASS
    for name, (key, unit) in extra.items():
        table[name] = part[key] * unit
    return table


def _select(part, radius):
    if radius is None:
        return part
    keep = np.linalg.norm(part["pos"], axis=1) < radius
    return {k: (v[keep] if isinstance(v, np.ndarray) and v.ndim and v.shape[0] == keep.size
                else v) for k, v in part.items()}


def _length_arg(value, name):
    from .._utils import as_value

    return None if value is None else as_value(value, LENGTH, name, positive=True)


def read_snapshot(path, *, flavour="tng", h=None, scale_factor=None, centre=None,
                  bulk_velocity=None, radius=None, align=True, align_radius=10.0 * u.kpc):
    """Read the star and gas particles of an IllustrisTNG or EAGLE HDF5 cut-out.

    Units are converted to physical kpc, km/s and Msun with ``h`` and the scale factor; the
    galaxy is centred, put at rest and (by default) rotated so that the angular momentum of its
    inner stars points along +z, the convention of `~dmprofile.simulate.GalaxyParticles`.
    See the module documentation for the field names of each flavour.

    Parameters
    ----------
    path : str or path-like
        The HDF5 file (groups ``PartType0`` and ``PartType4``; ``Header`` optional).
    flavour : str
        ``"tng"`` or ``"eagle"``.
    h : float, optional
        Reduced Hubble constant (default: the header's ``HubbleParam``).
    scale_factor : float, optional
        Scale factor of the snapshot (default: the header's ``Time`` or ``ExpansionFactor``).
    centre : `~astropy.units.Quantity` [length], optional
        Centre, in the file's frame converted to physical kpc (shape (3,)); default: the
        stars' centre of mass by shrinking spheres (Power et al. 2003).
    bulk_velocity : `~astropy.units.Quantity` [speed], optional
        Velocity of the frame (shape (3,)); default: the mass-weighted mean velocity of the
        stars inside ``align_radius``.
    radius : `~astropy.units.Quantity` [length], optional
        Keep only the particles inside this distance from the centre.
    align : bool
        Rotate the angular momentum of the stars inside ``align_radius`` onto +z.
    align_radius : `~astropy.units.Quantity` [length]
        Radius of the bulk velocity and of the alignment.

    Returns
    -------
    `~dmprofile.simulate.GalaxyParticles`
        Stars (``age`` in Gyr, ``metallicity``) and gas (``hi_mass``, ``smoothing_length``,
        ``temperature``); ``meta`` holds the file name, flavour, h, scale factor, centre
        [kpc] and bulk velocity [km/s].

    Raises
    ------
    KeyError
        If a group or field is missing (named in the message).
    ValueError
        If ``flavour`` is unknown, or ``h`` or the scale factor is neither given nor in the
        header.
    ImportError
        If h5py is not installed.

    Examples
    --------
    >>> from dmprofile.simulate import read_snapshot
    >>> read_snapshot("cutout.hdf5", flavour="tng")  # doctest: +SKIP
    <GalaxyParticles: ...>
    """
    if flavour not in _FLAVOURS:
        msg = f"argument 'flavour' must be 'tng' or 'eagle', got {flavour!r}"
        raise ValueError(msg)
    h5py = require("h5py", "discs")
    centre = _length_arg(centre, "centre")
    if centre is not None and np.shape(centre) != (3,):
        msg = f"argument 'centre' must have shape (3,), got {np.shape(centre)}"
        raise ValueError(msg)
    if bulk_velocity is not None:
        from .._utils import as_value

        bulk_velocity = as_value(bulk_velocity, VELOCITY, "bulk_velocity")
    radius = _length_arg(radius, "radius")
    align_radius = float(_length_arg(align_radius, "align_radius"))
    with h5py.File(path, "r") as handle:
        h, a, omega_m, box = _header(handle, h, scale_factor, _FLAVOURS[flavour]["omega_m"],
                                     path)
        length = _FLAVOURS[flavour]["length"] * a / h
        conv = {"length": length, "velocity": np.sqrt(a), "mass": 1e10 / h}
        box = None if box is None else float(box) * length
        stars = _read_stars(handle, path, flavour, conv, a, h, omega_m, box)
        gas = _read_gas(handle, path, flavour, conv, box)
    if centre is None:
        centre = _shrinking_centre(stars["pos"], stars["mass"])
    bulk = _frame(stars, gas, centre, bulk_velocity, align, align_radius)
    stars, gas = _select(stars, radius), _select(gas, radius)
    meta = {"source": str(path), "flavour": flavour, "h": h, "scale_factor": a,
            "centre": [float(c) for c in centre], "bulk_velocity": [float(v) for v in bulk]}
    return GalaxyParticles(
        _table(stars, {"age": ("age", u.Gyr), "metallicity": ("metallicity", u.one)}),
        _table(gas, {"hi_mass": ("hi_mass", MASS), "smoothing_length": ("hsml", LENGTH),
                     "temperature": ("temperature", u.K)}),
        meta=meta)
