"""The VampPrior VAE: its log density against numpy; one pseudo-input the encoder
maps to (0, 1) is the VAE; pseudo-inputs at the data are the aggregate
posterior; the pseudo-inputs learn the codes' marginal, and their sign-flipped
mutant does not.

The smoke test (finite metrics, shapes, no recompilation; mlp on 8 devices and
dcgan on 1) and the learning check with its sign-flipped mutant run over the
registry (``test_smoke.py``, ``test_learning.py``).
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special, stats

from gengan_jax import algorithms, losses, metrics
from gengan_jax.algorithms import vae, vamp_prior_vae
from gengan_jax.core import ConfigError
from gengan_jax.core import train_state as ts
from gengan_jax.losses.mixture import gaussian_mixture_log_likelihood
from gengan_jax.metrics.elbo_surgery import log_aggregate_posterior
from tests.algorithms.helpers import tiny_data

FIELDS = dict(arch="mlp", latent_dim=2, hidden=(16, 16))


def _state(**fields):
  cfg = algorithms.from_mapping(vamp_prior_vae.Config, dict(FIELDS, **fields))
  data = tiny_data("mlp", 1)
  return vamp_prior_vae.init(jax.random.key(0), cfg, data[0]), data


def _with_pseudo_inputs(state, u):
  return state.replace(prior=state.prior.replace(params={"pseudo_inputs": jnp.asarray(u)}))


def _zero_biases(network):
  params = jax.tree_util.tree_map_with_path(
      lambda path, p: jnp.zeros_like(p) if jax.tree_util.keystr(path).endswith("['bias']") else p,
      network.params)
  return network.replace(params=params)


def _as_vae(state):
  """The VAE with the VampPrior VAE's encoder and decoder."""
  cfg = vae.Config(**{f.name: getattr(state.config, f.name)
                      for f in dataclasses.fields(vae.BaseConfig)})
  return vae.State(step=state.step, encoder=state.encoder, decoder=state.decoder, config=cfg)


def _standard_normal_state():
  """K = 1 pseudo-input at 0 and an encoder without biases: ReLU layers map 0
  to 0, so ``q(z | u_1) = N(0, I)`` (and data away from 0 elsewhere)."""
  state, data = _state(num_pseudo_inputs=1)
  state = _with_pseudo_inputs(state, np.zeros((1, 2), np.float32))
  return state.replace(encoder=_zero_biases(state.encoder)), data


def test_log_density_matches_numpy():
  rng = np.random.default_rng(0)
  z, means = rng.normal(size=(7, 3)), rng.normal(size=(5, 3))
  log_scales = rng.uniform(-1.0, 0.5, size=(5, 3))
  per_component = np.stack([stats.multivariate_normal(m, np.diag(np.exp(2 * s))).logpdf(z)
                            for m, s in zip(means, log_scales)], axis=1)
  expected = special.logsumexp(per_component, axis=1) - np.log(5)
  got = jax.jit(gaussian_mixture_log_likelihood)(*(jnp.asarray(a, jnp.float32)
                                                   for a in (z, means, log_scales)))
  assert got.shape == (7,)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
  # One component: the Gaussian log-likelihood.
  np.testing.assert_allclose(
      gaussian_mixture_log_likelihood(z.astype(np.float32), means[:1].astype(np.float32),
                                      log_scales[:1].astype(np.float32)),
      losses.gaussian_log_likelihood(z.astype(np.float32), np.broadcast_to(means[0], z.shape)
                                     .astype(np.float32), log_scales[0].astype(np.float32)),
      rtol=1e-6, atol=1e-5)


def test_log_density_of_narrow_components_does_not_cancel():
  """sigma = e^-8 and z 1e-4 from its mean: the expanded square's terms are
  ``z^2 / sigma^2 ~ 1e8``, whose float32 rounding (~5 nats) would swamp the
  answer; the differences keep it to float32's precision of ``z - mu``."""
  means = np.array([[3.0, -2.0], [0.0, 1.0]], np.float32)
  log_scales = np.full((2, 2), -8.0, np.float32)
  z = means[:1] + np.float32(1e-4)
  diff = z[0].astype(np.float64) - means[0].astype(np.float64)
  quad = np.sum(np.square(diff * np.exp(8.0)))
  expected = -np.log(2 * np.pi) + 16.0 - 0.5 * quad - np.log(2)
  got = float(jax.jit(gaussian_mixture_log_likelihood)(z, means, log_scales)[0])
  assert got == pytest.approx(expected, abs=1e-4)


def test_bad_shapes_are_one_line():
  with pytest.raises(ValueError, match=r"`z` has 3 columns but `means` has 2"):
    gaussian_mixture_log_likelihood(jnp.zeros((4, 3)), jnp.zeros((5, 2)), jnp.zeros((5, 2)))
  with pytest.raises(ConfigError, match="num_pseudo_inputs=0 is invalid"):
    _state(num_pseudo_inputs=0)


