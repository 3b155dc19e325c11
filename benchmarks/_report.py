"""Shared helpers of the benchmark scripts: machine description and docs/benchmarks.md sections.

Each script owns one section of ``docs/benchmarks.md``, delimited by
``<!-- NAME start -->`` / ``<!-- NAME end -->`` markers, and replaces only that section.
"""

import os
import platform
import re
from pathlib import Path

import numpy as np

from dmprofile import __version__
from dmprofile._utils import atomic_write_text

__all__ = ["machine", "write_section"]


def machine(*extra):
    """One line describing the machine and the software versions (plus ``extra`` items)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    parts = [platform.platform(), platform.processor() or platform.machine(),
             f"os.cpu_count() = {os.cpu_count()} (usable by this process: {usable})",
             f"Python {platform.python_version()}", f"numpy {np.__version__}", *extra,
             f"dmprofile {__version__}"]
    return ", ".join(parts)


def write_section(path, name, text):
    """Replace (or append) the ``name`` section of the markdown file ``path``, atomically."""
    start, end = f"<!-- {name} start -->", f"<!-- {name} end -->"
    path = Path(path)
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"{start}\n{text.rstrip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    new = (pattern.sub(lambda _: block, old) if pattern.search(old)
           else old.rstrip() + "\n\n" + block + "\n")
    atomic_write_text(path, new)
