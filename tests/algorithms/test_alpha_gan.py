"""alpha-GAN's encoder kinds: the deterministic ``E(x)`` (the default) and the
adversarial auto-encoder's random encoders (``encoder='gaussian'`` and
``'universal'``), checked through the encoder loss of one step written out by
hand, and through ``encode``.

The rest of alpha-GAN is pinned by the recorded reference numbers
(``test_reference_numbers.py``: the deterministic encoder's step is bitwise
what it was before the random kinds existed), the smoke tests and the
learning check over the registry.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import losses
from gengan_jax.algorithms import aae, alpha_gan
from gengan_jax.core import ConfigError, from_mapping
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import step_keys
from gengan_jax.train import population
from tests.algorithms.helpers import (assert_one_device_equals_eight, run_on_one_and_eight,
                                      tiny_config, tiny_data)

TINY = dict(arch="mlp", latent_dim=3, hidden=(8,), discriminator_hidden=(8,),
            code_discriminator_hidden=(8,), generator_updates=1,
            lambda_encoder=0.7)
X = np.tanh(np.random.default_rng(0).normal(size=(1, 16, 2))).astype(np.float32)
KEY = jax.random.key(3)


def _state(**fields):
  cfg = from_mapping(alpha_gan.Config, dict(**TINY, **fields))
  return alpha_gan.init(jax.random.key(0), cfg, X[0])


def _encoder_loss_by_hand(state, codes):
  """``lambda_E ||x - G(codes)||_1 - logit C(codes)``, batch means."""
  x = X[0]
  rec = losses.l1_reconstruction(x, ts.forward(state.generator, codes)).mean()
  return state.config.lambda_encoder * rec - ts.forward(state.code_discriminator, codes).mean()


def _first_posterior_key():
  """The first draw of ``q(z | x)``'s noise in step 0, as the step derives it."""
  code_key = step_keys(KEY, 0, "generator", "discriminator", "code")["code"]
  return jax.random.split(jax.random.fold_in(code_key, 1), 3)[0]


@pytest.mark.parametrize("encoder", ["deterministic", "gaussian", "universal"])
def test_encoder_loss_is_taken_at_a_code_of_the_encoder_kind(encoder):
  state = _state(encoder=encoder, noise_dim=4)
  codes = aae.codes(state.config, lambda v: ts.forward(state.encoder, v), X[0],
                    _first_posterior_key())
  _, metrics = alpha_gan.train_step(state, X, KEY)
  np.testing.assert_allclose(metrics["encoder_loss"], _encoder_loss_by_hand(state, codes),
                             rtol=1e-5)
  if encoder == "deterministic":
    np.testing.assert_array_equal(codes, ts.forward(state.encoder, X[0]))
  else:  # A random code: another draw of the noise gives another loss.
    other = aae.codes(state.config, lambda v: ts.forward(state.encoder, v), X[0],
                      jax.random.key(9))
    assert abs(_encoder_loss_by_hand(state, other) - metrics["encoder_loss"]) > 1e-4


def test_gaussian_encoder_learns_its_scale_and_encodes_its_mean():
  state = _state(encoder="gaussian")
  new, _ = alpha_gan.train_step(state, X, KEY)
  mean, log_scale = ts.forward(state.encoder, X[0])
  np.testing.assert_allclose(alpha_gan.encode(state, X[0]), mean, rtol=1e-6)
  np.testing.assert_allclose(alpha_gan.reconstruct(state, X[0]),
                             ts.forward(state.generator, mean, train=False), rtol=1e-6)
  _, new_log_scale = ts.forward(new.encoder, X[0])
  assert not np.allclose(new_log_scale, log_scale)  # sigma(x) gets a gradient


def test_universal_encoder_encodes_at_the_noise_mean():
  state = _state(encoder="universal", noise_dim=4)
  zeros = jnp.zeros((X.shape[1], 4))
  np.testing.assert_allclose(
      alpha_gan.encode(state, X[0]),
      ts.forward(state.encoder, jnp.concatenate([X[0], zeros], -1), train=False), rtol=1e-6)


def test_log_variance_penalty_is_added_to_the_gaussian_encoders_loss():
  state = _state(encoder="gaussian", lambda_log_variance=0.3)
  mean, log_scale = ts.forward(state.encoder, X[0])
  codes = losses.gaussian_sample(_first_posterior_key(), mean, log_scale)
  _, metrics = alpha_gan.train_step(state, X, KEY)
  penalty = 0.3 * jnp.mean(2 * jnp.abs(log_scale).sum(1))
  np.testing.assert_allclose(metrics["encoder_loss"],
                             _encoder_loss_by_hand(state, codes) + penalty, rtol=1e-5)
  assert float(penalty) > 1e-3  # the comparison can tell the penalty's absence
  np.testing.assert_allclose(metrics["posterior_log_scale"], jnp.mean(log_scale), rtol=1e-5)


def test_log_variance_weight_can_vary_in_a_population():
  """A population traces the weight (``with_values``); the step must not branch on it."""
  state = _state(encoder="gaussian", lambda_log_variance=0.3)

  def step_at(weight):
    config = population.with_values(state.config, {"lambda_log_variance": weight})
    return alpha_gan.train_step(state.replace(config=config), X, KEY)[1]["encoder_loss"]

  np.testing.assert_allclose(jax.jit(step_at)(jnp.float32(0.3)),
                             alpha_gan.train_step(state, X, KEY)[1]["encoder_loss"], rtol=1e-6)


