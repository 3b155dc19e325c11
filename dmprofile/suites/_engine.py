"""The suite engine: resumable, chunked, parallel generation of any galaxy kind; reading back."""

import json
import math
import os
import warnings
from pathlib import Path

import numpy as np
from astropy.table import vstack

from .._utils import atomic_path, atomic_write_text, require, show_progress
from .._version import __version__
from ..exceptions import DMProfileWarning
from ._chunks import (
    DEFAULT_CHUNK_SIZE,
    MANIFEST,
    chunk_name,
    compute_chunk,
    galaxy_range,
    read_chunk,
)
from ._recipe import ENGINE_KEYS, SuiteRecipe, check_recipe_class, recipe_for_format
from ._tables import files_checksum, fill_masked

__all__ = ["generate_suite", "read_suite"]

# Engine entries of the manifest that define the content (the recipe adds its `identity`).
_ENGINE_IDENTITY = ("format", "format_version", "n_galaxies", "seed", "chunk_size", "n_chunks")


# ---------------------------------------------------------------------------- arguments
def positive_int(value, name, minimum=1):
    """``value`` as an int, or `ValueError` naming argument ``name`` if it is not >= minimum."""
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not is_int or value < minimum:
        msg = f"argument '{name}' must be an integer >= {minimum}, got {value!r}"
        raise ValueError(msg)
    return int(value)


def _check_seed(seed):
    seed = positive_int(seed, "seed", minimum=0)
    if seed >= 2**63:
        msg = f"argument 'seed' must be < 2**63, got {seed}"
        raise ValueError(msg)
    return seed


def _check_recipe(recipe):
    if not isinstance(recipe, SuiteRecipe):
        msg = f"argument 'recipe' must be a SuiteRecipe instance, got {type(recipe).__name__}"
        raise TypeError(msg)
    check_recipe_class(type(recipe))


# ---------------------------------------------------------------------------- manifest
def _manifest(recipe, n_galaxies, seed, chunk_size):
    fields = recipe.manifest_fields()
    clash = sorted(set(fields) & set(ENGINE_KEYS))
    if clash:
        msg = f"recipe {recipe.kind}: manifest_fields() must not set the engine keys {clash}"
        raise ValueError(msg)
    n_chunks = math.ceil(n_galaxies / chunk_size)
    manifest = {"format": recipe.format, "format_version": recipe.format_version,
                "dmprofile_version": __version__, "n_galaxies": n_galaxies, "seed": seed,
                "chunk_size": chunk_size, "n_chunks": n_chunks, **fields,
                "chunks": [chunk_name(i) for i in range(n_chunks)], "complete": False}
    order = [key for key in (recipe.manifest_order or ()) if key in manifest]
    return {key: manifest[key] for key in [*order, *(k for k in manifest if k not in order)]}


def _identity_keys(recipe, manifest):
    keys = set(_ENGINE_IDENTITY) | set(recipe.identity)
    return [key for key in manifest if key in keys]


def _check_manifest(path, manifest, recipe):
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        msg = f"cannot read the existing manifest {path}: {exc}"
        raise ValueError(msg) from None
    diffs = [f"{key}={old.get(key)!r} (requested {manifest[key]!r})"
             for key in _identity_keys(recipe, manifest) if old.get(key) != manifest[key]]
    if diffs:
        msg = (f"{path.parent} holds a suite generated with different parameters: "
               f"{'; '.join(diffs)}. Use a new output directory or the original parameters.")
        raise ValueError(msg)
    if old.get("dmprofile_version") != __version__:
        msg = (f"resuming a suite started with dmprofile {old.get('dmprofile_version')} using "
               f"{__version__}: chunks from the two versions may differ")
        warnings.warn(msg, DMProfileWarning, stacklevel=4)
        manifest["dmprofile_version"] = old.get("dmprofile_version")


def _open_directory(out, manifest, recipe):
    """Create or check the manifest of ``out`` and remove the files of a killed run."""
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / MANIFEST
    if manifest_path.exists():
        _check_manifest(manifest_path, manifest, recipe)
    elif any(out.glob("chunk_*.fits")):
        msg = f"{out} holds chunk files but no {MANIFEST}: refusing to mix suites"
        raise ValueError(msg)
    else:
        atomic_write_text(manifest_path, json.dumps(manifest, indent=2))
    for stray in out.glob(".chunk_*.tmp"):  # left by a killed run
        stray.unlink(missing_ok=True)


