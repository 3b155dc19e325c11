"""Catalogue summaries, their training ranges and the out-of-range warnings (no TensorFlow)."""

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.table import QTable

from dmprofile.datasets import walker2009
from dmprofile.exceptions import DMProfileWarning
from dmprofile.kinematics import (
    MARGINS,
    SUMMARIES,
    StarCatalogue,
    catalogue_summaries,
    check_summaries,
    default_summary_ranges,
    phase_space_images,
    summary_ranges,
)

KMS = u.km / u.s
CARD = (Path(__file__).parents[2] / "dmprofile" / "data" / "models" / "slope_default"
        / "model_card.json")
RANGES = default_summary_ranges()


def plummer(n=2000, *, a=0.3, sigma=10.0, v_sys=50.0, seed=0):
    rng = np.random.default_rng(seed)
    q = rng.uniform(size=n)
    R = a * np.sqrt(q / (1 - q))
    phi = rng.uniform(0, 2 * np.pi, n)
    t = QTable({"x": R * np.cos(phi) * u.kpc, "y": R * np.sin(phi) * u.kpc,
                "v_los": rng.normal(v_sys, sigma, n) * KMS, "v_err": np.full(n, 2.0) * KMS})
    t.meta.update({"r_half": a, "v_sys": v_sys})
    return t


def test_summaries_of_a_plummer_sample():
    s = catalogue_summaries(plummer())
    assert set(s) == set(SUMMARIES)
    assert s["n_stars"] == 2000 and s["r_half"] == pytest.approx(0.3)
    assert s["spread_r_half"] == pytest.approx(1.0, abs=0.08)  # median R = a for a Plummer
    assert abs(s["v_offset_sigma"]) < 0.1
    assert s["v_err_sigma"] == pytest.approx(0.2, rel=0.05)
    assert s["p98"] == pytest.approx(10.0 * 2.326, rel=0.08)  # 98% of |N(0, 10)|
    # no v_err column: no v_err_sigma
    t = plummer()
    del t["v_err"]
    assert "v_err_sigma" not in catalogue_summaries(t)


def test_images_carry_the_summaries_of_their_catalogue():
    t = plummer(seed=1)
    ims = phase_space_images(t)
    assert catalogue_summaries(ims) == catalogue_summaries(t)
    assert catalogue_summaries(StarCatalogue.from_table(t)) == ims.summaries
    with pytest.raises(TypeError, match="galaxy parameters cannot be given"):
        catalogue_summaries(ims, r_half=1 * u.kpc)


def test_summary_ranges():
    ranges = summary_ranges([{"p98": 10.0, "n_stars": 100.0}, {"p98": 30.0, "n_stars": 50.0},
                             {"p98": np.nan}])
    assert ranges["p98"]["min"] == 10.0 and ranges["p98"]["max"] == 30.0
    assert ranges["p98"]["n"] == 2 and ranges["p98"]["unit"] == "km / s"
    assert "spread_r_half" not in ranges


def test_bundled_ranges_match_the_model_card():
    card = json.loads(CARD.read_text())
    assert set(RANGES) == set(SUMMARIES)
    assert RANGES == card["training_ranges"]
    # the broad prior of the bundled model: 30-20,000 stars, r_half 0.1-1 kpc, 24,000 training rows
    assert RANGES["n_stars"]["min"] == 30 and RANGES["n_stars"]["max"] == 19999
    assert RANGES["r_half"]["min"] == pytest.approx(0.1000067, rel=1e-6)
    assert RANGES["n_stars"]["n"] == 24000


