"""The CNN ensemble and the rotation-curve route side by side on held-out mock discs.

For the first realisation of each of ``--n-galaxies`` held-out test galaxies of the ensemble's
training suite (the 20 % of the galaxies no member saw; split by galaxy), the observation is
regenerated exactly (`DiscSuite.observation`) and the enclosed dark-matter mass at the 20 radii
is measured two ways:

* **CNN**: the bootstrap ensemble on the stored channels (median);
* **rotation curve**: tilted rings on the mock moment-1 map, an exponential disc fitted to the
  mock g-band image with the Bell et al. (2003) g - r mass-to-light ratio (stars only, as the
  paper), and an NFW fit with the paper's priors and a 10 % distance error around the true
  distance (`dmprofile._compare_discs.rotation_curve_mass_profile`).

Against the truth: the RMSE of log10 M_DM(<R) per radius for each method (the paper's Fig. 9
for all galaxies), on the galaxies where the rotation-curve route ran, and the circular velocity
at twice the stellar half-mass radius from (A) the CNN's dark mass with the true baryons and
(B) the Tully-Fisher relation of Hall et al. (2012) from the true M* (the paper's Fig. 8).
The rotation-curve results go to ``--out/results.jsonl`` (a rerun skips the galaxies done; the
CNN is run again each time). Writes
docs/_static/disc_side_by_side.png and the ``disc-side-by-side`` section of docs/benchmarks.md
(``--no-write`` to skip). Run with::

    nice -n 10 python benchmarks/bench_disc_side_by_side.py --suite cache/suites/discs_v1 \
        --model default --n-galaxies 80
"""

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parents[1]
G_KPC = 4.30091727e-6  # kpc (km/s)^2 / Msun


def test_rows(suite, ensemble, n_galaxies):
    """First realisation of the first ``n_galaxies`` test galaxies of the ensemble's split."""
    from dmprofile.nets._mass_evaluation import _select

    rows, _, _ = _select(suite, ensemble, "test")
    gids = np.asarray(suite.truth["galaxy_id"])[rows]
    _, first = np.unique(gids, return_index=True)
    return [int(rows[i]) for i in sorted(first)][:n_galaxies]


def rotation_curve_route(suite, row, seed):
    """Rotation-curve log10 M_DM at the suite radii for one row (and timings)."""
    from astropy import units as u

    from dmprofile._compare_discs import rotation_curve_mass_profile

    truth = suite.truth[row]
    out = {"row": row, "galaxy_id": int(truth["galaxy_id"])}
    start = time.perf_counter()
    observation = suite.observation(row)
    out["observe_s"] = time.perf_counter() - start
    start = time.perf_counter()
    distance = float(truth["prior_distance"]) * u.Mpc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            profile, fit = rotation_curve_mass_profile(observation, distance=distance,
                                                       distance_err=0.1 * distance, seed=seed,
                                                       radii=suite.radii)
        out["rc"] = np.log10(profile.median.to_value(u.Msun)).tolist()
        out["rc_chi2_reduced"] = float(fit.chi2_reduced)
        out["rc_n_rings"] = len(fit.curve)
        out["rc_rmax_kpc"] = float(fit.curve["radius"].to_value(u.kpc).max())
    except (ValueError, RuntimeError) as exc:
        out["rc_error"] = f"{type(exc).__name__}: {exc}"
    out["rc_s"] = time.perf_counter() - start
    return out


def add_cnn(suite, ensemble, results):
    """Add the ensemble's median (and 68 % band) to every result (always recomputed)."""
    from dmprofile.nets import suite_inputs

    rows = np.array([r["row"] for r in results])
    start = time.perf_counter()
    pred = ensemble.predict_log10(**suite_inputs(suite, ensemble, rows))
    per_galaxy = (time.perf_counter() - start) / max(len(rows), 1)
    for k, res in enumerate(results):
        res.update({"cnn": pred["median"][k].tolist(), "cnn_lower_68": pred["lower_68"][k].tolist(),
                    "cnn_upper_68": pred["upper_68"][k].tolist(), "cnn_s": per_galaxy})


