"""The disc-galaxy recipe of the suite engine: mock SDSS images and HI moment maps of discs.

After de los Rios et al. (2023): each galaxy of `~dmprofile.simulate.DefaultDiscPrior` is
realised once as particles and observed ``realisations`` times, each time with a fresh
orientation, distance, instrument draw and noise (`dmprofile.observe.observe_disc`); the
stacked, normalised channels (`dmprofile.observe.stack_channels`) are stored as float16 and the
truth (log10 of the enclosed dark-matter mass at the 20 radii `~dmprofile.simulate.DISC_RADII`,
the baryonic masses, the galaxy and observation parameters) as one table row per realisation.
"""

from dataclasses import dataclass

import numpy as np
from astropy import units as u

from ..observe import CHANNELS
from ..simulate import DISC_RADII, DefaultDiscPrior
from ._engine import generate_suite, positive_int
from ._recipe import ArraySpec, ChunkLayout, GalaxyData, SuiteRecipe, register_recipe
from ._suite import Suite
from ._tables import rows_to_table

__all__ = ["DiscRecipe", "DiscSuite", "generate_disc_suite"]

_TRUTH_FIRST = ("galaxy_id", "realisation", "sample_seed", "observe_seed")
# truth() entries stored in the manifest (the same for every galaxy) or not as columns
_TRUTH_SKIP = ("radii",)


class DiscSuite(Suite):
    """A disc-galaxy suite read from disk by `read_suite`.

    Parameters
    ----------
    directory : str or `~pathlib.Path`
        The suite directory.
    manifest : dict
        The content of ``manifest.json``.
    images : `numpy.ndarray`
        The stacked channels of all rows (made read-only).
    truth : `~astropy.table.Table`
        The truth table.
    checksum : str
        SHA-256 (hex) of the chunk files, in order.

    Attributes
    ----------
    images : `numpy.ndarray`, float16, shape (N, n_channels, npix, npix)
        The network input of the N realisations (`dmprofile.observe.stack_channels`).
    truth : `~astropy.table.Table`
        One row per realisation: ``galaxy_id``, ``realisation``, the seeds, the prior draw
        (``prior_*``), ``log_mdm`` and ``log_mbar`` (20 values each, at ``radii``) and the other
        truth of `~dmprofile.simulate.DiscGalaxy.truth`.
    channels : tuple of str
        The channels of ``images``, in order.
    radii : `~astropy.units.Quantity`
        The radii of ``log_mdm``.
    """

    def __init__(self, directory, manifest, images, truth, checksum):
        super().__init__(directory, manifest, {"IMAGES": images}, {"TRUTH": truth}, checksum)
        self.images = self.arrays["IMAGES"]
        self.channels = tuple(manifest["channels"])
        self.radii = np.asarray(manifest["radii_kpc"]) * u.kpc

    @classmethod
    def from_chunks(cls, directory, manifest, arrays, tables, checksum):
        """Build the suite from what the engine read.

        Parameters
        ----------
        directory : `~pathlib.Path`
            The suite directory.
        manifest : dict
            The manifest.
        arrays : dict of str to `numpy.ndarray`
            ``IMAGES``.
        tables : dict of str to `~astropy.table.Table`
            ``TRUTH``.
        checksum : str
            SHA-256 (hex) of the chunk files.

        Returns
        -------
        `DiscSuite`
        """
        return cls(directory, manifest, arrays["IMAGES"], tables["TRUTH"], checksum)

    @property
    def prior(self):
        """`~dmprofile.simulate.DefaultDiscPrior`: the prior, rebuilt from the manifest."""
        return DefaultDiscPrior.from_dict(self.manifest["prior"])

    def split(self, fractions=(0.6, 0.2, 0.2), *, seed=0):
        """Split the rows by galaxy into training, validation and test rows (60/20/20).

        Parameters
        ----------
        fractions : sequence of float
            Fractions of the galaxies in each part.
        seed : int, optional
            Seed of the random assignment of galaxies.

        Returns
        -------
        tuple of `numpy.ndarray`
            Row indices of each part.
        """
        return super().split(fractions, seed=seed)

    def _params(self, i):
        if not -len(self) <= int(i) < len(self):
            msg = f"row {i} out of range for a suite of {len(self)} rows"
            raise IndexError(msg)
        row = self.truth[int(i)]
        params = {name: row[f"prior_{name}"].item() for name in self.prior.param_names}
        return row, params

    def galaxy(self, i):
        """Rebuild the galaxy of row ``i`` from its prior draw.

        Parameters
        ----------
        i : int
            The row.

        Returns
        -------
        `~dmprofile.simulate.DiscGalaxy`
        """
        return self.prior.galaxy(self._params(i)[1])

    def observation(self, i):
        """Regenerate the observation of row ``i`` exactly as it was when the suite was made.

        Parameters
        ----------
        i : int
            The row.

        Returns
        -------
        `~astropy.io.fits.HDUList`
            The output of `dmprofile.observe.observe_disc` whose stacked channels are
            ``images[i]`` (up to the float16 rounding).
        """
        row, params = self._params(i)
        recipe = DiscRecipe.from_manifest(self.manifest)
        particles = recipe.particles(self.prior.galaxy(params), params,
                                     int(row["sample_seed"]))
        return recipe.observe(particles, params, int(row["observe_seed"]))

    def __repr__(self):
        m = self.manifest
        return (f"<DiscSuite {len(self)} realisations = {m['n_galaxies']} galaxies x "
                f"{m['realisations']}, channels {','.join(self.channels)}, "
                f"{m['npix']}x{m['npix']} px, seed={m['seed']}, checksum={self.checksum[:12]}>")


