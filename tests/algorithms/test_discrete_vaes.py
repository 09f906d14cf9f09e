"""The discrete-latent VAEs: gumbel_vae's temperature schedule, relaxation and KL
choice, its bound on the discrete model; vq_vae's gradients (straight through
to the encoder, the codebook term to the codebook), its EMA codebook, its
code frequencies and prior, and the dead codes' restarts.

The registry-driven smoke, sharding and learning checks run them too
(test_smoke.py, test_sharding.py, test_learning.py)."""

import dataclasses
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import algorithms, losses
from gengan_jax.algorithms import gumbel_vae, vq_vae
from gengan_jax.core import ConfigError
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import step_keys
from gengan_jax.nets.vq import EMA_COLLECTION
from tests.algorithms.helpers import tiny_config, tiny_data


# --- gumbel_vae -------------------------------------------------------------


def test_temperature_follows_jang_et_al_schedule():
  """tau = max(0.5, exp(-r t)), t rounded down to a multiple of N (r 1e-4, N 1000)."""
  cfg = gumbel_vae.Config()
  assert (cfg.initial_temperature, cfg.min_temperature, cfg.anneal_rate,
          cfg.anneal_every) == (1.0, 0.5, 1e-4, 1000)
  steps = jnp.array([0, 999, 1000, 1999, 5000, 6931, 7000, 100_000])
  expected = [1.0, 1.0, math.exp(-0.1), math.exp(-0.1), math.exp(-0.5), math.exp(-0.6),
              0.5, 0.5]  # exp(-0.7) = 0.497 < 0.5
  np.testing.assert_allclose(np.asarray(gumbel_vae.temperature(cfg, steps)), expected,
                             rtol=1e-6)
  other = gumbel_vae.Config(initial_temperature=2.0, anneal_rate=1e-5, anneal_every=500)
  np.testing.assert_allclose(float(gumbel_vae.temperature(other, 1499)),
                             2.0 * math.exp(-1e-5 * 1000), rtol=1e-6)


def test_relaxation_is_the_library_formula_with_a_traced_temperature():
  logits = jax.random.normal(jax.random.key(0), (3, 4, 5)) * 2
  key = jax.random.key(1)
  y = gumbel_vae.relaxed_sample(key, logits, 0.7)
  np.testing.assert_array_equal(np.asarray(y),
                                np.asarray(losses.gumbel_softmax_sample(key, logits, 0.7)))
  np.testing.assert_array_equal(
      np.asarray(gumbel_vae.straight_through(y)),
      np.asarray(losses.gumbel_softmax_sample(key, logits, 0.7, hard=True)))
  np.testing.assert_allclose(np.asarray(gumbel_vae.relaxed_log_density(y, logits, 0.7)),
                             np.asarray(losses.concrete_log_density(y, logits, 0.7)), rtol=1e-6)
  # The step's temperature is a traced array, which the library functions reject.
  traced = jax.jit(gumbel_vae.relaxed_sample)(key, logits, jnp.float32(0.7))
  np.testing.assert_allclose(np.asarray(traced), np.asarray(y), rtol=1e-6)


def test_categorical_kl_is_the_kl_to_the_uniform_prior():
  logits = jax.random.normal(jax.random.key(0), (2, 3, 4)) * 3
  q = np.asarray(jax.nn.softmax(logits, -1), np.float64)
  expected = np.sum(q * np.log(q * 4), axis=(1, 2))
  np.testing.assert_allclose(np.asarray(gumbel_vae.categorical_kl(logits)), expected, rtol=1e-5)
  np.testing.assert_allclose(np.asarray(gumbel_vae.categorical_kl(jnp.zeros((2, 3, 4)))), 0,
                             atol=1e-6)


