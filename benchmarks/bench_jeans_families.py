"""Coverage and cusp lean of stored Jeans (or network) posteriors, by halo and tracer family.

Reads the per-mock posteriors that ``benchmarks/bench_jeans.py coverage --out FILE`` stores
(one gridded pdf per suite row and method) together with the suite's truth table, and reports
for the rows finished so far (a long run can be summarised while it goes on): the number of
mocks, the 68% and 95% coverage of the intervals grown from the mode (as
`dmprofile.results.evaluate_posteriors`), the mean posterior CDF at the true slope (0.5 when
unbiased; above 0.5 the posteriors lean towards cusps, i.e. steeper slopes than the truth), the
MAE of the median and the mean 68% width, overall and by halo family, tracer family and number
of stars. It is the analysis behind the Jeans rows of issue 14 (held-out coverage on the broad
suite, and the simulation-based calibration on cored haloes).

Run with::

    python benchmarks/bench_jeans_families.py --results cache/bench/jeans_broad/auto.json
        --suite cache/suites/broad_test_v1 [--method jeans] [--label NAME] [--section NAME]
        [--no-write]

Unless ``--no-write``, the table replaces the ``--section`` section of ``docs/benchmarks.md``
(default ``jeans-families``). Nothing is fitted here.
"""

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np

from _report import machine, write_section  # benchmarks/ helper

ROOT = Path(__file__).resolve().parents[1]


def _groups(truth, rows):
    """Group labels of the rows: halo family, tracer family and star-count bin."""
    def column(*names, default="?"):
        for name in names:
            if name in truth.colnames:
                return np.asarray(truth[name]).astype(str)[rows]
        return np.full(rows.size, default)

    n = np.asarray(truth["n_stars"], dtype=float)[rows]
    edges = [30, 100, 300, 1000, 3000, 10000, 20001]
    labels = [f"{lo}-{hi - 1 if hi == 20001 else hi}" for lo, hi in zip(edges[:-1], edges[1:],
                                                                          strict=True)]
    idx = np.clip(np.searchsorted(edges, n, side="right") - 1, 0, len(labels) - 1)
    return {"halo family": column("prior_halo_family", "halo_family"),
            "tracer family": column("tracer_family", default="plummer"),
            "stars": np.array(labels)[idx]}


def _line(label, group, t, sel):
    n = int(sel.sum())
    if n == 0:
        return None
    c68 = np.mean(t["hdi_rank"][sel] <= 0.68)
    c95 = np.mean(t["hdi_rank"][sel] <= 0.95)
    err = np.sqrt(0.68 * 0.32 / n)
    mae = np.mean(np.abs(t["median"][sel] - t["truth"][sel]))
    width = np.mean(t["high_68"][sel] - t["low_68"][sel])
    return (f"| {label} | {group} | {n} | {100 * c68:.0f}% ± {100 * err:.0f} | "
            f"{100 * c95:.0f}% | {np.mean(t['pit'][sel]):.2f} | {mae:.3f} | {width:.2f} |")


def main(argv=None):
    """Summarise the stored posteriors; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", required=True, nargs="+",
                        help="JSON file(s) written by bench_jeans --out (rows are merged)")
    parser.add_argument("--suite", required=True, help="the suite the mocks came from")
    parser.add_argument("--method", default="jeans", help="method key in the JSON (jeans)")
    parser.add_argument("--label", default=None, help="title of the table")
    parser.add_argument("--section", default="jeans-families")
    parser.add_argument("--docs", default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    from dmprofile.results import default_grid, evaluate_posteriors
    from dmprofile.suites import read_suite

    stored, settings = {}, []
    for path in args.results:
        doc = json.loads(Path(path).read_text())
        stored.update(doc["results"].get(args.method, {}))
        jeans = json.dumps(doc.get("settings", {}).get("jeans", {}))
        if jeans not in settings:
            settings.append(jeans)
    if not stored:
        print(f"no posteriors of method {args.method!r} in {args.results}", file=sys.stderr)
        return 1
    if len(settings) > 1:
        print(f"the files were run with different settings: {settings}", file=sys.stderr)
        return 1
    suite = read_suite(args.suite)
    rows = np.array(sorted(int(k) for k in stored))
    pdfs = np.array([stored[str(r)]["pdf"] for r in rows])
    truth = np.array([stored[str(r)]["truth"] for r in rows])
    expected = np.asarray(suite.truth["gamma_150"], dtype=float)[rows]
    if not np.allclose(truth, expected):
        print("the stored truths do not match the suite: wrong --suite?", file=sys.stderr)
        return 1
    table = evaluate_posteriors((default_grid(), pdfs), truth).table
    t = {k: np.asarray(table[k], dtype=float) for k in
         ("truth", "median", "pit", "hdi_rank", "low_68", "high_68")}
    lines = [f"### {args.label or Path(args.results[0]).stem}", "",
             f"{machine()}", "",
             f"Posteriors: `{' '.join(args.results)}` (method `{args.method}`, settings "
             f"`{settings[0]}`), {rows.size} finished "
             f"rows of the suite `{args.suite}` (checksum `{suite.checksum[:12]}`). Coverage of "
             "the intervals grown from the mode (± the binomial 1-sigma of a calibrated 68% "
             "interval); mean CDF at truth: 0.5 if unbiased, above 0.5 the posteriors lean "
             "towards cusps.", "",
             "| grouping | group | n | 68% | 95% | mean CDF at truth | MAE (median) | "
             "mean 68% width |", "|---|---|---|---|---|---|---|---|"]
    lines.append(_line("all", "all", t, np.ones(rows.size, dtype=bool)))
    for grouping, labels in _groups(suite.truth, rows).items():
        for group in sorted(set(labels), key=lambda g: (len(g), g)):
            line = _line(grouping, group, t, labels == group)
            if line:
                lines.append(line)
    command = "python benchmarks/bench_jeans_families.py " + shlex.join(
        sys.argv[1:] if argv is None else list(argv))
    lines += ["", f"Command: `{command}`"]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(args.docs, args.section, text)
        print(f"\nwrote the {args.section} section of {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
