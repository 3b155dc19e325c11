"""Bootstrap ensembles of mass-profile networks (de los Rios et al. 2023, Sect. 5.3).

Each of the K members is a `~dmprofile.nets.MassProfileTask` network trained by the generic
`~dmprofile.nets.Trainer` on a bootstrap resample of the training *galaxies*: the galaxies of
the training split are drawn with replacement and every realisation of a drawn galaxy enters
as many times as the galaxy was drawn. All members share one galaxy split (validation and test
galaxies are never trained on by any member) and differ in their resample, initial weights,
shuffling and augmentations. The members are trained one after another (each in its own
sub-directory; finished members are skipped and an interrupted one resumes) or one per
``dask.distributed`` worker.

The prediction at each radius combines the members: for networks trained with the mean
squared error, the percentiles of the K member predictions (the spread of the regression, as
in the paper); for the Gaussian NLL, the percentiles of the equal-weight mixture of the K
predicted Gaussians, which adds the scatter of the mass at fixed observables that each network
predicts.
"""

import hashlib
import json
from pathlib import Path

import numpy as np
from astropy import units as u

from .._utils import atomic_write_text
from ._io import CARD_FILE, MODEL_FILE, SPLIT_FILE

__all__ = ["BootstrapEnsemble", "ensemble_quantiles", "ENSEMBLE_FILE",
           "ENSEMBLE_FORMAT", "ENSEMBLE_VERSION", "PERCENTILES"]

ENSEMBLE_FILE = "ensemble.json"
ENSEMBLE_FORMAT = "dmprofile-mass-ensemble"
ENSEMBLE_VERSION = 1
#: Percentiles of a prediction: 2.5, 16, 50, 84 and 97.5.
PERCENTILES = (2.5, 16.0, 50.0, 84.0, 97.5)
_KEYS = ("lower_95", "lower_68", "median", "upper_68", "upper_95")


def _mixture_quantiles(means, sigmas, probs, *, iterations=60):
    """Quantiles of equal-weight Gaussian mixtures, member axis first, by bisection."""
    from scipy.special import ndtr

    lo = np.min(means - 10 * sigmas, axis=0)[..., None] + 0 * probs
    hi = np.max(means + 10 * sigmas, axis=0)[..., None] + 0 * probs
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        cdf = np.mean(ndtr((mid[None] - means[..., None]) / sigmas[..., None]), axis=0)
        below = cdf < probs
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def ensemble_quantiles(means, sigmas=None, percentiles=PERCENTILES):
    """Return the percentiles of an ensemble prediction at every radius.

    Parameters
    ----------
    means : array, shape (K, n, n_radii)
        Member predictions of log10 M.
    sigmas : array, shape (K, n, n_radii), optional
        Member widths (dex) of Gaussian-NLL networks; None for MSE networks, whose percentiles
        are those of the K means (linear interpolation, `numpy.percentile`).
    percentiles : sequence of float
        The percentiles, increasing.

    Returns
    -------
    ndarray, shape (len(percentiles), n, n_radii)

    Examples
    --------
    >>> import numpy as np
    >>> means = np.arange(5.0).reshape(5, 1, 1)
    >>> ensemble_quantiles(means)[:, 0, 0]
    array([0.1 , 0.64, 2.  , 3.36, 3.9 ])
    """
    means = np.asarray(means, dtype=float)
    q = np.asarray(percentiles, dtype=float)
    if means.ndim != 3 or means.shape[0] < 1:
        msg = f"argument 'means' must have shape (K, n, n_radii), got {means.shape}"
        raise ValueError(msg)
    if sigmas is None:
        out = np.percentile(means, q, axis=0)
    else:
        sigmas = np.broadcast_to(np.asarray(sigmas, dtype=float), means.shape)
        if np.any(sigmas <= 0):
            msg = "argument 'sigmas' must be > 0"
            raise ValueError(msg)
        out = np.moveaxis(_mixture_quantiles(means, sigmas, q / 100.0), -1, 0)
    return np.maximum.accumulate(out, axis=0)  # exactly ordered despite round-off


def _card_sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _train_member(suite, member_dir, task_kwargs, config_kwargs, suite_name):
    """Train one member (a function of plain arguments, so that dask can ship it)."""
    from ._mass_task import MassProfileTask, open_disc_suite
    from ._trainer import Trainer, TrainingConfig

    data, path = open_disc_suite(suite)
    Trainer(MassProfileTask(**task_kwargs), TrainingConfig(**config_kwargs)).fit(
        data, member_dir, suite_name=suite_name or path)
    return str(member_dir)