def test_relaxed_kl_vanishes_for_the_prior_and_is_positive_on_average():
  y = gumbel_vae.relaxed_sample(jax.random.key(0), jnp.zeros((5, 3, 4)), 0.6)
  np.testing.assert_allclose(np.asarray(gumbel_vae.relaxed_kl(y, jnp.zeros((5, 3, 4)), 0.6, 0.6)),
                             0, atol=1e-4)
  logits = jnp.broadcast_to(jnp.array([3.0, 0.0, -1.0, 0.5]), (4000, 1, 4))
  y = gumbel_vae.relaxed_sample(jax.random.key(1), logits, 0.6)
  kl = gumbel_vae.relaxed_kl(y, logits, 0.6, 0.6)
  assert float(kl.mean()) > 5 * float(kl.std()) / math.sqrt(4000)


@pytest.mark.parametrize("kl", ["categorical", "relaxed"])
def test_kl_choice_is_the_kl_term_of_the_step(kl):
  """The step's ``kl`` metric is the chosen term, recomputed from the step's own keys."""
  module, cfg = tiny_config("gumbel_vae", kl=kl, observation="gaussian", binarization="none")
  data = tiny_data("mlp", 1)
  state = module.init(jax.random.key(0), cfg, data[0])
  _, metrics = module.train_step(state, data, jax.random.key(1))
  logits = ts.forward(state.encoder, data[0], train=False).reshape(8, 4, 10)
  if kl == "categorical":
    expected = gumbel_vae.categorical_kl(logits)
  else:
    y = gumbel_vae.relaxed_sample(step_keys(jax.random.key(1), 0, "binarize", "gumbel")["gumbel"],
                                  logits, 1.0)
    expected = gumbel_vae.relaxed_kl(y, logits, 1.0, 1.0)
  np.testing.assert_allclose(float(metrics["kl"]), float(expected.mean()), rtol=1e-5)
  assert float(metrics["temperature"]) == 1.0


def test_config_names_what_is_invalid():
  with pytest.raises(ConfigError, match="prior_temperature=0.5 is invalid: must be None unless "
                                        "kl='relaxed'"):
    gumbel_vae.Config(prior_temperature=0.5)
  with pytest.raises(ConfigError, match="binarization='none' is invalid: must be 'static' or "
                                        "'dynamic' with observation='bernoulli'"):
    gumbel_vae.Config(binarization="none")
  with pytest.raises(ConfigError, match=r"min_temperature=2.0 is invalid: must be in \(0, "):
    gumbel_vae.Config(min_temperature=2.0)


def _enumerated(state, x):
  """``(log p(x), ELBO)`` by summing over every one-hot code (a tiny latent space)."""
  cfg = state.config
  codes = jnp.array(list(itertools.product(range(cfg.num_classes), repeat=cfg.latent_dim)))
  obs = gumbel_vae.observation(cfg)
  b = x.shape[0]

  def log_px_given(code):
    one_hot = jnp.broadcast_to(jax.nn.one_hot(code, cfg.num_classes),
                               (b, cfg.latent_dim, cfg.num_classes))
    return obs.log_likelihood(x, ts.forward(state.decoder, one_hot.reshape(b, -1), train=False))

  log_px_z = jax.lax.map(log_px_given, codes)  # [C, B]
  log_prior = -cfg.latent_dim * math.log(cfg.num_classes)
  logits = ts.forward(state.encoder, x, train=False).reshape(b, cfg.latent_dim, cfg.num_classes)
  log_q = jax.nn.log_softmax(logits, -1)
  log_q_z = jnp.stack([jnp.sum(log_q[:, jnp.arange(cfg.latent_dim), c], -1) for c in codes])
  elbo = jnp.sum(jnp.exp(log_q_z) * (log_px_z + log_prior - log_q_z), axis=0)
  return jax.nn.logsumexp(log_px_z + log_prior, axis=0), elbo


