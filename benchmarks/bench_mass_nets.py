"""Weight counts and training speed of the mass-profile networks A, B, C and ResNet50.

Builds each network of de los Rios et al. (2023, Appendix C) for 6 and 8 channels of 128x128
pixels, counts its weights, and times training steps (``train_on_batch``, Adam, MSE) on
batches of 32 random 8x128x128 inputs, after two warm-up steps. Prints a table and writes the
``mass-nets`` section of docs/benchmarks.md (``--no-write`` to skip). Run with::

    nice -n 10 python benchmarks/bench_mass_nets.py [--steps 3] [--batch-size 32]

With ``--device-label LABEL`` the section is labelled and written under another name (to add
timings from a GPU machine beside the CPU ones; any Keras backend, e.g. ``KERAS_BACKEND=jax``).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

ARCHITECTURES = ("A", "B", "C", "resnet50")


def count_weights(model):
    """Return (trainable, total) numbers of weights."""
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return trainable, int(model.count_params())


def time_steps(model, *, batch_size, n_channels, npix, steps, seed=0):
    """Return the median wall time of one training step (seconds) after two warm-up steps."""
    import keras

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch_size, n_channels, npix, npix)).astype(np.float32)
    y = rng.normal(11.0, 1.0, size=(batch_size, 20)).astype(np.float32)
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse")
    for _ in range(2):
        model.train_on_batch(x, y)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--npix", type=int, default=128)
    parser.add_argument("--architectures", default=",".join(ARCHITECTURES))
    parser.add_argument("--device-label", default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    import keras

    from dmprofile.nets import build_mass_cnn

    rows = []
    for arch in args.architectures.split(","):
        counts = {c: count_weights(build_mass_cnn(arch, n_channels=c, npix=args.npix, seed=0))
                  for c in (6, 8)}
        model = build_mass_cnn(arch, n_channels=8, npix=args.npix, seed=0)
        step = time_steps(model, batch_size=args.batch_size, n_channels=8, npix=args.npix,
                          steps=args.steps)
        rows.append((arch, counts[6], counts[8], step))
        print(f"{arch:9s} weights (6 ch) {counts[6][0]:>11,d} trainable / {counts[6][1]:>11,d}"
              f"  (8 ch) {counts[8][0]:>11,d} / {counts[8][1]:>11,d}  "
              f"step {step:.3f} s  ({args.batch_size / step:.0f} images/s)", flush=True)
    if args.no_write:
        return rows
    from _report import machine, write_section

    label = args.device_label or "CPU"
    lines = [f"## Mass-profile networks: weights and training speed, {label} "
             "(`benchmarks/bench_mass_nets.py`)", "",
             f"Machine: {machine(f'keras {keras.__version__} ({keras.backend.backend()})')}; "
             f"load average {os.getloadavg()[0]:.1f}.", "",
             f"One training step (`train_on_batch`, Adam, MSE) on a batch of {args.batch_size} "
             f"inputs of 8 x {args.npix} x {args.npix}, median of {args.steps} steps after two "
             "warm-up steps. Weights: trainable / total (batch-normalisation statistics "
             "included) for 6 and 8 input channels. An epoch of the default suite "
             "(3000 galaxies x 3 realisations, 60 % for training = 5400 images) is "
             f"{5400 // args.batch_size + 1} steps.", "",
             "| network | weights, 6 channels | weights, 8 channels | s / step | images / s | "
             "epoch of 5400 images |",
             "|---|---|---|---|---|---|"]
    for arch, c6, c8, step in rows:
        epoch = step * (5400 // args.batch_size + 1)
        epoch_text = f"{epoch:.0f} s" if epoch < 120 else f"{epoch / 60:.1f} min"
        lines.append(f"| {arch} | {c6[0]:,d} / {c6[1]:,d} | {c8[0]:,d} / {c8[1]:,d} | "
                     f"{step:.3f} | {args.batch_size / step:.0f} | {epoch_text} |")
    lines += ["", "Command: `nice -n 10 python benchmarks/bench_mass_nets.py "
              + " ".join(argv if argv is not None else sys.argv[1:]) + "`"]
    name = "mass-nets" if args.device_label is None else f"mass-nets-{args.device_label}"
    write_section(Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md",
                  name.lower().replace(" ", "-"), "\n".join(lines))
    return rows


if __name__ == "__main__":
    main()