def test_one_pseudo_input_mapped_to_the_standard_normal_is_the_vae():
  """``p_lambda = q(z | u_1) = N(0, I)``: its log density is N(0, I)'s, its
  importance-weighted bound is the VAE's with the same draws, and its samples
  follow N(0, I)."""
  state, data = _standard_normal_state()
  mean_u, log_scale_u = jax.jit(vamp_prior_vae.prior_components, static_argnums=0)(
      lambda u: ts.forward(state.encoder, u, train=False), vamp_prior_vae.pseudo_inputs(state))
  np.testing.assert_array_equal(mean_u, 0.0)
  np.testing.assert_array_equal(log_scale_u, 0.0)
  z = jax.random.normal(jax.random.key(1), (9, 2)) * 2.0
  np.testing.assert_allclose(jax.jit(vamp_prior_vae.log_prior)(state, z),
                             losses.gaussian_log_likelihood(z, jnp.zeros_like(z), 0.0),
                             rtol=1e-6, atol=1e-6)
  x, key = jnp.asarray(data[0]), jax.random.key(2)
  mean_x, _ = jax.jit(vamp_prior_vae.posterior)(state, x)
  assert float(jnp.max(jnp.abs(mean_x))) > 0.1  # the data are not at the prior
  bound = jax.jit(lambda s, m: m.log_likelihood(s, x, key, num_samples=20), static_argnums=1)
  np.testing.assert_allclose(bound(state, vamp_prior_vae), bound(_as_vae(state), vae),
                             rtol=1e-5, atol=1e-5)
  draws = np.asarray(jax.jit(vamp_prior_vae.sample_prior, static_argnums=2)(
      state, jax.random.key(3), 4000))
  np.testing.assert_allclose(draws.mean(0), 0.0, atol=0.08)
  np.testing.assert_allclose(draws.std(0), 1.0, atol=0.05)


def test_one_step_with_the_standard_normal_prior_matches_the_vae_terms():
  """The step's reconstruction is the VAE's draw for draw (same keys); its
  one-draw KL averages to the VAE's closed form."""
  state, data = _standard_normal_state()
  step = jax.jit(vamp_prior_vae.train_step)
  _, m_vae = jax.jit(vae.train_step)(_as_vae(state), data, jax.random.key(0))
  kls = []
  for i in range(60):
    _, m = step(state, data, jax.random.key(i))
    if i == 0:
      assert float(m["reconstruction_log_likelihood"]) == pytest.approx(
          float(m_vae["reconstruction_log_likelihood"]), rel=1e-5)
    kls.append(float(m["kl"]))
  se = np.std(kls) / np.sqrt(len(kls))
  assert abs(np.mean(kls) - float(m_vae["kl"])) < 4 * se + 1e-4, (np.mean(kls), m_vae["kl"])


def test_pseudo_inputs_at_the_data_are_the_aggregate_posterior():
  """With the N data points as pseudo-inputs, ``p_lambda`` is the aggregate
  posterior ``q(z) = (1/N) sum_n q(z | x_n)``, the ELBO's optimal prior
  (numpy float64 reference: :func:`metrics.elbo_surgery.log_aggregate_posterior`)."""
  state, data = _state(num_pseudo_inputs=8)
  x = data[0]
  state = _with_pseudo_inputs(state, x)
  mean, log_scale = jax.jit(vamp_prior_vae.posterior)(state, jnp.asarray(x))
  z = np.random.default_rng(1).normal(size=(20, 2)).astype(np.float32)
  expected = log_aggregate_posterior(z, np.asarray(mean, np.float64),
                                                          np.asarray(log_scale, np.float64))
  np.testing.assert_allclose(jax.jit(vamp_prior_vae.log_prior)(state, jnp.asarray(z)), expected,
                             rtol=1e-5, atol=1e-5)


def test_pseudo_inputs_learn_the_aggregate_posterior_and_their_mutant_does_not():
  """The encoder fixed, only the pseudo-inputs ascend ``E_q(z) log p_lambda(z)``
  on codes of the aggregate posterior of 64 points: the marginal KL
  ``E log q(z) - E log p_lambda(z)`` (the ELBO surgery's, against the
  VampPrior), 262 nats with the pseudo-inputs started far from the data,
  falls below 0.2 nats (0.065 measured: 16 components for a mixture of 64);
  ascending the other way raises it."""
  state, _ = _state(num_pseudo_inputs=16, pseudo_input_init_mean=-3.0, pseudo_input_init_std=0.1,
                    optimizer=dict(learning_rate=0.05, b1=0.9, b2=0.999))
  x = jnp.asarray(np.tanh(np.random.default_rng(2).normal(size=(64, 2))) * 2.0, jnp.float32)
  mean, log_scale = jax.jit(vamp_prior_vae.posterior)(state, x)
  eps = jax.random.normal(jax.random.key(4), (8, *mean.shape))
  z = (mean + jnp.exp(log_scale) * eps).reshape(-1, 2)
  log_q = log_aggregate_posterior(
      np.asarray(z, np.float64), np.asarray(mean, np.float64), np.asarray(log_scale, np.float64))

  log_prior = jax.jit(vamp_prior_vae.log_prior)

  def marginal_kl(s):
    return float(np.mean(log_q) - jnp.mean(log_prior(s, z)))

  @jax.jit
  def fit(prior, sign):
    encoder = lambda u: ts.forward(state.encoder, u, train=False)  # noqa: E731

    def body(_, p):
      def loss(net):
        comps = vamp_prior_vae.prior_components(encoder, net(jnp.arange(16)))
        return -sign * jnp.mean(gaussian_mixture_log_likelihood(z, *comps)), None
      return ts.minimize(p, loss)[0]
    return jax.lax.fori_loop(0, 300, body, prior)

  before = marginal_kl(state)
  after = marginal_kl(state.replace(prior=fit(state.prior, 1.0)))
  mutant = marginal_kl(state.replace(prior=fit(state.prior, -1.0)))
  print(f"\nmarginal KL: {before:.3f} at init, {after:.3f} fitted, {mutant:.3f} mutant")
  assert before > 10.0
  assert after < 0.2
  assert mutant > before


