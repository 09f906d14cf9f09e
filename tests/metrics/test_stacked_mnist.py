"""Tests for gengan_jax.metrics.stacked_mnist: hand-placed predictions."""

import importlib

import numpy as np
import pytest

from gengan_jax import metrics

sm = importlib.import_module("gengan_jax.metrics.stacked_mnist")


def test_mode_counts_hand_placed():
  preds = np.array([[0, 0, 0], [1, 2, 3], [1, 2, 3], [9, 9, 9], [3, 2, 1]])
  counts = metrics.mode_counts(preds)
  assert counts.shape == (1000,) and counts.sum() == 5
  assert counts[0] == 1 and counts[123] == 2 and counts[999] == 1 and counts[321] == 1
  assert np.count_nonzero(counts) == 4


def test_modes_and_kl_closed_forms():
  # Every mode once: 1000 modes, KL 0.
  all_modes = np.array([[m // 100, m // 10 % 10, m % 10] for m in range(1000)])
  out = metrics.stacked_mnist_modes(metrics.mode_counts(all_modes))
  assert out == {"modes": 1000, "kl_to_uniform": 0.0, "num_samples": 1000}
  # A single mode: KL = log 1000.
  out = metrics.stacked_mnist_modes(metrics.mode_counts(np.full((7, 3), 4)))
  assert out["modes"] == 1
  np.testing.assert_allclose(out["kl_to_uniform"], np.log(1000))
  # Two modes, 3:1: KL = 3/4 log(750) + 1/4 log(250); min_count=2 drops one.
  counts = metrics.mode_counts(np.array([[0, 0, 1]] * 3 + [[0, 0, 2]]))
  np.testing.assert_allclose(metrics.stacked_mnist_modes(counts)["kl_to_uniform"],
                             0.75 * np.log(750) + 0.25 * np.log(250))
  assert metrics.stacked_mnist_modes(counts, min_count=2)["modes"] == 1


def test_errors():
  with pytest.raises(ValueError, match=r"\[N, 3\]"):
    metrics.mode_counts(np.zeros((4, 2), int))
  with pytest.raises(ValueError, match=r"\[0, 9\]"):
    metrics.mode_counts(np.array([[0, 10, 0]]))
  with pytest.raises(TypeError, match="integers"):
    metrics.mode_counts(np.zeros((2, 3)))
  with pytest.raises(ValueError, match="all zeros"):
    metrics.stacked_mnist_modes(np.zeros(1000, int))
  assert sm.NUM_MODES == 1000
