"""Bootstrap ensembles of mass networks: resampling, percentiles, training, files."""

import json

import numpy as np
import pytest
from mass_toys import TINY, make_mass_suite
from scipy.special import ndtr
from scipy.stats import norm

from dmprofile.nets import bootstrap_rows, ensemble_quantiles


def test_bootstrap_keeps_the_realisations_of_a_galaxy_together():
    galaxy_ids = np.repeat(np.arange(50), 3)
    train = np.flatnonzero(galaxy_ids < 40)
    rows = bootstrap_rows(train, galaxy_ids, seed=1, member=0)
    assert rows.size == train.size and np.all(np.isin(rows, train))
    counts = np.bincount(rows, minlength=galaxy_ids.size)
    per_galaxy = counts.reshape(50, 3)
    assert np.all(per_galaxy == per_galaxy[:, :1])  # all realisations drawn alike
    assert np.all(per_galaxy[40:] == 0)             # never a held-out galaxy
    assert 0 < np.sum(per_galaxy[:40, 0] == 0) < 40  # with replacement: some left out
    np.testing.assert_array_equal(rows, bootstrap_rows(train, galaxy_ids, seed=1, member=0))
    assert not np.array_equal(rows, bootstrap_rows(train, galaxy_ids, seed=1, member=1))


def test_mse_percentiles_are_numpys():
    means = np.random.default_rng(0).normal(11, 0.2, (7, 3, 20))
    q = ensemble_quantiles(means)
    np.testing.assert_allclose(q, np.percentile(means, [2.5, 16, 50, 84, 97.5], axis=0))


def test_one_gaussian_gives_its_quantiles():
    mean = np.full((1, 2, 20), 11.0)
    sigma = np.full((1, 2, 20), 0.3)
    q = ensemble_quantiles(mean, sigma)
    expected = norm.ppf([0.025, 0.16, 0.5, 0.84, 0.975], 11.0, 0.3)
    np.testing.assert_allclose(q[:, 0, 0], expected, atol=1e-9)


def test_mixture_quantiles_invert_the_mixture_cdf():
    rng = np.random.default_rng(2)
    means = rng.normal(11, 0.3, (5, 4, 20))
    sigmas = rng.uniform(0.05, 0.4, (5, 4, 20))
    q = ensemble_quantiles(means, sigmas)
    cdf = np.mean(ndtr((q[:, None] - means[None]) / sigmas[None]), axis=1)
    probs = np.array([0.025, 0.16, 0.5, 0.84, 0.975])[:, None, None]
    np.testing.assert_allclose(cdf, np.broadcast_to(probs, cdf.shape), atol=1e-9)
    # against samples of the mixture at one radius
    k = rng.integers(0, 5, 200_000)
    draws = rng.normal(means[k, 0, 3], sigmas[k, 0, 3])
    np.testing.assert_allclose(q[:, 0, 3], np.percentile(draws, [2.5, 16, 50, 84, 97.5]),
                               atol=0.01)
    # the mixture is wider than the spread of the means alone
    assert np.all(q[4] - q[0] > ensemble_quantiles(means)[4] - ensemble_quantiles(means)[0])


@pytest.fixture(scope="module")
def ensemble_dir(tmp_path_factory):
    pytest.importorskip("keras")
    from dmprofile.nets import BootstrapEnsemble, TrainingConfig

    out = tmp_path_factory.mktemp("ens") / "ensemble"
    config = TrainingConfig(epochs=1, batch_size=4, seed=5, val_fraction=0.2,
                            test_fraction=0.2, progress=False)
    BootstrapEnsemble.train(make_mass_suite(n_galaxies=10), out, n_members=2,
                            channels=("r", "mom1"), architecture=TINY, loss="gaussian_nll",
                            config=config)
    return out