class BootstrapEnsemble:
    """K mass-profile networks trained on bootstrap resamples of the training galaxies.

    Build one with `train` or `load`; `predict` returns one `~dmprofile.results.MassProfile`
    per galaxy.

    Parameters
    ----------
    members : list of `~dmprofile.nets.MassModel`
        The members (same channels, radii, image size and loss).
    card : dict
        The ensemble card (``ensemble.json``).
    path : `~pathlib.Path`, optional
        The ensemble directory.
    """

    def __init__(self, members, card, *, path=None):
        if not members:
            msg = "an ensemble needs at least one member"
            raise ValueError(msg)
        self.members = list(members)
        self.card = card
        self.path = None if path is None else Path(path)

    # ----------------------------------------------------------------------- properties
    @property
    def channels(self):
        """The input channels, in order (tuple of str)."""
        return self.members[0].channels

    @property
    def radii(self):
        """The radii of the profile (`~astropy.units.Quantity`)."""
        return self.members[0].radii

    @property
    def loss(self):
        """The loss of the members, ``"mse"`` or ``"gaussian_nll"``."""
        return self.members[0].loss

    @property
    def npix(self):
        """The image size in pixels."""
        return self.members[0].npix

    def __len__(self):
        return len(self.members)

    def __repr__(self):
        return (f"<BootstrapEnsemble {len(self)} members, channels {','.join(self.channels)}, "
                f"loss {self.loss!r}, path='{self.path}'>")

    # ----------------------------------------------------------------------- training
    @classmethod
    def train(cls, suite, out_dir, *, n_members=10, channels=None, architecture="B", loss="mse",
              reverse_velocity=False, config=None, client=None, physical_fov=None, name="mass"):
        """Train (or finish training) an ensemble and write its directory.

        Member ``k`` is trained in ``out_dir/member_<k>`` with the seed drawn from
        ``SeedSequence(config.seed, spawn_key=(5, k))`` and the bootstrap draw
        ``(config.seed, k)``; the galaxy split is that of ``config.seed`` for every member.
        Members whose directory is complete are skipped, an interrupted one resumes.

        Parameters
        ----------
        suite : str, `~pathlib.Path` or `~dmprofile.suites.DiscSuite`
            The training suite (a directory when ``client`` is given).
        out_dir : str or `~pathlib.Path`
            The ensemble directory.
        n_members : int
            Number of members K.
        channels : sequence of str, optional
            Input channels (default: all channels of the suite).
        architecture : str or dict
            Network of every member (see `~dmprofile.nets.build_mass_cnn`).
        loss : {"mse", "gaussian_nll"}
            Loss of every member.
        reverse_velocity : bool
            Time-reversal augmentation (see `~dmprofile.nets.augment_mass_images`).
        config : `~dmprofile.nets.TrainingConfig`, optional
            Shared settings (default: ``TrainingConfig(learning_rate=1e-4, val_fraction=0.2,
            test_fraction=0.2)``, the paper's Adam rate and the 60/20/20 split of a disc suite).
        client : ``dask.distributed.Client``, optional
            Train one member per task on this cluster instead of one after another.
        physical_fov : `~astropy.units.Quantity` [length], optional
            Resample the images onto this physical field of view with each galaxy's distance
            (see `~dmprofile.nets.MassProfileTask`).
        name : str
            Name of the ensemble (and of its members' cards).

        Returns
        -------
        `BootstrapEnsemble`
            The ensemble, loaded back from ``out_dir``.
        """
        from dataclasses import asdict

        from ._trainer import TrainingConfig

        n_members = int(n_members)
        if n_members < 1:
            msg = f"argument 'n_members' must be >= 1, got {n_members}"
            raise ValueError(msg)
        if config is None:
            config = TrainingConfig(learning_rate=1e-4, val_fraction=0.2, test_fraction=0.2)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        suite_name = str(suite) if isinstance(suite, (str, Path)) else None
        jobs = []
        for k in range(n_members):
            member_dir = out_dir / f"member_{k:02d}"
            if (member_dir / "model_card.json").is_file():
                continue
            seed = int(np.random.SeedSequence(config.seed, spawn_key=(5, k)).generate_state(1)[0])
            config_kwargs = {**asdict(config), "seed": seed, "split_seed": config.seed,
                             "name": f"{name}_member_{k:02d}"}
            task_kwargs = {"channels": channels, "architecture": architecture, "loss": loss,
                           "reverse_velocity": reverse_velocity, "bootstrap": (config.seed, k),
                           "physical_fov": physical_fov}
            jobs.append((member_dir, task_kwargs, config_kwargs))
        if client is None:
            for member_dir, task_kwargs, config_kwargs in jobs:
                _train_member(suite, member_dir, task_kwargs, config_kwargs, suite_name)
        elif jobs:
            futures = [client.submit(_train_member, suite, str(d), t, c, suite_name, pure=False)
                       for d, t, c in jobs]
            client.gather(futures)
        cls._write_card(out_dir, n_members, name)
        return cls.load(out_dir)

    @staticmethod
    def _write_card(out_dir, n_members, name):
        """Write ``ensemble.json``: the members with the checksums of their files."""
        from ._mass_model import load_mass_model
        from ._modeldir import created_now, jsonable, library_versions

        members, entries = [], []
        for k in range(n_members):
            directory = out_dir / f"member_{k:02d}"
            model = load_mass_model(directory)
            members.append(model)
            entries.append({"directory": directory.name, "card_sha256": model.card_hash,
                            "model_sha256": model.card["model_sha256"],
                            "seed": model.card["training"]["seed"],
                            "best_epoch": model.card["training"]["best_epoch"]})
        first = members[0].card
        ranges = _union_ranges([m.card.get("training_ranges", {}) for m in members])
        card = {"format": ENSEMBLE_FORMAT, "format_version": ENSEMBLE_VERSION, "name": name,
                "created": created_now(), "n_members": n_members, "members": entries,
                "input": first["input"], "output": first["output"],
                "architecture": first["architecture"], "suite": first["suite"],
                "split": {k: first["split"][k] for k in ("file", "seed", "sha256", "fractions",
                                                        "n_galaxies")},
                "training_ranges": ranges,
                "metrics": {"members_validation": [m.card["metrics"].get("validation", {})
                                                   for m in members]},
                "versions": library_versions()}
        atomic_write_text(out_dir / ENSEMBLE_FILE, json.dumps(jsonable(card), indent=1))

    # ----------------------------------------------------------------------- loading
    @classmethod
    def load(cls, directory):
        """Load an ensemble directory and check it against its card.

        Parameters
        ----------
        directory : str or `~pathlib.Path`
            A directory written by `train`.

        Returns
        -------
        `BootstrapEnsemble`

        Raises
        ------
        FileNotFoundError
            If the directory, its card or a member is missing.
        ValueError
            If the card is corrupt or of another format or version, a member's files changed
            since the card was written, or the members disagree (channels, radii, loss,
            image size, suite or split).
        """
        from ._mass_model import load_mass_model

        directory = Path(directory).expanduser()
        card = _read_ensemble_card(directory)
        members = []
        for entry in card["members"]:
            member_dir = directory / entry["directory"]
            if not member_dir.is_dir():
                msg = f"ensemble {directory}: member {entry['directory']} is missing"
                raise FileNotFoundError(msg)
            model = load_mass_model(member_dir)
            if model.card_hash != entry["card_sha256"]:
                msg = (f"ensemble {directory}: the card of member {entry['directory']} changed "
                       f"since {ENSEMBLE_FILE} was written (SHA-256 mismatch)")
                raise ValueError(msg)
            members.append(model)
        _check_consistent(directory, card, members)
        return cls(members, card, path=directory)

    def export(self, directory):
        """Copy the files a loaded ensemble needs (no checkpoints) to a new directory.

        Writes ``ensemble.json`` and, per member, ``model.keras``, ``model_card.json`` and
        ``split.json``: what ships as a bundled model. The copy is loaded back and checked
        against the card before it is returned.

        Parameters
        ----------
        directory : str or `~pathlib.Path`
            The target; it must not exist yet or be empty.

        Returns
        -------
        `BootstrapEnsemble`
            The copy, loaded from ``directory``.

        Raises
        ------
        ValueError
            If the ensemble was not loaded from a directory, or ``directory`` is not empty.
        """
        import shutil

        if self.path is None:
            msg = "only an ensemble loaded from a directory can be exported"
            raise ValueError(msg)
        target = Path(directory).expanduser()
        if target.exists() and any(target.iterdir()):
            msg = f"argument 'directory' must be a new or empty directory, got {target}"
            raise ValueError(msg)
        target.mkdir(parents=True, exist_ok=True)
        for entry in self.card["members"]:
            source, dest = self.path / entry["directory"], target / entry["directory"]
            dest.mkdir()
            for name in (MODEL_FILE, SPLIT_FILE, CARD_FILE):
                shutil.copy2(source / name, dest / name)
        shutil.copy2(self.path / ENSEMBLE_FILE, target / ENSEMBLE_FILE)
        return type(self).load(target)

    # ----------------------------------------------------------------------- calibration
    def calibrate(self, suite, *, batch_size=64, scales=None, shift=False):
        """Fit a per-radius factor on the members' widths on the validation galaxies.

        The equal-weight mixture of the members' Gaussians adds the spread of the members to
        each member's own width, which the networks already fit to the scatter: the mixture's
        intervals are too wide. For each radius this picks, from ``scales``, the factor on
        every member's width whose 68 % and 95 % mixture intervals come closest to holding
        the truth in 68 % and 95 % of the *validation* rows (sum of the squared misses), and
        writes it with the coverages before and after into ``ensemble.json``; `predict_log10`
        then applies it. The test galaxies are never used. With ``shift=True`` it first fits
        a per-radius shift of every member's mean, the mean residual (truth minus the mean of
        the members) over the validation rows, for ensembles whose training left them biased;
        the widths are then fitted about the shifted means.

        MSE members predict no width: each is given a width of 1 dex, so that the fitted
        factor is the width itself, the same at every galaxy (the scatter of the mass at
        fixed observables, which the members' spread alone misses).

        Parameters
        ----------
        suite : str, `~pathlib.Path` or `~dmprofile.suites.DiscSuite`
            The suite the ensemble was trained on (same checksum).
        batch_size : int
            Rows per network call.
        scales : array-like, optional
            Candidate factors (default: 81 values from 0.4 to 2.5, log-spaced; for MSE
            members, widths in dex: 161 values from 0.01 to 1, log-spaced).
        shift : bool
            Also fit a per-radius shift of the means (``centre_shift``, dex).

        Returns
        -------
        dict
            The ``calibration`` entry written to the card: ``sigma_scale`` per radius,
            ``coverage_before`` and ``coverage_after`` (``"68"`` and ``"95"``, per radius),
            ``n_rows``, ``n_galaxies``, and with ``shift=True`` ``centre_shift`` per radius.

        Raises
        ------
        ValueError
            For another suite, an ensemble without a directory, or an empty validation split.
        """
        from ._mass_task import open_disc_suite, suite_inputs

        if self.path is None:
            msg = ("only an ensemble loaded from a directory can be calibrated (its card is "
                   "rewritten)")
            raise ValueError(msg)
        data, _ = open_disc_suite(suite)
        rows = _validation_rows(data, self)
        gaussian = self.loss == "gaussian_nll"
        if scales is None:
            scales = np.geomspace(0.4, 2.5, 81) if gaussian else np.geomspace(0.01, 1.0, 161)
        scales = np.sort(np.asarray(scales, dtype=float))
        if scales.ndim != 1 or scales.size == 0 or np.any(scales <= 0):
            msg = "argument 'scales' must be a 1-D array of positive factors"
            raise ValueError(msg)
        truth = np.asarray(data.truth["log_mdm"], dtype=float)[rows]
        pred = self.predict_log10(**suite_inputs(data, self, rows), batch_size=batch_size,
                                  calibrated=False)
        means, sigmas = pred["member_mean"], pred["member_sigma"]
        before = _coverages(means, sigmas, truth)
        if not gaussian:
            sigmas = np.ones_like(means)  # the factor is the width (dex)
        if shift:
            offset = np.mean(truth - means.mean(axis=0), axis=0)
            means = means + offset
        cover = np.array([_coverages(means, sigmas * f, truth) for f in scales])  # (S, 2, R)
        miss = (cover[:, 0] - 0.68) ** 2 + (cover[:, 1] - 0.95) ** 2
        best = np.argmin(miss, axis=0)
        radius = np.arange(truth.shape[1])
        entry = {"sigma_scale": scales[best].tolist(), "split": "validation",
                 "n_rows": int(rows.size),
                 "n_galaxies": int(np.unique(np.asarray(data.truth["galaxy_id"])[rows]).size),
                 "coverage_before": {"68": before[0].tolist(), "95": before[1].tolist()},
                 "coverage_after": {"68": cover[best, 0, radius].tolist(),
                                    "95": cover[best, 1, radius].tolist()},
                 "method": ("per radius, the factor on the member widths" if gaussian else
                            "per radius, the width (dex) given to every member")
                 + " minimising (c68 - 0.68)^2 + (c95 - 0.95)^2 on the validation rows"}
        if shift:
            entry["centre_shift"] = offset.tolist()
            entry["method"] = ("per radius, a shift of the member means (the mean residual "
                               "on the validation rows), then " + entry["method"])
        card = {k: v for k, v in self.card.items() if not k.startswith("_")}
        card["calibration"] = entry
        atomic_write_text(self.path / ENSEMBLE_FILE, json.dumps(card, indent=1))
        self.card = _read_ensemble_card(self.path)
        return entry

    # ----------------------------------------------------------------------- prediction
    @property
    def sigma_scale(self):
        """Per-radius factor on the members' widths from `calibrate` (ndarray), or None.

        For MSE members: the width (dex) given to each member.
        """
        scale = self.card.get("calibration", {}).get("sigma_scale")
        return None if scale is None else np.asarray(scale, dtype=float)

    @property
    def centre_shift(self):
        """Per-radius shift of the members' means from ``calibrate(shift=True)``, or None."""
        shift = self.card.get("calibration", {}).get("centre_shift")
        return None if shift is None else np.asarray(shift, dtype=float)

    def predict_log10(self, images, *, distance=None, batch_size=64, calibrated=True):
        """Return the percentiles of log10 M_DM(<R) and the member predictions.

        Parameters
        ----------
        images : array-like or dict
            Stacked, normalised channels ``(n, n_channels, npix, npix)`` (or one galaxy,
            ``(n_channels, npix, npix)``) in the order of `channels`, or a mapping channel ->
            image (see `~dmprofile.nets.MassModel.predict_log10`).
        distance : `~astropy.units.Quantity` [length], optional
            Distance of each galaxy: required when the members read a physical grid
            (`~dmprofile.nets.MassModel.prepare`).
        batch_size : int
            Rows per network call.
        calibrated : bool
            Multiply the members' widths by `sigma_scale` (and shift their means by
            `centre_shift`, if fitted) when the ensemble has been calibrated; MSE members then
            get the width `sigma_scale` (dex) each.

        Returns
        -------
        dict of str to ndarray
            ``median``, ``lower_68``, ``upper_68``, ``lower_95``, ``upper_95`` (n, n_radii) in
            log10 Msun; ``member_mean`` and ``member_sigma`` (K, n, n_radii; sigma None for
            MSE members; as the networks predict them, before any calibration).
        """
        x = self.members[0].prepare(images, distance)
        outputs = [m.predict_prepared(x, batch_size=batch_size) for m in self.members]
        means = np.stack([mean for mean, _ in outputs])
        sigmas = None if outputs[0][1] is None else np.stack([s for _, s in outputs])
        scale = self.sigma_scale if calibrated else None
        shift = self.centre_shift if calibrated else None
        widths = sigmas
        if scale is not None:
            widths = np.broadcast_to(scale, means.shape) if sigmas is None else sigmas * scale
        q = ensemble_quantiles(means if shift is None else means + shift, widths)
        return {**dict(zip(_KEYS, q, strict=True)), "member_mean": means, "member_sigma": sigmas}

    def predict(self, images, *, distance=None, batch_size=64, meta=None):
        """Return the enclosed dark-matter mass profile of each galaxy.

        Parameters
        ----------
        images : array-like or dict
            As for `predict_log10`.
        distance : `~astropy.units.Quantity` [length], optional
            Distance of each galaxy (see `predict_log10`).
        batch_size : int
            Rows per network call.
        meta : dict, optional
            Extra provenance for the profiles' ``meta``.

        Returns
        -------
        list of `~dmprofile.results.MassProfile`
            One per galaxy: ``quantity="enclosed_mass"`` at `radii`, in Msun, with the median
            and the 68 % and 95 % bands.
        """
        from ..results import MassProfile

        pred = self.predict_log10(images, distance=distance, batch_size=batch_size)
        base = {"method": "bootstrap ensemble of mass-profile CNNs",
                "model": self.card.get("name"), "n_members": len(self),
                "loss": self.loss, "channels": list(self.channels),
                "ensemble_sha256": self.card.get("_sha256"), **(meta or {})}
        return [MassProfile(self.radii, **{key: 10.0 ** pred[key][i] * u.Msun for key in _KEYS},
                            quantity="enclosed_mass", meta={**base, "index": i})
                for i in range(pred["median"].shape[0])]


