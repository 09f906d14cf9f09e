"""ELBO surgery (Hoffman & Johnson 2016) against closed forms."""

import math

import numpy as np
import pytest
from scipy import stats

from gengan_jax import metrics
from gengan_jax.metrics.elbo_surgery import gaussian_log_density_matrix, log_aggregate_posterior


def _kl_to_standard_normal(var):
  return 0.5 * (var - 1.0 - np.log(var))


def test_posteriors_equal_to_the_prior_give_zero_everywhere():
  s = metrics.elbo_surgery(np.zeros((50, 3)), np.zeros((50, 3)), num_draws=4)
  assert s.average_kl == 0.0
  assert s.mutual_information == pytest.approx(0.0, abs=1e-12)
  assert s.marginal_kl == pytest.approx(0.0, abs=1e-12)
  assert s.log_num_examples == pytest.approx(math.log(50)) and s.num_draws == 4


def test_identical_posteriors_carry_no_information():
  """Every ``q(z | x_n) = N(m, s^2)``: ``I = 0``, marginal KL = average KL."""
  means = np.tile([[0.5, -1.0]], (40, 1))
  log_scales = np.tile([[np.log(0.3), 0.2]], (40, 1))
  s = metrics.elbo_surgery(means, log_scales)
  expected = (_kl_to_standard_normal(0.09) + 0.5 * 0.25
              + _kl_to_standard_normal(np.exp(0.4)) + 0.5 * 1.0)
  assert s.average_kl == pytest.approx(expected, rel=1e-12)
  assert s.mutual_information == pytest.approx(0.0, abs=1e-10)
  assert s.marginal_kl == pytest.approx(expected, rel=1e-10)


def test_separated_posteriors_carry_log_n():
  """``N`` posteriors far apart: the index is known from ``z``, ``I = log N``."""
  n = 16
  means = np.stack([np.arange(n) * 50.0, np.zeros(n)], axis=1)
  log_scales = np.full((n, 2), np.log(0.1))
  s = metrics.elbo_surgery(means, log_scales, num_draws=8)
  assert s.mutual_information == pytest.approx(math.log(n), abs=1e-9)
  assert s.marginal_kl == pytest.approx(s.average_kl - math.log(n), rel=1e-12)


def test_linear_gaussian_encoder_matches_the_gaussian_channel():
  """``x ~ N(0, 1)`` in each of 2 dimensions, ``q(z | x) = N(c x, s^2)``: the aggregate
  posterior is ``N(0, v)``, ``v = c^2 + s^2``, so (as ``N`` grows) ``I = 1/2 log(v / s^2)``
  and the marginal KL is ``KL(N(0, v) || N(0, 1))`` per dimension.

  With ``c^2 = 1 - s^2`` (the exact posterior of ``x = z + noise``, up to scaling)
  ``v = 1``: all of the KL is mutual information. The second dimension is
  ``beta``-VAE-like: narrower in aggregate than the prior. 4,000 examples;
  measured errors 0.003 (I) and 0.004 (marginal KL) nats, the standard error
  0.013 (the mixture of 4,000 posteriors is a finite stand-in for the
  continuous aggregate, and the x_n a finite sample); tolerance 0.03.
  """
  n = 4000
  x = np.random.default_rng(1).normal(size=(n, 2))
  c = np.array([math.sqrt(0.75), 0.4])
  s2 = np.array([0.25, 0.09])
  s = metrics.elbo_surgery(x * c, np.broadcast_to(0.5 * np.log(s2), (n, 2)), num_draws=2)
  v = c**2 + s2
  expected_mi = float(np.sum(0.5 * np.log(v / s2)))
  expected_marginal = float(np.sum(_kl_to_standard_normal(v)))
  assert s.mutual_information == pytest.approx(expected_mi, abs=0.03)
  assert s.marginal_kl == pytest.approx(expected_marginal, abs=0.03)
  assert s.mutual_information_se < 0.02
  assert s.average_kl == pytest.approx(s.mutual_information + s.marginal_kl, rel=1e-12)


def _standard_normal_log_density(z):
  return stats.multivariate_normal(np.zeros(z.shape[1])).logpdf(z)


def test_a_given_standard_normal_prior_gives_the_closed_form_by_monte_carlo():
  """``log_prior = log N(0, I)``: the same draws give the same ``I``; the Monte
  Carlo average KL agrees with the closed form within 4 standard errors."""
  rng = np.random.default_rng(3)
  means, log_scales = rng.normal(size=(300, 2)), -1.0 + 0.3 * rng.normal(size=(300, 2))
  closed = metrics.elbo_surgery(means, log_scales, num_draws=4)
  mc = metrics.elbo_surgery(means, log_scales, num_draws=4,
                            log_prior=_standard_normal_log_density)
  assert closed.prior == "N(0, I)" and closed.average_kl_se == 0.0
  assert mc.prior == "learned" and 0.0 < mc.average_kl_se < 0.05
  assert mc.mutual_information == closed.mutual_information
  assert abs(mc.average_kl - closed.average_kl) < 4 * mc.average_kl_se
  assert mc.marginal_kl == pytest.approx(mc.average_kl - mc.mutual_information, rel=1e-12)


