"""Loading models: the bundled default, missing, truncated, corrupt and incompatible files."""

import json
import shutil

import numpy as np
import pytest

pytest.importorskip("keras")

from dmprofile.nets import SlopeModel, _io, load_model  # noqa: E402


@pytest.fixture
def model_copy(trained_model_dir, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(trained_model_dir, out, ignore=shutil.ignore_patterns("checkpoints"))
    return out


def edit_card(directory, **changes):
    path = directory / "model_card.json"
    card = json.loads(path.read_text())
    card.update(changes)
    path.write_text(json.dumps(card))


def test_load_directory_or_keras_file(trained_model_dir):
    model = load_model(trained_model_dir)
    assert isinstance(model, SlopeModel)
    assert model.bins == 16 and model.n_components == 2
    assert model.card_hash == _io.sha256_file(trained_model_dir / "model_card.json")
    again = load_model(trained_model_dir / "model.keras")
    for a, b in zip(model.keras_model.get_weights(), again.keras_model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert "SlopeModel" in repr(model) and "(2, 16, 16)" in repr(model)


def test_default_model_missing_says_how_to_train(monkeypatch, tmp_path):
    monkeypatch.setattr(_io, "_default_model_dir", lambda: tmp_path / "slope_default")
    with pytest.raises(FileNotFoundError, match="default slope model is not installed.*"
                                                "dmprofile train slope"):
        load_model("default")


def test_default_model_is_found_where_bundled(monkeypatch, model_copy):
    monkeypatch.setattr(_io, "_default_model_dir", lambda: model_copy)
    model = load_model("default")
    assert model.name == "default"


@pytest.mark.parametrize("name", ["does/not/exist", "nonexistent_model"])
def test_missing_path(name):
    with pytest.raises(FileNotFoundError, match="not found.*dmprofile train slope"):
        load_model(name)


def test_wrong_type():
    with pytest.raises(TypeError, match="must be 'default' or a path"):
        load_model(3)


def test_missing_model_file(model_copy):
    (model_copy / "model.keras").unlink()
    with pytest.raises(FileNotFoundError, match="model.keras is missing"):
        load_model(model_copy)


def test_missing_card(model_copy):
    (model_copy / "model_card.json").unlink()
    with pytest.raises(FileNotFoundError, match="has no model_card.json"):
        load_model(model_copy)


@pytest.mark.parametrize("with_checksum", [True, False])
def test_truncated_model_file(model_copy, with_checksum):
    path = model_copy / "model.keras"
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    if not with_checksum:  # detected by the archive check / Keras itself
        card = json.loads((model_copy / "model_card.json").read_text())
        del card["model_sha256"]
        (model_copy / "model_card.json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_model(model_copy)


def test_truncated_card(model_copy):
    path = model_copy / "model_card.json"
    text = path.read_text()
    path.write_text(text[:len(text) // 2])
    with pytest.raises(ValueError, match="corrupt or truncated"):
        load_model(model_copy)


@pytest.mark.parametrize(("changes", "match"), [
    ({"format_version": 99}, "format version 99.*incompatible"),
    ({"format": "something-else"}, "not a dmprofile slope model card"),
    ({"input": {"shape": [2, 64, 64], "bins": 64}}, r"input shape \(2, 16, 16\) does not match"),
    ({"output": {"n_components": 3}}, "3-component mixture"),
    ({"output": None}, "lacks required entries"),
])
def test_incompatible_card(model_copy, changes, match):
    edit_card(model_copy, **changes)
    with pytest.raises(ValueError, match=match):
        load_model(model_copy)


def test_predict_checks_image_shape(trained_model_dir):
    model = load_model(trained_model_dir)
    with pytest.raises(ValueError, match=r"images must have shape \(2, 16, 16\)"):
        model.predict_mixtures(np.zeros((2, 64, 64)), n_passes=2)
    with pytest.raises(ValueError, match="n_passes must be >= 1"):
        model.predict_mixtures(np.zeros((2, 16, 16)), n_passes=0)
    with pytest.raises(ValueError, match="finite"):
        model.predict_mixtures(np.full((2, 16, 16), np.nan), n_passes=2)


def test_posterior_is_mean_of_pass_mixtures(trained_model_dir, toy_suite):
    from scipy import integrate, stats

    model = load_model(trained_model_dir)
    post = model.posterior(toy_suite.images[0], n_passes=30, seed=5)
    passes = model.predict_mixtures(toy_suite.images[0], n_passes=30, seed=5)
    # independent reference: average the per-pass mixtures with scipy, normalise on the grid
    pdfs = (passes.weights[:, :, None] * stats.norm.pdf(post.grid, passes.means[:, :, None],
                                                        passes.sigmas[:, :, None])).sum(axis=1)
    ref = pdfs.mean(axis=0)
    ref /= integrate.trapezoid(ref, post.grid)
    np.testing.assert_allclose(post.pdf, ref, rtol=1e-6, atol=1e-9 * ref.max())
    assert post.meta["n_passes"] == 30 and post.meta["seed"] == 5
    grid, mean, std = model.pass_pdfs(toy_suite.images[:3], n_passes=30, seed=5)
    np.testing.assert_allclose(mean[0], pdfs.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(std[0], pdfs.std(axis=0), rtol=1e-6, atol=1e-12)
    batch = model.posterior(toy_suite.images[:3], n_passes=30, seed=5)
    assert len(batch) == 3
