"""Tests for gengan_jax.nets.autoencoder: shapes, codes, and the encoder-decoder wiring."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import nets


def _init_apply(module, x, **kwargs):
  # Compiled: eager Flax runs the conv layers op by op, several times slower.
  variables = jax.jit(lambda v: module.init(jax.random.key(0), v, train=False))(x)
  return variables, jax.jit(lambda w, v: module.apply(w, v, train=False, **kwargs))(variables, x)


def test_mlp_autoencoder_shapes_and_code():
  ae = nets.make_autoencoder("mlp", data_shape=(2,), code_dim=3, hidden=(8, 16))
  assert isinstance(ae, nets.MLPAutoEncoder)
  x = jnp.asarray(np.random.default_rng(0).normal(size=(5, 2)), jnp.float32)
  variables, rec = _init_apply(ae, x)
  assert rec.shape == (5, 2)
  assert set(variables) == {"params"}  # no batch norm
  rec2, code = ae.apply(variables, x, train=False, return_code=True)
  assert code.shape == (5, 3)
  np.testing.assert_array_equal(rec, rec2)


def test_mlp_autoencoder_is_the_decoder_of_the_encoders_code():
  ae = nets.make_autoencoder("mlp", data_shape=(2,), code_dim=3, hidden=(8, 16))
  x = jnp.asarray(np.random.default_rng(1).normal(size=(4, 2)), jnp.float32)
  variables, rec = _init_apply(ae, x)
  params = variables["params"]
  encoder = nets.MLPEncoder(3, (8, 16))
  decoder = nets.MLPGenerator(2, (16, 8))  # the widths reversed
  code = encoder.apply({"params": params["encoder"]}, x, train=False)
  np.testing.assert_allclose(rec, decoder.apply({"params": params["decoder"]}, code,
                                                train=False), rtol=1e-6)


@pytest.mark.parametrize("use_batch_norm", [True, False])
def test_dcgan_autoencoder_28(use_batch_norm):
  ae = nets.make_autoencoder("dcgan", data_shape=(28, 28, 1), code_dim=5,
                             use_batch_norm=use_batch_norm, base_features=4)
  assert isinstance(ae, nets.DCGANAutoEncoder) and ae.use_batch_norm == use_batch_norm
  x = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, size=(3, 28, 28, 1)), jnp.float32)
  variables, (rec, code) = _init_apply(ae, x, return_code=True)
  assert rec.shape == (3, 28, 28, 1) and code.shape == (3, 5)
  assert ("batch_stats" in variables) == use_batch_norm
  if use_batch_norm:
    out, mutated = jax.eval_shape(
        lambda: ae.apply(variables, x, train=True, mutable=["batch_stats"]))
    assert out.shape == x.shape and "batch_stats" in mutated


def test_dcgan_autoencoder_with_bn_is_dcgan_encoder_then_generator():
  ae = nets.make_autoencoder("dcgan", data_shape=(28, 28, 1), code_dim=5, base_features=4,
                             output_activation="tanh")
  x = jnp.asarray(np.random.default_rng(2).uniform(-1, 1, size=(2, 28, 28, 1)), jnp.float32)
  variables, rec = _init_apply(ae, x)
  sub = lambda name: {k: v[name] for k, v in variables.items()}
  code = nets.DCGANEncoder((28, 28, 1), 5, 4).apply(sub("encoder"), x, train=False)
  expected = nets.DCGANGenerator((28, 28, 1), 4, output_activation="tanh").apply(
      sub("decoder"), code, train=False)
  np.testing.assert_allclose(rec, expected, rtol=1e-5, atol=1e-6)
  assert float(jnp.max(jnp.abs(rec))) < 1.0


@pytest.mark.parametrize("shape", [(32, 32, 3), (64, 64, 3)])
@pytest.mark.parametrize("use_batch_norm", [True, False])
def test_dcgan_autoencoder_other_sizes(shape, use_batch_norm):
  ae = nets.make_autoencoder("dcgan", data_shape=shape, code_dim=7,
                             use_batch_norm=use_batch_norm, base_features=2)
  rec, code = jax.eval_shape(lambda: ae.init_with_output(
      jax.random.key(0), jnp.zeros((2,) + shape), train=False, return_code=True)[0])
  assert rec.shape == (2,) + shape and code.shape == (2, 7)


def test_autoencoder_errors():
  with pytest.raises(ValueError, match="code_dim"):
    nets.make_autoencoder("mlp", data_shape=(2,), code_dim=0)
  with pytest.raises(TypeError, match="unexpected keyword"):
    nets.make_autoencoder("mlp", data_shape=(2,), code_dim=2, base_features=4)
  with pytest.raises(ValueError, match="output_activation"):
    nets.make_autoencoder("dcgan", data_shape=(28, 28, 1), code_dim=2,
                          output_activation="sigmoid")
  ae = nets.make_autoencoder("mlp", data_shape=(2,), code_dim=2, hidden=(4,))
  with pytest.raises(ValueError, match=r"\[B, 2\]"):
    ae.init(jax.random.key(0), jnp.zeros((3, 5)), train=False)
