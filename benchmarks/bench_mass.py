"""Accuracy, calibration and speed of the mass-profile ensembles on held-out mock discs.

Scores each ensemble with `dmprofile.nets.evaluate_mass` on the held-out test galaxies of its
training suite (the 20 % of the galaxies its members never saw, split by galaxy, not by
realisation): per radius the RMSE, MAE and bias of log10 M_DM(<R), the coverage of the 68 % and
95 % intervals, and the RMSE of the two baselines that see no image (the profile predicted from
the true M* alone, and the median profile of the training set), as ratios. Draws three figures
into docs/_static (errors against radius, coverage, two test galaxies with and without HI as
the paper's Fig. 6), times one galaxy through each ensemble (stacked channels, after a warm-up
call; and from FITS-like HDUs through `dmprofile.infer_mass_profile`, reprojection included),
prints a table with the targets of issue 12 (met or not; see `targets`) and writes the
``mass-ensembles`` section of docs/benchmarks.md (``--no-write`` to skip it and put the
figures beside the JSON reports in ``--out`` instead; ``--section`` and
``--figure-prefix`` for ensembles of another suite). Run with::

    nice -n 10 python benchmarks/bench_mass.py --suite cache/suites/discs_v1 \
        --models default=default photometry=photometry
    nice -n 10 python benchmarks/bench_mass.py --suite cache/suites/discs_nfw_v1 \
        --models default=cache/models/mass_nfw_phys_default \
        photometry=cache/models/mass_nfw_phys_photometry \
        --section mass-ensembles-nfw --figure-prefix mass_nfw

``NAME=MODEL``: MODEL is a bundled name (``default``, ``photometry``) or an ensemble directory.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "docs" / "_static"
SECTION = "mass-ensembles"


def parse_models(items):
    """Return {label: model} from ``NAME=MODEL`` strings."""
    out = {}
    for item in items:
        label, _, model = item.partition("=")
        if not model:
            msg = f"--models entries must be NAME=MODEL, got {item!r}"
            raise SystemExit(msg)
        out[label] = model
    return out


def time_one(ensemble, suite, row, *, repeats=5):
    """Median seconds to predict one galaxy from its stacked channels (after a warm-up)."""
    from dmprofile.nets import suite_inputs

    x = suite_inputs(suite, ensemble, np.array([row]))
    ensemble.predict(**x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        ensemble.predict(**x)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def time_from_hdus(model, suite, row, *, repeats=3):
    """Median seconds of `dmprofile.infer_mass_profile` on a mock observation's HDUs."""
    import warnings

    import dmprofile
    from dmprofile._infer_mass import load_mass_ensemble

    ensemble = load_mass_ensemble(model)
    observation = suite.observation(int(row))
    hdus = {c: observation[c.upper()] for c in ensemble.channels}
    times = []
    for i in range(repeats + 1):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dmprofile.infer_mass_profile(hdus, model=ensemble, seed=0)
        if i:
            times.append(time.perf_counter() - start)
    return float(np.median(times))


def _colours(reports):
    """One colour per model, the same in every panel and figure."""
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("tab10" if len(reports) <= 10 else "tab20")
    return {label: cmap(k % cmap.N) for k, label in enumerate(reports)}


