"""Galaxy-level splits of a suite into training, validation and test sets (NumPy only).

All projections of a galaxy share its ``galaxy_id`` and must land in the same split, otherwise
the validation and test scores measure how well a network recognises a galaxy it has already
seen from another side. This module imports neither Keras nor TensorFlow, so that the split of a
model can be recomputed or checked on a machine without them.
"""

import hashlib

import numpy as np

__all__ = ["split_by_galaxy", "split_hash", "split_rows", "split_document", "SPLIT_KEYS",
           "SPLIT_FORMAT"]

#: The three parts of a split, in the order used for hashing.
SPLIT_KEYS = ("train", "validation", "test")
#: ``format`` of the ``split.json`` file of a model directory.
SPLIT_FORMAT = "dmprofile-galaxy-split"


def _check_fraction(name, value):
    if not 0.0 <= value < 1.0:
        msg = f"{name} must be in [0, 1), got {value}"
        raise ValueError(msg)


def split_by_galaxy(galaxy_ids, *, val_fraction=0.1, test_fraction=0.1, seed=0):
    """Split galaxies (not rows) into training, validation and test sets.

    All projections of a galaxy share its ``galaxy_id`` and land in the same split.

    Parameters
    ----------
    galaxy_ids : array-like of int
        Galaxy id of every row (repeated ids are projections of one galaxy).
    val_fraction, test_fraction : float
        Fractions of the distinct galaxies in the validation and test sets (each gets at least
        one galaxy when the fraction is positive).
    seed : int
        The split depends only on the set of ids and the seed.

    Returns
    -------
    dict
        ``{"train": ids, "validation": ids, "test": ids}``, sorted int64 arrays of galaxy ids.

    Examples
    --------
    >>> import numpy as np
    >>> split = split_by_galaxy(np.repeat(np.arange(20), 3), val_fraction=0.2, test_fraction=0.2)
    >>> [len(split[k]) for k in ("train", "validation", "test")]
    [12, 4, 4]
    """
    _check_fraction("val_fraction", val_fraction)
    _check_fraction("test_fraction", test_fraction)
    unique = np.unique(np.asarray(galaxy_ids, dtype=np.int64))
    n = unique.size
    n_test = max(1, round(test_fraction * n)) if test_fraction > 0 else 0
    n_val = max(1, round(val_fraction * n)) if val_fraction > 0 else 0
    if n - n_test - n_val < 1:
        msg = (f"cannot split {n} galaxies into training, validation ({val_fraction}) and test "
               f"({test_fraction}) sets with at least one training galaxy")
        raise ValueError(msg)
    perm = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(1,))).permutation(n)
    shuffled = unique[perm]
    return {"test": np.sort(shuffled[:n_test]),
            "validation": np.sort(shuffled[n_test:n_test + n_val]),
            "train": np.sort(shuffled[n_test + n_val:])}


def split_hash(split):
    """SHA-256 (hex) of the galaxy ids of a split, as recorded in a model card.

    Parameters
    ----------
    split : dict
        ``{"train": ids, "validation": ids, "test": ids}`` (as from `split_by_galaxy`).

    Returns
    -------
    str

    Examples
    --------
    >>> split = split_by_galaxy(range(10), seed=0)
    >>> split_hash(split) == split_hash({k: list(v) for k, v in split.items()})
    True
    """
    digest = hashlib.sha256()
    for key in SPLIT_KEYS:
        digest.update(key.encode())
        digest.update(np.asarray(split[key], dtype="<i8").tobytes())
    return digest.hexdigest()


def split_rows(galaxy_ids, split):
    """Row indices of each part of a galaxy split.

    Parameters
    ----------
    galaxy_ids : array-like of int
        Galaxy id of every row.
    split : dict
        Galaxy ids of each part (as from `split_by_galaxy`).

    Returns
    -------
    dict
        The same keys, each with the sorted row indices (int64) of its galaxies.

    Examples
    --------
    >>> rows = split_rows([7, 7, 8, 9], {"train": [7, 9], "validation": [8], "test": []})
    >>> {k: v.tolist() for k, v in rows.items()}
    {'train': [0, 1, 3], 'validation': [2], 'test': []}
    """
    galaxy_ids = np.asarray(galaxy_ids, dtype=np.int64)
    return {key: np.flatnonzero(np.isin(galaxy_ids, np.asarray(ids, dtype=np.int64)))
            for key, ids in split.items()}


def split_document(split, *, seed, suite_checksum):
    """Return the content of a model directory's ``split.json``.

    Parameters
    ----------
    split : dict
        Galaxy ids of each part.
    seed : int
        Seed of the split.
    suite_checksum : str
        Checksum of the suite the ids refer to.

    Returns
    -------
    dict
        ``format``, ``seed``, ``suite_checksum`` and the ids of each part as lists of int.
    """
    return {"format": SPLIT_FORMAT, "seed": seed, "suite_checksum": suite_checksum,
            **{key: [int(i) for i in ids] for key, ids in split.items()}}
