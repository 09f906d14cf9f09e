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


def test_confident_modes_hand_placed():
  def sample(digits, p):  # p on each channel's digit, the rest spread evenly
    out = np.full((3, 10), (1 - p) / 9)
    out[np.arange(3), digits] = p
    return out

  probs = np.stack([sample([1, 2, 3], 0.95), sample([1, 2, 3], 0.99),  # one mode, twice
                    sample([4, 5, 6], 0.9),                             # at the threshold
                    sample([7, 8, 9], 0.5),                             # unsure: left out
                    sample([0, 0, 0], 0.89)])                           # just under it
  out = metrics.confident_modes(probs)
  assert out == {"confident_share": 0.6, "confident_modes": 2, "threshold": 0.9}
  # One unsure channel is enough to leave a sample out.
  probs[0, 2] = sample([1, 2, 3], 0.5)[2]
  assert metrics.confident_modes(probs)["confident_share"] == 0.4
  assert metrics.confident_modes(probs, threshold=0.6) == {
      "confident_share": 0.6, "confident_modes": 3, "threshold": 0.6}
  assert metrics.confident_modes(probs, threshold=0.5) == {
      "confident_share": 1.0, "confident_modes": 4, "threshold": 0.5}
  # None confident: no modes.
  assert metrics.confident_modes(probs, threshold=1.0) == {
      "confident_share": 0.0, "confident_modes": 0, "threshold": 1.0}


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
  with pytest.raises(ValueError, match=r"\[N, 3, 10\]"):
    metrics.confident_modes(np.zeros((4, 3)))
  with pytest.raises(ValueError, match="no samples"):
    metrics.confident_modes(np.zeros((0, 3, 10)))
  with pytest.raises(ValueError, match=r"\(0, 1\]"):
    metrics.confident_modes(np.zeros((1, 3, 10)), threshold=0.0)
