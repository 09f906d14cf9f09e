"""Tests for gengan_jax.nets.joint_discriminator."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import nets
from gengan_jax.nets import mlp

X = np.array([[0.5, -1.0], [2.0, 0.25], [-0.3, 0.7]], np.float32)
Z = np.array([[1.0, 0.0, -2.0], [0.5, 0.5, 0.5], [-1.0, 2.0, 0.0]], np.float32)


def _params(module, x, z):
  return module.init(jax.random.key(0), (x, z), train=False)


def test_mlp_form_is_a_hand_computed_mlp_on_the_concatenation():
  module = nets.JointDiscriminator(hidden=(4,), activation="relu")
  variables = _params(module, X, Z)
  p = variables["params"]["mlp"]
  h = np.maximum(np.concatenate([X, Z], -1) @ p["hidden_0"]["kernel"] + p["hidden_0"]["bias"], 0)
  want = (h @ p["out"]["kernel"] + p["out"]["bias"])[:, 0]
  got = module.apply(variables, (X, Z), train=True)
  assert got.shape == (3,)
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
  assert p["hidden_0"]["kernel"].shape == (5, 4) and set(variables) == {"params"}


def test_defaults_are_mlp_on_the_flattened_pair_with_its_names_and_init():
  """Without dropout the head is mlp.MLP named 'mlp': same parameters, same logits."""
  x = jnp.asarray(np.tile(X[:, :1, None], (1, 2, 2)))  # [3, 2, 2]: flattened to 4.
  module = nets.JointDiscriminator()
  variables = _params(module, x, Z)
  reference = mlp.MLP((256, 256), 1, activation="leaky_relu", squeeze=True)
  flat = jnp.concatenate([x.reshape(3, -1), Z], -1)
  ref_vars = jax.eval_shape(lambda: reference.init(jax.random.key(0), flat, train=False))
  assert jax.tree.map(jnp.shape, variables["params"]["mlp"]) == jax.tree.map(
      lambda a: a.shape, ref_vars["params"])
  np.testing.assert_array_equal(module.apply(variables, (x, Z), train=True),
                                reference.apply({"params": variables["params"]["mlp"]}, flat,
                                                train=True))


def test_each_logit_depends_only_on_its_pair():
  module = nets.JointDiscriminator(hidden=(8,))
  variables = _params(module, X, Z)
  a = np.asarray(module.apply(variables, (X, Z), train=True))
  b = np.asarray(module.apply(variables, (X, jnp.asarray(Z).at[1].set(9.0)), train=True))
  np.testing.assert_array_equal(a[[0, 2]], b[[0, 2]])
  assert a[1] != b[1]


def test_dropout_is_off_in_inference_and_masks_in_training():
  module = nets.JointDiscriminator(hidden=(32, 32), input_dropout=0.2, dropout=0.5)
  variables = _params(module, X, Z)
  off = nets.JointDiscriminator(hidden=(32, 32))
  np.testing.assert_array_equal(module.apply(variables, (X, Z), train=False),
                                off.apply(variables, (X, Z), train=False))
  on1 = module.apply(variables, (X, Z), train=True, rngs={"dropout": jax.random.key(1)})
  on1b = module.apply(variables, (X, Z), train=True, rngs={"dropout": jax.random.key(1)})
  on2 = module.apply(variables, (X, Z), train=True, rngs={"dropout": jax.random.key(2)})
  np.testing.assert_array_equal(on1, on1b)
  assert not np.allclose(on1, on2)
  # Rate 0 needs no key in training.
  off.apply(variables, (X, Z), train=True)


def test_images_go_through_the_dcgan_conv_stack():
  module = nets.make_joint_discriminator("dcgan", data_shape=(28, 28, 1), hidden=(8,),
                                         base_features=4)
  x = jnp.zeros((2, 28, 28, 1))
  z = jnp.zeros((2, 3))
  shapes = jax.eval_shape(lambda: module.init(jax.random.key(0), (x, z), train=False))
  params = shapes["params"]
  assert set(params) == {"conv_0", "conv_1", "mlp"} and "batch_stats" not in shapes
  # 28 -> 14 -> 7 with 2b = 8 features: 7 * 7 * 8 features and 3 code units.
  assert params["mlp"]["hidden_0"]["kernel"].shape == (7 * 7 * 8 + 3, 8)
  with_bn = nets.make_joint_discriminator("dcgan", data_shape=(28, 28, 1), hidden=(8,),
                                          base_features=4, use_batch_norm=True)
  assert "batch_stats" in jax.eval_shape(
      lambda: with_bn.init(jax.random.key(0), (x, z), train=False))
  assert jax.eval_shape(lambda v: module.apply(v, (x, z), train=True),
                        {"params": params}).shape == (2,)


def test_mlp_arch_flattens_any_data_shape():
  module = nets.make_joint_discriminator("mlp", data_shape=(4, 4, 1), hidden=(8,),
                                         base_features=99)
  assert module.image_shape is None and module.hidden == (8,)
  shapes = jax.eval_shape(lambda: module.init(
      jax.random.key(0), (jnp.zeros((2, 4, 4, 1)), jnp.zeros((2, 3))), train=False))
  assert shapes["params"]["mlp"]["hidden_0"]["kernel"].shape == (16 + 3, 8)


def test_errors_name_the_problem():
  module = nets.JointDiscriminator(hidden=(4,))
  with pytest.raises(ValueError, match=r"same B; got shapes \(3, 2\) and \(2, 3\)"):
    _params(module, X, Z[:2])
  with pytest.raises(ValueError, match=r"dropout=1.0 must be in \[0, 1\)"):
    nets.JointDiscriminator(dropout=1.0)
  with pytest.raises(ValueError, match="activation='swish'"):
    nets.JointDiscriminator(activation="swish")
  with pytest.raises(ValueError, match="hidden=.* positive"):
    nets.JointDiscriminator(hidden=(0,))
  with pytest.raises(TypeError, match="unexpected keyword argument.*'depth'"):
    nets.make_joint_discriminator("mlp", data_shape=(2,), hidden=(4,), depth=3)
  with pytest.raises(ValueError, match="unknown arch 'resnet'"):
    nets.make_joint_discriminator("resnet", data_shape=(2,), hidden=(4,))
  with pytest.raises(ValueError, match="'dcgan' needs data_shape"):
    nets.make_joint_discriminator("dcgan", data_shape=(2,), hidden=(4,))
