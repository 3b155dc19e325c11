"""Helpers of the slope plots: reference lines and titles."""

__all__ = ["REFERENCES", "plot_title"]


#: gamma_150 of a core and of an NFW cusp, the reference lines of every slope plot.
REFERENCES = ((0.0, "core (0)"), (-1.0, "NFW cusp (-1)"))


def _plot_references(ax, grid):
    """Grey reference lines at a core and an NFW cusp, drawn once per axes."""
    drawn = {line.get_gid() for line in ax.get_lines()}
    for value, text in REFERENCES:
        gid = f"dmprofile-reference-{value:g}"
        if gid in drawn or not grid[0] <= value <= grid[-1]:
            continue
        ax.axvline(value, color="0.35", ls="-.", lw=0.8, alpha=0.8, gid=gid, label=text,
                   zorder=0.5)


def plot_title(galaxy=None):
    """Return the title of a slope plot: the galaxy name (when known) and the quantity."""
    what = "dark-matter log-slope at 150 pc"
    return f"{galaxy}: {what}" if galaxy else what
