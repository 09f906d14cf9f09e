"""Every notebook's code cells run top to bottom, and compute what they should.

Cells are executed in one namespace, as a kernel would; settings named in
``FAST`` are shrunk so the suite stays quick. ``CHECKS`` has, for every
notebook, a function that asserts on the values the notebook computed (the
namespace after its last cell).
"""

import glob
import json
import os

import jax
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))
FAST = {"STEPS": 5}


def _check_quickstart(ns):
  """alpha-GAN trained FAST['STEPS'] steps on the ring, sampled and scored."""
  alpha_gan, ring = ns["alpha_gan"], ns["ring"]
  assert ns["STEPS"] == FAST["STEPS"]
  # The training loop took exactly STEPS steps and moved the networks away
  # from their initialisation (same key and example batch as the notebook).
  state = ns["state"]
  assert int(state.step) == FAST["STEPS"]
  init = alpha_gan.init(jax.random.key(0), ns["cfg"], ring.batch(0, 256, seed=0)[0])
  for net in ("generator", "encoder", "discriminator"):
    before = jax.tree.leaves(getattr(init, net).params)
    after = jax.tree.leaves(getattr(state, net).params)
    assert any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True)), net
  # The last step's losses: all of alpha-GAN's, finite; D's outputs in (0, 1).
  m = {k: float(v) for k, v in ns["m"].items()}
  assert {"generator_loss", "encoder_loss", "discriminator_loss",
          "reconstruction_l1"} <= set(m)
  assert all(np.isfinite(v) for v in m.values()), m
  assert 0.0 < m["d_real"] < 1.0 and 0.0 < m["d_fake"] < 1.0
  # 2,500 finite 2-D samples, and their mode coverage on the ring's 8 modes.
  samples, cov = ns["samples"], ns["cov"]
  assert samples.shape == (2500, 2) and np.all(np.isfinite(samples))
  assert cov.num_modes == 8 and cov.counts.shape == (8,)
  assert cov.counts.sum() == round(cov.high_quality_fraction * 2500)
  assert cov.modes_covered == int((cov.counts >= 1).sum())
  assert ns["real"].shape == (2500, 2)


CHECKS = {"quickstart.ipynb": _check_quickstart}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_notebook_runs(path):
  name = os.path.basename(path)
  assert name in CHECKS, (
      f"no checks for {name}: add a function asserting on the values it computes "
      f"to CHECKS in {__file__}")
  with open(path) as f:
    nb = json.load(f)
  namespace = {}
  for cell in nb["cells"]:
    if cell["cell_type"] != "code":
      continue
    exec(compile("".join(cell["source"]), path, "exec"), namespace)  # pylint: disable=exec-used
    namespace.update({k: v for k, v in FAST.items() if k in namespace})
  CHECKS[name](namespace)


def test_there_is_a_notebook():
  assert NOTEBOOKS
