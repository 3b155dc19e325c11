"""Bundled Walker et al. (2009) velocities and LVDB structural parameters."""

import hashlib
import warnings
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.table import QTable, Table
from astropy.tests.helper import assert_quantity_allclose

from dmprofile.datasets import WALKER2009_GALAXIES, dsph_structure, walker2009
from dmprofile.kinematics import estimate_systemic_velocity, phase_space_images

KMS = u.km / u.s

# Upstream PROVENANCE.md (../shared/data/walker2009): members with Mmb > 0.5, ML mean and
# dispersion with the VizieR star-table velocities.
PROVENANCE = {"carina": (780, 222.8, 6.7), "fornax": (2536, 54.8, 11.8),
              "sculptor": (1370, 111.1, 9.2), "sextans": (449, 224.0, 7.8)}
# Published systemic velocities (Walker et al. 2009), as quoted by LVDB v1.0.5.
PUBLISHED_V_SYS = {"carina": 222.9, "fornax": 55.2, "sculptor": 111.4, "sextans": 224.3}
TOTAL = {"carina": 1982, "fornax": 2633, "sculptor": 1541, "sextans": 947}
UPSTREAM = Path(__file__).resolve().parents[3] / "shared" / "data" / "walker2009"


@pytest.mark.parametrize("name", list(PROVENANCE))
def test_member_counts_and_kinematics_match_provenance(name):
    n, mean, sigma = PROVENANCE[name]
    t = walker2009(name)
    assert len(t) == n
    assert np.all(t["p_member"] >= 0.5)
    # The VizieR star table truncates single-spectrum velocities to whole km/s; with those
    # values the ML fit reproduces the upstream figures to their quoted precision ...
    single = t["n_spec"] == 1
    v_catalogue = np.where(single, np.trunc(t["v_los"].to_value(KMS)), t["v_los"].to_value(KMS))
    fit = estimate_systemic_velocity(v_catalogue * KMS, t["v_err"])
    assert abs(fit.v_sys.to_value(KMS) - mean) <= 0.05 + 1e-9
    assert abs(fit.sigma.to_value(KMS) - sigma) <= 0.05 + 1e-9
    # ... while the bundled 0.1 km/s velocities shift the mean by < 0.4 km/s, within
    # 3 sigma of the published systemic velocity, and leave the dispersion unchanged.
    bundled = estimate_systemic_velocity(t["v_los"], t["v_err"])
    assert abs(bundled.v_sys.to_value(KMS) - mean) < 0.4
    assert abs(bundled.v_sys.to_value(KMS) - PUBLISHED_V_SYS[name]) < 3 * bundled.v_sys_err.value
    assert abs(bundled.sigma.to_value(KMS) - sigma) < 0.1


@pytest.mark.parametrize("name", ["Fornax", "CARINA", " sculptor ", "sextans"])
def test_columns_units_and_meta(name):
    t = walker2009(name)
    assert isinstance(t, QTable)
    assert t.colnames == ["target", "ra", "dec", "v_los", "v_err", "p_member", "n_spec"]
    for col, unit in (("ra", u.deg), ("dec", u.deg), ("v_los", KMS), ("v_err", KMS)):
        assert t[col].unit == unit
    assert np.all(np.isfinite(t["v_err"])) and np.all(t["v_err"] > 0)
    prefix = WALKER2009_GALAXIES[name.strip().lower()]
    assert all(str(s).startswith(prefix + "-") for s in t["target"])
    meta = t.meta
    for key in ("ra_cen", "dec_cen", "distance", "ellip", "pa", "r_half", "v_sys", "ref_kin",
                "ref_str", "ref_dist"):
        assert key in meta and len(key) <= 8
    assert meta["ref_kin"] == "2009AJ....137.3100W"
    # circularised half-light radius = major-axis radius * sqrt(1 - ellipticity) (LVDB rounding)
    np.testing.assert_allclose(meta["r_half"], meta["rh_major"] * np.sqrt(1 - meta["ellip"]),
                               rtol=0.01)
    # the centre lies among the stars
    assert abs(np.median(t["ra"].value) - meta["ra_cen"]) < 0.2
    assert abs(np.median(t["dec"].value) - meta["dec_cen"]) < 0.2


