"""Table 1 of Expósito-Márquez et al. (2022), side by side: four Local Group dwarf spheroidals.

For Carina, Sextans, Fornax and Sculptor (the bundled Walker, Mateo & Olszewski 2009 velocities
of members with Mmb >= 0.5, galaxy parameters from the LVDB), `dmprofile.compare` infers the
dark-matter log-slope at 150 pc with the slope network (100 Monte-Carlo dropout passes) and
with the spherical Jeans analysis of `dmprofile.classical` (its default halo prior, ``--halo``,
Baes & van Hese anisotropy, Plummer tracer with the photometric half-light radius). The results
are put next to GravSphere (Read et al. 2019, as quoted in the paper's Table 1) and the paper's
own network.

Writes to ``--out-dir``:

* ``local_group_dwarfs.md``: the table in markdown;
* ``local_group_dwarfs.ecsv``: the same numbers, machine-readable;
* ``local_group_dwarfs.png``: the four posteriors (network with its epistemic band and Jeans
  overlaid, GravSphere and the paper's network marked);
* ``posteriors/GALAXY_METHOD.fits``: every posterior (`dmprofile.results.SlopePosterior.read`).

Run:  python examples/local_group_dwarfs.py [--model default] [--out-dir local_group] [--seed 1]
(the network takes well under a second per galaxy once the model is loaded, the Jeans fits of
the default mixture prior, run until converged, about a minute each on two free cores;
``--nsteps 1000`` gives a quick, unconverged look).
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.table import QTable

import dmprofile
from dmprofile.datasets import walker2009

#: Galaxies in the order of the paper's Table 1.
GALAXIES = ("carina", "sextans", "fornax", "sculptor")

#: GravSphere (Read, Walker & Steger 2019) as quoted in Table 1 of Expósito-Márquez et al.
#: (2022): mode, +upper, -lower.
GRAVSPHERE = {"carina": (-1.23, 0.39, 0.35), "sextans": (-0.95, 0.25, 0.25),
              "fornax": (-0.30, 0.21, 0.28), "sculptor": (-0.83, 0.30, 0.25)}

#: The network of Expósito-Márquez et al. (2022), Table 1 (mode of the posterior).
PAPER_NETWORK = {"carina": -1.06, "sextans": -1.25, "fornax": -0.38, "sculptor": -1.08}


def _fmt(mode, plus, minus):
    return f"{mode:.2f} +{plus:.2f}/-{minus:.2f}"


def run(galaxies, *, model, seed, n_passes, jeans_kwargs, out_dir):
    """Compare both methods on each galaxy; return the summary table and the comparisons."""
    rows, comparisons = [], {}
    post_dir = out_dir / "posteriors"
    post_dir.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(galaxies):
        stars = walker2009(name)
        print(f"--- {stars.meta['galaxy']}: {len(stars)} members", flush=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", dmprofile.DMProfileWarning)
            cmp = dmprofile.compare(stars, model=model, seed=seed + i,
                                    network_kwargs={"n_passes": n_passes},
                                    jeans_kwargs=jeans_kwargs)
        for w in caught:
            print(f"    warning: {w.message}")
        print(cmp)
        comparisons[name] = cmp
        net, jeans = cmp["network"], cmp["jeans"]
        for method in cmp.methods:
            cmp[method].write(post_dir / f"{name}_{method}.fits", overwrite=True)
        net_hdi, jeans_hdi = net.interval(0.68), jeans.interval(0.68)
        conv = cmp.results["jeans"].convergence
        rows.append({
            "galaxy": stars.meta["galaxy"], "n_stars": len(stars),
            "gravsphere": GRAVSPHERE[name][0], "gravsphere_plus": GRAVSPHERE[name][1],
            "gravsphere_minus": GRAVSPHERE[name][2], "paper_network": PAPER_NETWORK[name],
            "network": net.mode, "network_plus": net_hdi.plus, "network_minus": net_hdi.minus,
            "network_secondary": np.nan if net.secondary_mode is None else net.secondary_mode,
            "network_mean": net.mean,
            "jeans": jeans.mode, "jeans_plus": jeans_hdi.plus, "jeans_minus": jeans_hdi.minus,
            "jeans_secondary": np.nan if jeans.secondary_mode is None else jeans.secondary_mode,
            "jeans_median": cmp.results["jeans"].gamma_150()[0],
            "jeans_tau_gamma": conv["tau_gamma_150"], "jeans_converged": conv["converged"],
            "network_time": cmp.wall_times["network"], "jeans_time": cmp.wall_times["jeans"],
        })
    table = QTable(rows=rows)
    for col in ("network_time", "jeans_time"):
        table[col] = u.Quantity(np.asarray(table[col], dtype=float), u.s)
    for col in table.colnames[2:]:
        if table[col].dtype.kind == "f":
            table[col].info.format = ".3f"
    return table, comparisons


def markdown(table, *, header):
    """Return the paper's Table 1 with dmprofile's columns added, as a markdown table."""
    lines = [header, "",
             "| Galaxy | Stars | GravSphere | Paper's network | dmprofile network "
             "(secondary mode) | dmprofile Jeans | Time network / Jeans |",
             "|---|---:|---|---|---|---|---|"]
    for r in table:
        second = ("" if np.isnan(r["network_secondary"])
                  else f" ({r['network_secondary']:.2f})")
        lines.append(
            f"| {r['galaxy']} | {r['n_stars']} "
            f"| {_fmt(r['gravsphere'], r['gravsphere_plus'], r['gravsphere_minus'])} "
            f"| {r['paper_network']:.2f} "
            f"| {_fmt(r['network'], r['network_plus'], r['network_minus'])}{second} "
            f"| {_fmt(r['jeans'], r['jeans_plus'], r['jeans_minus'])} "
            f"| {r['network_time'].value:.1f} s / {r['jeans_time'].value:.0f} s |")
    lines += ["", "Mode +upper/-lower of the 68% highest-density interval grown from the mode; "
              "GravSphere from Read et al. (2019) and the paper's network from Table 1 of "
              "Expósito-Márquez et al. (2022). Times exclude loading the model."]
    return "\n".join(lines) + "\n"


def figure(comparisons, path):
    """Four panels: both posteriors of each galaxy, GravSphere and the paper's network marked."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7), layout="constrained", sharex=True)
    for ax, (name, cmp) in zip(axes.ravel(), comparisons.items()):
        mode, plus, minus = GRAVSPHERE[name]
        ax.axvspan(mode - minus, mode + plus, color="0.85", lw=0, zorder=0,
                   label="GravSphere 68%")
        ax.axvline(mode, color="0.4", lw=1.5, label="GravSphere")
        cmp.plot(ax=ax, legend=False)
        ax.axvline(PAPER_NETWORK[name], color="k", ls="-.", lw=1.2,
                   label="Expósito-Márquez+22 network")
        ax.set_title(f"{name.capitalize()} ({cmp['network'].meta['n_stars']} stars)")
        ax.set_xlim(-2.5, 0.5)
    for ax in axes.ravel()[len(comparisons):]:
        ax.set_visible(False)
    for ax in axes[0]:
        ax.set_xlabel("")
    keep = ("network (MDCNN)", "network (MDCNN) epistemic band", "Jeans (emcee)",
            "GravSphere", "GravSphere 68%", "Expósito-Márquez+22 network")
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    pairs = sorted(((h, lab) for h, lab in zip(handles, labels) if lab in keep),
                   key=lambda p: keep.index(p[1]))
    fig.legend(*zip(*pairs), loc="outside lower center", ncols=3, fontsize="small",
               frameon=False)
    fig.suptitle("Dark-matter log-slope at 150 pc; shaded: 68% HDI; vertical lines: mode "
                 "(solid), secondary mode (dashed), mean (dotted)", fontsize="medium")
    fig.savefig(path, dpi=130)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="'default' or a model directory")
    parser.add_argument("--out-dir", default="local_group", type=Path, help="output directory")
    parser.add_argument("--galaxies", default=",".join(GALAXIES),
                        help="comma-separated subset of " + ", ".join(GALAXIES))
    parser.add_argument("--seed", type=int, default=1,
                        help="seed (galaxy i uses seed + i; default %(default)s)")
    parser.add_argument("--n-passes", type=int, default=100, help="Monte-Carlo dropout passes")
    parser.add_argument("--nwalkers", type=int, default=32, help="emcee walkers")
    parser.add_argument("--nsteps", type=int, default=None,
                        help="emcee steps per walker (default: jeans_analysis's, each halo "
                             "family until its chain spans 50 autocorrelation times)")
    parser.add_argument("--halo", default="mixture",
                        help="Jeans halo prior (default %(default)s, the package default)")
    parser.add_argument("--tracer", default="r_half", choices=("r_half", "fit"),
                        help="Jeans tracer: Plummer with the photometric r_half, or fitted")
    parser.add_argument("--vsp", action="store_true", help="virial shape parameters in the fit")
    parser.add_argument("--progress", action="store_true", help="emcee progress bars")
    args = parser.parse_args(argv)

    galaxies = tuple(g.strip().lower() for g in args.galaxies.split(",") if g.strip())
    unknown = sorted(set(galaxies) - set(GALAXIES))
    if unknown:
        parser.error(f"unknown galaxies {unknown}; choose from {', '.join(GALAXIES)}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    jeans_kwargs = {"halo": args.halo, "anisotropy": "baes", "tracer": args.tracer,
                    "nwalkers": args.nwalkers, "nsteps": args.nsteps, "vsp": args.vsp,
                    "progress": args.progress}
    start = time.perf_counter()
    table, comparisons = run(galaxies, model=args.model, seed=args.seed, n_passes=args.n_passes,
                             jeans_kwargs=jeans_kwargs, out_dir=args.out_dir)
    model_name = next(iter(comparisons.values()))["network"].meta["model"]
    table.meta.update({"dmprofile_version": dmprofile.__version__, "model": str(model_name),
                       "seed": args.seed, "n_passes": args.n_passes,
                       "jeans": {k: v for k, v in jeans_kwargs.items() if k != "progress"}})
    table.write(args.out_dir / "local_group_dwarfs.ecsv", overwrite=True)
    steps = (f"{args.nsteps} steps" if args.nsteps is not None else
             "steps until 50 autocorrelation times per halo family")
    header = (f"dmprofile {dmprofile.__version__}, model {model_name}, seed {args.seed}, "
              f"{args.n_passes} passes; Jeans: {args.halo} halo + Baes & van Hese, tracer="
              f"{args.tracer}, {args.nwalkers} walkers x {steps}"
              f"{', VSPs' if args.vsp else ''}")
    text = markdown(table, header=header)
    (args.out_dir / "local_group_dwarfs.md").write_text(text)
    print()
    print(text)
    figure(comparisons, args.out_dir / "local_group_dwarfs.png")
    print(f"wrote {args.out_dir}/local_group_dwarfs.{{md,ecsv,png}} and posteriors/ "
          f"in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
