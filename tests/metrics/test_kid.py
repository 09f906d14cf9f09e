"""Tests for gengan_jax.metrics.kid against direct numpy computations."""

import numpy as np
import pytest

from gengan_jax import metrics


def _direct_mmd2(x, y):
  """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3, by explicit loops."""
  d = x.shape[1]
  k = lambda a, b: (float(np.dot(a, b)) / d + 1.0) ** 3
  n, m = len(x), len(y)
  kxx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j)
  kyy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
  kxy = sum(k(x[i], y[j]) for i in range(n) for j in range(m))
  return kxx / (n * (n - 1)) + kyy / (m * (m - 1)) - 2 * kxy / (n * m)


def test_mmd2_matches_loops():
  rng = np.random.default_rng(0)
  x = rng.standard_normal((9, 5))
  y = rng.standard_normal((7, 5)) + 0.5
  np.testing.assert_allclose(metrics.mmd2_unbiased(x, y), _direct_mmd2(x, y), rtol=1e-12)


def test_mmd2_hand_computed_constant_sets():
  # x_i = 0 -> k(x, x') = 1; y_j = c = (2, 0): c.c / d = 4 / 2 = 2 ->
  # k(y, y') = 27; k(x, y) = 1.  MMD^2 = 1 + 27 - 2 = 26.
  x = np.zeros((4, 2))
  y = np.tile([2.0, 0.0], (3, 1))
  np.testing.assert_allclose(metrics.mmd2_unbiased(x, y), 26.0, rtol=1e-12)


def test_kid_with_full_subsets_equals_direct_mmd2():
  # subset_size = N = M: every subset is a permutation of the whole set and
  # the unbiased MMD^2 is permutation invariant, so every subset gives the
  # direct value and the standard deviation is 0.
  rng = np.random.default_rng(1)
  real = rng.standard_normal((12, 6)).astype(np.float32)
  fake = (1.5 * rng.standard_normal((12, 6))).astype(np.float32)
  mean, std = metrics.kernel_inception_distance(real, fake, num_subsets=3, subset_size=12)
  np.testing.assert_allclose(mean, _direct_mmd2(real.astype(np.float64),
                                                fake.astype(np.float64)), rtol=1e-10)
  assert std < 1e-10


def test_kid_subsets_reproduce_direct_computation():
  rng = np.random.default_rng(2)
  real = rng.standard_normal((30, 4))
  fake = rng.standard_normal((25, 4)) + 1.0
  mean, std = metrics.kernel_inception_distance(real, fake, num_subsets=4,
                                                subset_size=10, seed=7)
  draw = np.random.default_rng(7)
  values = []
  for _ in range(4):
    x = real[draw.choice(30, 10, replace=False)]
    y = fake[draw.choice(25, 10, replace=False)]
    values.append(_direct_mmd2(x, y))
  np.testing.assert_allclose([mean, std], [np.mean(values), np.std(values)], rtol=1e-10)
  assert std > 0


def test_kid_near_zero_for_same_distribution_and_positive_otherwise():
  rng = np.random.default_rng(3)
  a, b = rng.standard_normal((2, 400, 8))
  same, same_std = metrics.kernel_inception_distance(a, b, num_subsets=20, subset_size=200)
  diff, _ = metrics.kernel_inception_distance(a, b + 1.0, num_subsets=20, subset_size=200)
  assert abs(same) < 3 * same_std + 1e-3
  assert diff > 0.1


def test_kid_errors():
  x = np.zeros((10, 3))
  with pytest.raises(ValueError, match="subset_size"):
    metrics.kernel_inception_distance(x, x, subset_size=11)
  with pytest.raises(ValueError, match="num_subsets"):
    metrics.kernel_inception_distance(x, x, num_subsets=0, subset_size=5)
  with pytest.raises(ValueError, match="same feature dimension"):
    metrics.kernel_inception_distance(x, np.zeros((10, 2)), subset_size=5)
