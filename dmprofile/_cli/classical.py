"""``dmprofile jeans``: the classical spherical Jeans analysis of a star catalogue."""

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

__all__ = ["register", "HALOS", "ANISOTROPIES", "add_jeans_arguments", "jeans_keywords"]

#: Halo and anisotropy families of `~dmprofile.classical.jeans_analysis` (as in its models,
#: which this light module does not import; a test checks that the lists agree).
HALOS = ("mixture", "zhao_m200", "zhao_slope", "dc14", "corenfw", "zhao", "nfw")
ANISOTROPIES = ("baes", "om", "constant", "isotropic")


def add_jeans_arguments(parser, prefix=""):
    """Add the Jeans-model arguments shared by ``jeans`` and ``compare``.

    Parameters
    ----------
    parser : `argparse.ArgumentParser`
        The command's parser.
    prefix : str
        Prefix of the help texts (e.g. "Jeans ").
    """
    parser.add_argument("--halo", default="mixture", choices=HALOS,
                        help=f"{prefix}dark-matter halo family")
    parser.add_argument("--anisotropy", default="baes", choices=ANISOTROPIES,
                        help=f"{prefix}anisotropy family")
    parser.add_argument("--nwalkers", type=positive_int, default=32, help="emcee walkers")
    parser.add_argument("--nsteps", type=positive_int, default=None,
                        help="steps per walker (default: 20000; 10000 per family for the "
                             "mixture)")
    parser.add_argument("--tracer", default="fit", choices=("fit", "r_half"),
                        help=f"{prefix}tracer density: Plummer-sum fit to the stars, or a "
                             "Plummer sphere with the half-light radius")
    parser.add_argument("--tracer-family", default="plummer",
                        choices=("plummer", "exponential", "zhao", "auto"),
                        help=f"{prefix}family of the tracer fit (--tracer fit): Plummer sums, "
                             "exponential, Zhao, or the lowest BIC among them")
    parser.add_argument("--vsp", action="store_true",
                        help="add the fourth-moment virial shape parameter constraints")
    parser.add_argument("--workers", type=positive_int, default=None,
                        help=f"{prefix}processes (default: those of jeans_analysis)")


def jeans_keywords(args):
    """Return the `~dmprofile.classical.jeans_analysis` keywords of the parsed arguments.

    Parameters
    ----------
    args : `argparse.Namespace`
        Parsed arguments of a command with `add_jeans_arguments`.

    Returns
    -------
    kwargs : dict
        ``halo``, ``anisotropy``, ``nwalkers``, ``nsteps``, ``tracer``, ``vsp``, ``progress``
        (from ``--no-progress``), and ``workers`` and ``tracer_family`` when given (not the
        default).
    """
    kwargs = {"halo": args.halo, "anisotropy": args.anisotropy, "nwalkers": args.nwalkers,
              "nsteps": args.nsteps, "tracer": args.tracer, "vsp": args.vsp,
              "progress": not args.no_progress}
    if args.workers is not None:
        kwargs["workers"] = args.workers
    if args.tracer_family != "plummer":
        kwargs["tracer_family"] = args.tracer_family
    return kwargs


def register(subparsers):
    """Add ``dmprofile jeans FILE`` to the top-level subparsers.

    Parameters
    ----------
    subparsers : `argparse._SubParsersAction`
        The subparsers of the ``dmprofile`` parser.
    """
    p = subparsers.add_parser(
        "jeans", help="classical spherical Jeans analysis of a star catalogue",
        description=("Read a star catalogue (FITS, ECSV, any format astropy reads; columns x, y "
                     "or ra, dec, v_los, v_err, optional p_member; galaxy parameters in the "
                     "table meta or as options) and sample a spherical Jeans model with emcee. "
                     "Prints the posterior of the dark-matter log-slope at 150 pc and a "
                     "parameter summary."),
        formatter_class=HelpFormatter)
    add_catalogue_arguments(p)
    add_jeans_arguments(p)
    add_run_arguments(p, seed_help="seed of the walkers", plot_help="the summary figure",
                      output_help="the gamma_150 posterior table (SlopePosterior.to_table)")
    p.add_argument("--samples", default=None, metavar="TABLE",
                   help="save the posterior samples (.ecsv, .fits, .csv)")
    p.set_defaults(func=_jeans)


def _jeans(args):
    from ..classical import jeans_analysis

    output = check_output(args.output, "table")
    samples = check_output(args.samples, "table")
    plot = check_output(args.plot, "figure")
    table = read_catalogue(args)
    seed = resolve_seed(args)
    result = jeans_analysis(table, seed=seed, **jeans_keywords(args), **galaxy_parameters(args))
    print(result)
    print(result.slope)
    summary = result.to_table()
    for col in ("median", "p16", "p84", "tau"):
        summary[col].info.format = ".4g"
    summary.pprint(max_lines=-1, max_width=-1)
    if output:
        write_table(result.slope.to_table(), output)
    if samples:
        write_table(result.samples, samples)
    if plot:
        axes = result.plot()
        save_figure(axes[0].figure, plot)
    return 0
