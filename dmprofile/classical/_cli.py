"""The ``dmprofile jeans`` and ``dmprofile compare`` commands.

This module is imported by ``dmprofile --help``: it stays light, the analysis is imported inside
the handler.
"""

import argparse

__all__ = ["register"]

#: Halo and anisotropy families of `jeans_analysis` (as in `dmprofile.classical._models`,
#: which this light module does not import).
HALOS = ("mixture", "zhao_m200", "zhao_slope", "dc14", "corenfw", "zhao", "nfw")
ANISOTROPIES = ("baes", "om", "constant", "isotropic")


def register(subparsers):
    """Add ``dmprofile jeans FILE`` to the top-level subparsers."""
    p = subparsers.add_parser(
        "jeans", help="classical spherical Jeans analysis of a star catalogue",
        description=("Read a star catalogue (FITS, ECSV, any format astropy reads; columns x, y "
                     "or ra, dec, v_los, v_err, optional p_member; galaxy parameters in the "
                     "table meta) and sample a spherical Jeans model with emcee. Prints the "
                     "posterior of the dark-matter log-slope at 150 pc and a parameter summary."),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("file", metavar="FILE", help="star catalogue")
    p.add_argument("--halo", default="mixture",
                   choices=HALOS,
                   help="dark-matter halo family")
    p.add_argument("--anisotropy", default="baes",
                   choices=ANISOTROPIES, help="anisotropy family")
    p.add_argument("--nwalkers", type=int, default=32, help="emcee walkers")
    p.add_argument("--nsteps", type=int, default=None,
                   help="steps per walker (default: 20000; 10000 per family for the mixture)")
    p.add_argument("--seed", type=int, default=None, help="random seed")
    p.add_argument("--workers", type=int, default=1, help="processes evaluating the likelihood")
    p.add_argument("--member-threshold", type=float, default=None,
                   help="keep stars with p_member >= this (default: use p_member as weights)")
    p.add_argument("--tracer", default="fit", choices=("fit", "r_half"),
                   help="tracer density: Plummer-sum fit to the stars, or a Plummer sphere with "
                        "the half-light radius in the table meta")
    p.add_argument("--vsp", action="store_true",
                   help="add the fourth-moment virial shape parameter constraints")
    p.add_argument("--plot", default=None, metavar="PNG", help="save the summary figure")
    p.add_argument("--output", default=None, metavar="ECSV",
                   help="save the gamma_150 posterior table (SlopePosterior.to_table)")
    p.add_argument("--samples", default=None, metavar="FILE",
                   help="save the posterior samples (any astropy table format, e.g. .ecsv)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_jeans)
    _register_compare(subparsers)


def _jeans(args):
    from pathlib import Path

    from astropy.table import Table

    from .._utils import atomic_path
    from .jeans import jeans_analysis

    path = Path(args.file)
    if not path.exists():
        msg = f"no such file: {path}"
        raise FileNotFoundError(msg)
    table = Table.read(path)
    result = jeans_analysis(table, halo=args.halo, anisotropy=args.anisotropy,
                            nwalkers=args.nwalkers, nsteps=args.nsteps, seed=args.seed,
                            workers=args.workers, member_threshold=args.member_threshold,
                            vsp=args.vsp, tracer=args.tracer,
                            progress=not args.no_progress)
    print(result)
    print(result.slope)
    summary = result.to_table()
    for col in ("median", "p16", "p84", "tau"):
        summary[col].info.format = ".4g"
    summary.pprint(max_lines=-1, max_width=-1)
    if args.output:
        with atomic_path(args.output) as tmp:
            result.slope.to_table().write(tmp, format="ascii.ecsv", overwrite=True)
        print(f"wrote {args.output}")
    if args.samples:
        suffix = Path(args.samples).suffix.lower()
        fmt = {".ecsv": "ascii.ecsv", ".fits": "fits", ".csv": "ascii.csv"}.get(suffix)
        with atomic_path(args.samples) as tmp:
            result.samples.write(tmp, format=fmt, overwrite=True)
        print(f"wrote {args.samples}")
    if args.plot:
        from .._utils import require

        plt = require("matplotlib.pyplot", "plot")
        axes = result.plot()
        fig = axes[0].figure
        with atomic_path(args.plot) as tmp:
            fig.savefig(tmp, dpi=120, format=Path(args.plot).suffix.lstrip(".") or "png")
        plt.close(fig)
        print(f"wrote {args.plot}")
    return 0


def _register_compare(subparsers):
    """Add ``dmprofile compare FILE``: the network and the Jeans analysis side by side."""
    p = subparsers.add_parser(
        "compare", help="network and Jeans slope posteriors of a star catalogue, side by side",
        description=("Read a star catalogue, infer the dark-matter log-slope at 150 pc with the "
                     "slope network and with a spherical Jeans analysis, print a table (mode, "
                     "68% highest-density interval, width, mean, std, wall time) and optionally "
                     "save it and a figure with both posteriors overlaid."),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("file", metavar="FILE", help="star catalogue")
    p.add_argument("--methods", default="network,jeans",
                   help="comma-separated methods to run (network, jeans)")
    p.add_argument("--model", default="default", help="'default' or a model directory")
    p.add_argument("--n-passes", type=int, default=100, help="Monte-Carlo dropout passes")
    p.add_argument("--halo", default="mixture",
                   choices=HALOS,
                   help="Jeans dark-matter halo family")
    p.add_argument("--anisotropy", default="baes",
                   choices=ANISOTROPIES, help="Jeans anisotropy family")
    p.add_argument("--nwalkers", type=int, default=32, help="emcee walkers")
    p.add_argument("--nsteps", type=int, default=None,
                   help="steps per walker (default: 20000; 10000 per family for the mixture)")
    p.add_argument("--tracer", default="fit", choices=("fit", "r_half"),
                   help="Jeans tracer density: Plummer-sum fit to the stars, or a Plummer sphere "
                        "with the half-light radius in the table meta")
    p.add_argument("--vsp", action="store_true",
                   help="add the fourth-moment virial shape parameter constraints to the Jeans fit")
    p.add_argument("--seed", type=int, default=None, help="random seed (both methods)")
    p.add_argument("--member-threshold", type=float, default=None,
                   help="keep stars with p_member >= this (default: use p_member as weights)")
    p.add_argument("--format", default=None, help="astropy table format, if not guessed")
    p.add_argument("--plot", default=None, metavar="PNG", help="save the overlaid posteriors")
    p.add_argument("--output", default=None, metavar="ECSV", help="save the comparison table")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_compare)


def _compare(args):
    from pathlib import Path

    from astropy.table import Table

    from .._compare import compare
    from .._utils import atomic_path

    path = Path(args.file)
    if not path.exists():
        msg = f"no such file: {path}"
        raise FileNotFoundError(msg)
    table = Table.read(path, format=args.format)
    methods = tuple(m.strip() for m in args.methods.split(",") if m.strip())
    galaxy = {}
    if args.member_threshold is not None:
        galaxy["member_threshold"] = args.member_threshold
    result = compare(table, methods=methods, model=args.model, seed=args.seed,
                     network_kwargs={"n_passes": args.n_passes},
                     jeans_kwargs={"halo": args.halo, "anisotropy": args.anisotropy,
                                   "nwalkers": args.nwalkers, "nsteps": args.nsteps,
                                   "tracer": args.tracer, "vsp": args.vsp,
                                   "progress": not args.no_progress},
                     **galaxy)
    print(result)
    summary = result.to_table()
    summary.pprint(max_lines=-1, max_width=-1)
    if args.output:
        out = summary.copy()
        out.meta = {"level": summary.meta["level"], "seed": summary.meta["seed"],
                    "dmprofile_version": summary.meta["dmprofile_version"],
                    "file": str(path), **{f"{m}_seed": summary.meta[f"{m}_seed"]
                                          for m in result.methods}}
        with atomic_path(args.output) as tmp:
            out.write(tmp, format="ascii.ecsv", overwrite=True)
        print(f"wrote {args.output}")
    if args.plot:
        from .._utils import require

        plt = require("matplotlib.pyplot", "plot")
        fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
        result.plot(ax=ax)
        galaxy_name = result.meta.get("galaxy") or path.stem
        ax.set_title(f"{galaxy_name}: dark-matter log-slope at 150 pc")
        with atomic_path(args.plot) as tmp:
            fig.savefig(tmp, dpi=120, format=Path(args.plot).suffix.lstrip(".") or "png")
        plt.close(fig)
        print(f"wrote {args.plot}")
    return 0