def _setups(observation):
    """Return the imaging and HI set-ups of a `DefaultDiscPrior.observation` dict."""
    from ..observe import HISetup, ImagingSetup

    imaging = ImagingSetup(n_pixels=observation["npix"], field_of_view=observation["fov"],
                           psf_fwhm=observation["psf_fwhm"],
                           sky_brightness=observation["sky_brightness"])
    n_channels = observation["n_channels"] or None
    hi = HISetup(n_pixels=observation["npix"], field_of_view=observation["fov"],
                 channel_width=observation["channel_width"], n_channels=n_channels,
                 beam_fwhm=observation["beam_fwhm"], noise_rms=observation["noise"])
    return imaging, hi


@register_recipe
@dataclass(frozen=True)
class DiscRecipe(SuiteRecipe):
    """The disc-galaxy recipe: each galaxy realised as particles and observed several times.

    Galaxy ``g`` uses the streams ``(g, 0)`` for its prior draw, ``(g, 1)`` for its particles
    (``sample_seed``) and ``(g, 2, k)`` for realisation ``k``: a fresh orientation, distance
    and instrument draw (``(g, 2, k, 0)``) and the image and cube noise (``observe_seed``).

    Parameters
    ----------
    realisations : int
        Observations per galaxy (suite rows per galaxy).
    channels : tuple of str
        Channels stored, in order (any subset of `dmprofile.observe.CHANNELS`).
    n_stars, n_gas : int
        Star and gas particles per galaxy.
    prior : `~dmprofile.simulate.DefaultDiscPrior`, optional
        The prior (default ``DefaultDiscPrior()``, the varied instrument).

    Examples
    --------
    >>> from dmprofile.simulate import DefaultDiscPrior
    >>> from dmprofile.suites import DiscRecipe, GalaxyStreams
    >>> recipe = DiscRecipe(realisations=1, n_stars=300, n_gas=300, channels=("r", "mom1"),
    ...                     prior=DefaultDiscPrior(instrument=dict(
    ...                         DefaultDiscPrior().instrument, npix=16)))
    >>> data = recipe.simulate(0, GalaxyStreams(1, 0))  # doctest: +SKIP
    """

    realisations: int = 3
    channels: tuple = CHANNELS
    n_stars: int = 20000
    n_gas: int = 20000
    prior: DefaultDiscPrior = None

    kind = "disc"
    format = "dmprofile-disc-suite"
    format_version = 1
    suite_class = DiscSuite
    identity = ("realisations", "channels", "n_stars", "n_gas", "npix", "prior")
    generator = "generate_disc_suite (or 'dmprofile simulate discs')"

    def __post_init__(self):
        object.__setattr__(self, "realisations",
                           positive_int(self.realisations, "realisations"))
        object.__setattr__(self, "n_stars", positive_int(self.n_stars, "n_stars"))
        object.__setattr__(self, "n_gas", positive_int(self.n_gas, "n_gas"))
        channels = (self.channels,) if isinstance(self.channels, str) else self.channels
        channels = tuple(str(c).lower() for c in channels)
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown or not channels or len(set(channels)) != len(channels):
            msg = (f"argument 'channels' must be distinct names from {CHANNELS}, "
                   f"got {self.channels!r}")
            raise ValueError(msg)
        object.__setattr__(self, "channels", channels)
        prior = DefaultDiscPrior() if self.prior is None else self.prior
        if not isinstance(prior, DefaultDiscPrior):
            msg = (f"argument 'prior' must be a DefaultDiscPrior (or subclass), "
                   f"got {type(prior).__name__}")
            raise TypeError(msg)
        object.__setattr__(self, "prior", prior)

    @classmethod
    def from_manifest(cls, manifest):
        """Rebuild the recipe of a suite from its manifest.

        Parameters
        ----------
        manifest : dict
            The manifest.

        Returns
        -------
        `DiscRecipe`
        """
        return cls(realisations=manifest["realisations"], channels=tuple(manifest["channels"]),
                   n_stars=manifest["n_stars"], n_gas=manifest["n_gas"],
                   prior=DefaultDiscPrior.from_dict(manifest["prior"]))

    def manifest_fields(self):
        """Return the realisations, channels, particle counts, grid, radii, prior and seeding.

        Returns
        -------
        dict
            The manifest entries of the recipe.
        """
        return {
            "realisations": self.realisations,
            "channels": list(self.channels),
            "n_stars": self.n_stars,
            "n_gas": self.n_gas,
            "npix": int(self.prior.instrument["npix"]),
            "radii_kpc": DISC_RADII.to_value(u.kpc).tolist(),
            "prior": self.prior.to_dict(),
            "seeding": ("galaxy g uses numpy SeedSequence(seed, spawn_key=(g, s)): s=0 prior "
                        "draw, s=1 particles (sample_seed), s=(2, k, 0) orientation, distance "
                        "and instrument of realisation k, s=(2, k, 1) its noise "
                        "(observe_seed)"),
        }

    @classmethod
    def layout(cls, manifest):
        """Return the layout: stacked channels (float16) and the truth table.

        Parameters
        ----------
        manifest : dict
            The manifest (``channels``, ``npix`` and ``realisations`` are used).

        Returns
        -------
        `~dmprofile.suites.ChunkLayout`
        """
        n = manifest["npix"]
        return ChunkLayout(arrays={"IMAGES": ArraySpec((len(manifest["channels"]), n, n),
                                                       "float16")},
                           tables=("TRUTH",), rows_per_galaxy=manifest["realisations"])

    def particles(self, galaxy, params, sample_seed):
        """Realise ``galaxy`` as particles (with its satellites and field sources).

        Parameters
        ----------
        galaxy : `~dmprofile.simulate.DiscGalaxy`
            The galaxy.
        params : dict
            Its prior draw.
        sample_seed : int
            Seed of the particles.

        Returns
        -------
        `~dmprofile.simulate.GalaxyParticles`
        """
        return galaxy.sample(self.n_stars, self.n_gas, satellites=int(params["satellites"]),
                             field_sources=int(params["field_sources"]), seed=sample_seed)

    def observe(self, particles, params, observe_seed):
        """Observe the particles with the orientation, distance and instrument of ``params``.

        Parameters
        ----------
        particles : `~dmprofile.simulate.GalaxyParticles`
            The particles.
        params : dict
            A prior draw with the observation parameters of one realisation.
        observe_seed : int
            Seed of the noise.

        Returns
        -------
        `~astropy.io.fits.HDUList`
            The images and moment maps (`dmprofile.observe.observe_disc`).
        """
        from ..observe import observe_disc

        observation = self.prior.observation(params)
        imaging, hi = _setups(observation)
        return observe_disc(particles, distance=observation["distance"],
                            inclination=observation["inclination"],
                            position_angle=observation["position_angle"], imaging=imaging,
                            hi=hi, seed=observe_seed)

    def simulate(self, galaxy_id, streams):
        """Draw, realise and observe one galaxy (see the class description).

        Parameters
        ----------
        galaxy_id : int
            The galaxy.
        streams : `~dmprofile.suites.GalaxyStreams`
            Its random streams.

        Returns
        -------
        `~dmprofile.suites.GalaxyData`
            ``IMAGES`` of the realisations and their ``TRUTH`` rows.
        """
        from ..observe import stack_channels

        params = self.prior.draw(streams.rng(0))
        galaxy = self.prior.galaxy(params)
        truth = {k: v for k, v in galaxy.truth().items() if k not in _TRUTH_SKIP}
        sample_seed = streams.int_seed(1)
        particles = self.particles(galaxy, params, sample_seed)
        n = int(self.prior.instrument["npix"])
        images = np.empty((self.realisations, len(self.channels), n, n), dtype=np.float16)
        rows = []
        for k in range(self.realisations):
            params_k = {**params, **self.prior.draw_observation(streams.rng(2, k, 0))}
            observe_seed = streams.int_seed(2, k, 1)
            obs = self.observe(particles, params_k, observe_seed)
            images[k] = stack_channels(obs, self.channels).astype(np.float16)
            row = {"galaxy_id": galaxy_id, "realisation": k, "sample_seed": sample_seed,
                   "observe_seed": observe_seed}
            row.update({f"prior_{name}": params_k[name] for name in self.prior.param_names})
            row.update(truth)
            rows.append(row)
        return GalaxyData(arrays={"IMAGES": images}, tables={"TRUTH": rows})

    def pack_table(self, name, rows):
        """Build the truth table of one chunk (fixed leading columns).

        Parameters
        ----------
        name : str
            ``"TRUTH"``.
        rows : list of dict
            The rows.

        Returns
        -------
        `~astropy.table.Table`
        """
        table = rows_to_table(rows, fixed=_TRUTH_FIRST)
        table["realisation"] = table["realisation"].astype(np.int16)
        return table


