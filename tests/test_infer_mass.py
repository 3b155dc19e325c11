"""dmprofile.infer_mass_profile(s): images of any grid -> the ensemble's MassProfile."""

import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits
from astropy.wcs import WCS

pytest.importorskip("keras")
pytest.importorskip("reproject")

from disc_mass_helpers import MODEL_CHANNELS, TINY, tiny_build, tiny_observation  # noqa: E402

import dmprofile  # noqa: E402
from dmprofile.exceptions import DMProfileWarning  # noqa: E402

pytestmark = pytest.mark.slow  # the shared fixture trains a tiny ensemble (a few seconds)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return tiny_build(tmp_path_factory)


@pytest.fixture(scope="module")
def ensemble(built):
    from dmprofile.nets import BootstrapEnsemble

    return BootstrapEnsemble.load(built["ensemble"])


@pytest.fixture(scope="module")
def obs(built):
    return tiny_observation(built["suite"], 0)


def _maps(obs, channels=MODEL_CHANNELS):
    return {c: obs[c.upper()] for c in channels}


def _log_median(profile):
    return np.log10(profile.median.to_value(u.Msun))


def test_hdus_give_the_ensemble_prediction_of_the_stacked_channels(obs, ensemble):
    from dmprofile.observe import stack_channels
    from dmprofile.results import MassProfile

    profile = dmprofile.infer_mass_profile(_maps(obs), model=ensemble, seed=3)
    assert isinstance(profile, MassProfile) and profile.quantity == "enclosed_mass"
    direct = ensemble.predict(stack_channels(obs, MODEL_CHANNELS))[0]
    np.testing.assert_allclose(_log_median(profile), _log_median(direct), atol=1e-9)
    assert profile.meta["seed"] == 3 and profile.meta["channels"] == list(MODEL_CHANNELS)
    assert profile.meta["summaries"]["hi_beam_fwhm"] > 0
    assert "psf_scale" in profile.meta["summaries"] and "distance" in profile.meta["summaries"]


def test_files_on_another_grid_are_reprojected(obs, ensemble, tmp_path):
    """The r band written at half the pixel size (flux split in four) gives the same input."""
    r = obs["R"]
    wcs = WCS(r.header).celestial
    fine = wcs.deepcopy()
    fine.wcs.cdelt = wcs.wcs.cdelt / 2
    fine.wcs.crpix = 2 * wcs.wcs.crpix - 0.5
    data = np.repeat(np.repeat(r.data.astype(float), 2, 0), 2, 1) / 4
    header = fine.to_header()
    header["BUNIT"] = "nanomaggy"
    fits.PrimaryHDU(data, header).writeto(tmp_path / "r.fits")
    for name in ("mom0", "mom1"):
        fits.HDUList([fits.PrimaryHDU(), obs[name.upper()]]).writeto(tmp_path / f"{name}.fits")
    images = {"r": str(tmp_path / "r.fits"), "mom0": tmp_path / "mom0.fits",
              "mom1": str(tmp_path / "mom1.fits")}
    from_files = dmprofile.infer_mass_profile(images, model=ensemble, seed=0)
    from_hdus = dmprofile.infer_mass_profile(_maps(obs), model=ensemble, seed=0)
    np.testing.assert_allclose(_log_median(from_files), _log_median(from_hdus), atol=2e-3)


def test_cube_gives_the_moment_maps(obs, ensemble):
    from_cube = dmprofile.infer_mass_profile({"r": obs["R"], "cube": obs["CUBE"]},
                                             model=ensemble, seed=0)
    from_maps = dmprofile.infer_mass_profile(_maps(obs), model=ensemble, seed=0)
    np.testing.assert_allclose(_log_median(from_cube), _log_median(from_maps), atol=1e-6)


def test_quantity_wcs_pairs_are_converted(obs, ensemble):
    wcs = WCS(obs["MOM1"].header).celestial
    images = _maps(obs)
    images["mom1"] = (obs["MOM1"].data * 1000.0 * u.m / u.s, wcs)
    a = dmprofile.infer_mass_profile(images, model=ensemble, seed=0)
    b = dmprofile.infer_mass_profile(_maps(obs), model=ensemble, seed=0)
    np.testing.assert_allclose(_log_median(a), _log_median(b), atol=1e-6)


def test_extra_channels_are_ignored_and_listed(obs, ensemble):
    images = {**_maps(obs), "g": obs["G"], "Z": obs["Z"]}
    profile = dmprofile.infer_mass_profile(images, model=ensemble, seed=0)
    assert profile.meta["ignored_channels"] == ["g", "z"]
    plain = dmprofile.infer_mass_profile(_maps(obs), model=ensemble, seed=0)
    np.testing.assert_array_equal(_log_median(profile), _log_median(plain))


def _with(obs, name, value):
    return {**_maps(obs), name: value}


