"""InfoGAN's bound L_I against the exact mutual information of toy channels.

Chen et al. 2016, eq. 3-4: ``L_I = E[log Q(c | x)] + H(c) <= I(c; x)``, with
equality exactly when ``Q`` is the true posterior and a gap of
``E_x KL(P(c | x) || Q(c | x))`` otherwise.
"""

import math

import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy import stats

from gengan_jax import losses

# A discrete channel c -> x: 3 uniform codes, 4 outputs, P(x | c) row by row.
CHANNEL = np.array([[0.70, 0.20, 0.05, 0.05],
                    [0.10, 0.60, 0.20, 0.10],
                    [0.05, 0.15, 0.30, 0.50]])


def _exact_mutual_information(p_c, channel):
  joint = p_c[:, None] * channel
  p_x = joint.sum(0)
  return float(np.sum(joint * np.log(joint / (p_c[:, None] * p_x[None, :]))))


def _bound_over_all_pairs(p_c, channel, q_logits):
  """``sum_{c, x} P(c, x) log Q(c | x) + H(c)``, every pair weighted exactly.

  ``q_logits[x]`` are Q's logits over c for output x; each (c, x) pair is one
  example of the per-example functions, and the expectation is their
  P(c, x)-weighted sum.
  """
  k, m = channel.shape
  cs, xs = np.meshgrid(np.arange(k), np.arange(m), indexing="ij")
  cs, xs = cs.ravel(), xs.ravel()
  log_q = losses.categorical_log_q(jnp.asarray(q_logits[xs], jnp.float32), jnp.asarray(cs))
  entropy = float(-np.sum(p_c * np.log(p_c)))
  per_pair = losses.information_bound(log_q, entropy)
  weights = (p_c[:, None] * channel).ravel()
  return float(np.sum(weights * np.asarray(per_pair, np.float64)))


def test_categorical_log_q_is_the_log_softmax_entry():
  logits = jnp.array([[0.0, math.log(3.0)], [2.0, 2.0]])
  out = losses.categorical_log_q(logits, jnp.array([1, 0]))
  assert out.shape == (2,)
  np.testing.assert_allclose(out, [math.log(0.75), math.log(0.5)], rtol=1e-6)


def test_categorical_bound_with_the_true_posterior_is_the_mutual_information():
  p_c = np.full(3, 1 / 3)
  joint = p_c[:, None] * CHANNEL
  posterior = joint / joint.sum(0)  # P(c | x), columns indexed by x
  bound = _bound_over_all_pairs(p_c, CHANNEL, np.log(posterior.T))
  exact = _exact_mutual_information(p_c, CHANNEL)
  # The same number another way, I = H(x) - H(x | c), and well above zero.
  p_x = joint.sum(0)
  h_x = -np.sum(p_x * np.log(p_x))
  h_x_given_c = -np.sum(p_c * np.sum(CHANNEL * np.log(CHANNEL), axis=1))
  assert exact == pytest.approx(h_x - h_x_given_c, abs=1e-12) and exact > 0.3
  assert bound == pytest.approx(exact, abs=1e-6)
  # H(c) is log 3 here: the same as losses.categorical_entropy(3)
  assert losses.categorical_entropy(3) == pytest.approx(math.log(3.0))


def test_categorical_bound_with_a_wrong_q_is_below_by_the_expected_kl():
  p_c = np.full(3, 1 / 3)
  joint = p_c[:, None] * CHANNEL
  p_x = joint.sum(0)
  posterior = (joint / p_x).T  # [x, c]
  wrong = np.array([[0.2, 0.5, 0.3], [0.3, 0.3, 0.4], [0.6, 0.2, 0.2], [0.1, 0.1, 0.8]])
  bound = _bound_over_all_pairs(p_c, CHANNEL, np.log(wrong))
  exact = _exact_mutual_information(p_c, CHANNEL)
  expected_kl = float(np.sum(p_x * np.sum(posterior * np.log(posterior / wrong), axis=1)))
  assert expected_kl > 0.1
  assert bound < exact
  assert bound == pytest.approx(exact - expected_kl, abs=1e-6)
  # Logits are defined up to a constant per x: shifting them changes nothing.
  assert _bound_over_all_pairs(p_c, CHANNEL, np.log(wrong) + 3.0) == pytest.approx(bound, abs=1e-6)


