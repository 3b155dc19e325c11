"""Reading catalogue files and the messages for malformed catalogues."""

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits
from astropy.table import Column, QTable, Table

from dmprofile.exceptions import DMProfileWarning
from dmprofile.kinematics import StarCatalogue, phase_space_images, read_catalogue

KMS = u.km / u.s


def stars(n=100, seed=0):
    rng = np.random.default_rng(seed)
    return QTable({"x": rng.normal(0, 0.3, n) * u.kpc, "y": rng.normal(0, 0.3, n) * u.kpc,
                   "v_los": rng.normal(50, 10, n) * KMS})


def test_read_round_trip(tmp_path):
    path = tmp_path / "stars.ecsv"
    stars().write(path)
    t = read_catalogue(path)
    assert t.colnames == ["x", "y", "v_los"] and len(t) == 100
    other = tmp_path / "stars.dat"
    stars().write(other, format="ascii.ecsv")
    assert len(read_catalogue(other, format="ascii.ecsv")) == 100


@pytest.mark.parametrize(("content", "name", "error", "match"), [
    (None, "missing.fits", FileNotFoundError, r"no such file: .*missing\.fits"),
    (b"", "empty.fits", ValueError, r"empty\.fits is empty"),
    (b"hello\n", "hello.fits", ValueError, r"cannot read .*hello\.fits as a table in a known "
                                           r"format .*: Format could not be identified"),
    (b"# %ECSV 1.0\nbroken\n", "bad.ecsv", ValueError, r"cannot read .*bad\.ecsv as a table"),
])
def test_read_errors(tmp_path, content, name, error, match):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(error, match=match) as info:
        read_catalogue(path)
    assert "\n" not in str(info.value)  # one line, not astropy's table of formats


def test_read_folder(tmp_path):
    with pytest.raises(ValueError, match="is a folder"):
        read_catalogue(tmp_path)


def test_duplicate_fits_columns(tmp_path):
    path = tmp_path / "dup.fits"
    cols = [fits.Column(name=n, format="D", array=np.arange(30.0), unit=unit)
            for n, unit in (("x", "kpc"), ("y", "kpc"), ("v_los", "km/s"), ("v_err", "km/s"))]
    fits.BinTableHDU.from_columns(cols).writeto(path)
    with fits.open(path, mode="update") as hdul:
        hdul[1].header["TTYPE4"] = "v_los"
    with pytest.raises(ValueError, match=r"dup\.fits has duplicate column names \['v_los'\]"):
        read_catalogue(path)


def test_non_numeric_velocities():
    t = Table(stars())
    t["v_los"] = Column(["fast"] * len(t), unit="km/s")
    with pytest.raises(TypeError, match=r"column 'v_los' of table must hold numbers, got <U4"):
        phase_space_images(t)


@pytest.mark.parametrize(("value", "match"), [
    ("0.5", r"argument 'member_threshold' must be a number, got str '0\.5'"),
    (True, r"argument 'member_threshold' must be a number, got bool"),
    ([0.5, 0.6], r"argument 'member_threshold' must be a scalar"),
])
def test_member_threshold_type(value, match):
    t = stars()
    t["p_member"] = np.full(len(t), 0.9)
    with pytest.raises((TypeError, ValueError), match=match):
        StarCatalogue.from_table(t, member_threshold=value)


@pytest.mark.parametrize("where", ["point", "ring"])
def test_stars_at_one_radius(where):
    t = stars()
    phi = np.linspace(0, 2 * np.pi, len(t), endpoint=False)
    radius = 0.0 if where == "point" else 0.5
    t["x"], t["y"] = radius * np.cos(phi) * u.kpc, radius * np.sin(phi) * u.kpc
    with pytest.raises(ValueError, match=r"all 100 stars lie at the same projected radius "
                                         r".*\(one point or one ring\).*r_half cannot be "
                                         r"estimated"):
        phase_space_images(t)
    if where == "ring":  # with r_half given the images can be made, with a warning
        with pytest.warns(DMProfileWarning, match="same projected radius R = 0.5 kpc"):
            phase_space_images(t, r_half=0.8 * u.kpc)
