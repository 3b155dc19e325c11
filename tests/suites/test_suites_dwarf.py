"""Tests of the dwarf-galaxy suites: determinism, resumption, format, command line, old imports."""

import filecmp
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from astropy import units as u

from dmprofile.cli import main
from dmprofile.exceptions import DMProfileWarning
from dmprofile.kinematics import phase_space_images
from dmprofile.simulate import DefaultDwarfPrior, InconsistentModelError
from dmprofile.suites import DwarfRecipe, DwarfSuite, generate_dwarf_suite, read_suite

SMALL = {"n_galaxies": 6, "projections": 2, "chunk_size": 2, "seed": 3, "progress": False}
CHUNKS = [f"chunk_{i:05d}.fits" for i in range(3)]


def same_files(a, b, names):
    return all(filecmp.cmp(a / n, b / n, shallow=False) for n in names)


def assert_same_suite(a, b):
    assert np.array_equal(a.images, b.images)
    assert a.truth.colnames == b.truth.colnames
    for name in a.truth.colnames:
        x, y = np.asarray(a.truth[name]), np.asarray(b.truth[name])
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name
    assert a.checksum == b.checksum


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("reference")
    generate_dwarf_suite(path, workers=1, **SMALL)
    return path


def test_read_suite_contents(reference):
    suite = read_suite(reference)
    assert len(suite) == 12
    assert suite.images.shape == (12, 2, 64, 64) and suite.images.dtype == np.float32
    assert not suite.images.flags.writeable
    assert np.allclose(suite.images.sum(axis=(2, 3)), 1.0, atol=1e-4)
    t = suite.truth
    assert list(t["galaxy_id"]) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert list(t["projection"]) == [0, 1] * 6
    assert t["galaxy_id"].dtype == np.int64 and t["projection"].dtype == np.int16
    for name in ("sample_seed", "observe_seed", "gamma_150", "rho_150", "M_150", "n_stars",
                 "r_half", "v_err_median", "halo_family", "prior_log_m200", "los_x"):
        assert name in t.colnames, name
    assert np.all(np.isfinite(t["gamma_150"]))
    assert not t.has_masked_columns
    nfw = t["prior_halo_family"] != "zhao"
    assert np.all(np.isnan(t["prior_gamma"][nfw])) and np.all(np.isfinite(t["prior_c"]))
    # both projections of a galaxy share the sample, not the observation
    assert np.all(t["sample_seed"][::2] == t["sample_seed"][1::2])
    assert np.all(t["observe_seed"][::2] != t["observe_seed"][1::2])
    assert np.all(t["gamma_150"][::2] == t["gamma_150"][1::2])
    assert np.all(t["n_stars"] == t["prior_n_stars"])
    assert np.all(t["halo_family"] == t["prior_halo_family"])
    m = suite.manifest
    assert m["complete"] and m["n_galaxies"] == 6 and m["n_chunks"] == 3 and m["seed"] == 3
    assert m["prior"] == DefaultDwarfPrior().to_dict()
    assert m["checksum"] == suite.checksum and len(suite.checksum) == 64
    assert "DwarfSuite 12 mocks = 6 galaxies x 2 projections" in repr(suite)
    assert set(suite.rejected.colnames) >= {"galaxy_id", "attempt", "reason"}


def test_mock_regenerates_row(reference):
    suite = read_suite(reference)
    for i in (0, 7):
        mock = suite.mock(i)
        row = suite.truth[i]
        assert len(mock) == row["n_stars"]
        assert mock.meta["gamma_150"] == row["gamma_150"]
        assert mock.meta["los"] == [row["los_x"], row["los_y"], row["los_z"]]
        images = phase_space_images(mock, r_half=row["prior_r_half"] * u.kpc, v_sys=0 * u.km / u.s)
        assert np.array_equal(images.images, suite.images[i])
    assert suite.galaxy(7).truth()["gamma_150"] == suite.truth["gamma_150"][7]
    with pytest.raises(IndexError, match="out of range"):
        suite.mock(12)


def test_split_by_galaxy(reference):
    suite = read_suite(reference)
    parts = suite.split((0.5, 0.5), seed=1)
    assert sum(len(p) for p in parts) == len(suite)
    ids = [set(suite.truth["galaxy_id"][p]) for p in parts]
    assert not ids[0] & ids[1] and len(ids[0]) == 3


