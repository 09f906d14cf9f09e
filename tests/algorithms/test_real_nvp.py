"""real_nvp_mle and real_nvp_wgan: one network, two principles, exact likelihoods.

The registry-driven smoke, sharding and learning checks cover both; these
pin what is particular to them: the two train the same network, their
``log_likelihood`` is the exact change of variables (against an
independent Jacobian, and a closed form for a fresh flow on images), the
maximum-likelihood step descends the negative log-likelihood, the WGAN step
updates flow and critic on ``n_critic`` batches, and image samples are
8-bit pixels.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import algorithms
from gengan_jax.algorithms import flow_data, real_nvp_mle, real_nvp_wgan
from gengan_jax.core import ConfigError, network_names
from gengan_jax.losses import dequantization
from gengan_jax.nets import real_nvp
from tests.algorithms.helpers import tiny_config, tiny_data

TINY_IMAGES = dict(arch="dcgan", base_features=4, num_scales=2)


def _images(n, seed=0):
  k = np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28, 1))
  return jnp.asarray(k / 127.5 - 1.0, jnp.float32)


def test_both_train_the_same_network():
  for arch, data in (("mlp", tiny_data("mlp", 1)[0]), ("dcgan", _images(2))):
    _, mle_cfg = tiny_config("real_nvp_mle", arch)
    _, gan_cfg = tiny_config("real_nvp_wgan", arch)
    mle = jax.eval_shape(lambda k, x: real_nvp_mle.init(k, mle_cfg, x), jax.random.key(0), data)
    gan = jax.eval_shape(lambda k, x: real_nvp_wgan.init(k, gan_cfg, x), jax.random.key(0), data)
    assert (jax.tree.map(jnp.shape, mle.flow.params)
            == jax.tree.map(jnp.shape, gan.flow.params))
    assert network_names(gan) == ("flow", "critic")
    assert network_names(mle) == ("flow",)


@pytest.mark.parametrize("name", ["real_nvp_mle", "real_nvp_wgan"])
def test_log_likelihood_is_the_exact_change_of_variables_on_2d_data(name):
  """After a few steps (couplings no longer the identity), ``log_likelihood``
  equals ``log N(f(x)) + log|det J_f(x)|`` with the Jacobian from
  ``jax.jacfwd`` and ``f`` from the flow's ``forward``; the step's ``nll``
  metric is its batch mean."""
  module, cfg = tiny_config(name)
  data = tiny_data("mlp", module.num_batches(cfg), batch_size=16)
  state = module.init(jax.random.key(0), cfg, data[0])
  step = jax.jit(module.train_step)
  for i in range(3):
    state, _ = step(state, data, jax.random.key(i))
  x = jnp.asarray(data[-1])
  ll = module.log_likelihood(state, x, jax.random.key(9))
  apply = state.flow.apply_fn
  variables = {"params": state.flow.params}
  f = lambda v: apply(variables, v[None], method="forward")[0][0]  # noqa: E731
  z = jax.vmap(f)(x)
  log_det = jax.vmap(lambda v: jnp.linalg.slogdet(jax.jacfwd(f)(v))[1])(x)
  expected = real_nvp.standard_normal_log_prob(z) + log_det
  np.testing.assert_allclose(ll, expected, rtol=1e-5, atol=1e-5)
  assert float(jnp.abs(log_det).max()) > 1e-4  # the flow moved
  # the step's nll is that of its (last) batch under the flow before the update
  _, metrics = step(state, data, jax.random.key(5))
  np.testing.assert_allclose(metrics["nll"], -ll.mean(), rtol=1e-5)


def test_image_log_likelihood_of_a_fresh_flow_has_a_closed_form():
  """A fresh flow is the identity, so ``log p(x_c) = log N(T(x_c); 0, I) +
  log|det dT/dx_c|`` with ``x_c`` the dequantised image (the same key
  dequantises) and ``T`` the logit transform, written out here."""
  module, cfg = tiny_config("real_nvp_mle", **TINY_IMAGES)
  x = _images(3)
  state = jax.jit(module.init, static_argnums=1)(jax.random.key(0), cfg, x)
  key = jax.random.key(4)
  ll = jax.jit(module.log_likelihood)(state, x, key)
  x_c = np.asarray(dequantization.dequantize(x, key), np.float64)
  alpha = cfg.logit_alpha
  p = alpha + (1 - alpha) * (x_c + 1) / 2
  y = np.log(p) - np.log1p(-p)
  log_det = np.log((1 - alpha) / (2 * p * (1 - p)))
  expected = np.sum(-0.5 * y**2 - 0.5 * math.log(2 * math.pi) + log_det, axis=(1, 2, 3))
  np.testing.assert_allclose(ll, expected, rtol=1e-5)


def test_maximum_likelihood_steps_descend_the_negative_log_likelihood():
  module, cfg = tiny_config("real_nvp_mle")
  data = tiny_data("mlp", 1, batch_size=64)
  state = module.init(jax.random.key(0), cfg, data[0])
  step = jax.jit(module.train_step)
  nll = jax.jit(lambda s: -module.log_likelihood(s, jnp.asarray(data[0]), None).mean())
  before = float(nll(state))
  for i in range(30):
    state, _ = step(state, data, jax.random.key(i))
  assert float(nll(state)) < before - 0.3, (before, float(nll(state)))


def test_wgan_step_updates_flow_and_critic_on_n_critic_batches():
  module, cfg = tiny_config("real_nvp_wgan", n_critic=3)
  assert module.num_batches(cfg) == 3
  data = tiny_data("mlp", 3)
  state = module.init(jax.random.key(0), cfg, data[0])
  new, metrics = jax.jit(module.train_step)(state, data, jax.random.key(1))
  for name in ("flow", "critic"):
    old_p = jax.tree.leaves(state.networks()[name].params)
    new_p = jax.tree.leaves(new.networks()[name].params)
    assert any(not np.array_equal(a, b) for a, b in zip(old_p, new_p)), name
  assert set(metrics) == {"critic_loss", "gradient_penalty", "wasserstein_estimate",
                          "generator_loss", "nll"}
  with pytest.raises(ValueError, match="n_critic=3 takes 3 per step"):
    module.train_step(state, data[:2], jax.random.key(1))


@pytest.mark.parametrize("name", ["real_nvp_mle", "real_nvp_wgan"])
def test_image_samples_are_8_bit_pixels(name):
  module, cfg = tiny_config(name, **TINY_IMAGES)
  x = _images(2)
  state = jax.jit(module.init, static_argnums=1)(jax.random.key(0), cfg, x)
  samples = np.asarray(jax.jit(module.sample, static_argnums=2)(state, jax.random.key(1), 4))
  assert samples.shape == (4, 28, 28, 1)
  k = (samples + 1) * 127.5
  np.testing.assert_allclose(k, np.round(k), atol=1e-4)
  assert samples.min() >= -1 and samples.max() <= 1


def test_the_flow_round_trips_through_the_data_space():
  """``generate`` inverts ``to_flow_space`` and the flow: a dequantised image
  sent to ``z`` and back is itself (so the generator of real_nvp_wgan and the
  density of real_nvp_mle are the same map)."""
  _, cfg = tiny_config("real_nvp_mle", **TINY_IMAGES)
  x = _images(2)
  state = jax.jit(real_nvp_mle.init, static_argnums=1)(jax.random.key(0), cfg, x)
  apply = state.flow.apply_fn
  params = jax.tree.map(lambda p: p + 0.05 * jnp.ones_like(p), state.flow.params)
  flow_fn = lambda v, **kw: apply({"params": params}, v, **kw)  # noqa: E731

  @jax.jit
  def round_trip(x):
    x_c = flow_data.to_continuous(cfg, x, jax.random.key(3))
    y, _ = flow_data.to_flow_space(cfg, x_c)
    z, _ = flow_fn(y, method="forward")
    return x_c, flow_data.generate(cfg, flow_fn, z), z

  x_c, back, z = round_trip(x)
  assert float(jnp.abs(z - flow_data.to_flow_space(cfg, x_c)[0]).max()) > 0.01
  np.testing.assert_allclose(back, x_c, atol=1e-4)


def test_flow_settings_are_checked():
  with pytest.raises(ConfigError, match="logit_alpha=1.0 is invalid"):
    algorithms.from_mapping(real_nvp_mle.Config, dict(logit_alpha=1.0))
  with pytest.raises(ConfigError, match="num_couplings=0 is invalid"):
    algorithms.from_mapping(real_nvp_wgan.Config, dict(num_couplings=0))
