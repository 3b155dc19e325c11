"""The dwarf-galaxy recipe of the suite engine: training suites of mock dwarf spheroidals."""

from dataclasses import dataclass

import numpy as np
from astropy import units as u
from astropy.table import Table

from ..simulate import DefaultDwarfPrior, InconsistentModelError
from ._engine import generate_suite, positive_int
from ._recipe import ArraySpec, ChunkLayout, GalaxyData, SuiteRecipe, register_recipe
from ._suite import Suite
from ._tables import rows_to_table

__all__ = ["DwarfRecipe", "DwarfSuite", "generate_dwarf_suite"]

# Keys of the observation meta that are not stored per row (they are in the headers/manifest).
_DROP_META = ("seed", "dmprofile_version")
_TRUTH_FIRST = ("galaxy_id", "projection", "sample_seed", "observe_seed")


def _flatten(meta):
    """Flatten the observation meta into scalar columns (``los`` -> ``los_x``, ``los_y``, ...)."""
    out = {}
    for key, value in meta.items():
        if key in _DROP_META:
            continue
        if isinstance(value, u.Quantity):
            value = value.value
        if isinstance(value, (list, tuple, np.ndarray)):
            values = list(np.ravel(value))
            names = "xyz" if len(values) == 3 else [str(i) for i in range(len(values))]
            for name, v in zip(names, values):
                out[f"{key}_{name}"] = v
        elif value is None:
            out[key] = float("nan")
        else:
            out[key] = value
    return out


def _empty_rejected():
    return Table({"galaxy_id": np.zeros(0, np.int64), "attempt": np.zeros(0, np.int16),
                  "halo_family": np.zeros(0, "U8"), "reason": np.zeros(0, "U32"),
                  "message": np.zeros(0, "U200")})


