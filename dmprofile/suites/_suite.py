"""The base class of suites read back from disk."""

from pathlib import Path

import numpy as np

__all__ = ["Suite"]


class Suite:
    """A suite of simulated galaxies read from disk by `read_suite`.

    Subclasses (one per galaxy kind, e.g. `DwarfSuite`) add named views and methods that
    regenerate a galaxy; the engine builds them with `from_chunks`.

    Parameters
    ----------
    directory : str or `~pathlib.Path`
        The suite directory.
    manifest : dict
        The content of ``manifest.json``.
    arrays : dict of str to `numpy.ndarray`
        The arrays of all rows (first axis: row), in file order; made read-only.
    tables : dict of str to `~astropy.table.Table`
        The tables, in file order; the first is the truth table (one row per suite row).
    checksum : str
        SHA-256 (hex) of the chunk files, in order.

    Attributes
    ----------
    directory : `~pathlib.Path`
    manifest : dict
    arrays : dict of str to `numpy.ndarray`
    tables : dict of str to `~astropy.table.Table`
    truth : `~astropy.table.Table`
        The truth table: one row per suite row, with a ``galaxy_id`` column.
    checksum : str

    Examples
    --------
    A dwarf suite, split into training, validation and test rows by galaxy:

    >>> import tempfile
    >>> from dmprofile.suites import generate_dwarf_suite, read_suite
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = generate_dwarf_suite(tmp, n_galaxies=4, projections=2, workers=1, bins=16,
    ...                                 progress=False)
    ...     suite = read_suite(path)
    >>> list(suite.arrays), list(suite.tables), len(suite)
    (['IMAGES'], ['TRUTH', 'REJECTED'], 8)
    >>> [len(rows) for rows in suite.split((0.5, 0.25, 0.25), seed=0)]
    [4, 2, 2]
    """

    def __init__(self, directory, manifest, arrays, tables, checksum):
        self.directory = Path(directory)
        self.manifest = manifest
        for array in arrays.values():
            array.flags.writeable = False
        self.arrays = dict(arrays)
        self.tables = dict(tables)
        self.truth = next(iter(self.tables.values()))
        self.checksum = checksum

    @classmethod
    def from_chunks(cls, directory, manifest, arrays, tables, checksum):
        """Build the suite from what the engine read.

        Subclasses whose constructor takes other arguments override this.

        Parameters
        ----------
        directory : `~pathlib.Path`
            The suite directory.
        manifest : dict
            The manifest.
        arrays : dict of str to `numpy.ndarray`
            The arrays of all rows, by HDU name.
        tables : dict of str to `~astropy.table.Table`
            The tables, by HDU name, the truth table first.
        checksum : str
            SHA-256 (hex) of the chunk files.

        Returns
        -------
        `Suite`
            An instance of the class.
        """
        return cls(directory, manifest, arrays, tables, checksum)

    def __len__(self):
        return len(self.truth)

    def __repr__(self):
        m = self.manifest
        shapes = ", ".join(f"{name} {a.shape[1:]}" for name, a in self.arrays.items())
        return (f"<{type(self).__name__} {m.get('format')} {len(self)} rows of "
                f"{m.get('n_galaxies')} galaxies, seed={m.get('seed')}, arrays: {shapes}, "
                f"checksum={self.checksum[:12]}>")

    def split(self, fractions=(0.8, 0.1, 0.1), *, seed=0):
        """Split the rows by galaxy (all rows of a galaxy fall in the same part).

        Parameters
        ----------
        fractions : sequence of float
            Fractions of the galaxies in each part (normalised to sum 1).
        seed : int, optional
            Seed of the random assignment of galaxies.

        Returns
        -------
        tuple of `numpy.ndarray`
            Row indices of each part.
        """
        fractions = np.asarray(fractions, dtype=float)
        if fractions.ndim != 1 or np.any(fractions < 0) or fractions.sum() <= 0:
            msg = f"argument 'fractions' must be non-negative with a positive sum, got {fractions}"
            raise ValueError(msg)
        ids = np.unique(np.asarray(self.truth["galaxy_id"]))
        ids = np.random.default_rng(seed).permutation(ids)
        edges = np.round(np.cumsum(fractions) / fractions.sum() * len(ids)).astype(int)
        parts = np.split(ids, edges[:-1])
        gid = np.asarray(self.truth["galaxy_id"])
        return tuple(np.flatnonzero(np.isin(gid, part)) for part in parts)
