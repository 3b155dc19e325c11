"""How much can be known? Regressions on true galaxy parameters, next to the networks.

The networks of issue 12 barely beat the median training profile inside 10 kpc. This benchmark
asks what the mock observations could tell at best. On the galaxies of the bundled ensembles'
split (by galaxy: fitted on the training galaxies, scored on the held-out test galaxies, every
realisation of each), one gradient-boosted regression per radius
(`sklearn.ensemble.HistGradientBoostingRegressor`, fixed settings, nothing tuned) predicts
log10 M_DM(<R) from true quantities instead of images:

* ``M*``: the true stellar mass alone;
* ``baryons``: every baryonic parameter of the prior draw (stellar mass, disc scale length
  and height, bulge fraction and radius, HI mass and diameter, age and metallicity): what
  ideal photometry and an ideal HI map could tell without kinematics;
* ``baryons + mom1``: plus a velocity measured on the mock's own mom1 map, the 99.5th
  percentile of ``|mom1|`` divided by the sine of the *true* inclination (an optimistic
  one-number rotation speed), and that sine;
* ``baryons + V_circ``: plus the exact circular velocity at twice the stellar half-mass radius
  (kinematics no observation reaches).

With ``--mstar-errors 0.05 0.1`` it adds ``M* +- 0.05 dex`` and ``M* +- 0.1 dex``: the stellar
mass with Gaussian errors of that size (drawn once per realisation, seeded, in the training and
the test galaxies alike), the best a photometric stellar mass of that accuracy could do.

With ``--rings`` it asks how much a rotation curve read off the mock mom1 map adds to M*. In
each of nine elliptical rings (1 to 40 kpc, +-25 % in radius, pixels within 60 deg of the
major axis, at least 4 of them) the rotation speed is the least-squares amplitude ``V`` of
``mom1 = V sin(i) cos(theta)``; the log10 speeds (missing rings left missing) join M*:

* ``M* + rings, true geometry``: rings placed with the true inclination and position angle
  (what a perfect kinematic fit of the geometry would give);
* ``M* + rings, map geometry``: position angle from the mom1 map (direction of the
  velocity-weighted mean position, the receding side), inclination from the second moments of
  the mom0 map with an intrinsic axis ratio of 0.2 (fixed, not fitted), and ``sin i`` as a
  feature: what the maps give without a kinematic model;
* ``M* +- e dex + rings, map geometry`` for each of ``--mstar-errors``: the same with the
  stellar mass known to e dex, the closest analogue of the eight-channel networks.

The image axes follow the suite's WCS convention: east towards decreasing column, north towards
increasing row (checked: the mean ring speed of the inclined galaxies is positive).

It also prints how much the measured speed knows about the halo: the correlation, at fixed
M*, between log V_circ(2 r_half) and the measured log speed. Writes ``floor.json`` to
``--out``, the figure docs/_static/mass_floor.png and the ``mass-floor`` section of
docs/benchmarks.md (``--no-write`` to skip). Needs scikit-learn (``pip install scikit-learn``;
not a dependency of dmprofile). Run with::

    nice -n 10 python benchmarks/bench_mass_floor.py --suite cache/suites/discs_v1 \
        --network cache/bench_mass/default/mass_evaluation.json

``--section`` and ``--figure`` write another suite's run beside it.
"""

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parents[1]
BARYONS = ("prior_log_mstar", "prior_disc_scale_length", "prior_disc_scale_height",
           "prior_bulge_fraction", "prior_bulge_scale_radius", "prior_log_hi_mass",
           "prior_hi_log_diameter", "prior_age_centre", "prior_log_z_centre")
SECTION = "mass-floor"
SETS = ("M*", "baryons", "baryons + mom1", "baryons + V_circ")
RING_RADII_KPC = np.array([1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 18.0, 27.0, 40.0])
INTRINSIC_AXIS_RATIO = 0.2


