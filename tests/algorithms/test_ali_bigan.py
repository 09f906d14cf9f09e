"""ALI (Dumoulin et al. 2017) and BiGAN (Donahue et al. 2017): the losses by
hand, which network each one updates, BiGAN as ALI with a deterministic
encoder (bit for bit), and the config checks.

The gradients a step used are read off Adam's first moment after one update
from a fresh state: ``mu = (1 - b1) g``. The hand computations apply the
discriminator with the step's dropout key (ALI's dropout is on by default).
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import losses
from gengan_jax.algorithms import ali, bigan
from gengan_jax.core import ConfigError
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys
from tests.algorithms.helpers import tiny_config, tiny_data

KEY = jax.random.key(1)


def _softplus(v):
  return np.logaddexp(0.0, v)


def test_losses_by_hand():
  """L_d: data pairs real, prior pairs fake; L_g: the same with the labels swapped."""
  rho_q = np.array([0.5, -1.0, 2.0], np.float32)
  rho_p = np.array([1.5, 0.0, -3.0], np.float32)
  l_d = np.mean(_softplus(-rho_q)) + np.mean(_softplus(rho_p))
  l_g = np.mean(_softplus(rho_q)) + np.mean(_softplus(-rho_p))
  np.testing.assert_allclose(ali.discriminator_loss(rho_q, rho_p), l_d, rtol=1e-6)
  np.testing.assert_allclose(ali.generator_loss(rho_q, rho_p), l_g, rtol=1e-6)
  sigmoid = 1 / (1 + np.exp(-np.concatenate([rho_q, rho_p])))
  q, p = sigmoid[:3], sigmoid[3:]
  np.testing.assert_allclose(l_g, -np.mean(np.log(1 - q)) - np.mean(np.log(p)), rtol=1e-5)


def test_gaussian_posterior_sample_is_reparameterised():
  _, cfg = tiny_config("ali")
  mean = jnp.array([[0.0, 1.0], [2.0, -1.0]])
  log_scale = jnp.array([[0.0, -1.0], [0.5, 0.0]])
  key = jax.random.key(3)
  z = ali.posterior_sample(cfg, lambda x: (mean, log_scale), None, key)
  eps = jax.random.normal(key, mean.shape)
  np.testing.assert_allclose(z, mean + np.exp(log_scale) * eps, rtol=1e-6)
  _, det = tiny_config("ali", encoder="deterministic")
  np.testing.assert_array_equal(ali.posterior_sample(det, lambda x: mean, None, key), mean)


@pytest.fixture(scope="module")
def run():
  """One jitted ALI step from a fresh state (ALI's discriminator dropout on)."""
  module, cfg = tiny_config("ali")
  data = tiny_data("mlp", 1)
  state = module.init(jax.random.key(0), cfg, data[0])
  new, metrics = jax.jit(module.train_step)(state, data, KEY)
  return dict(data=data, state=state, new=new, metrics=metrics)


def _draws(state, x):
  """The step's prior draw, posterior key and dropout ``rngs``."""
  keys = step_keys(KEY, state.step, "prior", "posterior", "dropout")
  z = gaussian_prior(keys["prior"], x.shape[0], state.config.latent_dim)
  return z, keys["posterior"], {"dropout": keys["dropout"]}


def _first_gradient(state, network: str):
  b1 = getattr(state.config, f"{network}_optimizer").b1
  return jax.tree.map(lambda m: np.asarray(m) / (1.0 - b1),
                      getattr(state, network).opt_state[0].mu)


def _assert_trees_close(got, want):
  scale = max(float(np.abs(w).max()) for w in jax.tree.leaves(want))
  assert scale > 1e-6, "the expected gradient is zero"
  for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
    np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5 * scale)


