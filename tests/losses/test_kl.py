"""Tests for gengan_jax.losses.kl."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import losses

LOG2 = math.log(2.0)
LOG4 = math.log(4.0)

def _normal(seed, shape):
  # numpy inputs: no RNG kernels to compile, keeps the tests fast.
  return jnp.asarray(
      np.random.default_rng(seed).standard_normal(shape), dtype=jnp.float32
  )


def _kl_univariate(mu, var, mu0, var0):
  """KL(N(mu, var) || N(mu0, var0)) = log(s0/s) + (...)/(2 s0^2) - 1/2."""
  return (
      0.5 * np.log(var0 / var) + (var + (mu - mu0) ** 2) / (2 * var0) - 0.5
  )


def test_gaussian_kl_standard_normal_hand_computed():
  # dim 1: mu=1, var=1 -> 0.5 (1 + 1 - 1 - 0) = 0.5
  # dim 2: mu=0, var=2 -> 0.5 (2 + 0 - 1 - log 2) = 0.15342640972002736
  mean = jnp.array([[1.0, 0.0], [0.0, 0.0]])
  log_var = jnp.array([[0.0, LOG2], [0.0, 0.0]])
  out = losses.gaussian_kl(mean, log_var)
  assert out.shape == (2,)
  np.testing.assert_allclose(
      out, [0.5 + 0.5 * (1 - LOG2), 0.0], rtol=1e-6, atol=1e-7
  )


def test_gaussian_kl_general_prior_hand_computed():
  # KL(N(1, 1) || N(0, 4)) = log 2 + 2/8 - 1/2 = 0.4431471805599453
  out = losses.gaussian_kl(
      jnp.array([[1.0]]), jnp.array([[0.0]]), prior_log_var=LOG4
  )
  np.testing.assert_allclose(out, [LOG2 - 0.25], rtol=1e-6)
  # KL(N(2, 1) || N(2, 1)) = 0
  out = losses.gaussian_kl(
      jnp.array([[2.0, 2.0]]),
      jnp.zeros((1, 2)),
      prior_mean=jnp.array([2.0, 2.0]),
  )
  np.testing.assert_allclose(out, [0.0], atol=1e-7)


def test_gaussian_kl_against_direct_formula():
  mean = _normal(0, (4, 3))
  log_var = _normal(1, (4, 3))
  prior_mean = _normal(2, (3,))
  prior_log_var = 0.5 * _normal(3, (3,))
  out = losses.gaussian_kl(
      mean, log_var, prior_mean=prior_mean, prior_log_var=prior_log_var
  )
  f64 = lambda a: np.asarray(a, np.float64)
  expected = _kl_univariate(
      f64(mean),
      np.exp(f64(log_var)),
      f64(prior_mean),
      np.exp(f64(prior_log_var)),
  ).sum(-1)
  np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
  assert bool(jnp.all(out >= 0))
  np.testing.assert_allclose(
      jax.jit(losses.gaussian_kl)(mean, log_var),
      losses.gaussian_kl(mean, log_var),
      rtol=1e-6,
  )


def test_gaussian_kl_gradients():
  # d/dmu = mu, d/dv = 0.5 (exp(v) - 1) for the standard-normal prior.
  mean = jnp.array([[0.5, -1.0]])
  log_var = jnp.array([[0.3, -0.2]])
  gm, gv = jax.grad(
      lambda m, v: jnp.sum(losses.gaussian_kl(m, v)), argnums=(0, 1)
  )(mean, log_var)
  np.testing.assert_allclose(gm, mean, rtol=1e-6)
  np.testing.assert_allclose(gv, 0.5 * (jnp.exp(log_var) - 1), rtol=1e-5)


def test_gaussian_kl_errors():
  with pytest.raises(
      ValueError, match=r"mean.shape=\(2, 3\).*log_var.shape=\(2, 2\)"
  ):
    losses.gaussian_kl(jnp.zeros((2, 3)), jnp.zeros((2, 2)))
  with pytest.raises(
      ValueError, match=r"`prior_mean` must broadcast to mean.shape=\(2, 3\)"
  ):
    losses.gaussian_kl(
        jnp.zeros((2, 3)), jnp.zeros((2, 3)), prior_mean=jnp.zeros(2)
    )
  with pytest.raises(ValueError, match=r"`prior_log_var` must broadcast"):
    losses.gaussian_kl(
        jnp.zeros((2, 3)), jnp.zeros((2, 3)), prior_log_var=jnp.zeros((4, 2, 3))
    )


def test_empirical_kl_hand_built_batch():
  # dim 1: values (-1, 1): m = 0, s^2 = 1 -> 0.5 (1 + 0 - 1 - 0) = 0
  # dim 2: values ( 0, 4): m = 2, s^2 = 4 -> 0.5 (4 + 4 - 1 - log 4)
  #                                         = 2.8068528194400546
  codes = jnp.array([[-1.0, 0.0], [1.0, 4.0]])
  per_dim = losses.empirical_kl_per_dimension(codes, eps=0.0)
  assert per_dim.shape == (2,)
  np.testing.assert_allclose(
      per_dim, [0.0, 0.5 * (7 - LOG4)], rtol=1e-6, atol=1e-7
  )
  total = losses.empirical_kl(codes, eps=0.0)
  assert total.shape == ()
  np.testing.assert_allclose(total, 2.8068528194400546, rtol=1e-6)
  # Default eps = 1e-6 only enters the log: shifts by -0.5 log(1 + 1e-6/s^2).
  np.testing.assert_allclose(
      losses.empirical_kl(codes),
      2.8068528194400546 - 0.5 * (1e-6 + 1e-6 / 4),
      rtol=1e-6,
  )


def test_empirical_kl_zero_variance_is_finite():
  # Constant dimensions: s^2 = 0 -> -0.5 log(eps) = 6.907755278982137 extra.
  codes = jnp.array([[1.0, 0.0], [1.0, 0.0]])
  out = losses.empirical_kl_per_dimension(codes)  # eps = 1e-6
  half_log_eps = 0.5 * math.log(1e-6)
  np.testing.assert_allclose(
      out, [0.5 * (1 - 1) - half_log_eps, -0.5 - half_log_eps], rtol=1e-5
  )
  g = jax.grad(losses.empirical_kl)(codes)
  assert bool(jnp.all(jnp.isfinite(g)))


def test_empirical_kl_near_zero_for_standard_normal_batch():
  # For B samples of N(0, I_K) the expected value is about K / B = 0.002;
  # tolerance 0.01 (5x) for this fixed seed.
  codes = _normal(0, (4096, 8))
  out = losses.empirical_kl(codes)
  assert 0.0 <= float(out) < 0.01
  # A shifted, scaled batch is far from the prior: m = 1, s^2 = 4 per dim,
  # KL = 8 * 0.5 (4 + 1 - 1 - log 4) = 10.4548... (tolerance 5%).
  shifted = 1.0 + 2.0 * codes
  np.testing.assert_allclose(
      losses.empirical_kl(shifted), 8 * 0.5 * (4 - LOG4), rtol=0.05
  )


def test_empirical_kl_equals_gaussian_kl_of_batch_moments():
  codes = 0.5 + 1.5 * _normal(1, (64, 5))
  m = jnp.mean(codes, axis=0)
  s2 = jnp.var(codes, axis=0)  # biased (ddof=0)
  expected = losses.gaussian_kl(m[None], jnp.log(s2)[None])[0]
  np.testing.assert_allclose(
      losses.empirical_kl(codes, eps=0.0), expected, rtol=1e-5
  )
  np.testing.assert_allclose(
      jnp.sum(losses.empirical_kl_per_dimension(codes)),
      losses.empirical_kl(codes),
      rtol=1e-6,
  )
  np.testing.assert_allclose(
      jax.jit(losses.empirical_kl)(codes), losses.empirical_kl(codes), rtol=1e-6
  )


def test_empirical_kl_gradient_matches_moment_formula():
  # d KL / d z_ik = (m_k + (1 - 1/s_k^2)(z_ik - m_k)) / B  (eps = 0).
  codes = _normal(2, (16, 3)) * 2.0
  g = jax.grad(lambda c: losses.empirical_kl(c, eps=0.0))(codes)
  c = np.asarray(codes, np.float64)
  m, s2 = c.mean(0), c.var(0)
  expected = (m + (1 - 1 / s2) * (c - m)) / c.shape[0]
  np.testing.assert_allclose(g, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    "fn", [losses.empirical_kl, losses.empirical_kl_per_dimension]
)
def test_empirical_kl_errors(fn):
  with pytest.raises(
      ValueError, match=r"`codes` must have rank 2.*got shape \(5,\)"
  ):
    fn(jnp.zeros(5))
  with pytest.raises(ValueError, match=r"rank 2.*\(2, 3, 4\)"):
    fn(jnp.zeros((2, 3, 4)))
  with pytest.raises(ValueError, match=r"at least 2 examples.*\(1, 3\)"):
    fn(jnp.zeros((1, 3)))
  with pytest.raises(ValueError, match=r"`eps` must be finite and >= 0"):
    fn(jnp.zeros((4, 3)), eps=-1.0)
