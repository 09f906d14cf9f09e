"""The same train step on 1 device and on 8 fake CPU devices.

Only the order of floating-point reductions differs between the two, so
losses, gradients (Adam's first moments ``mu`` after one step are
``(1 - b1) * grad``) and batch-norm statistics agree closely. Parameters are
compared with an absolute tolerance of one learning rate: Adam's first update
is ``lr * g / (|g| + eps)``, so a gradient within rounding of zero may move
its parameter by up to ``lr`` either way.
"""

import jax
import numpy as np
import pytest

from gengan_jax.train import mesh as mesh_lib
from tests.algorithms.helpers import DISTINCT_STEPS, IMAGE_SHARDING, tiny_config, tiny_data


def _run(module, cfg, data, devices, steps):
  mesh = mesh_lib.make_mesh(devices)
  init = jax.jit(module.init, static_argnums=1, out_shardings=mesh_lib.replicated(mesh))
  state = init(jax.random.key(0), cfg, data[0])
  step = mesh_lib.shard_step(module.train_step, mesh)
  batch = jax.device_put(data, mesh_lib.batch_sharding(mesh))
  history = []
  for _ in range(steps):
    state, metrics = step(state, batch, jax.random.key(1))
    history.append(jax.device_get(metrics))
  return jax.device_get(state), history


def _is_param(path) -> bool:
  names = [getattr(p, "name", getattr(p, "key", None)) for p in path]
  return "params" in names and "opt_state" not in names


# Two of them again under XLA's default pipeline (tests/conftest.py).
OPTIMIZED = [pytest.param("dcgan", "dcgan", marks=pytest.mark.optimized, id="dcgan-dcgan-optimized"),
             pytest.param("wgan_gp", "mlp", marks=pytest.mark.optimized, id="wgan_gp-mlp-optimized")]


@pytest.mark.parametrize("name,arch", [(n, "mlp") for n in DISTINCT_STEPS]
                         + [(n, "dcgan") for n in IMAGE_SHARDING] + OPTIMIZED)
def test_one_device_equals_eight(name, arch):
  module, cfg = tiny_config(name, arch)
  data = tiny_data(arch, module.num_batches(cfg), batch_size=16)
  s1, m1 = _run(module, cfg, data, jax.devices()[:1], steps=1)
  s8, m8 = _run(module, cfg, data, jax.devices()[:8], steps=1)
  lr = 2e-4
  flat1, _ = jax.tree_util.tree_flatten_with_path(s1)
  flat8, _ = jax.tree_util.tree_flatten_with_path(s8)
  for (path, a), (_, b) in zip(flat1, flat8, strict=True):
    if _is_param(path):
      np.testing.assert_allclose(a, b, rtol=0, atol=lr, err_msg=jax.tree_util.keystr(path))
    else:
      np.testing.assert_allclose(a, b, rtol=2e-3, atol=1e-6, err_msg=jax.tree_util.keystr(path))
  for k in m1[0]:
    np.testing.assert_allclose(m1[0][k], m8[0][k], rtol=1e-4, atol=1e-6, err_msg=k)


def test_batch_not_divisible_by_devices_is_rejected():
  mesh = mesh_lib.make_mesh()
  with pytest.raises(ValueError, match=r"data.batch_size=12 .* divisible .* \(8\)"):
    mesh_lib.check_batch_size(12, mesh)
