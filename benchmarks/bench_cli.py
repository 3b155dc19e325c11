"""Start-up time of the command line: ``dmprofile --help`` (target: under 1 s).

Times ``python -m dmprofile --help`` and ``python -c "import dmprofile"`` in fresh processes
(the median of ``--repeats`` runs, after one warm-up run that fills the file-system cache),
prints the figures and writes them to the ``cli`` section of docs/benchmarks.md.

Run:  python benchmarks/bench_cli.py [--repeats 20] [--no-write]
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _report import machine, write_section

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
COMMANDS = {
    "dmprofile --help": [sys.executable, "-m", "dmprofile", "--help"],
    "import dmprofile": [sys.executable, "-c", "import dmprofile"],
    "python (empty start-up)": [sys.executable, "-c", "pass"],
}


def time_command(cmd, repeats):
    """Return the wall times [s] of ``repeats`` runs of ``cmd`` after one warm-up run."""
    subprocess.run(cmd, check=True, capture_output=True)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed runs per command")
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    args = parser.parse_args(argv)

    rows = []
    for label, cmd in COMMANDS.items():
        times = time_command(cmd, args.repeats)
        rows.append((label, statistics.median(times), max(times)))
        print(f"{label:28s} median {statistics.median(times):.3f} s, max {max(times):.3f} s")
    text = ["## Command line: start-up time (`benchmarks/bench_cli.py`)", "",
            f"Machine: {machine()}.", "",
            f"Command: `python benchmarks/bench_cli.py --repeats {args.repeats}` (fresh process "
            "per run, after one warm-up run). Target: `dmprofile --help` under 1 s.", "",
            "| command | median [s] | max [s] |", "| --- | --- | --- |"]
    text += [f"| `{label}` | {med:.3f} | {top:.3f} |" for label, med, top in rows]
    if not args.no_write:
        write_section(DOCS, "cli", "\n".join(text))
        print(f"written to {DOCS}")


if __name__ == "__main__":
    main()
