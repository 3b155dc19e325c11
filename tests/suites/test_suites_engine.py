"""Tests of the generic suite engine with a toy galaxy kind (multi-channel images, vector truth)."""

import filecmp
import json
import os
import shutil
import sys
from dataclasses import dataclass

import numpy as np
import pytest
from astropy.io import fits

from dmprofile.exceptions import DMProfileWarning
from dmprofile.suites import (
    ArraySpec,
    ChunkLayout,
    GalaxyData,
    GalaxyStreams,
    Suite,
    SuiteRecipe,
    generate_suite,
    read_suite,
    register_recipe,
    rows_to_table,
)

RUN = {"n_galaxies": 7, "chunk_size": 2, "seed": 9, "progress": False}
CHUNKS = [f"chunk_{i:05d}.fits" for i in range(4)]


class ToySuite(Suite):
    """The toy suite: a named view of the images."""

    @property
    def images(self):
        return self.arrays["IMAGES"]


@register_recipe
@dataclass(frozen=True)
class ToyRecipe(SuiteRecipe):
    """Disc-like toy galaxy kind.

    Per galaxy ``views`` rows of 3-channel images and a 2-channel float64 map, a truth table
    with a vector of masses, and a log table that only odd galaxies fill.
    """

    channels: int = 3
    size: int = 8
    n_masses: int = 20
    views: int = 1
    fail_at: int = -1  # raise at this galaxy (a crash mid-run); not part of the manifest

    kind = "toy"
    format = "dmprofile-toy-suite"
    format_version = 2
    suite_class = ToySuite
    identity = ("channels", "size", "n_masses", "views")

    def manifest_fields(self):
        return {"channels": self.channels, "size": self.size, "n_masses": self.n_masses,
                "views": self.views}

    @classmethod
    def layout(cls, manifest):
        n, c = manifest["size"], manifest["channels"]
        return ChunkLayout(arrays={"IMAGES": ArraySpec((c, n, n)),
                                   "MOMENTS": ArraySpec((2, n, n), "float64")},
                           tables=("TRUTH", "LOG"), rows_per_galaxy=manifest["views"])

    def simulate(self, galaxy_id, streams):
        if galaxy_id == self.fail_at:
            msg = f"crash at galaxy {galaxy_id}"
            raise RuntimeError(msg)
        rng = streams.rng(0)
        shape = (self.views, self.channels, self.size, self.size)
        images = rng.normal(size=shape).astype(np.float32)
        moments = streams.rng(1).random((self.views, 2, self.size, self.size))
        log_mass = np.sort(rng.uniform(6, 12, self.n_masses))
        rows = [{"galaxy_id": galaxy_id, "view": k, "log_mass": log_mass,
                 "seed": streams.int_seed(2), "flags": np.array([k == 0, True]),
                 "name": f"g{galaxy_id}"}
                for k in range(self.views)]
        log = [{"galaxy_id": galaxy_id, "note": "odd "}] if galaxy_id % 2 else []
        return GalaxyData(arrays={"IMAGES": images, "MOMENTS": moments},
                          tables={"TRUTH": rows, "LOG": log})


@dataclass(frozen=True)
class BrokenRecipe(ToyRecipe):
    """Returns images of the wrong shape."""

    def simulate(self, galaxy_id, streams):
        data = super().simulate(galaxy_id, streams)
        return GalaxyData(arrays={**data.arrays, "IMAGES": data.arrays["IMAGES"][:, :1]},
                          tables=data.tables)


def same_files(a, b, names):
    return all(filecmp.cmp(a / n, b / n, shallow=False) for n in names)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("toy")
    generate_suite(path, ToyRecipe(views=2), workers=1, **RUN)
    return path


