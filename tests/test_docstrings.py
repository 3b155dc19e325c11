"""numpydoc validation of the public API: every public function, class, method and property.

The public API is what the subpackages list in ``__all__``. A selection of numpydoc's checks is
enforced (see ``CHECKS``); the others (e.g. "See Also" and "Examples" sections everywhere) are
recommendations of the style guide, not errors.
"""

import functools
import importlib
import inspect

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

SUBPACKAGES = ("dmprofile", "dmprofile.profiles", "dmprofile.results", "dmprofile.kinematics",
               "dmprofile.observe", "dmprofile.simulate", "dmprofile.suites", "dmprofile.nets",
               "dmprofile.classical", "dmprofile.datasets")

#: The enforced numpydoc checks.
CHECKS = {
    "GL08": "the object has a docstring",
    "GL02": "the closing quotes are on their own line or the docstring is one line",
    "SS01": "there is a summary line",
    "SS03": "the summary ends with a period",
    "SS05": "the summary starts with an infinitive verb, not a third-person one",
    "PR01": "every parameter is documented",
    "PR02": "no unknown parameters are documented",
    "PR03": "parameters are documented in the order of the signature",
    "PR06": "parameter types use 'int', 'bool', 'str', not 'integer', 'boolean', 'string'",
    "PR10": "a space on both sides of the colon of 'name : type'",
    "RT02": "a single return value is given by its type alone (no name); several as name : type",
}


def _underlying_function(value):
    """Return the function behind a class attribute (method, property, ...), or None."""
    if isinstance(value, property):
        value = value.fget
    elif isinstance(value, functools.cached_property):
        value = value.func
    elif isinstance(value, (classmethod, staticmethod)):
        value = value.__func__
    return value if inspect.isfunction(value) else None


def _defined_in_package(func):
    """Whether ``func`` is written in a dmprofile source file.

    Code generated at run time (the methods `dataclasses` writes, namedtuple's) has no source file
    and is not ours to document; functions borrowed from other packages are documented there.
    """
    module = getattr(func, "__module__", None) or ""
    filename = func.__code__.co_filename
    return module.split(".")[0] == "dmprofile" and not filename.startswith("<")


def _public_objects():
    """Yield ``(dotted name, object)`` of every public function, class, method and property."""
    seen = set()
    for sub in SUBPACKAGES:
        module = importlib.import_module(sub)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if id(obj) in seen or not obj.__module__.startswith("dmprofile"):
                continue
            seen.add(id(obj))
            yield f"{obj.__module__}.{obj.__qualname__}", obj
            if inspect.isclass(obj):
                for attr, value in vars(obj).items():
                    func = _underlying_function(value)
                    if attr.startswith("_") or func is None or not _defined_in_package(func):
                        continue
                    yield f"{obj.__module__}.{obj.__qualname__}.{attr}", func


@pytest.fixture(scope="module")
def public_objects():
    return dict(sorted(_public_objects(), key=lambda item: item[0]))


def test_public_api_is_found(public_objects):
    assert len(public_objects) > 100
    assert "dmprofile.results._slope.SlopePosterior.interval" in public_objects


def test_public_api_covers_methods_and_properties(public_objects):
    # a method, a classmethod, properties and a function, of several subpackages
    for name in ("dmprofile.results._profile.MassProfile.to_table",
                 "dmprofile.results._profile.MassProfile.levels",
                 "dmprofile.profiles._nfw.NFW.from_M200_c",
                 "dmprofile.results._interval.HDInterval.plus",
                 "dmprofile.kinematics._images.PhaseSpaceImages.images",
                 "dmprofile.classical.jeans.jeans_analysis"):
        assert name in public_objects


def test_no_lambda_properties(public_objects):
    # numpydoc finds a property's source by its ``def`` line, which a lambda does not have
    assert not [name for name, obj in public_objects.items() if obj.__name__ == "<lambda>"]


def test_numpydoc_validation(public_objects):
    problems = []
    for name, obj in public_objects.items():
        if obj.__name__ == "<lambda>":
            continue  # reported by test_no_lambda_properties
        result = numpydoc_validate.validate(name)
        for code, message in result["errors"]:
            if code in CHECKS:
                problems.append(f"{name}: {code} {message}")
    assert not problems, "\n".join(problems)
