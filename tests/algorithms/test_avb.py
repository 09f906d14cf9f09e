"""AVB (Mescheder et al. 2017): the objective against the VAE's ELBO, the adversary's
optimum against the closed-form log density ratio, the simultaneous updates, the
networks and the config errors."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gengan_jax import losses, nets
from gengan_jax.algorithms import avb, vae
from gengan_jax.core import ConfigError
from gengan_jax.core import train_state as ts
from tests.algorithms.helpers import tiny_config, tiny_data

B, D, K = 8, 3, 2
RNG = np.random.default_rng(0)
A_MEAN, A_SCALE = RNG.normal(size=(D, K)) * 0.5, RNG.normal(size=(D, K)) * 0.2
W_DEC = RNG.normal(size=(K, 2 * D)) * 0.5


def _gaussian_q(x):
  """A hand-made Gaussian posterior ``q(z | x) = N(x A, exp(x A')^2)``."""
  return x @ A_MEAN + 0.1, x @ A_SCALE - 0.3


def _reparameterised(pair):
  x, eps = pair
  mean, log_scale = _gaussian_q(x)
  return mean + jnp.exp(log_scale) * eps


def _exact_log_ratio(pair):
  """``T*(x, z) = log q(z | x) - log p(z)`` (eq. 3.4) for :func:`_gaussian_q`."""
  x, z = pair
  mean, log_scale = _gaussian_q(x)
  return (losses.gaussian_log_likelihood(z, mean, log_scale)
          - losses.gaussian_log_likelihood(z, jnp.zeros_like(z), 0.0))


def _decoder(z):
  mean, log_scale = jnp.split(z @ W_DEC, 2, axis=-1)
  return mean, log_scale


def test_with_the_exact_log_ratio_the_objective_is_the_vaes_elbo():
  """With ``T = log q(z | x) - log p(z)`` and the same draws, eq. 3.7's
  ``log p(x | z) - T`` is the VAE's one-draw ELBO ``log p(x|z) + log p(z) -
  log q(z|x)`` (:func:`vae.importance_log_weights` with ``k = 1``); its
  ``log p(x | z)`` is the closed-form-KL ELBO's reconstruction term; and
  ``E_q[T]`` is that ELBO's closed-form KL (averaged over 20,000 draws, within
  4 standard errors), so the two objectives agree in expectation."""
  x = jnp.asarray(RNG.normal(size=(B, D)), jnp.float32)
  key = jax.random.key(7)
  log_px = losses.observation_model("gaussian").log_likelihood
  eps = jax.random.normal(key, (B, K))
  rec, t = avb.avb_terms(_reparameterised, _decoder, _exact_log_ratio, log_px, x, eps)
  one_draw = vae.importance_log_weights(_gaussian_q, _decoder, log_px, x, key, 1)[0]
  np.testing.assert_allclose(rec - t, one_draw, rtol=1e-6, atol=1e-5)
  vae_rec, vae_kl = vae.elbo_terms(_gaussian_q, _decoder, log_px, x, key)
  np.testing.assert_array_equal(rec, vae_rec)
  many = jax.random.normal(jax.random.key(8), (20000, B, K))
  t_many = jax.jit(jax.vmap(lambda e: _exact_log_ratio((x, _reparameterised((x, e))))))(many)
  se = t_many.std(0) / np.sqrt(many.shape[0])
  assert np.all(np.abs(t_many.mean(0) - vae_kl) < 4 * se), (t_many.mean(0), vae_kl)
  assert np.all(vae_kl > 0.1)  # A KL the check can see.


def test_the_adversary_learns_the_log_density_ratio():
  """A small ``T`` fitted with eq. 3.3's logistic loss on ``(x, z ~ q(z|x))``
  against ``(x, z ~ p(z))``, ``x ~ N(0, 1)``, ``q = N(0.8 x, 0.5^2)``,
  ``p = N(0, 1)`` (fresh pairs each of 600 steps), approaches the closed form
  ``log q(z|x) - log p(z)`` (Proposition 1) on held-out pairs of both kinds
  where the ratio is within [-4, 4] (mean error ~0.1 nats; the untrained
  network's is > 1), and ``E_q[T]`` estimates the KL."""
  n = 256

  def pairs(key):
    kx, kq, kp = jax.random.split(key, 3)
    x = jax.random.normal(kx, (n, 1))
    return x, 0.8 * x + 0.5 * jax.random.normal(kq, (n, 1)), jax.random.normal(kp, (n, 1))

  def exact(x, z):
    return (losses.gaussian_log_likelihood(z, 0.8 * x, np.log(0.5))
            - losses.gaussian_log_likelihood(z, jnp.zeros_like(z), 0.0))

  net = nets.JointDiscriminator(hidden=(32, 32))
  x, z_q, _ = pairs(jax.random.key(0))
  params = net.init(jax.random.key(1), (x, z_q), train=False)["params"]
  tx = optax.adam(3e-3)

  def loss(p, x, z_q, z_p):
    t = lambda z: net.apply({"params": p}, (x, z), train=False)  # noqa: E731
    return avb.adversary_loss(t(z_q), t(z_p)).mean()

  def step(carry, i):
    p, opt = carry
    g = jax.grad(loss)(p, *pairs(jax.random.fold_in(jax.random.key(9), i)))
    updates, opt = tx.update(g, opt, p)
    return (optax.apply_updates(p, updates), opt), None

  fit = jax.jit(lambda p: jax.lax.scan(step, (p, tx.init(p)), jnp.arange(600))[0][0])
  fitted = fit(params)
  x, z_q, z_p = pairs(jax.random.key(2))
  xs, zs = jnp.concatenate([x, x]), jnp.concatenate([z_q, z_p])
  target = np.asarray(exact(xs, zs))
  inside = np.abs(target) < 4.0

  def error(p):
    t = np.asarray(net.apply({"params": p}, (xs, zs), train=False))
    return float(np.mean(np.abs(t - target)[inside]))

  assert error(fitted) < 0.2, error(fitted)
  assert error(params) > 1.0, error(params)
  kl_estimate = float(net.apply({"params": fitted}, (x, z_q), train=False).mean())
  kl = float(np.mean(np.log(2.0) + (0.25 + 0.64 * np.asarray(x) ** 2) / 2 - 0.5))
  assert abs(kl_estimate - kl) < 0.1, (kl_estimate, kl)


def test_one_step_updates_each_network_on_its_objective_at_the_start_parameters():
  """Algorithm 1's simultaneous updates: T's step is the logistic loss with
  codes from the encoder the step started with; the encoder and decoder's
  joint step is ``-mean(log p(x|z) - T(x, z))`` with the T it started with;
  the metrics are those terms."""
  module, cfg = tiny_config("avb")
  data = jnp.asarray(tiny_data("mlp", 1))
  state = jax.jit(module.init, static_argnums=1)(jax.random.key(0), cfg, data[0])
  new, metrics = jax.jit(module.train_step)(state, data, jax.random.key(1))

  # The step's draws, as train_step makes them (step_keys: binarize, noise, prior).
  _, noise_key, prior_key = jax.random.split(jax.random.fold_in(jax.random.key(1), 0), 3)
  x = data[0]
  eps = jax.random.normal(noise_key, (x.shape[0], cfg.noise_dim))
  z_prior = jax.random.normal(prior_key, (x.shape[0], cfg.latent_dim))
  log_px = vae.observation(cfg).log_likelihood

  @jax.jit
  def by_hand(state):
    z_q = ts.forward(state.encoder, (x, eps))
    adversary, t_loss_value, _ = ts.minimize(
        state.adversary,
        lambda t: (avb.adversary_loss(t((x, z_q)), t((x, z_prior))).mean(), None))

    def primal(nets_):
      rec, t = avb.avb_terms(nets_["encoder"], nets_["decoder"],
                             lambda p: ts.forward(state.adversary, p), log_px, x, eps)
      return -jnp.mean(rec - t), (rec, t)

    updated, loss, terms = ts.minimize_jointly(
        {"encoder": state.encoder, "decoder": state.decoder}, primal)
    return dict(updated, adversary=adversary), t_loss_value, loss, terms

  expected, t_loss_value, loss, (rec, t) = by_hand(state)
  for name, want in expected.items():
    for a, b in zip(jax.tree.leaves(getattr(new, name).params), jax.tree.leaves(want.params)):
      np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7, err_msg=name)
  np.testing.assert_allclose(metrics["adversary_loss"], t_loss_value, rtol=1e-5)
  np.testing.assert_allclose(metrics["loss"], loss, rtol=1e-5)
  np.testing.assert_allclose(metrics["kl_estimate"], t.mean(), rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(metrics["elbo_estimate"], (rec - t).mean(), rtol=1e-5)
  # encode is the code at eps = 0, deterministic.
  z0 = ts.forward(new.encoder, (x, jnp.zeros_like(eps)), train=False)
  np.testing.assert_array_equal(module.encode(new, x), z0)


def test_repeated_adversary_updates_each_take_their_own_batch_and_draws():
  """``adversary_updates=2`` (the authors' toy notebook): T steps twice in a
  row, each on its own data batch with its own eps and prior draws (the
  step's keys split in two) and the codes of the encoder the step started
  with; the encoder and decoder step once, on the first batch and its eps,
  against the T the step started with."""
  module, cfg = tiny_config("avb", adversary_updates=2)
  data = jnp.asarray(tiny_data("mlp", 2))
  assert module.num_batches(cfg) == 2 and not np.array_equal(data[0], data[1])
  state = jax.jit(module.init, static_argnums=1)(jax.random.key(0), cfg, data[0])
  new, metrics = jax.jit(module.train_step)(state, data, jax.random.key(1))

  _, noise_key, prior_key = jax.random.split(jax.random.fold_in(jax.random.key(1), 0), 3)
  n = data.shape[1]
  eps = [jax.random.normal(k, (n, cfg.noise_dim)) for k in jax.random.split(noise_key, 2)]
  z_prior = [jax.random.normal(k, (n, cfg.latent_dim)) for k in jax.random.split(prior_key, 2)]
  log_px = vae.observation(cfg).log_likelihood

  @jax.jit
  def by_hand(state):
    adversary = state.adversary
    for i in range(2):
      z_q = ts.forward(state.encoder, (data[i], eps[i]))
      adversary, t_loss_value, _ = ts.minimize(
          adversary, lambda t, i=i, z_q=z_q: (
              avb.adversary_loss(t((data[i], z_q)), t((data[i], z_prior[i]))).mean(), None))

    def primal(nets_):
      rec, t = avb.avb_terms(nets_["encoder"], nets_["decoder"],
                             lambda p: ts.forward(state.adversary, p), log_px, data[0], eps[0])
      return -jnp.mean(rec - t), None

    updated, loss, _ = ts.minimize_jointly(
        {"encoder": state.encoder, "decoder": state.decoder}, primal)
    return dict(updated, adversary=adversary), t_loss_value, loss

  expected, t_loss_value, loss = by_hand(state)
  for name, want in expected.items():
    for a, b in zip(jax.tree.leaves(getattr(new, name).params), jax.tree.leaves(want.params)):
      np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7, err_msg=name)
  np.testing.assert_allclose(metrics["adversary_loss"], t_loss_value, rtol=1e-5)
  np.testing.assert_allclose(metrics["loss"], loss, rtol=1e-5)
  with pytest.raises(ValueError, match=r"avb with adversary_updates=2 takes 2 per step"):
    module.train_step(state, data[:1], jax.random.key(1))


def test_the_implicit_encoder_takes_the_noise_at_every_layer():
  """``z = E(x, eps)``: the noise is concatenated to the input of each layer
  (its kernels have ``width + noise_dim`` rows), and different noise gives
  different codes for the same ``x``."""
  enc = nets.make_implicit_encoder("mlp", data_shape=(3,), latent_dim=2, hidden=(5, 6))
  x, eps = jnp.ones((4, 3)), jax.random.normal(jax.random.key(0), (4, 7))
  params = enc.init(jax.random.key(1), (x, eps), train=False)["params"]
  assert params["hidden_0"]["kernel"].shape == (3 + 7, 5)
  assert params["hidden_1"]["kernel"].shape == (5 + 7, 6)
  assert params["out"]["kernel"].shape == (6 + 7, 2)
  z = enc.apply({"params": params}, (x, eps), train=False)
  assert z.shape == (4, 2) and float(jnp.abs(z[0] - z[1]).max()) > 1e-3
  with pytest.raises(ValueError, match="ImplicitEncoder expects x"):
    enc.apply({"params": params}, (x, eps[:2]), train=False)


@pytest.mark.parametrize("fields, match", [
    (dict(noise_dim=0), "noise_dim=0"),
    (dict(adversary_updates=0), "adversary_updates=0"),
    (dict(adversary_hidden=()), "adversary_hidden=()"),
    (dict(binarization="static"), "binarization='static' is invalid"),
    (dict(observation="poisson"), "observation='poisson' is invalid"),
])
def test_bad_settings_are_one_line_naming_the_field(fields, match):
  with pytest.raises(ConfigError, match=match):
    avb.Config(**fields)


def test_posterior_mean_averages_the_implicit_encoders_draws():
  """``posterior_mean`` is the mean of E(x, eps) over its draws of eps (the
  same draws by hand), not ``encode``'s E(x, 0); bad draw counts are refused."""
  module, cfg = tiny_config("avb")
  x = jnp.asarray(tiny_data("mlp", 1)[0])
  state = jax.jit(module.init, static_argnums=1)(jax.random.key(0), cfg, x)
  mean = avb.posterior_mean(state, x, jax.random.key(5), num_draws=3)
  eps = jax.random.normal(jax.random.key(5), (3, x.shape[0], cfg.noise_dim))
  by_hand = np.mean([ts.forward(state.encoder, (x, e), train=False) for e in eps], axis=0)
  np.testing.assert_allclose(mean, by_hand, rtol=1e-5, atol=1e-6)
  assert mean.shape == (x.shape[0], cfg.latent_dim)
  assert not np.allclose(mean, avb.encode(state, x), atol=1e-3)
  with pytest.raises(ValueError, match="num_draws"):
    avb.posterior_mean(state, x, jax.random.key(5), num_draws=0)
