"""Spherical equilibrium dwarf galaxies sampled from their exact distribution function."""

import numpy as np
from astropy import units as u
from astropy.table import QTable
from scipy.integrate import cumulative_simpson

from .._utils import G_KPC, LENGTH, MASS, VELOCITY, as_value
from .._version import __version__
from ..profiles import R_REF, Cuddeford, DensityProfile, Isotropic
from ._df import (
    NEGATIVE_DF_TOLERANCE,
    FQTable,
    InconsistentModelError,
    inversion_order,
    invert_cuddeford,
)

__all__ = ["DwarfGalaxy", "InconsistentModelError"]

_N_PER_DECADE = 48      # radius-grid nodes per decade (about 450 nodes in all)
_R_IN = 1e-4            # innermost node, in units of the tracer scale radius
_R_OUT = 1e3            # outermost node, in units of the truncation radius
_N_Q = 160              # velocity nodes per radius row of the sampling table
_Q_GRID = np.linspace(0.0, 1.0, _N_Q) ** 1.25   # q = w / w_esc, a little denser at small q


def _family(profile):
    return getattr(profile, "family", type(profile).__name__.lower())


class DwarfGalaxy:
    r"""A spherical dwarf galaxy: dark halo + massless stellar tracer + velocity anisotropy.

    Stars are drawn from the exact equilibrium distribution function of the tracer in the
    potential of the (truncated) halo, of the Cuddeford (1991) form
    :math:`f(\mathcal{E}, L) = L^{-2\beta_0} f_Q(\mathcal{E} - L^2/2r_a^2)`, which covers isotropic
    (Eddington), Osipkov-Merritt and constant-anisotropy models. The DF is obtained by a numerical
    Abel inversion (see :ref:`simulate-df`) once, when the object is created; sampling is then
    fully vectorised.

    Parameters
    ----------
    halo : `~dmprofile.profiles.DensityProfile`
        The dark-matter halo (the potential).
    tracer : `~dmprofile.profiles.DensityProfile`
        The stellar density; only its shape matters (massless tracer) unless ``stellar_mass``.
    anisotropy : `~dmprofile.profiles.Cuddeford`, optional
        Velocity anisotropy: `~dmprofile.profiles.Isotropic` (the default),
        `~dmprofile.profiles.OsipkovMerritt` or `~dmprofile.profiles.Cuddeford`.
    r_trunc : `~astropy.units.Quantity` [length], optional
        The halo mass is truncated sharply at this radius (default: the halo r200 for the
        Planck 2018 Hubble constant). Outside it the potential is Keplerian.
    stellar_mass : `~astropy.units.Quantity` [mass], optional
        If given, the stars (tracer shape times this mass) also contribute to the potential.

    Raises
    ------
    InconsistentModelError
        If no non-negative DF exists for this model (``reason`` ``"negative_df"``), if the
        central anisotropy exceeds half the central tracer slope, beta0 > gamma_tracer(0) / 2
        (An & Evans 2006; ``"central_anisotropy"``), or if the central potential diverges
        (``"divergent_potential"``). Negative DF values are never clipped; values within
        ``NEGATIVE_DF_TOLERANCE`` of the quadrature's cancellation scale count as zero.

    Examples
    --------
    >>> import astropy.units as u
    >>> from dmprofile.profiles import NFW, Cuddeford, Plummer
    >>> from dmprofile.simulate import DwarfGalaxy
    >>> halo = NFW.from_M200_c(1e9 * u.Msun, 15)
    >>> galaxy = DwarfGalaxy(halo, Plummer(0.3 * u.kpc), Cuddeford(-0.1, 0.6 * u.kpc))
    >>> stars = galaxy.sample(1000, seed=42)
    >>> len(stars), stars["vx"].unit
    (1000, Unit("km / s"))
    >>> print(f"{stars.meta['gamma_150']:.3f}")
    -1.193

    A cored tracer cannot be isotropic in a cusped halo (its DF is negative at the most bound
    energies, because d nu / d Psi -> 0 at the centre):

    >>> from dmprofile.simulate import InconsistentModelError
    >>> try:
    ...     DwarfGalaxy(halo, Plummer(0.3 * u.kpc))
    ... except InconsistentModelError as err:
    ...     print(err.reason)
    negative_df
    """

    def __init__(self, halo, tracer, anisotropy=None, *, r_trunc=None, stellar_mass=None):
        for name, prof in (("halo", halo), ("tracer", tracer)):
            if not isinstance(prof, DensityProfile):
                msg = f"argument '{name}' must be a DensityProfile, got {type(prof).__name__}"
                raise TypeError(msg)
        anisotropy = Isotropic() if anisotropy is None else anisotropy
        if not isinstance(anisotropy, Cuddeford):
            msg = ("argument 'anisotropy' must be Isotropic, OsipkovMerritt or Cuddeford (the "
                   f"families with an exact DF), got {type(anisotropy).__name__}")
            raise TypeError(msg)
        self.halo, self.tracer, self.anisotropy = halo, tracer, anisotropy
        if r_trunc is None:
            self._r_trunc = halo.virial_radius(overdensity=200).to_value(LENGTH)
        else:
            self._r_trunc = as_value(r_trunc, LENGTH, "r_trunc", scalar=True, positive=True,
                                     allow_zero=False)
        self._stellar_mass = 0.0 if stellar_mass is None else as_value(
            stellar_mass, MASS, "stellar_mass", scalar=True, positive=True)
        self._beta0 = anisotropy._beta0
        self._r_a = anisotropy._r_a
        self._truth = None
        self._build_grid()
        self._build_df()
        self._build_sampling_tables()

    @property
    def r_trunc(self):
        """`~astropy.units.Quantity` [length]: the halo truncation radius."""
        return self._r_trunc * LENGTH

    def __repr__(self):
        return (f"<DwarfGalaxy(halo={self.halo!r}, tracer={self.tracer!r}, "
                f"anisotropy={self.anisotropy!r}, r_trunc={self._r_trunc:.4g} kpc)>")

    # ------------------------------------------------------------------ construction
    def _build_grid(self):
        """Radius nodes (r_trunc is one), M(r), Psi(r), tracer mass, rho~ and its derivatives."""
        r_lo = _R_IN * self.tracer._scale_radius()
        r_t, r_hi = self._r_trunc, _R_OUT * self._r_trunc
        r_lo = min(r_lo, 1e-3 * r_t)
        n1 = max(int(np.ceil(_N_PER_DECADE * np.log10(r_t / r_lo))), 8)
        n2 = max(int(np.ceil(_N_PER_DECADE * np.log10(r_hi / r_t))), 8)
        lnr = np.concatenate([np.linspace(np.log(r_lo), np.log(r_t), n1 + 1),
                              np.linspace(np.log(r_t), np.log(r_hi), n2 + 1)[1:]])
        r = np.exp(lnr)
        m_halo = self.halo._enclosed_mass(np.minimum(r, r_t))
        m_tr = self.tracer._enclosed_mass(r)
        m_tr_tot = m_tr[-1]
        mass = m_halo + self._stellar_mass * m_tr / m_tr_tot
        # Psi(r) = G M_tot / r_hi + int_r^r_hi G M / r' dln r'  (Simpson on each uniform segment)
        integrand = G_KPC * mass / r
        psi = np.empty_like(r)
        inner = slice(0, n1 + 1)
        outer = slice(n1, None)
        cum_out = cumulative_simpson(integrand[outer][::-1], dx=lnr[1 + n1] - lnr[n1],
                                     initial=0.0)[::-1]
        psi_t = integrand[-1] + cum_out[0]
        psi[outer] = integrand[-1] + cum_out
        cum_in = cumulative_simpson(integrand[inner][::-1], dx=lnr[1] - lnr[0], initial=0.0)[::-1]
        psi[inner] = psi_t + cum_in
        # central potential: M ~ r^s inside r_lo, int_0^r_lo G M / r^2 dr = G M(r_lo)/r_lo/(s - 1)
        s = np.log(mass[1] / mass[0]) / (lnr[1] - lnr[0])
        if not s > 1.0 + 1e-3:
            msg = (f"the central potential diverges (enclosed mass ~ r^{s:.3f} at r = {r_lo:.3g} "
                   "kpc): the halo is too steep for a finite-energy distribution function")
            raise InconsistentModelError(msg, reason="divergent_potential")
        self._psi_c = psi[0] + integrand[0] / (s - 1.0)

        # tracer density and rho~ = (1 + r^2/r_a^2)^(1-beta0) r^(2 beta0) nu, nu normalised to 1
        b0, ra = self._beta0, self._r_a
        with np.errstate(under="ignore", divide="ignore", invalid="ignore"):
            nu = self.tracer._density(r) / m_tr_tot
            slope_nu = self.tracer._log_slope(r)
        # tracers with (super-)exponential tails: keep the nodes where nu is representable
        ok = (nu > 1e-250) & np.isfinite(slope_nu)
        n_keep = int(np.argmin(ok)) if not ok.all() else r.size
        if n_keep < 16:
            msg = f"the tracer density {self.tracer!r} is not positive on the radius grid"
            raise ValueError(msg)
        keep = slice(0, n_keep)
        r, lnr, psi, mass, m_tr = r[keep], lnr[keep], psi[keep], mass[keep], m_tr[keep]
        nu, slope_nu = nu[keep], slope_nu[keep]
        gamma_t0 = -float(slope_nu[0])
        if 2.0 * b0 > gamma_t0 + 1e-6:
            msg = (f"central anisotropy beta0 = {b0:.3g} exceeds half the central logarithmic "
                   f"slope of the tracer ({gamma_t0:.3g} / 2): no consistent DF exists "
                   "(An & Evans 2006)")
            raise InconsistentModelError(msg, reason="central_anisotropy")
        log_g = np.log(nu) + 2.0 * b0 * np.log(r)
        slope_g = slope_nu + 2.0 * b0
        if ra is not None:
            log_g = log_g + (1.0 - b0) * np.log1p((r / ra) ** 2)
            slope_g = slope_g + 2.0 * (1.0 - b0) * r**2 / (r**2 + ra**2)
        # d rho~/dPsi = -rho~ r S / (G M) and its Psi-derivative, analytic up to d S / d ln r
        dslope_g = (self.tracer._log_slope(r * np.exp(1e-3))
                     - self.tracer._log_slope(r * np.exp(-1e-3))) / 2e-3
        if ra is not None:
            dslope_g = dslope_g + 4.0 * (1.0 - b0) * r**2 * ra**2 / (r**2 + ra**2) ** 2
        rho_tot = np.where(r <= r_t, self.halo._density(r), 0.0)
        if self._stellar_mass > 0:
            rho_tot = rho_tot + self._stellar_mass * nu
        dlnm = 4.0 * np.pi * r**3 * rho_tot / mass
        # work with rho~ divided out: d1 = g'/g, d2 = g''/g
        d1 = -r * slope_g / (G_KPC * mass)
        d2 = -(d1 * (slope_g + 1.0 - dlnm) - r * dslope_g / (G_KPC * mass)) * r / (G_KPC * mass)

        self._r, self._lnr, self._psi, self._mass = r, lnr, psi, mass
        self._nu, self._log_g, self._d1, self._d2 = nu, log_g, d1, d2
        self._log_cum_tracer = np.log(m_tr / m_tr_tot)

    def _build_df(self):
        m, _, _ = inversion_order(self._beta0)
        # nodes in increasing Psi (decreasing r)
        psi = self._psi[::-1]
        psi_y = psi * (self._psi_c - psi) / self._psi_c
        d = (self._d2[::-1] * psi_y**2) if m == 1 else (self._d1[::-1] * psi_y)
        f, scale = invert_cuddeford(psi, self._log_g[::-1], d, self._psi_c, self._beta0, psi)
        bad = f < -NEGATIVE_DF_TOLERANCE * scale
        if np.any(bad):
            j = int(np.argmax(np.where(bad, -f / scale, -np.inf)))
            r_at = self._r[::-1][j]
            msg = (f"the distribution function f_Q is negative (f_Q = {f[j]:.3g} at Q = Psi(r = "
                   f"{r_at:.3g} kpc), at {bad.sum()} of {bad.size} energy nodes) for anisotropy "
                   f"{self.anisotropy!r} with tracer {self.tracer!r} in halo {self.halo!r}: "
                   "this model has no equilibrium")
            raise InconsistentModelError(msg, reason="negative_df")
        # values within the tolerance are numerical zeros
        self._fq = FQTable(psi, np.maximum(f, 0.0), self._psi_c)

    def _build_sampling_tables(self):
        """Per radius node: the CDF of q = w / w_esc, density ~ q^(2-2 beta0) f_Q(Psi (1 - q^2))."""
        q = _Q_GRID
        psi = self._psi
        qq = psi[:, None] * (1.0 - q[None, :] ** 2)
        dens = q[None, :] ** (2.0 - 2.0 * self._beta0) * self._fq(qq.ravel()).reshape(qq.shape)
        dens[:, 0] = 0.0  # q^(2 - 2 beta0) with beta0 < 1
        cdf = np.concatenate([np.zeros((len(psi), 1)),
                              np.cumsum(0.5 * (dens[:, 1:] + dens[:, :-1]) * np.diff(q), axis=1)],
                             axis=1)
        total = cdf[:, -1]
        empty = total <= 0
        if np.any(empty & (self._nu > 1e-12 * self._nu.max())):
            k = int(np.argmax(empty & (self._nu > 1e-12 * self._nu.max())))
            msg = (f"the distribution function vanishes at r = {self._r[k]:.3g} kpc where the "
                   f"tracer density does not, for anisotropy {self.anisotropy!r}")
            raise InconsistentModelError(msg, reason="negative_df")
        # rows where f_Q underflows carry no stars (nu ~ 0 there): give them a harmless uniform CDF
        cdf[empty] = q[None, :]
        total[empty] = 1.0
        cdf /= total[:, None]
        self._cdf_flat = (cdf + np.arange(len(psi))[:, None]).ravel()

    # ------------------------------------------------------------------ sampling
    def _sample(self, n, rng):
        """Draw ``n`` stars; return positions (n, 3) in kpc and velocities (n, 3) in km/s."""
        lnr_nodes = self._lnr
        n_nodes = len(lnr_nodes)
        # radii: inverse CDF of the tracer mass, interpolated in ln M - ln r
        lo = self._log_cum_tracer[0]
        logu = np.log(rng.uniform(np.exp(lo), 1.0, n))
        lnr = np.interp(logu, self._log_cum_tracer, lnr_nodes)
        k = np.clip(np.searchsorted(lnr_nodes, lnr, side="right") - 1, 0, n_nodes - 2)
        t = (lnr - lnr_nodes[k]) / (lnr_nodes[k + 1] - lnr_nodes[k])
        r = np.exp(lnr)
        psi = np.exp((1 - t) * np.log(self._psi[k]) + t * np.log(self._psi[k + 1]))
        # speed in w-space: quantile interpolation between the two bracketing rows
        u_w = rng.uniform(0.0, 1.0, n)
        qv = (1 - t) * self._row_quantile(k, u_w) + t * self._row_quantile(k + 1, u_w)
        w = qv * np.sqrt(2.0 * psi)
        # angle from the radial direction: cos(eta) = 2 B - 1, B ~ Beta(1 - beta0, 1 - beta0)
        cos_eta = 2.0 * rng.beta(1.0 - self._beta0, 1.0 - self._beta0, n) - 1.0
        sin_eta = np.sqrt(np.clip(1.0 - cos_eta**2, 0.0, None))
        v_r = w * cos_eta
        v_t = w * sin_eta
        if self._r_a is not None:
            v_t = v_t / np.sqrt(1.0 + (r / self._r_a) ** 2)
        psi_v = rng.uniform(0.0, 2 * np.pi, n)
        # isotropic position directions and the local spherical basis
        cos_th = rng.uniform(-1.0, 1.0, n)
        sin_th = np.sqrt(1.0 - cos_th**2)
        phi = rng.uniform(0.0, 2 * np.pi, n)
        cp, sp = np.cos(phi), np.sin(phi)
        e_r = np.stack([sin_th * cp, sin_th * sp, cos_th], axis=1)
        e_th = np.stack([cos_th * cp, cos_th * sp, -sin_th], axis=1)
        e_ph = np.stack([-sp, cp, np.zeros(n)], axis=1)
        pos = r[:, None] * e_r
        vel = (v_r[:, None] * e_r + (v_t * np.cos(psi_v))[:, None] * e_th
               + (v_t * np.sin(psi_v))[:, None] * e_ph)
        return pos, vel

    def _row_quantile(self, k, u_w):
        """Inverse CDF of q in rows ``k`` at probabilities ``u_w`` (vectorised via row offsets)."""
        n_q = _Q_GRID.size
        target = k + u_w
        idx = np.searchsorted(self._cdf_flat, target, side="right") - 1
        idx = np.clip(idx, k * n_q, k * n_q + n_q - 2)
        c0, c1 = self._cdf_flat[idx], self._cdf_flat[idx + 1]
        j = idx - k * n_q
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(c1 > c0, (target - c0) / (c1 - c0), 0.0)
        frac = np.clip(frac, 0.0, 1.0)
        return _Q_GRID[j] + frac * (_Q_GRID[j + 1] - _Q_GRID[j])

    def sample(self, n, *, seed=None):
        """Draw a star catalogue from the equilibrium distribution function.

        Parameters
        ----------
        n : int
            Number of stars.
        seed : int, `~numpy.random.SeedSequence` or `~numpy.random.Generator`, optional
            Random seed.

        Returns
        -------
        `~astropy.table.QTable`
            Columns ``x, y, z`` [kpc] and ``vx, vy, vz`` [km/s] (galaxy centre at rest at the
            origin); ``meta`` holds `truth` plus ``seed``, ``n_stars`` and ``dmprofile_version``.
        """
        n = int(n)
        if n < 0:
            msg = f"argument 'n' must be >= 0, got {n}"
            raise ValueError(msg)
        rng = np.random.default_rng(seed)
        pos, vel = self._sample(n, rng)
        table = QTable()
        for i, name in enumerate("xyz"):
            table[name] = pos[:, i] * LENGTH
        for i, name in enumerate(("vx", "vy", "vz")):
            table[name] = vel[:, i] * VELOCITY
        meta = self.truth()
        meta.update(seed=seed if isinstance(seed, (int, np.integer, type(None))) else repr(seed),
                    n_stars=n, dmprofile_version=__version__)
        table.meta.update(meta)
        return table

    # ------------------------------------------------------------------ truth and DF
    def truth(self):
        """Return the true parameters of the model, as plain floats and strings.

        Returns
        -------
        dict
            ``gamma_150`` (d ln rho / d ln r of the halo at 150 pc), ``rho_150`` [Msun/kpc3],
            ``M_150`` [Msun] (halo mass inside 150 pc), ``halo_family``, ``halo_<parameter>``
            (internal units), ``tracer_family``, ``tracer_<parameter>``, ``r_half`` (projected
            half-light radius, kpc), ``aniso_family``, ``aniso_beta0``, ``aniso_r_a`` [kpc]
            (nan if infinite), ``r_trunc`` [kpc], ``stellar_mass`` [Msun].
        """
        if self._truth is None:
            r150 = np.array([R_REF.to_value(LENGTH)])
            out = {"gamma_150": float(self.halo._log_slope(r150)[0]),
                   "rho_150": float(self.halo._density(r150)[0]),
                   "M_150": float(self.halo._enclosed_mass(np.minimum(r150, self._r_trunc))[0]),
                   "halo_family": _family(self.halo)}
            out.update({f"halo_{p}": float(getattr(self.halo, f"_{p}"))
                        for p in self.halo._parameters})
            out["tracer_family"] = _family(self.tracer)
            out.update({f"tracer_{p}": float(getattr(self.tracer, f"_{p}"))
                        for p in self.tracer._parameters})
            out["r_half"] = self._projected_half_light_radius()
            out["aniso_family"] = type(self.anisotropy).__name__.lower()
            out["aniso_beta0"] = float(self._beta0)
            out["aniso_r_a"] = float("nan") if self._r_a is None else float(self._r_a)
            out["r_trunc"] = float(self._r_trunc)
            out["stellar_mass"] = float(self._stellar_mass)
            self._truth = out
        return dict(self._truth)

    def _projected_half_light_radius(self):
        try:
            return float(self.tracer._half_radius(None, projected=True))
        except (ValueError, NotImplementedError):
            pass
        # divergent-mass tracer: the tracer as sampled, i.e. cut at the outer grid radius
        r, nu = self._r, self._nu
        lnr = self._lnr
        radii = r[::4]
        m_proj = []
        for big_r in radii:
            sel = r > big_r
            w = 4 * np.pi * r[sel] ** 3 * nu[sel] * np.sqrt(1 - (big_r / r[sel]) ** 2)
            m_proj.append(1.0 - np.trapezoid(w, lnr[sel]))
        return float(np.exp(np.interp(0.5, m_proj, np.log(radii))))

    def distribution_function(self, E, L):
        """Return the phase-space density f(E, L) of the stars, normalised to one star in all.

        Parameters
        ----------
        E : `~astropy.units.Quantity` [speed squared]
            Binding energy per unit mass, Psi(r) - v^2/2 (positive for bound stars).
        L : `~astropy.units.Quantity` [specific angular momentum]
            Angular momentum per unit mass (kpc km/s).

        Returns
        -------
        `~astropy.units.Quantity`
            In kpc^-3 (km/s)^-3; zero for unbound or forbidden (Q <= 0) orbits.
        """
        e = as_value(E, VELOCITY**2, "E")
        ell = as_value(L, LENGTH * VELOCITY, "L", positive=True)
        e, ell = np.broadcast_arrays(e, ell)
        q = e if self._r_a is None else e - ell**2 / (2.0 * self._r_a**2)
        with np.errstate(divide="ignore"):
            f = self._fq(q) * (ell ** (-2.0 * self._beta0) if self._beta0 != 0 else 1.0)
        f = np.where(q > 0, f, 0.0)
        return f * LENGTH**-3 * VELOCITY**-3

    @property
    def potential_table(self):
        """`~astropy.table.QTable`: the radius grid with M(<r), Psi(r) and the tracer density."""
        return QTable({"r": self._r * LENGTH, "mass": self._mass * MASS,
                       "psi": self._psi * VELOCITY**2,
                       "nu": self._nu * u.kpc**-3})