def test_log_likelihood_bound_reaches_the_enumerated_log_likelihood():
  """On 9 codes (2 variables of 3 classes), after a few steps, against sums
  over every code: :func:`elbo` estimates the ELBO, ``S = 1`` is the ELBO, and
  ``S = 3000`` is within 0.05 nats of ``log p(x)``."""
  module, cfg = tiny_config("gumbel_vae", latent_dim=2, num_classes=3,
                            observation="gaussian", binarization="none")
  data = tiny_data("mlp", 1)
  state = module.init(jax.random.key(0), cfg, data[0])
  step = jax.jit(module.train_step)
  for _ in range(20):
    state, _ = step(state, data, jax.random.key(1))
  x = jnp.asarray(data[0])
  exact, exact_elbo = (np.asarray(a) for a in _enumerated(state, x))
  assert (exact_elbo <= exact + 1e-5).all()
  draws = 200
  elbo = jax.jit(gumbel_vae.elbo)
  one = jax.jit(lambda s, x, k: module.log_likelihood(s, x, k, num_samples=1))
  est = np.mean([np.asarray(elbo(state, x, jax.random.key(i))) for i in range(draws)], axis=0)
  est1 = np.mean([np.asarray(one(state, x, jax.random.key(i))) for i in range(draws)], axis=0)
  np.testing.assert_allclose(est, exact_elbo, atol=0.1)
  np.testing.assert_allclose(est1, exact_elbo, atol=0.1)
  bound = np.asarray(module.log_likelihood(state, x, jax.random.key(2), num_samples=3000))
  np.testing.assert_allclose(bound, exact, atol=0.05)


# --- vq_vae -----------------------------------------------------------------


def _vq_state(**overrides):
  module, cfg = tiny_config("vq_vae", embedding_dim=3, num_codes=5, **overrides)
  data = tiny_data("mlp", 1)
  return module, module.init(jax.random.key(0), cfg, data[0]), data


def _vq_grads(state, x, cfg):
  def loss(enc_params, dec_params):
    nets_ = {"encoder": ts.Net(state.encoder, enc_params),
             "decoder": ts.Net(state.decoder, dec_params)}
    return vq_vae.loss_terms(nets_, x, cfg)[0]
  return jax.grad(loss, argnums=(0, 1))(state.encoder.params, state.decoder.params)


def _norm(tree):
  return float(sum(jnp.sum(jnp.square(a)) for a in jax.tree.leaves(tree)))


def test_vq_gradients_reach_the_encoder_straight_through_and_the_codebook():
  """With beta = 0 the encoder's only gradient is the decoder's, passed straight
  through the quantisation; the codebook's is the codebook term's alone,
  ``2 / B sum_{i: k_i = j} (e_j - z_e_i)``."""
  _, state, data = _vq_state(beta=0.0)
  cfg, x = state.config, jnp.asarray(data[0])
  g_enc, g_dec = _vq_grads(state, x, cfg)
  assert _norm(g_enc["base"]) > 0 and _norm(g_dec) > 0
  out = ts.forward(state.encoder, x, train=False)
  q = losses.vector_quantize(out.z_e, out.codebook)
  e = np.asarray(out.codebook)
  expected = np.zeros_like(e)
  for z, k in zip(np.asarray(out.z_e).reshape(-1, 3), np.asarray(q.codes).reshape(-1)):
    expected[k] += 2.0 * (e[k] - z) / x.shape[0]
  np.testing.assert_allclose(np.asarray(g_enc["codebook"]["embedding"]), expected,
                             rtol=1e-4, atol=1e-6)
  # Without the straight-through estimator no gradient would reach the encoder's base:
  _, state_b, _ = _vq_state(beta=0.0)
  def no_straight_through(enc_params):
    enc = ts.Net(state_b.encoder, enc_params)(x)
    q_ = losses.vector_quantize(enc.z_e, enc.codebook)
    params = ts.forward(state_b.decoder, q_.codebook_vectors.reshape(8, -1), train=False)
    return -jnp.mean(vq_vae.observation(cfg).log_likelihood(x, params))
  assert _norm(jax.grad(no_straight_through)(state_b.encoder.params)["base"]) == 0


