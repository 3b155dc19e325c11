"""`MassComparison`: enclosed-mass profiles of one disc galaxy from several methods, side by side.

`dmprofile.compare` returns one for disc images (the CNN ensemble and the rotation-curve fit);
one can also be built directly from `MassProfile` objects.
"""

import math

import numpy as np
from astropy import units as u
from astropy.table import QTable

from .._utils import require
from ._comparison import MethodResults
from ._profile import MassProfile

__all__ = ["MassComparison"]

_LABELS = {"network": "CNN ensemble", "rotation_curve": "rotation curve (NFW)",
           "truth": "truth"}


class MassComparison(MethodResults):
    """Enclosed dark-matter mass profiles of one galaxy from several methods.

    Parameters
    ----------
    profiles : mapping
        ``{method: MassProfile}`` (``quantity="enclosed_mass"``), in display order.
    results : mapping, optional
        ``{method: raw result}`` (default: the profiles).
    wall_times : mapping, optional
        ``{method: seconds}``.
    meta : dict, optional
        Provenance.

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from dmprofile.results import MassComparison, MassProfile
    >>> r = np.geomspace(1, 100, 5) * u.kpc
    >>> a = MassProfile(r, 1e10 * (r / u.kpc).value * u.Msun,
    ...                 lower_68=0.8e10 * (r / u.kpc).value * u.Msun,
    ...                 upper_68=1.25e10 * (r / u.kpc).value * u.Msun)
    >>> b = MassProfile(r, 1.1e10 * (r / u.kpc).value * u.Msun)
    >>> cmp = MassComparison({"network": a, "rotation_curve": b})
    >>> t = cmp.to_table()
    >>> t.colnames[:4]
    ['radius', 'network_log_median', 'network_log_lower_68', 'network_log_upper_68']
    >>> print(np.round(cmp.log_difference("rotation_curve", "network"), 3))
    [0.041 0.041 0.041 0.041 0.041]
    """

    def __init__(self, profiles, results=None, wall_times=None, meta=None):
        profiles = dict(profiles)
        if not profiles:
            msg = "argument 'profiles' must hold at least one MassProfile"
            raise ValueError(msg)
        for method, profile in profiles.items():
            if not isinstance(profile, MassProfile) or profile.quantity != "enclosed_mass":
                msg = (f"argument 'profiles' must map methods to enclosed-mass MassProfiles; "
                       f"{method!r} is {profile!r}")
                raise TypeError(msg)
        super().__init__(profiles, results, wall_times, meta)
        self._profiles = self._items

    @property
    def profiles(self):
        """``{method: MassProfile}`` (read-only mapping)."""
        return self._profiles

    def _common_radius(self):
        first = next(iter(self._profiles.values())).radius
        return first

    def log_difference(self, method, reference):
        """log10 M(<r) of ``method`` minus that of ``reference`` at ``reference``'s radii [dex].

        Parameters
        ----------
        method, reference : str
            Two of `methods`.

        Returns
        -------
        ndarray
        """
        ref = self._profiles[reference]
        other = self._profiles[method].at(ref.radius)
        return np.log10(other.median.to_value(u.Msun) / ref.median.to_value(u.Msun))

    def to_table(self):
        """One row per radius: log10 of each method's median and 68 % band [log10 Msun].

        Returns
        -------
        `~astropy.table.QTable`
            ``radius`` and, per method, ``<method>_log_median``, ``<method>_log_lower_68``
            and ``<method>_log_upper_68`` (NaN where a method gives no band); the methods'
            profiles are interpolated to the radii of the first one. ``meta`` holds the
            provenance and the wall times.
        """
        radius = self._common_radius()
        table = QTable({"radius": radius},
                       meta={**self._meta, "wall_times": dict(self._wall)})
        for method, profile in self._profiles.items():
            at = profile.at(radius)
            table[f"{method}_log_median"] = np.log10(at.median.to_value(u.Msun))
            try:
                low, high = at.interval(0.68)
                low, high = np.log10(low.to_value(u.Msun)), np.log10(high.to_value(u.Msun))
            except ValueError:
                low = high = np.full(len(radius), np.nan)
            table[f"{method}_log_lower_68"] = low
            table[f"{method}_log_upper_68"] = high
        return table

    def __repr__(self):
        parts = [f"{m} ({'' if math.isnan(w) else f'{w:.1f} s'})".replace(" ()", "")
                 for m, w in self._wall.items()]
        return f"<MassComparison of {len(self._profiles)} method(s): {', '.join(parts)}>"

    def plot(self, ax=None, *, truth=None, level=0.68):
        """Draw every method's enclosed-mass profile (median and band) on one axis.

        Parameters
        ----------
        ax : `matplotlib.axes.Axes`, optional
            Axes to draw on (default: a new figure).
        truth : `~dmprofile.results.MassProfile` or `~astropy.units.Quantity`, optional
            The true profile (for mocks): a profile, or masses at the first method's radii.
        level : float or sequence of float
            Shaded bands.

        Returns
        -------
        `matplotlib.axes.Axes`
        """
        plt = require("matplotlib.pyplot", "plot")
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4.5))
        for k, (method, profile) in enumerate(self._profiles.items()):
            profile.plot(ax, level=level, color=f"C{k}", label=_LABELS.get(method, method))
        if truth is not None:
            if not isinstance(truth, MassProfile):
                truth = MassProfile(self._common_radius(), u.Quantity(truth, u.Msun))
            truth.plot(ax, level=(), color="k", label="truth", ls="--")
        ax.set_xlabel("R [kpc]")
        ax.set_ylabel("M_DM(<R) [Msun]")
        ax.legend(fontsize=8)
        return ax
