"""Training suites of mock dwarf galaxies: resumable, chunked, parallel generation."""

import json
import math
import os
import warnings
from pathlib import Path

import numpy as np
from astropy.table import vstack

from .._utils import atomic_path, atomic_write_text, require
from .._version import __version__
from ..exceptions import DMProfileWarning
from ._prior import DefaultDwarfPrior
from ._suite_chunks import (DEFAULT_CHUNK_SIZE, FORMAT, FORMAT_VERSION, MANIFEST, MAX_ATTEMPTS,
                            _compute_chunk, _fill_masked, _read_chunk, _suite_checksum, chunk_name)

__all__ = ["generate_dwarf_suite", "read_suite", "DwarfSuite"]

# Manifest entries that define the content of the suite: a restart must match them exactly.
_IDENTITY_KEYS = ("format", "format_version", "n_galaxies", "projections", "seed", "chunk_size",
                  "n_chunks", "bins", "max_attempts", "prior")


# ---------------------------------------------------------------------------- manifest
def _manifest(n_galaxies, projections, seed, chunk_size, bins, prior):
    n_chunks = math.ceil(n_galaxies / chunk_size)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "dmprofile_version": __version__,
        "n_galaxies": n_galaxies,
        "projections": projections,
        "seed": seed,
        "chunk_size": chunk_size,
        "n_chunks": n_chunks,
        "bins": bins,
        "max_attempts": MAX_ATTEMPTS,
        "prior": prior.to_dict(),
        "seeding": ("galaxy g uses numpy SeedSequence(seed, spawn_key=(g, s)): s=0 prior draws "
                    "(redrawn on rejection), s=1 star sample (sample_seed), s=(2, k) observation "
                    "of projection k (observe_seed)"),
        "chunks": [chunk_name(i) for i in range(n_chunks)],
        "complete": False,
    }


def _check_manifest(path, manifest):
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        msg = f"cannot read the existing manifest {path}: {exc}"
        raise ValueError(msg) from None
    diffs = [f"{key}={old.get(key)!r} (requested {manifest[key]!r})"
             for key in _IDENTITY_KEYS if old.get(key) != manifest[key]]
    if diffs:
        msg = (f"{path.parent} holds a suite generated with different parameters: "
               f"{'; '.join(diffs)}. Use a new output directory or the original parameters.")
        raise ValueError(msg)
    if old.get("dmprofile_version") != __version__:
        msg = (f"resuming a suite started with dmprofile {old.get('dmprofile_version')} using "
               f"{__version__}: chunks from the two versions may differ")
        warnings.warn(msg, DMProfileWarning, stacklevel=3)
        manifest["dmprofile_version"] = old.get("dmprofile_version")


def _positive_int(value, name, minimum=1):
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not is_int or value < minimum:
        msg = f"argument '{name}' must be an integer >= {minimum}, got {value!r}"
        raise ValueError(msg)
    return int(value)