@pytest.mark.slow
def test_ensemble_train_predict_and_skip(ensemble_dir):
    from astropy import units as u

    from dmprofile.nets import BootstrapEnsemble, TrainingConfig
    from dmprofile.results import MassProfile

    ens = BootstrapEnsemble.load(ensemble_dir)
    assert len(ens) == 2 and ens.channels == ("r", "mom1") and ens.loss == "gaussian_nll"
    cards = [m.card for m in ens.members]
    assert cards[0]["split"]["sha256"] == cards[1]["split"]["sha256"]  # one split
    assert cards[0]["training"]["seed"] != cards[1]["training"]["seed"]
    suite = make_mass_suite(n_galaxies=10)
    profiles = ens.predict(suite.images[:3, [2, 6]])
    assert len(profiles) == 3 and isinstance(profiles[0], MassProfile)
    assert profiles[0].quantity == "enclosed_mass" and len(profiles[0].radius) == 20
    pred = ens.predict_log10(suite.images[:3, [2, 6]])
    np.testing.assert_allclose(profiles[1].median.to_value(u.Msun), 10 ** pred["median"][1])
    np.testing.assert_allclose(pred["median"], ensemble_quantiles(
        pred["member_mean"], pred["member_sigma"])[2])
    # finished members are not trained again
    stamp = (ensemble_dir / "member_00" / "model.keras").stat().st_mtime_ns
    BootstrapEnsemble.train(suite, ensemble_dir, n_members=2, channels=("r", "mom1"),
                            architecture=TINY, loss="gaussian_nll",
                            config=TrainingConfig(epochs=1, batch_size=4, seed=5,
                                                  val_fraction=0.2, test_fraction=0.2,
                                                  progress=False))
    assert (ensemble_dir / "member_00" / "model.keras").stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_ensemble_files_are_validated(ensemble_dir, tmp_path):
    import shutil

    from dmprofile.nets import BootstrapEnsemble

    with pytest.raises(FileNotFoundError, match="not found"):
        BootstrapEnsemble.load(tmp_path / "nothing")
    copy = tmp_path / "copy"
    shutil.copytree(ensemble_dir, copy)
    card_path = copy / "ensemble.json"
    card = json.loads(card_path.read_text())
    card_path.write_text(json.dumps({**card, "format_version": 99}))
    with pytest.raises(ValueError, match="format version 99"):
        BootstrapEnsemble.load(copy)
    card_path.write_text("{not json")
    with pytest.raises(ValueError, match="corrupt"):
        BootstrapEnsemble.load(copy)
    card_path.write_text(json.dumps(card))
    member_card = copy / "member_01" / "model_card.json"
    member_card.write_text(member_card.read_text().replace('"seed"', '"seed" ', 1))
    with pytest.raises(ValueError, match="member member_01 changed"):
        BootstrapEnsemble.load(copy)
    shutil.rmtree(copy / "member_01")
    with pytest.raises(FileNotFoundError, match="member_01 is missing"):
        BootstrapEnsemble.load(copy)
    (copy / "ensemble.json").unlink()
    with pytest.raises(FileNotFoundError, match="has no ensemble.json"):
        BootstrapEnsemble.load(copy)
    ens = BootstrapEnsemble.load(ensemble_dir)
    with pytest.raises(ValueError, match="lacks the channel"):
        ens.predict({"r": np.zeros((16, 16))})
    with pytest.raises(ValueError, match="channel.*mom1"):
        ens.predict(np.full((2, 16, 16), np.nan))


@pytest.mark.slow
def test_ensemble_one_member_per_dask_task(tmp_path):
    pytest.importorskip("keras")
    distributed = pytest.importorskip("dask.distributed")
    from dmprofile.nets import BootstrapEnsemble, TrainingConfig

    config = TrainingConfig(epochs=1, batch_size=4, seed=1, val_fraction=0.2,
                            test_fraction=0.2, progress=False)
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=":0") as client:
        ens = BootstrapEnsemble.train(make_mass_suite(n_galaxies=10), tmp_path / "e",
                                      n_members=2, channels=("r",), architecture=TINY,
                                      config=config, client=client)
    seeds = [int(np.random.SeedSequence(1, spawn_key=(5, k)).generate_state(1)[0])
             for k in range(2)]
    assert [m.card["training"]["seed"] for m in ens.members] == seeds
    assert ens.members[0].card["split"]["seed"] == ens.members[1].card["split"]["seed"] == 1
    assert ens.loss == "mse" and ens.predict_log10(np.zeros((1, 1, 16, 16)))[
        "member_sigma"] is None
