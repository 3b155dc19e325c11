"""Networks A, B, C, ResNet50 and network B on input subsets: errors against radius (Figs. 4-5).

After de los Rios et al. (2023, Figs. 4-5 and Appendices A-B): one network per variant,
trained with the paper's loss (mean squared error of log10 M_DM) on the training galaxies of a
disc suite, early-stopped on the validation galaxies and scored on the held-out test galaxies
(the split by galaxy of seed 0, the same for every variant and for the bundled ensembles). The
variants are the four architectures on the paper's six channels (u, r, z + the three HI maps)
and network B on all 8 channels; u, r, z + HI; i + mom1; HI only; u, r, z; i only; and the same
subsets for network A (``A-8`` ... ``A-i``), which learns where B, on this suite and within a
few CPU epochs, stays at the median training profile.

Training is resumable: each variant trains in ``--models-dir/<variant>`` and a finished one is
only evaluated again (``--report-only`` trains and evaluates nothing and redraws the figures
and the section from the kept records). Merges the records into ``variants.json`` there
(those of variants not run this time are kept, with the command that made them) and writes
the figures
docs/_static/mass_architectures.png, mass_inputs.png and mass_inputs_A.png, and the
``mass-variants`` section of docs/benchmarks.md (``--no-write`` to skip). Run with::

    nice -n 10 python benchmarks/bench_mass_variants.py --suite cache/suites/discs_v1 \
        --variants A-6 B-6 C-6 --epochs 15

ResNet50 (``resnet50-6``) takes about 9 minutes per epoch of this suite on 2 CPU cores; run it
on a GPU.
"""

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parents[1]
SIX = ("u", "r", "z", "mom0", "mom1", "mom2")
#: variant -> (architecture, channels, figure)
VARIANTS = {
    "A-6": ("A", SIX, "architectures"),
    "B-6": ("B", SIX, "architectures"),
    "C-6": ("C", SIX, "architectures"),
    "resnet50-6": ("resnet50", SIX, "architectures"),
    "B-8": ("B", ("u", "g", "r", "i", "z", "mom0", "mom1", "mom2"), "inputs"),
    "B-i+mom1": ("B", ("i", "mom1"), "inputs"),
    "B-HI": ("B", ("mom0", "mom1", "mom2"), "inputs"),
    "B-urz": ("B", ("u", "r", "z"), "inputs"),
    "B-i": ("B", ("i",), "inputs"),
    "A-8": ("A", ("u", "g", "r", "i", "z", "mom0", "mom1", "mom2"), "inputs_A"),
    "A-i+mom1": ("A", ("i", "mom1"), "inputs_A"),
    "A-HI": ("A", ("mom0", "mom1", "mom2"), "inputs_A"),
    "A-urz": ("A", ("u", "r", "z"), "inputs_A"),
    "A-i": ("A", ("i",), "inputs_A"),
}
FIGURES = {"architectures": "networks on u, r, z + HI", "inputs": "network B on input subsets",
           "inputs_A": "network A on input subsets (and on u, r, z + HI)"}


def run_variant(name, args):
    """Train (or resume) one variant and score it on the test galaxies; return its record."""
    from astropy import units as u

    from dmprofile.nets import evaluate_mass, train_mass

    arch, channels, _ = VARIANTS[name]
    out = Path(args.models_dir) / name
    fov = None if args.physical_fov is None else args.physical_fov * u.kpc
    model = train_mass(args.suite, out, channels=channels, architecture=arch, loss="mse",
                       epochs=args.epochs, batch_size=args.batch_size, seed=0,
                       patience=args.patience, learning_rate=args.learning_rate,
                       lr_patience=args.lr_patience, progress=False, name=name,
                       physical_fov=fov)
    table = evaluate_mass(args.suite, model, out / "evaluation", split="test")
    training = model.card["training"]
    return {"architecture": arch, "channels": list(channels),
            "n_weights": int(model.keras_model.count_params())
            if hasattr(model, "keras_model") else None,
            "epochs_run": training["epochs_run"], "best_epoch": training["best_epoch"],
            "elapsed_s": training["elapsed_s"],
            "s_per_epoch": training["elapsed_s"] / max(training["epochs_run"], 1),
            "learning_rate": training["learning_rate"], "max_epochs": training["max_epochs"],
            "patience": training["patience"], "physical_fov_kpc": args.physical_fov,
            "n_test_galaxies": table.meta["n_galaxies"], "radii_kpc": table.meta["radii_kpc"],
            "rmse": table.meta["network"]["rmse"], "mae": table.meta["network"]["mae"],
            "baselines": {k: v["rmse"] for k, v in table.meta["baselines"].items()}}


def load_records(path):
    """Return the records of earlier runs kept in ``variants.json`` (empty if there is none).

    Records written before the learning rate and the command were kept get them from the
    variant's model card and a note that the command was not recorded.
    """
    if not path.exists():
        return {}
    records = json.loads(path.read_text())
    for name, rec in records.items():
        if "learning_rate" not in rec:
            card = json.loads((path.parent / name / "model_card.json").read_text())
            training = card["training"]
            rec.update(learning_rate=training["learning_rate"],
                       max_epochs=training["max_epochs"], patience=training["patience"],
                       physical_fov_kpc=None)
        rec.setdefault("command", "(command not recorded)")
    return {k: records[k] for k in VARIANTS if k in records}


