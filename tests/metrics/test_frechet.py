"""Tests for gengan_jax.metrics.frechet: closed forms and scipy.linalg.sqrtm."""

import numpy as np
import pytest
import scipy.linalg

from gengan_jax import metrics
from gengan_jax.metrics import frechet


def _random_spd(rng, d, rank=None):
  a = rng.standard_normal((d, rank or d))
  return a @ a.T / d + (0 if rank else 0.1 * np.eye(d))


def test_diagonal_gaussians_closed_form():
  # Commuting covariances: d^2 = |m1 - m2|^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2.
  mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.0])
  a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
  expected = 1 + 0 + 4 + (1 - 2) ** 2 + (2 - 1) ** 2 + 0  # = 7
  assert expected == 7
  got = metrics.frechet_distance(mu1, np.diag(a), mu2, np.diag(b))
  np.testing.assert_allclose(got, 7.0, rtol=1e-12)


def test_non_commuting_2d_closed_form():
  # For a 2x2 matrix M with non-negative eigenvalues,
  # tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)); apply it to M = S1 S2.
  s1 = np.array([[2.0, 0.5], [0.5, 1.0]])
  s2 = np.array([[1.0, -0.3], [-0.3, 3.0]])
  assert not np.allclose(s1 @ s2, s2 @ s1)
  tr_sqrt = np.sqrt(np.trace(s1 @ s2) + 2 * np.sqrt(np.linalg.det(s1) * np.linalg.det(s2)))
  mu1, mu2 = np.array([0.5, -1.0]), np.array([0.0, 1.0])
  expected = 0.25 + 4.0 + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt
  np.testing.assert_allclose(metrics.frechet_distance(mu1, s1, mu2, s2), expected,
                             rtol=1e-12)
  # Symmetric in its two arguments.
  np.testing.assert_allclose(metrics.frechet_distance(mu2, s2, mu1, s1), expected,
                             rtol=1e-12)


def test_same_gaussian_is_zero_and_scaled_identity():
  rng = np.random.default_rng(0)
  s = _random_spd(rng, 20)
  mu = rng.standard_normal(20)
  assert abs(metrics.frechet_distance(mu, s, mu, s)) < 1e-9
  # N(0, a I) vs N(0, b I): d (sqrt a - sqrt b)^2.
  np.testing.assert_allclose(
      metrics.frechet_distance(np.zeros(5), 4 * np.eye(5), np.zeros(5), np.eye(5)),
      5 * (2 - 1) ** 2, rtol=1e-12)


def _scipy_reference(f1, f2):
  mu1, mu2 = f1.mean(0), f2.mean(0)
  s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
  covmean = scipy.linalg.sqrtm(s1 @ s2)
  covmean = np.real(covmean)
  return ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


@pytest.mark.parametrize("n,d", [(300, 16), (40, 8)])
def test_fid_from_features_matches_scipy_sqrtm(n, d):
  rng = np.random.default_rng(d)
  mix = rng.standard_normal((d, d)) / np.sqrt(d)
  f1 = rng.standard_normal((n, d)) @ mix
  f2 = 0.7 * rng.standard_normal((n + 7, d)) + 0.3
  expected = _scipy_reference(f1, f2)
  got = metrics.fid_from_features(f1.astype(np.float32), f2.astype(np.float32))
  np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_singular_covariance_uses_eigh_route_and_matches_scipy():
  # Fewer samples than dimensions: Sigma_1 has rank 5 < 12, no Cholesky.
  rng = np.random.default_rng(3)
  f1 = rng.standard_normal((6, 12))
  f2 = rng.standard_normal((50, 12))
  s1 = np.cov(f1, rowvar=False)
  with pytest.raises(np.linalg.LinAlgError):
    np.linalg.cholesky(s1)
  np.testing.assert_allclose(metrics.fid_from_features(f1, f2),
                             _scipy_reference(f1, f2), rtol=1e-6)
  # Both routes agree on a positive definite pair (eigh route forced by the
  # order of the arguments: the singular one first).
  s2 = np.cov(f2, rowvar=False)
  np.testing.assert_allclose(frechet.trace_sqrt_product(s1, s2),
                             frechet.trace_sqrt_product(s2, s1), rtol=1e-8)


def test_statistics_float64_batched_and_offset():
  # Features with a large common offset: E[xx^T] - E[x]E[x]^T in float32
  # would lose every digit; the pairwise update must not.
  rng = np.random.default_rng(1)
  x = (1e4 + rng.standard_normal((1000, 4))).astype(np.float32)
  ref = x.astype(np.float64)
  stats = metrics.FeatureStatistics()
  for chunk in np.array_split(x, [1, 10, 300, 301, 999]):
    stats.update(chunk)
  assert stats.count == 1000
  np.testing.assert_allclose(stats.mean(), ref.mean(0), rtol=1e-14)
  np.testing.assert_allclose(stats.covariance(), np.cov(ref, rowvar=False),
                             rtol=1e-9, atol=1e-10)
  mu, sigma = metrics.gaussian_statistics(x)
  assert mu.dtype == sigma.dtype == np.float64
  np.testing.assert_allclose(sigma, stats.covariance(), rtol=1e-9, atol=1e-10)


def test_errors_name_the_argument():
  with pytest.raises(ValueError, match="f_real"):
    metrics.fid_from_features(np.zeros((10,)), np.zeros((10, 3)))
  with pytest.raises(ValueError, match="same feature dimension"):
    metrics.fid_from_features(np.zeros((10, 2)), np.zeros((10, 3)))
  with pytest.raises(ValueError, match="sigma2"):
    metrics.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.array([[1, 1], [0, 1.]]))
  with pytest.raises(ValueError, match="mu1"):
    metrics.frechet_distance(np.zeros(3), np.eye(2), np.zeros(2), np.eye(2))
  with pytest.raises(ValueError, match="empty"):
    metrics.FeatureStatistics().mean()
  with pytest.raises(ValueError, match="feature dimension"):
    metrics.FeatureStatistics().update(np.zeros((3, 2))).update(np.zeros((3, 4)))
