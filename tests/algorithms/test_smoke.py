"""Every algorithm: a few sharded, jitted steps on tiny data.

Checks finite metrics, unchanged state structure, dtypes and shardings, no
recompilation after the first step, and the shapes of sample/encode/
reconstruct.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax.train import mesh as mesh_lib
from tests.algorithms.helpers import ALGORITHMS, DISTINCT_STEPS, tiny_config, tiny_data


def _signature(state):
  return jax.tree.map(lambda x: (x.shape, x.dtype, x.sharding), state)


@pytest.mark.parametrize("name, arch", [(n, "mlp") for n in ALGORITHMS]
                         + [(n, "dcgan") for n in DISTINCT_STEPS])
def test_sharded_steps(name, arch):
  module, cfg = tiny_config(name, arch)
  mesh = mesh_lib.make_mesh()
  assert mesh.size == 8
  k = module.num_batches(cfg)
  data = tiny_data(arch, k)
  init = jax.jit(module.init, static_argnums=1, out_shardings=mesh_lib.replicated(mesh))
  state = init(jax.random.key(0), cfg, data[0])
  before = _signature(state)
  treedef = jax.tree.structure(state)
  step = mesh_lib.shard_step(module.train_step, mesh)
  batch = jax.device_put(data, mesh_lib.batch_sharding(mesh))
  key = jax.random.key(1)
  compiled_after_first = None
  for i in range(3):
    state, metrics = step(state, batch, key)
    if i == 0:
      compiled_after_first = step._cache_size()  # pylint: disable=protected-access
    assert int(state.step) == i + 1
    assert metrics, "train_step returned no metrics"
    for k_, v in metrics.items():
      assert v.shape == () and np.isfinite(float(v)), (k_, v)
  assert step._cache_size() == compiled_after_first, "train_step recompiled after the first step"
  assert jax.tree.structure(state) == treedef
  assert _signature(state) == before

  x = jnp.asarray(data[0])
  samples = module.sample(state, jax.random.key(2), 5)
  assert samples.shape == (5,) + x.shape[1:]
  assert np.isfinite(np.asarray(samples)).all()
  if module.encode is not None:
    z = module.encode(state, x)
    assert z.shape == (x.shape[0], cfg.latent_dim)
    assert module.reconstruct(state, x).shape == x.shape


@pytest.mark.parametrize("name", ALGORITHMS)
def test_step_changes_every_trained_network(name):
  module, cfg = tiny_config(name)
  data = tiny_data("mlp", module.num_batches(cfg))
  state = module.init(jax.random.key(0), cfg, data[0])
  new, _ = jax.jit(module.train_step)(state, data, jax.random.key(1))
  assert state.networks(), f"{name}'s state lists no networks"
  for field, network in state.networks().items():
    old_p = jax.tree.leaves(network.params)
    new_p = jax.tree.leaves(new.networks()[field].params)
    changed = any(not np.array_equal(a, b) for a, b in zip(old_p, new_p))
    assert changed, f"{name}: {field} was not updated"


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
  state = module.init(jax.random.key(0), cfg, data[0])
  with pytest.raises(ValueError, match="discriminator_updates=3 with pack=1 needs 3"):
    module.train_step(state, data[:2], jax.random.key(1))