# ---------------------------------------------------------------------------- generation
def generate_dwarf_suite(out, *, n_galaxies, projections=5, seed=0, workers=None, chunk_size=None,
                         prior=None, scheduler=None, client=None, progress=True, bins=64):
    """Generate a training suite of mock dwarf galaxies on disk, resumably and in parallel.

    Each galaxy is drawn from ``prior`` (redrawn, with the reason recorded, while its
    distribution function is inconsistent), ``N`` stars are sampled once from its equilibrium
    distribution function, and each of ``projections`` random lines of sight gets fresh velocity
    errors (`dmprofile.observe.observe`) and its two phase-space images
    (`dmprofile.kinematics.phase_space_images`, with the true ``r_half`` and ``v_sys``).
    Galaxy ``g`` uses only the random streams ``SeedSequence(seed, spawn_key=(g, ...))``, so the
    result is identical whatever the number of workers, the scheduler, or interruptions.

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
    prior : `DefaultDwarfPrior`, optional
        The prior (default ``DefaultDwarfPrior()``).
    scheduler : str, optional
        Address of a ``dask.distributed`` scheduler; chunks are computed on its workers and
        written here (needs ``pip install "dmprofile[distributed]"``).
    client : ``dask.distributed.Client``, optional
        An existing dask client, instead of ``scheduler``.
    progress : bool
        Show a tqdm progress bar (galaxies).
    bins : int
        Image size (64 for the networks).

    Returns
    -------
    path : `~pathlib.Path`
        The suite directory; read it with `read_suite`.

    Examples
    --------
    >>> import tempfile
    >>> from dmprofile.simulate import generate_dwarf_suite, read_suite
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = generate_dwarf_suite(tmp, n_galaxies=2, projections=2, workers=1,
    ...                                 progress=False)
    ...     suite = read_suite(path)
    ...     print(len(suite), suite.images.shape)
    4 (4, 2, 64, 64)
    """
    n_galaxies = _positive_int(n_galaxies, "n_galaxies")
    projections = _positive_int(projections, "projections")
    seed = _positive_int(seed, "seed", minimum=0)
    if seed >= 2**63:
        msg = f"argument 'seed' must be < 2**63, got {seed}"
        raise ValueError(msg)
    if chunk_size is None:
        chunk_size = DEFAULT_CHUNK_SIZE
    chunk_size = _positive_int(chunk_size, "chunk_size")
    workers = (os.cpu_count() or 1) if workers is None else _positive_int(workers, "workers")
    bins = _positive_int(bins, "bins", minimum=2)
    prior = DefaultDwarfPrior() if prior is None else prior
    if not isinstance(prior, DefaultDwarfPrior):
        msg = (f"argument 'prior' must be a DefaultDwarfPrior (or subclass), "
               f"got {type(prior).__name__}")
        raise TypeError(msg)
    if scheduler is not None and client is not None:
        msg = "give either 'scheduler' or 'client', not both"
        raise ValueError(msg)

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(n_galaxies, projections, seed, chunk_size, bins, prior)
    manifest_path = out / MANIFEST
    if manifest_path.exists():
        _check_manifest(manifest_path, manifest)
    elif any(out.glob("chunk_*.fits")):
        msg = f"{out} holds chunk files but no {MANIFEST}: refusing to mix suites"
        raise ValueError(msg)
    else:
        atomic_write_text(manifest_path, json.dumps(manifest, indent=2))
    for stray in out.glob(".chunk_*.tmp"):  # left by a killed run
        stray.unlink(missing_ok=True)

    todo = []
    done_galaxies = 0
    for index in range(manifest["n_chunks"]):
        ids = list(range(index * chunk_size, min((index + 1) * chunk_size, n_galaxies)))
        path = out / chunk_name(index)
        if path.exists():
            try:
                _read_chunk(path, index, manifest)
                done_galaxies += len(ids)
                continue
            except ValueError as exc:
                warnings.warn(f"recomputing chunk {index}: {exc}", DMProfileWarning, stacklevel=2)
        todo.append({"index": index, "galaxy_ids": ids, "seed": seed, "projections": projections,
                     "bins": bins, "prior": prior})

    from tqdm.auto import tqdm

    with tqdm(total=n_galaxies, initial=done_galaxies, unit="galaxy", desc="dwarf suite",
              disable=not progress) as bar:
        def write(index, data):
            with atomic_path(out / chunk_name(index)) as tmp:
                tmp.write_bytes(data)
            bar.update(len(todo_by_index[index]["galaxy_ids"]))

        todo_by_index = {spec["index"]: spec for spec in todo}
        if scheduler is not None or client is not None:
            _run_dask(todo, write, scheduler, client)
        elif workers == 1 or len(todo) <= 1:
            for spec in todo:
                write(*_compute_chunk(spec))
        else:
            _run_processes(todo, write, min(workers, len(todo)))

    manifest["complete"] = True
    manifest["checksum"] = _suite_checksum(out, manifest)
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2))
    return out


def _run_processes(todo, write, workers):
    from concurrent.futures import ProcessPoolExecutor, as_completed

    executor = ProcessPoolExecutor(max_workers=workers)
    try:
        futures = [executor.submit(_compute_chunk, spec) for spec in todo]
        for future in as_completed(futures):
            write(*future.result())
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown()


def _run_dask(todo, write, scheduler, client):
    distributed = require("dask.distributed", "distributed")
    own = client is None
    if own:
        client = distributed.Client(scheduler)
    try:
        futures = client.map(_compute_chunk, todo, pure=False)
        for future in distributed.as_completed(futures):
            write(*future.result())
    finally:
        if own:
            client.close()


