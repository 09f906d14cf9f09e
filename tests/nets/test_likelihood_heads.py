"""Gaussian encoders and likelihood decoders: shapes, the split, the factory's checks."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import nets


@pytest.mark.parametrize("arch, shape, kw", [("mlp", (3,), dict(hidden=(8,))),
                                             ("mlp", (28, 28, 1), dict(hidden=(8,))),
                                             ("dcgan", (28, 28, 1), dict(base_features=4))])
def test_gaussian_encoder_splits_its_base_output(arch, shape, kw):
  enc = nets.make_gaussian_encoder(arch, data_shape=shape, latent_dim=5, **kw)
  x = jax.random.normal(jax.random.key(0), (4, *shape))
  v = enc.init(jax.random.key(1), x, train=False)
  mean, log_scale = enc.apply(v, x, train=False)
  assert mean.shape == log_scale.shape == (4, 5)
  flat = x.reshape(4, -1) if arch == "mlp" else x
  h = enc.base.apply({k: v_["base"] for k, v_ in v.items()}, flat, train=False)
  np.testing.assert_array_equal(np.asarray(mean), np.asarray(h[:, :5]))
  np.testing.assert_array_equal(np.asarray(log_scale), np.asarray(h[:, 5:]))


@pytest.mark.parametrize("num_params", [1, 2])
@pytest.mark.parametrize("arch, shape, kw", [("mlp", (3,), dict(hidden=(8,))),
                                             ("mlp", (28, 28, 2), dict(hidden=(8,))),
                                             ("dcgan", (28, 28, 2), dict(base_features=4))])
def test_decoder_returns_num_params_arrays_shaped_like_the_data(arch, shape, kw, num_params):
  dec = nets.make_decoder(arch, data_shape=shape, latent_dim=3, num_params=num_params, **kw)
  z = jax.random.normal(jax.random.key(0), (4, 3))
  v = dec.init(jax.random.key(1), z, train=False)
  params = dec.apply(v, z, train=False)
  assert len(params) == num_params
  assert all(p.shape == (4, *shape) for p in params)
  # Linear output: a DCGAN decoder has no tanh (values beyond [-1, 1] possible).
  flat = jnp.concatenate([p.reshape(-1) for p in params])
  assert np.isfinite(np.asarray(flat)).all()
  if num_params == 2:
    assert not np.array_equal(np.asarray(params[0]), np.asarray(params[1]))


def test_decoder_rejects_other_num_params():
  with pytest.raises(ValueError, match=r"num_params=3 is invalid: valid values are 1 .* and 2"):
    nets.make_decoder("mlp", data_shape=(2,), latent_dim=2, num_params=3)


def test_dcgan_decoder_output_is_linear():
  """No tanh: with the output layer's weights scaled up, values leave [-1, 1]."""
  dec = nets.make_decoder("dcgan", data_shape=(28, 28, 1), latent_dim=2, base_features=4)
  z = jax.random.normal(jax.random.key(0), (2, 2))
  v = dec.init(jax.random.key(1), z, train=False)
  out = v["params"]["base"]["out"]
  big = {**v, "params": {"base": {**v["params"]["base"],
                                  "out": jax.tree.map(lambda w: 1e4 * w, out)}}}
  (logits,) = dec.apply(big, z, train=False)
  assert float(jnp.max(jnp.abs(logits))) > 1.0
