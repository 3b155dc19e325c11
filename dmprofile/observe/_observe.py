"""Mock spectroscopic observations of a simulated dwarf galaxy."""

import numbers

import numpy as np
from astropy import units as u
from astropy.table import QTable
from scipy import stats

from .._utils import LENGTH, VELOCITY, as_dimensionless, as_value, column_values
from .._version import __version__

__all__ = ["observe", "draw_velocity_errors", "binary_velocities"]

# G * Msun in km^3 / s^2 (IAU nominal solar mass parameter).
_GM_SUN_KM3_S2 = 1.32712440018e11
_SECONDS_PER_DAY = 86400.0

# Binary population (Duquennoy & Mayor 1991 periods, as used by McConnachie & Cote 2010).
_BINARY_LOGP_MEAN = 4.8          # log10(P / day)
_BINARY_LOGP_SIGMA = 2.3
_BINARY_LOGP_RANGE = (2.0, 10.0)  # red giants of radius ~10-50 Rsun do not fit in P < 100 d orbits
_BINARY_PRIMARY_MASS = 0.8       # Msun, a red giant in an old population
_BINARY_Q_RANGE = (0.1, 1.0)


def _seed_for_meta(seed):
    """Return a FITS/JSON-friendly record of the seed argument."""
    if seed is None or isinstance(seed, numbers.Integral):
        return None if seed is None else int(seed)
    if isinstance(seed, np.random.SeedSequence):
        return str(seed.entropy) if not seed.spawn_key else f"{seed.entropy}:{seed.spawn_key}"
    return repr(seed)