def test_metrics_are_the_losses_on_the_steps_pairs(run):
  """Reparameterised codes, G's samples, D with the step's dropout masks."""
  state, x = run["state"], jnp.asarray(run["data"][0])
  assert (state.config.discriminator_input_dropout, state.config.discriminator_dropout) == (
      0.2, 0.5)
  z, post_key, rngs = _draws(state, x)
  mean, log_scale = ts.forward(state.encoder, x)
  z_hat = mean + jnp.exp(log_scale) * jax.random.normal(post_key, mean.shape)
  x_tilde = ts.forward(state.generator, z)
  rho_q = np.asarray(ts.forward(state.discriminator, (x, z_hat), rngs=rngs))
  rho_p = np.asarray(ts.forward(state.discriminator, (x_tilde, z), rngs=rngs))
  m = run["metrics"]
  np.testing.assert_allclose(m["discriminator_loss"],
                             np.mean(_softplus(-rho_q)) + np.mean(_softplus(rho_p)), rtol=1e-5)
  np.testing.assert_allclose(m["generator_loss"],
                             np.mean(_softplus(rho_q)) + np.mean(_softplus(-rho_p)), rtol=1e-5)
  np.testing.assert_allclose(m["d_data"], np.mean(1 / (1 + np.exp(-rho_q))), rtol=1e-5)
  x_rec = ts.forward(state.generator, z_hat)
  np.testing.assert_allclose(m["reconstruction_l2"],
                             np.mean(np.sum((x - x_rec) ** 2, -1)), rtol=1e-5)
  # The masks act: without them the loss differs.
  unmasked = ali.discriminator_loss(ts.forward(state.discriminator, (x, z_hat), train=False),
                                    ts.forward(state.discriminator, (x_tilde, z), train=False))
  assert abs(float(m["discriminator_loss"]) - float(unmasked)) > 1e-4


def test_each_network_descends_its_loss_at_the_old_parameters(run):
  """D descends L_d; G and E descend L_g through D before its update (simultaneous)."""
  state, new, x = run["state"], run["new"], jnp.asarray(run["data"][0])
  z, post_key, rngs = _draws(state, x)
  G, E, D = state.generator, state.encoder, state.discriminator

  def z_hat_of(e_params):
    mean, log_scale = E.apply_fn({"params": e_params}, x, train=True)
    return losses.gaussian_sample(post_key, mean, log_scale)

  def l_g(g_params, e_params):
    x_tilde = G.apply_fn({"params": g_params}, z, train=True)
    return ali.generator_loss(ts.forward(D, (x, z_hat_of(e_params)), rngs=rngs),
                              ts.forward(D, (x_tilde, z), rngs=rngs))

  def l_d(d_params):
    d = lambda pair: D.apply_fn({"params": d_params}, pair, train=True, rngs=rngs)  # noqa: E731
    return ali.discriminator_loss(d((x, z_hat_of(E.params))), d((ts.forward(G, z), z)))

  g_grad, e_grad = jax.grad(l_g, argnums=(0, 1))(G.params, E.params)
  _assert_trees_close(_first_gradient(new, "generator"), g_grad)
  _assert_trees_close(_first_gradient(new, "encoder"), e_grad)
  _assert_trees_close(_first_gradient(new, "discriminator"), jax.grad(l_d)(D.params))


def test_encode_is_the_posterior_mean(run):
  new, x = run["new"], jnp.asarray(run["data"][0])
  np.testing.assert_array_equal(ali.encode(new, x), ts.forward(new.encoder, x, train=False)[0])
  np.testing.assert_array_equal(ali.reconstruct(new, x),
                                ts.forward(new.generator, ali.encode(new, x), train=False))


def test_bigan_is_ali_with_a_deterministic_encoder_bit_for_bit():
  assert bigan.train_step is ali.train_step
  assert bigan.init is ali.init and bigan.sample is ali.sample
  assert bigan.num_batches is ali.num_batches
  _, b_cfg = tiny_config("bigan")
  assert b_cfg.encoder == "deterministic"
  a_cfg = ali.Config(**{f.name: getattr(b_cfg, f.name) for f in dataclasses.fields(b_cfg)})
  data = tiny_data("mlp", 1)
  step = jax.jit(ali.train_step)
  states = [ali.init(jax.random.key(0), cfg, data[0]) for cfg in (a_cfg, b_cfg)]
  for a, b in zip(jax.tree.leaves(states[0]), jax.tree.leaves(states[1]), strict=True):
    np.testing.assert_array_equal(a, b)
  assert states[0].encoder.params["mlp"]["out"]["kernel"].shape[-1] == b_cfg.latent_dim
  for _ in range(3):
    (sa, ma), (sb, mb) = (step(s, data, KEY) for s in states)
    for a, b in zip(jax.tree.leaves((sa, ma)), jax.tree.leaves((sb, mb)), strict=True):
      np.testing.assert_array_equal(a, b)
    states = [sa, sb]
  sample = jax.jit(ali.sample, static_argnums=2)
  np.testing.assert_array_equal(sample(states[0], jax.random.key(2), 5),
                                sample(states[1], jax.random.key(2), 5))
  x = jnp.asarray(data[0])
  np.testing.assert_array_equal(bigan.encode(states[1], x),
                                ts.forward(states[1].encoder, x, train=False))


