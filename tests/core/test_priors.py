"""The priors of z (gengan_jax.core.keys): the uniform one is Uniform(-1, 1)^K,
checked against the closed form of its law and independence; the Gaussian one
fails the same checks (so the checks can fail)."""

import jax
import numpy as np
import pytest
from scipy import stats

from gengan_jax.core import gaussian_prior, uniform_prior
from gengan_jax.core.keys import PRIORS

N, K = 100_000, 4


def test_uniform_prior_is_uniform_on_the_cube():
  z = np.asarray(uniform_prior(jax.random.key(0), N, K), np.float64)
  assert z.shape == (N, K) and z.dtype == np.float64
  assert z.min() >= -1.0 and z.max() < 1.0
  # Each coordinate: Kolmogorov-Smirnov against U(-1, 1) (a fixed key, so a
  # fixed p; the Gaussian's below is ~0), mean 0 and variance 1/3 within 5
  # standard errors (sd of the mean sqrt(1/3 / N); of the variance
  # sqrt((1/5 - 1/9) / N), the uniform's fourth central moment being 1/5).
  for k in range(K):
    assert stats.kstest(z[:, k], stats.uniform(loc=-1, scale=2).cdf).pvalue > 1e-3
  np.testing.assert_allclose(z.mean(0), 0.0, atol=5 * np.sqrt(1 / 3 / N))
  np.testing.assert_allclose(z.var(0), 1 / 3, atol=5 * np.sqrt((1 / 5 - 1 / 9) / N))
  # Independent coordinates: correlations within 5 / sqrt(N) of 0.
  corr = np.corrcoef(z.T)
  np.testing.assert_allclose(corr[~np.eye(K, dtype=bool)], 0.0, atol=5 / np.sqrt(N))
  # Deterministic in the key, different across keys.
  np.testing.assert_array_equal(uniform_prior(jax.random.key(0), N, K), z.astype(np.float32))
  assert not np.array_equal(uniform_prior(jax.random.key(1), 4, K), z[:4])


def test_the_checks_reject_the_gaussian():
  z = np.asarray(gaussian_prior(jax.random.key(0), N, 1), np.float64)[:, 0]
  assert stats.kstest(z, stats.uniform(loc=-1, scale=2).cdf).pvalue < 1e-10


def test_priors_by_name():
  assert PRIORS == {"gaussian": gaussian_prior, "uniform": uniform_prior}


@pytest.mark.parametrize("name", sorted(PRIORS))
def test_every_prior_has_the_shape_asked_for(name):
  assert PRIORS[name](jax.random.key(0), 3, 5).shape == (3, 5)
