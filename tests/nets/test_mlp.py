"""Tests for gengan_jax.nets.mlp."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import nets


def _init_apply(module, x, train=False):
  variables = module.init(jax.random.key(0), x, train=False)
  return variables, module.apply(variables, x, train=train)


@pytest.mark.parametrize("activation",
                         ["relu", "leaky_relu", "elu", "tanh", "softplus"])
def test_mlp_shapes_and_activations(activation):
  x = jax.random.normal(jax.random.key(1), (3, 5))
  variables, y = _init_apply(nets.MLP((16, 8), 4, activation=activation), x)
  assert y.shape == (3, 4)
  assert y.dtype == jnp.float32
  assert set(variables) == {"params"}
  assert sorted(variables["params"]) == ["hidden_0", "hidden_1", "out"]


def test_mlp_leaky_relu_slope_is_0_2():
  module = nets.MLP((), 1, activation="relu", output_activation="leaky_relu")
  x = jnp.array([[1.0], [-1.0]])
  params = {"params": {"out": {"kernel": jnp.ones((1, 1)),
                               "bias": jnp.zeros((1,))}}}
  np.testing.assert_allclose(module.apply(params, x, train=False),
                             [[1.0], [-0.2]], rtol=1e-6)


def test_mlp_output_activation_and_train_flag_ignored():
  x = 10.0 * jax.random.normal(jax.random.key(1), (4, 3))
  module = nets.MLP((8,), 2, output_activation="tanh")
  variables, y = _init_apply(module, x)
  assert jnp.all(jnp.abs(y) <= 1.0)
  np.testing.assert_array_equal(y, module.apply(variables, x, train=True))


def test_mlp_squeeze():
  x = jnp.ones((3, 2))
  _, y = _init_apply(nets.MLP((4,), 1, squeeze=True), x)
  assert y.shape == (3,)
  _, y = _init_apply(nets.MLP((4,), 1), x)
  assert y.shape == (3, 1)


def test_mlp_hidden_as_list():
  _, y = _init_apply(nets.MLP([4, 4], 2), jnp.ones((2, 3)))
  assert y.shape == (2, 2)


def test_mlp_unknown_activation_lists_valid_names():
  with pytest.raises(ValueError, match=r"'swish'.*'elu'.*'leaky_relu'.*'relu'"):
    nets.MLP((4,), 2, activation="swish")
  with pytest.raises(ValueError, match="output_activation='sigmoid'"):
    nets.MLP((4,), 2, output_activation="sigmoid")


def test_mlp_squeeze_needs_out_dim_1():
  with pytest.raises(ValueError, match="out_dim == 1"):
    nets.MLP((4,), 2, squeeze=True)


def test_mlp_rejects_non_rank2_input():
  module = nets.MLP((4,), 2)
  with pytest.raises(ValueError, match=r"\[B, D\].*\(2, 3, 4\)"):
    module.init(jax.random.key(0), jnp.ones((2, 3, 4)), train=False)


def test_toy_nets_shapes():
  z = jax.random.normal(jax.random.key(0), (4, 3))
  variables, x = _init_apply(nets.MLPGenerator(data_dim=2, hidden=(16, 16)), z)
  assert x.shape == (4, 2) and x.dtype == jnp.float32
  assert set(variables) == {"params"}

  variables, logits = _init_apply(nets.MLPDiscriminator(hidden=(16,)), x)
  assert logits.shape == (4,) and logits.dtype == jnp.float32
  assert set(variables) == {"params"}

  variables, codes = _init_apply(nets.MLPEncoder(latent_dim=5, hidden=(16,)), x)
  assert codes.shape == (4, 5) and codes.dtype == jnp.float32


def test_toy_nets_default_widths():
  variables = nets.MLPGenerator().init(jax.random.key(0), jnp.ones((1, 2)),
                                       train=False)
  widths = [variables["params"]["mlp"][f"hidden_{i}"]["kernel"].shape[1]
            for i in range(3)]
  assert widths == [128, 128, 128]
  assert variables["params"]["mlp"]["out"]["kernel"].shape == (128, 2)


def test_mlp_discriminator_is_per_example():
  module = nets.MLPDiscriminator(hidden=(8,))
  x = jax.random.normal(jax.random.key(0), (2, 2))
  variables, y = _init_apply(module, x)
  y2 = module.apply(variables, x.at[1].set(100.0), train=True)
  np.testing.assert_array_equal(y[0], y2[0])


def test_jit_and_grad():
  module = nets.MLPDiscriminator(hidden=(8,))
  x = jnp.ones((2, 2))
  variables = module.init(jax.random.key(0), x, train=False)
  grads = jax.jit(jax.grad(
      lambda p: module.apply({"params": p}, x, train=True).sum()))(
          variables["params"])
  assert jax.tree.structure(grads) == jax.tree.structure(variables["params"])
