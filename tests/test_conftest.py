"""The ``optimized`` marker really compiles with XLA's default pipeline, and
what that pipeline changes: LLVM's code, not the HLO.

``jax_disable_most_optimizations`` sets XLA's backend optimisation level to 0
and turns LLVM's expensive passes off; the HLO passes (SPMD partitioning,
fusion, layout assignment) run the same. So a program's optimised HLO is the
same text under both settings, and its floats can still differ in their last
bits (LLVM contracts and reorders arithmetic when it optimises).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax.train import mesh as mesh_lib
from tests.algorithms.helpers import tiny_config, tiny_data


def _with_optimizations(disabled: bool, fn):
  """``fn()`` with ``jax_disable_most_optimizations`` at ``disabled``, the
  caches cleared around it (the setting is not part of their keys)."""
  before = jax.config.read("jax_disable_most_optimizations")
  jax.config.update("jax_disable_most_optimizations", disabled)
  jax.clear_caches()
  try:
    return fn()
  finally:
    jax.config.update("jax_disable_most_optimizations", before)
    jax.clear_caches()


def _softplus_bits():
  x = jax.random.normal(jax.random.key(0), (4099,))
  return np.asarray(jax.jit(jax.nn.softplus)(x))


@pytest.mark.optimized
def test_marked_tests_run_optimized():
  """Softplus (``log1p(exp(-|x|)) + max(x, 0)``) comes out of LLVM with other
  last bits when it is optimised: the marker's setting reaches the compiler."""
  assert not jax.config.read("jax_disable_most_optimizations")
  optimized = _softplus_bits()
  fast = _with_optimizations(True, _softplus_bits)
  assert not np.array_equal(fast, optimized)
  np.testing.assert_allclose(fast, optimized, rtol=1e-6)


def test_other_tests_run_with_most_optimizations_disabled():
  assert jax.config.read("jax_disable_most_optimizations")


@pytest.mark.optimized
def test_the_setting_leaves_the_optimized_hlo_alone():
  """WGAN-GP's step sharded over 8 devices (a critic loop in a ``lax.scan``, a
  gradient penalty, sums over the sharded batch) compiles to the same
  optimised HLO under both settings: the partitioner's, fusion's and layout's
  decisions are the users'. This is why the suite's sharding and resume
  checks run under the cheap setting (the same held for alpha-GAN's DCGAN
  step on 8 devices, 17,123 lines, and for the learning checks' training
  loops of dcgan and vae when this was written)."""
  module, cfg = tiny_config("wgan_gp")
  data = tiny_data("mlp", module.num_batches(cfg), batch_size=16)
  mesh = mesh_lib.make_mesh()
  state = jax.device_put(jax.jit(lambda k: module.init(k, cfg, data[0]))(jax.random.key(0)),
                         mesh_lib.replicated(mesh))
  batch = jax.device_put(jnp.asarray(data), mesh_lib.batch_sharding(mesh))

  def hlo():
    return jax.jit(module.train_step).lower(state, batch, jax.random.key(1)).compile().as_text()

  texts = [_with_optimizations(disabled, hlo) for disabled in (False, True)]
  assert "all-reduce" in texts[0]  # the sharded program, not a 1-device one
  assert texts[0] == texts[1]
