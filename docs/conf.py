# Sphinx configuration for dmprofile (sphinx-astropy).
import datetime

from sphinx_astropy.conf.v2 import *  # noqa: F401,F403

import dmprofile

project = "dmprofile"
author = "The dmprofile developers"
copyright = f"{datetime.datetime.now().year}, {author}"
version = release = dmprofile.__version__

extensions += ["myst_parser", "sphinx.ext.doctest", "matplotlib.sphinxext.plot_directive", "pytest_doctestplus.sphinx.doctestplus"]  # noqa: F405
intersphinx_mapping.update({  # noqa: F405
    "astropy": ("https://docs.astropy.org/en/stable/", None),
})
html_theme_options = {"github_url": ""}
html_title = f"dmprofile {release}"
nitpicky = False
suppress_warnings = ["config.cache"]