def test_log_scale_bound_applies_to_the_codes_the_penalty_and_the_metric():
  bound = 0.05
  state = _state(encoder="gaussian", lambda_log_variance=0.3, log_scale_bound=bound)
  mean, raw = ts.forward(state.encoder, X[0])
  assert float(jnp.max(jnp.abs(raw))) > 2 * bound  # the bound binds on this batch
  log_scale = bound * jnp.tanh(raw / bound)
  codes = losses.gaussian_sample(_first_posterior_key(), mean, log_scale)
  _, metrics = alpha_gan.train_step(state, X, KEY)
  penalty = 0.3 * jnp.mean(2 * jnp.abs(log_scale).sum(1))
  np.testing.assert_allclose(metrics["encoder_loss"],
                             _encoder_loss_by_hand(state, codes) + penalty, rtol=1e-5)
  np.testing.assert_allclose(metrics["posterior_log_scale"], jnp.mean(log_scale), rtol=1e-5)
  assert float(jnp.max(jnp.abs(log_scale))) < bound

  def step_at(b):  # A population can vary the bound: the step branches only on None.
    config = population.with_values(state.config, {"log_scale_bound": b})
    return alpha_gan.train_step(state.replace(config=config), X, KEY)[1]["encoder_loss"]

  np.testing.assert_allclose(jax.jit(step_at)(jnp.float32(bound)), metrics["encoder_loss"],
                             rtol=1e-6)


@pytest.mark.parametrize("fields, message", [
    (dict(encoder="universal", lambda_log_variance=0.1),
     "lambda_log_variance=0.1 is invalid: must be 0 unless encoder='gaussian'"),
    (dict(encoder="gaussian", lambda_log_variance=-1.0),
     "lambda_log_variance=-1.0 is invalid: must be >= 0"),
    (dict(encoder="implicit"),
     "encoder='implicit' is invalid: valid choices are 'deterministic', 'gaussian', 'universal'"),
    (dict(noise_dim=0), "noise_dim=0 is invalid: must be an integer >= 1"),
    (dict(encoder="gaussian", log_scale_bound=0.0),
     "log_scale_bound=0.0 is invalid: must be None, or > 0 with encoder='gaussian'"),
    (dict(log_scale_bound=3.0),
     "log_scale_bound=3.0 is invalid: must be None, or > 0 with encoder='gaussian'"),
])
def test_bad_encoder_settings_are_one_line(fields, message):
  with pytest.raises(ConfigError, match=message):
    from_mapping(alpha_gan.Config, dict(**TINY, **fields))


def test_packed_data_discriminator_judges_m_points_at_once():
  """With ``pack=3`` the step takes 3 data batches; D's loss is its loss on the
  3 batches concatenated feature-wise, and on the reconstructions and prior
  samples of all their points packed the same way (recomputed by hand)."""
  cfg = from_mapping(alpha_gan.Config, dict(**TINY, pack=3))
  assert alpha_gan.num_batches(cfg) == 3
  batch = np.tanh(np.random.default_rng(1).normal(size=(3, 16, 2))).astype(np.float32)
  state = alpha_gan.init(jax.random.key(0), cfg, batch[0])
  assert any(leaf.shape == (6, 8) for leaf in jax.tree.leaves(state.discriminator.params))
  new, metrics = jax.jit(alpha_gan.train_step)(state, batch, KEY)
  x = batch.reshape(48, 2)
  z = jax.random.normal(step_keys(KEY, 0, "generator", "discriminator", "code")["discriminator"],
                        (48, 3))
  x_rec = ts.forward(new.generator, ts.forward(new.encoder, x))
  x_gen = ts.forward(new.generator, z)

  def packed(v):  # [48, 2] -> [16, 6]: point i of each of the 3 batches side by side
    return np.concatenate(np.split(np.asarray(v), 3), axis=-1)

  np.testing.assert_array_equal(packed(x)[5], np.concatenate(batch[:, 5]))
  d = lambda v: ts.forward(state.discriminator, v)
  want = (losses.discriminator_real_loss(d(packed(x))).mean()
          + losses.discriminator_fake_loss(d(packed(x_rec))).mean()
          + losses.discriminator_fake_loss(d(packed(x_gen))).mean())
  np.testing.assert_allclose(metrics["discriminator_loss"], want, rtol=1e-5)
  # The encoder and the generator reconstruct all 48 points.
  np.testing.assert_allclose(
      metrics["reconstruction_l1"],
      losses.l1_reconstruction(x, ts.forward(state.generator,
                                             ts.forward(new.encoder, x))).mean(), rtol=1e-5)
  with pytest.raises(ValueError, match=r"alpha_gan with pack=3 takes 3 per step: \[3, B"):
    alpha_gan.train_step(state, batch[:1], KEY)
  with pytest.raises(ConfigError, match="pack"):
    from_mapping(alpha_gan.Config, dict(**TINY, pack=0))


def test_a_packed_step_on_8_devices_is_the_step_on_1():
  """(``pack=1``, the default, is pinned by the recorded reference numbers.)"""
  module, cfg = tiny_config("alpha_gan", pack=2)
  data = tiny_data("mlp", module.num_batches(cfg), batch_size=16)
  s1, m1, s8, m8 = run_on_one_and_eight(module, cfg, data, steps=1)
  assert_one_device_equals_eight(s1, m1[0], s8, m8[0])
