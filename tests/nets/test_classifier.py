"""Tests for gengan_jax.nets.classifier."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import nets


def test_shapes_collections_and_features_path():
  module = nets.MNISTClassifier(conv_features=(4, 4, 4), feature_dim=6)
  x = jax.random.uniform(jax.random.key(0), (3, 28, 28, 1), minval=-1.0, maxval=1.0)
  variables = module.init(jax.random.key(1), x, train=False)
  assert set(variables) == {"params"}  # no batch norm
  logits = module.apply(variables, x, train=False)
  features = module.apply(variables, x, method=nets.MNISTClassifier.features)
  assert logits.shape == (3, 10) and features.shape == (3, 6)
  assert bool(jnp.all(features >= 0))  # after a ReLU
  # The logits are the output layer applied to the features (no dropout at eval).
  out = variables["params"]["out"]
  np.testing.assert_allclose(logits, features @ out["kernel"] + out["bias"], rtol=1e-5, atol=1e-5)
  # Works on three-channel images too (one network per channel count).
  x3 = jnp.zeros((2, 28, 28, 3))
  assert module.apply(module.init(jax.random.key(1), x3, train=False), x3,
                      train=False).shape == (2, 10)


def test_dropout_only_in_training():
  module = nets.MNISTClassifier(conv_features=(4, 4, 4), feature_dim=32, dropout_rate=0.5)
  x = jax.random.uniform(jax.random.key(0), (4, 28, 28, 1), minval=-1.0, maxval=1.0)
  variables = module.init(jax.random.key(1), x, train=False)
  eval_1 = module.apply(variables, x, train=False)
  np.testing.assert_array_equal(eval_1, module.apply(variables, x, train=False))
  train_a = module.apply(variables, x, train=True, rngs={"dropout": jax.random.key(2)})
  train_b = module.apply(variables, x, train=True, rngs={"dropout": jax.random.key(3)})
  assert not np.allclose(train_a, train_b)


@pytest.mark.parametrize("kwargs, match", [
    (dict(conv_features=(4, 4)), "three positive widths"),
    (dict(num_classes=1), "num_classes"),
    (dict(dropout_rate=1.0), "dropout_rate"),
])
def test_rejects_bad_fields(kwargs, match):
  module = nets.MNISTClassifier(**kwargs)
  with pytest.raises(ValueError, match=match):
    module.init(jax.random.key(0), jnp.zeros((1, 28, 28, 1)), train=False)


def test_rejects_bad_input_shape():
  module = nets.MNISTClassifier(conv_features=(2, 2, 2), feature_dim=2)
  with pytest.raises(ValueError, match="divisible by 4"):
    module.init(jax.random.key(0), jnp.zeros((1, 30, 30, 1)), train=False)
