r"""Record the training ranges of the catalogue summaries in the bundled slope model's card.

The bundled model (``dmprofile/data/models/slope_default``) was trained before its card recorded
the ranges of every catalogue summary the network's input depends on. This module, run as a
script, regenerates the training catalogues of its suite, measures
`dmprofile.kinematics.catalogue_summaries` on the training rows of the card's split
(`dmprofile.nets.SlopeTask.training_ranges`), and writes:

- the ``training_ranges`` section of ``model_card.json`` (nothing else of the card changes;
  ``model.keras`` is untouched and ``load_model("default")`` still validates);
- ``dmprofile/data/slope_default_summary_ranges.json``, the same ranges for code that checks
  catalogues without TensorFlow (`dmprofile.kinematics.default_summary_ranges`, the Jeans
  analysis).

A model trained since the ranges exist already holds them in its card: ``--from-card`` then
only copies them into the ranges file (no suite needed)::

    python -m dmprofile.nets._card_ranges --from-card

For an older card, first regenerate the exact training suite (deterministic; the script
checks its checksum against the card)::

    nice -n 10 dmprofile simulate dwarfs --n-galaxies 15000 --projections 3 --seed 3 \
        --workers 2 --chunk-size 250 --out cache/suites/train_v3
    nice -n 10 python -m dmprofile.nets._card_ranges cache/suites/train_v3
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data"
MODEL_DIR = DATA / "models" / "slope_default"
RANGES_FILE = DATA / "slope_default_summary_ranges.json"

__all__ = []


def training_rows(suite, model_dir):
    """Return the rows of the training galaxies of the model's split."""
    from dmprofile.nets._split import split_rows

    split = json.loads((model_dir / "split.json").read_text())
    galaxy_ids = np.asarray(suite.truth["galaxy_id"], dtype=np.int64)
    parts = {k: split[k] for k in ("train", "validation", "test")}
    return split_rows(galaxy_ids, parts)["train"]


def main(argv=None):
    """Update the card's training ranges from the regenerated training suite."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suite", type=Path, nargs="?",
                        help="the regenerated training suite directory")
    parser.add_argument("--from-card", action="store_true",
                        help="copy the card's training ranges into the ranges file")
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    parser.add_argument("--ranges-file", type=Path, default=RANGES_FILE)
    args = parser.parse_args(argv)

    from dmprofile._utils import atomic_write_text
    from dmprofile.nets import SlopeTask, load_model
    from dmprofile.suites import read_suite

    card_path = args.model_dir / "model_card.json"
    card = json.loads(card_path.read_text())
    if args.from_card:
        if not card.get("training_ranges"):
            print(f"{card_path} holds no training ranges: give the training suite",
                  file=sys.stderr)
            return 1
        _write_ranges_file(args, card, load_model(args.model_dir), int(card["split"]["n_rows"]
                                                                       ["train"]))
        return 0
    if args.suite is None:
        parser.error("give the training suite directory, or --from-card")
    suite = read_suite(args.suite)
    expected = card["suite"]["checksum"]
    if suite.checksum != expected:
        print(f"suite checksum {suite.checksum} differs from the card's {expected}: "
              "regenerate the exact training suite", file=sys.stderr)
        return 1
    rows = training_rows(suite, args.model_dir)
    if rows.size != card["split"]["n_rows"]["train"]:
        print(f"{rows.size} training rows, the card says {card['split']['n_rows']['train']}",
              file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    ranges = SlopeTask().training_ranges(suite.truth, rows, suite=suite)
    print(f"summaries of {rows.size} training mocks in {time.perf_counter() - t0:.0f} s")
    for key, rng in ranges.items():
        print(f"  {key:15s} [{rng['min']:.4g}, {rng['max']:.4g}] (p01 {rng['p01']:.4g}, "
              f"p99 {rng['p99']:.4g}) {rng['unit']}")

    card["training_ranges"] = ranges
    atomic_write_text(card_path, json.dumps(card, indent=1))
    model = load_model(args.model_dir)  # validates the card and the model file
    _write_ranges_file(args, card, model, int(rows.size))
    return 0


def _write_ranges_file(args, card, model, n_rows):
    from dmprofile._utils import atomic_write_text

    ranges = card["training_ranges"]
    doc = {"model": "slope_default", "model_card_sha256": model.card_hash,
           "suite_checksum": card["suite"]["checksum"], "n_rows": n_rows,
           "description": ("ranges of dmprofile.kinematics.catalogue_summaries over the "
                           "training mocks of the bundled slope model; written by "
                           "python -m dmprofile.nets._card_ranges"),
           "training_ranges": ranges}
    atomic_write_text(args.ranges_file, json.dumps(doc, indent=1) + "\n")
    print(f"wrote {args.ranges_file}")


if __name__ == "__main__":
    sys.exit(main())
