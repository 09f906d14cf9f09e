"""experiments.train_classifier on tiny IDX files written here."""

import jax
import jax.numpy as jnp
import numpy as np

from experiments import train_classifier
from gengan_jax.metrics import classifier as clf
from tests.data._idx_writer import write_mnist


def test_random_shift_moves_content_by_at_most_max_shift():
  # One bright pixel per image at (10, 12): after the shift it sits at
  # (10 + dy, 12 + dx) with |dy|, |dx| <= 2, and the rest is background -1.
  x = jnp.full((64, 28, 28, 1), -1.0).at[:, 10, 12, 0].set(1.0)
  y = np.asarray(train_classifier.random_shift(jax.random.key(0), x, 2))
  assert y.shape == x.shape
  rows, cols = [], []
  for img in y[..., 0]:
    (r,), (c,) = np.nonzero(img > 0)
    rows.append(r)
    cols.append(c)
    assert np.sum(img == -1.0) == 28 * 28 - 1
  offsets = {(r - 10, c - 12) for r, c in zip(rows, cols)}
  assert all(abs(dy) <= 2 and abs(dx) <= 2 for dy, dx in offsets)
  assert len(offsets) > 10  # 25 possible offsets, 64 draws
  np.testing.assert_array_equal(train_classifier.random_shift(jax.random.key(0), x, 0), x)


def test_train_then_load(tmp_path):
  write_mnist(tmp_path, "train5k", 64, seed=0)
  write_mnist(tmp_path, "t10k", 32, seed=1)
  module, params, record = train_classifier.train(
      str(tmp_path), epochs=1, batch_size=32, log=lambda s: None)
  assert record["train_examples"] == 64 and record["test_examples"] == 32
  assert 0.0 <= record["test_accuracy"] <= 1.0
  path = clf.save_classifier(tmp_path / "clf", module, params, input_shape=(28, 28, 1),
                             meta=record)
  logits_fn, features_fn = clf.load_mnist_classifier(path)
  x = jnp.zeros((2, 28, 28, 1))
  np.testing.assert_allclose(logits_fn(x), module.apply({"params": params}, x, train=False),
                             rtol=1e-6, atol=1e-6)
  assert features_fn(x).shape == (2, module.feature_dim)
  assert clf.load_classifier(path)[2]["meta"]["epochs"] == 1