def _plan(out, manifest, recipe, layout):
    """Chunks still to compute (those missing or invalid) and the number of galaxies done."""
    todo, done = [], 0
    for index in range(manifest["n_chunks"]):
        ids = galaxy_range(index, manifest)
        path = out / chunk_name(index)
        if path.exists():
            try:
                read_chunk(path, index, manifest, layout)
                done += len(ids)
                continue
            except ValueError as exc:
                warnings.warn(f"recomputing chunk {index}: {exc}", DMProfileWarning, stacklevel=3)
        todo.append({"index": index, "galaxy_ids": ids, "seed": manifest["seed"],
                     "recipe": recipe, "layout": layout})
    return todo, done


# ---------------------------------------------------------------------------- generation
def generate_suite(out, recipe, *, n_galaxies, seed=0, workers=None, chunk_size=None,
                   scheduler=None, client=None, progress=True):
    """Generate a suite of simulated galaxies of any kind on disk, resumably and in parallel.

    Galaxy ``g`` is simulated by ``recipe.simulate(g, GalaxyStreams(seed, g))``: it uses only
    the random streams ``SeedSequence(seed, spawn_key=(g, ...))``, so the result is identical
    whatever the number of workers, the scheduler, or interruptions.

    The suite directory holds ``manifest.json`` (the engine's parameters and the recipe's
    `~SuiteRecipe.manifest_fields`) and ``chunk_00000.fits``, ... (``chunk_size`` galaxies
    each, laid out as the recipe's `~SuiteRecipe.layout` says). Every file is written
    atomically. When ``out`` already holds a suite, its manifest must match the requested
    parameters (else `ValueError` naming them); chunks that exist and verify are kept, the others
    are (re)computed, so a killed run resumes where it stopped. The finished manifest records
    the SHA-256 of the chunk files.

    Parameters
    ----------
    out : str or `~pathlib.Path`
        Output directory (created if needed).
    recipe : `SuiteRecipe`
        The galaxy kind and its parameters (picklable).
    n_galaxies : int
        Number of galaxies.
    seed : int
        Suite seed, 0 <= seed < 2**63.
    workers : int, optional
        Local worker processes (default `os.cpu_count`); 1 runs in this process.
    chunk_size : int, optional
        Galaxies per chunk file (default 100).
    scheduler : str, optional
        Address of a ``dask.distributed`` scheduler; chunks are computed on its workers and
        written here (needs ``pip install "dmprofile[distributed]"``).
    client : ``dask.distributed.Client``, optional
        An existing dask client, instead of ``scheduler``.
    progress : bool or str
        Progress bar (galaxies): ``True`` when standard error is a terminal, ``"always"``, or
        ``False``.

    Returns
    -------
    `~pathlib.Path`
        The suite directory; read it with `read_suite`.

    Examples
    --------
    >>> import tempfile
    >>> from dmprofile.suites import DwarfRecipe, generate_suite, read_suite
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = generate_suite(tmp, DwarfRecipe(projections=1, bins=16), n_galaxies=3,
    ...                           seed=2, workers=1, progress=False)
    ...     suite = read_suite(path)
    >>> type(suite).__name__, suite.images.shape, suite.manifest["chunks"]
    ('DwarfSuite', (3, 2, 16, 16), ['chunk_00000.fits'])
    """
    _check_recipe(recipe)
    n_galaxies = positive_int(n_galaxies, "n_galaxies")
    seed = _check_seed(seed)
    chunk_size = positive_int(DEFAULT_CHUNK_SIZE if chunk_size is None else chunk_size,
                              "chunk_size")
    workers = (os.cpu_count() or 1) if workers is None else positive_int(workers, "workers")
    if scheduler is not None and client is not None:
        msg = "give either 'scheduler' or 'client', not both"
        raise ValueError(msg)
    out = Path(out)
    manifest = _manifest(recipe, n_galaxies, seed, chunk_size)
    _open_directory(out, manifest, recipe)
    todo, done = _plan(out, manifest, recipe, recipe.layout(manifest))
    _compute(out, todo, done, manifest, workers=workers, scheduler=scheduler, client=client,
             progress=progress, desc=f"{recipe.kind} suite")
    manifest["complete"] = True
    manifest["checksum"] = files_checksum(out, manifest["chunks"])
    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=2))
    return out


