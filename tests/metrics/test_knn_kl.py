"""metrics.knn_kl against closed-form Gaussian KLs."""

import numpy as np
import pytest

from gengan_jax import metrics


def _log_normal(z):
  return -0.5 * (z.shape[1] * np.log(2 * np.pi) + np.sum(np.square(z), axis=1))


@pytest.mark.parametrize("dim,tolerance", [(2, 0.1), (8, 0.4)])
def test_knn_kl_matches_the_closed_form_gaussian_kl(dim, tolerance):
  # q = N(m, diag(s^2)), p = N(0, I), 2000 samples, k = 3. Measured over 5
  # seeds: bias -0.004 (2-D) and -0.21 (8-D) nats, sd 0.02 and 0.04. A unit
  # ball of diameter instead of radius would be off by d log 2 (1.4, 5.5 nats).
  rng = np.random.default_rng(dim)
  m, s = np.linspace(-1.0, 1.0, dim), np.linspace(0.3, 1.5, dim)
  z = m + s * rng.normal(size=(2000, dim))
  closed_form = 0.5 * np.sum(s**2 + m**2 - 1.0 - 2.0 * np.log(s))
  estimate = metrics.knn_kl(z, _log_normal(z))
  assert abs(estimate - closed_form) < tolerance
  # q = p: the estimate is near 0.
  z = rng.normal(size=(2000, dim))
  assert abs(metrics.knn_kl(z, _log_normal(z))) < tolerance
  with pytest.raises(ValueError, match="repeated rows"):
    metrics.knn_kl(np.zeros((10, dim)), np.zeros(10))
  with pytest.raises(ValueError, match="log_prior"):
    metrics.knn_kl(np.ones((10, dim)) * np.arange(10)[:, None], np.zeros(9))
