"""experiments/ablate_first_batch_norm.py: the Table 3 discriminator loses its
first layer's batch norm and nothing else; a bad command is one usage line."""

import jax
import jax.numpy as jnp
import pytest

from experiments import ablate_first_batch_norm as ablate
from gengan_jax import nets
from gengan_jax.nets import dcgan_tensorflow


def _discriminator_layers():
  d = nets.make_discriminator("unrolled_gan", data_shape=(28, 28, 3), base_features=4)
  x = jnp.zeros((2, 28, 28, 3))
  variables = jax.eval_shape(lambda: d.init(jax.random.key(0), x, train=False))
  return sorted(variables["params"]), jax.tree.map(lambda a: a.shape, variables["params"])


def test_only_the_first_batch_norm_goes(monkeypatch):
  monkeypatch.setitem(dcgan_tensorflow.PRESETS, "unrolled_gan",
                      dcgan_tensorflow.PRESETS["unrolled_gan"])  # restored after the test
  names, shapes = _discriminator_layers()
  assert "bn_0" in names
  ablate.without_first_batch_norm()
  ablated_names, ablated_shapes = _discriminator_layers()
  assert sorted(set(names) - set(ablated_names)) == ["bn_0"]
  assert all(ablated_shapes[n] == shapes[n] for n in ablated_names)
  assert dcgan_tensorflow.PRESETS["unrolled_gan"].negative_slope == 0.3  # the rest as it was


def test_a_bad_command_is_one_usage_line():
  with pytest.raises(SystemExit, match=r"usage: python -m experiments.ablate_first_batch_norm "
                                       r"\{train\|evaluate\}"):
    ablate.main(["ablate", "sample"])
