"""A tiny real disc suite and a tiny mass ensemble trained on it, built once per test process.

Used by tests/test_infer_mass.py, tests/test_cli_mass.py and tests/nets/test_mass_evaluation.py
(a module-level cache, so that the modules share one build whatever their order).
"""


#: A tiny network (one 3x3 convolution, one dense layer), so that training takes seconds.
TINY = {"conv": [[4, 3, 2, True]], "dense": [8], "dropout_rate": 0.1}
SUITE_CHANNELS = ("g", "r", "mom0", "mom1")
MODEL_CHANNELS = ("r", "mom0", "mom1")
NPIX = 16
_CACHE = {}


def tiny_prior(npix=NPIX):
    from dmprofile.simulate import DefaultDiscPrior

    instrument = dict(DefaultDiscPrior().instrument)
    instrument.pop("name")
    instrument["npix"] = npix
    return DefaultDiscPrior(instrument=instrument)


def tiny_build(tmp_path_factory):
    """Return {"suite": path, "ensemble": path}: 6 galaxies x 2, a 2-member ensemble."""
    if "paths" not in _CACHE:
        from dmprofile.nets import train_mass
        from dmprofile.suites import generate_disc_suite

        root = tmp_path_factory.mktemp("disc_mass")
        suite = generate_disc_suite(root / "suite", n_galaxies=6, realisations=2, seed=4,
                                    workers=1, progress=False, prior=tiny_prior(),
                                    channels=SUITE_CHANNELS, n_stars=300, n_gas=300)
        train_mass(suite, root / "ensemble", channels=MODEL_CHANNELS, architecture=TINY,
                   loss="gaussian_nll", n_members=2, epochs=1, batch_size=4, progress=False)
        _CACHE["paths"] = {"suite": suite, "ensemble": root / "ensemble"}
    return _CACHE["paths"]


def tiny_observation(suite_path, row=0, *, keep_cube=True):
    """Observe the galaxy of ``row`` again with the set-up of that row, keeping the HI cube."""
    from dmprofile.observe import HISetup, ImagingSetup, observe_disc
    from dmprofile.suites import read_suite

    suite = read_suite(suite_path)
    truth = suite.truth[row]
    params = {name: truth[f"prior_{name}"].item() for name in suite.prior.param_names}
    setup = suite.prior.observation(params)
    particles = suite.galaxy(row).sample(300, 300, seed=int(truth["sample_seed"]))
    imaging = ImagingSetup(n_pixels=setup["npix"], field_of_view=setup["fov"],
                           psf_fwhm=setup["psf_fwhm"], sky_brightness=setup["sky_brightness"])
    hi = HISetup(n_pixels=setup["npix"], field_of_view=setup["fov"],
                 channel_width=setup["channel_width"], n_channels=setup["n_channels"] or None,
                 beam_fwhm=setup["beam_fwhm"], noise_rms=setup["noise"])
    return observe_disc(particles, distance=setup["distance"],
                        inclination=setup["inclination"], position_angle=setup["position_angle"],
                        imaging=imaging, hi=hi, seed=int(truth["observe_seed"]),
                        keep_cube=keep_cube)
