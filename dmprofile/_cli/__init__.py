"""The commands of the ``dmprofile`` command line, one module per group.

Every module here has a ``register(subparsers)`` function and imports nothing but the standard
library at import time: the analysis is imported inside each command's handler, so that
``dmprofile --help`` answers at once and only the commands that need TensorFlow import it.

- `pipeline`: ``simulate dwarfs`` (training suites, `dmprofile.suites`), ``train slope`` and
  ``evaluate slope`` (`dmprofile.nets`);
- `classical`: ``jeans`` (`dmprofile.classical`);
- `workflows`: ``infer-slope`` and ``compare``, which combine several subpackages;
- `mass`: ``infer-mass`` (a workflow) and the ``train mass`` and ``evaluate mass`` subcommands
  that `pipeline` adds from it.
"""

#: The command modules, in the order of ``dmprofile --help``.
COMMAND_MODULES = ("pipeline", "classical", "workflows", "mass")

__all__ = ["COMMAND_MODULES"]