def generate_disc_suite(out, *, n_galaxies, realisations=3, seed=0, workers=None,
                        chunk_size=None, prior=None, channels=CHANNELS, n_stars=20000,
                        n_gas=20000, scheduler=None, client=None, progress=True):
    """Generate a training suite of mock disc galaxies on disk, resumably and in parallel.

    `generate_suite` with a `DiscRecipe` (see there for what one galaxy produces and which
    random streams it uses): identical whatever the number of workers, the scheduler or
    interruptions; every file is written atomically and a killed run resumes where it stopped.

    Parameters
    ----------
    out : str or `~pathlib.Path`
        Output directory (created if needed).
    n_galaxies : int
        Number of galaxies.
    realisations : int
        Observations per galaxy (orientation, distance, instrument and noise).
    seed : int
        Suite seed, 0 <= seed < 2**63.
    workers : int, optional
        Local worker processes (default `os.cpu_count`); 1 runs in this process.
    chunk_size : int, optional
        Galaxies per chunk file (default 100).
    prior : `~dmprofile.simulate.DefaultDiscPrior`, optional
        The prior (default ``DefaultDiscPrior()``; ``DefaultDiscPrior.paper()`` for the
        paper's instrument).
    channels : tuple of str
        Channels stored (default all eight: u, g, r, i, z, mom0, mom1, mom2).
    n_stars, n_gas : int
        Star and gas particles per galaxy.
    scheduler : str, optional
        Address of a ``dask.distributed`` scheduler.
    client : ``dask.distributed.Client``, optional
        An existing dask client, instead of ``scheduler``.
    progress : bool or str
        Progress bar (galaxies): ``True`` when standard error is a terminal, ``"always"``, or
        ``False``.

    Returns
    -------
    `~pathlib.Path`
        The suite directory; read it with `read_suite`.
    """
    n_galaxies = positive_int(n_galaxies, "n_galaxies")
    recipe = DiscRecipe(realisations=realisations, channels=channels, n_stars=n_stars,
                        n_gas=n_gas, prior=prior)
    return generate_suite(out, recipe, n_galaxies=n_galaxies, seed=seed, workers=workers,
                          chunk_size=chunk_size, scheduler=scheduler, client=client,
                          progress=progress)