def test_bad_input_names_the_channel(obs, ensemble):
    wcs = WCS(obs["R"].header).celestial
    nan = obs["R"].copy()
    nan.data = np.full_like(obs["R"].data, np.nan)
    holes = obs["R"].copy()
    holes.data = obs["R"].data.copy()
    holes.data[3, 4] = np.nan
    cases = [
        ({"r": obs["R"], "mom0": obs["MOM0"]}, ValueError, "lacks the channel.*mom1"),
        (_with(obs, "h_alpha", obs["R"]), ValueError, "unknown channel 'h_alpha'"),
        (_with(obs, "r", nan), ValueError, "channel 'r' has no finite pixel"),
        (_with(obs, "r", holes), ValueError, "channel 'r' has NaN in 1 of 256"),
        (_with(obs, "r", fits.PrimaryHDU(obs["R"].data)), ValueError,
         "channel 'r' has no celestial WCS"),
        (_with(obs, "r", (obs["R"].data, None)), TypeError, "channel 'r'.*astropy WCS"),
        (_with(obs, "r", (np.ones((2, 16, 16)), wcs)), ValueError, "channel 'r' must be a 2-D"),
        (_with(obs, "mom1", (obs["MOM1"].data * u.Jy, wcs)), u.UnitTypeError,
         "channel 'mom1' must be in km / s"),
        (_with(obs, "r", (obs["R"].data * u.km, wcs)), u.UnitTypeError, "channel 'r'"),
        ({**_maps(obs), "cube": obs["CUBE"]}, ValueError, "both as a map and through"),
        (_with(obs, "mom0", (obs["MOM0"].data * u.Jy / u.beam * u.km / u.s,
                             WCS(obs["MOM0"].header).celestial)), ValueError,
         "channel 'mom0' has no beam"),
        ([obs["R"]], TypeError, "mapping of channel name"),
    ]
    for images, error, match in cases:
        with pytest.raises(error, match=match):
            dmprofile.infer_mass_profile(images, model=ensemble, seed=0)


def test_missing_file_names_the_channel(obs, ensemble, tmp_path):
    with pytest.raises(FileNotFoundError, match="channel 'r': file .*nope.fits not found"):
        dmprofile.infer_mass_profile(_with(obs, "r", str(tmp_path / "nope.fits")),
                                     model=ensemble, seed=0)


@pytest.mark.parametrize(("name", "channels"), [
    ("default", ("u", "g", "r", "i", "z", "mom0", "mom1", "mom2")),
    ("photometry", ("u", "r", "z"))])
def test_bundled_ensembles_load_and_check_their_files(name, channels):
    from dmprofile._infer_mass import load_mass_ensemble

    ensemble = load_mass_ensemble(name)
    assert ensemble.channels == channels and ensemble.card["name"] == name
    assert len(ensemble) >= 2 and ensemble.loss == "gaussian_nll"
    assert ensemble.npix == 128 and len(ensemble.radii) == 20


def test_missing_bundled_model_says_how_to_rebuild_it(obs, monkeypatch):
    from dmprofile import _infer_mass

    monkeypatch.setitem(_infer_mass.BUNDLED_MODELS, "default",
                        ("mass_nowhere", "u,g,r,i,z,mom0,mom1,mom2"))
    with pytest.raises(FileNotFoundError, match=("bundled disc model 'default' is missing.*"
                                                 "dmprofile simulate discs.*dmprofile "
                                                 "train mass")):
        dmprofile.infer_mass_profile(_maps(obs), model="default")


def test_model_directory_and_single_member(obs, built, ensemble):
    by_path = dmprofile.infer_mass_profile(_maps(obs), model=built["ensemble"], seed=0)
    by_obj = dmprofile.infer_mass_profile(_maps(obs), model=ensemble, seed=0)
    np.testing.assert_array_equal(_log_median(by_path), _log_median(by_obj))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DMProfileWarning)  # one member's narrower ranges
        one = dmprofile.infer_mass_profile(_maps(obs), model=built["ensemble"] / "member_00")
    assert one.meta["n_members"] == 1
    with pytest.raises(FileNotFoundError, match="not a mass ensemble or model directory"):
        dmprofile.infer_mass_profile(_maps(obs), model=built["suite"])


def test_input_outside_the_training_ranges_warns(obs, ensemble):
    ranges = ensemble.card["training_ranges"]
    bright = obs["R"].copy()
    bright.data = obs["R"].data * 1e6
    with pytest.warns(DMProfileWarning, match="input flux_r = .* outside the range"):
        profile = dmprofile.infer_mass_profile(_with(obs, "r", bright), model=ensemble)
    assert "flux_r" in profile.meta["outside_training_ranges"]
    far = 10 * ranges["distance"]["max"] * u.Mpc
    with pytest.warns(DMProfileWarning, match="input distance = .* Mpc lies outside"):
        dmprofile.infer_mass_profile(_maps(obs), model=ensemble, distance=far)


