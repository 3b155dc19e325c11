"""Benchmark of the slope network (dmprofile.nets): accuracy, calibration and speed.

Accuracy and calibration are measured on a *held-out* test suite from the model's prior, never on
training galaxies: a separate suite (``dmprofile simulate dwarfs`` with a seed other than the
training suite's) is used whole; the model's own training suite is accepted only through the test
split recorded with the model, and a suite sharing the training suite's seed and prior (hence its
galaxies) is refused. The script reports the MAE of the posterior mode, the fraction of galaxies
within +-0.1 and +-0.3 of the true gamma_150, the mean posterior sigma, the empirical coverage of
the 68% and 95% intervals (grown from the primary mode, as in Expósito-Márquez et al. 2022), the
PIT (posterior CDF at the truth) uniformity statistics, and all of these versus number of stars
and versus true slope, next to the paper's figures (>= 82% within 0.1, >= 98% within 0.3,
MAE <= 0.056) and the calibration target (coverage within 3 percentage points of nominal
for the 68% interval and 2 for the 95% one, as issue 14 asks).

Speed: `dmprofile.infer_slope` on one catalogue of ~2,500 stars (regenerated from the test suite)
with ``--n-passes`` Monte-Carlo dropout passes, model already loaded: median and minimum of
``--repeats`` calls, with the machine, its CPU count and the load average (the machine may be
shared). Target: <= 0.5 s on 2 CPU cores.

Run with::

    python benchmarks/bench_slope.py --suite /work/cache/suites/test_v1 --model MODEL_DIR
        [--n-passes 100] [--out-dir DIR] [--n-mocks N] [--repeats 20] [--no-write]

Everything is printed; the evaluation files (JSON, markdown, per-galaxy ECSV, figures) go to
``--out-dir`` (default: a new temporary directory), the predicted-vs-true, calibration and
versus-star-count figures are copied to ``docs/_static/bench_slope_*.png`` and the results
replace the section between ``<!-- bench_slope start -->`` / ``<!-- bench_slope end -->`` of
``docs/benchmarks.md`` (other benchmark scripts own the rest of that file), all written
atomically. The script never fails on a target or on timing.
"""

import argparse
import json
import os
import shlex
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from dmprofile import __version__
from dmprofile._utils import atomic_path, atomic_write_text

from _report import machine, write_section  # benchmarks/ helper

ROOT = Path(__file__).resolve().parents[1]
LABEL = "bench_slope"
FIGURES = ("pred_vs_true", "calibration", "vs_n_stars", "vs_truth")

#: Expósito-Márquez et al. (2022) figures and the calibration target of the issue.
PAPER = {"within_0.1": 0.82, "within_0.3": 0.98, "mae_mode": 0.056}
CALIBRATION_TOLERANCE = {0.68: 0.03, 0.95: 0.02}


# --------------------------------------------------------------------------- helpers
def _set_threads(threads):
    if threads is None:
        return
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def _tf_threads():
    try:
        import tensorflow as tf
    except ImportError:
        return "n/a"
    intra = tf.config.threading.get_intra_op_parallelism_threads()
    inter = tf.config.threading.get_inter_op_parallelism_threads()
    return f"intra-op {intra or 'default'}, inter-op {inter or 'default'}"


def _loadavg():
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def _machine():
    import keras

    return machine(f"Keras {keras.__version__} ({keras.backend.backend()} backend)")


def _pct(x):
    return f"{100 * x:.1f}%"


def _check_held_out(suite, slope_model):
    """Refuse a suite that shares galaxies with the model's training suite; describe the choice."""
    from dmprofile.nets._evaluation import _is_calibration_suite, _same_draws

    train = slope_model.card["suite"]
    train_manifest = train.get("manifest") or {}
    if str(suite.checksum) == train.get("checksum"):
        return "test", ("the model's own training suite: only its held-out test split (galaxies "
                        "never used for training or validation) is evaluated")
    if _is_calibration_suite(suite, slope_model):
        msg = (f"the suite {suite.directory} is the one the model's posteriors were calibrated "
               "on; evaluate on a test suite of other galaxies")
        raise SystemExit(msg)
    if _same_draws(suite, slope_model):
        msg = (f"the suite {suite.directory} has the seed ({suite.manifest.get('seed')}) and prior "
               "of the model's training suite, so its galaxies are training galaxies; generate a "
               "test suite with another seed")
        raise SystemExit(msg)
    return "all", (f"independent of the training suite (seed {suite.manifest.get('seed')} vs "
                   f"{train_manifest.get('seed')}): every row is a held-out galaxy")