def test_gaussian_log_q_against_scipy():
  rng = np.random.default_rng(0)
  mean, codes, log_std = (jnp.asarray(rng.normal(size=(5, 3)), jnp.float32) for _ in range(3))
  expected = stats.norm.logpdf(codes, mean, jnp.exp(log_std)).sum(-1)
  np.testing.assert_allclose(losses.gaussian_log_q(mean, codes, log_std=log_std), expected,
                             rtol=1e-5, atol=1e-5)
  unit = stats.norm.logpdf(codes, mean, 1.0).sum(-1)
  np.testing.assert_allclose(losses.gaussian_log_q(mean, codes), unit, rtol=1e-6, atol=1e-6)


# A Gaussian channel x = c + n, c ~ N(0, s^2), n ~ N(0, sigma^2): I(c; x) =
# 0.5 log(1 + s^2 / sigma^2), posterior c | x ~ N(a x, v) with a = s^2 / (s^2 +
# sigma^2), v = s^2 sigma^2 / (s^2 + sigma^2).
S2, SIGMA2 = 1.0, 0.25
A, V = S2 / (S2 + SIGMA2), S2 * SIGMA2 / (S2 + SIGMA2)
H_C = 0.5 * math.log(2 * math.pi * math.e * S2)
EXACT_GAUSSIAN_MI = 0.5 * math.log(1 + S2 / SIGMA2)  # 0.8047


def _gaussian_channel(n=400_000, seed=0):
  rng = np.random.default_rng(seed)
  c = rng.normal(size=(n, 1)) * math.sqrt(S2)
  x = c + rng.normal(size=(n, 1)) * math.sqrt(SIGMA2)
  return jnp.asarray(c, jnp.float32), jnp.asarray(x, jnp.float32)


def test_gaussian_bound_with_the_true_posterior_is_the_mutual_information():
  c, x = _gaussian_channel()
  log_std = jnp.full_like(x, 0.5 * math.log(V))
  terms = losses.information_bound(losses.gaussian_log_q(A * x, c, log_std=log_std), H_C)
  assert terms.shape == (c.shape[0],)
  # Monte Carlo over 400k pairs: standard error ~ 0.5 * sqrt(2) / sqrt(4e5) = 0.0011.
  assert float(terms.mean()) == pytest.approx(EXACT_GAUSSIAN_MI, abs=0.005)


def test_gaussian_bound_with_unit_std_is_below_by_the_kl_gap():
  """Q = N(posterior mean, 1) (the authors' fixed std): the gap is KL(N(m, V) || N(m, 1))."""
  c, x = _gaussian_channel()
  terms = losses.information_bound(losses.gaussian_log_q(A * x, c), H_C)
  gap = 0.5 * (V - 1.0 - math.log(V))  # 0.2047
  assert float(terms.mean()) == pytest.approx(EXACT_GAUSSIAN_MI - gap, abs=0.005)
  # A wrong mean (Q ignores x) is worse still: the bound drops to H(c) - 0.5 log 2 pi - 0.5 E c^2.
  blind = losses.information_bound(losses.gaussian_log_q(jnp.zeros_like(x), c), H_C)
  assert float(blind.mean()) == pytest.approx(H_C - 0.5 * math.log(2 * math.pi) - 0.5 * S2,
                                              abs=0.005)
  assert float(blind.mean()) < float(terms.mean()) < EXACT_GAUSSIAN_MI


def test_uniform_entropy_and_argument_checks():
  assert losses.uniform_entropy(2) == pytest.approx(2 * math.log(2.0))
  assert losses.uniform_entropy(0) == 0.0
  assert losses.uniform_entropy(1, 0.0, 4.0) == pytest.approx(math.log(4.0))
  with pytest.raises(ValueError, match="high"):
    losses.uniform_entropy(1, 1.0, 1.0)
  with pytest.raises(ValueError, match="num_categories=0"):
    losses.categorical_entropy(0)
  with pytest.raises(TypeError, match="integer categories"):
    losses.categorical_log_q(jnp.zeros((2, 3)), jnp.zeros((2, 3)))
  with pytest.raises(ValueError, match="codes.shape"):
    losses.categorical_log_q(jnp.zeros((2, 3)), jnp.zeros((3,), jnp.int32))
  with pytest.raises(ValueError, match="same shape"):
    losses.gaussian_log_q(jnp.zeros((2, 3)), jnp.zeros((2, 2)))
