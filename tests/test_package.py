"""Package-level behaviour: light imports, the command line, shared helpers."""

import io
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.utils.exceptions import AstropyUserWarning

import dmprofile
from dmprofile import _utils
from dmprofile.cli import main

SUBPACKAGES = ("profiles", "results", "kinematics", "simulate", "observe", "suites", "classical",
               "datasets", "nets")


@pytest.mark.parametrize("module", ["dmprofile", *(f"dmprofile.{s}" for s in SUBPACKAGES)])
def test_import_does_not_load_tensorflow(module):
    code = (f"import sys, {module}; "
            "heavy = [m for m in ('tensorflow', 'keras', 'matplotlib', 'dask') "
            "if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_version_and_warning_class():
    assert isinstance(dmprofile.__version__, str)
    assert issubclass(dmprofile.DMProfileWarning, AstropyUserWarning)


def test_unknown_attribute():
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        dmprofile.nonsense  # noqa: B018


def test_cli_help_and_version(capsys):
    assert main([]) == 2
    assert "usage: dmprofile" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert dmprofile.__version__ in capsys.readouterr().out


def test_cli_help_is_light():
    """Building the parser (``dmprofile --help``) imports no subpackage and no heavy library."""
    code = ("import sys; from dmprofile.cli import build_parser; build_parser(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('scipy', 'tensorflow', 'keras', 'matplotlib', 'dask', 'emcee') "
            "or (m.startswith('dmprofile.') and m.split('.')[1] in dmprofile_subpackages)))")
    code = code.replace("dmprofile_subpackages", repr(sorted(SUBPACKAGES)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_cli_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for command in ("simulate", "train", "evaluate", "jeans", "infer-slope", "compare"):
        assert command in text


def test_cli_as_module():
    out = subprocess.run([sys.executable, "-m", "dmprofile", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.startswith("dmprofile ")


class TestAsValue:
    def test_converts(self):
        assert _utils.as_value(1500 * u.pc, u.kpc, "r") == pytest.approx(1.5)
        np.testing.assert_allclose(_utils.as_value([1, 2] * u.kpc, u.kpc, "r"), [1, 2])

    def test_bare_number_rejected(self):
        with pytest.raises(TypeError, match="argument 'r' must be an astropy Quantity"):
            _utils.as_value(1.0, u.kpc, "r")

    def test_wrong_physical_type(self):
        with pytest.raises(u.UnitTypeError, match="argument 'r' must have length units"):
            _utils.as_value(1.0 * u.s, u.kpc, "r")

    @pytest.mark.parametrize(("value", "kwargs", "match"), [
        ([1, 2] * u.kpc, {"scalar": True}, "must be a scalar"),
        (np.nan * u.kpc, {}, "must be finite"),
        (-1 * u.kpc, {"positive": True}, "must be >= 0"),
        (0 * u.kpc, {"positive": True, "allow_zero": False}, "must be > 0"),
    ])
    def test_value_checks(self, value, kwargs, match):
        with pytest.raises(ValueError, match=match):
            _utils.as_value(value, u.kpc, "r", **kwargs)

    def test_dimensionless(self):
        assert _utils.as_dimensionless(0.5, "n") == 0.5
        assert _utils.as_dimensionless(50 * u.percent, "n") == 0.5
        with pytest.raises(u.UnitTypeError, match="'n' must be dimensionless"):
            _utils.as_dimensionless(1 * u.kpc, "n")


def test_atomic_path_success_and_failure(tmp_path):
    target = tmp_path / "sub" / "file.txt"
    _utils.atomic_write_text(target, "hello")
    assert target.read_text() == "hello"
    with pytest.raises(RuntimeError), _utils.atomic_path(target) as tmp:
        tmp.write_text("half-written")
        raise RuntimeError("interrupted")
    # the old content survives and no temporary file is left behind
    assert target.read_text() == "hello"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.txt"]
    # readable by others like any normally created file (not the 0600 of a temporary file)
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_require_names_the_extra():
    with pytest.raises(ImportError, match=r'pip install "dmprofile\[nets\]"'):
        _utils.require("a_module_that_does_not_exist", "nets")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _utils.require("json", "core").dumps([]) == "[]"


class TestShowProgress:
    """Progress bars only where they can be seen (a log file gets none)."""

    class _Terminal(io.StringIO):
        def isatty(self):
            return True

    def test_terminal_and_file(self, monkeypatch):
        monkeypatch.setattr(sys, "stderr", self._Terminal())
        assert _utils.show_progress(True)
        monkeypatch.setattr(sys, "stderr", io.StringIO())
        monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
        assert not _utils.show_progress(True)
        assert _utils.show_progress("always")
        assert not _utils.show_progress(False)

    def test_bad_values(self):
        with pytest.raises(ValueError, match="argument 'progress'"):
            _utils.show_progress("sometimes")
        with pytest.raises(TypeError, match="argument 'progress'"):
            _utils.show_progress(1.5)

    def test_jeans_run_writes_no_bar_to_a_file(self, capfd):
        pytest.importorskip("emcee")
        from astropy.table import QTable

        from dmprofile.classical import jeans_analysis

        rng = np.random.default_rng(0)
        n = 200
        R = 0.3 * np.sqrt(1 / (1 / rng.uniform(size=n) - 1))
        phi = rng.uniform(0, 2 * np.pi, n)
        t = QTable({"x": R * np.cos(phi) * u.kpc, "y": R * np.sin(phi) * u.kpc,
                    "v_los": rng.normal(0, 9, n) * u.km / u.s,
                    "v_err": np.full(n, 2.0) * u.km / u.s})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dmprofile.DMProfileWarning)
            jeans_analysis(t, halo="nfw", anisotropy="isotropic", nwalkers=8, nsteps=40, seed=1,
                           progress=True)
        captured = capfd.readouterr()
        assert "it/s" not in captured.err and "%|" not in captured.err


def _catalogue_file(tmp_path, name="stars.ecsv", drop=()):
    from astropy.table import QTable

    rng = np.random.default_rng(0)
    t = QTable({"x": rng.normal(0, 0.3, 200) * u.kpc, "y": rng.normal(0, 0.3, 200) * u.kpc,
                "v_los": rng.normal(50, 9, 200) * u.km / u.s,
                "v_err": np.full(200, 2.0) * u.km / u.s})
    t.remove_columns(list(drop))
    path = tmp_path / name
    t.write(path)
    return path


def _file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("command", ["infer-slope", "jeans", "compare"])
@pytest.mark.parametrize(("setup", "match"), [
    (lambda p: p / "missing.fits", r"no such file: .*missing\.fits"),
    (lambda p: _file(p, "empty.fits", ""), r"empty\.fits is empty"),
    (lambda p: _file(p, "notes.fits", "hello\n"), r"cannot read .*notes\.fits as a table"),
    (lambda p: _catalogue_file(p, drop=("v_los",)), r"table has no column 'v_los'"),
    (lambda p: _catalogue_file(p, drop=("x", "y")), r"table must have projected positions"),
])
def test_cli_input_mistakes_give_one_line(tmp_path, capsys, command, setup, match):
    """Ordinary mistakes: exit status 1 and one line on standard error, no traceback."""
    path = setup(tmp_path)
    assert main([command, str(path), "--seed", "1"]) == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"dmprofile {command}: error: "), err
    assert re.search(match, lines[0]), lines[0]


@pytest.mark.parametrize("command", ["infer-slope", "jeans", "compare"])
@pytest.mark.parametrize(("option", "match"), [
    ("--output=post.txt", r"cannot write a (posterior|table) to post\.txt: unknown suffix '\.txt'"),
    ("--plot=post.ecsv", r"cannot write a figure to post\.ecsv: unknown suffix"),
])
def test_cli_checks_outputs_before_computing(tmp_path, capsys, monkeypatch, command, option,
                                             match):
    monkeypatch.chdir(tmp_path)
    # the catalogue is missing too: the output is checked first
    assert main([command, "missing.fits", option]) == 1
    assert re.search(match, capsys.readouterr().err)


def test_cli_creates_output_folders(tmp_path):
    from dmprofile._cli.common import check_output

    out = check_output(tmp_path / "a" / "b" / "post.ecsv", "posterior")
    assert out.parent.is_dir()
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o500)
    try:
        if not os.access(tmp_path / "ro", os.W_OK):  # not when running as root
            with pytest.raises(ValueError, match="is not writable"):
                check_output(tmp_path / "ro" / "fig.png", "figure")
    finally:
        (tmp_path / "ro").chmod(0o700)
    (tmp_path / "fig.png").mkdir()
    with pytest.raises(ValueError, match="it is a folder"):
        check_output(tmp_path / "fig.png", "figure")


@pytest.mark.parametrize(("argv", "match"), [
    (["infer-slope", "x.fits", "--n-passes", "-3"], r"--n-passes: must be a positive integer"),
    (["infer-slope", "x.fits", "--seed", "abc"], r"--seed: must be an integer >= 0, got 'abc'"),
    (["jeans", "x.fits", "--seed", "-1"], r"--seed: must be an integer >= 0, got '-1'"),
    (["jeans", "x.fits", "--workers", "0"], r"--workers: must be a positive integer"),
    (["compare", "x.fits", "--member-threshold", "high"], r"--member-threshold: must be a "
                                                          r"number in \[0, 1\]"),
    (["simulate", "dwarfs", "--n-galaxies", "ten", "--out", "x"], r"--n-galaxies: must be a "
                                                                   r"positive integer"),
])
def test_cli_argument_types(capsys, argv, match):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert re.search(match, capsys.readouterr().err)


def test_cli_flags_are_shared_and_defaults_printed_once(capsys):
    from dmprofile.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    options = {}
    for name in ("infer-slope", "jeans", "compare"):
        options[name] = {o for a in commands[name]._actions for o in a.option_strings}
    shared = {"--format", "--member-threshold", "--r-half", "--v-sys", "--distance", "--seed",
              "--plot", "--output", "--no-progress"}
    for name, opts in options.items():
        assert shared <= opts, (name, shared - opts)
    assert "--workers" in options["jeans"] and "--workers" in options["compare"]
    subcommands = [commands["infer-slope"], commands["jeans"], commands["compare"],
                   commands["simulate"]._subparsers._group_actions[0].choices["dwarfs"]]
    for sub in subcommands:
        text = sub.format_help()
        for block in text.split("\n  -")[1:]:
            assert block.count("(default:") <= 1, block


def test_cli_draws_prints_and_records_the_seed(tmp_path, capsys):
    pytest.importorskip("emcee")
    path = _catalogue_file(tmp_path)
    out = tmp_path / "jeans.ecsv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dmprofile.DMProfileWarning)
        code = main(["jeans", str(path), "--halo", "nfw", "--anisotropy", "isotropic",
                     "--nwalkers", "8", "--nsteps", "20", "--tracer", "r_half", "--r-half",
                     "0.3", "--no-progress", "--output", str(out)])
    assert code == 0
    stdout = capsys.readouterr().out
    seed = int(re.search(r"seed = (\d+) \(drawn", stdout).group(1))
    from astropy.table import QTable

    assert QTable.read(out).meta["seed"] == seed