def test_single_spectrum_stars_use_per_spectrum_errors():
    t = walker2009("carina", member_threshold=None)
    assert len(t) == TOTAL["carina"]
    single = t["n_spec"] == 1
    assert np.count_nonzero(single) > 0
    assert np.all(np.isfinite(t["v_err"][single]))
    row = t[list(t["target"]).index("Car-0003")]
    assert_quantity_allclose(row["v_los"], 39.6 * KMS)
    assert_quantity_allclose(row["v_err"], 0.9 * KMS)


@pytest.mark.parametrize(("threshold", "n"), [(None, 2633), (0.0, 2633), (0.99, None), (1.0, None)])
def test_thresholds(threshold, n):
    t = walker2009("fornax", member_threshold=threshold)
    if n is not None:
        assert len(t) == n
    else:
        assert 0 < len(t) < 2536
        assert np.all(t["p_member"] >= threshold)
    assert ("mmb_min" in t.meta) == (threshold is not None)


@pytest.mark.parametrize(("args", "kwargs", "exc", "match"), [
    (("draco",), {}, ValueError, "unknown galaxy 'draco' for walker2009; choose one of carina"),
    (("fornax",), {"member_threshold": 1.5}, ValueError, "'member_threshold' must be in"),
])
def test_errors(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        walker2009(*args, **kwargs)


@pytest.mark.parametrize("name", ["fornax", "sextans"])
def test_fits_round_trip_keeps_meta_for_images(name, tmp_path):
    t = walker2009(name)
    path = tmp_path / f"{name}.fits"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no HIERARCH or skipped-meta warnings
        t.write(path)
    back = Table.read(path)
    a = phase_space_images(t)
    b = phase_space_images(back)
    np.testing.assert_array_equal(a.images, b.images)
    assert set(b.sources.values()) == {"meta"}
    assert_quantity_allclose(b.galaxy_parameters["r_half"], t.meta["r_half"] * u.kpc)
    assert_quantity_allclose(b.galaxy_parameters["distance"], t.meta["distance"] * u.kpc)
    assert b.n_stars == len(t)


def test_images_of_all_four_dwarfs_are_normalised():
    for name in WALKER2009_GALAXIES:
        ims = phase_space_images(walker2009(name), member_threshold=0.5)
        np.testing.assert_allclose(ims.images.sum(axis=(1, 2)), 1.0, rtol=1e-5)


def test_dsph_structure():
    t = dsph_structure()
    assert isinstance(t, QTable) and len(t) == 9
    assert t["distance"].unit == u.kpc and t["rhalf"].unit == u.arcmin
    assert t["position_angle_em"].unit == u.deg
    fornax = t.loc["fornax_1"]
    assert fornax["name"] == "Fornax"
    assert_quantity_allclose(fornax["vlos_systemic"], 55.2 * KMS)
    # major-axis physical radius = angular radius x distance (LVDB rounding: 0.2%)
    assert_quantity_allclose(t["rhalf_physical"],
                             (t["rhalf"].to_value(u.rad) * t["distance"]).to(u.pc), rtol=3e-3)
    meta = walker2009("fornax").meta
    assert meta["distance"] == fornax["distance"].to_value(u.kpc)


def test_bundled_files_match_provenance_checksums():
    folder = resources.files("dmprofile") / "data" / "walker2009"
    text = (folder / "PROVENANCE.md").read_text()
    for name in ("walker2009_mmfs.ecsv.gz", "classical_dsph_structural_lvdb_v1.0.5.csv"):
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert f"{digest}  {name}" in text


@pytest.mark.skipif(not (UPSTREAM / "stars.csv").exists(), reason="upstream VizieR files absent")
def test_bundle_rebuilds_from_upstream(tmp_path):
    from dmprofile.datasets._build import write_bundle

    digests = write_bundle(UPSTREAM, UPSTREAM.parent / "dsph_structure", tmp_path)
    folder = resources.files("dmprofile") / "data" / "walker2009"
    for name, digest in digests.items():
        assert digest == hashlib.sha256((folder / name).read_bytes()).hexdigest()
