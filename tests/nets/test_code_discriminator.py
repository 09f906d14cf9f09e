"""Tests for gengan_jax.nets.code_discriminator."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import nets


def test_default_architecture_is_three_hidden_layers_of_750():
  module = nets.CodeDiscriminator()
  variables = jax.eval_shape(
      lambda: module.init(jax.random.key(0), jnp.ones((2, 10)), train=False))
  assert set(variables) == {"params"}  # No batch_stats: no batch norm.
  params = variables["params"]
  dense = sorted(k for k in params if k.startswith("hidden_"))
  assert dense == ["hidden_0", "hidden_1", "hidden_2"]
  assert [params[k]["kernel"].shape for k in dense] == [
      (10, 750), (750, 750), (750, 750)]
  assert params["out"]["kernel"].shape == (750, 1)
  assert set(params) == {"hidden_0", "hidden_1", "hidden_2", "out"}


def test_output_shape_dtype_and_train_ignored():
  module = nets.CodeDiscriminator(hidden=(16, 16))
  z = jax.random.normal(jax.random.key(1), (4, 3))
  variables = module.init(jax.random.key(0), z, train=False)
  logits = module.apply(variables, z, train=True)
  assert logits.shape == (4,) and logits.dtype == jnp.float32
  np.testing.assert_array_equal(logits,
                                module.apply(variables, z, train=False))


def test_leaky_relu_slope():
  module = nets.CodeDiscriminator(hidden=(1,), negative_slope=0.1)
  params = {"params": {
      "hidden_0": {"kernel": jnp.ones((1, 1)), "bias": jnp.zeros((1,))},
      "out": {"kernel": jnp.ones((1, 1)), "bias": jnp.zeros((1,))},
  }}
  np.testing.assert_allclose(
      module.apply(params, jnp.array([[2.0], [-2.0]]), train=False),
      [2.0, -0.2], rtol=1e-6)


def test_per_example():
  module = nets.CodeDiscriminator(hidden=(8,))
  z = jax.random.normal(jax.random.key(1), (2, 3))
  variables = module.init(jax.random.key(0), z, train=False)
  a = module.apply(variables, z, train=True)
  b = module.apply(variables, z.at[1].set(5.0), train=True)
  np.testing.assert_array_equal(a[0], b[0])


def test_rejects_non_rank2_codes():
  with pytest.raises(ValueError, match=r"\[B, K\]"):
    nets.CodeDiscriminator(hidden=(4,)).init(
        jax.random.key(0), jnp.ones((2, 3, 1)), train=False)
