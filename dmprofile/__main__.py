"""Run the command line as ``python -m dmprofile``."""

import sys

from .cli import main

sys.exit(main())