def _los_basis(los, rng):
    """Orthonormal basis (e1, e2, n): n along the line of sight, e1 and e2 span the sky plane."""
    if los is None:
        n = rng.normal(size=3)
        n /= np.linalg.norm(n)
        psi = rng.uniform(0.0, 2.0 * np.pi)
    else:
        if isinstance(los, u.Quantity):
            los = as_dimensionless(los, "los", scalar=False)
        n = np.asarray(los, dtype=float)
        if n.shape != (3,) or not np.all(np.isfinite(n)):
            msg = f"argument 'los' must be a finite 3-vector, got {los!r}"
            raise ValueError(msg)
        norm = np.linalg.norm(n)
        if norm == 0:
            msg = "argument 'los' must be a non-zero 3-vector"
            raise ValueError(msg)
        n = n / norm
        psi = 0.0
    ref = np.array([0.0, 0.0, 1.0]) if abs(n[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    a = np.cross(ref, n)
    a /= np.linalg.norm(a)
    b = np.cross(n, a)
    e1 = np.cos(psi) * a + np.sin(psi) * b
    e2 = np.cross(n, e1)
    return e1, e2, n


def draw_velocity_errors(n, *, median=2 * u.km / u.s, scatter=0.2, seed=None):
    """Draw realistic per-star velocity uncertainties.

    Spectroscopic errors of red giants scale with the signal-to-noise ratio, which spans a decade
    for a magnitude-limited sample; we model this as a log-normal distribution of ``v_err``
    around ``median`` with ``scatter`` dex standard deviation (0.2 dex is typical of
    Walker et al. 2009 MMFS data).

    Parameters
    ----------
    n : int
        Number of stars.
    median : `~astropy.units.Quantity` [speed]
        Median velocity error.
    scatter : float
        Standard deviation of log10(v_err) in dex (0: all errors equal ``median``).
    seed : int, `~numpy.random.SeedSequence` or `~numpy.random.Generator`, optional
        Random seed.

    Returns
    -------
    `~astropy.units.Quantity` [speed]
        The velocity errors in km / s, shape (n,).

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from dmprofile.observe import draw_velocity_errors
    >>> err = draw_velocity_errors(1000, median=2 * u.km / u.s, seed=1)
    >>> print(f"{np.median(err):.1f}")
    2.0 km / s
    """
    med = as_value(median, VELOCITY, "median", scalar=True, positive=True, allow_zero=False)
    scatter = as_dimensionless(scatter, "scatter")
    if scatter < 0:
        msg = f"argument 'scatter' must be >= 0 dex, got {scatter}"
        raise ValueError(msg)
    if int(n) != n or n < 0:
        msg = f"argument 'n' must be a non-negative integer, got {n!r}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    return med * 10.0 ** (scatter * rng.standard_normal(int(n))) * VELOCITY


def _binary_velocities(n, rng):
    lo, hi = _BINARY_LOGP_RANGE
    a = (lo - _BINARY_LOGP_MEAN) / _BINARY_LOGP_SIGMA
    b = (hi - _BINARY_LOGP_MEAN) / _BINARY_LOGP_SIGMA
    logp = stats.truncnorm.rvs(a, b, loc=_BINARY_LOGP_MEAN, scale=_BINARY_LOGP_SIGMA, size=n,
                               random_state=rng)
    q = rng.uniform(*_BINARY_Q_RANGE, size=n)
    cos_i = rng.uniform(0.0, 1.0, size=n)
    phase = rng.uniform(0.0, 2.0 * np.pi, size=n)
    m1 = _BINARY_PRIMARY_MASS
    period = 10.0**logp * _SECONDS_PER_DAY
    k1 = ((2 * np.pi * _GM_SUN_KM3_S2 * m1 * (1 + q) / period) ** (1 / 3) * q / (1 + q)
          * np.sqrt(1 - cos_i**2))
    return k1 * np.cos(phase)


def binary_velocities(n, *, seed=None):
    """Line-of-sight orbital velocities of red giants in binaries, at one random epoch.

    Circular orbits with log10(P / day) ~ N(4.8, 2.3) truncated to [2, 10] (Duquennoy & Mayor
    1991; periods below 100 days are excluded because a red giant does not fit in such an
    orbit), primary mass 0.8 Msun, mass ratio q uniform in [0.1, 1], isotropic inclinations and
    a uniform orbital phase, as in the binary model of McConnachie & Cote (2010). The result
    has a narrow core (median ``|v|`` ~ 0.55 km/s) and long tails (about 2 per cent above 10 km/s,
    at most ~27 km/s).

    Parameters
    ----------
    n : int
        Number of binary stars.
    seed : int, `~numpy.random.SeedSequence` or `~numpy.random.Generator`, optional

    Returns
    -------
    `~astropy.units.Quantity` [speed]
        The line-of-sight velocity offsets, shape (n,).

    Examples
    --------
    >>> import numpy as np
    >>> from dmprofile.observe import binary_velocities
    >>> v = binary_velocities(10000, seed=0)
    >>> bool(np.abs(v).max().value < 27)
    True
    """
    return _binary_velocities(int(n), np.random.default_rng(seed)) * VELOCITY


def _member_probability(R, v, v_err, *, f_fg, r_field, a, v_sys, sigma, fg_mean, fg_sigma):
    """Posterior membership probability of the two-component mixture."""
    # Plummer surface density normalised inside the field disc; foreground uniform in the disc.
    sigma_m = (1 + (R / a) ** 2) ** -2 / (np.pi * a**2) / (r_field**2 / (a**2 + r_field**2))
    sigma_f = 1.0 / (np.pi * r_field**2)
    s_m = np.sqrt(sigma**2 + v_err**2)
    s_f = np.sqrt(fg_sigma**2 + v_err**2)
    log_m = np.log1p(-f_fg) + np.log(sigma_m) + stats.norm.logpdf(v, v_sys, s_m)
    log_f = np.log(f_fg) + np.log(sigma_f) + stats.norm.logpdf(v, fg_mean, s_f)
    return np.exp(log_m - np.logaddexp(log_m, log_f))


def observe(sample, *, los=None, v_err=2 * u.km / u.s, v_sys=0 * u.km / u.s, contamination=0.0,
            binary_fraction=0.0, seed=None, v_err_scatter=0.0, foreground_sigma=60 * u.km / u.s,
            foreground_mean=None, field_radius=None):
    """Observe a simulated galaxy along a line of sight: projected positions and noisy velocities.

    The 3D positions and velocities of ``sample`` are projected on the sky plane perpendicular
    to the line of sight: ``x``, ``y`` [kpc] in that plane, ``v_los`` the velocity along it.
    Then, in this order:

    * a fraction ``binary_fraction`` of the stars receives the orbital velocity of a binary
      companion at a random epoch (see `binary_velocities`);
    * Milky-Way foreground stars are added so that they make up a fraction ``contamination`` of
      the output catalogue; they are uniform over the field disc of radius ``field_radius``
      (default: the largest projected radius of a member) with velocities drawn from a broad
      Gaussian of mean ``foreground_mean`` (default ``v_sys``, the most confusing case) and
      standard deviation ``foreground_sigma`` (60 km/s, roughly the halo+thick-disc foreground
      towards the classical dwarfs). A ``p_member`` column then holds the posterior membership
      probability of the two-component mixture that a membership expectation-maximisation
      (e.g. Walker et al. 2009) converges to: member = Plummer surface density (scale the true
      projected half-light radius ``r_half`` from ``sample.meta``, or the median projected
      radius of the members) times a Gaussian around ``v_sys`` of dispersion the members'
      line-of-sight dispersion convolved with each star's error; foreground = uniform density
      times the broad Gaussian convolved with the error; mixing fraction ``contamination``.
      The boolean column ``is_member`` records the truth;
    * the systemic velocity ``v_sys`` and Gaussian noise of standard deviation ``v_err``
      (per star) are added to every velocity.

    Parameters
    ----------
    sample : `~astropy.table.QTable`
        Star catalogue from `dmprofile.simulate.DwarfGalaxy.sample`: columns ``x``, ``y``, ``z``
        [length] and ``vx``, ``vy``, ``vz`` [speed] relative to the galaxy centre.
    los : array-like (3,), optional
        Line-of-sight direction (need not be normalised). Default: isotropically random, with a
        random orientation of the sky axes around it.
    v_err : `~astropy.units.Quantity` [speed]
        Velocity error per star: a scalar, or one value per member star. With
        ``v_err_scatter > 0`` a scalar is the median of log-normal per-star errors
        (see `draw_velocity_errors`).
    v_sys : `~astropy.units.Quantity` [speed]
        Systemic velocity added to every member.
    contamination : float
        Fraction of the output catalogue that is foreground, in [0, 1).
    binary_fraction : float
        Fraction of member stars in binaries, in [0, 1].
    seed : int, `~numpy.random.SeedSequence` or `~numpy.random.Generator`, optional
        Random seed.
    v_err_scatter : float
        Log-normal scatter of the per-star errors in dex (only with a scalar ``v_err``).
    foreground_sigma : `~astropy.units.Quantity` [speed]
        Velocity dispersion of the foreground.
    foreground_mean : `~astropy.units.Quantity` [speed], optional
        Mean foreground velocity (default ``v_sys``).
    field_radius : `~astropy.units.Quantity` [length], optional
        Radius of the observed field disc (default: that of the outermost member).

    Returns
    -------
    `~astropy.table.QTable`
        Columns ``x``, ``y`` [kpc], ``v_los``, ``v_err`` [km/s], plus ``p_member`` and
        ``is_member`` when ``contamination > 0``. ``meta`` holds ``sample.meta`` (the truth of the
        galaxy; the sample's seed is renamed ``sample_seed``) and the observation parameters as
        plain floats in km/s and kpc: ``n_stars`` (rows), ``n_members``, ``v_err_median``,
        ``v_sys``, ``contamination``, ``binary_fraction``, ``n_binaries``, ``los`` (3 floats),
        ``foreground_sigma``, ``foreground_mean``, ``seed`` and ``dmprofile_version``.

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from astropy.table import QTable
    >>> from dmprofile.observe import observe
    >>> rng = np.random.default_rng(0)
    >>> pos, vel = rng.normal(0, 0.3, (3, 500)) * u.kpc, rng.normal(0, 10, (3, 500)) * u.km / u.s
    >>> sample = QTable([*pos, *vel], names=["x", "y", "z", "vx", "vy", "vz"])
    >>> obs = observe(sample, v_err=2 * u.km / u.s, contamination=0.1, seed=1)
    >>> obs.colnames
    ['x', 'y', 'v_los', 'v_err', 'p_member', 'is_member']
    >>> len(obs), obs.meta["n_members"]
    (556, 500)
    """
    pos, vel = _sample_arrays(sample)
    n = len(pos)
    a = _check_arguments(n, v_err=v_err, v_sys=v_sys, contamination=contamination,
                         binary_fraction=binary_fraction, v_err_scatter=v_err_scatter,
                         foreground_sigma=foreground_sigma, foreground_mean=foreground_mean,
                         field_radius=field_radius)

    rng = np.random.default_rng(seed)
    e1, e2, nhat = _los_basis(los, rng)
    x, y, v_true = pos @ e1, pos @ e2, vel @ nhat

    err = a["err"]
    if a["v_err_scatter"] > 0:
        err = err * 10.0 ** (a["v_err_scatter"] * rng.standard_normal(n))
    err = np.broadcast_to(err, (n,)).astype(float)

    n_bin = int(round(a["binary_fraction"] * n))
    if n_bin:
        idx = rng.choice(n, size=n_bin, replace=False)
        v_true = v_true.copy()
        v_true[idx] += _binary_velocities(n_bin, rng)

    columns = {"x": x, "y": y, "v_los": a["v_sys"] + v_true, "v_err": err}
    R = np.hypot(x, y)
    r_field = float(R.max()) if a["field_radius"] is None else a["field_radius"]
    n_fg = int(round(a["contamination"] * n / (1 - a["contamination"])))
    if a["contamination"] > 0:
        columns = _add_foreground(columns, n_fg, r_field, a, rng)
    noise = rng.standard_normal(len(columns["v_err"])) * columns["v_err"]
    columns["v_los"] = columns["v_los"] + noise

    out = _catalogue(sample.meta, columns)
    if a["contamination"] > 0:
        r_half = float(sample.meta.get("r_half", np.nan))
        if not np.isfinite(r_half) or r_half <= 0:
            r_half = float(np.median(R))
        out["p_member"] = _member_probability(
            np.hypot(columns["x"], columns["y"]), columns["v_los"], columns["v_err"],
            f_fg=a["contamination"], r_field=r_field, a=r_half, v_sys=a["v_sys"],
            sigma=float(np.std(v_true)), fg_mean=a["fg_mean"], fg_sigma=a["fg_sigma"])
        out["is_member"] = np.arange(n + n_fg) < n
    out.meta.update({
        "n_stars": int(len(out)),
        "n_members": int(n),
        "v_err_median": float(np.median(err)),
        "v_err_scatter": float(a["v_err_scatter"]),
        "v_sys": float(a["v_sys"]),
        "contamination": float(a["contamination"]),
        "binary_fraction": float(a["binary_fraction"]),
        "n_binaries": n_bin,
        "los": [float(c) for c in nhat],
        "foreground_sigma": float(a["fg_sigma"]),
        "foreground_mean": float(a["fg_mean"]),
        "field_radius": float(r_field),
        "seed": _seed_for_meta(seed),
        "dmprofile_version": __version__,
    })
    return out


def _sample_arrays(sample):
    """Positions [kpc] and velocities [km/s] of a simulated sample, shape (n, 3) each."""
    if not hasattr(sample, "colnames"):
        msg = f"argument 'sample' must be an astropy Table/QTable, got {type(sample).__name__}"
        raise TypeError(msg)
    pos = np.stack([column_values(sample, c, LENGTH, finite=True, what="sample")
                    for c in ("x", "y", "z")], axis=1)
    vel = np.stack([column_values(sample, c, VELOCITY, finite=True, what="sample")
                    for c in ("vx", "vy", "vz")], axis=1)
    if len(pos) == 0:
        msg = "argument 'sample' has no stars"
        raise ValueError(msg)
    return pos, vel


def _check_arguments(n, *, v_err, v_sys, contamination, binary_fraction, v_err_scatter,
                     foreground_sigma, foreground_mean, field_radius):
    """Check the observation arguments of `observe`; returns them as plain floats/arrays."""
    err = as_value(v_err, VELOCITY, "v_err", positive=True)
    if err.ndim not in (0, 1) or (err.ndim == 1 and len(err) != n):
        msg = (f"argument 'v_err' must be a scalar or have one value per star ({n}), "
               f"got shape {err.shape}")
        raise ValueError(msg)
    vsys = as_value(v_sys, VELOCITY, "v_sys", scalar=True)
    contamination = as_dimensionless(contamination, "contamination")
    if not 0 <= contamination < 1:
        msg = f"argument 'contamination' must lie in [0, 1), got {contamination}"
        raise ValueError(msg)
    binary_fraction = as_dimensionless(binary_fraction, "binary_fraction")
    if not 0 <= binary_fraction <= 1:
        msg = f"argument 'binary_fraction' must lie in [0, 1], got {binary_fraction}"
        raise ValueError(msg)
    v_err_scatter = as_dimensionless(v_err_scatter, "v_err_scatter")
    if v_err_scatter < 0:
        msg = f"argument 'v_err_scatter' must be >= 0 dex, got {v_err_scatter}"
        raise ValueError(msg)
    if v_err_scatter > 0 and err.ndim != 0:
        msg = "argument 'v_err_scatter' needs a scalar 'v_err' (the median error)"
        raise ValueError(msg)
    fg_sigma = as_value(foreground_sigma, VELOCITY, "foreground_sigma", scalar=True, positive=True,
                        allow_zero=False)
    fg_mean = vsys if foreground_mean is None else as_value(foreground_mean, VELOCITY,
                                                            "foreground_mean", scalar=True)
    if field_radius is not None:
        field_radius = as_value(field_radius, LENGTH, "field_radius", scalar=True, positive=True,
                                allow_zero=False)
    return {"err": err, "v_sys": vsys, "contamination": contamination,
            "binary_fraction": binary_fraction, "v_err_scatter": v_err_scatter,
            "fg_sigma": fg_sigma, "fg_mean": fg_mean, "field_radius": field_radius}


def _add_foreground(columns, n_fg, r_field, a, rng):
    """Append ``n_fg`` foreground stars, uniform over the field disc, to the member columns."""
    rr = r_field * np.sqrt(rng.uniform(size=n_fg))
    phi = rng.uniform(0.0, 2 * np.pi, size=n_fg)
    fg_err = rng.choice(columns["v_err"], size=n_fg, replace=True)
    return {
        "x": np.concatenate([columns["x"], rr * np.cos(phi)]),
        "y": np.concatenate([columns["y"], rr * np.sin(phi)]),
        "v_los": np.concatenate([columns["v_los"],
                                 rng.normal(a["fg_mean"], a["fg_sigma"], size=n_fg)]),
        "v_err": np.concatenate([columns["v_err"], fg_err]),
    }


def _catalogue(sample_meta, columns):
    """Build the output QTable: positions [kpc], velocities, errors [km/s], the sample's meta."""
    meta = dict(sample_meta)
    if "seed" in meta:
        meta["sample_seed"] = meta.pop("seed")
    out = QTable(meta=meta)
    for name in ("x", "y"):
        out[name] = columns[name] * LENGTH
    for name in ("v_los", "v_err"):
        out[name] = columns[name] * VELOCITY
    return out
