"""dmprofile.compare: the network and the Jeans analysis on the same galaxy, and its command."""

import hashlib
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from astropy import units as u
from astropy.table import QTable, Table

pytest.importorskip("keras")
pytest.importorskip("emcee")

import dmprofile  # noqa: E402
from dmprofile import DMProfileWarning  # noqa: E402
from dmprofile._compare import compare  # noqa: E402
from dmprofile._infer import infer_slope  # noqa: E402
from dmprofile.classical import JeansResult, jeans_analysis  # noqa: E402
from dmprofile.cli import main  # noqa: E402
from dmprofile.results import Comparison, SlopePosterior  # noqa: E402

BINS = 16
#: Small, fast Jeans settings: NFW halo, isotropic orbits, Plummer tracer with the given r_half.
JEANS = {"halo": "nfw", "anisotropy": "isotropic", "nwalkers": 8, "nsteps": 150,
         "tracer": "r_half", "progress": False}
NETWORK = {"n_passes": 10}


def _toy_suite(n_galaxies=16, n_projections=2, seed=0):
    """Unit-sum images whose spreads depend on gamma_150 (a learnable toy, 16x16 pixels)."""
    rng = np.random.default_rng(seed)
    rows, images = [], []
    for gid in range(n_galaxies):
        gamma = rng.uniform(-1.5, 0.0)
        for proj in range(n_projections):
            n = int(rng.integers(200, 2000))
            xy = rng.normal(0.0, 0.3 - 0.3 * gamma, (n, 2))
            radius = np.abs(rng.normal(0.0, 0.3 - 0.2 * gamma, n))
            v = rng.normal(0.0, 0.25 - 0.1 * gamma, n)
            im0 = np.histogram2d(xy[:, 0], xy[:, 1], bins=BINS, range=((-2, 2), (-2, 2)))[0]
            im1 = np.histogram2d(radius, v, bins=BINS, range=((0, 1), (-1, 1)))[0]
            images.append(np.stack([im0 / im0.sum(), im1 / im1.sum()]).astype(np.float32))
            rows.append((gid, proj, gamma, n, rng.uniform(0.1, 1.0), rng.uniform(5.0, 50.0)))
    truth = Table(rows=rows, names=("galaxy_id", "projection", "gamma_150", "n_stars", "r_half",
                                    "p98"))
    truth["r_half"].unit, truth["p98"].unit = "kpc", "km / s"
    images = np.stack(images)
    return SimpleNamespace(images=images, truth=truth,
                           checksum=hashlib.sha256(images.tobytes()).hexdigest(),
                           manifest={"prior": {"name": "toy"}, "n_galaxies": n_galaxies})


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from dmprofile.nets import train_slope

    out = tmp_path_factory.mktemp("compare_model") / "tiny"
    train_slope(_toy_suite(), out, epochs=1, batch_size=16, seed=0, val_fraction=0.25,
                test_fraction=0.125, progress=False, validation_passes=2,
                architecture={"filters": (4,), "dense_units": (8, 8, 8), "dropout_rate": 0.2})
    return out


def catalogue(n=300, *, seed=0):
    """Plummer-distributed stars (r_half = 0.3 kpc) with a 9 km/s dispersion around 50 km/s."""
    rng = np.random.default_rng(seed)
    R = 0.3 * np.sqrt(1 / (1 / rng.uniform(0.01, 0.95, n) - 1))
    phi = rng.uniform(0, 2 * np.pi, n)
    t = QTable({"x": R * np.cos(phi) * u.kpc, "y": R * np.sin(phi) * u.kpc,
                "v_los": rng.normal(50, 9, n) * u.km / u.s,
                "v_err": np.full(n, 2.0) * u.km / u.s})
    t.meta.update({"r_half": 0.3, "v_sys": 50.0, "galaxy": "toy"})
    return t


def _compare(model_dir, **kwargs):
    kwargs = {"jeans_kwargs": JEANS, "network_kwargs": NETWORK, **kwargs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DMProfileWarning)  # short chains, toy model
        return compare(catalogue(), model=model_dir, **kwargs)


@pytest.fixture(scope="module")
def comparison(model_dir):
    return _compare(model_dir, seed=7)


def test_top_level():
    assert dmprofile.compare is compare
    assert "compare" in dir(dmprofile) and "compare" in dmprofile.__all__