def _read_ensemble_card(directory):
    path = directory / ENSEMBLE_FILE
    if not directory.is_dir():
        msg = f"ensemble directory {directory} not found"
        raise FileNotFoundError(msg)
    if not path.is_file():
        msg = (f"ensemble directory {directory} has no {ENSEMBLE_FILE}; train one with "
               "dmprofile.nets.BootstrapEnsemble.train (or train_mass(..., n_members=K))")
        raise FileNotFoundError(msg)
    raw = path.read_bytes()
    try:
        card = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = f"ensemble card {path} is corrupt or truncated (invalid JSON: {exc})"
        raise ValueError(msg) from None
    if not isinstance(card, dict) or card.get("format") != ENSEMBLE_FORMAT:
        msg = f"{path} is not a {ENSEMBLE_FORMAT!r} card"
        raise ValueError(msg)
    if card.get("format_version") != ENSEMBLE_VERSION:
        msg = (f"ensemble card {path} has format version {card.get('format_version')!r}, but "
               f"this dmprofile reads version {ENSEMBLE_VERSION}; retrain the ensemble")
        raise ValueError(msg)
    if not isinstance(card.get("members"), list) or not card["members"]:
        msg = f"ensemble card {path} lists no members"
        raise ValueError(msg)
    card["_sha256"] = hashlib.sha256(raw).hexdigest()
    return card