def v_circ_estimates(suite, results):
    """Return the true V_circ(2 r_half), (A) CNN dark mass + true baryons, (B) Tully-Fisher."""
    from astropy import units as u

    from dmprofile.classical import tully_fisher_velocity

    log_r = np.log10(suite.radii.to_value(u.kpc))
    true_v, cnn_v, tf_v = [], [], []
    for res in results:
        t = suite.truth[res["row"]]
        r2 = 2.0 * float(t["r_half_stars"])
        v_true = float(t["v_circ_2rhalf"])
        m_true = 10 ** np.interp(np.log10(r2), log_r, np.asarray(t["log_mdm"], dtype=float))
        m_cnn = 10 ** np.interp(np.log10(r2), log_r, np.asarray(res["cnn"]))
        true_v.append(v_true)
        cnn_v.append(np.sqrt(max(v_true**2 + G_KPC * (m_cnn - m_true) / r2, 0.0)))
        tf_v.append(tully_fisher_velocity(float(t["stellar_mass"]) * u.Msun).value.to_value(
            u.km / u.s))
    return np.asarray(true_v), np.asarray(cnn_v), np.asarray(tf_v, dtype=float)


def figure(suite, results, path):
    """RMSE against radius per method, and V_circ(2 r_half) against the truth."""
    import matplotlib.pyplot as plt
    from astropy import units as u

    radii = suite.radii.to_value(u.kpc)
    truth = np.array([np.asarray(suite.truth["log_mdm"][r["row"]], dtype=float)
                      for r in results])
    cnn = np.array([r["cnn"] for r in results])
    ok = np.array(["rc" in r for r in results])
    rc = np.array([r["rc"] for r in results if "rc" in r])
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    ax = axes[0]
    ax.plot(radii, np.sqrt(np.mean((cnn - truth) ** 2, axis=0)), "o-",
            label=f"CNN ensemble, all {len(results)} galaxies")
    if ok.any():
        ax.plot(radii, np.sqrt(np.mean((cnn[ok] - truth[ok]) ** 2, axis=0)), "s--",
                label=f"CNN ensemble, the {ok.sum()} with a rotation curve")
        ax.plot(radii, np.sqrt(np.mean((rc - truth[ok]) ** 2, axis=0)), "^-",
                label=f"rotation curve + NFW, {ok.sum()} galaxies")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("R [kpc]")
    ax.set_ylabel("RMSE of log10 M_DM(<R) [dex]")
    ax.legend(fontsize=8)
    v_true, v_cnn, v_tf = v_circ_estimates(suite, results)
    ax = axes[1]
    ax.plot(v_true, v_cnn, "o", ms=4, label="(A) CNN dark mass + true baryons")
    ax.plot(v_true, v_tf, "s", ms=4, label="(B) Tully-Fisher (Hall et al. 2012), true M*")
    lim = [0.8 * min(v_true.min(), v_cnn.min(), v_tf.min()),
           1.2 * max(v_true.max(), v_cnn.max(), v_tf.max())]
    ax.plot(lim, lim, "k-", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("true V_circ(2 r_half) [km/s]")
    ax.set_ylabel("estimated V_circ(2 r_half) [km/s]")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def section(suite, results, args, argv):
    """Return the markdown section of docs/benchmarks.md."""
    from astropy import units as u

    from _report import machine

    radii = suite.radii.to_value(u.kpc)
    truth = np.array([np.asarray(suite.truth["log_mdm"][r["row"]], dtype=float)
                      for r in results])
    cnn = np.array([r["cnn"] for r in results])
    ok = np.array(["rc" in r for r in results])
    rc = np.array([r["rc"] for r in results if "rc" in r]).reshape(-1, len(radii))
    rmse = {"CNN, all": np.sqrt(np.mean((cnn - truth) ** 2, axis=0))}
    if ok.any():
        rmse["CNN, same galaxies as RC"] = np.sqrt(np.mean((cnn[ok] - truth[ok]) ** 2, axis=0))
        rmse["rotation curve + NFW"] = np.sqrt(np.mean((rc - truth[ok]) ** 2, axis=0))
        rmse["rotation curve, median error"] = np.median(rc - truth[ok], axis=0)
    v_true, v_cnn, v_tf = v_circ_estimates(suite, results)
    failures = {}
    for r in results:
        if "rc_error" in r:
            key = r["rc_error"].split(":")[1].strip()[:60]
            failures[key] = failures.get(key, 0) + 1
    picks = [int(np.argmin(np.abs(radii - r))) for r in (1.0, 3.0, 10.0, 30.0, 100.0)]
    lines = ["## CNN and rotation curve side by side on held-out mock discs "
             "(`benchmarks/bench_disc_side_by_side.py`)", "",
             f"Machine: {machine()}; load average {os.getloadavg()[0]:.1f}.", "",
             f"{len(results)} held-out test galaxies of `{Path(args.suite).name}` (first "
             f"realisation each; split by galaxy), model `{args.model}`. The rotation-curve "
             f"route ran on {ok.sum()} of them; it failed on the others: "
             + (", ".join(f"{v} x {k}" for k, v in failures.items()) or "none") + ".", "",
             "| RMSE [dex] | " + " | ".join(f"{radii[i]:.3g} kpc" for i in picks) + " |",
             "|---|" + "---|" * len(picks)]
    for name, values in rmse.items():
        lines.append(f"| {name} | " + " | ".join(f"{values[i]:+.3f}" if "median" in name
                                                   else f"{values[i]:.3f}" for i in picks)
                     + " |")
    dex_a = np.log10(v_cnn / v_true)
    dex_b = np.log10(v_tf / v_true)
    times = {k: np.median([r[k] for r in results]) for k in ("cnn_s", "observe_s", "rc_s")}
    lines += ["", "V_circ at twice the stellar half-mass radius against the truth, log10 of "
              "the ratio [dex] (median, 16-84 % range): "
              f"(A) CNN dark mass + true baryons {np.median(dex_a):+.3f} "
              f"({np.percentile(dex_a, 16):+.3f}, {np.percentile(dex_a, 84):+.3f}); "
              f"(B) Tully-Fisher from the true M* {np.median(dex_b):+.3f} "
              f"({np.percentile(dex_b, 16):+.3f}, {np.percentile(dex_b, 84):+.3f}).", "",
              f"Median time per galaxy: CNN {times['cnn_s']:.2f} s, regenerating the mock "
              f"observation {times['observe_s']:.1f} s, rotation-curve route (rings, "
              f"photometry, NFW fit) {times['rc_s']:.1f} s.", "",
              "Figure: `docs/_static/disc_side_by_side.png`.", "",
              "Command: `nice -n 10 python benchmarks/bench_disc_side_by_side.py "
              + " ".join(argv if argv is not None else sys.argv[1:]) + "`"]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", required=True)
    parser.add_argument("--model", default="default")
    parser.add_argument("--n-galaxies", type=int, default=60)
    parser.add_argument("--out", default="cache/bench_side_by_side")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split-model", default=None,
                        help="model whose test split picks the galaxies (default: --model); "
                             "e.g. a finished member, to run the rotation curves early")
    parser.add_argument("--rc-only", action="store_true",
                        help="only run (and cache) the rotation-curve route")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    from dmprofile._infer_mass import load_mass_ensemble
    from dmprofile.suites import read_suite

    suite = read_suite(args.suite)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.jsonl"
    done = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            if line.strip():
                rec = json.loads(line)
                done[rec["row"]] = rec
    rows = test_rows(suite, load_mass_ensemble(args.split_model or args.model),
                     args.n_galaxies)
    with path.open("a") as fh:
        for k, row in enumerate(rows):
            if row in done:
                continue
            rec = rotation_curve_route(suite, row, seed=args.seed + k)
            done[row] = rec
            fh.write(json.dumps(rec) + "\n")
            fh.flush()
            print(f"{k + 1}/{len(rows)} row {row}: "
                  + ("RC ok" if "rc" in rec else rec["rc_error"][:70])
                  + f" ({rec['rc_s']:.1f} s)", flush=True)
    if args.rc_only:
        return None
    results = [done[r] for r in rows]
    add_cnn(suite, load_mass_ensemble(args.model), results)
    figure(suite, results, ROOT / "docs" / "_static" / "disc_side_by_side.png")
    text = section(suite, results, args, argv)
    print(text)
    if not args.no_write:
        from _report import write_section

        write_section(ROOT / "docs" / "benchmarks.md", "disc-side-by-side", text)
    return results


if __name__ == "__main__":
    main()
