"""Tests for gengan_jax.metrics.mixtures: hand-placed samples."""

import numpy as np
import pytest

from gengan_jax import metrics
from gengan_jax.metrics import mixtures

MEANS = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
STD = 0.1


def test_hand_placed_samples():
  samples = np.array([
      [1.0, 0.0], [1.05, 0.1],   # mode 0, distances 0 and ~0.112 (< 0.3)
      [0.0, 1.29],               # mode 1, distance 0.29
      [0.0, 1.31],               # nearest mode 1 but 0.31 > 3 std: low quality
      [0.5, 0.5],                # between modes: low quality
  ])
  cov = metrics.mode_coverage(samples, MEANS, STD)
  np.testing.assert_array_equal(cov.counts, [2, 1, 0, 0])
  assert cov.modes_covered == 2 and cov.num_modes == 4
  assert cov.high_quality_fraction == 3 / 5
  # q = (2/3, 1/3, 0, 0): KL(q || 1/4) = 2/3 log(8/3) + 1/3 log(4/3).
  np.testing.assert_allclose(cov.reverse_kl, 2 / 3 * np.log(8 / 3) + 1 / 3 * np.log(4 / 3))
  assert metrics.mode_coverage(samples, MEANS, STD, min_count=2).modes_covered == 1
  none = metrics.mode_coverage(np.array([[5.0, 5.0]]), MEANS, STD)
  assert none.modes_covered == 0 and none.reverse_kl == np.inf


def test_protocols():
  assert set(mixtures.PROTOCOLS) == {"veegan", "pacgan"}
  for p in mixtures.PROTOCOLS.values():
    assert (p.num_samples, p.threshold_stds, p.min_count) == (2500, 3.0, 1)
  assert "reverse_kl" in mixtures.PROTOCOLS["pacgan"].reports
  # Every mode equally often, all at the means: 4 / 4, 100%, KL 0.
  samples = np.tile(MEANS, (625, 1))
  for name in ("veegan", "pacgan"):
    cov = mixtures.evaluate_mixture(samples, MEANS, STD, protocol=name)
    assert cov.modes_covered == 4 and cov.high_quality_fraction == 1.0
    assert abs(cov.reverse_kl) < 1e-12
  with pytest.raises(ValueError, match="2500 samples"):
    mixtures.evaluate_mixture(samples[:100], MEANS, STD)
  with pytest.raises(ValueError, match="valid choices"):
    mixtures.evaluate_mixture(samples, MEANS, STD, protocol="metz")
