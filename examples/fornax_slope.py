"""The inner dark-matter slope of the Fornax dwarf spheroidal with the bundled network.

Loads the bundled Walker, Mateo & Olszewski (2009) velocities of Fornax members (Mmb >= 0.5)
with their LVDB structural parameters, writes them to ``fornax.fits`` and reads them back (as an
observer's own catalogue would arrive), runs `dmprofile.infer_slope` with the bundled default
model (100 Monte-Carlo dropout passes), prints the posterior summary and saves the posterior plot.

Run:  python examples/fornax_slope.py [--galaxy fornax] [--plot fornax_slope.png] [--seed 1]
"""

import argparse
import time

from astropy.table import Table

import dmprofile
from dmprofile.datasets import walker2009


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--galaxy", default="fornax", help="carina, fornax, sculptor or sextans")
    parser.add_argument("--plot", default=None, help="posterior figure (default GALAXY_slope.png)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the dropout masks")
    args = parser.parse_args(argv)
    plot = args.plot or f"{args.galaxy}_slope.png"

    stars = walker2009(args.galaxy)
    path = f"{args.galaxy}.fits"
    stars.write(path, overwrite=True)
    print(f"{len(stars)} {args.galaxy} members written to {path}")

    table = Table.read(path)
    start = time.perf_counter()
    post = dmprofile.infer_slope(table, seed=args.seed)
    print(f"infer_slope took {time.perf_counter() - start:.2f} s (including loading the model)")
    print(post.summary())
    low, high = post.interval(0.68)
    print(f"68% interval: [{low:.2f}, {high:.2f}]")

    ax = post.plot()  # titled with the galaxy name of the catalogue's meta
    ax.figure.savefig(plot, dpi=120, bbox_inches="tight")
    print(f"saved {plot}")


if __name__ == "__main__":
    main()
