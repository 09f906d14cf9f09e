"""InfoGAN: the information term's wiring, its lambda = 0 limit, and Q's codes."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import losses
from gengan_jax.algorithms import infogan
from gengan_jax.core import ConfigError
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import step_keys
from tests.algorithms.helpers import leaves_equal, tiny_config, tiny_data


def _setup(arch="mlp", **overrides):
  module, cfg = tiny_config("infogan", arch, **overrides)
  data = jnp.asarray(tiny_data(arch, 1))
  return cfg, data, module.init(jax.random.key(0), cfg, data[0])


def _plain_gan_step(state, batch, key):
  """The non-saturating GAN step on inputs [z, c], written out with D's logit only."""
  cfg = state.config
  x, n = batch[0], batch.shape[1]
  keys = step_keys(key, state.step, "discriminator", "generator")
  latent = infogan.generator_input(infogan.draw_codes(keys["discriminator"], n, cfg), cfg)
  x_fake = jax.lax.stop_gradient(ts.forward(state.generator, latent))

  def d_loss(d):
    return (losses.discriminator_real_loss(d(x)[0]).mean()
            + losses.discriminator_fake_loss(d(x_fake)[0]).mean()), None

  D, _, _ = ts.minimize(state.discriminator, d_loss)
  latent = infogan.generator_input(infogan.draw_codes(keys["generator"], n, cfg), cfg)
  G, _, _ = ts.minimize(state.generator, lambda g: (
      losses.generator_non_saturating_loss(ts.forward(D, g(latent))[0]).mean(), None))
  return G, D


def test_lambda_zero_is_the_plain_non_saturating_step_on_z_and_c():
  _, data, state = _setup(lambda_categorical=0.0, lambda_continuous=0.0)
  key = jax.random.key(3)
  new, _ = jax.jit(infogan.train_step)(state, data, key)
  G, D = jax.jit(_plain_gan_step)(state, data, key)
  leaves_equal((new.generator.params, new.discriminator.params, new.discriminator.collections),
               (G.params, D.params, D.collections), rtol=1e-5, atol=1e-7)
  # With no information term Q's own layers get no gradient: Adam leaves them where they were.
  leaves_equal(new.discriminator.params["q_out"], state.discriminator.params["q_out"])


@pytest.mark.parametrize("learn_std", [False, True])
def test_gradient_of_the_bound_reaches_g_and_q_but_not_d_head(learn_std):
  cfg, _, state = _setup(learn_std=learn_std)
  codes = infogan.draw_codes(jax.random.key(1), 8, cfg)
  latent = infogan.generator_input(codes, cfg)

  def bound(g_params, d_params):
    x = state.generator.apply_fn({"params": g_params}, latent, train=True)
    _, q = state.discriminator.apply_fn({"params": d_params}, x, train=True)
    mi_cat, mi_cont = infogan.information(q, codes, cfg)
    return mi_cat + mi_cont

  g_grad, d_grad = jax.grad(bound, argnums=(0, 1))(state.generator.params,
                                                   state.discriminator.params)
  assert all(np.abs(g).max() > 0 for g in jax.tree.leaves(g_grad)), "a G layer gets no gradient"
  assert np.abs(d_grad["q_out"]["kernel"]).max() > 0
  assert np.abs(d_grad["trunk_0"]["kernel"]).max() > 0  # the shared trunk learns from Q too
  assert np.abs(d_grad["d_out"]["kernel"]).max() == 0


