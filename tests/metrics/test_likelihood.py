"""Tests for gengan_jax.metrics.likelihood: an identity flow and a linear
Gaussian latent-variable model with a known marginal."""

import math

import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from gengan_jax import metrics


class IdentityFlow:
  """x = f(z) = z: log p(x) = log p_base(f^{-1}(x)) + log|det df^{-1}/dx| = log p_base(x)."""

  def __init__(self, base_log_prob):
    self.base_log_prob = base_log_prob

  def log_prob(self, x):
    z = x  # inverse of the identity
    log_det = jnp.zeros(x.shape[0])  # log |det I| = 0
    return self.base_log_prob(z) + log_det


def test_identity_flow_with_uniform_base_is_8_bits():
  # Uniform base on [0, 1]^D: log p = 0 on 8-bit data scaled to [0, 1); with
  # 256 bins every discrete value has probability 1/256 per dimension: 8 bits.
  x = jnp.asarray(np.random.default_rng(0).integers(0, 256, (5, 12)) / 256.0)
  flow = IdentityFlow(lambda z: jnp.zeros(z.shape[0]))
  bpd = metrics.bits_per_dim(flow.log_prob(x), 12)
  assert bpd.shape == (5,)
  np.testing.assert_allclose(bpd, 8.0, rtol=1e-6)
  # The same data on [-1, 1] (R = 2) under the uniform density 1/2 per dim:
  # log p = -D log 2, still 8 bits after the correction log2(256 / 2) = 7.
  flow2 = IdentityFlow(lambda z: jnp.full(z.shape[0], -12 * math.log(2.0)))
  np.testing.assert_allclose(
      metrics.bits_per_dim(flow2.log_prob(2 * x - 1), 12, data_range=2.0), 8.0, rtol=1e-6)
  # On the integer grid [0, 256) the density 1/256 needs no correction.
  flow3 = IdentityFlow(lambda z: jnp.full(z.shape[0], -12 * math.log(256.0)))
  np.testing.assert_allclose(
      metrics.bits_per_dim(flow3.log_prob(256 * x), 12, data_range=256.0), 8.0, rtol=1e-6)


def test_identity_flow_with_gaussian_base_matches_scipy():
  rng = np.random.default_rng(1)
  x = rng.standard_normal((4, 6))
  flow = IdentityFlow(lambda z: jnp.sum(-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi), -1))
  ll = flow.log_prob(jnp.asarray(x, jnp.float32))
  ref_ll = stats.norm.logpdf(x).sum(-1)
  # Continuous data: no discretisation correction.
  np.testing.assert_allclose(metrics.bits_per_dim(ll, 6, data_range_bins=None),
                             -ref_ll / (6 * np.log(2)), rtol=1e-5)
  np.testing.assert_allclose(metrics.bits_per_dim(ll, 6),
                             -ref_ll / (6 * np.log(2)) + 8.0, rtol=1e-5)


def _linear_gaussian(x, z, s2):
  """z ~ N(0, 1), x | z ~ N(z, s2): log p(x, z), p(x) = N(0, 1 + s2),
  posterior z | x ~ N(x / (1 + s2), s2 / (1 + s2))."""
  log_joint = stats.norm.logpdf(z) + stats.norm.logpdf(x, loc=z, scale=np.sqrt(s2))
  return log_joint, stats.norm.logpdf(x, scale=np.sqrt(1 + s2))


def test_iwae_exact_posterior_gives_log_marginal():
  rng = np.random.default_rng(2)
  s2, k, b = 0.5, 7, 5
  x = rng.standard_normal(b) * np.sqrt(1 + s2)
  post_mean, post_std = x / (1 + s2), np.sqrt(s2 / (1 + s2))
  z = post_mean + post_std * rng.standard_normal((k, b))
  log_joint, log_px = _linear_gaussian(x, z, s2)
  log_q = stats.norm.logpdf(z, loc=post_mean, scale=post_std)
  out = metrics.iwae_bound(log_joint, log_q)
  assert out.shape == (b,)
  np.testing.assert_allclose(out, log_px, rtol=1e-5, atol=1e-5)


def test_iwae_with_prior_proposal_tightens_with_k():
  rng = np.random.default_rng(3)
  s2, b = 0.1, 4
  x = np.array([0.3, -1.0, 1.5, 0.0])
  bounds, errors = {}, {}
  for k in (1, 10, 1000):
    z = rng.standard_normal((200, k, b))  # 200 repetitions, q = prior
    log_joint, log_px = _linear_gaussian(x, z, s2)
    log_q = stats.norm.logpdf(z)
    reps = np.stack([np.asarray(metrics.iwae_bound(log_joint[r], log_q[r])) for r in range(200)])
    bounds[k], errors[k] = reps.mean(0), reps.std(0) / np.sqrt(200)
  assert np.all(bounds[1] < bounds[10]) and np.all(bounds[10] < bounds[1000])
  assert np.all(bounds[1000] <= log_px + 4 * errors[1000])
  np.testing.assert_allclose(bounds[1000], log_px, atol=0.1)
  # K = 1 is the ELBO: E_q[log p(x, z) - log q(z)] = log p(x) - KL(q || posterior),
  # with KL(N(0, 1) || N(m, v)) = (1/v + m^2/v - 1 + log v) / 2.
  post_mean, post_var = x / (1 + s2), s2 / (1 + s2)
  kl = 0.5 * (1 / post_var + post_mean ** 2 / post_var - 1 + np.log(post_var))
  assert np.all(np.abs(bounds[1] - (log_px - kl)) < 4 * errors[1])


def test_errors():
  with pytest.raises(ValueError, match="num_dims"):
    metrics.bits_per_dim(jnp.zeros(3), 0)
  with pytest.raises(ValueError, match="data_range_bins"):
    metrics.bits_per_dim(jnp.zeros(3), 4, data_range_bins=1)
  with pytest.raises(ValueError, match=r"\[K, B\]"):
    metrics.iwae_bound(jnp.zeros(3), jnp.zeros(3))
  with pytest.raises(ValueError, match="same shape"):
    metrics.iwae_bound(jnp.zeros((3, 2)), jnp.zeros((2, 2)))
