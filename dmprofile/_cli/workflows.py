"""Commands that combine subpackages: ``infer-slope`` and ``compare``.

``infer-slope`` reads a catalogue (`dmprofile.kinematics`), runs the slope network
(`dmprofile.nets`) and returns a `~dmprofile.results.SlopePosterior`; ``compare`` adds the Jeans
analysis (`dmprofile.classical`) and returns a `~dmprofile.results.Comparison`.
"""

import argparse

from .classical import add_jeans_arguments, jeans_keywords
from .common import (
    add_catalogue_arguments,
    galaxy_parameters,
    read_catalogue,
    save_figure,
    write_table,
)

__all__ = ["register"]


def register(subparsers):
    """Add ``dmprofile infer-slope FILE`` and ``dmprofile compare FILE``.

    Parameters
    ----------
    subparsers : `argparse._SubParsersAction`
        The subparsers of the ``dmprofile`` parser.
    """
    p = subparsers.add_parser("infer-slope", help="posterior of gamma_150 for a star catalogue",
                              description="Read a star catalogue (FITS, ECSV, any format astropy "
                                          "reads) and print the posterior of the dark-matter "
                                          "log-slope at 150 pc.",
                              formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_catalogue_arguments(p)
    _add_network_arguments(p)
    p.add_argument("--seed", type=int, default=None, help="seed of the dropout masks")
    p.add_argument("--plot", default=None, metavar="PNG", help="save the posterior plot")
    p.add_argument("--output", default=None, metavar="ECSV",
                   help="save the posterior table (.ecsv or .fits)")
    p.set_defaults(func=_infer_slope)

    p = subparsers.add_parser(
        "compare", help="network and Jeans slope posteriors of a star catalogue, side by side",
        description=("Read a star catalogue, infer the dark-matter log-slope at 150 pc with the "
                     "slope network and with a spherical Jeans analysis, print a table (mode, "
                     "68% highest-density interval, width, mean, std, wall time) and optionally "
                     "save it and a figure with both posteriors overlaid."),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_catalogue_arguments(p)
    p.add_argument("--methods", default="network,jeans",
                   help="comma-separated methods to run (network, jeans)")
    _add_network_arguments(p)
    add_jeans_arguments(p, prefix="Jeans ")
    p.add_argument("--seed", type=int, default=None, help="random seed (both methods)")
    p.add_argument("--plot", default=None, metavar="PNG", help="save the overlaid posteriors")
    p.add_argument("--output", default=None, metavar="ECSV", help="save the comparison table")
    p.set_defaults(func=_compare)


def _add_network_arguments(parser):
    parser.add_argument("--model", default="default", help="'default' or a model directory")
    parser.add_argument("--n-passes", type=int, default=100, help="Monte-Carlo dropout passes")


def _infer_slope(args):
    from pathlib import Path

    from .._infer import infer_slope

    table = read_catalogue(args)
    post = infer_slope(table, model=args.model, n_passes=args.n_passes, seed=args.seed,
                       **galaxy_parameters(args))
    print(post.summary())
    if args.output:
        post.write(args.output, overwrite=True)
        print(f"wrote {args.output}")
    if args.plot:
        ax = post.plot()
        ax.set_title(Path(args.file).name)
        save_figure(ax.figure, args.plot)
    return 0


def _compare(args):
    from pathlib import Path

    from .._compare import compare
    from .._utils import require

    table = read_catalogue(args)
    methods = tuple(m.strip() for m in args.methods.split(",") if m.strip())
    result = compare(table, methods=methods, model=args.model, seed=args.seed,
                     network_kwargs={"n_passes": args.n_passes},
                     jeans_kwargs=jeans_keywords(args), **galaxy_parameters(args))
    print(result)
    summary = result.to_table()
    summary.pprint(max_lines=-1, max_width=-1)
    if args.output:
        out = summary.copy()
        out.meta = {"level": summary.meta["level"], "seed": summary.meta["seed"],
                    "dmprofile_version": summary.meta["dmprofile_version"],
                    "file": str(args.file), **{f"{m}_seed": summary.meta[f"{m}_seed"]
                                               for m in result.methods}}
        write_table(out, args.output)
    if args.plot:
        plt = require("matplotlib.pyplot", "plot")
        fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
        result.plot(ax=ax)
        galaxy_name = result.meta.get("galaxy") or Path(args.file).stem
        ax.set_title(f"{galaxy_name}: dark-matter log-slope at 150 pc")
        save_figure(fig, args.plot)
    return 0