# --------------------------------------------------------------------------- accuracy
def run_accuracy(suite, slope_model, args, out_dir):
    """Evaluate on the held-out rows (as `dmprofile.nets.evaluate_slope`, with fixed bins)."""
    from dmprofile.nets._evaluation import select_rows
    from dmprofile.results import evaluate_posteriors

    split, why = _check_held_out(suite, slope_model)
    rows, selection = select_rows(suite, slope_model, split=split)
    n_available = rows.size
    if args.n_mocks is not None and args.n_mocks < rows.size:
        rows = rows[:args.n_mocks]  # rows are independent draws: the first N are a fair subset
    truth = suite.truth
    target = np.asarray(truth["gamma_150"], dtype=float)[rows]
    n_stars = np.asarray(truth["n_stars"], dtype=float)[rows]
    images = np.asarray(suite.images)[rows]
    cpu0, t0 = time.process_time(), time.perf_counter()
    grid, pdfs, _ = slope_model.pass_pdfs(images, n_passes=args.n_passes, seed=args.seed,
                                          n_stars=n_stars)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    meta = {"dmprofile_version": __version__, "model": slope_model.name,
            "model_card_sha256": slope_model.card_hash,
            "model_suite_checksum": slope_model.card["suite"]["checksum"],
            "suite": str(suite.directory), "suite_checksum": str(suite.checksum),
            "suite_seed": suite.manifest.get("seed"), "selection": selection,
            "held_out": why, "n_rows": int(rows.size), "n_rows_available": int(n_available),
            "n_galaxies": int(np.unique(truth["galaxy_id"][rows]).size),
            "n_passes": int(args.n_passes), "seed": args.seed}
    lo, hi = float(np.floor(target.min() * 4) / 4), float(np.ceil(target.max() * 4) / 4)
    truth_bins = np.arange(lo, hi + 0.125, 0.25)
    n_bins = np.asarray(args.n_stars_bins, dtype=float)
    result = evaluate_posteriors((grid, pdfs), target, n_stars=n_stars, out_dir=out_dir,
                                 label=LABEL, n_stars_bins=n_bins, truth_bins=truth_bins,
                                 meta=meta)
    # the prior's family names tell "cored" haloes from coreNFW ones (the truth's halo_family
    # names the profile class, coreNFW for both)
    key = next((k for k in ("prior_halo_family", "halo_family") if k in truth.colnames), None)
    families = None if key is None else np.asarray(truth[key]).astype(str)[rows]
    return result, {"wall_s": wall, "cpu_s": cpu}, families


# --------------------------------------------------------------------------- speed
def _speed_catalogue(suite, n_target):
    n = np.asarray(suite.truth["n_stars"], dtype=float)
    row = int(np.argmin(np.abs(n - n_target)))
    return row, suite.mock(row)


def _time_calls(func, repeats):
    walls, cpus = [], []
    for i in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        func(i)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return walls, cpus


def run_speed(suite, slope_model, args):
    """Time `infer_slope` (and its two stages) on one ~2,500-star catalogue, model loaded."""
    from dmprofile import infer_slope
    from dmprofile.exceptions import DMProfileWarning
    from dmprofile.kinematics import phase_space_images

    row, table = _speed_catalogue(suite, args.speed_n_stars)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DMProfileWarning)
        for i in range(2):  # warm-up: graph tracing, caches
            post = infer_slope(table, model=slope_model, n_passes=args.n_passes, seed=i)
        load_before = _loadavg()
        walls, cpus = _time_calls(
            lambda i: infer_slope(table, model=slope_model, n_passes=args.n_passes, seed=i),
            args.repeats)
        load_after = _loadavg()
    images = phase_space_images(table, bins=slope_model.bins)
    img_walls, _ = _time_calls(lambda i: phase_space_images(table, bins=slope_model.bins),
                               args.repeats)
    net_walls, _ = _time_calls(
        lambda i: slope_model.predict_mixtures(images.images, n_passes=args.n_passes, seed=i),
        args.repeats)
    return {"row": row, "n_stars": len(table), "galaxy_id": int(suite.truth["galaxy_id"][row]),
            "truth_gamma_150": float(suite.truth["gamma_150"][row]),
            "posterior": post.summary() if hasattr(post, "summary") else repr(post),
            "n_passes": args.n_passes, "repeats": args.repeats,
            "median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
            "median_cpu_s": statistics.median(cpus), "wall_s": walls,
            "images_median_s": statistics.median(img_walls),
            "network_median_s": statistics.median(net_walls),
            "loadavg_before": load_before, "loadavg_after": load_after,
            "cpu_count": os.cpu_count(), "tf_threads": _tf_threads(),
            "warnings": sorted({str(w.message) for w in caught})}


