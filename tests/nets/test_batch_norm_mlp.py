"""Tests for gengan_jax.nets.batch_norm_mlp: the forward pass against a numpy
transcription of its formula, the running statistics' update, and the size of
PacGAN's 2-D generator."""

import jax
import jax.numpy as jnp
import numpy as np

from gengan_jax.nets import batch_norm_mlp as bn_mlp


def _reference(params, stats, x, *, train):
  """Dense (no bias) -> batch norm -> ReLU per layer, then Dense: numpy float64."""
  h = np.asarray(x, np.float64)
  i = 0
  while f"hidden_{i}" in params:
    h = h @ np.asarray(params[f"hidden_{i}"]["kernel"], np.float64)
    if train:
      mean, var = h.mean(0), h.var(0)  # the biased batch variance
    else:
      mean = np.asarray(stats[f"batch_norm_{i}"]["mean"], np.float64)
      var = np.asarray(stats[f"batch_norm_{i}"]["var"], np.float64)
    bn = params[f"batch_norm_{i}"]
    h = np.maximum(np.asarray(bn["scale"]) * (h - mean) / np.sqrt(var + bn_mlp.EPSILON)
                   + np.asarray(bn["bias"]), 0.0)
    i += 1
  return h @ np.asarray(params["out"]["kernel"]) + np.asarray(params["out"]["bias"])


def _perturbed(variables, key):
  """The variables with every parameter moved off its initial value (scale 1, shift 0)."""
  leaves, tree = jax.tree.flatten(variables["params"])
  keys = jax.random.split(key, len(leaves))
  params = jax.tree.unflatten(tree, [p + 0.3 * jax.random.normal(k, p.shape)
                                     for p, k in zip(leaves, keys)])
  return {"params": params, "batch_stats": variables["batch_stats"]}


def test_forward_matches_the_formula_in_training_and_inference():
  net = bn_mlp.BatchNormMLP((5, 3), 2, kernel_init=jax.nn.initializers.normal(1.0))
  x = jax.random.normal(jax.random.key(0), (64, 4))
  variables = _perturbed(net.init(jax.random.key(1), x, train=False), jax.random.key(2))
  stats = {"batch_norm_0": {"mean": jnp.full((5,), 0.3), "var": jnp.full((5,), 2.0)},
           "batch_norm_1": {"mean": jnp.full((3,), -0.1), "var": jnp.full((3,), 0.5)}}
  variables["batch_stats"] = stats
  y_train, _ = net.apply(variables, x, train=True, mutable=["batch_stats"])
  np.testing.assert_allclose(y_train, _reference(variables["params"], stats, x, train=True),
                             rtol=1e-4, atol=1e-5)
  y_eval = net.apply(variables, x, train=False)
  np.testing.assert_allclose(y_eval, _reference(variables["params"], stats, x, train=False),
                             rtol=1e-4, atol=1e-5)


def test_running_statistics_move_by_five_percent_of_the_batch():
  """``p <- 0.95 p + 0.05 m`` (the authors' ``m * 0.05 + p * 0.95``), from mean 0, var 1."""
  net = bn_mlp.BatchNormMLP((3,), 1)
  x = 2.0 + jax.random.normal(jax.random.key(0), (32, 2))
  variables = net.init(jax.random.key(1), x, train=False)
  _, updated = net.apply(variables, x, train=True, mutable=["batch_stats"])
  h = np.asarray(x, np.float64) @ np.asarray(variables["params"]["hidden_0"]["kernel"])
  stats = updated["batch_stats"]["batch_norm_0"]
  np.testing.assert_allclose(stats["mean"], 0.05 * h.mean(0), rtol=1e-4)
  np.testing.assert_allclose(stats["var"], 0.95 + 0.05 * h.var(0), rtol=1e-4)


def test_training_output_ignores_the_scale_of_a_hidden_kernel():
  # Batch norm divides out a positive rescaling of the layer before it (up to epsilon).
  net = bn_mlp.BatchNormMLP((8, 8), 2, kernel_init=jax.nn.initializers.normal(1.0))
  x = jax.random.normal(jax.random.key(0), (50, 3))
  variables = net.init(jax.random.key(1), x, train=False)
  scaled = jax.tree.map(lambda v: v, variables)
  scaled["params"]["hidden_1"]["kernel"] = 7.0 * variables["params"]["hidden_1"]["kernel"]
  y, _ = net.apply(variables, x, train=True, mutable=["batch_stats"])
  y_scaled, _ = net.apply(scaled, x, train=True, mutable=["batch_stats"])
  np.testing.assert_allclose(y_scaled, y, rtol=1e-3, atol=1e-4)
  # ... which inference mode, with fixed statistics, does not.
  assert not np.allclose(net.apply(scaled, x, train=False), net.apply(variables, x, train=False),
                         atol=1e-2)


def test_pacgan_generator_size_and_biases():
  """4 x 400, hidden layers without bias, batch norm's scale and shift, a biased output:
  2*400 + 3*400*400 + 4*2*400 + (400*2 + 2) = 484,802 parameters for z in R^2."""
  gen = bn_mlp.BatchNormMLPGenerator()
  z = jax.random.normal(jax.random.key(0), (100, 2))
  variables = gen.init(jax.random.key(1), z, train=False)
  assert sum(p.size for p in jax.tree.leaves(variables["params"])) == 484_802
  params = variables["params"]["mlp"]
  assert all(set(params[f"hidden_{i}"]) == {"kernel"} for i in range(4))
  assert set(params["out"]) == {"kernel", "bias"}
  kernels = np.concatenate([np.ravel(params[f"hidden_{i}"]["kernel"]) for i in range(4)])
  assert abs(kernels.std() / 0.02 - 1) < 0.01
  x, _ = gen.apply(variables, z, train=True, mutable=["batch_stats"])
  assert x.shape == (100, 2) and x.dtype == jnp.float32
  enc = bn_mlp.BatchNormMLPEncoder(latent_dim=3)
  codes = enc.apply(enc.init(jax.random.key(2), x, train=False), x, train=False)
  assert codes.shape == (100, 3)
