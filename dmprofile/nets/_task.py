"""What a network learns, as a small pluggable object for `~dmprofile.nets.Trainer`.

The trainer owns everything that is the same for every network (the galaxy split, shuffling,
checkpoints and resume, early stopping, the learning-rate schedule, the model directory and the
generic model-card entries). A task says what differs: which arrays of a suite are the inputs and
the targets, how the network is built, its loss, its label-preserving augmentations, the
validation metric that drives early stopping, and its own model-card entries. Subclass `Task`
and override what differs from the defaults; `~dmprofile.nets.SlopeTask` is the first task.
"""

import numpy as np

__all__ = ["Task"]


class Task:
    """Base class of training tasks (the defaults suit a regression with a Keras loss).

    Attributes
    ----------
    name : str
        Short name of the task; the default model name and a guard against resuming the
        checkpoint of another task.
    card_format : str
        ``format`` of the model card (what a loader checks before reading a model).
    card_version : int
        ``format_version`` of the model card.
    loss : str or callable
        Keras loss minimised by the trainer (``"mse"`` by default).
    metric : str
        Name of the validation metric (a key of the training history; the card records its
        best value as ``best_<metric>``).
    metric_label : str
        How progress messages name the metric.
    """

    name = "task"
    card_format = "dmprofile-model"
    card_version = 1
    loss = "mse"
    metric = "val_loss"
    metric_label = "val loss"

    def inputs(self, suite):
        """Return the network inputs of every row of ``suite``.

        Parameters
        ----------
        suite : `~dmprofile.suites.Suite`
            The training suite.

        Returns
        -------
        ndarray
            A float32 array with rows first.
        """
        return np.asarray(suite.images, dtype=np.float32)

    def targets(self, truth):
        """Return the training targets of every row of the truth table.

        Parameters
        ----------
        truth : `~astropy.table.Table`
            The truth table of the suite, one row per galaxy.

        Returns
        -------
        ndarray
            A float64 array with rows first.
        """
        raise NotImplementedError(f"{type(self).__name__} must define targets(truth)")

    def architecture(self, inputs, train_targets):  # noqa: ARG002 - hook for subclasses
        """Return the complete, JSON-serialisable architecture.

        It may depend on the data (e.g. the scale of the training targets); it is recorded in
        the checkpoint state and the model card.

        Parameters
        ----------
        inputs : ndarray
            The network inputs of the training rows.
        train_targets : ndarray
            The targets of the training rows.

        Returns
        -------
        dict
            Keyword arguments of `build_model`.
        """
        return {}

    def build_model(self, architecture, *, input_shape, seed=None):
        """Build the uncompiled Keras model (the same ``seed`` builds the same weights).

        Parameters
        ----------
        architecture : dict
            The architecture (see `architecture`).
        input_shape : tuple of int
            Shape of the input of one row.
        seed : int, optional
            Seed of the initial weights.

        Returns
        -------
        `keras.Model`
            The uncompiled network.
        """
        raise NotImplementedError(f"{type(self).__name__} must define build_model(...)")

    def train_rows(self, rows, galaxy_ids):  # noqa: ARG002 - hook for subclasses
        """Return the rows trained on in every epoch (default: the training rows of the split).

        A task may resample them, e.g. a bootstrap member draws the training galaxies with
        replacement (rows may then repeat); the split itself is unchanged.

        Parameters
        ----------
        rows : ndarray of int
            The training rows of the split.
        galaxy_ids : ndarray of int
            Galaxy id of every row of the suite.

        Returns
        -------
        ndarray of int
            The rows of the training epochs.
        """
        return rows

    def custom_objects(self):
        """Return the custom Keras objects needed to load a checkpoint of the task (default: none).

        Returns
        -------
        dict
            Name -> class or function, passed to ``keras.saving.load_model``.
        """
        return {}

    def config_fields(self):
        """Return the task settings a resumed run must share with the checkpoint (JSON-able)."""
        return {}

    def augment(self, batch, rng):  # noqa: ARG002 - no augmentation by default
        """Apply a random label-preserving transformation to a training batch (default: none).

        Parameters
        ----------
        batch : ndarray
            A batch of inputs, rows first.
        rng : `~numpy.random.Generator`
            The random generator of the trainer.

        Returns
        -------
        ndarray
            The transformed batch.
        """
        return batch

    def validation_metric(self, model, x, y, *, seed, batch_size):  # noqa: ARG002
        """Return the value of the validation metric (lower is better); by default the mean loss.

        Parameters
        ----------
        model : `keras.Model`
            The network.
        x : ndarray
            Validation inputs.
        y : ndarray
            Validation targets.
        seed : int
            Seed of any randomness of the metric (e.g. Monte-Carlo dropout).
        batch_size : int
            Rows per network call.

        Returns
        -------
        float
            The metric.
        """
        import keras

        loss = keras.losses.get(self.loss)
        pred = [np.asarray(model.predict_on_batch(x[i:i + batch_size]))
                for i in range(0, len(x), batch_size)]
        values = loss(np.asarray(y, dtype=np.float32), np.concatenate(pred))
        return float(np.mean(keras.ops.convert_to_numpy(values)))

    def training_ranges(self, truth, rows):  # noqa: ARG002 - none by default
        """Return the model-card ``training_ranges``: the range of observables seen in training.

        Parameters
        ----------
        truth : `~astropy.table.Table`
            The truth table of the suite, one row per galaxy.
        rows : ndarray of int
            The training rows of ``truth``.

        Returns
        -------
        dict
            The ranges, by observable (default: none).
        """
        return {}

    def card_fields(self, *, input_shape, architecture):  # noqa: ARG002
        """Return the model-card ``input`` and ``output`` entries.

        Parameters
        ----------
        input_shape : tuple of int
            Shape of the input of one row.
        architecture : dict
            The architecture (see `architecture`).

        Returns
        -------
        dict
            With keys ``input`` and ``output``.
        """
        return {"input": {"shape": [int(n) for n in input_shape], "dtype": "float32"},
                "output": {"loss": self.loss if isinstance(self.loss, str)
                           else getattr(self.loss, "__name__", str(self.loss))}}

    def final_metrics(self, model, card, x, y, *, seed):  # noqa: ARG002
        """Return the model-card ``metrics["validation"]`` of the final network (default: loss).

        Parameters
        ----------
        model : `keras.Model`
            The network.
        card : dict
            The model card written so far.
        x : ndarray
            Validation inputs.
        y : ndarray
            Validation targets.
        seed : int
            Seed of any randomness of the metric (e.g. Monte-Carlo dropout).

        Returns
        -------
        dict
            The metrics, by name.
        """
        if len(x) == 0:
            return {}
        value = self.validation_metric(model, x, y, seed=seed, batch_size=256)
        return {"n_rows": len(x), self.metric: value}

    def load(self, out_dir):
        """Load the model directory written by the trainer (default: `load_model_files`).

        Parameters
        ----------
        out_dir : str or `~pathlib.Path`
            The model directory.

        Returns
        -------
        object
            The loaded model.
        """
        from ._io import load_model_files

        return load_model_files(out_dir, card_format=self.card_format,
                                versions=(self.card_version,))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} format={self.card_format!r}>"
