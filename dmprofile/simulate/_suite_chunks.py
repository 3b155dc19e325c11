"""The chunk files of the training suites: simulation of one chunk, format, verification."""

import hashlib
import io
import warnings
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.table import MaskedColumn, Table

from .._version import __version__

__all__ = []

FORMAT = "dmprofile-dwarf-suite"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DEFAULT_CHUNK_SIZE = 100
MAX_ATTEMPTS = 100

# Keys of the observation meta that are not stored per row (they are in the headers/manifest).
_DROP_META = ("seed", "dmprofile_version")


def chunk_name(index):
    """File name of chunk ``index``."""
    return f"chunk_{index:05d}.fits"


# ---------------------------------------------------------------------------- seeds
def _stream(seed, galaxy_id, *key):
    """The random stream of one galaxy: independent of every other galaxy and of the workers."""
    return np.random.SeedSequence(seed, spawn_key=(galaxy_id, *key))


def _int_seed(seed, galaxy_id, *key):
    """A 63-bit integer seed derived from the stream (stored in the truth table)."""
    return int(_stream(seed, galaxy_id, *key).generate_state(1, np.uint64)[0] >> np.uint64(1))


# ---------------------------------------------------------------------------- one galaxy
def _flatten(meta):
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


def _simulate_galaxy(prior, seed, galaxy_id, projections, bins):
    """Draw (with redraws), sample and observe one galaxy; return images, truth rows, rejections."""
    from dmprofile.kinematics import phase_space_images
    from dmprofile.observe import observe

    from ._dwarf import InconsistentModelError

    rng = np.random.default_rng(_stream(seed, galaxy_id, 0))
    rejected = []
    for attempt in range(MAX_ATTEMPTS):
        params = prior.draw(rng)
        try:
            galaxy, observe_kwargs = prior.build(params)
            break
        except InconsistentModelError as exc:
            rejected.append({"galaxy_id": galaxy_id, "attempt": attempt,
                             "halo_family": str(params["halo_family"]), "reason": str(exc.reason),
                             "message": str(exc)[:200].strip()})
    else:
        msg = (f"galaxy {galaxy_id}: {MAX_ATTEMPTS} prior draws in a row were rejected "
               f"(last reason: {rejected[-1]['reason']}); the prior is inconsistent")
        raise RuntimeError(msg)
    sample_seed = _int_seed(seed, galaxy_id, 1)
    sample = galaxy.sample(int(params["n_stars"]), seed=sample_seed)
    images = np.empty((projections, 2, bins, bins), dtype=np.float32)
    rows = []
    for k in range(projections):
        observe_seed = _int_seed(seed, galaxy_id, 2, k)
        obs = observe(sample, seed=observe_seed, **observe_kwargs)
        images[k] = phase_space_images(obs, bins=bins, r_half=float(params["r_half"]) * u.kpc,
                                       v_sys=observe_kwargs["v_sys"]).images
        row = {"galaxy_id": galaxy_id, "projection": k, "sample_seed": sample_seed,
               "observe_seed": observe_seed, "n_attempts": len(rejected) + 1}
        row.update({f"prior_{name}": params[name] for name in prior.param_names})
        row.update(_flatten(obs.meta))
        rows.append(row)
    return images, rows, rejected


# ---------------------------------------------------------------------------- tables
def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _rows_to_table(rows, fixed=None):
    """Table from a list of dicts; keys missing from some rows are NaN / "" / -1."""
    names = list(fixed or [])
    for row in rows:
        names.extend(k for k in row if k not in names)
    table = Table()
    for name in names:
        values = [row.get(name) for row in rows]
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, str) for v in present):
            col = np.array(["" if v is None else v for v in values], dtype=str)
            if col.dtype.itemsize == 0 or col.dtype == np.dtype("<U0"):
                col = col.astype("U1")
        elif present and all(isinstance(v, (bool, np.bool_)) for v in present):
            col = np.array([bool(v) if v is not None else False for v in values])
        elif present and all(_is_int(v) for v in present):
            col = np.array([-1 if v is None else int(v) for v in values], dtype=np.int64)
        else:
            col = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
        table[name] = col
    if "projection" in table.colnames:
        table["projection"] = table["projection"].astype(np.int16)
    if "attempt" in table.colnames:
        table["attempt"] = table["attempt"].astype(np.int16)
    return table


def _empty_rejected():
    return Table({"galaxy_id": np.zeros(0, np.int64), "attempt": np.zeros(0, np.int16),
                  "halo_family": np.zeros(0, "U8"), "reason": np.zeros(0, "U32"),
                  "message": np.zeros(0, "U200")})