def measured_speed(suite, rows, chunk=500):
    """Return log10 of the 99.5th percentile of |mom1| / sin(i) [km/s] and sin(i) per row."""
    k = list(suite.channels).index("mom1")
    speed = np.empty(rows.size)
    for start in range(0, rows.size, chunk):
        block = np.asarray(suite.images[rows[start:start + chunk]][:, k], dtype=float)
        speed[start:start + chunk] = 100.0 * np.percentile(
            np.abs(block).reshape(block.shape[0], -1), 99.5, axis=1)
    sin_i = np.sin(np.radians(np.asarray(suite.truth["prior_inclination"], float)[rows]))
    with np.errstate(divide="ignore"):
        log_speed = np.log10(speed / np.maximum(sin_i, 0.05))
    return np.where(speed > 0, log_speed, np.nan), sin_i


def _sky_axes(npix):
    """Return (east, north) offsets of every pixel from the centre [pixels]."""
    c = np.arange(npix) - (npix - 1) / 2.0
    row, col = np.meshgrid(c, c, indexing="ij")
    return -col, row


def map_geometry(mom0, mom1):
    """Return (position angle, inclination) [rad] estimated from one galaxy's maps.

    The position angle (east of north, receding side) is the direction of the velocity-weighted
    mean position; the inclination comes from the axis ratio ``q`` of the mom0 second moments
    inside 50 pixels, ``cos^2 i = (q^2 - q0^2) / (1 - q0^2)`` with ``q0 = 0.2``.
    """
    east, north = _sky_axes(mom1.shape[-1])
    pa = np.arctan2(np.sum(mom1 * east), np.sum(mom1 * north))
    w = np.clip(mom0, 0.0, None) * (np.hypot(east, north) < 50)
    if w.sum() <= 0:
        return pa, np.nan
    m = np.array([[np.sum(w * east ** 2), np.sum(w * east * north)],
                  [np.sum(w * east * north), np.sum(w * north ** 2)]]) / w.sum()
    low, high = np.linalg.eigvalsh(m)
    q2 = max(low, 0.0) / high
    q0 = INTRINSIC_AXIS_RATIO
    return pa, float(np.arccos(np.sqrt(np.clip((q2 - q0 ** 2) / (1 - q0 ** 2), 0.0, 1.0))))


def ring_speeds(mom1, inclination, position_angle, kpc_per_pixel):
    """Return the rotation speed [km/s] in each ring of `RING_RADII_KPC` (NaN: too few pixels)."""
    east, north = _sky_axes(mom1.shape[-1])
    east, north = east * kpc_per_pixel, north * kpc_per_pixel
    x = east * np.sin(position_angle) + north * np.cos(position_angle)
    y = (-east * np.cos(position_angle) + north * np.sin(position_angle)) / max(
        np.cos(inclination), 0.1)
    r = np.hypot(x, y)
    cos_t = x / np.maximum(r, 1e-9)
    basis = max(np.sin(inclination), 0.2) * cos_t
    ok = (mom1 != 0) & (np.abs(cos_t) > 0.5)
    out = np.full(RING_RADII_KPC.size, np.nan)
    for j, radius in enumerate(RING_RADII_KPC):
        m = ok & (r > radius / 1.25) & (r < radius * 1.25)
        if m.sum() >= 4:
            out[j] = np.sum(mom1[m] * basis[m]) / np.sum(basis[m] ** 2)
    return out


