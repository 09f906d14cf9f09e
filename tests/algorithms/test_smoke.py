"""Every algorithm: a few sharded, jitted steps on tiny data.

Checks finite metrics, that the first step changes every network, unchanged
state structure, dtypes and shardings, no recompilation after the first
step, the shapes of sample/encode/reconstruct, and (for every distinct step,
on the mlp arch) that the first step on 8 devices equals it on 1 device.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax.train import mesh as mesh_lib
from tests.algorithms.helpers import (ALGORITHMS, DISTINCT_STEPS, assert_one_device_equals_eight,
                                      run_sharded, tiny_config, tiny_data)


def _signature(state):
  return jax.tree.map(lambda x: (x.shape, x.dtype, x.sharding), state)


@pytest.mark.parametrize("name, arch", [(n, "mlp") for n in ALGORITHMS]
                         + [(n, "dcgan") for n in DISTINCT_STEPS])
def test_sharded_steps(name, arch):
  """Three steps on 8 devices: every network changes in the first; for each
  distinct step on the mlp arch, that step also equals it on 1 device."""
  module, cfg = tiny_config(name, arch)
  assert mesh_lib.make_mesh().size == 8
  data = tiny_data(arch, module.num_batches(cfg))
  seen = {}

  def check(i, state, metrics, step):
    if i == -1:
      seen["signature"] = _signature(state)
      seen["treedef"] = jax.tree.structure(state)
      seen["init"] = jax.device_get(state)
      return
    if i == 0:
      seen["compiled"] = step._cache_size()  # pylint: disable=protected-access
      seen["first"] = jax.device_get(state)
      _assert_every_network_changed(name, seen["init"], seen["first"])
    assert int(state.step) == i + 1
    assert metrics, "train_step returned no metrics"
    for k_, v in metrics.items():
      assert v.shape == () and np.isfinite(float(v)), (k_, v)
    assert step._cache_size() == seen["compiled"], "train_step recompiled after the first step"
    assert _signature(state) == seen["signature"]

  state, history = run_sharded(module, cfg, data, jax.devices()[:8], steps=3, on_step=check)
  assert jax.tree.structure(state) == seen["treedef"]
  if arch == "mlp" and name in DISTINCT_STEPS:
    s1, m1 = run_sharded(module, cfg, data, jax.devices()[:1], steps=1)
    assert_one_device_equals_eight(s1, m1[0], seen["first"], history[0])

  # Jitted: one compile each, where eager dispatch costs seconds on conv nets.
  x = jnp.asarray(data[0])
  samples = jax.jit(module.sample, static_argnums=2)(state, jax.random.key(2), 5)
  assert samples.shape == (5,) + x.shape[1:]
  assert np.isfinite(np.asarray(samples)).all()
  if module.encode is not None:
    z = jax.jit(module.encode)(state, x)
    assert z.shape == (x.shape[0], cfg.latent_dim)
    assert jax.jit(module.reconstruct)(state, x).shape == x.shape


def _assert_every_network_changed(name, before, after):
  assert before.networks(), f"{name}'s state lists no networks"
  for field, network in before.networks().items():
    old_p = jax.tree.leaves(network.params)
    new_p = jax.tree.leaves(after.networks()[field].params)
    changed = any(not np.array_equal(a, b) for a, b in zip(old_p, new_p))
    assert changed, f"{name}: {field} was not updated by its first step"


def test_alpha_gan_empirical_kl_leaves_code_discriminator_alone():
  module, cfg = tiny_config("alpha_gan", code_penalty="empirical_kl")
  data = tiny_data("mlp", 1)
  state = module.init(jax.random.key(0), cfg, data[0])
  new, metrics = jax.jit(module.train_step)(state, data, jax.random.key(1))
  for a, b in zip(jax.tree.leaves(state.code_discriminator.params),
                  jax.tree.leaves(new.code_discriminator.params)):
    np.testing.assert_array_equal(a, b)
  assert "code_discriminator_loss" not in metrics
  assert np.isfinite(float(metrics["encoder_loss"]))


def test_wgan_gp_rejects_wrong_number_of_batches():
  module, cfg = tiny_config("wgan_gp", n_critic=3)
  data = tiny_data("mlp", 3)
  state = jax.eval_shape(lambda key: module.init(key, cfg, data[0]), jax.random.key(0))
  with pytest.raises(ValueError, match="discriminator_updates=3 with pack=1 needs 3"):
    jax.eval_shape(module.train_step, state, data[:2], jax.random.key(1))



@pytest.mark.parametrize("name", ["age", "alpha_gan", "began", "ebgan", "gmmn", "infogan"])
def test_single_batch_steps_reject_several_batches(name):
  module, cfg = tiny_config(name)
  data = tiny_data("mlp", 2)
  state = jax.eval_shape(lambda key: module.init(key, cfg, data[0]), jax.random.key(0))
  with pytest.raises(ValueError, match=f"2 data batches .* {name} takes one per step"):
    jax.eval_shape(module.train_step, state, data, jax.random.key(1))
