"""Tests for gengan_jax.losses.penalties (WGAN-GP)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import losses

B = 5
SHAPE = (B, 2, 3, 1)  # image-like [B, H, W, C]


def _batch(seed=0, shape=SHAPE):
  # numpy inputs: no RNG kernels to compile, keeps the tests fast.
  rng = np.random.default_rng(seed)
  return (jnp.asarray(rng.standard_normal(shape), jnp.float32),
          jnp.asarray(rng.standard_normal(shape), jnp.float32))


def _sum_non_batch(x):
  return jnp.sum(x, axis=tuple(range(1, x.ndim)))


def test_interpolate_matches_documented_sampling():
  real, fake = _batch()
  key = jax.random.key(3)
  eps = jax.random.uniform(key, (B, 1, 1, 1))
  expected = eps * real + (1 - eps) * fake
  np.testing.assert_allclose(
      losses.interpolate(real, fake, key), expected, rtol=1e-6, atol=1e-6
  )


def test_interpolate_one_weight_per_example_in_unit_interval():
  real = jnp.ones(SHAPE)
  fake = jnp.zeros(SHAPE)
  x_hat = losses.interpolate(real, fake, jax.random.key(1))
  # With real = 1 and fake = 0, x_hat_i == eps_i everywhere in example i.
  per_example = x_hat.reshape(B, -1)
  np.testing.assert_array_equal(per_example, per_example[:, :1].repeat(6, 1))
  assert bool(jnp.all((x_hat >= 0) & (x_hat <= 1)))
  assert len(np.unique(per_example[:, 0])) == B  # independent draws


def test_interpolate_accepts_raw_uint32_key():
  real, fake = _batch()
  out = losses.interpolate(real, fake, jax.random.PRNGKey(0))
  assert out.shape == SHAPE and bool(jnp.all(jnp.isfinite(out)))


def test_linear_critic_penalty_is_exact_and_independent_of_eps():
  # f(x) = sum(a * x) has gradient a everywhere: ||a|| = sqrt(9 + 16) = 5.
  a = jnp.zeros(SHAPE[1:]).at[0, 0, 0].set(3.0).at[1, 2, 0].set(4.0)
  critic = lambda x: _sum_non_batch(a * x)
  real, fake = _batch()
  for seed in range(3):
    out = losses.gradient_penalty(critic, real, fake, jax.random.key(seed))
    assert out.shape == (B,)
    np.testing.assert_allclose(out, np.full(B, 16.0), rtol=1e-6)  # (5 - 1)^2
  out = losses.gradient_penalty(
      critic, real, fake, jax.random.key(0), target_norm=5.0
  )
  np.testing.assert_allclose(out, np.zeros(B), rtol=0, atol=1e-6)
  out = losses.gradient_penalty(
      critic, real, fake, jax.random.key(0), target_norm=0.0
  )
  np.testing.assert_allclose(out, np.full(B, 25.0), rtol=1e-6)


def test_quadratic_critic_penalty_uses_interpolates():
  # f(x) = 0.5 ||x||^2 has gradient x, so the penalty is (||x_hat_i|| - 1)^2.
  critic = lambda x: 0.5 * _sum_non_batch(jnp.square(x))
  real, fake = _batch(seed=1)
  key = jax.random.key(7)
  eps = jax.random.uniform(key, (B, 1, 1, 1))
  x_hat = eps * real + (1 - eps) * fake
  norms = np.sqrt(np.sum(np.square(np.asarray(x_hat)), axis=(1, 2, 3)))
  expected = (norms - 1.0) ** 2
  out = losses.gradient_penalty(critic, real, fake, key)
  np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
  # gradient_penalty == gradient_norm_penalty o interpolate.
  np.testing.assert_allclose(
      losses.gradient_norm_penalty(critic, losses.interpolate(real, fake, key)),
      out,
      rtol=1e-6,
      atol=1e-7,
  )


def test_gradient_norm_penalty_at_given_points():
  critic = lambda x: 0.5 * jnp.sum(jnp.square(x), axis=-1)
  x = jnp.array([[3.0, 4.0], [0.6, 0.8], [0.0, 2.0]])  # norms 5, 1, 2
  out = losses.gradient_norm_penalty(critic, x)
  np.testing.assert_allclose(out, [16.0, 0.0, 1.0], rtol=1e-6, atol=1e-6)
  out = losses.gradient_norm_penalty(critic, x, target_norm=2.0)
  np.testing.assert_allclose(out, [9.0, 1.0, 0.0], rtol=1e-6, atol=1e-6)


def test_jit_matches_eager():
  critic = lambda x: _sum_non_batch(jnp.sin(x) * x)  # smooth, nonlinear
  real, fake = _batch(seed=2)
  key = jax.random.key(0)
  eager = losses.gradient_penalty(critic, real, fake, key)
  jitted = jax.jit(lambda r, f, k: losses.gradient_penalty(critic, r, f, k))(
      real, fake, key
  )
  np.testing.assert_allclose(jitted, eager, rtol=1e-5, atol=1e-6)


def test_vmap_over_batches_matches_loop():
  critic = lambda x: _sum_non_batch(jnp.sin(x) * x)  # smooth, nonlinear
  n = 3
  real, fake = _batch(seed=3, shape=(n,) + SHAPE)
  keys = jax.random.split(jax.random.key(0), n)
  fn = jax.jit(lambda r, f, k: losses.gradient_penalty(critic, r, f, k))
  batched = jax.vmap(fn)(real, fake, keys)
  assert batched.shape == (n, B)
  looped = jnp.stack([fn(real[i], fake[i], keys[i]) for i in range(n)])
  np.testing.assert_allclose(batched, looped, rtol=1e-5, atol=1e-6)


def test_differentiable_wrt_critic_parameters():
  # f_w(x) = 0.5 w ||x||^2: grad_x = w x_hat, penalty (w n_i - 1)^2 with
  # n_i = ||x_hat_i||, so d/dw mean_i penalty = mean_i 2 (w n_i - 1) n_i.
  real, fake = _batch(seed=4)
  key = jax.random.key(11)
  n = np.sqrt(np.sum(np.square(np.asarray(losses.interpolate(real, fake, key))),
                     axis=(1, 2, 3)))

  def loss(w):
    critic = lambda x: 0.5 * w * _sum_non_batch(jnp.square(x))
    return jnp.mean(losses.gradient_penalty(critic, real, fake, key))

  w = 0.7
  g = jax.jit(jax.grad(loss))(w)
  np.testing.assert_allclose(g, np.mean(2 * (w * n - 1) * n), rtol=1e-5)


def test_zero_gradient_gives_finite_penalty_gradient():
  # f_w(x) = w * sum(x) at w = 0: grad_x f = 0, the norm sits at the sqrt
  # kink; the 1e-12 inside the sqrt keeps d penalty / dw finite (it is 0).
  real, fake = _batch(seed=5)

  def loss(w):
    critic = lambda x: w * _sum_non_batch(x)
    key = jax.random.key(0)
    return jnp.mean(losses.gradient_penalty(critic, real, fake, key))

  value, g = jax.value_and_grad(loss)(0.0)
  np.testing.assert_allclose(value, 1.0, rtol=1e-5)  # (1e-6 - 1)^2
  assert np.isfinite(g)
  np.testing.assert_allclose(g, 0.0, atol=1e-6)


def test_rank_one_inputs():
  # [B] inputs: each example is a scalar; f(x) = 3 x has |f'| = 3.
  real = jnp.array([1.0, 2.0])
  fake = jnp.array([0.0, -1.0])
  out = losses.gradient_penalty(lambda x: 3 * x, real, fake, jax.random.key(0))
  np.testing.assert_allclose(out, [4.0, 4.0], rtol=1e-6)


def test_shape_mismatch_raises():
  with pytest.raises(
      ValueError, match=r"real.shape=\(5, 2\).*fake.shape=\(5, 3\)"
  ):
    losses.gradient_penalty(
        lambda x: x[:, 0],
        jnp.zeros((5, 2)),
        jnp.zeros((5, 3)),
        jax.random.key(0),
    )


def test_critic_output_shape_checked():
  real, fake = _batch()
  with pytest.raises(ValueError, match=r"`critic_fn` must map .* shape \(5,\)"):
    losses.gradient_penalty(
        lambda x: _sum_non_batch(x)[:, None], real, fake, jax.random.key(0)
    )


def test_invalid_arguments():
  real, fake = _batch()
  with pytest.raises(TypeError, match=r"`key` must be a typed PRNG key"):
    losses.gradient_penalty(_sum_non_batch, real, fake, jnp.zeros(2))
  with pytest.raises(
      ValueError, match=r"`target_norm` must be finite and >= 0"
  ):
    losses.gradient_penalty(
        _sum_non_batch, real, fake, jax.random.key(0), target_norm=-1.0
    )
  with pytest.raises(TypeError, match=r"`critic_fn` must be callable"):
    losses.gradient_norm_penalty("critic", real)
  with pytest.raises(TypeError, match=r"`real` must have a floating dtype"):
    losses.interpolate(jnp.zeros((2, 3), jnp.int32), fake[:2, 0, :, 0],
                       jax.random.key(0))
  with pytest.raises(ValueError, match=r"`x` must have rank >= 1"):
    losses.gradient_norm_penalty(lambda x: x, jnp.float32(1.0))