def test_vq_commitment_term_trains_the_encoder_only():
  _, state, data = _vq_state(beta=0.25)
  g0, _ = _vq_grads(state, jnp.asarray(data[0]), dataclasses.replace(state.config, beta=0.0))
  g1, _ = _vq_grads(state, jnp.asarray(data[0]), state.config)
  np.testing.assert_allclose(np.asarray(g1["codebook"]["embedding"]),
                             np.asarray(g0["codebook"]["embedding"]), rtol=1e-6)
  assert _norm(jax.tree.map(lambda a, b: a - b, g1["base"], g0["base"])) > 0


def test_ema_moves_the_codebook_without_a_gradient_step():
  module, state, data = _vq_state(ema=True)
  assert "codebook" not in state.encoder.params
  new, metrics = jax.jit(module.train_step)(state, data, jax.random.key(1))
  before = state.encoder.collections[EMA_COLLECTION]["codebook"]
  after = new.encoder.collections[EMA_COLLECTION]["codebook"]
  assert not np.allclose(np.asarray(before["embedding"]), np.asarray(after["embedding"]))
  # The new codebook is App. A.1's update on this step's encoder outputs and codes.
  out = ts.forward(state.encoder, jnp.asarray(data[0]))
  codes = losses.vector_quantize(out.z_e, out.codebook).codes
  expected = losses.ema_codebook_update(before["cluster_size"], before["embed_sum"], out.z_e,
                                        codes, decay=0.99)
  for got, want in zip((after["cluster_size"], after["embed_sum"], after["embedding"]), expected):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-7)
  np.testing.assert_array_equal(np.asarray(vq_vae.codebook(new)), np.asarray(after["embedding"]))
  # No codebook term in the loss: it is the reconstruction and beta * commitment.
  np.testing.assert_allclose(float(metrics["loss"]), float(
      metrics["reconstruction"] + 0.25 * metrics["commitment_loss"]), rtol=1e-5)


def test_perplexity_counts_the_codes_in_use():
  assert float(vq_vae.perplexity(jnp.arange(8) % 4, 6)) == pytest.approx(4.0)
  assert float(vq_vae.perplexity(jnp.zeros((3, 5), jnp.int32), 6)) == pytest.approx(1.0)


def test_vq_sample_and_reconstruct_decode_codebook_vectors():
  module, state, data = _vq_state()
  x = jnp.asarray(data[0])
  codes = module.encode(state, x)
  assert codes.shape == (8, 4) and codes.dtype == jnp.int32
  np.testing.assert_array_equal(np.asarray(module.reconstruct(state, x)),
                                np.asarray(vq_vae.decode(state, codes)))
  drawn = jax.random.randint(jax.random.key(3), (6, 4), 0, 5)
  np.testing.assert_array_equal(np.asarray(module.sample(state, jax.random.key(3), 6)),
                                np.asarray(vq_vae.decode(state, drawn)))


def test_code_frequencies_are_the_moving_average_of_the_step_codes():
  module, state, data = _vq_state(prior_decay=0.9)
  np.testing.assert_array_equal(np.asarray(state.code_frequencies),
                                np.full((4, 5), 0.2, np.float32))
  new, _ = jax.jit(module.train_step)(state, data, jax.random.key(1))
  codes = np.asarray(module.encode(state, jnp.asarray(data[0])))  # the step's codes
  share = np.stack([np.bincount(codes[:, m], minlength=5) / codes.shape[0] for m in range(4)])
  np.testing.assert_allclose(np.asarray(new.code_frequencies), 0.9 * 0.2 + 0.1 * share,
                             rtol=1e-6)
  np.testing.assert_allclose(np.asarray(new.code_frequencies).sum(-1), 1.0, rtol=1e-6)