def test_many_galaxies_from_a_table_of_files(built, ensemble, tmp_path):
    from astropy.table import Table

    rows = []
    for k in (0, 2):
        obs = tiny_observation(built["suite"], k, keep_cube=False)
        files = {}
        for name in MODEL_CHANNELS:
            files[name] = str(tmp_path / f"g{k}_{name}.fits")
            fits.HDUList([fits.PrimaryHDU(), obs[name.upper()]]).writeto(files[name])
        rows.append(files)
    table = Table(rows=[[f"gal{i}", *r.values()] for i, r in enumerate(rows)],
                  names=["name", *MODEL_CHANNELS])
    profiles = dmprofile.infer_mass_profiles(table, model=built["ensemble"], seed=1)
    assert [p.meta["galaxy"] for p in profiles] == ["gal0", "gal1"]
    for row, profile in zip(rows, profiles, strict=True):
        single = dmprofile.infer_mass_profile(row, model=ensemble, seed=1)
        np.testing.assert_array_equal(_log_median(profile), _log_median(single))
    listed = dmprofile.infer_mass_profiles(rows, model=ensemble, seed=1)
    assert [p.meta["row"] for p in listed] == [0, 1]
    with pytest.raises(ValueError, match="no channel column"):
        dmprofile.infer_mass_profiles(Table({"name": ["a"]}), model=ensemble)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as lc, \
            distributed.Client(lc) as client:
        spread = dmprofile.infer_mass_profiles(table, model=built["ensemble"], seed=1,
                                               client=client, chunk_size=1)
    for a, b in zip(spread, profiles, strict=True):
        np.testing.assert_array_equal(_log_median(a), _log_median(b))


def test_export_copies_what_the_ensemble_needs_and_no_checkpoints(ensemble, obs, tmp_path):
    copy = ensemble.export(tmp_path / "bundle")
    files = sorted(p.relative_to(tmp_path / "bundle").as_posix()
                   for p in (tmp_path / "bundle").rglob("*") if p.is_file())
    assert files == ["ensemble.json"] + [f"member_{k:02d}/{f}" for k in range(len(ensemble))
                                         for f in ("model.keras", "model_card.json",
                                                   "split.json")]
    maps = _maps(obs)
    a = dmprofile.infer_mass_profile(maps, model=ensemble, seed=0)
    b = dmprofile.infer_mass_profile(maps, model=copy, seed=0)
    np.testing.assert_array_equal(_log_median(a), _log_median(b))
    with pytest.raises(ValueError, match="'directory' must be a new or empty"):
        ensemble.export(tmp_path / "bundle")


def test_a_physical_grid_model_uses_the_distance(built, obs, tmp_path):
    from dmprofile.nets import train_mass
    from dmprofile.observe import stack_channels

    phys = train_mass(built["suite"], tmp_path / "phys", channels=MODEL_CHANNELS,
                      architecture=TINY, loss="gaussian_nll", n_members=1, epochs=1,
                      batch_size=4, progress=False, physical_fov=80 * u.kpc)
    maps = _maps(obs)
    header_distance = obs["R"].header["DIST_MPC"] * u.Mpc
    profile = dmprofile.infer_mass_profile(maps, model=phys, seed=0)
    direct = phys.predict(stack_channels(obs, MODEL_CHANNELS), distance=header_distance)[0]
    np.testing.assert_allclose(_log_median(profile), _log_median(direct), atol=1e-9)
    given = dmprofile.infer_mass_profile(maps, model=phys, seed=0, distance=header_distance)
    np.testing.assert_allclose(_log_median(given), _log_median(profile), atol=1e-9)
    bare = {}
    for name, hdu in maps.items():
        bare[name] = hdu.copy()
        bare[name].header.remove("DIST_MPC", ignore_missing=True)
    with pytest.raises(ValueError, match="argument 'distance' is required"):
        dmprofile.infer_mass_profile(bare, model=phys)
    with pytest.warns(DMProfileWarning, match="input distance"):
        farther = dmprofile.infer_mass_profile(bare, model=phys, distance=3 * header_distance)
    assert not np.allclose(_log_median(farther), _log_median(profile))
    # a table of files takes the distances from a column
    from astropy.table import Table

    files = {}
    for name, hdu in bare.items():
        files[name] = str(tmp_path / f"{name}.fits")
        fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(files[name])
    table = Table(rows=[[*files.values(), header_distance.value]],
                  names=[*files, "distance"])
    from_table = dmprofile.infer_mass_profiles(table, model=phys, seed=0)[0]
    np.testing.assert_allclose(_log_median(from_table), _log_median(profile), atol=1e-6)
    table["distance"] = [-1.0]
    with pytest.raises(ValueError, match="table\\['distance'\\]"):
        dmprofile.infer_mass_profiles(table, model=phys)
