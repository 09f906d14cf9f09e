"""multi_step: T steps in one compiled call equal T separate steps."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax.train import mesh as mesh_lib
from gengan_jax.train import multistep
from tests.algorithms import helpers

T = 3


@pytest.mark.parametrize("name", ["dcgan", "wgan_gp"])
def test_scan_of_steps_equals_separate_steps(name):
  module, cfg = helpers.tiny_config(name)
  nb = module.num_batches(cfg)
  batches = jnp.asarray(np.stack([helpers.tiny_data("mlp", nb, seed=s)
                                  for s in range(T)]))
  key = jax.random.key(7)
  state = module.init(jax.random.key(0), cfg, batches[0, 0])

  step = jax.jit(module.train_step)
  expected, metrics = state, []
  for t in range(T):
    expected, m = step(expected, batches[t], key)
    metrics.append(m)

  got, stacked = jax.jit(multistep.multi_step(module.train_step, T))(
      state, batches, key)
  assert int(got.step) == T
  helpers.leaves_equal(got, expected, rtol=1e-5, atol=1e-6)
  assert jax.tree.structure(got) == jax.tree.structure(expected)
  for k in metrics[0]:
    assert stacked[k].shape == (T,)
    np.testing.assert_allclose(stacked[k], [m[k] for m in metrics],
                               rtol=1e-5, atol=1e-6)


def test_sharded_multi_step_matches_unsharded():
  module, cfg = helpers.tiny_config("dcgan")
  batches = jnp.asarray(np.stack([helpers.tiny_data("mlp", 1, seed=s)
                                  for s in range(T)]))
  key = jax.random.key(1)
  init = lambda: module.init(jax.random.key(0), cfg, batches[0, 0])
  mesh = mesh_lib.make_mesh()
  sharded = multistep.shard_multi_step(module.train_step, T, mesh)
  got, _ = sharded(jax.device_put(init(), mesh_lib.replicated(mesh)),
                   jax.device_put(batches, multistep.batches_sharding(mesh)), key)
  want, _ = jax.jit(multistep.multi_step(module.train_step, T))(init(), batches, key)
  helpers.leaves_equal(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "3"])
def test_num_steps_must_be_a_positive_int(bad):
  with pytest.raises(ValueError, match="num_steps must be a positive integer"):
    multistep.multi_step(lambda s, b, k: (s, {}), bad)


def test_wrong_number_of_batches_is_named():
  run = multistep.multi_step(lambda s, b, k: (s, {}), 4)
  with pytest.raises(ValueError, match=r"num_steps=4: pass \[4, num_batches"):
    run(0, jnp.zeros((3, 1, 2, 2)), jax.random.key(0))
