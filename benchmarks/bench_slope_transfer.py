"""Benchmark of the dwarf slope network across priors: calibration by star count and by family.

Issue 14 asks, for the slope network trained on the broadened dwarf prior, that on held-out
galaxies the width of the 68% interval shrinks with the number of stars (bins up to 20,000 stars)
while the coverage stays at 68 +- 3% / 95 +- 2% in every star-count bin, that no halo, tracer or
anisotropy family (nor the one- or two-population galaxies) falls below 60% / 90% coverage, and
that each model is also scored on the suite of the other prior: the new model on a suite from
the old prior and the old model on the new suite, to show how far each transfers.

This script evaluates every ``--models`` x ``--suites`` pair. The held-out rows are chosen as in
``benchmarks/bench_slope.py``: the model's own training suite contributes only its test split
(recorded with the model), a suite with the seed and prior of the model's training suite (hence
its galaxies) is refused for that model (printed, the other pairs go on), and any other suite is
used whole. For each pair it reports the number of galaxies, the MAE and bias of the posterior
mode, the mean width of the 68% interval (grown from the primary mode, as in
`dmprofile.results.evaluate_posteriors`: the highest-density interval for unimodal posteriors)
and the empirical coverage of the 68% and 95% intervals, overall, by true star count, by halo
family, tracer family, anisotropy family and by one versus two stellar populations. Groups that
miss the targets (68 +- 3% / 95 +- 2% overall and per star-count bin; >= 60% / >= 90% per family)
are flagged in bold; the binomial 1-sigma scatter of a perfectly calibrated interval is printed
next to each coverage, to tell a miss from noise in small groups.

Run with::

    python benchmarks/bench_slope_transfer.py
        --models old=default new=cache/models/slope_broad
        --suites old=cache/suites/test_v1 new=cache/suites/broad_test
        [--n-passes 100] [--n-mocks N] [--seed 0]
        [--n-stars-bins 30 100 300 1000 3000 10000 20000]
        [--out-dir cache/bench/slope_transfer] [--no-write]

(``MODEL`` is ``default`` for the bundled model or a model directory.) Everything is printed;
``<out-dir>/transfer.json`` holds all the numbers and ``<out-dir>/<model>__<suite>.ecsv`` the
per-galaxy posterior summaries with their group labels. Unless ``--no-write``, the
``slope-transfer`` section of ``docs/benchmarks.md`` is replaced (other scripts own the rest of
that file). The script never fails on a target.
"""

import argparse
import hashlib
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from dmprofile import __version__
from dmprofile._utils import atomic_path, atomic_write_text

from _report import machine, write_section  # benchmarks/ helper

ROOT = Path(__file__).resolve().parents[1]
SECTION = "slope-transfer"

#: Coverage targets of issue 14: (nominal, tolerance) overall and per star-count bin,
#: and the floor of every family.
BIN_TARGETS = {68: (0.68, 0.03), 95: (0.95, 0.02)}
FAMILY_FLOOR = {68: 0.60, 95: 0.90}

#: Group labels: the truth columns read (first present wins) and the label when none is present
#: (suites from before the broadened prior have Plummer tracers and Cuddeford anisotropy only).
#: ``prior_halo_family`` comes first because the truth's ``halo_family`` is the profile class,
#: which records the prior's 'cored' family as 'corenfw'.
GROUPINGS = {
    "halo_family": (("prior_halo_family", "halo_family"), "unknown"),
    "tracer_family": (("prior_tracer_family", "tracer_family"), "plummer"),
    "anisotropy_family": (("prior_anisotropy_family", "anisotropy_family", "aniso_family"),
                          "cuddeford"),
}
#: Columns that are finite only for two-population galaxies (CompositeDwarfGalaxy).
TWO_POPULATION_COLUMNS = ("prior_compact_fraction", "pop1_fraction")