def test_workers_do_not_change_result(reference, tmp_path):
    generate_dwarf_suite(tmp_path, workers=2, **SMALL)
    assert same_files(reference, tmp_path, CHUNKS)
    assert_same_suite(read_suite(reference), read_suite(tmp_path))


def test_seed_changes_result(reference, tmp_path):
    generate_dwarf_suite(tmp_path, workers=1, **{**SMALL, "seed": 4, "n_galaxies": 2})
    assert not np.array_equal(read_suite(tmp_path).images, read_suite(reference).images[:4])


def test_resume_missing_corrupt_and_stray(reference, tmp_path):
    work = tmp_path / "suite"
    shutil.copytree(reference, work)
    data = bytearray((work / CHUNKS[2]).read_bytes())
    data[20000:20008] = b"\x7f" * 8  # inside the IMAGES data
    (work / CHUNKS[2]).write_bytes(bytes(data))
    with pytest.raises(ValueError, match="invalid: data hash mismatch"):
        read_suite(work)
    (work / CHUNKS[1]).unlink()
    stray = work / ".chunk_00001.fits.abc123.tmp"
    stray.write_bytes(b"half a chunk")
    untouched = os.stat(work / CHUNKS[0])
    with pytest.warns(DMProfileWarning, match="recomputing chunk 2"):
        generate_dwarf_suite(work, workers=1, **SMALL)
    assert not stray.exists()
    after = os.stat(work / CHUNKS[0])
    assert (after.st_ino, after.st_mtime_ns) == (untouched.st_ino, untouched.st_mtime_ns)
    assert same_files(reference, work, CHUNKS)
    assert_same_suite(read_suite(reference), read_suite(work))


def test_incomplete_and_missing_suite(reference, tmp_path):
    work = tmp_path / "suite"
    shutil.copytree(reference, work)
    (work / CHUNKS[0]).unlink()
    with pytest.raises(ValueError, match="incomplete: 1 of 3 chunks missing"):
        read_suite(work)
    with pytest.raises(FileNotFoundError, match="no manifest.json"):
        read_suite(tmp_path)


@pytest.mark.parametrize(("change", "match"), [
    ({"projections": 3}, "projections=2"),
    ({"seed": 5}, "seed=3"),
    ({"chunk_size": 3}, "chunk_size=2"),
    ({"prior": DefaultDwarfPrior(r_half_range=(0.2, 1.0))}, "prior="),
])
def test_manifest_mismatch(reference, tmp_path, change, match):
    work = tmp_path / "suite"
    shutil.copytree(reference, work)
    with pytest.raises(ValueError, match=f"different parameters: .*{match}"):
        generate_dwarf_suite(work, workers=1, **{**SMALL, **change})


def test_refuses_chunks_without_manifest(reference, tmp_path):
    shutil.copy(reference / CHUNKS[0], tmp_path / CHUNKS[0])
    with pytest.raises(ValueError, match="no manifest.json"):
        generate_dwarf_suite(tmp_path, workers=1, **SMALL)


class RejectingPrior(DefaultDwarfPrior):
    """Rejects every model with beta0 < -0.15, deterministically."""

    def build(self, params):
        if params["beta0"] < -0.15:
            msg = "test rejection with a trailing blank "
            raise InconsistentModelError(msg, reason="test_reason")
        return super().build(params)


def test_rejections_recorded(tmp_path):
    generate_dwarf_suite(tmp_path, workers=1, prior=RejectingPrior(), **{**SMALL, "n_galaxies": 4})
    suite = read_suite(tmp_path)
    t, rej = suite.truth, suite.rejected
    assert np.all(t["prior_beta0"] >= -0.15)
    assert len(rej) > 0 and set(rej["reason"]) == {"test_reason"}
    for gid in range(4):
        n_rejected = np.sum(rej["galaxy_id"] == gid)
        assert np.all(t["n_attempts"][t["galaxy_id"] == gid] == n_rejected + 1)
        assert list(rej["attempt"][rej["galaxy_id"] == gid]) == list(range(n_rejected))
    assert suite.manifest["prior"]["class"].endswith("RejectingPrior")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_galaxies": 0}, "'n_galaxies' must be an integer >= 1"),
    ({"n_galaxies": 2.5}, "'n_galaxies'"),
    ({"n_galaxies": 2, "projections": 0}, "'projections'"),
    ({"n_galaxies": 2, "seed": -1}, "'seed' must be an integer >= 0"),
    ({"n_galaxies": 2, "workers": 0}, "'workers'"),
    ({"n_galaxies": 2, "scheduler": "tcp://x:1", "client": object()}, "not both"),
])
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate_dwarf_suite(tmp_path, **kwargs)
    with pytest.raises(TypeError, match="'prior' must be a DefaultDwarfPrior"):
        generate_dwarf_suite(tmp_path, n_galaxies=1, prior={"a": 1})