def test_pseudo_inputs_are_clipped_to_pixels_and_start_near_black():
  state, _ = _state(observation="bernoulli", binarization="dynamic", num_pseudo_inputs=50)
  pseudo_inputs = jax.jit(vamp_prior_vae.pseudo_inputs)
  u = np.asarray(pseudo_inputs(state))
  assert u.shape == (50, 2) and u.min() >= -1.0 and u.max() <= 1.0
  assert abs(u.mean() - (-0.9)) < 0.01 and 0.015 < u.std() < 0.025
  state = _with_pseudo_inputs(state, np.full((50, 2), 3.0, np.float32))
  np.testing.assert_array_equal(pseudo_inputs(state), 1.0)
  gaussian, _ = _state(num_pseudo_inputs=50)
  gaussian = _with_pseudo_inputs(gaussian, np.full((50, 2), 3.0, np.float32))
  np.testing.assert_array_equal(pseudo_inputs(gaussian), 3.0)


def test_pseudo_inputs_start_at_the_first_batch_when_asked():
  """``pseudo_input_init="data"``: ``u_k`` is example ``k mod B`` plus noise of
  the stated std (the mean unused), for K below and above the batch size."""
  data = tiny_data("mlp", 1)
  x = np.asarray(data[0])
  b = x.shape[0]
  for k in (b // 2, 40 * b):
    cfg = algorithms.from_mapping(vamp_prior_vae.Config, dict(
        FIELDS, num_pseudo_inputs=k, pseudo_input_init="data", pseudo_input_init_mean=5.0,
        pseudo_input_init_std=1e-3))
    state = vamp_prior_vae.init(jax.random.key(0), cfg, data[0])
    u = np.asarray(jax.jit(vamp_prior_vae.pseudo_inputs)(state))
    noise = u - x[np.arange(k) % b]
    assert np.abs(noise).max() < 6e-3, np.abs(noise).max()
    if k > b:  # enough draws for their std
      assert 0.85e-3 < noise.std() < 1.15e-3, noise.std()
    # The optimizer's state is that of the new values (Adam's: zeros, the same shapes).
    assert jax.tree.structure(state.prior.opt_state) == jax.tree.structure(
        state.prior.tx.init(state.prior.params))
  normal, _ = _state(num_pseudo_inputs=b // 2, pseudo_input_init_mean=5.0)
  assert abs(float(np.asarray(vamp_prior_vae.pseudo_inputs(normal)).mean()) - 5.0) < 0.1
  with pytest.raises(ConfigError, match="pseudo_input_init.*one of normal, data"):
    algorithms.from_mapping(vamp_prior_vae.Config, dict(FIELDS, pseudo_input_init="prior"))


def test_the_evaluation_measures_the_kl_to_the_vamp_prior():
  """The held-out ELBO surgery uses ``log_prior``: with ``p_lambda = N(0, I)``
  its Monte Carlo average KL is the closed-form KL of the same posteriors,
  within 4 standard errors."""
  from gengan_jax.evaluate import likelihood  # pylint: disable=g-import-not-at-top
  state, _ = _standard_normal_state()
  x = np.tanh(np.random.default_rng(4).normal(size=(200, 2))).astype(np.float32)
  h = likelihood.held_out_likelihood(algorithms.get("vamp_prior_vae"), state, x,
                                     jax.random.key(5), num_samples=2)
  s = h["elbo_surgery"]
  assert s["prior"] == "learned" and s["num_examples"] == 200
  mean, log_scale = vamp_prior_vae.posterior(state, jnp.asarray(x), jax.random.key(5))
  closed = metrics.elbo_surgery(mean, log_scale)
  assert abs(s["average_kl"] - closed.average_kl) < 4 * s["average_kl_se"] + 1e-6
  assert s["mutual_information"] == pytest.approx(closed.mutual_information, rel=1e-6)
