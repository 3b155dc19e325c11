"""A mock disc galaxy end to end: suite -> small ensemble -> infer -> mass profile vs truth.

The picture of docs/discs_tutorial.rst. A small training suite of mock disc galaxies (the
default disc prior on a 32 x 32 grid, 3,000 star and 3,000 gas particles per galaxy, all eight
channels), a 3-member bootstrap ensemble of a small CNN with the Gaussian NLL loss, its
evaluation against the two baselines on the held-out galaxies, and one held-out galaxy: the
network's enclosed dark-matter mass, the truth, and the NFW fit of its rotation curve
(`dmprofile.classical.fit_rotation_curve` on the true circular-velocity components at 12
radii with 5 km/s errors: the classical method at its best).

A demonstration, not a benchmark: the suite is far too small for accurate networks (the
bundled models need ``dmprofile simulate discs --n-galaxies 3000``, see docs/nets.rst).

Run from the repository root: ``MPLBACKEND=Agg .venv/bin/python examples/disc_mass_profile.py``
(about 3 minutes on 2 cores). It writes docs/_static/disc_mass_profile.png; ``--keep DIR`` keeps
the suite and the ensemble in DIR.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import astropy.units as u
import matplotlib.pyplot as plt
import numpy as np
from astropy.table import QTable

import dmprofile
from dmprofile.classical import fit_rotation_curve
from dmprofile.nets import evaluate_mass, train_mass
from dmprofile.observe import CHANNELS
from dmprofile.simulate import DefaultDiscPrior
from dmprofile.suites import generate_disc_suite, read_suite

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "_static" / "disc_mass_profile.png"
#: A small CNN (two strided 3x3 convolutions, one dense layer) for 32 x 32 inputs.
SMALL = {"conv": [[16, 3, 2, True], [32, 3, 2, True]], "dense": [64], "dropout_rate": 0.1}


def make_prior(npix=32):
    instrument = dict(DefaultDiscPrior().instrument)
    instrument.pop("name")
    instrument["npix"] = npix
    return DefaultDiscPrior(instrument=instrument)


def rotation_curve(galaxy, seed=0):
    """Return the true circular-velocity components at 12 radii, v_obs with 5 km/s errors."""
    radius = np.geomspace(1.5, 30.0, 12) * u.kpc
    parts = galaxy.circular_velocity(radius, components=True)
    rng = np.random.default_rng(seed)
    err = np.full(radius.size, 5.0) * u.km / u.s
    return QTable({"radius": radius, "v_obs": parts["total"] + rng.normal(0, 5, radius.size)
                   * u.km / u.s, "v_err": err, "v_gas": parts["gas"],
                   "v_disk": parts["disc"], "v_bul": parts["bulge"]})


def main(work):
    t0 = time.perf_counter()
    suite_dir = generate_disc_suite(work / "suite", n_galaxies=150, realisations=2, seed=1,
                                    prior=make_prior(), n_stars=3000, n_gas=3000, workers=2,
                                    progress=False)
    print(f"suite: {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    ensemble = train_mass(suite_dir, work / "ensemble", architecture=SMALL, loss="gaussian_nll",
                          n_members=3, epochs=40, batch_size=16, patience=8,
                          learning_rate=1e-3, seed=0, progress=False)
    print(f"ensemble: {time.perf_counter() - t0:.0f} s")
    report = evaluate_mass(suite_dir, ensemble, work / "evaluation")
    k10 = int(np.argmin(np.abs(report["radius"].to_value(u.kpc) - 10.0)))
    print(f"held-out rows: {report.meta['n_rows']}; RMSE at {report['radius'][k10]:.3g}: "
          f"network {report['rmse'][k10]:.3f} dex, M*-only {report['rmse_mstar_only'][k10]:.3f}"
          f", training median {report['rmse_training_median'][k10]:.3f}")

    suite = read_suite(suite_dir)
    split = json.loads((ensemble.members[0].path / "split.json").read_text())
    row = int(np.flatnonzero(np.isin(suite.truth["galaxy_id"], split["test"]))[0])
    obs = suite.observation(row)  # the held-out galaxy, regenerated exactly
    profile = dmprofile.infer_mass_profile({c: obs[c.upper()] for c in CHANNELS},
                                           model=ensemble, seed=0)
    galaxy = suite.galaxy(row)
    truth = suite.truth[row]
    fit = fit_rotation_curve(rotation_curve(galaxy), seed=0, nsteps=3000, burn=1000,
                             distance=float(truth["prior_distance"]) * u.Mpc,
                             inclination=float(truth["prior_inclination"]) * u.deg)

    fig, ax = plt.subplots(figsize=(5.2, 3.8), layout="constrained")
    profile.plot(ax=ax, color="C0", label="CNN ensemble (68%, 95%)")
    fit.mass_profile().plot(ax=ax, color="C1", ls=":", label="rotation-curve NFW fit")
    r = profile.radius
    ax.plot(r, galaxy.dark_mass(r).to_value(u.Msun), "k--", lw=1, label="truth")
    ax.set_title(f"held-out mock galaxy {int(truth['galaxy_id'])}: "
                 f"log M* = {float(truth['prior_log_mstar']):.2f}", fontsize=9)
    ax.legend(fontsize=8)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUTPUT, dpi=90)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", default=None, metavar="DIR",
                        help="keep the suite and ensemble here")
    args = parser.parse_args()
    if args.keep:
        main(Path(args.keep))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
