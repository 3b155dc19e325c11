"""The Sphinx documentation builds without a warning (``sphinx-build -W``), as ``tox -e docs``."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
           "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=DOCS, timeout=900)
    # with -W --keep-going, sphinx reports every warning and exits with 1 if there was any
    assert out.returncode == 0, out.stderr[-4000:]
    assert (tmp_path / "html" / "architecture.html").exists()
    assert (tmp_path / "html" / "api.html").exists()