# --------------------------------------------------------------------------- report
def _binned_rows(table, fmt_bin):
    lines = ["| bin | n | MAE(mode) | within ±0.1 | within ±0.3 | mean sigma | 68% coverage "
             "| 95% coverage |", "|---|---|---|---|---|---|---|---|"]
    for r in table:
        n = int(r["n"])
        if n == 0:
            lines.append(f"| {fmt_bin(r['bin_low'], r['bin_high'])} | 0 | | | | | | |")
            continue
        lines.append(f"| {fmt_bin(r['bin_low'], r['bin_high'])} | {n} | {r['mae_mode']:.3f} | "
                     f"{_pct(r['within_0.1'])} | {_pct(r['within_0.3'])} | "
                     f"{r['mean_sigma']:.3f} | {_pct(r['coverage_68'])} | "
                     f"{_pct(r['coverage_95'])} |")
    return lines


def _family_rows(result, families):
    """Accuracy and coverage per halo family of the test galaxies."""
    t = result.table
    err, rank, sigma = (np.asarray(t[k], dtype=float) for k in ("abs_error", "hdi_rank", "std"))
    lines = ["| halo family | n | MAE(mode) | within ±0.1 | within ±0.3 | mean sigma | "
             "68% coverage | 95% coverage |", "|---|---|---|---|---|---|---|---|"]
    for fam in sorted(set(families)):
        sel = families == fam
        lines.append(f"| {fam} | {sel.sum()} | {err[sel].mean():.3f} | "
                     f"{_pct(np.mean(err[sel] <= 0.1))} | {_pct(np.mean(err[sel] <= 0.3))} | "
                     f"{sigma[sel].mean():.3f} | {_pct(np.mean(rank[sel] <= 0.68))} | "
                     f"{_pct(np.mean(rank[sel] <= 0.95))} |")
    return lines


def _card_validation(card):
    val = (card.get("metrics") or {}).get("validation")
    if not val or "mae_mode" not in val:
        return []
    return [f"For comparison, the model card's validation metrics (validation galaxies of the "
            f"training suite, {val.get('n_mocks', '?')} mocks, {val.get('n_passes', '?')} "
            f"passes): MAE(mode) {val['mae_mode']:.3f}, within ±0.1 "
            f"{_pct(val.get('within_0.1', float('nan')))}, within ±0.3 "
            f"{_pct(val.get('within_0.3', float('nan')))}.", ""]


