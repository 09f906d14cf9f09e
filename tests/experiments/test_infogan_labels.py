"""experiments/infogan_labels.py: the category-to-digit matching is the best one."""

import itertools

import numpy as np
import pytest
from scipy import optimize

from experiments import infogan_labels


@pytest.mark.parametrize("shape", [(5, 5), (4, 6), (6, 4), (10, 10)])
def test_best_assignment_equals_scipy(shape):
  rng = np.random.default_rng(sum(shape))
  counts = rng.integers(0, 50, size=shape)
  total, assignment = infogan_labels.best_assignment(counts)
  r, c = optimize.linear_sum_assignment(counts, maximize=True)
  assert total == counts[r, c].sum()
  used = [a for a in assignment if a >= 0]
  assert len(used) == len(set(used)) == min(shape)
  assert sum(counts[i, a] for i, a in enumerate(assignment) if a >= 0) == total


def test_best_assignment_against_brute_force():
  counts = np.random.default_rng(1).integers(0, 9, size=(5, 5))
  brute = max(sum(counts[i, p[i]] for i in range(5)) for p in itertools.permutations(range(5)))
  assert infogan_labels.best_assignment(counts)[0] == brute


def test_label_errors_of_a_relabelled_clustering():
  rng = np.random.default_rng(0)
  labels = rng.integers(0, 10, size=1000)
  permutation = rng.permutation(10)
  categories = permutation[labels]
  out = infogan_labels.label_errors(categories, labels, 10)
  assert out["error_permutation"] == 0.0 and out["error_majority"] == 0.0
  assert [out["assignment"][permutation[d]] for d in range(10)] == list(range(10))
  # Digits 1 and 7 merged into one category: both mappings give it the more
  # frequent of the two and miss the other.
  merged = np.where(labels == 1, permutation[7], categories)
  out = infogan_labels.label_errors(merged, labels, 10)
  smaller = min(np.mean(labels == 1), np.mean(labels == 7))
  assert out["error_permutation"] == pytest.approx(smaller)
  assert out["error_majority"] == pytest.approx(smaller)
  assert out["categories_used"] == 9
