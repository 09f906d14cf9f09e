"""The flow-prior VAE: its prior starts as N(0, I), so it starts as the VAE;
its bounds and entropy against closed forms; the prior is what learns the codes."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from gengan_jax import algorithms, metrics
from gengan_jax.algorithms import flow_prior_vae, vae
from gengan_jax.core import ConfigError
from gengan_jax.core import train_state as ts
from tests.algorithms.helpers import tiny_data

FIELDS = dict(arch="mlp", latent_dim=2, hidden=(16, 16), prior_couplings=2, prior_hidden=(8,))


def _state(**fields):
  cfg = algorithms.from_mapping(flow_prior_vae.Config, dict(FIELDS, **fields))
  data = tiny_data("mlp", 1)
  return flow_prior_vae.init(jax.random.key(0), cfg, data[0]), data


def _as_vae(state):
  """The VAE with the flow-prior VAE's encoder and decoder."""
  cfg = vae.Config(**{f.name: getattr(state.config, f.name)
                      for f in dataclasses.fields(vae.BaseConfig)})
  return vae.State(step=state.step, encoder=state.encoder, decoder=state.decoder, config=cfg)


def test_gaussian_entropy_is_the_closed_form():
  log_scale = jnp.array([[0.3, -1.2], [0.0, 0.5]])
  expected = [stats.multivariate_normal(np.zeros(2), np.diag(np.exp(2 * np.asarray(r)))).entropy()
              for r in log_scale]
  np.testing.assert_allclose(flow_prior_vae.gaussian_entropy(log_scale), expected, rtol=1e-5)


def test_at_init_the_prior_is_the_standard_normal():
  """Every coupling starts at zero: ``f`` is the identity, so the flow's codes
  are the VAE's and its bound is the VAE's with the same draws."""
  state, data = _state()
  u = jax.random.normal(jax.random.key(1), (5, 2))
  np.testing.assert_array_equal(
      ts.forward(state.prior, u, train=False, method="inverse"), u)
  x = jnp.asarray(data[0])
  key = jax.random.key(2)
  np.testing.assert_allclose(flow_prior_vae.log_likelihood(state, x, key, num_samples=20),
                             vae.log_likelihood(_as_vae(state), x, key, num_samples=20),
                             rtol=1e-6, atol=1e-6)


def test_its_kl_estimate_is_unbiased_for_the_vae_kl_at_init():
  """With the N(0, I) prior of init, the one-draw ``-H[q] - log p(z)`` averages
  to the VAE's closed-form KL (and the reconstruction term is the VAE's,
  draw for draw: the same step keys)."""
  state, data = _state()
  kls, recs = [], []
  for i in range(200):
    _, m = jax.jit(flow_prior_vae.train_step)(state, data, jax.random.key(i))
    kls.append(float(m["kl"]))
    recs.append(float(m["reconstruction_log_likelihood"]))
  _, m_vae = jax.jit(vae.train_step)(_as_vae(state), data, jax.random.key(0))
  assert recs[0] == pytest.approx(float(m_vae["reconstruction_log_likelihood"]), rel=1e-5)
  # The VAE's KL does not depend on the draw.
  se = np.std(kls) / np.sqrt(len(kls))
  assert abs(np.mean(kls) - float(m_vae["kl"])) < 4 * se + 1e-4, (np.mean(kls), float(m_vae["kl"]))


def test_the_prior_learns_codes_away_from_the_standard_normal():
  """Training only the prior on fixed codes from N((3, -1), 0.5^2 I): its log
  density there rises far above N(0, I)'s, and its samples move to them."""
  state, _ = _state()
  codes = jnp.array([3.0, -1.0]) + 0.5 * jax.random.normal(jax.random.key(3), (256, 2))

  @jax.jit
  def fit(prior):
    def body(_, p):
      return ts.minimize(p, lambda n: (-jnp.mean(n(codes)), None))[0]
    return jax.lax.fori_loop(0, 1500, body, prior)

  prior = fit(state.prior)
  gauss = flow_prior_vae.losses.gaussian_log_likelihood(codes, jnp.zeros_like(codes), 0.0)
  learned = ts.forward(prior, codes, train=False)
  assert float(jnp.mean(learned)) > float(jnp.mean(gauss)) + 3.0
  z = flow_prior_vae.sample_prior(state.replace(prior=prior), jax.random.key(4), 2000)
  np.testing.assert_allclose(np.mean(np.asarray(z), 0), [3.0, -1.0], atol=0.5)


def test_bad_prior_settings_are_one_line():
  with pytest.raises(ConfigError, match="prior_couplings=3 is invalid: must be an even integer >= 2"):
    _state(prior_couplings=3)


def test_the_evaluation_measures_the_kl_to_the_flow_prior():
  """The ELBO surgery of the held-out evaluation uses ``log_prior``: at init
  (the flow is the identity) its Monte Carlo average KL is the closed-form
  KL to N(0, I) of the same posteriors, within 4 standard errors."""
  from gengan_jax.evaluate import likelihood  # pylint: disable=g-import-not-at-top
  state, _ = _state()
  x = np.tanh(np.random.default_rng(4).normal(size=(200, 2))).astype(np.float32)
  h = likelihood.held_out_likelihood(algorithms.get("flow_prior_vae"), state, x,
                                     jax.random.key(5), num_samples=2)
  s = h["elbo_surgery"]
  assert s["prior"] == "learned" and s["num_examples"] == 200
  mean, log_scale = flow_prior_vae.posterior(state, jnp.asarray(x), jax.random.key(5))
  closed = metrics.elbo_surgery(mean, log_scale)
  assert abs(s["average_kl"] - closed.average_kl) < 4 * s["average_kl_se"] + 1e-6
  assert s["mutual_information"] == pytest.approx(closed.mutual_information, rel=1e-6)