def plot_errors(reports, path):
    """RMSE / MAE against radius for each model and the baselines, and the RMSE ratios.

    One colour per model: solid RMSE and dashed MAE in the first panel, solid ratio to the
    M*-only baseline and dotted ratio to the training median in the second, bias in the third.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    colours = _colours(reports)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.4))
    first = next(iter(reports.values()))
    radii = np.asarray(first["radii_kpc"])
    for label, rep in reports.items():
        c = colours[label]
        axes[0].plot(radii, rep["network"]["rmse"], "o-", ms=3, color=c)
        axes[0].plot(radii, rep["network"]["mae"], "--", lw=0.8, color=c)
        axes[1].plot(radii, rep["rmse_ratio"]["mstar_only"], "o-", ms=3, color=c)
        axes[1].plot(radii, rep["rmse_ratio"]["training_median"], ":", color=c)
        axes[2].plot(radii, rep["network"]["bias"], "o-", ms=3, color=c)
    for key, style in (("mstar_only", "k-"), ("training_median", "k:")):
        axes[0].plot(radii, first["baselines"][key]["rmse"], style, lw=2)
    axes[1].axhline(1.0, color="0.5", lw=0.8)
    axes[1].axhline(0.6, color="0.5", lw=0.8, ls="--")
    axes[2].axhline(0.0, color="0.5", lw=0.8)
    titles = ("RMSE (solid), MAE (dashed) of log10 M_DM(<R) [dex]",
              "RMSE / M*-only (solid), / training median (dotted)",
              "bias (median - truth) [dex]")
    for ax, title in zip(axes, titles, strict=True):
        ax.set_xscale("log")
        ax.set_xlabel("R [kpc]")
        ax.set_title(title, fontsize=9)
    handles = [Line2D([], [], color=colours[label], marker="o", ms=3, label=label)
               for label in reports]
    handles += [Line2D([], [], color="k", lw=2, label="baseline M*-only (RMSE)"),
                Line2D([], [], color="k", lw=2, ls=":", label="baseline training median")]
    fig.legend(handles=handles, loc="center right", fontsize=7)
    fig.tight_layout(rect=(0, 0, 0.86, 1))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_coverage(reports, path):
    """Coverage of the 68 % (solid) and 95 % (dashed) intervals against radius."""
    import matplotlib.pyplot as plt

    colours = _colours(reports)
    fig, ax = plt.subplots(figsize=(8, 4.4))
    for label, rep in reports.items():
        radii = np.asarray(rep["radii_kpc"])
        for level, style in ((68, "o-"), (95, "s--")):
            ax.plot(radii, 100 * np.asarray(rep["network"][f"coverage_{level}"]), style, ms=3,
                    color=colours[label], label=label if level == 68 else None)
    for level, band in ((68, 3), (95, 2)):
        ax.axhspan(level - band, level + band, color="0.9", zorder=0)
    ax.set_xscale("log")
    ax.set_xlabel("R [kpc]")
    ax.set_ylabel("test galaxies inside the interval [%]")
    ax.set_title("68 % (solid) and 95 % (dashed) intervals; grey: the targets", fontsize=9)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_two_galaxies(ensembles, suite, rows, path):
    """Draw the paper's Fig. 6: two test galaxies, each ensemble's median and 68 % band."""
    import matplotlib.pyplot as plt

    from dmprofile.nets import suite_inputs

    fig, axes = plt.subplots(1, len(rows), figsize=(6 * len(rows), 4.2))
    radii = suite.radii.value
    for ax, row in zip(np.atleast_1d(axes), rows, strict=True):
        truth = np.asarray(suite.truth["log_mdm"][row], dtype=float)
        for k, (label, ens) in enumerate(ensembles.items()):
            pred = ens.predict_log10(**suite_inputs(suite, ens, np.array([row])))
            shift = 1.0 + 0.03 * (k - 0.5)
            ax.errorbar(radii * shift, pred["median"][0],
                        yerr=[pred["median"][0] - pred["lower_68"][0],
                              pred["upper_68"][0] - pred["median"][0]],
                        fmt="o", ms=3, capsize=2, label=f"{label} (68 %)")
        ax.plot(radii, truth, "k-", label="truth")
        gid = int(suite.truth["galaxy_id"][row])
        ax.set_title(f"test galaxy {gid} (row {row}), log M* = "
                     f"{float(suite.truth['prior_log_mstar'][row]):.2f}", fontsize=10)
        ax.set_xscale("log")
        ax.set_xlabel("R [kpc]")
        ax.set_ylabel("log10 M_DM(<R) [Msun]")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fmt_row(values, spec="{:.3f}"):
    """Format numbers for a markdown table row."""
    return " | ".join(spec.format(v) for v in values)


PHOTOMETRIC = frozenset("ugriz")


def targets(rep):
    """Return [(target, measured, met)] of issue 12 for one ensemble's report.

    Every ensemble: beat the median training profile at every radius and cover 68 +- 3 % and
    95 +- 2 % at every radius. An ensemble that reads HI maps: RMSE <= 0.6x the M*-only
    baseline at 3-30 kpc, < 1x at every radius and <= 0.15 dex at 10 kpc. A photometry-only
    ensemble: <= 1x the M*-only baseline at every radius.
    """
    radii = np.asarray(rep["radii_kpc"])
    net, ratio = rep["network"], rep["rmse_ratio"]
    mstar = np.asarray(ratio["mstar_only"])
    median = np.asarray(ratio["training_median"])
    c68 = 100 * np.asarray(net["coverage_68"])
    c95 = 100 * np.asarray(net["coverage_95"])
    band = (radii >= 3) & (radii <= 30)
    out = [("RMSE < training median, every radius", f"max {median.max():.2f}x",
            bool(median.max() < 1)),
           ("68 % coverage 65-71 %, every radius", f"{c68.min():.1f}-{c68.max():.1f} %",
            bool(c68.min() >= 65 and c68.max() <= 71)),
           ("95 % coverage 93-97 %, every radius", f"{c95.min():.1f}-{c95.max():.1f} %",
            bool(c95.min() >= 93 and c95.max() <= 97))]
    if set(rep["model"]["channels"]) <= PHOTOMETRIC:
        out.append(("RMSE <= 1x M*-only, every radius", f"max {mstar.max():.2f}x",
                    bool(mstar.max() <= 1)))
    else:
        at10 = float(np.interp(1.0, np.log10(radii), net["rmse"]))
        out += [("RMSE <= 0.6x M*-only at 3-30 kpc", f"max {mstar[band].max():.2f}x",
                 bool(mstar[band].max() <= 0.6)),
                ("RMSE < 1x M*-only, every radius", f"max {mstar.max():.2f}x",
                 bool(mstar.max() < 1)),
                ("RMSE <= 0.15 dex at 10 kpc", f"{at10:.3f} dex", bool(at10 <= 0.15))]
    return out


def section(reports, timings, args, argv):
    """Return the markdown section of docs/benchmarks.md."""
    import keras

    from _report import machine

    first = next(iter(reports.values()))
    radii = np.asarray(first["radii_kpc"])
    title = "## Mass-profile ensembles on held-out mock discs (`benchmarks/bench_mass.py`)"
    if args.section != SECTION:
        title += f", suite `{Path(args.suite).name}`"
    lines = [title, "",
             f"Machine: {machine(f'keras {keras.__version__} ({keras.backend.backend()})')}; "
             f"load average {os.getloadavg()[0]:.1f}.", "",
             f"Suite `{Path(args.suite).name}` (checksum `{first['suite']['checksum'][:16]}...`); "
             f"the test galaxies of the ensembles' own split (by galaxy): "
             f"{first['n_galaxies']} galaxies, {first['n_rows']} realisations. Errors in dex "
             "of log10 M_DM(<R); ratios are the network's RMSE over the baseline's on the "
             "same rows (`mstar_only`: NFW halo from the true M* through the prior's "
             "stellar-to-halo relation; `training_median`: median training profile).", ""]
    for label, rep in reports.items():
        net, ratio = rep["network"], rep["rmse_ratio"]
        grid = rep.get("physical_grid")
        grid = ("angular grid" if not grid else
                f"physical grid of {grid['fov_kpc']:g} kpc (`--physical-fov`)")
        lines += [f"### `{label}`: {rep['model']['n_members']} members, channels "
                  f"{','.join(rep['model']['channels'])}, loss {rep['model']['loss']}, {grid}",
                  "",
                  "| R [kpc] | RMSE | MAE | bias | cover 68 % | cover 95 % | RMSE M*-only | "
                  "ratio M*-only | ratio median |", "|---|---|---|---|---|---|---|---|---|"]
        for i, r in enumerate(radii):
            lines.append(
                f"| {r:.3g} | {net['rmse'][i]:.3f} | {net['mae'][i]:.3f} | "
                f"{net['bias'][i]:+.3f} | {100 * net['coverage_68'][i]:.0f} | "
                f"{100 * net['coverage_95'][i]:.0f} | "
                f"{rep['baselines']['mstar_only']['rmse'][i]:.3f} | "
                f"{ratio['mstar_only'][i]:.2f} | {ratio['training_median'][i]:.2f} |")
        band = (radii >= 3) & (radii <= 30)
        scale = rep["model"].get("sigma_scale")
        what, unit = (("the members' widths scaled by the per-radius factors", "")
                      if rep["model"].get("loss") == "gaussian_nll"
                      else ("each member given a Gaussian width per radius of", " dex"))
        calibration = (f"{what} {min(scale):.2f}-{max(scale):.2f}{unit} fitted on the "
                       "validation galaxies (`BootstrapEnsemble.calibrate`)"
                       if scale else "not calibrated")
        lines += ["", f"Intervals: {calibration}. Mean coverage over the radii: 68 % interval "
                  f"{100 * np.mean(net['coverage_68']):.1f} %, 95 % interval "
                  f"{100 * np.mean(net['coverage_95']):.1f} %. RMSE ratio to M*-only: max "
                  f"{np.max(ratio['mstar_only']):.2f} over all radii, max "
                  f"{np.max(np.asarray(ratio['mstar_only'])[band]):.2f} at 3-30 kpc; to the "
                  f"training median: max {np.max(ratio['training_median']):.2f}. RMSE at 10 kpc: "
                  f"{np.interp(1.0, np.log10(radii), net['rmse']):.3f} dex (interpolated).", "",
                  "| target (issue 12) | measured | met |", "|---|---|---|"]
        lines += [f"| {t} | {m} | {'yes' if ok else '**no**'} |" for t, m, ok in targets(rep)]
        lines.append("")
    lines += ["### Speed of one galaxy", "", "| model | stacked channels | from HDUs "
              "(`infer_mass_profile`, reprojection included) |", "|---|---|---|"]
    for label, (t_stack, t_hdu) in timings.items():
        lines.append(f"| {label} | {t_stack:.2f} s | {t_hdu:.2f} s |")
    names = [f"`docs/_static/{args.figure_prefix}_{n}.png`"
             for n in ("errors", "coverage", "two_galaxies")]
    lines += ["", f"Figures: {', '.join(names)}.", "",
              "Command: `nice -n 10 python benchmarks/bench_mass.py "
              + " ".join(argv if argv is not None else sys.argv[1:]) + "`"]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", required=True, help="the ensembles' training suite")
    parser.add_argument("--models", nargs="+", default=["default=default",
                                                        "photometry=photometry"],
                        help="NAME=MODEL items (bundled name or ensemble directory)")
    parser.add_argument("--out", default="cache/bench_mass", help="JSON reports go here")
    parser.add_argument("--fig-rows", default=None,
                        help="two comma-separated suite rows for the Fig. 6 panel "
                             "(default: the first test rows of two galaxies)")
    parser.add_argument("--section", default=SECTION,
                        help="section of docs/benchmarks.md to write (default: %(default)s)")
    parser.add_argument("--figure-prefix", default="mass",
                        help="figures go to docs/_static/PREFIX_*.png (default: %(default)s)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    from dmprofile._infer_mass import load_mass_ensemble
    from dmprofile.nets import evaluate_mass
    from dmprofile.suites import read_suite

    suite = read_suite(args.suite)
    models = parse_models(args.models)
    ensembles = {label: load_mass_ensemble(model) for label, model in models.items()}
    reports, timings = {}, {}
    for label, ens in ensembles.items():
        table = evaluate_mass(suite, ens, Path(args.out) / label, split="test")
        reports[label] = table.meta
        reports[label]["physical_grid"] = ens.members[0].physical_grid
        net = table.meta["network"]
        print(f"{label}: {table.meta['n_galaxies']} test galaxies; RMSE "
              + " ".join(f"{v:.3f}" for v in net["rmse"]), flush=True)
        print("   ratio M*-only " + " ".join(f"{v:.2f}" for v in
                                              table.meta["rmse_ratio"]["mstar_only"]))
        print(f"   coverage 68 {100 * np.mean(net['coverage_68']):.1f} %  95 "
              f"{100 * np.mean(net['coverage_95']):.1f} %", flush=True)
        for target, measured, met in targets(table.meta):
            print(f"   {target}: {measured} ({'met' if met else 'NOT met'})", flush=True)
    rows = np.asarray(next(iter(reports.values()))["rows"])
    if args.fig_rows:
        fig_rows = [int(r) for r in args.fig_rows.split(",")]
    else:
        gids = np.asarray(suite.truth["galaxy_id"])[rows]
        _, first = np.unique(gids, return_index=True)
        fig_rows = [int(rows[i]) for i in sorted(first)[:2]]
    for label, ens in ensembles.items():
        timings[label] = (time_one(ens, suite, fig_rows[0]),
                          time_from_hdus(models[label], suite, fig_rows[0]))
        print(f"{label}: one galaxy {timings[label][0]:.2f} s (stacked), "
              f"{timings[label][1]:.2f} s (from HDUs)", flush=True)
    # figures go to docs/_static, or with --no-write beside the JSON reports
    static = Path(args.out) if args.no_write else STATIC
    static.mkdir(parents=True, exist_ok=True)
    plot_errors(reports, static / f"{args.figure_prefix}_errors.png")
    plot_coverage(reports, static / f"{args.figure_prefix}_coverage.png")
    plot_two_galaxies(ensembles, suite, fig_rows, static / f"{args.figure_prefix}_two_galaxies.png")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "timings.json").write_text(json.dumps(timings, indent=1))
    if not args.no_write:
        from _report import write_section

        write_section(ROOT / "docs" / "benchmarks.md", args.section,
                      section(reports, timings, args, argv))
    return reports, timings


if __name__ == "__main__":
    main()