def test_check_summaries_wording_and_margins():
    ranges = {"p98": {"min": 5.0, "max": 80.0, "unit": "km / s"},
              "spread_r_half": {"min": 0.7, "max": 1.4, "unit": ""}}
    with pytest.warns(DMProfileWarning, match=re.escape(
            "p98 = 0.028 km / s (velocity scale P98 (98th percentile of |v - v_sys|)) lies "
            "outside the training range [5, 80] km / s of the slope network: the network "
            "extrapolates")) as record:
        assert check_summaries({"p98": 0.028, "spread_r_half": 0.6}, ranges) == ["p98"]
    assert len(record) == 1  # 0.6 is inside the widened range [0.7 / 1.5, 1.4 * 1.5]
    assert MARGINS["spread_r_half"] == ("factor", 1.5)
    with pytest.warns(DMProfileWarning, match=r"spread_r_half = 0\.4 .* \(even widened by a "
                                              r"factor 1\.5\): an unusual value"):
        check_summaries({"spread_r_half": 0.4}, ranges, method="catalogue")
    with pytest.raises(ValueError, match="argument 'method'"):
        check_summaries({}, ranges, method="jeans")


@pytest.mark.parametrize("name", ["carina", "fornax", "sculptor", "sextans"])
@pytest.mark.parametrize("threshold", [0.5, None])
def test_walker2009_dwarfs_are_inside_the_ranges(name, threshold):
    s = catalogue_summaries(walker2009(name, member_threshold=threshold))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DMProfileWarning)
        assert check_summaries(s, RANGES) == []


def _fornax():
    return walker2009("fornax")


def _kms_as_ms(t):
    for name in ("v_los", "v_err"):
        t[name] = t[name].to_value(KMS) * (u.m / u.s)
    t.meta["v_sys"] = t.meta["v_sys"] * u.m / u.s
    return t


def _kms_as_ms_columns_only(t):
    t["v_los"] = t["v_los"].to_value(KMS) * (u.m / u.s)
    return t


def _v_sys_off(t):
    t.meta["v_sys"] += 200.0
    return t


def _radians_as_degrees(t):
    for name in ("ra", "dec"):
        t[name] = np.deg2rad(t[name].to_value(u.deg)) * u.deg
    for key in ("ra_cen", "dec_cen"):
        t.meta[key] = float(np.deg2rad(t.meta[key]))
    return t


def _radians_as_degrees_r_half_estimated(t):
    t = _radians_as_degrees(t)
    del t.meta["r_half"]
    return t


@pytest.mark.parametrize(("mistake", "summary", "value"), [
    (_kms_as_ms, "p98", r"0\.028\d* km / s"),
    (_kms_as_ms_columns_only, "v_offset_sigma", r"-4\d{3}"),
    (_kms_as_ms_columns_only, "v_err_sigma", r"9\d\.\d+"),
    (_v_sys_off, "v_offset_sigma", r"-1\d\.\d+"),
    (_v_sys_off, "p98", r"2\d\d\.?\d* km / s"),
    (_radians_as_degrees, "spread_r_half", r"0\.01\d+"),
    (_radians_as_degrees_r_half_estimated, "r_half", r"0\.01\d+ kpc"),
])
def test_mistakes_are_reported(mistake, summary, value):
    summaries = catalogue_summaries(mistake(_fornax()))
    rng = RANGES[summary]
    unit = f" {rng['unit']}" if rng["unit"] else ""
    expected = (rf"{summary} = {value} \(.*\) lies outside the training range "
                rf"\[{rng['min']:.4g}, {rng['max']:.4g}\]{unit}")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert summary in check_summaries(summaries, RANGES)
    messages = [str(w.message) for w in record if w.category is DMProfileWarning]
    assert len(messages) == len(record) >= 1
    assert any(re.match(expected, m) for m in messages), messages


def test_default_summary_ranges_does_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys; from dmprofile.kinematics import default_summary_ranges as d; "
            "assert len(d()) == 6; assert 'tensorflow' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_jeans_analysis_checks_the_same_summaries():
    pytest.importorskip("emcee")
    from dmprofile.classical import jeans_analysis

    t = _v_sys_off(plummer(n=300))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        jeans_analysis(t, halo="nfw", anisotropy="isotropic", nwalkers=8, nsteps=20, seed=1,
                       tracer="r_half", progress=False)
    messages = [str(w.message) for w in record if w.category is DMProfileWarning]
    assert any(re.match(r"v_offset_sigma = -\d+\.?\d* .* lies outside the training range "
                        r".*: an unusual value for a dwarf spheroidal", m) for m in messages)
