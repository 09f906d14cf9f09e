"""Tests for gengan_jax.metrics.inception_score."""

import importlib

import numpy as np
import pytest

from gengan_jax import metrics

# The package exports the function `inception_score`, which hides the module.
is_lib = importlib.import_module("gengan_jax.metrics.inception_score")


def _reference_is(probs, splits):
  """Salimans et al.'s formula on probabilities (improved-gan, inception_score)."""
  scores = []
  n = len(probs)
  for i in range(splits):
    part = probs[i * n // splits:(i + 1) * n // splits]
    py = part.mean(0, keepdims=True)
    kl = (part * (np.log(part) - np.log(py))).sum(1).mean()
    scores.append(np.exp(kl))
  return np.mean(scores), np.std(scores)


def test_uniform_classifier_scores_one():
  mean, std = metrics.inception_score(np.zeros((100, 10)), num_splits=5)
  np.testing.assert_allclose([mean, std], [1.0, 0.0], atol=1e-12)


def test_confident_classifier_using_all_classes_scores_num_classes():
  # One-hot predictions (-inf logits for the other classes), every class
  # equally often in every split: KL = log C for every example -> IS = C.
  c = 10
  labels = np.tile(np.arange(c), 20)
  logits = np.where(np.eye(c)[labels] > 0, 0.0, -np.inf)
  mean, std = metrics.inception_score(logits, num_splits=4)
  np.testing.assert_allclose([mean, std], [c, 0.0], rtol=1e-12, atol=1e-12)
  # A one-hot classifier that always predicts the same class: IS = 1.
  same = np.where(np.eye(c)[np.zeros(50, int)] > 0, 0.0, -np.inf)
  np.testing.assert_allclose(metrics.inception_score(same, num_splits=2)[0], 1.0)


def test_matches_reference_formula_on_random_logits():
  rng = np.random.default_rng(0)
  logits = 3 * rng.standard_normal((103, 7))
  probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
  got = metrics.inception_score(logits.astype(np.float32), num_splits=10)
  np.testing.assert_allclose(got, _reference_is(probs, 10), rtol=1e-5)
  # Shift invariance of logits.
  np.testing.assert_allclose(metrics.inception_score(logits + 100.0, num_splits=10),
                             metrics.inception_score(logits, num_splits=10), rtol=1e-10)


def test_per_example_kl_mean_is_log_score():
  rng = np.random.default_rng(1)
  logits = rng.standard_normal((40, 5))
  kl = is_lib.per_example_kl(logits)
  assert kl.shape == (40,) and np.all(kl >= -1e-12)
  np.testing.assert_allclose(np.exp(kl.mean()), metrics.inception_score(logits, num_splits=1)[0])


def test_errors():
  with pytest.raises(ValueError, match="num_splits"):
    metrics.inception_score(np.zeros((5, 3)), num_splits=6)
  with pytest.raises(ValueError, match="logits"):
    metrics.inception_score(np.zeros((5,)), num_splits=1)
  with pytest.raises(ValueError, match="logits"):
    metrics.inception_score(np.full((5, 3), np.nan), num_splits=1)
