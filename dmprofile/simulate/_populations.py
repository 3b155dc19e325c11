"""Dwarf galaxies with several stellar populations, and tracers of a given half-light radius."""

import numpy as np
from astropy import units as u
from astropy.table import QTable
from scipy import optimize

from .._utils import LENGTH, VELOCITY, as_dimensionless
from .._version import __version__
from ._dwarf import DwarfGalaxy

__all__ = ["CompositeDwarfGalaxy"]

#: Stellar tracer families of the dwarf prior.
TRACER_FAMILIES = ("plummer", "zhao", "exponential")

# composite Gauss-Legendre rule in t, r = R cosh t, out to r = 1e7 R (as DensityProfile uses)
_GX, _GW = np.polynomial.legendre.leggauss(32)
_EDGES = np.linspace(0.0, np.arccosh(1e7), 25)
_HALF = 0.5 * np.diff(_EDGES)
_T = ((0.5 * (_EDGES[1:] + _EDGES[:-1]))[:, None] + _HALF[:, None] * _GX[None, :]).ravel()
_W = (_HALF[:, None] * _GW[None, :]).ravel()
_SHAPE = np.sinh(_T) ** 2 * np.cosh(_T)


def projected_fraction(tracer, R):
    """Fraction of a finite-mass tracer inside the cylinders of projected radii ``R`` [kpc].

    M_proj(<R) = M - int_R^inf 4 pi r^2 rho sqrt(1 - R^2/r^2) dr, with r = R cosh t.
    """
    R = np.atleast_1d(np.asarray(R, dtype=float))
    total = tracer._total_mass()
    if not np.isfinite(total):
        msg = f"the tracer {tracer!r} has a divergent mass: no projected half-light radius"
        raise ValueError(msg)
    rr = R[:, None] * np.cosh(_T)[None, :]
    outside = 4.0 * np.pi * R**3 * ((tracer._density(rr) * _SHAPE[None, :]) @ _W)
    return 1.0 - outside / total


def make_tracer(family, r_half, *, alpha=None, beta=None, gamma=None):
    """Return the tracer of ``family`` whose projected half-light radius is ``r_half`` [kpc].

    Plummer: a = R_half. Exponential: r_d = R_half / 2.027 (closed form of its projected
    mass). Zhao (alpha, beta, gamma): the ratio R_half / r_s of the shape is found numerically
    (`~dmprofile.profiles.DensityProfile.projected_half_mass_radius`), then r_s is scaled.
    """
    from dmprofile.profiles import Exponential, Plummer, Zhao

    if family == "plummer":
        return Plummer(r_half * u.kpc)
    if family == "exponential":
        unit = Exponential(1.0 * u.kpc)._projected_half_untruncated()
        return Exponential(r_half / unit * u.kpc)
    if family == "zhao":
        shape = {"alpha": alpha, "beta": beta, "gamma": gamma}
        unit = Zhao(1.0 * u.Msun / u.kpc**3, 1.0 * u.kpc, **shape)
        ratio = unit._projected_half_untruncated()
        return Zhao(1.0 * u.Msun / u.kpc**3, r_half / ratio * u.kpc, **shape)
    msg = f"unknown tracer family {family!r}; valid ones are {TRACER_FAMILIES}"
    raise ValueError(msg)


def mixture_half_radius(tracers, fractions):
    """Projected half-light radius [kpc] of tracers mixed in the given (number) fractions."""
    def excess(ln_r):
        r = np.exp(ln_r)
        return sum(f * projected_fraction(t, r)[0] for t, f in zip(tracers, fractions)) - 0.5

    radii = [t._half_radius(None, projected=True) for t in tracers]
    lo, hi = np.log(min(radii)) - 1e-6, np.log(max(radii)) + 1e-6
    return float(np.exp(optimize.brentq(excess, lo, hi, xtol=1e-12)))


