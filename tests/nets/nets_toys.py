"""Helpers of the dmprofile.nets tests: a toy suite with a learnable slope, a tiny network."""

import hashlib
from types import SimpleNamespace

import numpy as np
from astropy.table import Table

#: A tiny network, so that the tests train in seconds on one core.
TINY = {"filters": (4, 8), "dense_units": (16, 8, 8), "dropout_rate": 0.2}
BINS = 16


def make_toy_suite(n_galaxies=30, n_projections=3, *, bins=BINS, seed=0):
    """Images of star samples whose spatial and velocity spreads depend on gamma_150.

    Mimics the suite reader's DwarfSuite: ``images`` (n, 2, bins, bins) float32 with unit-sum
    images, ``truth`` with galaxy_id, projection, gamma_150, n_stars, r_half and p98.
    """
    rng = np.random.default_rng(seed)
    rows, images = [], []
    for gid in range(n_galaxies):
        gamma = rng.uniform(-1.5, 0.0)
        r_half = rng.uniform(0.1, 1.0)
        for proj in range(n_projections):
            n = int(np.exp(rng.uniform(np.log(100), np.log(3000))))
            width = 0.3 + 0.5 * (-gamma)
            xy = rng.normal(0.0, width, (n, 2))
            radius = np.abs(rng.normal(0.0, 0.3 + 0.3 * (-gamma), n))
            v = rng.normal(0.0, 0.25 + 0.15 * (-gamma), n)
            im0, _, _ = np.histogram2d(xy[:, 0], xy[:, 1], bins=bins, range=((-2, 2), (-2, 2)))
            im1, _, _ = np.histogram2d(radius, v, bins=bins, range=((0, 1), (-1, 1)))
            images.append(np.stack([im0 / im0.sum(), im1 / im1.sum()]).astype(np.float32))
            rows.append((gid + 1000, proj, gamma, n, r_half, rng.uniform(5.0, 50.0)))
    truth = Table(rows=rows, names=("galaxy_id", "projection", "gamma_150", "n_stars", "r_half",
                                    "p98"))
    truth["r_half"].unit = "kpc"
    truth["p98"].unit = "km / s"
    images = np.stack(images)
    checksum = hashlib.sha256(images.tobytes()).hexdigest()
    return SimpleNamespace(images=images, truth=truth, checksum=checksum,
                           manifest={"prior": {"name": "toy prior", "gamma_150": [-1.5, 0.0]},
                                     "n_galaxies": n_galaxies})


TRAIN_KWARGS = {"epochs": 3, "batch_size": 16, "seed": 0, "patience": 5, "val_fraction": 0.2,
                "test_fraction": 0.2, "architecture": TINY, "progress": False,
                "validation_passes": 5}
