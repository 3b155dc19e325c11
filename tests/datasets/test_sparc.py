"""Bundled SPARC rotation curves and galaxy table (Lelli, McGaugh & Schombert 2016)."""

import hashlib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.table import QTable, Table
from astropy.tests.helper import assert_quantity_allclose

from dmprofile.datasets import sparc, sparc_table

KMS = u.km / u.s
UPSTREAM = Path(__file__).resolve().parents[3] / "shared" / "data" / "sparc"
CURVE_COLUMNS = ["radius", "v_obs", "v_err", "v_gas", "v_disk", "v_bul", "sb_disk", "sb_bul"]


def test_table_has_175_galaxies_with_units():
    t = sparc_table()
    assert isinstance(t, QTable) and len(t) == 175
    assert np.bincount(np.asarray(t["quality"]))[1:].tolist() == [99, 64, 12]
    assert t["distance"].unit == u.Mpc and t["inclination"].unit == u.deg
    assert t["r_disk"].unit == u.kpc and t["v_flat"].unit == KMS
    assert t["luminosity_36"].unit.is_equivalent(u.Lsun)
    row = t.loc["NGC2403"]
    assert_quantity_allclose(row["distance"], 3.16 * u.Mpc)
    assert_quantity_allclose(row["luminosity_36"], 10.041e9 * u.Lsun)
    assert row["hubble_type"] == 6 and row["quality"] == 1


@pytest.mark.parametrize("name", ["NGC2403", "ngc2403", " NGC 2403 ", "ngc_2403"])
def test_curve_columns_units_and_meta(name):
    c = sparc(name)
    assert isinstance(c, QTable) and c.colnames == CURVE_COLUMNS
    assert len(c) == 73
    for col in CURVE_COLUMNS[:6]:
        assert c[col].unit == (u.kpc if col == "radius" else KMS)
    assert np.all(np.diff(c["radius"].value) > 0) and np.all(c["v_err"] > 0 * KMS)
    meta = c.meta
    assert meta["galaxy"] == "NGC2403"
    assert (meta["distance"], meta["dist_err"], meta["inc"], meta["inc_err"]) == (
        3.16, 0.16, 63.0, 3.0)
    assert meta["quality"] == 1 and meta["r_disk"] == 1.39 and meta["l36"] == 10.041
    assert meta["m_hi"] == 3.199 and meta["ref_data"] == "2016AJ....152..157L"
    assert all(len(key) <= 8 for key in meta)


def test_leading_zeros_and_signed_gas():
    assert sparc("UGC 2487").meta["galaxy"] == "UGC02487"
    # SPARC's gas velocities are negative where the gas pulls outwards
    tables = [sparc(n) for n in sparc_table()["galaxy"][:40]]
    assert any(np.any(t["v_gas"] < 0 * KMS) for t in tables)


def test_every_galaxy_matches_table_and_total_points():
    t = sparc_table()
    total = 0
    for name in t["galaxy"][::7]:
        c = sparc(name)
        assert c.meta["distance"] == t.loc[name]["distance"].to_value(u.Mpc)
        total += len(c)
    assert total > 100


@pytest.mark.parametrize("name", ["NGC9999", "", "Fornax"])
def test_unknown_galaxy(name):
    with pytest.raises(ValueError, match="unknown SPARC galaxy"):
        sparc(name)


def test_fits_round_trip_keeps_meta(tmp_path):
    c = sparc("NGC6195")
    c.write(tmp_path / "c.fits")
    back = Table.read(tmp_path / "c.fits")
    assert back.meta["DISTANCE"] == c.meta["distance"]
    assert back.meta["INC_ERR"] == c.meta["inc_err"]


def test_bundled_files_match_provenance_checksums():
    folder = resources.files("dmprofile") / "data" / "sparc"
    text = (folder / "PROVENANCE.md").read_text()
    for name in ("sparc_table1.ecsv.gz", "sparc_massmodels.ecsv.gz"):
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert f"`{name}` | `{digest}`" in text


@pytest.mark.skipif(not (UPSTREAM / "sparc_table1.csv").exists(), reason="upstream SPARC absent")
def test_bundle_rebuilds_from_upstream_and_matches_rotmod_files(tmp_path):
    from dmprofile.datasets._sparc_build import write_bundle

    digests = write_bundle(UPSTREAM, tmp_path)
    folder = resources.files("dmprofile") / "data" / "sparc"
    for name, digest in digests.items():
        assert digest == hashlib.sha256((folder / name).read_bytes()).hexdigest()
    # the per-galaxy Rotmod files hold the same curves
    for name in ("NGC2403", "NGC6195", "UGC02487", "DDO154"):
        raw = np.loadtxt(UPSTREAM / "Rotmod_LTG" / f"{name}_rotmod.dat")
        c = sparc(name)
        np.testing.assert_allclose(raw[:, 0], c["radius"].to_value(u.kpc))
        np.testing.assert_allclose(raw[:, 1:6], np.column_stack(
            [c[k].to_value(KMS) for k in ("v_obs", "v_err", "v_gas", "v_disk", "v_bul")]))
        head = (UPSTREAM / "Rotmod_LTG" / f"{name}_rotmod.dat").read_text().splitlines()[0]
        assert float(head.split("=")[1].split()[0]) == c.meta["distance"]