def test_marginal_prior_draws_each_position_from_its_frequencies():
  module, state, _ = _vq_state(prior="marginal")
  # Position m uses only code m (and position 3 codes 3 and 4, equally often).
  pi = np.zeros((4, 5), np.float32)
  pi[[0, 1, 2], [0, 1, 2]] = 1.0
  pi[3, 3:] = 0.5
  state = state.replace(code_frequencies=jnp.asarray(pi))
  codes = np.asarray(vq_vae.sample_codes(state, jax.random.key(4), 4000))
  assert codes.shape == (4000, 4) and codes.dtype == np.int32
  np.testing.assert_array_equal(codes[:, :3], np.broadcast_to([0, 1, 2], (4000, 3)))
  assert set(np.unique(codes[:, 3])) == {3, 4}
  assert abs(np.mean(codes[:, 3] == 4) - 0.5) < 0.03  # 4 sd of a fair coin over 4,000 draws
  np.testing.assert_array_equal(np.asarray(module.sample(state, jax.random.key(4), 6)),
                                np.asarray(vq_vae.decode(state, jnp.asarray(codes[:6]))))


def test_prior_settings_are_checked():
  with pytest.raises(ConfigError, match="prior='pixelcnn' is invalid: valid choices are "
                                        "'uniform', 'marginal'"):
    vq_vae.Config(prior="pixelcnn")
  with pytest.raises(ConfigError, match=r"prior_decay=1.0 is invalid: must be in \[0, 1\)"):
    vq_vae.Config(prior_decay=1.0)


@pytest.mark.parametrize("ema", [False, True], ids=["learned", "ema"])
def test_revive_restarts_the_dead_codes_at_encoder_outputs(ema):
  module, state, data = _vq_state(ema=ema, revive_threshold=1.0)
  # Codes 0-3 in use (8 * 4 * 0.25 = 8 points a batch), code 4 dead (none).
  pi = np.zeros((4, 5), np.float32)
  pi[:, :4] = 0.25
  state = state.replace(code_frequencies=jnp.asarray(pi))
  new, metrics = jax.jit(module.train_step)(state, data, jax.random.key(1))
  kept, kept_metrics = jax.jit(module.train_step)(
      state.replace(config=dataclasses.replace(state.config, revive_threshold=0.0)), data,
      jax.random.key(1))
  assert "revived_codes" not in kept_metrics
  assert float(metrics["revived_codes"]) == 1.0
  codebook, without = np.asarray(vq_vae.codebook(new)), np.asarray(vq_vae.codebook(kept))
  np.testing.assert_allclose(codebook[:4], without[:4], rtol=1e-6)  # the live codes: as if off
  # The dead code is now one of the step's encoder outputs.
  z_e = np.asarray(ts.forward(state.encoder, jnp.asarray(data[0])).z_e).reshape(-1, 3)
  assert np.min(np.linalg.norm(z_e - codebook[4], axis=-1)) < 1e-5
  assert np.min(np.linalg.norm(z_e - without[4], axis=-1)) > 1e-3
  # It restarts at the threshold's use: 1 point a batch of 8 x 4 vectors, then
  # every position's frequencies renormalised.
  restarted = np.asarray(kept.code_frequencies).copy()
  restarted[:, 4] = 1.0 / (8 * 4)
  np.testing.assert_allclose(np.asarray(new.code_frequencies),
                             restarted / restarted.sum(-1, keepdims=True), rtol=1e-6)
  if ema:  # its moving averages restart from the new vector
    stats = new.encoder.collections[EMA_COLLECTION]["codebook"]
    assert float(stats["cluster_size"][4]) == 1.0
    np.testing.assert_array_equal(np.asarray(stats["embed_sum"][4]), codebook[4])
    np.testing.assert_allclose(np.asarray(stats["cluster_size"][:4]),
                               np.asarray(kept.encoder.collections[EMA_COLLECTION]["codebook"][
                                   "cluster_size"][:4]), rtol=1e-6)


def test_revive_threshold_is_checked():
  with pytest.raises(ConfigError, match=r"revive_threshold=-1.0 is invalid: must be >= 0"):
    vq_vae.Config(revive_threshold=-1.0)


def test_registered():
  assert algorithms.get("gumbel_vae").module is gumbel_vae
  assert algorithms.get("vq_vae").module is vq_vae
