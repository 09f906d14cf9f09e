"""Tests for gengan_jax.nets.dcgan (tiny base_features to stay fast)."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import nets

B = 8  # base_features in these tests.
K = 6  # latent_dim.
SHAPES = [(28, 28, 1), (32, 32, 3), (64, 64, 3)]
# Feature widths from the generator's first feature map to its last.
WIDTHS = {28: [2 * B, B], 32: [4 * B, 2 * B, B],
          64: [8 * B, 4 * B, 2 * B, B]}
START = {28: 7, 32: 4, 64: 4}


def _images(shape, n=3, seed=0):
  return jax.random.uniform(jax.random.key(seed), (n,) + shape,
                            minval=-1.0, maxval=1.0)


def _abstract_init(module, x):
  """(variables, output) as ShapeDtypeStructs: structure checks, no compile."""
  return jax.eval_shape(
      lambda: module.init_with_output(jax.random.key(0), x, train=False)
  )[::-1]


@pytest.mark.parametrize("shape", SHAPES)
def test_generator_shapes_and_layers(shape):
  module = nets.DCGANGenerator(shape, base_features=B)
  variables, x = _abstract_init(module, jnp.zeros((3, K)))
  assert x.shape == (3,) + shape
  assert x.dtype == jnp.float32

  params = jax.tree.map(lambda p: p.shape, variables["params"])
  widths, start = WIDTHS[shape[0]], START[shape[0]]
  assert params["project"]["kernel"] == (K, start * start * widths[0])
  assert "bias" not in params["project"]  # BN follows.
  for i in range(1, len(widths)):
    assert params[f"deconv_{i}"]["kernel"] == (4, 4, widths[i - 1], widths[i])
  assert params["out"]["kernel"] == (4, 4, widths[-1], shape[2])
  assert params["out"]["bias"] == (shape[2],)
  # Batch norm after every layer except the output.
  assert sorted(variables["batch_stats"]) == [
      f"bn_{i}" for i in range(len(widths))]
  assert sorted(params) == sorted(
      ["project", "out"] + [f"deconv_{i}" for i in range(1, len(widths))]
      + [f"bn_{i}" for i in range(len(widths))])


@pytest.mark.parametrize("shape", SHAPES)
def test_generator_output_in_range(shape):
  module = nets.DCGANGenerator(shape, base_features=4)
  z = 3.0 * jax.random.normal(jax.random.key(0), (2, K))
  init = jax.jit(module.init_with_output, static_argnames="train")
  x, _ = init(jax.random.key(1), z, train=False)
  assert x.shape == (2,) + shape and x.dtype == jnp.float32
  assert jnp.all(jnp.isfinite(x)) and jnp.all(jnp.abs(x) <= 1.0)


def test_generator_as_a_decoder_has_a_linear_likelihood_head():
  """``output_activation=None`` is the tanh's argument (same parameters), and
  ``out_channels_per_image_channel=2`` doubles the output channels."""
  shape = (28, 28, 1)
  z = 3.0 * jax.random.normal(jax.random.key(0), (2, K))
  tanh_net = nets.DCGANGenerator(shape, base_features=4)
  linear_net = nets.DCGANGenerator(shape, base_features=4, output_activation=None)
  variables = tanh_net.init(jax.random.key(1), z, train=False)
  # Larger output weights, so that the tanh saturates and the check can fail.
  variables["params"]["out"]["kernel"] = 1e3 * variables["params"]["out"]["kernel"]
  logits = linear_net.apply(variables, z, train=False)
  np.testing.assert_allclose(jnp.tanh(logits), tanh_net.apply(variables, z, train=False),
                             rtol=1e-6, atol=1e-6)
  assert float(jnp.max(jnp.abs(logits))) > 1.0  # not squashed
  two = nets.DCGANGenerator(shape, base_features=4, output_activation=None,
                            out_channels_per_image_channel=2)
  variables, out = _abstract_init(two, z)
  assert out.shape == (2, 28, 28, 2)
  assert variables["params"]["out"]["kernel"].shape == (4, 4, 4, 2)
  with pytest.raises(ValueError, match="output_activation='relu' is invalid"):
    nets.DCGANGenerator(shape, output_activation="relu")


@pytest.mark.parametrize("shape", SHAPES)
def test_discriminator_shapes_and_layers(shape):
  module = nets.DCGANDiscriminator(shape, base_features=B)
  variables, logits = _abstract_init(module, jnp.zeros((3,) + shape))
  assert logits.shape == (3,) and logits.dtype == jnp.float32

  widths = WIDTHS[shape[0]][::-1]
  params = jax.tree.map(lambda p: p.shape, variables["params"])
  in_ch = shape[2]
  for i, w in enumerate(widths):
    assert params[f"conv_{i}"]["kernel"] == (4, 4, in_ch, w)
    assert ("bias" in params[f"conv_{i}"]) == (i == 0)  # BN follows the rest.
    in_ch = w
  final = shape[0] // 2 ** len(widths)
  assert params["out"]["kernel"] == (final * final * widths[-1], 1)
  # BN on every conv layer except the first.
  assert sorted(variables["batch_stats"]) == [
      f"bn_{i}" for i in range(1, len(widths))]


@pytest.mark.parametrize("shape", SHAPES)
def test_critic_shapes_without_batch_norm(shape):
  module = nets.DCGANDiscriminator(shape, base_features=B,
                                   use_batch_norm=False)
  variables, logits = _abstract_init(module, jnp.zeros((3,) + shape))
  assert logits.shape == (3,) and logits.dtype == jnp.float32
  assert set(variables) == {"params"}  # No batch_stats collection.
  assert all("bias" in p for p in variables["params"].values())


@pytest.mark.parametrize("shape", SHAPES)
def test_encoder_shapes_and_layers(shape):
  module = nets.DCGANEncoder(shape, latent_dim=K, base_features=B)
  variables, codes = _abstract_init(module, jnp.zeros((3,) + shape))
  assert codes.shape == (3, K) and codes.dtype == jnp.float32
  n = len(WIDTHS[shape[0]])
  assert sorted(variables["batch_stats"]) == [f"bn_{i}" for i in range(1, n)]
  assert variables["params"]["out"]["kernel"].shape[1] == K
  for i, w in enumerate(WIDTHS[shape[0]][::-1]):
    assert variables["params"][f"conv_{i}"]["kernel"].shape[-1] == w


def test_encoder_output_is_linear():
  module = nets.DCGANEncoder((28, 28, 1), latent_dim=2, base_features=4)
  x = _images((28, 28, 1))
  variables = module.init(jax.random.key(1), x, train=False)
  params = {**variables["params"],
            "out": {**variables["params"]["out"],
                    "bias": jnp.array([5.0, -5.0])}}
  codes = module.apply({**variables, "params": params}, x, train=False)
  assert jnp.all(codes[:, 0] > 1.0) and jnp.all(codes[:, 1] < -1.0)


@pytest.mark.parametrize("make", [
    lambda: nets.DCGANGenerator((28, 28, 1), base_features=4),
    lambda: nets.DCGANDiscriminator((28, 28, 1), base_features=4),
    lambda: nets.DCGANEncoder((28, 28, 1), latent_dim=K, base_features=4),
], ids=["generator", "discriminator", "encoder"])
def test_batch_norm_train_updates_and_eval_uses_stats(make):
  module = make()
  x = (jax.random.normal(jax.random.key(0), (4, K))
       if isinstance(module, nets.DCGANGenerator) else _images((28, 28, 1), 4))
  variables = module.init(jax.random.key(1), x, train=False)
  stats0 = variables["batch_stats"]

  # train=True: normalises with batch statistics and updates running ones.
  _, updates = module.apply(variables, x, train=True, mutable=["batch_stats"])
  stats1 = updates["batch_stats"]
  assert jax.tree.structure(stats1) == jax.tree.structure(stats0)
  changed = jax.tree.map(lambda a, b: bool(jnp.any(a != b)), stats0, stats1)
  assert all(jax.tree.leaves(changed))

  # train=False: uses the running statistics and leaves them unchanged.
  y0 = module.apply(variables, x, train=False)
  y1, same = module.apply({**variables, "batch_stats": stats1}, x,
                          train=False, mutable=["batch_stats"])
  assert not np.allclose(y0, y1)
  jax.tree.map(np.testing.assert_array_equal, same["batch_stats"], stats1)

  # train=True without a mutable batch_stats collection is an error.
  with pytest.raises(Exception):
    module.apply(variables, x, train=True)


def test_batch_norm_momentum():
  module = nets.DCGANDiscriminator((28, 28, 1), base_features=4)
  x = _images((28, 28, 1), 4)
  variables = module.init(jax.random.key(1), x, train=False)
  _, updates = module.apply(variables, x, train=True, mutable=["batch_stats"])
  # Recompute bn_1's input to check the running mean: 0.9 * 0 + 0.1 * mean.
  _, inter = module.apply(variables, x, train=True, mutable=["batch_stats"],
                          capture_intermediates=True)
  conv1 = inter["intermediates"]["conv_1"]["__call__"][0]
  np.testing.assert_allclose(updates["batch_stats"]["bn_1"]["mean"],
                             0.1 * conv1.mean(axis=(0, 1, 2)), rtol=1e-4,
                             atol=1e-7)


def test_critic_is_per_example():
  shape = (28, 28, 1)
  module = nets.DCGANDiscriminator(shape, base_features=4,
                                   use_batch_norm=False)
  x = _images(shape, 2)
  variables = module.init(jax.random.key(1), x, train=False)
  assert set(variables) == {"params"}
  # Changing example 1 leaves the score of example 0 unchanged.
  y = module.apply(variables, x, train=True)
  y2 = module.apply(variables, x.at[1].set(-x[1]), train=True)
  assert y.shape == (2,)
  np.testing.assert_array_equal(y[0], y2[0])
  assert y[1] != y2[1]


def test_discriminator_with_batch_norm_mixes_examples_in_training():
  # The contrast that motivates use_batch_norm=False for WGAN-GP critics.
  shape = (28, 28, 1)
  module = nets.DCGANDiscriminator(shape, base_features=B)
  x = _images(shape, 2)
  variables = module.init(jax.random.key(1), x, train=False)
  y, _ = module.apply(variables, x, train=True, mutable=["batch_stats"])
  y2, _ = module.apply(variables, x.at[1].set(-x[1]), train=True,
                       mutable=["batch_stats"])
  assert y[0] != y2[0]
  # In evaluation mode batch norm is per-example again.
  e = module.apply(variables, x, train=False)
  e2 = module.apply(variables, x.at[1].set(-x[1]), train=False)
  np.testing.assert_array_equal(e[0], e2[0])


def test_jit_and_gradients():
  shape = (28, 28, 1)
  gen = nets.DCGANGenerator(shape, base_features=4)
  disc = nets.DCGANDiscriminator(shape, base_features=4)
  z = jax.random.normal(jax.random.key(0), (2, K))
  gv = gen.init(jax.random.key(1), z, train=False)
  dv = disc.init(jax.random.key(2), _images(shape, 2), train=False)

  @jax.jit
  def loss(gp):
    x, _ = gen.apply({**gv, "params": gp}, z, train=True,
                     mutable=["batch_stats"])
    y, _ = disc.apply(dv, x, train=True, mutable=["batch_stats"])
    return y.sum()

  grads = jax.grad(loss)(gv["params"])
  assert all(bool(jnp.all(jnp.isfinite(g))) for g in jax.tree.leaves(grads))


def test_list_image_shape_is_normalised():
  module = nets.DCGANGenerator([28, 28, 1], base_features=B)
  assert module.image_shape == (28, 28, 1)
  hash(module)


@pytest.mark.parametrize("cls, kw", [
    (nets.DCGANGenerator, {}),
    (nets.DCGANDiscriminator, {}),
    (nets.DCGANEncoder, {"latent_dim": K}),
])
@pytest.mark.parametrize("bad",
                         [(48, 48, 3), (32, 28, 3), (32, 32), (16, 16, 1)])
def test_unsupported_image_shape(cls, kw, bad):
  pattern = (rf"{cls.__name__}.*{re.escape(repr(bad))}.*"
             rf"{re.escape('(28, 32, 64)')}.*channel")
  with pytest.raises(ValueError, match=pattern):
    cls(bad, base_features=B, **kw)


@pytest.mark.parametrize("cls, kw", [
    (nets.DCGANDiscriminator, {}),
    (nets.DCGANEncoder, {"latent_dim": K}),
])
def test_input_shape_must_match_image_shape(cls, kw):
  module = cls((32, 32, 3), base_features=B, **kw)
  with pytest.raises(ValueError, match=r"\(32, 32, 3\).*\(2, 28, 28, 1\)"):
    module.init(jax.random.key(0), jnp.zeros((2, 28, 28, 1)), train=False)
  with pytest.raises(ValueError, match=r"\(2, 32, 32, 1\)"):
    module.init(jax.random.key(0), jnp.zeros((2, 32, 32, 1)), train=False)


def test_generator_rejects_non_rank2_latents():
  module = nets.DCGANGenerator((28, 28, 1), base_features=4)
  with pytest.raises(ValueError, match=r"\[B, K\]"):
    module.init(jax.random.key(0), jnp.zeros((2, 1, 1, K)), train=False)
