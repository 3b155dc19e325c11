"""What the suite engine asks of a galaxy kind: the recipe, its chunk layout, its random streams."""

import importlib
from dataclasses import dataclass, field

import numpy as np

from ._tables import rows_to_table

__all__ = ["SuiteRecipe", "ChunkLayout", "ArraySpec", "GalaxyData", "GalaxyStreams",
           "register_recipe", "recipe_for_format"]

# Manifest keys written by the engine itself; a recipe's `manifest_fields` must not reuse them.
ENGINE_KEYS = ("format", "format_version", "dmprofile_version", "n_galaxies", "seed",
               "chunk_size", "n_chunks", "chunks", "complete", "checksum")


@dataclass(frozen=True)
class ArraySpec:
    """One array stored per suite row (an image HDU of every chunk file).

    Parameters
    ----------
    shape : tuple of int
        Shape of the array of one row, e.g. ``(2, 64, 64)`` or ``(5, 128, 128)``.
    dtype : str or `numpy.dtype`
        Data type on disk and in memory (default ``float32``).
    """

    shape: tuple
    dtype: str = "float32"

    def __post_init__(self):
        object.__setattr__(self, "shape", tuple(int(n) for n in self.shape))
        object.__setattr__(self, "dtype", np.dtype(self.dtype).str.lstrip("<>=|"))


@dataclass(frozen=True)
class ChunkLayout:
    """The layout of the chunk files of a suite, derived from its manifest.

    Parameters
    ----------
    arrays : dict of str to `ArraySpec`
        The arrays of every row, in file order (one image HDU each, named by the key).
    tables : tuple of str
        The table HDUs, in file order. The first is the truth table: one row per suite row,
        with at least a ``galaxy_id`` column. The others (logs, e.g. rejected draws) may have
        any number of rows.
    rows_per_galaxy : int
        Suite rows per galaxy (e.g. lines of sight).
    """

    arrays: dict
    tables: tuple
    rows_per_galaxy: int = 1

    def __post_init__(self):
        if not self.tables:
            msg = "a chunk layout needs at least the truth table"
            raise ValueError(msg)
        names = [*self.arrays, *self.tables]
        if len(set(names)) != len(names) or "PRIMARY" in names:
            msg = f"the HDU names of a chunk must be distinct and not PRIMARY, got {names}"
            raise ValueError(msg)
        object.__setattr__(self, "tables", tuple(self.tables))

    @property
    def truth(self):
        """str: name of the truth table."""
        return self.tables[0]


@dataclass(frozen=True)
class GalaxyData:
    """What `SuiteRecipe.simulate` returns for one galaxy.

    Parameters
    ----------
    arrays : dict of str to `numpy.ndarray`
        One array per `ChunkLayout.arrays` entry, of shape ``(rows_per_galaxy, *spec.shape)``.
    tables : dict of str to list of dict
        Rows (dicts of column name to scalar or array value) per table name; the truth table
        gets ``rows_per_galaxy`` rows, each with the ``galaxy_id``.
    """

    arrays: dict
    tables: dict = field(default_factory=dict)


class GalaxyStreams:
    """The random streams of one galaxy of a suite.

    Stream ``key`` of galaxy ``g`` in a suite with seed ``seed`` is
    ``numpy.random.SeedSequence(seed, spawn_key=(g, *key))``: independent of every other
    galaxy, of the order in which galaxies are computed and of the number of workers.

    Parameters
    ----------
    seed : int
        The suite seed.
    galaxy_id : int
        The galaxy.

    Examples
    --------
    >>> from dmprofile.suites import GalaxyStreams
    >>> streams = GalaxyStreams(5, galaxy_id=3)
    >>> a = streams.rng(0).normal()
    >>> a == GalaxyStreams(5, galaxy_id=3).rng(0).normal() != streams.rng(1).normal()
    True
    """

    def __init__(self, seed, galaxy_id):
        self.seed = int(seed)
        self.galaxy_id = int(galaxy_id)

    def __repr__(self):
        return f"GalaxyStreams(seed={self.seed}, galaxy_id={self.galaxy_id})"

    def seed_sequence(self, *key):
        """Return the seed sequence of stream ``key``.

        Parameters
        ----------
        *key : int
            The stream, e.g. ``0`` or ``2, k``.

        Returns
        -------
        `numpy.random.SeedSequence`
            ``SeedSequence(seed, spawn_key=(galaxy_id, *key))``.
        """
        return np.random.SeedSequence(self.seed, spawn_key=(self.galaxy_id, *key))

    def rng(self, *key):
        """Return a random generator on stream ``key``.

        Parameters
        ----------
        *key : int
            The stream.

        Returns
        -------
        `numpy.random.Generator`
        """
        return np.random.default_rng(self.seed_sequence(*key))

    def int_seed(self, *key):
        """Draw a 63-bit integer seed from stream ``key`` (to store in a truth table).

        Parameters
        ----------
        *key : int
            The stream.

        Returns
        -------
        int
            A seed in [0, 2**63).
        """
        state = self.seed_sequence(*key).generate_state(1, np.uint64)[0]
        return int(state >> np.uint64(1))


