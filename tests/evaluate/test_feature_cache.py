"""The real images' features are computed once per weights and images, then read
from the cache directory (gengan_jax.evaluate.images.cached_features)."""

import os

import numpy as np

from gengan_jax.evaluate import images


class _Extractor:
  """A counting stand-in for the Inception features, with a fingerprint."""

  def __init__(self, fingerprint="inception_v3-abc"):
    self.fingerprint = fingerprint
    self.calls = 0

  def __call__(self, x):
    self.calls += 1
    flat = x.reshape(len(x), -1)
    return flat[:, :4] * 2.0, flat[:, :3] - 1.0


def test_features_are_computed_once_then_read(tmp_path):
  x = np.random.default_rng(0).uniform(-1, 1, size=(6, 4, 4, 3)).astype(np.float32)
  extract = _Extractor()
  f1, l1 = images.cached_features(extract, x, cache_dir=str(tmp_path), name="held_out")
  f2, l2 = images.cached_features(extract, x, cache_dir=str(tmp_path), name="held_out")
  assert extract.calls == 1
  np.testing.assert_array_equal(f1, f2)
  np.testing.assert_array_equal(l2, x.reshape(6, -1)[:, :3] - 1.0)
  files = os.listdir(tmp_path)
  assert len(files) == 1 and files[0].startswith("features-held_out-")
  # Other images, or other weights, are another entry, not a stale one.
  images.cached_features(extract, x[::-1], cache_dir=str(tmp_path), name="held_out")
  other = _Extractor("inception_v3-def")
  images.cached_features(other, x, cache_dir=str(tmp_path), name="held_out")
  assert extract.calls == 2 and other.calls == 1 and len(os.listdir(tmp_path)) == 3


def test_no_cache_without_a_directory_or_a_fingerprint(tmp_path):
  x = np.zeros((2, 4, 4, 1), np.float32)
  extract = _Extractor()
  images.cached_features(extract, x, cache_dir=None, name="a")
  del extract.fingerprint
  images.cached_features(extract, x, cache_dir=str(tmp_path), name="a")
  images.cached_features(extract, x, cache_dir=str(tmp_path), name="a")
  assert extract.calls == 3 and os.listdir(tmp_path) == []


def test_extractor_metrics_caches_the_real_sets_only(tmp_path):
  rng = np.random.default_rng(1)
  sets = [(n, rng.uniform(-1, 1, size=(20, 4, 4, 3)).astype(np.float32))
          for n in ("samples", "held_out", "ref_a", "ref_b")]
  extract = _Extractor()
  first, _ = images.extractor_metrics(extract, sets, seed=0, description="d",
                                      cache_dir=str(tmp_path))
  assert extract.calls == 4
  second, _ = images.extractor_metrics(extract, sets, seed=0, description="d",
                                       cache_dir=str(tmp_path))
  assert extract.calls == 5  # only the samples again
  assert sorted(f.split("-")[1] for f in os.listdir(tmp_path)) == ["held_out", "ref_a",
                                                                   "ref_b"]
  assert first == second