class DwarfSuite(Suite):
    """A dwarf-galaxy training suite read from disk by `read_suite`.

    Parameters
    ----------
    directory : str or `~pathlib.Path`
        The suite directory.
    manifest : dict
        The content of ``manifest.json``.
    images : `numpy.ndarray`
        The images of all rows (made read-only).
    truth : `~astropy.table.Table`
        The truth table.
    rejected : `~astropy.table.Table`
        The rejected prior draws.
    checksum : str
        SHA-256 (hex) of the chunk files, in order.

    Attributes
    ----------
    images : `numpy.ndarray`, float32, shape (N, 2, bins, bins)
        Phase-space images of the N projected mocks (read-only).
    truth : `~astropy.table.Table`
        One row per mock: ``galaxy_id``, ``projection``, ``sample_seed``, ``observe_seed``,
        ``n_attempts``, the prior draw (``prior_*``), the truth of the galaxy (``gamma_150``,
        ``rho_150``, ``M_150``, ``halo_*``, ``tracer_*``, ``r_half``, ``aniso_*``, ``r_trunc``)
        and the observation (``n_stars``, ``v_err_median``, ``los_x/y/z``, ...).
    rejected : `~astropy.table.Table`
        Rejected prior draws: ``galaxy_id``, ``attempt``, ``halo_family``, ``reason``, ``message``
        (and ``tracer_family`` for a prior with the broadened tracer options).
    manifest : dict
        Generation parameters and prior description.
    checksum : str
        SHA-256 (hex) of the chunk files, in order.
    directory : `~pathlib.Path`
    """

    def __init__(self, directory, manifest, images, truth, rejected, checksum):
        super().__init__(directory, manifest, {"IMAGES": images},
                         {"TRUTH": truth, "REJECTED": rejected}, checksum)
        self.images = self.arrays["IMAGES"]
        self.rejected = rejected

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
            ``TRUTH`` and ``REJECTED``.
        checksum : str
            SHA-256 (hex) of the chunk files.

        Returns
        -------
        `DwarfSuite`
        """
        return cls(directory, manifest, arrays["IMAGES"], tables["TRUTH"], tables["REJECTED"],
                   checksum)

    def __repr__(self):
        m = self.manifest
        g = np.asarray(self.truth["gamma_150"]) if len(self) else np.array([np.nan])
        return (f"<DwarfSuite {len(self)} mocks = {m['n_galaxies']} galaxies x {m['projections']} "
                f"projections, seed={m['seed']}, gamma_150 in [{g.min():.2f}, {g.max():.2f}], "
                f"{len(self.rejected)} rejected draws, checksum={self.checksum[:12]}>")

    @property
    def prior(self):
        """`~dmprofile.simulate.DefaultDwarfPrior`: the prior, rebuilt from the manifest."""
        return DefaultDwarfPrior.from_dict(self.manifest["prior"])

    def _params(self, i):
        row = self.truth[int(i)]
        params = {}
        for name in self.prior.param_names:
            value = row[f"prior_{name}"]
            params[name] = value.item() if hasattr(value, "item") else value
        return row, params

    def galaxy(self, i):
        """Rebuild the galaxy of row ``i`` from its prior draw.

        Parameters
        ----------
        i : int
            The row.

        Returns
        -------
        `~dmprofile.simulate.DwarfGalaxy` or `~dmprofile.simulate.CompositeDwarfGalaxy`
            Composite when the draw has two stellar populations.
        """
        _, params = self._params(i)
        return self.prior.build(params)[0]

    def mock(self, i):
        """Regenerate the star catalogue of row ``i`` exactly as it was when the suite was made.

        Parameters
        ----------
        i : int
            The row.

        Returns
        -------
        `~astropy.table.QTable`
            The output of `dmprofile.observe.observe` whose images are ``images[i]``.
        """
        from dmprofile.observe import observe

        if not -len(self) <= int(i) < len(self):
            msg = f"row {i} out of range for a suite of {len(self)} mocks"
            raise IndexError(msg)
        row, params = self._params(i)
        galaxy, observe_kwargs = self.prior.build(params)
        sample = galaxy.sample(int(params["n_stars"]), seed=int(row["sample_seed"]))
        return observe(sample, seed=int(row["observe_seed"]), **observe_kwargs)


@register_recipe
@dataclass(frozen=True)
class DwarfRecipe(SuiteRecipe):
    """The dwarf-galaxy recipe: mock dwarf spheroidals seen along several lines of sight.

    Each galaxy is drawn from ``prior`` (redrawn, with the reason recorded, while its
    distribution function is inconsistent; at most ``max_attempts`` draws), ``N`` stars are
    sampled once from its equilibrium distribution function, and each of ``projections``
    random lines of sight gets fresh velocity errors (`dmprofile.observe.observe`) and its two
    phase-space images (`dmprofile.kinematics.phase_space_images`, with the true ``r_half`` and
    ``v_sys``). Galaxy ``g`` uses the streams ``(g, 0)`` for the prior draws, ``(g, 1)`` for
    the star sample and ``(g, 2, k)`` for the observation of projection ``k``.

    Parameters
    ----------
    projections : int
        Lines of sight per galaxy (suite rows per galaxy).
    bins : int
        Image size (64 for the networks).
    prior : `~dmprofile.simulate.DefaultDwarfPrior`, optional
        The prior (default ``DefaultDwarfPrior()``).

    Examples
    --------
    >>> from dmprofile.suites import DwarfRecipe, GalaxyStreams
    >>> data = DwarfRecipe(projections=2, bins=16).simulate(0, GalaxyStreams(5, 0))
    >>> data.arrays["IMAGES"].shape, len(data.tables["TRUTH"])
    ((2, 2, 16, 16), 2)
    """

    projections: int = 5
    bins: int = 64
    prior: DefaultDwarfPrior = None

    kind = "dwarf"
    format = "dmprofile-dwarf-suite"
    format_version = 1
    suite_class = DwarfSuite
    identity = ("projections", "bins", "max_attempts", "prior")
    manifest_order = ("format", "format_version", "dmprofile_version", "n_galaxies",
                      "projections", "seed", "chunk_size", "n_chunks", "bins", "max_attempts",
                      "prior", "seeding", "chunks", "complete")
    generator = "generate_dwarf_suite (or 'dmprofile simulate dwarfs')"
    max_attempts = 100

    def __post_init__(self):
        object.__setattr__(self, "projections", positive_int(self.projections, "projections"))
        object.__setattr__(self, "bins", positive_int(self.bins, "bins", minimum=2))
        prior = DefaultDwarfPrior() if self.prior is None else self.prior
        if not isinstance(prior, DefaultDwarfPrior):
            msg = (f"argument 'prior' must be a DefaultDwarfPrior (or subclass), "
                   f"got {type(prior).__name__}")
            raise TypeError(msg)
        object.__setattr__(self, "prior", prior)

    def manifest_fields(self):
        """Return the projections, image size, redraw limit, prior and seeding scheme.

        Returns
        -------
        dict
            The manifest entries of the recipe.
        """
        return {
            "projections": self.projections,
            "bins": self.bins,
            "max_attempts": self.max_attempts,
            "prior": self.prior.to_dict(),
            "seeding": ("galaxy g uses numpy SeedSequence(seed, spawn_key=(g, s)): s=0 prior "
                        "draws (redrawn on rejection), s=1 star sample (sample_seed), s=(2, k) "
                        "observation of projection k (observe_seed)"),
        }

    @classmethod
    def layout(cls, manifest):
        """Return the layout: phase-space images (2, bins, bins), truth, rejected draws.

        Parameters
        ----------
        manifest : dict
            The manifest (``projections`` and ``bins`` are used).

        Returns
        -------
        `~dmprofile.suites.ChunkLayout`
        """
        bins = manifest["bins"]
        return ChunkLayout(arrays={"IMAGES": ArraySpec((2, bins, bins), "float32")},
                           tables=("TRUTH", "REJECTED"), rows_per_galaxy=manifest["projections"])

    def _draw(self, galaxy_id, rng):
        """Draw until the prior gives a consistent model; return it and the rejections."""
        rejected = []
        for attempt in range(self.max_attempts):
            params = self.prior.draw(rng)
            try:
                galaxy, observe_kwargs = self.prior.build(params)
                return params, galaxy, observe_kwargs, rejected
            except InconsistentModelError as exc:
                row = {"galaxy_id": galaxy_id, "attempt": attempt,
                       "halo_family": str(params["halo_family"]),
                       "reason": str(exc.reason), "message": str(exc)[:200].strip()}
                if "tracer_family" in params:  # priors with the broadened options
                    row["tracer_family"] = str(params["tracer_family"])
                rejected.append(row)
        msg = (f"galaxy {galaxy_id}: {self.max_attempts} prior draws in a row were rejected "
               f"(last reason: {rejected[-1]['reason']}); the prior is inconsistent")
        raise RuntimeError(msg)

    def simulate(self, galaxy_id, streams):
        """Draw (with redraws), sample and observe one galaxy (see the class description).

        Parameters
        ----------
        galaxy_id : int
            The galaxy.
        streams : `~dmprofile.suites.GalaxyStreams`
            Its random streams.

        Returns
        -------
        `~dmprofile.suites.GalaxyData`
            ``IMAGES`` of the projections and the ``TRUTH`` and ``REJECTED`` rows.
        """
        from dmprofile.kinematics import phase_space_images
        from dmprofile.observe import observe

        params, galaxy, observe_kwargs, rejected = self._draw(galaxy_id, streams.rng(0))
        sample_seed = streams.int_seed(1)
        sample = galaxy.sample(int(params["n_stars"]), seed=sample_seed)
        images = np.empty((self.projections, 2, self.bins, self.bins), dtype=np.float32)
        rows = []
        for k in range(self.projections):
            observe_seed = streams.int_seed(2, k)
            obs = observe(sample, seed=observe_seed, **observe_kwargs)
            images[k] = phase_space_images(obs, bins=self.bins,
                                           r_half=float(params["r_half"]) * u.kpc,
                                           v_sys=observe_kwargs["v_sys"]).images
            row = {"galaxy_id": galaxy_id, "projection": k, "sample_seed": sample_seed,
                   "observe_seed": observe_seed, "n_attempts": len(rejected) + 1}
            row.update({f"prior_{name}": params[name] for name in self.prior.param_names})
            row.update(_flatten(obs.meta))
            rows.append(row)
        return GalaxyData(arrays={"IMAGES": images},
                          tables={"TRUTH": rows, "REJECTED": rejected})

    def pack_table(self, name, rows):
        """Build the truth table (fixed leading columns) or the rejected draws of one chunk.

        Parameters
        ----------
        name : str
            ``"TRUTH"`` or ``"REJECTED"``.
        rows : list of dict
            The rows.

        Returns
        -------
        `~astropy.table.Table`
        """
        if name == "REJECTED" and not rows:
            return _empty_rejected()
        table = rows_to_table(rows, fixed=_TRUTH_FIRST if name == "TRUTH" else None)
        for column in ("projection", "attempt"):
            if column in table.colnames:
                table[column] = table[column].astype(np.int16)
        return table

    def header_cards(self, arrays, tables):
        """Return the header cards: projections, rows and rejected draws of the chunk.

        Parameters
        ----------
        arrays : dict of str to `numpy.ndarray`
            The arrays of the chunk.
        tables : dict of str to `~astropy.table.Table`
            The tables of the chunk.

        Returns
        -------
        list of tuple
            ``(keyword, value, comment)``.
        """
        return [("NPROJ", self.projections, "projections per galaxy"),
                ("NROWS", len(tables["TRUTH"]), "rows (projected mocks)"),
                ("NREJECT", len(tables["REJECTED"]), "rejected prior draws")]


def generate_dwarf_suite(out, *, n_galaxies, projections=5, seed=0, workers=None, chunk_size=None,
                         prior=None, scheduler=None, client=None, progress=True, bins=64):
    """Generate a training suite of mock dwarf galaxies on disk, resumably and in parallel.

    `generate_suite` with a `DwarfRecipe`: each galaxy is drawn from ``prior`` (redrawn, with
    the reason recorded, while its distribution function is inconsistent), ``N`` stars are
    sampled once from its equilibrium distribution function, and each of ``projections``
    random lines of sight gets fresh velocity errors (`dmprofile.observe.observe`) and its two
    phase-space images (`dmprofile.kinematics.phase_space_images`, with the true ``r_half`` and
    ``v_sys``). Galaxy ``g`` uses only the random streams ``SeedSequence(seed, spawn_key=(g,
    ...))``, so the result is identical whatever the number of workers, the scheduler, or
    interruptions.

    The suite directory holds ``manifest.json`` and ``chunk_00000.fits``, ... (``chunk_size``
    galaxies each; see the user guide for the format). Every file is written atomically. When
    ``out`` already holds a suite, its manifest must match the requested parameters (else
    `ValueError`); chunks that exist and verify are kept, the others are (re)computed, so a
    killed run resumes where it stopped.

    Parameters
    ----------
    out : str or `~pathlib.Path`
        Output directory (created if needed).
    n_galaxies : int
        Number of galaxies.
    projections : int
        Lines of sight per galaxy (rows per galaxy).
    seed : int
        Suite seed, 0 <= seed < 2**63.
    workers : int, optional
        Local worker processes (default `os.cpu_count`); 1 runs in this process.
    chunk_size : int, optional
        Galaxies per chunk file (default 100).
    prior : `~dmprofile.simulate.DefaultDwarfPrior`, optional
        The prior (default ``DefaultDwarfPrior()``).
    scheduler : str, optional
        Address of a ``dask.distributed`` scheduler; chunks are computed on its workers and
        written here (needs ``pip install "dmprofile[distributed]"``).
    client : ``dask.distributed.Client``, optional
        An existing dask client, instead of ``scheduler``.
    progress : bool or str
        Progress bar (galaxies): ``True`` when standard error is a terminal, ``"always"``, or
        ``False``.
    bins : int
        Image size (64 for the networks).

    Returns
    -------
    `~pathlib.Path`
        The suite directory; read it with `read_suite`.

    Examples
    --------
    >>> import tempfile
    >>> from dmprofile.suites import generate_dwarf_suite, read_suite
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = generate_dwarf_suite(tmp, n_galaxies=2, projections=2, workers=1,
    ...                                 progress=False)
    ...     suite = read_suite(path)
    ...     print(len(suite), suite.images.shape)
    4 (4, 2, 64, 64)
    """
    n_galaxies = positive_int(n_galaxies, "n_galaxies")
    recipe = DwarfRecipe(projections=projections, bins=bins, prior=prior)
    return generate_suite(out, recipe, n_galaxies=n_galaxies, seed=seed, workers=workers,
                          chunk_size=chunk_size, scheduler=scheduler, client=client,
                          progress=progress)
