"""Every algorithm: a few jitted steps on tiny data, sharded and not.

Checks finite metrics, that the first step changes every network, unchanged
state structure, dtypes and shardings, no recompilation after the first
step, and the shapes of sample/encode/reconstruct:

* on the mlp arch, every algorithm on 8 devices; those of ``ONE_VS_EIGHT``
  also on 1 device, whose first step must equal the 8 devices' one;
* on the dcgan arch, each distinct step (and each recorded algorithm) on 1
  device (1 vs 8 devices on images: ``test_sharding.py``).

The 1-device runs are the computations of ``reference_numbers.npz``
(:mod:`tests.algorithms.test_reference_numbers`: the same data, keys and
steps, and a 1-device mesh compiles to the same numbers as a plain ``jit``),
so they are compared with it here, bit for bit, instead of being compiled a
second time there. Those of ``ONE_VS_EIGHT`` start from the 8-device run's
initial state rather than compiling ``init`` again: a replicated init is the
same bits on either mesh (checked for all of them when this was changed), and
the comparison with the recorded initial state would catch it if not.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax.train import mesh as mesh_lib
from tests.algorithms import test_reference_numbers as reference
from tests.algorithms.helpers import (ALGORITHMS, DISTINCT_STEPS, assert_one_device_equals_eight,
                                      run_sharded, tiny_config, tiny_data)

ONE_DEVICE = sorted(set(DISTINCT_STEPS) | set(reference.RECORDED))
# 1 vs 8 devices on mlp. A step jitted over a mesh is the unsharded program
# (XLA's SPMD partitioner); what may differ is the order of cross-device sums,
# and random numbers if they depended on the sharding (jax's partitionable
# threefry keeps them the same). So: the recorded algorithms (their 1-device
# runs are the reference numbers' computations; batch norm, several batches
# per step), and one algorithm per other kind of thing a step carries: a
# non-network state array (began's k_t), another mutable collection (vq_vae's
# EMA codebook), dropout masks (ali), a flow's log-determinant
# (real_nvp_mle), a joint update of several networks (vae), a Q head
# (infogan).
ONE_VS_EIGHT = sorted(set(reference.RECORDED)
                      | {"began", "vq_vae", "ali", "real_nvp_mle", "vae", "infogan"})


def _signature(state):
  return jax.tree.map(lambda x: (x.shape, x.dtype, x.sharding), state)


@pytest.mark.parametrize("name, arch", [(n, "mlp") for n in ALGORITHMS]
                         + [(n, "dcgan") for n in ONE_DEVICE])
def test_steps(name, arch):
  """Three steps (8 devices on mlp, 1 on dcgan): every network changes in the
  first; on mlp, those in ONE_VS_EIGHT also run on 1 device and agree."""
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

  devices = jax.devices()[:8] if arch == "mlp" else jax.devices()[:1]
  state, history = run_sharded(module, cfg, data, devices, steps=3, on_step=check)
  assert jax.tree.structure(state) == seen["treedef"]
  # Jitted: one compile each, where eager dispatch costs seconds on conv nets.
  sample = jax.jit(module.sample, static_argnums=2)
  samples = sample(state, jax.random.key(2), 5)
  one_device = (seen["init"], history, state, samples) if arch == "dcgan" else None
  if arch == "mlp" and name in ONE_VS_EIGHT:
    first = {}

    def keep(i, state, metrics, step):
      del metrics, step
      if i in (-1, 0):
        first[i] = jax.device_get(state)

    s1, m1 = run_sharded(module, cfg, data, jax.devices()[:1], steps=3, on_step=keep,
                         init_state=seen["init"])
    assert_one_device_equals_eight(first[0], m1[0], seen["first"], history[0])
    one_device = (first[-1], m1, s1, sample(s1, jax.random.key(2), 5))
  if one_device is not None and name in reference.RECORDED:
    reference.assert_same_as_recorded(name, arch, reference.arrays(*one_device))

  x = jnp.asarray(data[0])
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
  with pytest.raises(ValueError,
                     match="wgan_gp with discriminator_updates=3 and pack=1 takes 3 per step"):
    jax.eval_shape(module.train_step, state, data[:2], jax.random.key(1))