def test_packed_joint_discriminator_judges_m_pairs_at_once():
  """With ``pack=3`` (BiGAN's deterministic encoder) the step takes 3 data
  batches; the encoder codes all 48 points, and D judges 3 data pairs or 3
  prior pairs at once, their points and their codes each concatenated
  feature-wise (recomputed by hand, with the step's dropout masks)."""
  _, cfg = tiny_config("bigan", pack=3)
  assert bigan.num_batches(cfg) == 3
  batch = tiny_data("mlp", 3, batch_size=16)
  state = bigan.init(jax.random.key(0), cfg, batch[0])
  kernel = state.discriminator.params["mlp"]["hidden_0"]["kernel"]
  assert kernel.shape[0] == 3 * 2 + 3 * cfg.latent_dim  # 3 points of 2, 3 codes
  new, metrics = jax.jit(bigan.train_step)(state, batch, KEY)
  x = jnp.asarray(batch.reshape(48, 2))
  z, _, rngs = _draws(state, x)
  assert z.shape == (48, cfg.latent_dim)
  z_hat = ts.forward(state.encoder, x)
  x_tilde = ts.forward(state.generator, z)

  def packed(v):  # [48, d] -> [16, 3 d]: row i of each of the 3 batches side by side
    return jnp.concatenate(jnp.split(v, 3), axis=-1)

  np.testing.assert_array_equal(packed(x)[5], np.concatenate(batch[:, 5]))
  rho_q = np.asarray(ts.forward(state.discriminator, (packed(x), packed(z_hat)), rngs=rngs))
  rho_p = np.asarray(ts.forward(state.discriminator, (packed(x_tilde), packed(z)), rngs=rngs))
  assert rho_q.shape == rho_p.shape == (16,)
  np.testing.assert_allclose(metrics["discriminator_loss"],
                             np.mean(_softplus(-rho_q)) + np.mean(_softplus(rho_p)), rtol=1e-5)
  np.testing.assert_allclose(metrics["generator_loss"],
                             np.mean(_softplus(rho_q)) + np.mean(_softplus(-rho_p)), rtol=1e-5)
  np.testing.assert_allclose(
      metrics["reconstruction_l2"],
      np.mean(np.sum((x - ts.forward(state.generator, z_hat)) ** 2, -1)), rtol=1e-5)
  assert not np.array_equal(new.encoder.params["mlp"]["out"]["kernel"],
                            state.encoder.params["mlp"]["out"]["kernel"])
  with pytest.raises(ValueError, match=r"bigan with pack=3 takes 3 per step: \[3, B"):
    bigan.train_step(state, batch[:1], KEY)
  with pytest.raises(ConfigError, match="pack=0 is invalid"):
    tiny_config("ali", pack=0)


def test_bigan_defaults():
  cfg = bigan.Config()
  assert cfg.encoder == "deterministic"
  assert (cfg.generator_optimizer.learning_rate, cfg.generator_optimizer.b1) == (2e-4, 0.5)
  a = ali.Config()
  assert a.encoder == "gaussian" and a.generator_optimizer.learning_rate == 1e-4
  assert (a.discriminator_input_dropout, a.discriminator_dropout) == (0.2, 0.5)


@pytest.mark.parametrize("field, value, message", [
    ("encoder", "stochastic",
     "encoder='stochastic' is invalid: valid choices are 'gaussian', 'deterministic'"),
    ("discriminator_dropout", 1.0, r"discriminator_dropout=1.0 is invalid: must be in \[0, 1\)"),
    ("discriminator_input_dropout", -0.1, "discriminator_input_dropout=-0.1 is invalid"),
    ("discriminator_hidden", (0, 4), r"discriminator_hidden=\(0, 4\) is invalid"),
])
def test_config_errors_name_the_field(field, value, message):
  for module in (ali, bigan):
    with pytest.raises(ConfigError, match=message):
      module.Config(**{field: value})