# ---------------------------------------------------------------------------- reading
def read_suite(directory):
    """Read a suite written by `generate_dwarf_suite`.

    Parameters
    ----------
    directory : str or `~pathlib.Path`

    Returns
    -------
    suite : `DwarfSuite`

    Raises
    ------
    FileNotFoundError
        If there is no manifest.
    ValueError
        If chunks are missing or corrupt (rerun `generate_dwarf_suite` with the same
        parameters to complete the suite).
    """
    directory = Path(directory)
    manifest_path = directory / MANIFEST
    if not manifest_path.exists():
        msg = f"{directory} is not a dmprofile suite: no {MANIFEST}"
        raise FileNotFoundError(msg)
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != FORMAT:
        msg = f"{manifest_path} is not a {FORMAT} manifest"
        raise ValueError(msg)
    missing = [name for name in manifest["chunks"] if not (directory / name).exists()]
    if missing:
        msg = (f"suite {directory} is incomplete: {len(missing)} of {manifest['n_chunks']} chunks "
               f"missing ({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}); rerun "
               f"generate_dwarf_suite (or 'dmprofile simulate dwarfs') with the same parameters")
        raise ValueError(msg)
    images, truths, rejected = [], [], []
    for index, name in enumerate(manifest["chunks"]):
        im, tr, rej = _read_chunk(directory / name, index, manifest)
        images.append(im)
        truths.append(tr)
        rejected.append(rej)
    truth = _fill_masked(vstack(truths, join_type="outer", metadata_conflicts="silent"))
    rejected = _fill_masked(vstack(rejected, join_type="outer", metadata_conflicts="silent"))
    truth.meta.clear()
    rejected.meta.clear()
    return DwarfSuite(directory, manifest, np.concatenate(images), truth, rejected,
                      _suite_checksum(directory, manifest))


class DwarfSuite:
    """A training suite read from disk by `read_suite`.

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
        Rejected prior draws: ``galaxy_id``, ``attempt``, ``halo_family``, ``reason``, ``message``.
    manifest : dict
        Generation parameters and prior description.
    checksum : str
        SHA-256 (hex) of the chunk files, in order.
    directory : `~pathlib.Path`
    """

    def __init__(self, directory, manifest, images, truth, rejected, checksum):
        self.directory = Path(directory)
        self.manifest = manifest
        images.flags.writeable = False
        self.images = images
        self.truth = truth
        self.rejected = rejected
        self.checksum = checksum

    def __len__(self):
        return len(self.truth)

    def __repr__(self):
        m = self.manifest
        g = np.asarray(self.truth["gamma_150"]) if len(self) else np.array([np.nan])
        return (f"<DwarfSuite {len(self)} mocks = {m['n_galaxies']} galaxies x {m['projections']} "
                f"projections, seed={m['seed']}, gamma_150 in [{g.min():.2f}, {g.max():.2f}], "
                f"{len(self.rejected)} rejected draws, checksum={self.checksum[:12]}>")

    @property
    def prior(self):
        """`DefaultDwarfPrior`: the prior, rebuilt from the manifest."""
        return DefaultDwarfPrior.from_dict(self.manifest["prior"])

    def _params(self, i):
        row = self.truth[int(i)]
        params = {}
        for name in self.prior.param_names:
            value = row[f"prior_{name}"]
            params[name] = value.item() if hasattr(value, "item") else value
        return row, params

    def galaxy(self, i):
        """The `~dmprofile.simulate.DwarfGalaxy` of row ``i``, rebuilt from its prior draw."""
        _, params = self._params(i)
        return self.prior.build(params)[0]

    def mock(self, i):
        """Regenerate the star catalogue of row ``i`` exactly as it was when the suite was made.

        Returns
        -------
        table : `~astropy.table.QTable`
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

    def split(self, fractions=(0.8, 0.1, 0.1), *, seed=0):
        """Split the rows by galaxy (all projections of a galaxy fall in the same part).

        Parameters
        ----------
        fractions : sequence of float
            Fractions of the galaxies in each part (normalised to sum 1).
        seed : int, optional
            Seed of the random assignment of galaxies.

        Returns
        -------
        indices : tuple of `numpy.ndarray`
            Row indices of each part.
        """
        fractions = np.asarray(fractions, dtype=float)
        if fractions.ndim != 1 or np.any(fractions < 0) or fractions.sum() <= 0:
            msg = f"argument 'fractions' must be non-negative with a positive sum, got {fractions}"
            raise ValueError(msg)
        ids = np.unique(np.asarray(self.truth["galaxy_id"]))
        ids = np.random.default_rng(seed).permutation(ids)
        edges = np.round(np.cumsum(fractions) / fractions.sum() * len(ids)).astype(int)
        parts = np.split(ids, edges[:-1])
        gid = np.asarray(self.truth["galaxy_id"])
        return tuple(np.flatnonzero(np.isin(gid, part)) for part in parts)