class CompositeDwarfGalaxy:
    """A dwarf galaxy made of several stellar populations in one dark halo.

    Each population is a `~dmprofile.simulate.DwarfGalaxy` (its own massless tracer and velocity
    anisotropy, hence its own equilibrium distribution function) in the same halo; a catalogue
    of ``n`` stars has a multinomial number of stars of each population, in the proportions
    ``fractions``. It is a drop-in for `~dmprofile.simulate.DwarfGalaxy` where stars are sampled
    (`sample`, `truth`, `halo`, `r_trunc`). Everything observed from the stars (half-light
    radius, dispersion profile, images) is that of the combined catalogue.

    Parameters
    ----------
    populations : sequence of `~dmprofile.simulate.DwarfGalaxy`
        The populations: the same halo and truncation radius, massless tracers
        (``stellar_mass`` not set).
    fractions : sequence of float
        Fraction of the stars in each population (positive, summing to 1).

    Raises
    ------
    TypeError
        If a population is not a `~dmprofile.simulate.DwarfGalaxy`.
    ValueError
        If the populations do not share their halo, or the fractions are not positive with
        sum 1.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.profiles import NFW, Cuddeford, Plummer
    >>> from dmprofile.simulate import CompositeDwarfGalaxy, DwarfGalaxy
    >>> halo = NFW.from_M200_c(1e9 * u.Msun, 15)
    >>> compact = DwarfGalaxy(halo, Plummer(0.2 * u.kpc), Cuddeford(-0.1, 0.5 * u.kpc))
    >>> extended = DwarfGalaxy(halo, Plummer(0.5 * u.kpc), Cuddeford(-0.2, None))
    >>> galaxy = CompositeDwarfGalaxy([compact, extended], [0.4, 0.6])
    >>> stars = galaxy.sample(100, seed=1)
    >>> len(stars), stars.meta["pop1_n_stars"], stars.meta["pop2_n_stars"]
    (100, 36, 64)
    >>> print(f"{galaxy.truth()['r_half']:.3f}")
    0.351
    """

    def __init__(self, populations, fractions):
        populations = list(populations)
        for k, pop in enumerate(populations):
            if not isinstance(pop, DwarfGalaxy):
                msg = f"population {k} must be a DwarfGalaxy, got {type(pop).__name__}"
                raise TypeError(msg)
        if len(populations) < 1:
            msg = "argument 'populations' must hold at least one DwarfGalaxy"
            raise ValueError(msg)
        first = populations[0]
        for k, pop in enumerate(populations[1:], start=1):
            if pop.halo != first.halo or pop._r_trunc != first._r_trunc:
                msg = (f"population {k} has another halo or truncation radius than population 0 "
                       f"({pop.halo!r} vs {first.halo!r}): the populations must share the halo")
                raise ValueError(msg)
        if any(pop._stellar_mass > 0 for pop in populations):
            msg = ("the populations must have massless tracers (no 'stellar_mass'): each "
                   "population's potential would otherwise differ")
            raise ValueError(msg)
        fractions = np.array([as_dimensionless(f, "fractions") for f in fractions], dtype=float)
        if (fractions.shape != (len(populations),) or np.any(fractions <= 0)
                or not np.isclose(fractions.sum(), 1.0, rtol=0, atol=1e-9)):
            msg = (f"argument 'fractions' must hold one positive fraction per population "
                   f"({len(populations)}) with sum 1, got {list(fractions)}")
            raise ValueError(msg)
        self.populations = tuple(populations)
        self.fractions = tuple(float(f) for f in fractions / fractions.sum())
        self._truth = None

    @property
    def halo(self):
        """`~dmprofile.profiles.DensityProfile`: the dark-matter halo shared by the populations."""
        return self.populations[0].halo

    @property
    def r_trunc(self):
        """`~astropy.units.Quantity` [length]: the halo truncation radius."""
        return self.populations[0].r_trunc

    def __repr__(self):
        parts = ", ".join(f"{f:.3g} x {pop.tracer!r} {pop.anisotropy!r}"
                          for f, pop in zip(self.fractions, self.populations))
        return f"<CompositeDwarfGalaxy(halo={self.halo!r}, populations=[{parts}])>"

    def _sample(self, n, rng):
        """Draw ``n`` stars; return positions (n, 3), velocities (n, 3) and population (1, 2...)."""
        counts = rng.multinomial(n, self.fractions)
        pos, vel, label = [], [], []
        for k, (pop, m) in enumerate(zip(self.populations, counts), start=1):
            p, v = pop._sample(int(m), rng)
            pos.append(p)
            vel.append(v)
            label.append(np.full(int(m), k, dtype=np.int16))
        order = rng.permutation(n)
        return (np.concatenate(pos)[order], np.concatenate(vel)[order],
                np.concatenate(label)[order])

    def sample(self, n, *, seed=None):
        """Draw a star catalogue from the populations' distribution functions.

        Parameters
        ----------
        n : int
            Number of stars (all populations together).
        seed : int, `~numpy.random.SeedSequence` or `~numpy.random.Generator`, optional
            Random seed.

        Returns
        -------
        `~astropy.table.QTable`
            Columns ``x, y, z`` [kpc], ``vx, vy, vz`` [km/s] and ``population`` (1, 2, ... in
            the order of ``populations``), in random order; ``meta`` holds `truth` plus
            ``seed``, ``n_stars``, ``pop<k>_n_stars`` and ``dmprofile_version``.
        """
        n = int(n)
        if n < 0:
            msg = f"argument 'n' must be >= 0, got {n}"
            raise ValueError(msg)
        rng = np.random.default_rng(seed)
        pos, vel, label = self._sample(n, rng)
        table = QTable()
        for i, name in enumerate("xyz"):
            table[name] = pos[:, i] * LENGTH
        for i, name in enumerate(("vx", "vy", "vz")):
            table[name] = vel[:, i] * VELOCITY
        table["population"] = label
        meta = self.truth()
        meta.update(seed=seed if isinstance(seed, (int, np.integer, type(None))) else repr(seed),
                    n_stars=n)
        meta.update({f"pop{k}_n_stars": int(np.sum(label == k))
                     for k in range(1, len(self.populations) + 1)})
        meta["dmprofile_version"] = __version__
        table.meta.update(meta)
        return table

    def truth(self):
        """Return the true parameters of the galaxy, as plain floats and strings.

        Returns
        -------
        dict
            The keys of `~dmprofile.simulate.DwarfGalaxy.truth`: those of the halo
            (``gamma_150``, ``rho_150``, ``M_150``, ``halo_*``, ``r_trunc``), ``r_half`` the
            projected half-light radius of all the stars [kpc], and ``tracer_*``, ``aniso_*``
            of the first population; then, for each population ``k`` = 1, 2, ...:
            ``pop<k>_fraction``, ``pop<k>_r_half`` [kpc], ``pop<k>_tracer_<parameter>``,
            ``pop<k>_aniso_beta0`` and ``pop<k>_aniso_r_a`` [kpc] (nan if infinite).
        """
        if self._truth is None:
            out = self.populations[0].truth()
            tracers = [pop.tracer for pop in self.populations]
            out["r_half"] = mixture_half_radius(tracers, self.fractions)
            for k, (pop, f) in enumerate(zip(self.populations, self.fractions), start=1):
                t = pop.truth()
                out[f"pop{k}_fraction"] = f
                out[f"pop{k}_r_half"] = t["r_half"]
                out.update({f"pop{k}_{key}": value for key, value in t.items()
                            if key.startswith("tracer_") and key != "tracer_family"})
                out[f"pop{k}_aniso_beta0"] = t["aniso_beta0"]
                out[f"pop{k}_aniso_r_a"] = t["aniso_r_a"]
            self._truth = out
        return dict(self._truth)