def rings(suite, chunk=500):
    """Return ring speeds with the true and the map geometry, and the map geometry, per row."""
    from dmprofile.nets._mass_task import native_fov_arcmin, suite_distances

    channels = list(suite.channels)
    k0, k1 = channels.index("mom0"), channels.index("mom1")
    t = suite.truth
    inc = np.radians(np.asarray(t["prior_inclination"], float))
    pa = np.radians(np.asarray(t["prior_position_angle"], float))
    pixel = np.radians(native_fov_arcmin(suite) / 60.0 / suite.images.shape[-1])  # rad
    kpc_pix = suite_distances(t) * 1e3 * pixel
    n = len(t)
    true, est = np.full((n, RING_RADII_KPC.size), np.nan), np.full((n, RING_RADII_KPC.size), np.nan)
    geom = np.full((n, 2), np.nan)
    for start in range(0, n, chunk):
        block = np.asarray(suite.images[start:start + chunk][:, [k0, k1]], dtype=float)
        for q, (mom0, mom1) in enumerate(block):
            i = start + q
            mom1 = 100.0 * mom1  # km/s
            true[i] = ring_speeds(mom1, inc[i], pa[i], kpc_pix[i])
            geom[i] = map_geometry(mom0, mom1)
            est[i] = ring_speeds(mom1, geom[i, 1], geom[i, 0], kpc_pix[i])
    inclined = np.degrees(inc) > 50
    if not np.nanmean(true[inclined]) > 0:
        msg = "ring speeds are not positive: the image axis convention is not the suite's"
        raise RuntimeError(msg)
    with np.errstate(invalid="ignore"):
        d_pa = np.degrees(np.angle(np.exp(1j * (geom[:, 0] - pa))))
        d_inc = np.degrees(geom[:, 1] - inc)
    summary = {"position_angle_error_deg_16_50_84": np.nanpercentile(d_pa, [16, 50, 84]).tolist(),
               "inclination_error_deg_16_50_84": np.nanpercentile(d_inc, [16, 50, 84]).tolist(),
               "ring_radii_kpc": RING_RADII_KPC.tolist()}
    log = {name: np.log10(np.clip(v, 5.0, None)) for name, v in (("true", true), ("map", est))}
    return log, np.sin(geom[:, 1]), summary


def _noisy_mstar(suite, rows, error):
    """Return M* of the rows with seeded Gaussian errors of ``error`` dex."""
    rng = np.random.default_rng([int(round(1000 * error)), int(rows[0]), rows.size])
    return np.asarray(suite.truth["prior_log_mstar"], float)[rows] + rng.normal(0.0, error,
                                                                                rows.size)


def ring_features(suite, rows, ring_data, geometry, mstar_error=None):
    """Return [M*, log ring speeds (, sin i)] for the rows (``geometry``: 'true' or 'map')."""
    log, sin_i, _ = ring_data
    mstar = (np.asarray(suite.truth["prior_log_mstar"], float)[rows] if mstar_error is None
             else _noisy_mstar(suite, rows, mstar_error))
    cols = [mstar[:, None], log[geometry][rows]]
    if geometry == "map":
        cols.append(sin_i[rows, None])
    return np.column_stack(cols)


def features(suite, rows, name, speed, mstar_error=None):
    """Return the feature matrix of one set for the rows (M* alone with ``mstar_error``)."""
    t = suite.truth
    if mstar_error is not None:
        return _noisy_mstar(suite, rows, mstar_error)[:, None]
    cols = [np.asarray(t["prior_log_mstar"], float)[rows]] if name == "M*" else \
        [np.asarray(t[c], float)[rows] for c in BARYONS]
    if name == "baryons + mom1":
        cols += list(speed)
    if name == "baryons + V_circ":
        cols.append(np.log10(np.asarray(t["v_circ_2rhalf"], float)[rows]))
    return np.column_stack(cols)