def test_a_prior_at_the_aggregate_posterior_leaves_only_the_mutual_information():
  """Identical posteriors ``N(m, s^2)`` and the prior ``N(m, s^2)`` itself: the
  average KL is 0 (every term is exactly 0), ``I = 0``, and the marginal KL
  0; against a shifted prior ``N(m + d, s^2)`` it is ``|d|^2 / (2 s^2)``."""
  m, s = np.array([3.0, -1.0]), 0.5
  means, log_scales = np.tile(m, (50, 1)), np.full((50, 2), np.log(s))
  at = metrics.elbo_surgery(
      means, log_scales, num_draws=4,
      log_prior=lambda z: stats.multivariate_normal(m, s**2 * np.eye(2)).logpdf(z))
  assert at.average_kl == pytest.approx(0.0, abs=1e-9)
  assert at.marginal_kl == pytest.approx(0.0, abs=1e-9)
  d = np.array([0.2, -0.1])
  shifted = metrics.elbo_surgery(
      means, log_scales, num_draws=40,
      log_prior=lambda z: stats.multivariate_normal(m + d, s**2 * np.eye(2)).logpdf(z))
  expected = float(np.sum(d**2)) / (2 * s**2)
  assert abs(shifted.average_kl - expected) < 4 * shifted.average_kl_se
  assert shifted.marginal_kl == pytest.approx(shifted.average_kl, abs=1e-9)


def test_log_aggregate_posterior_against_scipy():
  rng = np.random.default_rng(2)
  means, log_scales = rng.normal(size=(5, 3)), 0.3 * rng.normal(size=(5, 3))
  z = rng.normal(size=(7, 3))
  dens = np.stack([stats.multivariate_normal(m, np.diag(np.exp(2 * l))).pdf(z)
                   for m, l in zip(means, log_scales)], axis=1)
  np.testing.assert_allclose(gaussian_log_density_matrix(z, means, log_scales),
                             np.log(dens), rtol=1e-10)
  np.testing.assert_allclose(log_aggregate_posterior(z, means, log_scales, block_size=3),
                             np.log(dens.mean(1)), rtol=1e-10)


def test_bad_arguments_are_named():
  with pytest.raises(ValueError, match="`means` has shape .* but `log_scales` has shape"):
    metrics.elbo_surgery(np.zeros((4, 2)), np.zeros((4, 3)))
  with pytest.raises(ValueError, match="`num_draws` must be an integer >= 1"):
    metrics.elbo_surgery(np.zeros((4, 2)), np.zeros((4, 2)), num_draws=0)
  with pytest.raises(ValueError, match="`means` contains NaN"):
    metrics.elbo_surgery(np.full((4, 2), np.nan), np.zeros((4, 2)))
  with pytest.raises(ValueError, match=r"`log_prior` must map the \[4, 2\] draws to \[4\]"):
    metrics.elbo_surgery(np.zeros((4, 2)), np.zeros((4, 2)), log_prior=lambda z: z)
  with pytest.raises(ValueError, match="with non-finite values"):
    metrics.elbo_surgery(np.zeros((4, 2)), np.zeros((4, 2)),
                         log_prior=lambda z: np.full(len(z), -np.inf))


def test_narrow_posteriors_keep_the_mutual_information_at_most_log_n():
  """sigma = e^-20: the expanded square's terms are ~1e17 and cancel to ~K at
  a posterior's own draws; recomputed there, the N spikes are disjoint and I
  is log N (it came out 22.3 > log 2000 = 7.6 before)."""
  means = np.random.default_rng(5).normal(size=(2000, 2))
  out = metrics.elbo_surgery(means, np.full((2000, 2), -20.0), seed=1)
  np.testing.assert_allclose(out.mutual_information, math.log(2000), atol=1e-6)
  z = means[:3] + np.exp(-20.0) * np.random.default_rng(2).normal(size=(3, 2))
  direct = -math.log(2 * math.pi) + 40.0 - 0.5 * np.sum(
      np.square((z - means[:3]) * math.exp(20.0)), axis=1)
  got = gaussian_log_density_matrix(
      z, means[:3], np.full((3, 2), -20.0))
  np.testing.assert_allclose(np.diag(got), direct, rtol=1e-9)