# --------------------------------------------------------------------------- inputs
def _named(items, what):
    """Parse ``NAME=VALUE`` arguments into an ordered dict."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            msg = f"{what} must be given as NAME=VALUE, got {item!r}"
            raise SystemExit(msg)
        if name in out:
            msg = f"{what} name {name!r} is given twice"
            raise SystemExit(msg)
        out[name] = value
    return out


def _prior_id(prior):
    """Short hash of a prior description (equal priors give equal ids)."""
    if not prior:
        return "?"
    return hashlib.sha256(json.dumps(prior, sort_keys=True).encode()).hexdigest()[:8]


def _training_prior(slope_model):
    """Return the prior of the model's training suite.

    The model card keeps it at top level (``card["prior"]``): ``card["suite"]["manifest"]`` is
    the manifest *without* its prior.
    """
    card = slope_model.card
    return card.get("prior") or (card["suite"].get("manifest") or {}).get("prior")


def _held_out(suite, slope_model):
    """Which rows of ``suite`` are held out for ``slope_model``: bench_slope's rule.

    Returns ``(split, why)``, ``split`` being ``"test"``, ``"all"`` or None (refused).
    """
    from bench_slope import _check_held_out

    try:
        return _check_held_out(suite, slope_model)
    except SystemExit as refused:
        return None, str(refused)


def _labels(truth, rows):
    """Group label of each evaluated row, per grouping (plain numpy string arrays)."""
    out = {}
    for grouping, (columns, default) in GROUPINGS.items():
        present = [c for c in columns if c in truth.colnames]
        if present:
            labels = np.char.lower(np.asarray(truth[present[0]]).astype(str)[rows])
            labels = np.where(labels == "osipkovmerritt", "osipkov_merritt", labels)
        else:
            labels = np.full(rows.size, default)
        out[grouping] = labels
    two = np.zeros(rows.size, dtype=bool)
    for column in TWO_POPULATION_COLUMNS:
        if column in truth.colnames:
            two |= np.isfinite(np.asarray(truth[column], dtype=float)[rows])
    out["populations"] = np.where(two, "two", "one")
    return out


# --------------------------------------------------------------------------- statistics
def _stats(g, sel):
    """Statistics of the galaxies ``sel`` (boolean mask) of the per-galaxy arrays ``g``."""
    n = int(sel.sum())
    if n == 0:
        return {"n": 0}
    err = g["mode"][sel] - g["truth"][sel]
    rank = g["hdi_rank"][sel]
    out = {"n": n, "mae_mode": float(np.mean(np.abs(err))), "bias_mode": float(np.mean(err)),
           "mean_sigma": float(np.mean(g["std"][sel])),
           "mean_width_68": float(np.mean(g["width_68"][sel])),
           "mean_width_95": float(np.mean(g["width_95"][sel]))}
    for tag, (level, _) in BIN_TARGETS.items():
        out[f"coverage_{tag}"] = float(np.mean(rank <= level))
        out[f"coverage_{tag}_err"] = float(np.sqrt(level * (1 - level) / n))
    return out


def _misses(s, family):
    """Return the targets that the group ``s`` misses (empty list when it meets them all)."""
    if s["n"] == 0:
        return []
    out = []
    for tag, (level, tol) in BIN_TARGETS.items():
        cov = s[f"coverage_{tag}"]
        if family and cov < FAMILY_FLOOR[tag]:
            out.append(f"{tag}% below {100 * FAMILY_FLOOR[tag]:.0f}")
        elif not family and abs(cov - level) > tol:
            out.append(f"{tag}% outside {100 * (level - tol):.0f}-{100 * (level + tol):.0f}")
    return out


def _by_n_stars(g, edges):
    """Statistics per star-count bin [lo, hi) (the last bin includes its upper edge)."""
    idx = np.searchsorted(edges, g["n_stars"], side="right") - 1
    idx[g["n_stars"] == edges[-1]] = len(edges) - 2
    rows = []
    for b in range(len(edges) - 1):
        s = _stats(g, idx == b)
        rows.append({"bin_low": float(edges[b]), "bin_high": float(edges[b + 1]), **s,
                     "misses": _misses(s, family=False)})
    outside = int(np.sum((idx < 0) | (idx > len(edges) - 2)))
    return rows, outside


def _width_trend(bins):
    """Whether the mean 68% width decreases from each non-empty star-count bin to the next."""
    widths = [b["mean_width_68"] for b in bins if b["n"] > 0]
    return bool(len(widths) > 1 and np.all(np.diff(widths) < 0)), widths


# --------------------------------------------------------------------------- evaluation
def evaluate_pair(model_name, slope_model, suite_name, suite, args):
    """Score one model on the held-out rows of one suite; a dict of every number."""
    from dmprofile.nets._evaluation import select_rows
    from dmprofile.results import evaluate_posteriors

    pair = {"model": model_name, "suite": suite_name}
    split, why = _held_out(suite, slope_model)
    if split is None:
        return {**pair, "refused": why}
    shape = tuple(suite.images.shape[1:])
    if shape != tuple(slope_model.input_shape):
        return {**pair, "refused": f"the suite's images have shape {shape}, the model takes "
                                   f"{tuple(slope_model.input_shape)}"}
    try:
        rows, selection = select_rows(suite, slope_model, split=split)
    except (ValueError, FileNotFoundError) as exc:
        return {**pair, "refused": str(exc)}
    n_available = rows.size
    if args.n_mocks is not None:
        rows = rows[:args.n_mocks]  # rows are independent draws: the first N are a fair subset
    truth = suite.truth
    target = np.asarray(truth["gamma_150"], dtype=float)[rows]
    t0 = time.perf_counter()
    n_stars = np.asarray(truth["n_stars"], dtype=float)[rows]
    grid, pdfs, _ = slope_model.pass_pdfs(suite.images[rows], n_passes=args.n_passes,
                                          seed=args.seed, n_stars=n_stars)
    wall = time.perf_counter() - t0
    table = evaluate_posteriors((grid, pdfs), target).table
    g = {k: np.asarray(table[k], dtype=float) for k in ("truth", "mode", "std", "hdi_rank")}
    g["width_68"] = np.asarray(table["high_68"] - table["low_68"], dtype=float)
    g["width_95"] = np.asarray(table["high_95"] - table["low_95"], dtype=float)
    g["n_stars"] = n_stars
    labels = _labels(truth, rows)
    overall = _stats(g, np.ones(rows.size, dtype=bool))
    bins, outside = _by_n_stars(g, np.asarray(args.n_stars_bins, dtype=float))
    shrinks, widths = _width_trend(bins)
    families = {}
    for grouping, lab in labels.items():
        families[grouping] = []
        for value in sorted(set(lab)):
            s = _stats(g, lab == value)
            families[grouping].append({"group": value, **s, "misses": _misses(s, family=True)})
    per_galaxy = {"galaxy_id": np.asarray(truth["galaxy_id"])[rows], **g, **labels}
    return {**pair, "held_out": why, "selection": selection, "n_rows": int(rows.size),
            "n_rows_available": int(n_available),
            "n_galaxies": int(np.unique(truth["galaxy_id"][rows]).size),
            "n_passes": int(args.n_passes), "seed": args.seed, "wall_s": wall,
            "overall": {**overall, "misses": _misses(overall, family=False)},
            "by_n_stars": bins, "n_outside_bins": outside,
            "width_shrinks_with_n_stars": shrinks, "widths_68_by_bin": widths,
            "by_family": families, "_per_galaxy": per_galaxy}


def _write_per_galaxy(path, per_galaxy):
    from astropy.table import Table

    with atomic_path(path) as tmp:
        Table(per_galaxy).write(tmp, format="ascii.ecsv", overwrite=True)


# --------------------------------------------------------------------------- report
def _pct(x):
    return f"{100 * x:.1f}%"


def _cov(s, tag):
    return f"{_pct(s[f'coverage_{tag}'])} ± {100 * s[f'coverage_{tag}_err']:.1f}"


def _flag(misses):
    return "**" + "; ".join(misses) + "**" if misses else "ok"


def _stat_cells(s):
    return (f"{s['n']} | {s['mae_mode']:.3f} | {s['bias_mode']:+.3f} | "
            f"{s['mean_width_68']:.3f} | {_cov(s, 68)} | {_cov(s, 95)} | {_flag(s['misses'])}")


HEADER = "n | MAE(mode) | bias(mode) | mean 68% width | 68% coverage | 95% coverage | targets"


def _table_head(first):
    cols = [*first, *HEADER.split(" | ")]
    return ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]


def summary_lines(pairs):
    lines = _table_head(["model", "suite"])
    for p in pairs:
        if "refused" in p:
            lines.append(f"| {p['model']} | {p['suite']} | refused: {p['refused']} "
                         "| | | | | | |")
        else:
            lines.append(f"| {p['model']} | {p['suite']} | {_stat_cells(p['overall'])} |")
    return lines


def pair_lines(p):
    lines = [f"#### Model `{p['model']}` on suite `{p['suite']}`", ""]
    if "refused" in p:
        return lines + [f"Refused: {p['refused']}.", ""]
    subset = (f", the first {p['n_rows']} of {p['n_rows_available']} (`--n-mocks`)"
              if p["n_rows"] < p["n_rows_available"] else "")
    lines += [f"Held out: {p['held_out']}. Evaluated {p['n_rows']} mocks of {p['n_galaxies']} "
              f"galaxies{subset}, {p['n_passes']} dropout passes, seed {p['seed']} "
              f"({p['wall_s']:.1f} s).", "", "By true number of stars:", ""]
    lines += _table_head(["stars"])
    for b in p["by_n_stars"]:
        label = f"{b['bin_low']:.0f}–{b['bin_high']:.0f}"
        lines.append(f"| {label} | {_stat_cells(b)} |" if b["n"] else
                     f"| {label} | 0 | | | | | | |")
    widths = ", ".join(f"{w:.3f}" for w in p["widths_68_by_bin"])
    lines += ["", f"68% width shrinks with N from bin to bin: "
              f"{'yes' if p['width_shrinks_with_n_stars'] else '**no**'} ({widths})."
              + (f" {p['n_outside_bins']} mocks lie outside the bins." if p["n_outside_bins"]
                 else ""), "", "By family (target: no family below 60% / 90%):", ""]
    lines += _table_head(["grouping", "family"])
    for grouping, rows in p["by_family"].items():
        lines += [f"| {grouping.replace('_', ' ')} | {r['group']} | {_stat_cells(r)} |"
                  for r in rows]
    return lines + [""]


def report_lines(command, date, models, suites, pairs):
    lines = ["## Slope network: transfer between priors, calibration by star count and family "
             "(`benchmarks/bench_slope_transfer.py`)", "",
             f"Machine: {_machine()}. Date: {date}.", "", f"Command: `{command}`", "",
             "| model | source | training suite checksum | seed | prior id | mocks |",
             "|---|---|---|---|---|---|"]
    for name, m in models.items():
        lines.append(f"| {name} | `{m['source']}` | `{m['suite_checksum'][:12]}` | "
                     f"{m['suite_seed']} | `{m['prior_id']}` | {m['suite_n_rows']} |")
    lines += ["", "| suite | directory | checksum | seed | prior id | mocks | stars |",
              "|---|---|---|---|---|---|---|"]
    for name, s in suites.items():
        lines.append(f"| {name} | `{s['directory']}` | `{s['checksum'][:12]}` | {s['seed']} | "
                     f"`{s['prior_id']}` | {s['n_rows']} | {s['n_stars_min']}–"
                     f"{s['n_stars_max']} |")
    lines += ["", "Equal prior ids mean equal priors (hash of the prior recorded in the "
              "manifest). Targets (issue 14): coverage 68 ± 3% and 95 ± 2% overall and in every "
              "star-count bin, no family below 60% / 90%; misses in bold. Coverages are followed "
              "by the binomial 1-sigma scatter expected for a perfectly calibrated interval. "
              "Widths and coverages are those of the intervals grown from the primary mode "
              "(`dmprofile.results.evaluate_posteriors`). Families: halo from "
              "`prior_halo_family` (else `halo_family`), tracer from `tracer_family` (absent: "
              "plummer), anisotropy from `prior_anisotropy_family`/`aniso_family` (absent: "
              "cuddeford), two populations where `prior_compact_fraction` or `pop1_fraction` "
              "is finite.", "", "### Summary", ""]
    lines += summary_lines(pairs) + [""]
    for p in pairs:
        lines += pair_lines(p)
    return lines


def _machine():
    import keras

    return machine(f"Keras {keras.__version__} ({keras.backend.backend()} backend)")


# --------------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", required=True, metavar="NAME=MODEL",
                        help="models to score: 'default' or a model directory")
    parser.add_argument("--suites", nargs="+", required=True, metavar="NAME=SUITE_DIR",
                        help="suites to score them on")
    parser.add_argument("--n-passes", type=int, default=100)
    parser.add_argument("--n-mocks", type=int, default=None,
                        help="evaluate only the first N held-out mocks of each suite")
    parser.add_argument("--seed", type=int, default=0, help="dropout seed of the evaluation")
    parser.add_argument("--n-stars-bins", type=float, nargs="+",
                        default=[30, 100, 300, 1000, 3000, 10000, 20000])
    parser.add_argument("--out-dir", default=ROOT / "cache" / "bench" / "slope_transfer")
    parser.add_argument("--docs", default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    raw = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(raw)
    model_args, suite_args = _named(args.models, "--models"), _named(args.suites, "--suites")

    from dmprofile.nets._io import get_model
    from dmprofile.suites import read_suite

    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    command = shlex.join(["python", "benchmarks/bench_slope_transfer.py",
                          *(a for a in raw if a != "--no-write")])
    models, loaded = {}, {}
    for name, source in model_args.items():
        loaded[name] = get_model(source)
        train = loaded[name].card["suite"]
        manifest = train.get("manifest") or {}
        models[name] = {"source": source, "name": loaded[name].name,
                        "card_sha256": loaded[name].card_hash,
                        "suite_checksum": train["checksum"], "suite_seed": manifest.get("seed"),
                        "suite_n_rows": train.get("n_rows"),
                        "prior_id": _prior_id(_training_prior(loaded[name]))}
        print(f"model {name}: {loaded[name]}")
    suites, opened = {}, {}
    for name, directory in suite_args.items():
        opened[name] = suite = read_suite(directory)
        n = np.asarray(suite.truth["n_stars"])
        suites[name] = {"directory": str(directory), "checksum": str(suite.checksum),
                        "seed": suite.manifest.get("seed"), "n_rows": len(suite),
                        "prior_id": _prior_id(suite.manifest.get("prior")),
                        "prior": suite.manifest.get("prior"),
                        "n_stars_min": int(n.min()), "n_stars_max": int(n.max())}
        print(f"suite {name}: {suite}")
    pairs = []
    for model_name, slope_model in loaded.items():
        for suite_name, suite in opened.items():
            p = evaluate_pair(model_name, slope_model, suite_name, suite, args)
            if "refused" in p:
                print(f"{model_name} on {suite_name}: refused: {p['refused']}")
            else:
                _write_per_galaxy(out_dir / f"{model_name}__{suite_name}.ecsv",
                                  p.pop("_per_galaxy"))
                o = p["overall"]
                print(f"{model_name} on {suite_name}: n={o['n']}, MAE {o['mae_mode']:.3f}, "
                      f"68% width {o['mean_width_68']:.3f}, coverage {_pct(o['coverage_68'])} "
                      f"/ {_pct(o['coverage_95'])} ({p['wall_s']:.1f} s)")
            pairs.append(p)
    text = "\n".join(report_lines(command, date, models, suites, pairs))
    report = {"date": date, "command": command, "machine": _machine(),
              "dmprofile_version": __version__, "targets": {"bins": BIN_TARGETS,
                                                            "family_floor": FAMILY_FLOOR},
              "models": models, "suites": suites, "pairs": pairs}
    atomic_write_text(out_dir / "transfer.json", json.dumps(report, indent=2, default=str))
    print()
    print(text)
    print(f"\nresults in {out_dir / 'transfer.json'}")
    if not args.no_write:
        write_section(args.docs, SECTION, text)
        print(f"wrote {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