def accuracy_section(result, timing, families=None, card=None):
    m, meta = result.metrics, result.meta

    def met(ok):
        return "yes" if ok else "**no**"

    lines = [f"Test suite: `{meta['suite']}`, checksum `{meta['suite_checksum']}`, seed "
             f"{meta['suite_seed']}: {meta['held_out']}. Evaluated: {meta['n_rows']} mocks "
             f"({meta['n_galaxies']} galaxies"
             + (f"; a subset of the {meta['n_rows_available']} available, `--n-mocks`"
                if meta["n_rows"] < meta["n_rows_available"] else "")
             + f"), {meta['n_passes']} Monte-Carlo dropout passes each, dropout seed "
             f"{meta['seed']} ({timing['wall_s']:.0f} s wall, {timing['cpu_s']:.0f} s CPU).", "",
             "| metric | measured | target | met |", "|---|---|---|---|",
             f"| MAE of the posterior mode | {m['mae_mode']:.3f} | <= {PAPER['mae_mode']} (paper) "
             f"| {met(m['mae_mode'] <= PAPER['mae_mode'])} |",
             f"| fraction within ±0.1 | {_pct(m['within_0.1'])} | >= {_pct(PAPER['within_0.1'])} "
             f"(paper) | {met(m['within_0.1'] >= PAPER['within_0.1'])} |",
             f"| fraction within ±0.3 | {_pct(m['within_0.3'])} | >= {_pct(PAPER['within_0.3'])} "
             f"(paper) | {met(m['within_0.3'] >= PAPER['within_0.3'])} |"]
    for level in (0.68, 0.95):
        tag, tol = round(100 * level), CALIBRATION_TOLERANCE[level]
        cov = m[f"coverage_{tag}"]
        lines.append(f"| coverage of the {tag}% interval | {_pct(cov)} ± "
                     f"{100 * m[f'coverage_{tag}_err']:.1f} (binomial) | {_pct(level - tol)}"
                     f"–{_pct(level + tol)} | {met(abs(cov - level) <= tol)} |")
    lines += [f"| mean posterior sigma | {m['mean_sigma']:.3f} | – | |",
              f"| mean width of the 68% / 95% intervals | {m['mean_width_68']:.3f} / "
              f"{m['mean_width_95']:.3f} | – | |",
              f"| bias / RMSE / median abs. error of the mode | {m['bias_mode']:+.3f} / "
              f"{m['rmse_mode']:.3f} / {m['median_abs_error']:.3f} | – | |",
              f"| PIT: KS statistic (p-value); chi² over {m['pit_bins']} bins (p-value) | "
              f"{m['pit_ks']:.3f} ({m['pit_ks_pvalue']:.2g}); {m['pit_chi2']:.1f} "
              f"({m['pit_chi2_pvalue']:.2g}) | uniform | |",
              f"| fraction with a secondary mode | {_pct(m['fraction_bimodal'])} | – | |", "",
              "Versus number of stars:", ""]
    lines += _binned_rows(result.by_n_stars, lambda a, b: f"{a:.0f}–{b:.0f}")
    lines += ["", "Versus true gamma_150:", ""]
    lines += _binned_rows(result.by_truth, lambda a, b: f"[{a:+.2f}, {b:+.2f})")
    if families is not None:
        lines += ["", "Versus halo family:", ""] + _family_rows(result, families)
    lines += [""] + _card_validation(card or {})
    lines += ["Coverage errors are the binomial 1-sigma scatter expected for perfectly "
              "calibrated intervals; PIT = posterior CDF at the true slope (uniform when "
              "calibrated). Intervals are grown from the primary mode (the highest-density "
              "interval for unimodal posteriors).", ""]
    lines += [f"![{name}](_static/{LABEL}_{name}.png)" for name in FIGURES
              if f"fig_{name}" in result.files]
    return lines


def speed_section(s):
    before = ", ".join(f"{x:.2f}" for x in s["loadavg_before"])
    after = ", ".join(f"{x:.2f}" for x in s["loadavg_after"])
    ok = s["median_s"] <= 0.5
    return [f"`infer_slope(table, model=..., n_passes={s['n_passes']})` on a catalogue of "
            f"{s['n_stars']} stars (test-suite row {s['row']}, galaxy {s['galaxy_id']}, "
            f"regenerated with `DwarfSuite.mock`), model loaded and warmed up, "
            f"{s['repeats']} calls. TensorFlow threads: {s['tf_threads']}. "
            f"Load average (1, 5, 15 min) before: {before}; after: {after}.", "",
            "| stage | median (s) | min (s) |", "|---|---|---|",
            f"| `infer_slope`, total | {s['median_s']:.3f} | {s['min_s']:.3f} |",
            f"| of which `phase_space_images` | {s['images_median_s']:.3f} | |",
            f"| of which network, {s['n_passes']} passes in one batch | "
            f"{s['network_median_s']:.3f} | |", "",
            f"Median CPU time per call {s['median_cpu_s']:.3f} s. Target: <= 0.5 s on 2 CPU "
            f"cores: {'met' if ok else '**not met**'} (median)."
            + (" Warnings: " + "; ".join(s["warnings"]) if s["warnings"] else "")]




