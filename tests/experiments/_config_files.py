"""The repository's config files (``experiments/configs/<algorithm>.py``), loaded by path."""

import importlib.util
import os
import types

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def config_module(algorithm: str) -> types.ModuleType:
  """A fresh module of ``experiments/configs/<algorithm>.py`` (not put in ``sys.modules``)."""
  path = os.path.join(ROOT, "experiments", "configs", f"{algorithm}.py")
  spec = importlib.util.spec_from_file_location(f"cfg_{algorithm}", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module
