"""Tests for gengan_jax.nets.maxout: maxout units against their closed form, and
the ALI/PacGAN 2-D discriminator's size and initialisation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax.nets import maxout


def _layer(kernel, bias, features, pieces):
  params = {"params": {"linear": {"kernel": jnp.asarray(kernel, jnp.float32),
                                  "bias": jnp.asarray(bias, jnp.float32)}}}
  return lambda x: maxout.LinearMaxout(features, pieces).apply(params, jnp.asarray(x))


def test_two_opposite_pieces_are_the_absolute_value():
  # max(x, -x) = |x| (Goodfellow et al. 2013: maxout can learn |x|).
  f = _layer([[1.0, -1.0]], [0.0, 0.0], features=1, pieces=2)
  x = np.array([[-2.0], [-0.5], [0.0], [0.25], [3.0]])
  np.testing.assert_allclose(f(x), np.abs(x), rtol=0, atol=0)


def test_three_pieces_with_biases_are_their_maximum():
  # max(x, -x, 0.5 + 0 x): a convex piecewise-linear function with three pieces.
  f = _layer([[1.0, -1.0, 0.0]], [0.0, 0.0, 0.5], features=1, pieces=3)
  x = np.linspace(-2, 2, 9)[:, None]
  np.testing.assert_allclose(f(x), np.maximum(np.abs(x), 0.5), atol=1e-7)


def test_pieces_of_a_unit_are_consecutive_columns():
  # Blocks' Maxout groups columns (0, 1) as unit 0 and (2, 3) as unit 1.
  f = _layer([[1.0, 2.0, 3.0, 4.0]], [0.0] * 4, features=2, pieces=2)
  np.testing.assert_allclose(f([[1.0], [-1.0]]), [[2.0, 4.0], [-1.0, -3.0]], atol=0)


def test_one_piece_is_a_linear_layer_without_activation():
  w = np.array([[1.0, -2.0], [0.5, 3.0]])
  b = np.array([0.1, -0.2])
  f = _layer(w, b, features=2, pieces=1)
  x = np.array([[1.0, -1.0], [-2.0, 0.5]])
  np.testing.assert_allclose(f(x), x @ w + b, rtol=1e-6)
  assert (np.asarray(f(x)) < 0).any()  # no ReLU hidden in it


def test_pacgan_discriminator_size_and_initialisation():
  """3 x 200 maxout units of 5 pieces and a linear logit: for 2-D inputs
  (2*1000 + 1000) + 2*(200*1000 + 1000) + (200 + 1) = 405,201 parameters;
  packing m = 2 samples widens only the first kernel (+2,000)."""
  net = maxout.MaxoutDiscriminator()
  x = jax.random.normal(jax.random.key(0), (16, 2))
  variables = net.init(jax.random.key(1), x, train=False)
  assert set(variables) == {"params"}  # no batch norm
  count = lambda v: sum(p.size for p in jax.tree.leaves(v))
  assert count(variables) == 405_201
  assert count(net.init(jax.random.key(1), jnp.ones((4, 4)), train=False)) == 405_201 + 2_000
  params = variables["params"]
  kernels = np.concatenate([np.ravel(params[f"maxout_{i}"]["linear"]["kernel"])
                            for i in range(3)])
  assert abs(kernels.std() / 0.02 - 1) < 0.01 and abs(kernels.mean()) < 1e-3
  assert all(not np.any(params[f"maxout_{i}"]["linear"]["bias"]) for i in range(3))
  logits = net.apply(variables, x, train=True)
  assert logits.shape == (16,)
  np.testing.assert_array_equal(logits, net.apply(variables, x, train=False))


def test_discriminator_features_are_the_maxout_layers():
  net = maxout.MaxoutDiscriminator(hidden=(6, 4), pieces=3)
  x = jax.random.normal(jax.random.key(0), (5, 2))
  variables = net.init(jax.random.key(1), x, train=False)
  logits, features = net.apply(variables, x, train=False, return_features=True)
  assert [f.shape for f in features] == [(5, 6), (5, 4)]
  out = variables["params"]["out"]
  np.testing.assert_allclose(logits, features[-1] @ out["kernel"][:, 0] + out["bias"][0],
                             rtol=1e-5)


@pytest.mark.parametrize("pieces", [0, 2.5, True])
def test_invalid_pieces_name_the_valid_ones(pieces):
  with pytest.raises(ValueError, match=r"pieces=.* must be an int >= 1"):
    maxout.MaxoutDiscriminator(pieces=pieces)


def test_the_factory_arch_maxout_mlp():
  from gengan_jax import nets
  from gengan_jax.nets import batch_norm_mlp
  d = nets.make_discriminator("maxout_mlp", data_shape=(2,), hidden=(200, 200, 200))
  assert isinstance(d, maxout.MaxoutDiscriminator) and (d.hidden, d.pieces) == ((200,) * 3, 5)
  g = nets.make_generator("maxout_mlp", data_shape=(2,), latent_dim=2, hidden=(400,) * 4)
  assert isinstance(g, batch_norm_mlp.BatchNormMLPGenerator) and g.data_dim == 2
  e = nets.make_encoder("maxout_mlp", data_shape=(2,), latent_dim=3, hidden=(400, 400))
  assert isinstance(e, batch_norm_mlp.BatchNormMLPEncoder) and e.latent_dim == 3
  with pytest.raises(ValueError, match=r"arch 'maxout_mlp' needs a rank-1 data_shape"):
    nets.make_discriminator("maxout_mlp", data_shape=(28, 28, 1))
  # Only G, D and E have a maxout_mlp form: the other factories name their archs.
  with pytest.raises(ValueError, match=r"unknown arch 'maxout_mlp'.*\('dcgan', 'mlp'\)"):
    nets.make_autoencoder("maxout_mlp", data_shape=(2,), code_dim=2)