def test_information_splits_q_and_matches_the_loss_functions():
  cfg = infogan.Config(arch="mlp", latent_dim=3, categorical_codes=(3, 2), continuous_codes=2,
                       learn_std=True)
  assert cfg.code_dim == 7 and cfg.q_dim == 3 + 2 + 2 + 2
  q = jnp.arange(4 * 9, dtype=jnp.float32).reshape(4, 9) / 10.0
  codes = infogan.Codes(jnp.zeros((4, 3)), jnp.array([[0, 1], [2, 0], [1, 1], [0, 0]]),
                        jnp.full((4, 2), 0.5))
  mi_cat, mi_cont = infogan.information(q, codes, cfg)
  expected_cat = (losses.categorical_log_q(q[:, :3], codes.categorical[:, 0]).mean() + np.log(3)
                  + losses.categorical_log_q(q[:, 3:5], codes.categorical[:, 1]).mean() + np.log(2))
  expected_cont = (losses.gaussian_log_q(q[:, 5:7], codes.continuous, log_std=q[:, 7:9]).mean()
                   + 2 * np.log(2))
  np.testing.assert_allclose([mi_cat, mi_cont], [expected_cat, expected_cont], rtol=1e-6)
  latent = infogan.generator_input(codes, cfg)
  np.testing.assert_array_equal(latent[1], [0, 0, 0, 0, 0, 1, 1, 0, 0.5, 0.5])


def test_the_bound_makes_the_categorical_code_recoverable():
  """G learns to write a 4-way code into its 2-D samples and Q to read it back
  (from chance, 1/4, at the start); lambda = 0 leaves Q untrained (see above)."""
  cfg, _, state = _setup(categorical_codes=(4,), continuous_codes=0)
  steps = 300
  data = jnp.asarray(np.random.default_rng(0).normal(size=(steps, 1, 64, 2)), jnp.float32)

  def q_reads_fresh_samples(st):
    codes = infogan.draw_codes(jax.random.key(9), 400, cfg)
    predicted, _ = infogan.predict_codes(st, infogan.generate(st, codes))
    return float(jnp.mean(predicted == codes.categorical))

  def body(st, batch):
    st, metrics = infogan.train_step(st, batch, jax.random.key(1))
    return st, metrics["q_accuracy"]

  before = q_reads_fresh_samples(state)
  state, accuracy = jax.jit(lambda s: jax.lax.scan(body, s, data))(state)
  after = q_reads_fresh_samples(state)
  assert before < 0.5, before
  assert float(accuracy[-20:].mean()) > 0.95 and after > 0.95, (accuracy[-20:], after)


def test_sample_is_generate_on_drawn_codes_and_predict_codes_shapes():
  cfg, data, state = _setup()
  key = jax.random.key(4)
  np.testing.assert_array_equal(infogan.sample(state, key, 5),
                                infogan.generate(state, infogan.draw_codes(key, 5, cfg)))
  categories, means = infogan.predict_codes(state, data[0])
  assert categories.shape == (8, 1) and categories.dtype == jnp.int32
  assert means.shape == (8, 2)
  assert int(categories.min()) >= 0 and int(categories.max()) < 10


def test_codes_are_drawn_from_their_priors():
  cfg = infogan.Config(arch="mlp", latent_dim=3, categorical_codes=(10,), continuous_codes=2)
  codes = infogan.draw_codes(jax.random.key(0), 20000, cfg)
  counts = np.bincount(np.asarray(codes.categorical[:, 0]), minlength=10)
  assert counts.min() > 1800 and counts.max() < 2200
  for part in (codes.noise, codes.continuous):
    assert float(part.min()) >= -1.0 and float(part.max()) <= 1.0
    np.testing.assert_allclose(np.asarray(part).var(0), 1 / 3, atol=0.02)  # Uniform(-1, 1)
  gaussian = infogan.draw_codes(jax.random.key(0), 20000,
                                dataclasses.replace(cfg, noise="gaussian"))
  np.testing.assert_allclose(np.asarray(gaussian.noise).var(0), 1.0, atol=0.05)


def test_bad_configs_name_the_setting():
  with pytest.raises(ConfigError, match="categorical_codes=\\(1,\\)"):
    infogan.Config(categorical_codes=(1,))
  with pytest.raises(ConfigError, match="categorical_codes=\\(\\)"):
    infogan.Config(categorical_codes=(), continuous_codes=0)
  with pytest.raises(ConfigError, match="lambda_continuous=-1"):
    infogan.Config(lambda_continuous=-1.0)
  with pytest.raises(ConfigError, match="noise='normal'"):
    infogan.Config(noise="normal")