def test_dask_missing_gives_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(ImportError, match=r'pip install "dmprofile\[distributed\]"'):
        generate_dwarf_suite(tmp_path, scheduler="tcp://127.0.0.1:1", **SMALL)


def test_dask_client(reference, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=":0") as client:
        generate_dwarf_suite(tmp_path, client=client, **SMALL)
    assert same_files(reference, tmp_path, CHUNKS)


def test_command_line(reference, tmp_path, capsys):
    args = ["simulate", "dwarfs", "--n-galaxies", "6", "--projections", "2", "--chunk-size", "2",
            "--seed", "3", "--workers", "1", "--out", str(tmp_path), "--no-progress"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "wrote 12 mocks" in out and read_suite(reference).checksum in out
    assert same_files(reference, tmp_path, CHUNKS)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["complete"]
    assert main(["simulate", "dwarfs", "--n-galaxies", "6", "--projections", "3",
                 "--out", str(tmp_path)]) == 1
    assert "different parameters" in capsys.readouterr().err


def test_command_line_prior(tmp_path, capsys):
    """--prior changes the default prior; the manifest records it; bad values are named."""
    out = tmp_path / "nfw"
    assert main(["simulate", "dwarfs", "--n-galaxies", "3", "--projections", "1", "--seed", "5",
                 "--workers", "1", "--no-progress", "--out", str(out),
                 "--prior", '{"family_weights": {"nfw": 1}, "n_stars_range": [100, 200]}']) == 0
    suite = read_suite(out)
    assert set(np.char.strip(np.asarray(suite.truth["prior_halo_family"], dtype=str))) == {"nfw"}
    assert np.all(np.asarray(suite.truth["n_stars"]) <= 200)
    assert suite.manifest["prior"]["parameters"]["family_weights"] == {"nfw": 1.0}
    capsys.readouterr()
    for bad, match in [("[1, 2]", "JSON object"), ("{x", "JSON object"),
                       ('{"n_star_range": [1, 2]}', "unknown prior parameter")]:
        with pytest.raises(SystemExit, match=match):
            main(["simulate", "dwarfs", "--n-galaxies", "1", "--out", str(tmp_path / "bad"),
                  "--prior", bad])


@pytest.mark.slow
def test_sigkill_and_resume(tmp_path):
    """A run killed with SIGKILL after its first chunk resumes to the uninterrupted result."""
    params = ["--n-galaxies", "6", "--projections", "2", "--chunk-size", "1", "--seed", "11"]
    killed = tmp_path / "killed"
    cmd = [sys.executable, "-m", "dmprofile", "simulate", "dwarfs", *params, "--workers", "1",
           "--no-progress", "--out", str(killed)]
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
        deadline = time.monotonic() + 120
        while not (killed / "chunk_00000.fits").exists():
            if proc.poll() is not None:
                pytest.fail(f"the command ended early: {proc.stderr.read().decode()}")
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("no chunk after 120 s")
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    finished = sorted(p.name for p in killed.glob("chunk_*.fits"))
    assert 1 <= len(finished) < 6  # really interrupted mid-way
    manifest = json.loads((killed / "manifest.json").read_text())
    assert not manifest["complete"]
    kept = {name: os.stat(killed / name).st_mtime_ns for name in finished}
    # restart with a different number of workers
    assert main(["simulate", "dwarfs", *params, "--workers", "2", "--no-progress",
                 "--out", str(killed)]) == 0
    assert all(os.stat(killed / name).st_mtime_ns == t for name, t in kept.items())
    clean = tmp_path / "clean"
    assert main(["simulate", "dwarfs", *params, "--workers", "1", "--no-progress",
                 "--out", str(clean)]) == 0
    names = [f"chunk_{i:05d}.fits" for i in range(6)]
    assert same_files(clean, killed, names)
    assert_same_suite(read_suite(clean), read_suite(killed))


def test_dwarf_recipe_and_reader(reference):
    """read_suite finds the dwarf recipe from the manifest, or takes it explicitly."""
    suite = read_suite(reference, recipe=DwarfRecipe)
    assert isinstance(suite, DwarfSuite) and len(suite) == 12
    assert suite.arrays["IMAGES"] is suite.images and suite.tables["TRUTH"] is suite.truth
    recipe = DwarfRecipe(projections=2, bins=64)
    assert recipe.manifest_fields()["prior"] == suite.manifest["prior"]
    with pytest.raises(ValueError, match="'projections' must be an integer >= 1"):
        DwarfRecipe(projections=0)
    with pytest.raises(ValueError, match="'bins' must be an integer >= 2"):
        DwarfRecipe(bins=1)


@pytest.mark.parametrize("name", ["DwarfSuite", "generate_dwarf_suite", "read_suite"])
def test_old_simulate_imports_are_deprecated(name):
    import dmprofile.simulate
    import dmprofile.suites

    with pytest.warns(DeprecationWarning, match="import it from dmprofile.suites"):
        old = getattr(dmprofile.simulate, name)
    assert old is getattr(dmprofile.suites, name)
    assert name not in dmprofile.simulate.__all__
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        dmprofile.simulate.nothing  # noqa: B018


def test_help_does_not_import_the_engine():
    """Building the command line (``dmprofile --help``) leaves the suite engine unloaded."""
    code = ("import sys; from dmprofile.cli import build_parser; build_parser(); "
            "print(sorted(m for m in sys.modules if m.startswith('dmprofile.suites.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_broad_prior_suite(tmp_path, capsys):
    """--prior-preset broad: string draw keys, two populations, rows rebuilt from the truth."""
    from dmprofile.simulate import CompositeDwarfGalaxy

    out = tmp_path / "broad"
    assert main(["simulate", "dwarfs", "--n-galaxies", "4", "--projections", "1", "--seed", "1",
                 "--workers", "1", "--no-progress", "--out", str(out), "--prior-preset", "broad",
                 "--prior", '{"n_stars_range": [30, 80], "p_two_populations": 0.5}']) == 0
    assert "wrote 4 mocks" in capsys.readouterr().out
    suite = read_suite(out)
    prior = DefaultDwarfPrior.broad(n_stars_range=(30, 80), p_two_populations=0.5)
    assert suite.prior == prior and suite.manifest["prior"] == prior.to_dict()
    t = suite.truth
    for name in prior.param_names:
        assert f"prior_{name}" in t.colnames, name
    tracers = set(np.char.strip(np.asarray(t["prior_tracer_family"], dtype=str)))
    assert tracers <= {"plummer", "zhao", "exponential"}
    assert np.all((np.asarray(t["n_stars"]) >= 30) & (np.asarray(t["n_stars"]) <= 80))
    two = np.flatnonzero(np.isfinite(np.asarray(t["prior_compact_fraction"])))
    assert two.size and np.all(np.isfinite(np.asarray(t["pop2_r_half"])[two]))
    assert np.allclose(t["r_half"], t["prior_r_half"], rtol=1e-6)
    for i in (0, int(two[0])):
        galaxy = suite.galaxy(i)
        assert isinstance(galaxy, CompositeDwarfGalaxy) == (i in two)
        image = phase_space_images(suite.mock(i), bins=64, r_half=t["r_half"][i] * u.kpc,
                                   v_sys=0 * u.km / u.s).images
        assert np.allclose(image, suite.images[i])
    if len(suite.rejected):
        assert "tracer_family" in suite.rejected.colnames
    # a default-prior suite stores the columns it stored before the broadened options
    assert "prior_tracer_family" not in read_suite(_default_suite(tmp_path)).truth.colnames


def _default_suite(tmp_path):
    return generate_dwarf_suite(tmp_path / "default", n_galaxies=1, projections=1, workers=1,
                                progress=False, bins=8)