class SuiteRecipe:
    """Base class of the recipe of one galaxy kind, which `generate_suite` turns into a suite.

    A recipe holds the parameters that define the content of a suite besides the number of
    galaxies and the seed (e.g. the prior, the image size) and must be picklable (it is sent
    to worker processes); a frozen dataclass is the natural form. Subclasses set the class
    attributes and implement `layout` and `simulate`; the other methods have working defaults.

    Attributes
    ----------
    kind : str
        Short name of the galaxy kind (``"dwarf"``), shown in progress bars.
    format : str
        Format name written in the manifest and chunk headers (``"dmprofile-dwarf-suite"``).
    format_version : int
        Format version; bump it whenever the files change for the same parameters.
    suite_class : type
        The `Suite` subclass that `read_suite` returns.
    identity : tuple of str
        Keys of `manifest_fields` that define the content: a resumed run must match them.
    manifest_order : tuple of str or None
        Key order of ``manifest.json`` (engine and recipe keys); keys not listed follow in
        the default order. Only needed to keep the bytes of an existing format.
    generator : str
        How to regenerate a suite of this kind, named in the error for an incomplete suite.
    """

    kind = None
    format = None
    format_version = None
    suite_class = None
    identity = ()
    manifest_order = None
    generator = "generate_suite with the same recipe and arguments"

    def manifest_fields(self):
        """Return the parameters of the recipe to record in the manifest.

        Returns
        -------
        dict
            JSON-friendly values, keyed by names that the engine does not use.
        """
        return {}

    @classmethod
    def layout(cls, manifest):
        """Return the layout of the chunk files of a suite (used to write and to read).

        Parameters
        ----------
        manifest : dict
            The manifest of the suite (engine keys and `manifest_fields`).

        Returns
        -------
        `ChunkLayout`
        """
        raise NotImplementedError(f"{cls.__name__} must implement layout(manifest)")

    def simulate(self, galaxy_id, streams):
        """Simulate one galaxy using only its random streams.

        Parameters
        ----------
        galaxy_id : int
            The galaxy.
        streams : `GalaxyStreams`
            Its random streams; use nothing else, so that any worker gets the same result.

        Returns
        -------
        `GalaxyData`
            Its arrays and table rows, as `layout` says.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement simulate()")

    def pack_table(self, name, rows):
        """Build table ``name`` of one chunk from its rows.

        Parameters
        ----------
        name : str
            The table (one of `ChunkLayout.tables`).
        rows : list of dict
            The rows of all galaxies of the chunk, in order.

        Returns
        -------
        `~astropy.table.Table`
            By default `rows_to_table` of the rows.
        """
        return rows_to_table(rows)

    def header_cards(self, arrays, tables):
        """Return extra cards for the primary header of a chunk.

        Parameters
        ----------
        arrays : dict of str to `numpy.ndarray`
            The arrays of the chunk, by HDU name.
        tables : dict of str to `~astropy.table.Table`
            The tables of the chunk, by HDU name.

        Returns
        -------
        list of tuple
            ``(keyword, value, comment)``; by default the number of rows, ``NROWS``.
        """
        truth = next(iter(tables.values()))
        return [("NROWS", len(truth), "rows")]


_RECIPES = {}
# Recipes of this package, imported when `read_suite` first meets their format.
_BUILTIN = {"dmprofile-dwarf-suite": "dmprofile.suites._dwarf",
            "dmprofile-disc-suite": "dmprofile.suites._disc"}


def register_recipe(recipe_class):
    """Register a `SuiteRecipe` subclass, so that `read_suite` recognises its format.

    Usable as a class decorator. A later registration of the same format replaces the earlier
    one.

    Parameters
    ----------
    recipe_class : type
        The `SuiteRecipe` subclass.

    Returns
    -------
    type
        ``recipe_class``.
    """
    if not (isinstance(recipe_class, type) and issubclass(recipe_class, SuiteRecipe)):
        msg = f"register_recipe needs a SuiteRecipe subclass, got {recipe_class!r}"
        raise TypeError(msg)
    check_recipe_class(recipe_class)
    _RECIPES[recipe_class.format] = recipe_class
    return recipe_class


def recipe_for_format(name):
    """Return the registered recipe class of format ``name``; `ValueError` if there is none."""
    if name not in _RECIPES and name in _BUILTIN:
        importlib.import_module(_BUILTIN[name])
    try:
        return _RECIPES[name]
    except KeyError:
        known = ", ".join(sorted({*_RECIPES, *_BUILTIN}))
        msg = (f"unknown suite format {name!r} (registered: {known}); "
               f"pass recipe= or register its recipe with register_recipe")
        raise ValueError(msg) from None


def check_recipe_class(cls):
    """Raise `TypeError` naming the first class attribute a recipe class lacks."""
    from ._suite import Suite

    checks = {"kind": lambda v: isinstance(v, str) and v,
              "format": lambda v: isinstance(v, str) and v,
              "format_version": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "suite_class": lambda v: isinstance(v, type) and issubclass(v, Suite)}
    for name, good in checks.items():
        if not good(getattr(cls, name, None)):
            msg = (f"recipe {cls.__name__} must set the class attribute '{name}', "
                   f"got {getattr(cls, name, None)!r}")
            raise TypeError(msg)