def plot(records, figure, path):
    """RMSE (solid) and MAE (dashed) against radius for the variants of one figure."""
    import matplotlib.pyplot as plt

    chosen = {k: v for k, v in records.items() if VARIANTS[k][2] == figure
              or (figure == "inputs_A" and k == "A-6")}
    if not chosen:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for k, rec in chosen.items():
        line, = ax.plot(rec["radii_kpc"], rec["rmse"], "o-", ms=3, label=f"{k}: RMSE")
        ax.plot(rec["radii_kpc"], rec["mae"], "--", color=line.get_color(), label=f"{k}: MAE")
    rec = next(iter(chosen.values()))
    ax.plot(rec["radii_kpc"], rec["baselines"]["mstar_only"], "k-", lw=2,
            label="baseline: true M* only (RMSE)")
    ax.plot(rec["radii_kpc"], rec["baselines"]["training_median"], "k:", lw=2,
            label="baseline: training median (RMSE)")
    ax.set_xscale("log")
    ax.set_xlabel("R [kpc]")
    ax.set_ylabel("error of log10 M_DM(<R) [dex]")
    ax.set_title(FIGURES[figure], fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def section(records, args, argv, figures=tuple(FIGURES)):
    """Return the markdown section of docs/benchmarks.md."""
    import keras

    from _report import machine

    radii = np.asarray(next(iter(records.values()))["radii_kpc"])
    picks = [int(np.argmin(np.abs(radii - r))) for r in (1.0, 3.0, 10.0, 30.0, 100.0)]
    head = " | ".join(f"RMSE {radii[i]:.3g} kpc" for i in picks)
    lines = ["## Mass-profile networks A, B, C, ResNet50 and input subsets "
             "(`benchmarks/bench_mass_variants.py`)", "",
             f"Machine: {machine(f'keras {keras.__version__} ({keras.backend.backend()})')}; "
             f"load average {os.getloadavg()[0]:.1f}.", "",
             "One network per variant, mean squared error of log10 M_DM, Adam from the "
             "learning rate in the table (halved on plateaus), batch "
             f"{args.batch_size}, early stopping on the validation galaxies; split by galaxy "
             "(seed 0), scored on the held-out test galaxies of the suite "
             f"`{Path(args.suite).name}`. "
             + ("The networks read the suite's angular grid (17.2 arcmin, 8-40 Mpc). "
                if args.physical_fov is None else
                f"The images are resampled onto a {args.physical_fov:g} kpc field with each "
                "galaxy's distance (`dmprofile.observe.to_physical_grid`). ")
             + "Errors in dex; the last two columns are the baselines' RMSE at 10 kpc.", "",
             f"| variant | channels | Adam lr | epochs, max (best) | s / epoch | {head} | "
             "M*-only 10 kpc | median 10 kpc |",
             "|---|---|---|---|---|" + "---|" * len(picks) + "---|---|"]
    i10 = picks[2]
    for k, rec in records.items():
        lines.append(f"| {k} | {','.join(rec['channels'])} | {rec['learning_rate']:g} | "
                     f"{rec['epochs_run']}, {rec['max_epochs']} ({rec['best_epoch']}) | "
                     f"{rec['s_per_epoch']:.0f} | "
                     + " | ".join(f"{rec['rmse'][i]:.3f}" for i in picks)
                     + f" | {rec['baselines']['mstar_only'][i10]:.3f} | "
                       f"{rec['baselines']['training_median'][i10]:.3f} |")
    missing = [k for k in VARIANTS if k not in records]
    if missing:
        lines += ["", "Not run on this machine: " + ", ".join(missing) + "."]
    commands = list(dict.fromkeys(rec["command"] for rec in records.values()))
    commands.append(f"--suite {args.suite} --models-dir {args.models_dir} --report-only")
    lines += ["", "Figures: " + ", ".join(f"`docs/_static/mass_{f}.png`" for f in figures) + ".",
              "", "Commands (the records of earlier runs are kept in `variants.json`; a "
              "variant is trained once and then only evaluated again):", ""]
    lines += [f"    nice -n 10 python benchmarks/bench_mass_variants.py {c}" for c in commands]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", required=True)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--models-dir", default="cache/models/variants")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--patience", type=int, default=4)
    parser.add_argument("--lr-patience", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--physical-fov", type=float, default=None, metavar="KPC",
                        help="resample the images onto this physical field (kpc)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--report-only", action="store_true",
                        help="train nothing: redraw the figures and the section from "
                             "variants.json")
    args = parser.parse_args(argv)

    out = Path(args.models_dir)
    out.mkdir(parents=True, exist_ok=True)
    records = load_records(out / "variants.json")
    command = " ".join(a for a in (argv if argv is not None else sys.argv[1:])
                       if a != "--no-write")
    for name in [] if args.report_only else args.variants:
        records[name] = run_variant(name, args)
        records[name]["command"] = command
        records = {k: records[k] for k in VARIANTS if k in records}
        rec = records[name]
        print(f"{name}: {rec['epochs_run']} epochs, {rec['s_per_epoch']:.0f} s/epoch; RMSE "
              + " ".join(f"{v:.3f}" for v in rec["rmse"]), flush=True)
        (out / "variants.json").write_text(json.dumps(records, indent=1))
    if not records:
        raise SystemExit(f"no records in {out / 'variants.json'}: train some variants first")
    static = ROOT / "docs" / "_static"
    drawn = [f for f in FIGURES if plot(records, f, static / f"mass_{f}.png")]
    if not args.no_write:
        from _report import write_section

        write_section(ROOT / "docs" / "benchmarks.md", "mass-variants",
                      section(records, args, argv, drawn))
    return records


if __name__ == "__main__":
    main()