def run(args):
    """Fit and score every set; return the report."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    from dmprofile.suites import read_suite

    suite = read_suite(args.suite)
    # the first member's split (every member shares it); no need for a finished ensemble
    split = json.loads((Path(args.model) / "member_00" / "split.json").read_text())
    gid = np.asarray(suite.truth["galaxy_id"])
    train = np.flatnonzero(np.isin(gid, split["train"]))
    test = np.flatnonzero(np.isin(gid, split["test"]))
    y = np.asarray(suite.truth["log_mdm"], dtype=float)
    speed = {"train": measured_speed(suite, train), "test": measured_speed(suite, test)}
    report = {"suite": str(args.suite), "model": str(args.model),
              "n_train_galaxies": len(split["train"]), "n_test_galaxies": len(split["test"]),
              "n_train_rows": int(train.size), "n_test_rows": int(test.size),
              "radii_kpc": suite.radii.value.tolist(), "rmse": {}}
    median = np.median(y[train], axis=0)
    report["rmse"]["training median"] = np.sqrt(np.mean((y[test] - median) ** 2, 0)).tolist()
    # every set: a function of (rows, "train" or "test") returning the feature matrix
    sets = {name: lambda rows, part, name=name: features(suite, rows, name, speed[part])
            for name in SETS}
    sets |= {f"M* +- {e:g} dex": lambda rows, part, e=e: features(suite, rows, "M*", None, e)
             for e in args.mstar_errors}
    if args.rings:
        ring_data = rings(suite)
        report["rings"] = ring_data[2]
        print(json.dumps(ring_data[2]))
        for geometry, error in (("true", None), ("map", None),
                                *(("map", e) for e in args.mstar_errors)):
            name = ("M*" if error is None else f"M* +- {error:g} dex") + \
                f" + rings, {geometry} geometry"
            sets[name] = lambda rows, part, g=geometry, e=error: ring_features(
                suite, rows, ring_data, g, e)
    for name, make in sets.items():
        x_train, x_test = make(train, "train"), make(test, "test")
        rmse = []
        for j in range(y.shape[1]):
            reg = HistGradientBoostingRegressor(max_iter=300, learning_rate=0.05,
                                                random_state=0)
            reg.fit(x_train, y[train, j])
            rmse.append(float(np.sqrt(np.mean((reg.predict(x_test) - y[test, j]) ** 2))))
        report["rmse"][name] = rmse
        print(f"{name:18s}", " ".join(f"{v:.3f}" for v in rmse), flush=True)
    # what the measured speed knows about V_circ at fixed M*
    log_ms = np.asarray(suite.truth["prior_log_mstar"], float)[test]
    log_vc = np.log10(np.asarray(suite.truth["v_circ_2rhalf"], float)[test])
    log_v, sin_i = speed["test"]
    ok = np.isfinite(log_v) & (sin_i > 0.5)
    res_vc = log_vc - np.polyval(np.polyfit(log_ms, log_vc, 2), log_ms)
    res_v = log_v[ok] - np.polyval(np.polyfit(log_ms[ok], log_v[ok], 2), log_ms[ok])
    report["vcirc"] = {
        "scatter_at_fixed_mstar_dex": float(np.std(res_vc)),
        "measured_minus_true_16_84_half_width_dex": float(
            np.diff(np.percentile(log_v[ok] - log_vc[ok], [16, 84]))[0] / 2),
        "correlation_of_residuals": float(np.corrcoef(res_vc[ok], res_v)[0, 1]),
        "n_rows": int(ok.sum()), "no_velocity_fraction": float(np.mean(~np.isfinite(log_v)))}
    if args.network:
        net = json.loads(Path(args.network).read_text())
        report["rmse"][f"network ({net['model']['name']})"] = net["network"]["rmse"]
    return report


def plot(report, path):
    """RMSE against radius for every set."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    radii = report["radii_kpc"]
    for name, rmse in report["rmse"].items():
        style = "k:" if name == "training median" else (
            "k-" if name.startswith("network") else "o-")
        ax.plot(radii, rmse, style, ms=3, lw=2 if name.startswith("network") else 1.2,
                label=name)
    ax.set_xscale("log")
    ax.set_xlabel("R [kpc]")
    ax.set_ylabel("RMSE of log10 M_DM(<R) [dex]")
    ax.set_title("regressions on true quantities (held-out galaxies)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def section(report, args, argv):
    """Return the markdown section of docs/benchmarks.md."""
    import sklearn

    from _report import machine

    radii = np.asarray(report["radii_kpc"])
    picks = [int(np.argmin(np.abs(radii - r))) for r in (1.0, 3.0, 10.0, 30.0, 100.0)]
    v = report["vcirc"]
    title = ("## What the mock discs can tell: regressions on true quantities "
             "(`benchmarks/bench_mass_floor.py`)")
    if args.section != SECTION:
        title += f", suite `{Path(report['suite']).name}`"
    lines = [title, "",
             f"Machine: {machine(f'scikit-learn {sklearn.__version__}')}; "
             f"load average {os.getloadavg()[0]:.1f}.", "",
             f"Suite `{Path(report['suite']).name}`, split of the ensemble `{report['model']}` "
             f"(by galaxy): fitted on {report['n_train_galaxies']} training galaxies "
             f"({report['n_train_rows']} realisations), scored on {report['n_test_galaxies']} "
             f"held-out test galaxies ({report['n_test_rows']} realisations). One "
             "gradient-boosted regression per radius, fixed settings; see the script's "
             "docstring for the feature sets. RMSE of log10 M_DM(<R) in dex.", "",
             "| predictor | " + " | ".join(f"{radii[i]:.3g} kpc" for i in picks) + " |",
             "|---|" + "---|" * len(picks)]
    for name, rmse in report["rmse"].items():
        lines.append(f"| {name} | " + " | ".join(f"{rmse[i]:.3f}" for i in picks) + " |")
    lines += ["", f"The circular velocity at twice the stellar half-mass radius scatters by "
              f"{v['scatter_at_fixed_mstar_dex']:.3f} dex at fixed M*; the speed measured on "
              f"mom1 (true inclination, sin i > 0.5, {v['n_rows']} test realisations) misses it "
              f"by {v['measured_minus_true_16_84_half_width_dex']:.3f} dex (half the 16-84 % "
              "range), and the two residuals at fixed M* correlate with r = "
              f"{v['correlation_of_residuals']:.2f}; {100 * v['no_velocity_fraction']:.0f} % of "
              "the test realisations have an empty mom1 map.", ""]
    if "rings" in report:
        g = report["rings"]
        pa, inc = g["position_angle_error_deg_16_50_84"], g["inclination_error_deg_16_50_84"]
        lines += [f"Ring speeds at {', '.join(f'{r:g}' for r in g['ring_radii_kpc'])} kpc "
                  "(`--rings`; see the docstring). The geometry read off the maps misses the "
                  f"true one by {pa[1]:+.1f} deg (16-84 %: {pa[0]:+.1f} to {pa[2]:+.1f}) in "
                  f"position angle and {inc[1]:+.1f} deg ({inc[0]:+.1f} to {inc[2]:+.1f}) in "
                  "inclination (all realisations).", ""]
    lines += [f"Figure: `docs/_static/{args.figure}`.", "",
              "Command: `nice -n 10 python benchmarks/bench_mass_floor.py "
              + " ".join(a for a in argv if a != "--no-write") + "`"]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", required=True)
    parser.add_argument("--model", default="dmprofile/data/models/mass_default",
                        help="ensemble directory whose split (member_00/split.json) is used")
    parser.add_argument("--network", default=None, metavar="JSON",
                        help="an evaluate_mass report (mass_evaluation.json) to show alongside")
    parser.add_argument("--out", default="cache/bench/mass_floor")
    parser.add_argument("--section", default=SECTION,
                        help="section of docs/benchmarks.md to write (default: %(default)s)")
    parser.add_argument("--figure", default="mass_floor.png",
                        help="file name of the figure in docs/_static (default: %(default)s)")
    parser.add_argument("--mstar-errors", type=float, nargs="*", default=[], metavar="DEX",
                        help="also regress on M* with Gaussian errors of these sizes")
    parser.add_argument("--rings", action="store_true",
                        help="also regress on M* plus ring rotation speeds read off mom1")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)

    report = run(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "floor.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report["vcirc"], indent=1))
    if not args.no_write:
        from _report import write_section

        plot(report, ROOT / "docs" / "_static" / args.figure)
        write_section(ROOT / "docs" / "benchmarks.md", args.section,
                      section(report, args, argv))
    return report


if __name__ == "__main__":
    main()
