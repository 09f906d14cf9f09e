"""Tests for gengan_jax.metrics.precision_recall: hand-built sets and cdist."""

import importlib

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from gengan_jax import metrics

# The package exports the function `precision_recall`, which hides the module.
pr = importlib.import_module("gengan_jax.metrics.precision_recall")

# Real points on a line, spacing 1: with k = 1 every real ball has radius 1.
REAL = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
# (0.5, 0): inside the balls of (0,0) and (1,0); (10, 0): outside all;
# (2, 0.5): inside the ball of (2,0) only (|.| to (1,0), (3,0) is sqrt(1.25));
# (20, 20): outside all.
FAKE = np.array([[0.5, 0.0], [10.0, 0.0], [2.0, 0.5], [20.0, 20.0]])


def test_hand_built_sets():
  np.testing.assert_allclose(pr.nearest_neighbour_radii(REAL, 1), [1, 1, 1, 1])
  np.testing.assert_array_equal(pr.ball_counts(REAL, np.ones(4), FAKE), [2, 0, 1, 0])
  # Fake radii (k=1): sqrt(2.5), sqrt(64.25), sqrt(2.5), sqrt(500). The
  # outlier (10, 0) has a ball of radius ~8.02 reaching (2,0) and (3,0), and
  # the ball of (0.5, 0) holds (0,0), (1,0) and (2,0): every real point is
  # "recalled" (how generated outliers inflate recall, Naeem et al. Sec. 3).
  got = metrics.precision_recall(REAL, FAKE, k=1)
  assert got == {"precision": 0.5, "recall": 1.0}
  # density = (2 + 0 + 1 + 0) / (k M) = 3/4; coverage: the nearest sample of
  # (3, 0) is (2, 0.5) at sqrt(1.25) > 1, the other three are covered.
  got = metrics.density_coverage(REAL, FAKE, k=1)
  assert got == {"density": 0.75, "coverage": 0.75}


def test_identical_sets_and_disjoint_sets():
  rng = np.random.default_rng(0)
  x = rng.standard_normal((50, 3))
  assert metrics.precision_recall(x, x, k=3) == {"precision": 1.0, "recall": 1.0}
  assert metrics.density_coverage(x, x, k=5)["coverage"] == 1.0
  far = x + 100.0
  assert metrics.precision_recall(x, far, k=3) == {"precision": 0.0, "recall": 0.0}
  assert metrics.density_coverage(x, far, k=5) == {"density": 0.0, "coverage": 0.0}


def _brute_force(real, fake, k_pr, k_dc):
  """Independent computation with scipy's cdist and sorting."""
  drr = cdist(real, real)
  dff = cdist(fake, fake)
  drf = cdist(real, fake)  # [N, M]
  r_real = np.sort(drr, axis=1)[:, k_pr]  # column 0 is the point itself
  r_fake = np.sort(dff, axis=1)[:, k_pr]
  precision = np.mean([(drf[:, j] <= r_real).any() for j in range(len(fake))])
  recall = np.mean([(drf[i, :] <= r_fake).any() for i in range(len(real))])
  r_dc = np.sort(drr, axis=1)[:, k_dc]
  density = (drf <= r_dc[:, None]).sum() / (k_dc * len(fake))
  coverage = (drf.min(axis=1) <= r_dc).mean()
  return precision, recall, density, coverage


def test_matches_brute_force_on_random_features():
  rng = np.random.default_rng(1)
  real = rng.standard_normal((120, 6))
  fake = 1.3 * rng.standard_normal((90, 6)) + 0.4
  p, r, d, c = _brute_force(real, fake, 3, 5)
  assert 0 < p < 1 and 0 < r < 1 and 0 < c < 1  # a non-trivial case
  got = metrics.precision_recall(real, fake.astype(np.float32).astype(np.float64), k=3)
  np.testing.assert_allclose([got["precision"], got["recall"]], [p, r])
  got = metrics.density_coverage(real, fake, k=5)
  np.testing.assert_allclose([got["density"], got["coverage"]], [d, c])


def test_blocks_do_not_change_the_result(monkeypatch):
  rng = np.random.default_rng(2)
  real, fake = rng.standard_normal((2, 70, 4))
  full = metrics.precision_recall(real, fake), metrics.density_coverage(real, fake)
  monkeypatch.setattr(pr, "_BLOCK", 16)
  assert (metrics.precision_recall(real, fake), metrics.density_coverage(real, fake)) == full


def test_errors():
  with pytest.raises(ValueError, match="k=3"):
    metrics.precision_recall(np.zeros((3, 2)), np.zeros((10, 2)), k=3)
  with pytest.raises(ValueError, match="`k`"):
    metrics.density_coverage(np.zeros((10, 2)), np.zeros((10, 2)), k=0)
  with pytest.raises(ValueError, match="same feature dimension"):
    metrics.precision_recall(np.zeros((10, 2)), np.zeros((10, 3)))
  with pytest.raises(ValueError, match="radii"):
    pr.ball_counts(np.zeros((4, 2)), np.ones(3), np.zeros((2, 2)))