def test_comparison_contents(comparison):
    assert isinstance(comparison, Comparison)
    assert comparison.methods == ("network", "jeans")
    assert isinstance(comparison.results["network"], SlopePosterior)
    assert isinstance(comparison.results["jeans"], JeansResult)
    assert comparison.posteriors["network"] is comparison.results["network"]
    assert comparison.posteriors["jeans"] is comparison.results["jeans"].slope
    assert comparison["jeans"] is comparison.posteriors["jeans"]
    assert comparison.posteriors["network"].pdf_std is not None
    assert comparison.posteriors["jeans"].pdf_std is None
    assert all(t > 0 for t in comparison.wall_times.values())
    with pytest.raises(TypeError):
        comparison.posteriors["other"] = comparison.posteriors["jeans"]
    meta = comparison.meta
    assert meta["seed"] == 7 and meta["galaxy"] == "toy"
    assert comparison.results["network"].meta["seed"] == meta["network_seed"]
    assert comparison.results["jeans"].meta["seed"] == meta["jeans_seed"]
    assert meta["network_seed"] != meta["jeans_seed"]
    text = repr(comparison)
    assert text.startswith("<Comparison of 2 method(s) for toy on 300 stars")
    assert "network  gamma_150 =" in text and "jeans    gamma_150 =" in text


@pytest.mark.parametrize("level", [0.68, 0.95])
def test_to_table_matches_posteriors(comparison, level):
    table = comparison.to_table(level)
    assert list(table["method"]) == ["network", "jeans"]
    assert table.meta["level"] == level
    assert table["wall_time"].unit == u.s
    for row in table:
        post = comparison.posteriors[row["method"]]
        low, high = post.interval(level)
        np.testing.assert_allclose([row["mode"], row["low"], row["high"], row["mean"], row["std"]],
                                   [post.mode, low, high, post.mean, post.std])
        np.testing.assert_allclose(row["plus"], high - post.mode)
        np.testing.assert_allclose(row["minus"], post.mode - low)
        np.testing.assert_allclose(row["width"], high - low)
        assert row["n_stars"] == 300
        assert row["wall_time"] == comparison.wall_times[row["method"]] * u.s
    assert np.all(comparison.to_table(0.95)["width"] > comparison.to_table(0.68)["width"])


def test_same_as_direct_calls(comparison, model_dir):
    """Check that compare runs exactly infer_slope and jeans_analysis with the recorded seeds."""
    meta = comparison.meta
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DMProfileWarning)
        net = infer_slope(catalogue(), model=model_dir, seed=meta["network_seed"], **NETWORK)
        jeans = jeans_analysis(catalogue(), seed=meta["jeans_seed"], **JEANS)
    np.testing.assert_array_equal(net.pdf, comparison.posteriors["network"].pdf)
    np.testing.assert_array_equal(np.asarray(jeans.samples["gamma_150"]),
                                  np.asarray(comparison.results["jeans"].samples["gamma_150"]))


def test_seeds_and_galaxy_parameters(model_dir):
    kwargs = {"methods": ["network"], "r_half": 0.4 * u.kpc}
    a = _compare(model_dir, seed=3, **kwargs)
    b = _compare(model_dir, seed=3, **kwargs)
    c = _compare(model_dir, seed=4, **kwargs)
    assert a.methods == ("network",)
    np.testing.assert_array_equal(a["network"].pdf, b["network"].pdf)
    assert not np.allclose(a["network"].pdf, c["network"].pdf)
    # the keyword overrides table.meta (r_half = 0.3 kpc) for the network...
    assert a["network"].meta["galaxy_parameters"]["r_half"] == 0.4 * u.kpc
    # ... and for the Jeans analysis; a seed inside jeans_kwargs wins
    j = _compare(model_dir, methods="jeans", r_half=0.4 * u.kpc, seed=3,
                 jeans_kwargs={**JEANS, "seed": 11})
    assert j.results["jeans"].meta["galaxy_parameters"]["r_half"] == 0.4 * u.kpc
    assert j.meta["jeans_seed"] == 11 and j.results["jeans"].meta["seed"] == 11
    assert "0.4 kpc" in j.results["jeans"].meta["tracer"]
    # an unseeded call records the seed it drew, which reproduces it
    free = _compare(model_dir, methods=["network"])
    again = _compare(model_dir, methods=["network"], seed=free.meta["seed"])
    np.testing.assert_array_equal(free["network"].pdf, again["network"].pdf)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"methods": ("network", "gravsphere")}, ValueError, r"'methods' must be .* got"),
    ({"methods": ()}, ValueError, "non-empty"),
    ({"methods": ("jeans", "jeans")}, ValueError, "distinct"),
    ({"radius": 1 * u.kpc}, TypeError, r"unexpected keyword argument\(s\) \['radius'\]"),
    ({"jeans_kwargs": {"r_half": 1 * u.kpc}}, TypeError, r"'jeans_kwargs' must not contain"),
    ({"network_kwargs": {"model": "x"}}, TypeError, r"'network_kwargs' must not contain"),
])
def test_argument_errors(model_dir, kwargs, error, match):
    with pytest.raises(error, match=match):
        compare(catalogue(), model=model_dir, **kwargs)


