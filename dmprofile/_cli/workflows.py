"""Commands that combine subpackages: ``infer-slope`` and ``compare``.

``infer-slope`` reads a catalogue (`dmprofile.kinematics`), runs the slope network
(`dmprofile.nets`) and returns a `~dmprofile.results.SlopePosterior`; ``compare`` adds the Jeans
analysis (`dmprofile.classical`) and returns a `~dmprofile.results.Comparison`.
"""

from .classical import add_jeans_arguments, jeans_keywords
from .common import (
    HelpFormatter,
    add_catalogue_arguments,
    add_run_arguments,
    check_output,
    galaxy_parameters,
    positive_int,
    read_catalogue,
    resolve_seed,
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
                              formatter_class=HelpFormatter)
    add_catalogue_arguments(p)
    _add_network_arguments(p)
    add_run_arguments(p, seed_help="seed of the dropout masks", plot_help="the posterior plot",
                      output_help="the posterior (SlopePosterior.write)", output_kind="posterior")
    p.set_defaults(func=_infer_slope)

    p = subparsers.add_parser(
        "compare", help="network and Jeans slope posteriors of a star catalogue, side by side",
        description=("Read a star catalogue, infer the dark-matter log-slope at 150 pc with the "
                     "slope network and with a spherical Jeans analysis, print a table (mode, "
                     "68% highest-density interval, width, mean, std, wall time) and optionally "
                     "save it and a figure with both posteriors overlaid."),
        formatter_class=HelpFormatter)
    add_catalogue_arguments(p)
    p.add_argument("--methods", default="network,jeans",
                   help="comma-separated methods to run (network, jeans)")
    _add_network_arguments(p)
    add_jeans_arguments(p, prefix="Jeans ")
    add_run_arguments(p, seed_help="seed of both methods", plot_help="the overlaid posteriors",
                      output_help="the comparison table")
    p.set_defaults(func=_compare)


def _add_network_arguments(parser):
    parser.add_argument("--model", default="default", help="'default' or a model directory")
    parser.add_argument("--n-passes", type=positive_int, default=100,
                        help="Monte-Carlo dropout passes")


def _title(meta, args):
    """Return the plot title: None (the galaxy of ``meta``), else one with the file name."""
    if meta.get("galaxy"):
        return None
    from pathlib import Path

    return f"{Path(args.file).stem}: dark-matter log-slope at 150 pc"


def _infer_slope(args):
    from .._infer import infer_slope

    output = check_output(args.output, "posterior")
    plot = check_output(args.plot, "figure")
    table = read_catalogue(args)
    seed = resolve_seed(args)
    post = infer_slope(table, model=args.model, n_passes=args.n_passes, seed=seed,
                       **galaxy_parameters(args))
    print(post.summary())
    if output:
        post.write(output, overwrite=True)
        print(f"wrote {output}")
    if plot:
        ax = post.plot(title=_title(post.meta, args))
        save_figure(ax.figure, plot)
    return 0


def _compare(args):
    from .._compare import compare
    from .._utils import require

    output = check_output(args.output, "table")
    plot = check_output(args.plot, "figure")
    table = read_catalogue(args)
    methods = tuple(m.strip() for m in args.methods.split(",") if m.strip())
    seed = resolve_seed(args)
    result = compare(table, methods=methods, model=args.model, seed=seed,
                     network_kwargs={"n_passes": args.n_passes},
                     jeans_kwargs=jeans_keywords(args), **galaxy_parameters(args))
    print(result)
    summary = result.to_table()
    summary.pprint(max_lines=-1, max_width=-1)
    if len(result.methods) > 1:
        print(result.agreement())
    if output:
        out = summary.copy()
        out.meta = {"level": summary.meta["level"], "seed": summary.meta["seed"],
                    "dmprofile_version": summary.meta["dmprofile_version"],
                    "file": str(args.file), **{f"{m}_seed": summary.meta[f"{m}_seed"]
                                               for m in result.methods}}
        write_table(out, output)
    if plot:
        plt = require("matplotlib.pyplot", "plot")
        fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
        result.plot(ax=ax, title=_title(result.meta, args))
        save_figure(fig, plot)
    return 0
