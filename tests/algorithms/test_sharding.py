"""The same train step on 1 device and on 8 fake CPU devices, on images.

See :func:`tests.algorithms.helpers.assert_one_device_equals_eight` for what
agrees and how closely. Every distinct step is also compared on 1 vs 8
devices on the mlp arch, inside its sharded smoke test
(``tests/algorithms/test_smoke.py``), whose 8-device run serves both.
"""

import jax
import pytest

from gengan_jax.train import mesh as mesh_lib
from tests.algorithms.helpers import (IMAGE_SHARDING, assert_one_device_equals_eight,
                                      run_sharded, tiny_config, tiny_data)

# Two of them again under XLA's default pipeline (tests/conftest.py).
OPTIMIZED = [pytest.param("dcgan", "dcgan", marks=pytest.mark.optimized, id="dcgan-dcgan-optimized"),
             pytest.param("wgan_gp", "mlp", marks=pytest.mark.optimized, id="wgan_gp-mlp-optimized")]


@pytest.mark.parametrize("name,arch", [(n, "dcgan") for n in IMAGE_SHARDING] + OPTIMIZED)
def test_one_device_equals_eight(name, arch):
  module, cfg = tiny_config(name, arch)
  data = tiny_data(arch, module.num_batches(cfg), batch_size=16)
  s1, m1 = run_sharded(module, cfg, data, jax.devices()[:1], steps=1)
  s8, m8 = run_sharded(module, cfg, data, jax.devices()[:8], steps=1)
  assert_one_device_equals_eight(s1, m1[0], s8, m8[0])


def test_batch_not_divisible_by_devices_is_rejected():
  mesh = mesh_lib.make_mesh()
  with pytest.raises(ValueError, match=r"data.batch_size=12 .* divisible .* \(8\)"):
    mesh_lib.check_batch_size(12, mesh)
