"""The evaluation classifier: missing weights, save/load, batching, Stacked MNIST digits."""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import nets
from gengan_jax.metrics import classifier as clf

TINY = dict(conv_features=(2, 3, 3), feature_dim=5)


def _tiny(tmp_path, seed=0):
  module = nets.MNISTClassifier(**TINY)
  params = module.init(jax.random.key(seed), jnp.zeros((1, 28, 28, 1)), train=False)["params"]
  path = clf.save_classifier(tmp_path / "clf", module, params, input_shape=(28, 28, 1),
                             meta={"test_accuracy": 0.5})
  return module, params, path


def test_missing_weights_say_how_to_make_them(tmp_path):
  missing = tmp_path / "nowhere"
  with pytest.raises(FileNotFoundError) as e:
    clf.load_mnist_classifier(missing)
  message = str(e.value)
  assert str(missing) in message
  assert "python -m experiments.train_classifier" in message
  assert clf.ENV_VAR in message


def test_directory_without_weights_is_reported(tmp_path):
  (tmp_path / "empty").mkdir()
  with pytest.raises(FileNotFoundError, match=r"no classifier weights.*train_classifier"):
    clf.load_mnist_classifier(tmp_path / "empty")


def test_environment_variable_and_default_path(tmp_path, monkeypatch):
  monkeypatch.delenv(clf.ENV_VAR, raising=False)
  assert clf.classifier_path() == clf.DEFAULT_CLASSIFIER_PATH
  assert clf.DEFAULT_CLASSIFIER_PATH.endswith(
      os.path.join("gengan_jax", "assets", "mnist_classifier"))
  monkeypatch.setenv(clf.ENV_VAR, str(tmp_path / "x"))
  assert clf.classifier_path() == str(tmp_path / "x")
  assert clf.classifier_path(tmp_path / "y") == str(tmp_path / "y")  # explicit wins
  with pytest.raises(FileNotFoundError, match=str(tmp_path / "x")):
    clf.load_mnist_classifier()


def test_round_trip(tmp_path):
  module, params, path = _tiny(tmp_path)
  record = json.loads(open(os.path.join(path, "classifier.json")).read())
  assert record["module"]["conv_features"] == [2, 3, 3]
  assert record["meta"] == {"test_accuracy": 0.5}

  loaded_module, loaded_params, loaded_record = clf.load_classifier(path)
  assert loaded_module == module
  assert loaded_record["input_shape"] == [28, 28, 1]
  for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(loaded_params), strict=True):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))

  logits_fn, features_fn = clf.load_mnist_classifier(path)
  x = jax.random.uniform(jax.random.key(1), (3, 28, 28, 1), minval=-1.0, maxval=1.0)
  np.testing.assert_allclose(logits_fn(x), module.apply({"params": params}, x, train=False),
                             rtol=1e-6, atol=1e-6)
  features = features_fn(x)
  assert features.shape == (3, 5)
  np.testing.assert_allclose(
      features, module.apply({"params": params}, x, method=nets.MNISTClassifier.features),
      rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("n, batch_size", [(7, 3), (6, 3), (2, 5), (1, 1)])
def test_apply_in_batches_equals_one_call(n, batch_size):
  x = np.random.default_rng(0).normal(size=(n, 4)).astype(np.float32)
  shapes = set()

  def fn(b):
    shapes.add(b.shape)
    return b * 2.0 + b.sum(-1, keepdims=True) * 0.0

  np.testing.assert_array_equal(clf.apply_in_batches(fn, x, batch_size=batch_size), 2.0 * x)
  assert len(shapes) == 1  # the last chunk is padded: one compiled shape


def test_apply_in_batches_rejects():
  with pytest.raises(ValueError, match="batch_size"):
    clf.apply_in_batches(lambda b: b, np.zeros((3, 1)), batch_size=0)
  with pytest.raises(ValueError, match="no examples"):
    clf.apply_in_batches(lambda b: b, np.zeros((0, 1)))


def test_stacked_digits_reads_each_channel():
  # A stand-in classifier: the "digit" of a channel is round(10 * mean pixel
  # in [0, 1)), given as a one-hot logit; so digits can be hand-placed.
  def logits_fn(x):
    level = jnp.clip(jnp.floor((x.mean(axis=(1, 2, 3)) + 1.0) / 2.0 * 10.0), 0, 9)
    return jax.nn.one_hot(level.astype(jnp.int32), 10) * 10.0

  digits = np.array([[1, 2, 3], [9, 0, 5], [4, 4, 4], [0, 9, 7], [6, 1, 8]])
  images = np.empty((5, 8, 8, 3), np.float32)
  for i, triple in enumerate(digits):
    for c, d in enumerate(triple):
      images[i, :, :, c] = (d + 0.5) / 10.0 * 2.0 - 1.0
  got = clf.stacked_digits(logits_fn, images, batch_size=4)
  assert got.dtype == np.int64
  np.testing.assert_array_equal(got, digits)
  logits = clf.stacked_logits(logits_fn, images, batch_size=4)
  np.testing.assert_array_equal(logits, 10.0 * np.eye(10)[digits])  # [N, 3, 10], in order


def test_stacked_digits_rejects_single_channel():
  with pytest.raises(ValueError, match=r"\[N, H, W, 3\]"):
    clf.stacked_digits(lambda x: x, np.zeros((2, 28, 28, 1)))
