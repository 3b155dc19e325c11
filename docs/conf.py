# Sphinx configuration for dmprofile (sphinx-astropy).
import datetime

from sphinx_astropy.conf.v2 import *  # noqa: F401,F403

import dmprofile

project = "dmprofile"
author = "The dmprofile developers"
copyright = f"{datetime.datetime.now().year}, {author}"
version = release = dmprofile.__version__

for _ext in ("myst_parser", "matplotlib.sphinxext.plot_directive"):
    if _ext not in extensions:  # noqa: F405
        extensions.append(_ext)  # noqa: F405
# The documentation builds offline (no downloads at build time): no intersphinx inventories.
intersphinx_mapping.clear()  # noqa: F405
html_theme_options = {"github_url": ""}
html_title = f"dmprofile {release}"
nitpicky = False
suppress_warnings = ["config.cache"]
