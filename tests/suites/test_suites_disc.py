"""The disc-galaxy recipe on the generic engine (tiny galaxies, coarse grids)."""

import numpy as np
import pytest

from dmprofile.simulate import DISC_RADII, DefaultDiscPrior
from dmprofile.suites import DiscRecipe, DiscSuite, GalaxyStreams, generate_disc_suite, read_suite


def _prior(npix=16):
    instrument = dict(DefaultDiscPrior().instrument)
    instrument.pop("name")
    instrument["npix"] = npix
    return DefaultDiscPrior(instrument=instrument)


TINY = {"n_stars": 400, "n_gas": 400, "channels": ("r", "mom0", "mom1")}


def test_recipe_simulates_one_galaxy():
    recipe = DiscRecipe(realisations=2, prior=_prior(), **TINY)
    data = recipe.simulate(3, GalaxyStreams(7, 3))
    images = data.arrays["IMAGES"]
    assert images.shape == (2, 3, 16, 16) and images.dtype == np.float16
    assert np.all(np.isfinite(images))
    rows = data.tables["TRUTH"]
    assert [r["realisation"] for r in rows] == [0, 1]
    assert len(rows[0]["log_mdm"]) == len(DISC_RADII) == 20
    assert np.all(np.diff(rows[0]["log_mdm"]) > 0)
    # one galaxy, two observations: same galaxy truth, different orientation and noise
    assert rows[0]["log_mdm"] == rows[1]["log_mdm"]
    assert rows[0]["prior_inclination"] != rows[1]["prior_inclination"]
    assert rows[0]["observe_seed"] != rows[1]["observe_seed"]
    again = recipe.simulate(3, GalaxyStreams(7, 3))
    np.testing.assert_array_equal(again.arrays["IMAGES"], images)


def test_recipe_arguments_are_checked():
    with pytest.raises(ValueError, match="argument 'channels'"):
        DiscRecipe(channels=("r", "h_alpha"))
    with pytest.raises(ValueError, match="argument 'channels'"):
        DiscRecipe(channels=("r", "r"))
    with pytest.raises(TypeError, match="argument 'prior' must be a DefaultDiscPrior"):
        DiscRecipe(prior=object())
    with pytest.raises(ValueError, match="realisations"):
        DiscRecipe(realisations=0)


@pytest.mark.slow
def test_generate_read_back_any_workers(tmp_path):
    kwargs = {"n_galaxies": 3, "realisations": 2, "seed": 11, "chunk_size": 2,
              "prior": _prior(), "progress": False, **TINY}
    one = generate_disc_suite(tmp_path / "one", workers=1, **kwargs)
    two = generate_disc_suite(tmp_path / "two", workers=2, **kwargs)
    a, b = read_suite(one), read_suite(two)
    assert isinstance(a, DiscSuite) and a.checksum == b.checksum
    assert a.images.shape == (6, 3, 16, 16) and a.channels == TINY["channels"]
    assert a.radii.unit == "kpc" and len(a.radii) == 20
    assert a.truth["log_mdm"].shape == (6, 20)
    train, val, test = a.split()
    assert sorted(np.concatenate([train, val, test])) == list(range(6))
    for part in (train, val, test):
        assert len(set(a.truth["galaxy_id"][part]) & set(a.truth["galaxy_id"][
            np.setdiff1d(np.arange(6), part)])) == 0
    # a row is regenerated exactly from its seeds and prior draw
    from dmprofile.observe import stack_channels

    redo = stack_channels(a.observation(3), a.channels).astype(np.float16)
    np.testing.assert_array_equal(redo, a.images[3])
    assert "DiscSuite 6 realisations" in repr(a)


@pytest.mark.slow
def test_command_line(tmp_path, capsys):
    from dmprofile.cli import main

    out = tmp_path / "discs"
    code = main(["simulate", "discs", "--n-galaxies", "1", "--realisations", "1", "--out",
                 str(out), "--n-stars", "300", "--n-gas", "300", "--channels", "r,mom1",
                 "--workers", "1", "--no-progress", "--instrument", "paper"])
    assert code == 0
    text = capsys.readouterr().out
    assert "wrote 1 realisations" in text and "sha256" in text
    suite = read_suite(out)
    assert suite.channels == ("r", "mom1") and suite.images.shape == (1, 2, 128, 128)
    assert suite.prior.instrument["name"] == "paper"


def test_command_line_prior_changes_are_checked(tmp_path):
    from dmprofile.cli import main

    for bad, match in [("[1, 2]", "JSON object"), ("{x", "JSON object"),
                       ('{"core_scale": 0}', "unknown prior parameter"),
                       ('{"dc14_core_scale": -1}', "dc14_core_scale")]:
        with pytest.raises(SystemExit, match=match):
            main(["simulate", "discs", "--n-galaxies", "1", "--out", str(tmp_path / "bad"),
                  "--prior", bad])
    assert not (tmp_path / "bad").exists()