def _fill_masked(table):
    """Replace masked entries after an outer join: NaN for floats, "" for strings, -1 for ints."""
    for name in table.colnames:
        col = table[name]
        if isinstance(col, MaskedColumn):
            kind = col.dtype.kind
            fill = np.nan if kind == "f" else "" if kind in "US" else False if kind == "b" else -1
            table[name] = col.filled(fill)
    return table


# ---------------------------------------------------------------------------- chunks
def _compute_chunk(spec):
    """Compute one chunk and return the bytes of its FITS file (runs in the workers)."""
    prior = spec["prior"]
    images, rows, rejected = [], [], []
    for galaxy_id in spec["galaxy_ids"]:
        im, r, rej = _simulate_galaxy(prior, spec["seed"], galaxy_id, spec["projections"],
                                      spec["bins"])
        images.append(im)
        rows.extend(r)
        rejected.extend(rej)
    images = np.concatenate(images)
    truth = _rows_to_table(rows, fixed=["galaxy_id", "projection", "sample_seed", "observe_seed"])
    rejected = _rows_to_table(rejected) if rejected else _empty_rejected()
    primary = fits.PrimaryHDU()
    hdr = primary.header
    hdr["FORMAT"] = (FORMAT, "dmprofile training suite chunk")
    hdr["FMTVER"] = (FORMAT_VERSION, "format version")
    hdr["DMPVER"] = (__version__, "dmprofile version")
    hdr["CHUNK"] = (spec["index"], "chunk index")
    hdr["SEED"] = (str(spec["seed"]), "suite seed")
    hdr["GALFIRST"] = (int(spec["galaxy_ids"][0]), "first galaxy_id")
    hdr["GALLAST"] = (int(spec["galaxy_ids"][-1]), "last galaxy_id")
    hdr["NPROJ"] = (spec["projections"], "projections per galaxy")
    hdr["NROWS"] = (len(truth), "rows (projected mocks)")
    hdr["NREJECT"] = (len(rejected), "rejected prior draws")
    hdr["DATAHASH"] = _content_hash(images, truth, rejected)  # sha256 of the data
    hdul = fits.HDUList([primary, fits.ImageHDU(images, name="IMAGES"),
                         fits.table_to_hdu(truth), fits.table_to_hdu(rejected)])
    hdul[2].name = "TRUTH"
    hdul[3].name = "REJECTED"
    buffer = io.BytesIO()
    hdul.writeto(buffer)
    return spec["index"], buffer.getvalue()


def _content_hash(images, truth, rejected):
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(images, dtype="<f4").tobytes())
    for table in (truth, rejected):
        for name in table.colnames:
            col = np.asarray(table[name])
            h.update(name.encode())
            if col.dtype.kind in "US":
                # FITS drops trailing blanks of strings
                h.update("\0".join(str(v).rstrip() for v in col).encode())
            elif col.dtype.kind == "b":
                h.update(col.astype("u1").tobytes())
            elif col.dtype.kind in "iu":
                h.update(col.astype("<i8").tobytes())
            else:
                h.update(col.astype("<f8").tobytes())
    return h.hexdigest()


def _read_chunk(path, index, manifest):
    """Read and verify a chunk; return (images, truth, rejected) or raise ValueError."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with fits.open(path, memmap=False) as hdul:
                hdr = hdul[0].header
                images = np.asarray(hdul["IMAGES"].data, dtype=np.float32)
                truth = Table.read(hdul, hdu="TRUTH", mask_invalid=False)
                rejected = Table.read(hdul, hdu="REJECTED", mask_invalid=False)
        except Exception as exc:  # any read failure means a corrupt chunk
            msg = f"chunk {path} cannot be read: {exc}"
            raise ValueError(msg) from None
    first = index * manifest["chunk_size"]
    n_gal = min(manifest["chunk_size"], manifest["n_galaxies"] - first)
    n_rows = n_gal * manifest["projections"]
    bins = manifest["bins"]
    problems = []
    if hdr.get("FORMAT") != FORMAT or hdr.get("FMTVER") != FORMAT_VERSION:
        problems.append("wrong format")
    if hdr.get("CHUNK") != index or hdr.get("SEED") != str(manifest["seed"]):
        problems.append("chunk index or seed differ from the manifest")
    shape = (n_rows, 2, bins, bins)
    if hdr.get("NROWS") != n_rows or len(truth) != n_rows or images.shape != shape:
        problems.append(f"expected {n_rows} rows of (2, {bins}, {bins}) images")
    elif hdr.get("DATAHASH") != _content_hash(images, truth, rejected):
        problems.append("data hash mismatch")
    if problems:
        msg = f"chunk {path} is invalid: {'; '.join(problems)}"
        raise ValueError(msg)
    return images, truth, rejected


def _suite_checksum(directory, manifest):
    h = hashlib.sha256()
    for name in manifest["chunks"]:
        with open(Path(directory) / name, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()
