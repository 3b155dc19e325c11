"""Fixtures of the dmprofile.nets tests: a toy suite and a tiny model trained on it."""

import pytest

from nets_toys import TRAIN_KWARGS, make_toy_suite

pytest.importorskip("keras")


@pytest.fixture(scope="session")
def toy_suite():
    return make_toy_suite()


@pytest.fixture(scope="session")
def trained_model_dir(toy_suite, tmp_path_factory):
    from dmprofile.nets import train_slope

    out = tmp_path_factory.mktemp("models") / "toy_model"
    train_slope(toy_suite, out, **TRAIN_KWARGS)
    return out


@pytest.fixture(scope="session")
def real_suite_dir(tmp_path_factory):
    """Write a tiny suite with the real generator (16x16 images, a few seconds)."""
    from dmprofile.suites import generate_dwarf_suite

    out = tmp_path_factory.mktemp("suites") / "tiny"
    generate_dwarf_suite(out, n_galaxies=10, projections=2, seed=1, workers=1, progress=False,
                         bins=16)
    return out