def test_read_back(reference):
    suite = read_suite(reference)
    assert isinstance(suite, ToySuite) and len(suite) == 14
    assert suite.images.shape == (14, 3, 8, 8) and suite.images.dtype == np.float32
    assert suite.arrays["MOMENTS"].shape == (14, 2, 8, 8)
    assert suite.arrays["MOMENTS"].dtype == np.float64
    assert not suite.images.flags.writeable
    t = suite.truth
    assert list(t["galaxy_id"]) == [g for g in range(7) for _ in range(2)]
    assert t["log_mass"].shape == (14, 20) and np.all(np.diff(t["log_mass"], axis=1) >= 0)
    assert t["flags"].dtype == bool and list(t["flags"][:2, 0]) == [True, False]
    assert list(suite.tables["LOG"]["galaxy_id"]) == [1, 3, 5]
    assert set(suite.tables["LOG"]["note"]) == {"odd"}  # FITS drops trailing blanks
    m = suite.manifest
    assert list(m)[:4] == ["format", "format_version", "dmprofile_version", "n_galaxies"]
    assert m["format"] == "dmprofile-toy-suite" and m["views"] == 2 and m["complete"]
    assert m["checksum"] == suite.checksum
    assert "ToySuite dmprofile-toy-suite 14 rows of 7 galaxies" in repr(suite)
    with fits.open(reference / CHUNKS[0]) as hdul:
        assert [h.name for h in hdul] == ["PRIMARY", "IMAGES", "MOMENTS", "TRUTH", "LOG"]
        assert hdul[0].header["NROWS"] == 4 and hdul[0].header["FMTVER"] == 2


def test_streams_are_per_galaxy(reference):
    """Galaxy g's data depend only on (seed, g): equal to a direct simulation."""
    suite = read_suite(reference)
    data = ToyRecipe(views=2).simulate(5, GalaxyStreams(9, 5))
    assert np.array_equal(suite.images[10:12], data.arrays["IMAGES"])
    assert np.array_equal(suite.truth["log_mass"][10], data.tables["TRUTH"][0]["log_mass"])


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_do_not_change_result(reference, tmp_path, workers):
    generate_suite(tmp_path, ToyRecipe(views=2), workers=workers, **RUN)
    assert same_files(reference, tmp_path, [*CHUNKS, "manifest.json"])
    assert read_suite(tmp_path).checksum == read_suite(reference).checksum


def test_dask_client(reference, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=":0") as client:
        generate_suite(tmp_path, ToyRecipe(views=2), client=client, **RUN)
    assert same_files(reference, tmp_path, CHUNKS)


def test_resume_after_crash(reference, tmp_path):
    """A run that dies in chunk 2 keeps chunks 0-1; the rerun completes to the same suite."""
    with pytest.raises(RuntimeError, match="crash at galaxy 5"):
        generate_suite(tmp_path, ToyRecipe(views=2, fail_at=5), workers=1, **RUN)
    assert sorted(p.name for p in tmp_path.glob("chunk_*.fits")) == CHUNKS[:2]
    assert not json.loads((tmp_path / "manifest.json").read_text())["complete"]
    with pytest.raises(ValueError, match="incomplete: 2 of 4 chunks missing.*rerun generate_suite"):
        read_suite(tmp_path)
    kept = {name: os.stat(tmp_path / name).st_mtime_ns for name in CHUNKS[:2]}
    generate_suite(tmp_path, ToyRecipe(views=2), workers=2, **RUN)
    assert all(os.stat(tmp_path / name).st_mtime_ns == t for name, t in kept.items())
    assert same_files(reference, tmp_path, [*CHUNKS, "manifest.json"])


def test_corrupt_chunk_is_recomputed(reference, tmp_path):
    work = tmp_path / "suite"
    shutil.copytree(reference, work)
    data = bytearray((work / CHUNKS[1]).read_bytes())
    data[6000:6008] = b"\x7f" * 8  # inside the IMAGES data (after two 2880-byte headers)
    (work / CHUNKS[1]).write_bytes(bytes(data))
    with pytest.raises(ValueError, match="chunk_00001.fits is invalid: data hash mismatch"):
        read_suite(work)
    with pytest.warns(DMProfileWarning, match="recomputing chunk 1"):
        generate_suite(work, ToyRecipe(views=2), workers=1, **RUN)
    assert same_files(reference, work, CHUNKS)


