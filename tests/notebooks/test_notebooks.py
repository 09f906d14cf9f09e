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


def _check_likelihood_vs_gan(ns):
  """A VAE, a Real NVP and a GAN trained FAST['STEPS'] steps; the two
  densities on the grid, the samples and their mode coverage."""
  assert ns["STEPS"] == FAST["STEPS"]
  for state in (ns["vae_state"], ns["flow_state"], ns["gan_state"]):
    assert int(state.step) == FAST["STEPS"]
  n, cell = ns["N"], ns["cell"]
  for logp in (ns["flow_logp"], ns["vae_logp"]):
    assert logp.shape == (n * n,) and np.all(np.isfinite(logp))
  # A density integrates to at most 1 over part of the plane, and a lower
  # bound on one too; the flow (near N(0, I) after a few steps) puts most of
  # its mass on the grid.
  flow_mass = np.exp(ns["flow_logp"]).sum() * cell
  vae_mass = np.exp(ns["vae_logp"]).sum() * cell
  assert 0.5 < flow_mass <= 1.01 and vae_mass <= 1.01, (flow_mass, vae_mass)
  # The grid's values are the models' own log_likelihood.
  i = np.array([0, n * n // 2, n * n - 1])
  direct = ns["flow"].log_likelihood(ns["flow_state"], ns["grid"][i], jax.random.key(3))
  np.testing.assert_allclose(ns["flow_logp"][i], direct, rtol=1e-5, atol=1e-5)
  assert set(ns["samples"]) == {"vae", "flow", "gan"}
  for x in ns["samples"].values():
    assert x.shape == (2500, 2) and np.all(np.isfinite(x))
  for cov in ns["coverage"].values():
    assert cov.num_modes == 8 and 0 <= cov.modes_covered <= 8


CHECKS = {"quickstart.ipynb": _check_quickstart,
          "likelihood_vs_gan.ipynb": _check_likelihood_vs_gan}


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
