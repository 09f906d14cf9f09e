"""The same train step on 1 device and on 8 fake CPU devices.

See :func:`tests.algorithms.helpers.assert_one_device_equals_eight` for what
agrees and how closely. Every distinct step is compared on 1 vs 8 devices on
the mlp arch inside its sharded smoke test (``tests/algorithms/test_smoke.py``,
whose 8-device run serves both). Here two more: alpha-GAN on images (its step
has every network with batch norm and a reduction over the sharded batch:
DCGAN's generator and discriminator, the encoder, the code discriminator) at
a batch of 16, and WGAN-GP on the mlp arch (a gradient penalty and a critic
loop in a ``lax.scan``). They compile under the suite's cheap setting: the
optimised HLO, the SPMD partitioner's output included, is the same text
under XLA's default pipeline (``tests/test_conftest.py``), which changes only
LLVM's code.
"""

import jax
import pytest

from gengan_jax.train import mesh as mesh_lib
from gengan_jax.train import multistep
from tests.algorithms.helpers import (assert_one_device_equals_eight, run_on_one_and_eight,
                                      tiny_config, tiny_data)


@pytest.mark.parametrize("name,arch", [("alpha_gan", "dcgan"), ("wgan_gp", "mlp")])
def test_one_device_equals_eight(name, arch):
  module, cfg = tiny_config(name, arch)
  data = tiny_data(arch, module.num_batches(cfg), batch_size=16)
  s1, m1, s8, m8 = run_on_one_and_eight(module, cfg, data, steps=1)
  assert_one_device_equals_eight(s1, m1[0], s8, m8[0])


def test_batch_not_divisible_by_devices_is_rejected():
  mesh = mesh_lib.make_mesh()
  with pytest.raises(ValueError, match=r"data.batch_size=12 .* divisible .* \(8\)"):
    mesh_lib.check_batch_size(12, mesh)


def test_a_mesh_without_auto_data_axis_is_rejected_in_one_line():
  """``jax.make_mesh``'s default Explicit axes, or a mesh without a 'data' axis: one
  ValueError naming the mesh and how to build one, before anything is traced."""
  explicit = jax.make_mesh((8,), (mesh_lib.DATA_AXIS,))
  other_name = jax.make_mesh((8,), ("batch",), axis_types=(jax.sharding.AxisType.Auto,))
  step = lambda state, batch, key: (state, {})
  for build in (lambda m: mesh_lib.shard_step(step, m),
                lambda m: multistep.shard_multi_step(step, 2, m)):
    with pytest.raises(ValueError, match=r"axis types are \{'data': 'Explicit'\}; the steps "
                                         r"need Auto axes .*make_mesh"):
      build(explicit)
    with pytest.raises(ValueError, match=r"axes are \('batch',\); .* named 'data'"):
      build(other_name)
    build(mesh_lib.make_mesh())  # the library's own mesh: Auto, 'data'
