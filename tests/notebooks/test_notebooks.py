"""Every notebook's code cells run top to bottom without error.

Cells are executed in one namespace, as a kernel would; settings named in
``FAST`` are shrunk so the suite stays quick.
"""

import glob
import json
import os

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))
FAST = {"STEPS": 5}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_notebook_runs(path):
  with open(path) as f:
    nb = json.load(f)
  namespace = {}
  for cell in nb["cells"]:
    if cell["cell_type"] != "code":
      continue
    exec(compile("".join(cell["source"]), path, "exec"), namespace)  # pylint: disable=exec-used
    namespace.update({k: v for k, v in FAST.items() if k in namespace})


def test_there_is_a_notebook():
  assert NOTEBOOKS