@pytest.mark.parametrize(("table", "kwargs", "error", "match"), [
    ([1.0, 2.0], {}, TypeError, r"argument 'table' must be an astropy Table .* got list"),
    (None, {"seed": "7"}, TypeError, r"argument 'seed' must be None, an integer >= 0.*got str"),
    (None, {"seed": -1}, ValueError, r"argument 'seed' must be >= 0, got -1"),
    (None, {"methods": 3}, TypeError, r"argument 'methods' must be a sequence .* got int"),
    (None, {"jeans_kwargs": ["nfw"]}, TypeError, r"argument 'jeans_kwargs' must be a dict"),
])
def test_argument_types(model_dir, table, kwargs, error, match):
    with pytest.raises(error, match=match):
        compare(catalogue() if table is None else table, model=model_dir, **kwargs)


def test_plot(comparison):
    plt = pytest.importorskip("matplotlib.pyplot")
    fig, ax = plt.subplots()
    try:
        assert comparison.plot(ax=ax) is ax
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels[:2] == ["network (MDCNN)", "Jeans (emcee)"]
        assert "network (MDCNN) epistemic band" in labels and "NFW cusp (-1)" in labels
        assert ax.get_legend().get_title().get_text() == comparison.agreement()
        curves = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
        assert len(curves) == 2
        np.testing.assert_allclose(curves[1].get_ydata(), comparison["jeans"].pdf)
    finally:
        plt.close(fig)


def test_cli_compare(model_dir, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "galaxy.fits"
    Table(catalogue()).write(path)  # galaxy parameters travel in the FITS header
    plot, out = tmp_path / "compare.png", tmp_path / "compare.ecsv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DMProfileWarning)
        code = main(["compare", str(path), "--model", str(model_dir), "--n-passes", "10",
                     "--halo", "nfw", "--anisotropy", "isotropic", "--nwalkers", "8",
                     "--nsteps", "150", "--tracer", "r_half", "--seed", "7", "--no-progress",
                     "--plot", str(plot), "--output", str(out)])
    assert code == 0
    stdout = capsys.readouterr().out
    assert "<Comparison of 2 method(s)" in stdout and "wall_time" in stdout
    assert plot.stat().st_size > 1000
    table = QTable.read(out)
    assert list(table["method"]) == ["network", "jeans"] and table.meta["seed"] == 7
    # same seed and settings as the fixture: the same numbers
    comparison = _compare(model_dir, seed=7)
    np.testing.assert_allclose(table["mode"], [comparison[m].mode for m in ("network", "jeans")])
    assert main(["compare", str(tmp_path / "missing.fits")]) == 1


@pytest.mark.slow
def test_local_group_example(model_dir, tmp_path):
    """examples/local_group_dwarfs.py runs end to end (one galaxy, very short chains)."""
    import importlib.util
    from pathlib import Path

    pytest.importorskip("matplotlib")
    path = Path(__file__).parents[1] / "examples" / "local_group_dwarfs.py"
    spec = importlib.util.spec_from_file_location("local_group_dwarfs", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = tmp_path / "lg"
    example.main(["--model", str(model_dir), "--out-dir", str(out), "--galaxies", "carina",
                  "--nwalkers", "20", "--nsteps", "40", "--n-passes", "5"])
    table = QTable.read(out / "local_group_dwarfs.ecsv")
    assert list(table["galaxy"]) == ["Carina"] and table["n_stars"][0] == 780
    assert table["gravsphere"][0] == -1.23 and table["paper_network"][0] == -1.06
    post = SlopePosterior.read(out / "posteriors" / "carina_network.fits")
    np.testing.assert_allclose(table["network"][0], post.mode)
    text = (out / "local_group_dwarfs.md").read_text()
    assert "| Carina | 780 | -1.23 +0.39/-0.35 | -1.06 |" in text
    assert (out / "local_group_dwarfs.png").stat().st_size > 1000