def _check_consistent(directory, card, members):
    def signature(m):
        c = m.card
        return (tuple(c["input"]["shape"]), tuple(c["input"]["channels"]),
                tuple(c["output"]["radii_kpc"] or ()), c["output"]["loss"],
                c["suite"]["checksum"], c["split"]["sha256"])

    first = signature(members[0])
    for entry, member in zip(card["members"], members, strict=True):
        if signature(member) != first:
            msg = (f"ensemble {directory}: member {entry['directory']} differs from the first "
                   "(input shape, channels, radii, loss, suite or split)")
            raise ValueError(msg)
    if list(first[1]) != list(card["input"]["channels"]):
        msg = f"ensemble {directory}: the members' channels differ from {ENSEMBLE_FILE}"
        raise ValueError(msg)


def _coverages(means, sigmas, truth):
    """Fractions of rows whose 68 % and 95 % mixture intervals hold the truth, per radius."""
    q = ensemble_quantiles(means, sigmas)
    return np.array([np.mean((q[1] <= truth) & (truth <= q[3]), axis=0),
                     np.mean((q[0] <= truth) & (truth <= q[4]), axis=0)])


def _validation_rows(data, ensemble):
    """Rows of the validation galaxies of the ensemble's split in its training suite."""
    card = ensemble.members[0].card
    if str(getattr(data, "checksum", "")) != card["suite"]["checksum"]:
        msg = ("calibration needs the suite the ensemble was trained on (checksum "
               f"{card['suite']['checksum'][:12]}...), got another suite")
        raise ValueError(msg)
    split_file = ensemble.members[0].path / card["split"]["file"]
    doc = json.loads(split_file.read_text())
    gid = np.asarray(data.truth["galaxy_id"], dtype=np.int64)
    rows = np.flatnonzero(np.isin(gid, np.asarray(doc["validation"], dtype=np.int64)))
    if rows.size == 0:
        msg = "the ensemble's validation split is empty: train with val_fraction > 0"
        raise ValueError(msg)
    return rows


def _union_ranges(all_ranges):
    """Return the union of the members' training ranges (min of minima, max of maxima)."""
    out = {}
    for ranges in all_ranges:
        for key, entry in ranges.items():
            if key not in out:
                out[key] = dict(entry)
                continue
            for stat, pick in (("min", min), ("p01", min), ("max", max), ("p99", max)):
                out[key][stat] = pick(out[key][stat], entry[stat])
    return out
