"""Tests for gengan_jax.losses.reconstruction."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import losses

def _normal(seed, shape):
  # numpy inputs: no RNG kernels to compile, keeps the tests fast.
  return jnp.asarray(
      np.random.default_rng(seed).standard_normal(shape), dtype=jnp.float32
  )


X = jnp.array([[1.0, 2.0], [3.0, 4.0]])
X_REC = jnp.array([[0.0, 0.0], [3.0, 5.0]])


def test_l1_hand_computed():
  # |1-0| + |2-0| = 3;  |3-3| + |4-5| = 1.
  np.testing.assert_allclose(
      losses.l1_reconstruction(X, X_REC), [3.0, 1.0], rtol=0, atol=1e-7
  )


def test_l2_hand_computed_is_squared():
  # 1 + 4 = 5;  0 + 1 = 1 (squared norm, no square root).
  np.testing.assert_allclose(
      losses.l2_reconstruction(X, X_REC), [5.0, 1.0], rtol=0, atol=1e-7
  )


def test_image_batches_against_numpy():
  x = _normal(0, (3, 4, 4, 2))
  y = _normal(1, (3, 4, 4, 2))
  xn, yn = np.asarray(x, np.float64), np.asarray(y, np.float64)
  l1 = losses.l1_reconstruction(x, y)
  l2 = losses.l2_reconstruction(x, y)
  assert l1.shape == l2.shape == (3,)
  np.testing.assert_allclose(l1, np.abs(xn - yn).sum(axis=(1, 2, 3)), rtol=1e-5)
  np.testing.assert_allclose(
      l2, ((xn - yn) ** 2).sum(axis=(1, 2, 3)), rtol=1e-5
  )
  np.testing.assert_allclose(
      jax.jit(losses.l2_reconstruction)(x, y), l2, rtol=1e-6
  )


def test_reconstruction_gradients():
  # Away from the kink of |.|: d/dr |x - r| = sign(r - x).
  r = jnp.array([[0.0, 0.0], [3.5, 5.0]])
  g1 = jax.grad(lambda r: jnp.sum(losses.l1_reconstruction(X, r)))(r)
  np.testing.assert_allclose(g1, [[-1.0, -1.0], [1.0, 1.0]], atol=1e-7)
  g2 = jax.grad(lambda r: jnp.sum(losses.l2_reconstruction(X, r)))(r)
  np.testing.assert_allclose(g2, 2 * (r - X), atol=1e-6)


@pytest.mark.parametrize(
    "z, z_rec, expected",
    [
        ([1.0, 0.0], [0.0, 1.0], 1.0),  # orthogonal
        ([1.0, 2.0], [2.0, 4.0], 0.0),  # parallel, length ignored
        ([1.0, 2.0], [-3.0, -6.0], 2.0),  # opposite
        ([1.0, 1.0], [1.0, 0.0], 1.0 - 1.0 / math.sqrt(2.0)),  # 0.29289321881
        ([0.0, 0.0], [1.0, 0.0], 1.0),  # zero vector: eps guard
    ],
)
def test_cosine_distance_hand_computed(z, z_rec, expected):
  out = losses.cosine_distance(jnp.array([z]), jnp.array([z_rec]))
  assert out.shape == (1,)
  np.testing.assert_allclose(out, [expected], rtol=1e-6, atol=1e-6)


def test_cosine_distance_against_numpy():
  z = _normal(2, (6, 8))
  zr = _normal(3, (6, 8))
  zn, zrn = np.asarray(z, np.float64), np.asarray(zr, np.float64)
  expected = 1 - (zn * zrn).sum(-1) / (
      np.linalg.norm(zn, axis=-1) * np.linalg.norm(zrn, axis=-1)
  )
  np.testing.assert_allclose(
      losses.cosine_distance(z, zr), expected, rtol=1e-5, atol=1e-6
  )
  # Scale invariant.
  np.testing.assert_allclose(
      losses.cosine_distance(3.0 * z, 0.5 * zr), expected, rtol=1e-5, atol=1e-6
  )


def test_cosine_distance_gradient_finite_at_zero():
  g = jax.grad(lambda z: jnp.sum(losses.cosine_distance(z, jnp.ones((1, 3)))))(
      jnp.zeros((1, 3))
  )
  assert bool(jnp.all(jnp.isfinite(g)))
  # Away from zero: d/dz (1 - z.y/(|z||y|)) = -y/(|z||y|) + (z.y) z/(|z|^3|y|),
  # which at z = [1, 0], y = [0, 1] is [0, -1].
  g = jax.grad(
      lambda z: jnp.sum(losses.cosine_distance(z, jnp.array([[0.0, 1.0]])))
  )(jnp.array([[1.0, 0.0]]))
  np.testing.assert_allclose(g, [[0.0, -1.0]], atol=1e-6)


@pytest.mark.parametrize(
    "fn, names",
    [
        (losses.l1_reconstruction, ("x", "x_rec")),
        (losses.l2_reconstruction, ("x", "x_rec")),
        (losses.cosine_distance, ("z", "z_rec")),
    ],
)
def test_shape_mismatch_names_both_shapes(fn, names):
  a, b = names
  with pytest.raises(
      ValueError,
      match=rf"`{a}` and `{b}`.*{a}.shape=\(2, 3\).*{b}.shape=\(2, 1, 3\)",
  ):
    fn(jnp.zeros((2, 3)), jnp.zeros((2, 1, 3)))


def test_invalid_arguments():
  with pytest.raises(ValueError, match=r"`eps` must be finite and > 0"):
    losses.cosine_distance(X, X_REC, eps=0.0)
  with pytest.raises(TypeError, match=r"`x_rec` must have a floating dtype"):
    losses.l1_reconstruction(X, jnp.zeros((2, 2), jnp.int32))
  with pytest.raises(ValueError, match=r"`x` must have rank >= 1"):
    losses.l2_reconstruction(jnp.float32(1.0), jnp.float32(2.0))