def _compute(out, todo, done, manifest, *, workers, scheduler, client, progress, desc):
    from tqdm.auto import tqdm

    sizes = {spec["index"]: len(spec["galaxy_ids"]) for spec in todo}
    with tqdm(total=manifest["n_galaxies"], initial=done, unit="galaxy", desc=desc,
              disable=not show_progress(progress)) as bar:
        def write(index, data):
            with atomic_path(out / chunk_name(index)) as tmp:
                tmp.write_bytes(data)
            bar.update(sizes[index])

        if scheduler is not None or client is not None:
            _run_dask(todo, write, scheduler, client)
        elif workers == 1 or len(todo) <= 1:
            for spec in todo:
                write(*compute_chunk(spec))
        else:
            _run_processes(todo, write, min(workers, len(todo)))


def _run_processes(todo, write, workers):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # Workers start from a fresh server process, not from a fork of this one: a parent that
    # has run threaded numba code (MARTINI's HI cubes) cannot be forked safely.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        futures = [executor.submit(compute_chunk, spec) for spec in todo]
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
        futures = client.map(compute_chunk, todo, pure=False)
        for future in distributed.as_completed(futures):
            write(*future.result())
    finally:
        if own:
            client.close()


# ---------------------------------------------------------------------------- reading
def _read_manifest(directory, recipe):
    manifest_path = directory / MANIFEST
    if not manifest_path.exists():
        msg = f"{directory} is not a dmprofile suite: no {MANIFEST}"
        raise FileNotFoundError(msg)
    try:
        manifest = json.loads(manifest_path.read_text())
    except ValueError as exc:
        msg = f"cannot read the manifest {manifest_path}: {exc}"
        raise ValueError(msg) from None
    if not isinstance(manifest, dict) or "format" not in manifest:
        msg = f"{manifest_path} is not a dmprofile suite manifest"
        raise ValueError(msg)
    if recipe is None:
        recipe = recipe_for_format(manifest["format"])
    elif not isinstance(recipe, type):
        recipe = type(recipe)
    if manifest["format"] != recipe.format:
        msg = f"{manifest_path} is not a {recipe.format} manifest"
        raise ValueError(msg)
    if manifest.get("format_version") != recipe.format_version:
        msg = (f"{manifest_path} has {recipe.format} version {manifest.get('format_version')}; "
               f"this dmprofile reads version {recipe.format_version}")
        raise ValueError(msg)
    return manifest, recipe


def read_suite(directory, *, recipe=None):
    """Read a suite written by `generate_suite` (or `generate_dwarf_suite`), verifying every chunk.

    Parameters
    ----------
    directory : str or `~pathlib.Path`
        The suite directory.
    recipe : `SuiteRecipe` subclass or instance, optional
        The recipe of the suite; by default the one registered (`register_recipe`) for the
        format named in the manifest.

    Returns
    -------
    `Suite`
        An instance of the recipe's ``suite_class`` (`DwarfSuite` for dwarf suites).

    Raises
    ------
    FileNotFoundError
        If there is no manifest.
    ValueError
        If the format is unknown, or chunks are missing or corrupt (rerun the generator with
        the same parameters to complete the suite).
    """
    directory = Path(directory)
    manifest, recipe = _read_manifest(directory, recipe)
    missing = [name for name in manifest["chunks"] if not (directory / name).exists()]
    if missing:
        msg = (f"suite {directory} is incomplete: {len(missing)} of {manifest['n_chunks']} chunks "
               f"missing ({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}); rerun "
               f"{recipe.generator} with the same parameters")
        raise ValueError(msg)
    layout = recipe.layout(manifest)
    parts = [read_chunk(directory / name, index, manifest, layout)
             for index, name in enumerate(manifest["chunks"])]
    arrays = {name: np.concatenate([p[0][name] for p in parts]) for name in layout.arrays}
    tables = {}
    for name in layout.tables:
        table = fill_masked(vstack([p[1][name] for p in parts], join_type="outer",
                                   metadata_conflicts="silent"))
        table.meta.clear()
        tables[name] = table
    checksum = files_checksum(directory, manifest["chunks"])
    return recipe.suite_class.from_chunks(directory, manifest, arrays, tables, checksum)
