"""Tests for gengan_jax.losses.adversarial."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import losses

LOG2 = math.log(2.0)  # 0.6931471805599453
SP2 = math.log1p(math.exp(2.0))  # softplus(2) = 2.1269280110429727
SPM2 = math.log1p(math.exp(-2.0))  # softplus(-2) = 0.12692801104297263

LOGIT_LOSSES = [
    losses.discriminator_real_loss,
    losses.discriminator_fake_loss,
    losses.generator_minimax_loss,
    losses.generator_non_saturating_loss,
    losses.generator_log_ratio_loss,
]


def _sigmoid(x):
  return 1.0 / (1.0 + np.exp(-x))


@pytest.mark.parametrize(
    "fn, expected",
    [
        # logits:                         0       2       -2
        (losses.discriminator_real_loss, [LOG2, SPM2, SP2]),
        (losses.discriminator_fake_loss, [LOG2, SP2, SPM2]),
        (losses.generator_minimax_loss, [-LOG2, -SP2, -SPM2]),
        (losses.generator_non_saturating_loss, [LOG2, SPM2, SP2]),
        (losses.generator_log_ratio_loss, [0.0, -2.0, 2.0]),
    ],
)
def test_hand_computed_values(fn, expected):
  out = fn(jnp.array([0.0, 2.0, -2.0]))
  np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)


def test_against_probability_formulas():
  """Compare with the probability-space definitions in float64 numpy."""
  l = np.linspace(-8.0, 8.0, 33)
  d = _sigmoid(l)
  x = jnp.asarray(l, dtype=jnp.float32)
  tol = dict(rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(
      losses.discriminator_real_loss(x), -np.log(d), **tol
  )
  np.testing.assert_allclose(
      losses.discriminator_fake_loss(x), -np.log(1 - d), **tol
  )
  np.testing.assert_allclose(
      losses.generator_minimax_loss(x), np.log(1 - d), **tol
  )
  np.testing.assert_allclose(
      losses.generator_non_saturating_loss(x), -np.log(d), **tol
  )
  np.testing.assert_allclose(
      losses.generator_log_ratio_loss(x), -np.log(d) + np.log(1 - d), **tol
  )
  # The log-ratio loss is the sum of the two generator losses.
  np.testing.assert_allclose(
      losses.generator_log_ratio_loss(x),
      losses.generator_non_saturating_loss(x)
      + losses.generator_minimax_loss(x),
      rtol=1e-5,
      atol=1e-5,
  )


@pytest.mark.parametrize(
    "fn, expected",
    [
        # logits:                         100     -100
        (losses.discriminator_real_loss, [0.0, 100.0]),
        (losses.discriminator_fake_loss, [100.0, 0.0]),
        (losses.generator_minimax_loss, [-100.0, 0.0]),
        (losses.generator_non_saturating_loss, [0.0, 100.0]),
        (losses.generator_log_ratio_loss, [-100.0, 100.0]),
    ],
)
def test_large_logits_are_stable(fn, expected):
  # softplus(-100) = exp(-100) ~ 3.7e-44: zero up to atol.
  x = jnp.array([100.0, -100.0])
  out = fn(x)
  assert bool(jnp.all(jnp.isfinite(out)))
  np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-30)


@pytest.mark.parametrize("fn", LOGIT_LOSSES)
def test_gradients_finite_and_correct(fn):
  x = jnp.array([-100.0, -2.0, 0.0, 2.0, 100.0])
  grads = jax.vmap(jax.grad(fn))(x)
  assert bool(jnp.all(jnp.isfinite(grads)))
  s = _sigmoid(np.asarray(x, dtype=np.float64))
  expected = {
      losses.discriminator_real_loss: s - 1,  # d softplus(-l) = -sigmoid(-l)
      losses.discriminator_fake_loss: s,
      losses.generator_minimax_loss: -s,
      losses.generator_non_saturating_loss: s - 1,
      losses.generator_log_ratio_loss: -np.ones_like(s),
  }[fn]
  np.testing.assert_allclose(grads, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fn", LOGIT_LOSSES)
def test_per_example_shape_dtype_and_jit(fn):
  x = jnp.array([[-1.5], [0.0], [0.25], [3.0]])
  out = fn(x)
  assert out.shape == (4, 1) and out.dtype == jnp.float32
  np.testing.assert_allclose(jax.jit(fn)(x), out, rtol=1e-6, atol=1e-7)
  x16 = x.astype(jnp.bfloat16)
  assert fn(x16).dtype == jnp.bfloat16


@pytest.mark.parametrize("fn", LOGIT_LOSSES)
def test_integer_logits_raise_type_error(fn):
  with pytest.raises(TypeError, match=r"`logits` must have a floating dtype"):
    fn(jnp.array([0, 1]))


def test_wasserstein_critic_loss_values():
  real = jnp.array([1.0, 2.0, 3.0])
  fake = jnp.array([0.5, 2.0, 5.0])
  out = losses.wasserstein_critic_loss(real, fake)
  np.testing.assert_allclose(out, [-0.5, 0.0, 2.0], rtol=0, atol=1e-7)
  g_real, g_fake = jax.grad(
      lambda r, f: jnp.mean(losses.wasserstein_critic_loss(r, f)),
      argnums=(0, 1),
  )(real, fake)
  np.testing.assert_allclose(g_real, [-1 / 3] * 3, rtol=1e-6)
  np.testing.assert_allclose(g_fake, [1 / 3] * 3, rtol=1e-6)


def test_wasserstein_generator_loss_values():
  out = losses.wasserstein_generator_loss(jnp.array([0.5, -2.0, 100.0]))
  np.testing.assert_allclose(out, [-0.5, 2.0, -100.0], rtol=0, atol=1e-7)


def test_wasserstein_critic_loss_shape_mismatch():
  with pytest.raises(
      ValueError, match=r"real_scores.shape=\(3,\).*fake_scores.shape=\(3, 1\)"
  ):
    losses.wasserstein_critic_loss(jnp.zeros(3), jnp.zeros((3, 1)))


def test_wasserstein_type_errors():
  with pytest.raises(TypeError, match=r"`fake_scores`"):
    losses.wasserstein_critic_loss(jnp.zeros(3), jnp.zeros(3, jnp.int32))
  with pytest.raises(TypeError, match=r"`fake_scores`"):
    losses.wasserstein_generator_loss(jnp.zeros(3, jnp.int32))