@pytest.mark.parametrize(("recipe", "run", "match"), [
    (ToyRecipe(views=1), {}, "views=2 \\(requested 1\\)"),
    (ToyRecipe(views=2, n_masses=3), {}, "n_masses=20 \\(requested 3\\)"),
    (ToyRecipe(views=2), {"seed": 1}, "seed=9 \\(requested 1\\)"),
    (ToyRecipe(views=2), {"n_galaxies": 8}, "n_galaxies=7"),
])
def test_identity_mismatch(reference, tmp_path, recipe, run, match):
    work = tmp_path / "suite"
    shutil.copytree(reference, work)
    with pytest.raises(ValueError, match=f"different parameters: .*{match}"):
        generate_suite(work, recipe, workers=1, **{**RUN, **run})


def test_read_suite_formats(reference, tmp_path):
    from dmprofile.suites import DwarfRecipe

    with pytest.raises(ValueError, match="is not a dmprofile-dwarf-suite manifest"):
        read_suite(reference, recipe=DwarfRecipe)
    work = tmp_path / "suite"
    shutil.copytree(reference, work)
    manifest = json.loads((work / "manifest.json").read_text())
    (work / "manifest.json").write_text(json.dumps({**manifest, "format_version": 1}))
    with pytest.raises(ValueError, match="dmprofile-toy-suite version 1; this dmprofile reads "
                                         "version 2"):
        read_suite(work)
    (work / "manifest.json").write_text(json.dumps({**manifest, "format": "disc"}))
    with pytest.raises(ValueError, match="unknown suite format 'disc'.*dmprofile-dwarf-suite"):
        read_suite(work)
    assert len(read_suite(reference, recipe=ToyRecipe())) == 14


def test_broken_recipes(tmp_path):
    with pytest.raises(RuntimeError, match="galaxy 0: array IMAGES has shape \\(1, 1, 8, 8\\), "
                                           "expected \\(1, 3, 8, 8\\)"):
        generate_suite(tmp_path / "a", BrokenRecipe(), workers=1, **RUN)
    with pytest.raises(TypeError, match="must be a SuiteRecipe instance, got dict"):
        generate_suite(tmp_path / "b", {"kind": "toy"}, **RUN)

    class Nameless(SuiteRecipe):
        format, format_version, suite_class = "x", 1, Suite

    with pytest.raises(TypeError, match="must set the class attribute 'kind'"):
        generate_suite(tmp_path / "c", Nameless(), **RUN)
    with pytest.raises(TypeError, match="needs a SuiteRecipe subclass"):
        register_recipe(dict)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_galaxies": 0}, "'n_galaxies' must be an integer >= 1"),
    ({"seed": 2**63}, "'seed' must be < 2\\*\\*63"),
    ({"chunk_size": 0}, "'chunk_size'"),
    ({"workers": 1.5}, "'workers'"),
    ({"scheduler": "tcp://x:1", "client": object()}, "not both"),
])
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate_suite(tmp_path, ToyRecipe(), **{**RUN, **kwargs})


def test_dask_missing_gives_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(ImportError, match=r'pip install "dmprofile\[distributed\]"'):
        generate_suite(tmp_path, ToyRecipe(), scheduler="tcp://127.0.0.1:1", **RUN)


def test_split_by_galaxy(reference):
    suite = read_suite(reference)
    parts = suite.split((0.5, 0.25, 0.25), seed=2)
    assert sorted(np.concatenate(parts)) == list(range(14))
    ids = [set(suite.truth["galaxy_id"][p]) for p in parts]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    with pytest.raises(ValueError, match="non-negative"):
        suite.split((-1, 2))


def test_rows_to_table():
    t = rows_to_table([{"a": 1, "v": np.arange(3)}, {"b": "x", "v": np.ones(3)}], fixed=["b"])
    assert t.colnames == ["b", "a", "v"]
    assert list(t["a"]) == [1, -1] and list(t["b"]) == ["", "x"]
    assert t["v"].shape == (2, 3) and t["v"].dtype == np.float64
    with pytest.raises(ValueError, match="column 'v' mixes values of different shapes"):
        rows_to_table([{"v": np.arange(3)}, {"v": np.arange(2)}])