def _copy_figures(files, static):
    copied = []
    for name in FIGURES:
        src = files.get(f"fig_{name}")
        if src is None:
            continue
        dst = Path(static) / Path(src).name
        with atomic_path(dst) as tmp:
            shutil.copyfile(src, tmp)
        copied.append(dst)
    return copied


# --------------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", required=True, help="held-out test suite directory")
    parser.add_argument("--model", default="default",
                        help="'default' or a model directory (default: 'default')")
    parser.add_argument("--n-passes", type=int, default=100)
    parser.add_argument("--n-mocks", type=int, default=None,
                        help="evaluate only the first N held-out mocks (quick runs)")
    parser.add_argument("--seed", type=int, default=0, help="dropout seed of the evaluation")
    parser.add_argument("--n-stars-bins", type=float, nargs="+", default=[100, 300, 1000, 3000])
    parser.add_argument("--repeats", type=int, default=20, help="timed infer_slope calls")
    parser.add_argument("--speed-n-stars", type=int, default=2500)
    parser.add_argument("--threads", type=int, default=None,
                        help="TensorFlow intra/inter-op threads (default: TensorFlow's choice)")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--out-dir", default=None,
                        help="evaluation files (default: a new temporary directory)")
    parser.add_argument("--docs", default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--static", default=ROOT / "docs" / "_static")
    parser.add_argument("--no-write", action="store_true",
                        help="do not update docs/benchmarks.md nor docs/_static")
    args = parser.parse_args(argv)

    _set_threads(args.threads)
    from dmprofile.nets._io import get_model
    from dmprofile.suites import read_suite

    out_dir = Path(args.out_dir or tempfile.mkdtemp(prefix="bench_slope_"))
    suite = read_suite(args.suite)
    t0 = time.perf_counter()
    slope_model = get_model(args.model)
    load_s = time.perf_counter() - t0
    card = slope_model.card
    train = card["suite"]
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    command = shlex.join(["python", "benchmarks/bench_slope.py",
                          *(sys.argv[1:] if argv is None else argv)])
    print(suite)
    print(slope_model)
    lines = ["## Slope network: accuracy, calibration and speed (`benchmarks/bench_slope.py`)", "",
             f"Machine: {_machine()}. Date: {date}.", "", f"Command: `{command}`", "",
             f"Model: `{slope_model.name}` ({slope_model.keras_model.count_params():,} "
             f"parameters), model card SHA-256 `{slope_model.card_hash}`; trained on the suite "
             f"with checksum `{train['checksum']}` ({train.get('n_rows', '?')} mocks of "
             f"{train.get('n_galaxies', '?')} galaxies, seed "
             f"{(train.get('manifest') or {}).get('seed', '?')}). Loading and warming it up took "
             f"{load_s:.1f} s.", ""]
    report = {"date": date, "command": command, "machine": _machine(),
              "model": slope_model.name, "model_card_sha256": slope_model.card_hash,
              "suite_checksum": str(suite.checksum)}
    if not args.skip_accuracy:
        result, timing, families = run_accuracy(suite, slope_model, args, out_dir)
        print(result)
        lines += ["### Accuracy and calibration on held-out galaxies", ""]
        lines += accuracy_section(result, timing, families, card) + [""]
        report["accuracy"] = result.to_dict()
        report["accuracy_timing"] = timing
    if not args.skip_speed:
        speed = run_speed(suite, slope_model, args)
        print(f"infer_slope: median {speed['median_s']:.3f} s, min {speed['min_s']:.3f} s")
        lines += ["### Speed", ""] + speed_section(speed) + [""]
        report["speed"] = speed
    text = "\n".join(lines)
    atomic_write_text(out_dir / f"{LABEL}.json", json.dumps(report, indent=2, default=str))
    atomic_write_text(out_dir / f"{LABEL}.md", text + "\n")
    print()
    print(text)
    print(f"\nevaluation files in {out_dir}")
    if not args.no_write:
        if not args.skip_accuracy:
            for path in _copy_figures(result.files, args.static):
                print(f"wrote {path}")
        write_section(args.docs, "bench_slope", text)
        print(f"wrote {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
