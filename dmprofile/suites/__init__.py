"""Suites of simulated galaxies: one generic engine, one recipe per galaxy kind.

`generate_suite` writes a suite of any galaxy kind to disk (a manifest and chunked FITS files,
written atomically, resumable after a kill, identical for any number of workers, on local
processes or a dask cluster) and `read_suite` reads it back, verifying every chunk. The galaxy
kind is a `SuiteRecipe`; `DwarfRecipe` makes the dwarf-galaxy training suites
(`generate_dwarf_suite`, read back as `DwarfSuite`).

The names are imported on first use, so that ``import dmprofile.suites`` (and the command
line, whose ``simulate`` commands live here) stays light.
"""

import importlib

# public name -> private module that defines it
_EXPORTS = {
    "generate_suite": "_engine",
    "read_suite": "_engine",
    "Suite": "_suite",
    "SuiteRecipe": "_recipe",
    "ChunkLayout": "_recipe",
    "ArraySpec": "_recipe",
    "GalaxyData": "_recipe",
    "GalaxyStreams": "_recipe",
    "register_recipe": "_recipe",
    "rows_to_table": "_tables",
    "DwarfRecipe": "_dwarf",
    "DwarfSuite": "_dwarf",
    "generate_dwarf_suite": "_dwarf",
    "DiscRecipe": "_disc",
    "DiscSuite": "_disc",
    "generate_disc_suite": "_disc",
}

__all__ = list(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
