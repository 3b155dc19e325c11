"""The chunk files of a suite: computing one chunk (in a worker), writing and verifying it.

A chunk file holds ``chunk_size`` consecutive galaxies: a primary header (format, version,
chunk index, seed, galaxy range, the recipe's cards and the hash of the data), one image HDU per
array of the recipe's `ChunkLayout` and one binary table HDU per table.
"""

import io
import warnings

import numpy as np
from astropy.io import fits
from astropy.table import Table

from .._version import __version__
from ._recipe import GalaxyData, GalaxyStreams
from ._tables import content_hash

__all__ = []

MANIFEST = "manifest.json"
DEFAULT_CHUNK_SIZE = 100


def chunk_name(index):
    """File name of chunk ``index``."""
    return f"chunk_{index:05d}.fits"


def galaxy_range(index, manifest):
    """Return the galaxy ids of chunk ``index``."""
    size = manifest["chunk_size"]
    return list(range(index * size, min((index + 1) * size, manifest["n_galaxies"])))


# ---------------------------------------------------------------------------- computing
def compute_chunk(spec):
    """Compute one chunk and return ``(index, bytes of its FITS file)`` (runs in the workers).

    ``spec`` holds ``index``, ``galaxy_ids``, ``seed``, ``recipe`` and ``layout``.
    """
    recipe, layout = spec["recipe"], spec["layout"]
    outputs = []
    for galaxy_id in spec["galaxy_ids"]:
        data = recipe.simulate(galaxy_id, GalaxyStreams(spec["seed"], galaxy_id))
        _check_galaxy(recipe, layout, galaxy_id, data)
        outputs.append(data)
    arrays = {name: np.asarray(np.concatenate([d.arrays[name] for d in outputs]), dtype=s.dtype)
              for name, s in layout.arrays.items()}
    tables = {name: recipe.pack_table(name, [r for d in outputs for r in d.tables.get(name, [])])
              for name in layout.tables}
    if "galaxy_id" not in tables[layout.truth].colnames:
        msg = f"recipe {recipe.kind}: the truth table {layout.truth} needs a 'galaxy_id' column"
        raise RuntimeError(msg)
    hdul = _hdulist(recipe, spec, arrays, tables)
    buffer = io.BytesIO()
    hdul.writeto(buffer)
    return spec["index"], buffer.getvalue()


def _check_galaxy(recipe, layout, galaxy_id, data):
    """`RuntimeError` if a recipe's output does not fit its layout (a bug in the recipe)."""
    problems = []
    if not isinstance(data, GalaxyData):
        problems.append(f"returned {type(data).__name__}, not GalaxyData")
    else:
        n = layout.rows_per_galaxy
        for name, spec in layout.arrays.items():
            shape = np.shape(data.arrays.get(name))
            if shape != (n, *spec.shape):
                problems.append(f"array {name} has shape {shape}, expected {(n, *spec.shape)}")
        extra = set(data.arrays) - set(layout.arrays) | set(data.tables) - set(layout.tables)
        if extra:
            problems.append(f"unknown arrays or tables {sorted(extra)}")
        n_truth = len(data.tables.get(layout.truth, ()))
        if n_truth != n:
            problems.append(f"{n_truth} rows of {layout.truth}, expected {n}")
    if problems:
        msg = f"recipe {recipe.kind}, galaxy {galaxy_id}: {'; '.join(problems)}"
        raise RuntimeError(msg)


def _hdulist(recipe, spec, arrays, tables):
    primary = fits.PrimaryHDU()
    hdr = primary.header
    hdr["FORMAT"] = (recipe.format, "dmprofile training suite chunk")
    hdr["FMTVER"] = (recipe.format_version, "format version")
    hdr["DMPVER"] = (__version__, "dmprofile version")
    hdr["CHUNK"] = (spec["index"], "chunk index")
    hdr["SEED"] = (str(spec["seed"]), "suite seed")
    hdr["GALFIRST"] = (int(spec["galaxy_ids"][0]), "first galaxy_id")
    hdr["GALLAST"] = (int(spec["galaxy_ids"][-1]), "last galaxy_id")
    for key, value, comment in recipe.header_cards(arrays, tables):
        hdr[key] = (value, comment)
    hdr["DATAHASH"] = content_hash(arrays.values(), tables.values())  # sha256 of the data
    hdus = [primary] + [_image_hdu(array, name) for name, array in arrays.items()]
    for name, table in tables.items():
        hdu = fits.table_to_hdu(table)
        hdu.name = name
        hdus.append(hdu)
    return fits.HDUList(hdus)


def _image_hdu(array, name):
    """One array as an image HDU; FITS has no half floats: those go as their 16-bit patterns."""
    if array.dtype == np.float16:
        hdu = fits.ImageHDU(array.view(np.int16), name=name)
        hdu.header["DMPDTYPE"] = ("float16", "half floats as their 16-bit patterns")
        return hdu
    return fits.ImageHDU(array, name=name)


def _image_data(hdu, spec):
    """Return the array of an image HDU written by `_image_hdu`, in the dtype of ``spec``."""
    if np.dtype(spec.dtype) == np.float16:
        if hdu.header.get("DMPDTYPE") != "float16":
            msg = f"HDU {hdu.name} holds no float16 data (DMPDTYPE missing)"
            raise ValueError(msg)
        return np.asarray(hdu.data, dtype=np.int16).view(np.float16)
    return np.asarray(hdu.data, dtype=spec.dtype)


# ---------------------------------------------------------------------------- reading
def _load(path, layout):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with fits.open(path, memmap=False) as hdul:
                hdr = hdul[0].header
                arrays = {name: _image_data(hdul[name], spec)
                          for name, spec in layout.arrays.items()}
                tables = {name: Table.read(hdul, hdu=name, mask_invalid=False)
                          for name in layout.tables}
        except Exception as exc:  # any read failure means a corrupt chunk
            msg = f"chunk {path} cannot be read: {exc}"
            raise ValueError(msg) from None
    return hdr, arrays, tables


def read_chunk(path, index, manifest, layout):
    """Read and verify a chunk; return ``(arrays, tables)`` (dicts) or raise `ValueError`."""
    hdr, arrays, tables = _load(path, layout)
    n_rows = len(galaxy_range(index, manifest)) * layout.rows_per_galaxy
    problems = []
    if hdr.get("FORMAT") != manifest["format"] or hdr.get("FMTVER") != manifest["format_version"]:
        problems.append("wrong format")
    if hdr.get("CHUNK") != index or hdr.get("SEED") != str(manifest["seed"]):
        problems.append("chunk index or seed differ from the manifest")
    shapes = {name: a.shape for name, a in arrays.items()}
    expected = {name: (n_rows, *spec.shape) for name, spec in layout.arrays.items()}
    if (hdr.get("NROWS", n_rows) != n_rows or len(tables[layout.truth]) != n_rows
            or shapes != expected):
        what = ", ".join(f"{name} {spec.shape}" for name, spec in layout.arrays.items())
        problems.append(f"expected {n_rows} rows of {what}")
    elif hdr.get("DATAHASH") != content_hash(arrays.values(), tables.values()):
        problems.append("data hash mismatch")
    if problems:
        msg = f"chunk {path} is invalid: {'; '.join(problems)}"
        raise ValueError(msg)
    return arrays, tables
