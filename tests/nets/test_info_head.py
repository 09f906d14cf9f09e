"""Tests for gengan_jax.nets.info_head: D and Q on one trunk."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import nets


def _init(module, x):
  return module.init(jax.random.key(0), x, train=False)


def test_mlp_shapes_and_the_trunk_is_shared():
  module = nets.make_info_discriminator("mlp", data_shape=(2,), q_dim=5, hidden=(8, 8),
                                        q_hidden=(6,))
  x = jnp.ones((3, 2))
  variables = _init(module, x)
  logits, q = module.apply(variables, x, train=True)
  assert logits.shape == (3,) and q.shape == (3, 5)
  params = variables["params"]
  assert set(params) == {"trunk_0", "trunk_1", "d_out", "q_hidden_0", "q_out"}
  assert params["d_out"]["kernel"].shape == (8, 1)
  assert params["q_hidden_0"]["kernel"].shape == (8, 6)
  # Both heads depend on the shared trunk: its gradient collects from each.
  grad_d = jax.grad(lambda p: module.apply({"params": p}, x, train=True)[0].sum())(params)
  grad_q = jax.grad(lambda p: module.apply({"params": p}, x, train=True)[1].sum())(params)
  assert np.abs(grad_d["trunk_0"]["kernel"]).sum() > 0
  assert np.abs(grad_q["trunk_0"]["kernel"]).sum() > 0
  assert np.abs(grad_d["q_out"]["kernel"]).sum() == 0  # D's head does not see Q's layers
  assert np.abs(grad_q["d_out"]["kernel"]).sum() == 0


def test_mlp_logits_equal_the_plain_discriminator_with_the_same_weights():
  """Without Q the trunk and D head are :class:`MLPDiscriminator` layer for layer."""
  info = nets.MLPInfoDiscriminator(q_dim=3, hidden=(8, 8))
  plain = nets.MLPDiscriminator(hidden=(8, 8))
  x = jax.random.normal(jax.random.key(1), (4, 2))
  p = _init(info, x)["params"]
  mapped = {"mlp": {"hidden_0": p["trunk_0"], "hidden_1": p["trunk_1"], "out": p["d_out"]}}
  np.testing.assert_allclose(info.apply({"params": p}, x, train=False)[0],
                             plain.apply({"params": mapped}, x, train=False), rtol=1e-6)


@pytest.mark.parametrize("shared_dense, use_batch_norm", [(0, True), (16, True), (16, False)])
def test_dcgan_shapes_and_batch_norm(shared_dense, use_batch_norm):
  module = nets.make_info_discriminator("dcgan", data_shape=(28, 28, 1), q_dim=12,
                                        base_features=4, shared_dense=shared_dense,
                                        q_hidden=(8,), use_batch_norm=use_batch_norm)
  x = jax.random.normal(jax.random.key(1), (3, 28, 28, 1))
  variables = jax.eval_shape(lambda: _init(module, x))
  params = variables["params"]
  assert ("batch_stats" in variables) == use_batch_norm
  assert ("shared_dense" in params) == bool(shared_dense)
  trunk_width = shared_dense or 7 * 7 * 8  # conv stack for 28x28: 7x7x2b
  assert params["d_out"]["kernel"].shape == (trunk_width, 1)
  assert params["q_hidden_0"]["kernel"].shape == (trunk_width, 8)
  assert params["q_out"]["kernel"].shape == (8, 12)
  if use_batch_norm:
    assert "q_hidden_0_bn" in variables["batch_stats"]
  out = jax.eval_shape(lambda v: module.apply(v, x, train=False), variables)
  assert out[0].shape == (3,) and out[1].shape == (3, 12)


def test_dcgan_train_mode_updates_batch_stats():
  module = nets.DCGANInfoDiscriminator(image_shape=(28, 28, 1), q_dim=2, base_features=4)
  x = jax.random.normal(jax.random.key(1), (4, 28, 28, 1))
  variables = _init(module, x)
  (logits, q), mutated = module.apply(variables, x, train=True, mutable=["batch_stats"])
  assert logits.shape == (4,) and q.shape == (4, 2)
  before = variables["batch_stats"]["q_hidden_0_bn"]["mean"]
  assert not np.allclose(before, mutated["batch_stats"]["q_hidden_0_bn"]["mean"])


def test_bad_arguments_are_named():
  with pytest.raises(ValueError, match="q_dim=0"):
    nets.MLPInfoDiscriminator(q_dim=0)
  with pytest.raises(ValueError, match="shared_dense=-1"):
    nets.MLPInfoDiscriminator(q_dim=1, shared_dense=-1)
  with pytest.raises(TypeError, match="unexpected keyword"):
    nets.make_info_discriminator("mlp", data_shape=(2,), q_dim=1, base_features=4)
  with pytest.raises(ValueError, match="unknown arch"):
    nets.make_info_discriminator("resnet", data_shape=(2,), q_dim=1)
