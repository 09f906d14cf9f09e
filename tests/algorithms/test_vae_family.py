"""The VAE family's bounds against a linear-Gaussian model, and its wiring.

The model: ``p(z) = N(0, I_2)``, ``p(x | z) = N(W z + b, sigma^2 I_3)`` with
orthogonal columns of ``W``, so that the exact posterior is a diagonal
Gaussian (an encoder can represent it) and ``log p(x) = log N(x; b, W W^T
+ sigma^2 I)`` is known (scipy). The bound functions of
:mod:`gengan_jax.algorithms.vae` take any encoder and decoder, so these are
set by hand: the exact posterior, or a deliberately wrong one.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from gengan_jax import algorithms, losses, metrics
from gengan_jax.algorithms import beta_vae, iwae, vae
from gengan_jax.core import ConfigError
from gengan_jax.core import train_state as ts

SIGMA = 0.5
_Q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 2)))
W = (_Q * np.array([2.0, 0.7])).astype(np.float32)  # orthogonal columns, norms 2 and 0.7
B = np.array([0.3, -0.2, 0.1], np.float32)
X = np.array([[1.0, 0.5, -1.0], [0.0, 0.0, 0.0], [-2.0, 1.0, 0.5]], np.float32)
LOG_PX = stats.multivariate_normal(B, W @ W.T + SIGMA**2 * np.eye(3)).logpdf(X)
POST_VAR = 1.0 / (1.0 + np.sum(W**2, 0) / SIGMA**2)  # diagonal: W^T W is diagonal
POST_MEAN = (X - B) @ W / SIGMA**2 * POST_VAR


def decoder(z):
  return (z @ W.T + B, jnp.full(z.shape[:-1] + (3,), np.log(SIGMA), jnp.float32))


def exact_encoder(x):
  mean = (x - B) @ W / SIGMA**2 * POST_VAR
  return mean, jnp.broadcast_to(0.5 * np.log(POST_VAR).astype(np.float32), mean.shape)


def wrong_encoder(x):  # the exact posterior shifted by 0.1 and 1.3 times wider
  mean, log_scale = exact_encoder(x)
  return mean + 0.1, log_scale + np.log(1.3)


LOG_LIKELIHOOD = losses.observation_model("gaussian").log_likelihood


def test_exact_posterior_makes_every_importance_weight_log_px():
  """``log p(x, z) - log q(z | x) = log p(x)`` for every draw from the exact posterior."""
  log_w = vae.importance_log_weights(exact_encoder, decoder, LOG_LIKELIHOOD, X,
                                     jax.random.key(0), 64)
  assert log_w.shape == (64, 3)
  np.testing.assert_allclose(log_w, np.broadcast_to(LOG_PX, (64, 3)), atol=2e-4)
  for k in (1, 5, 64):
    np.testing.assert_allclose(vae.importance_weighted_bound(log_w[:k]), LOG_PX, atol=2e-4)


def test_elbo_with_analytic_kl_equals_log_px_at_the_exact_posterior():
  """The VAE's estimator (one draw, analytic KL) averages to ``log p(x)``: 4 standard errors."""
  n = 20000
  keys = jax.random.split(jax.random.key(1), n)
  rec, kl = jax.vmap(lambda k: vae.elbo_terms(exact_encoder, decoder, LOG_LIKELIHOOD, X, k))(keys)
  elbo = np.asarray(rec - kl, np.float64)
  se = elbo.std(0) / np.sqrt(n)
  assert np.all(np.abs(elbo.mean(0) - LOG_PX) < 4 * se + 1e-4), (elbo.mean(0), LOG_PX, se)
  # the analytic KL to N(0, I) of the exact posterior
  expected_kl = 0.5 * np.sum(POST_VAR + POST_MEAN**2 - 1 - np.log(POST_VAR), axis=1)
  np.testing.assert_allclose(kl[0], expected_kl, rtol=1e-5)


def test_elbo_gap_is_the_kl_to_the_exact_posterior():
  """With a wrong encoder, ``E log w = log p(x) - KL(q || p(z | x))`` (closed form)."""
  n = 20000
  log_w = np.asarray(vae.importance_log_weights(wrong_encoder, decoder, LOG_LIKELIHOOD, X,
                                                jax.random.key(2), n), np.float64)
  mean, log_scale = wrong_encoder(X)
  gap = losses.gaussian_kl(mean, 2 * log_scale, prior_mean=POST_MEAN,
                           prior_log_var=np.log(POST_VAR))
  se = log_w.std(0) / np.sqrt(n)
  assert np.all(gap > 0.1)
  np.testing.assert_array_less(np.abs(log_w.mean(0) - (LOG_PX - gap)), 4 * se + 1e-4)


def test_iwae_bound_increases_in_k_and_reaches_log_px():
  """``L_1 < L_3 < L_10 < L_30 < L_1000``, each the mean over 2,000 repetitions, and
  ``L_1000`` within 0.005 nats of ``log p(x)``, not above it by 3 standard errors.

  (Measured: ``log p(x) - L_k`` is 0.26-0.31, 0.06-0.08, 0.017-0.021,
  0.005-0.006 and <= 0.0007 nats, the standard error of ``L_1000`` 0.0004.)
  """
  reps = 2000
  log_w = vae.importance_log_weights(wrong_encoder, decoder, LOG_LIKELIHOOD,
                                     jnp.tile(jnp.asarray(X), (reps, 1)), jax.random.key(3), 1000)
  bounds = {k: np.asarray(vae.importance_weighted_bound(log_w[:k]), np.float64).reshape(reps, 3)
            for k in (1, 3, 10, 30, 1000)}
  means = {k: b.mean(0) for k, b in bounds.items()}
  for small, large in ((1, 3), (3, 10), (10, 30), (30, 1000)):
    assert np.all(means[small] < means[large]), (small, large, means)
  se = bounds[1000].std(0) / np.sqrt(reps)
  assert np.all(means[1000] <= LOG_PX + 3 * se)
  np.testing.assert_allclose(means[1000], LOG_PX, atol=5e-3)
  assert np.all(LOG_PX - means[1] > 0.2)  # the wrong encoder leaves a real gap


def test_importance_weighted_bound_is_the_metrics_iwae_bound():
  log_w = jax.random.normal(jax.random.key(4), (7, 5)) * 3.0
  np.testing.assert_allclose(vae.importance_weighted_bound(log_w),
                             metrics.iwae_bound(log_w, jnp.zeros_like(log_w)), rtol=1e-6)


def _config(module, **fields):
  return algorithms.from_mapping(module.Config, dict(arch="mlp", latent_dim=3, hidden=(8,),
                                                     **fields))


def _data(shape=(2,), n=8, steps=3):
  return np.tanh(np.random.default_rng(0).normal(size=(steps, 1, n) + shape)).astype(np.float32)


def test_beta_vae_with_beta_one_is_vae_bitwise():
  data = _data()
  runs = []
  for module, cfg in ((vae, _config(vae)), (beta_vae, _config(beta_vae, beta=1.0))):
    state = module.init(jax.random.key(0), cfg, data[0, 0])
    step = jax.jit(module.train_step)
    history = []
    for batch in data:
      state, m = step(state, batch, jax.random.key(1))
      history.append(m)
    runs.append((state.networks(), history, module.sample(state, jax.random.key(2), 16)))
  (s1, h1, x1), (s2, h2, x2) = runs
  for a, b in zip(jax.tree.leaves((s1, h1, x1)), jax.tree.leaves((s2, h2, x2)), strict=True):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
  assert beta_vae.Config().beta == 4.0 and vae.Config().beta == 1.0


def test_beta_weights_the_kl_in_the_objective():
  data = _data(steps=1)[0]
  out = {}
  for beta in (1.0, 3.0):
    cfg = _config(beta_vae, beta=beta)
    state = beta_vae.init(jax.random.key(0), cfg, data[0])
    out[beta] = jax.jit(beta_vae.train_step)(state, data, jax.random.key(1))[1]
  m1, m3 = out[1.0], out[3.0]
  np.testing.assert_allclose(m1["elbo"], m3["elbo"], rtol=1e-6)  # the true ELBO either way
  np.testing.assert_allclose(m3["loss"], -(m3["reconstruction_log_likelihood"] - 3 * m3["kl"]),
                             rtol=1e-5)


def test_iwae_with_one_sample_has_elbo_equal_to_its_bound():
  data = _data(steps=1)[0]
  cfg = _config(iwae, num_importance_samples=1)
  step = jax.jit(iwae.train_step)
  _, m = step(iwae.init(jax.random.key(0), cfg, data[0]), data, jax.random.key(1))
  np.testing.assert_allclose(m["iwae_bound"], m["elbo"], rtol=1e-6)
  assert float(m["effective_sample_size"]) == pytest.approx(1.0)
  cfg = _config(iwae, num_importance_samples=8)
  _, m = step(iwae.init(jax.random.key(0), cfg, data[0]), data, jax.random.key(1))
  assert m["iwae_bound"] > m["elbo"] and 1.0 < m["effective_sample_size"] <= 8.0


def test_log_likelihood_is_a_bound_that_grows_with_k_in_chunks():
  """Through the algorithm's state: ``k = 250`` runs three chunks of 100 (the last cut)."""
  data = _data(steps=1, n=16)[0]
  cfg = _config(vae)
  state = vae.init(jax.random.key(0), cfg, data[0])
  ll = jax.jit(vae.log_likelihood, static_argnames="num_samples")
  one = np.mean(ll(state, data[0], jax.random.key(5), num_samples=1))
  many = ll(state, data[0], jax.random.key(5), num_samples=250)
  assert many.shape == (16,) and np.isfinite(many).all()
  assert np.mean(many) > one
  with pytest.raises(ValueError, match="num_samples=0 is invalid"):
    vae.log_likelihood(state, data[0], jax.random.key(5), num_samples=0)


def test_bernoulli_samples_are_mean_images_and_gaussian_samples_are_draws():
  data = _data(shape=(28, 28, 1), steps=1)[0]
  cfg = _config(vae, observation="bernoulli", binarization="dynamic")
  state = vae.init(jax.random.key(0), cfg, data[0])
  params = ts.forward(state.decoder, jax.random.normal(jax.random.key(3), (4, 3)), train=False)
  # the same z, another draw key: the Bernoulli picture is the mean, no noise
  a = vae.draw(cfg, params, jax.random.key(1))
  b = vae.draw(cfg, params, jax.random.key(2))
  np.testing.assert_array_equal(a, b)
  assert np.all(np.abs(a) < 1.0)
  mean = jnp.zeros((4000, 2))
  x = vae.draw(_config(vae), (mean, jnp.full((4000, 2), np.log(0.3))), jax.random.key(1))
  np.testing.assert_allclose(np.std(x, 0), 0.3, rtol=0.05)
  x = vae.draw(_config(vae, fixed_log_scale=float(np.log(0.2))), (mean,), jax.random.key(1))
  np.testing.assert_allclose(np.std(x, 0), 0.2, rtol=0.05)
  x = vae.draw(_config(vae, observation="logistic"), (mean, jnp.full((4000, 2), -2.0)),
               jax.random.key(1))
  np.testing.assert_allclose(np.round((x + 1) * 127.5), (x + 1) * 127.5, atol=1e-4)  # 8-bit grid


def test_dynamic_binarization_draws_static_thresholds():
  x = _data(shape=(28, 28, 1), steps=1)[0, 0]
  static = _config(vae, observation="bernoulli", binarization="static")
  dynamic = dataclasses.replace(static, binarization="dynamic")
  a = vae.binarized(static, x, jax.random.key(0))
  np.testing.assert_array_equal(a, np.where(x > 0, 1.0, -1.0))
  b = vae.binarized(dynamic, x, jax.random.key(0))
  assert set(np.unique(b)) == {-1.0, 1.0} and not np.array_equal(a, b)
  np.testing.assert_array_equal(vae.binarized(dynamic, x, None), a)  # encode's threshold
  assert vae.log_likelihood_space(static) == "binary"
  assert vae.log_likelihood_space(_config(vae)) == "continuous"


@pytest.mark.parametrize("module, fields, message", [
    (vae, dict(observation="bernoulli"), r"binarization='none' is invalid: must be 'static' or "
                                         r"'dynamic' with observation='bernoulli'"),
    (vae, dict(binarization="dynamic"), r"binarization='dynamic' is invalid: must be 'none' with "
                                        r"observation='gaussian'"),
    (vae, dict(observation="bernoulli", binarization="static", fixed_log_scale=0.0),
     r"fixed_log_scale=0.0 is invalid"),
    (vae, dict(observation="poisson"), r"observation='poisson' is invalid: valid choices are "
                                       r"'bernoulli', 'gaussian', 'logistic'"),
    (vae, dict(beta=0.0), r"beta=0.0 is invalid: must be > 0"),
    (iwae, dict(num_importance_samples=0), r"num_importance_samples=0 is invalid"),
    (vae, dict(eval_importance_samples=0), r"eval_importance_samples=0 is invalid"),
])
def test_config_errors_name_the_setting(module, fields, message):
  with pytest.raises(ConfigError, match=message):
    _config(module, **fields)


def _experiment_config(algorithm, data, arch="mlp", **model):
  import ml_collections  # pylint: disable=g-import-not-at-top
  return ml_collections.ConfigDict(dict(
      algorithm=algorithm, seed=1, data=data,
      model=dict(arch=arch, latent_dim=2, hidden=(8,), base_features=2, **model),
      train=dict(steps=2, log_every=1, checkpoint_every=2, keep_checkpoints=1, plot_every=0,
                 eval_samples=100, progress=False)))


def test_evaluation_reports_the_bounds_and_the_surgery_on_a_mixture(tmp_path):
  from gengan_jax import evaluate  # pylint: disable=g-import-not-at-top
  from gengan_jax.train import loop  # pylint: disable=g-import-not-at-top
  loop.train(_experiment_config("iwae", dict(source="toy", name="ring", batch_size=16)),
             str(tmp_path / "run"))
  result = evaluate.evaluate_run(str(tmp_path / "run"), critic_steps=0, likelihood_samples=20)
  h = result["held_out_likelihood"]
  assert h["num_examples"] == 2500 and h["iwae"]["k"] == 20 and h["space"] == "continuous"
  assert h["iwae"]["mean"] > h["elbo"]["mean"]  # L_20 > L_1 on the same 2,500 draws
  assert 4.0 < h["data_log_density"]["mean"] < 4.6  # the ring: log 8 - log(2 pi e 0.01^2)
  s = h["elbo_surgery"]
  assert s["average_kl"] == pytest.approx(s["mutual_information"] + s["marginal_kl"])
  assert s["num_examples"] == 2500 and s["mutual_information"] <= s["log_num_examples"]
  table = evaluate.run_table(result)
  assert "| IWAE bound, k = 20 (nats, 2500 held-out examples) |" in table
  assert "ELBO surgery" in table
  assert "held-out log p bound (nats)" in evaluate.summary_tables([result, result])


@pytest.mark.parametrize("model, space, bits", [
    (dict(observation="bernoulli", binarization="static"), "binary", None),
    (dict(observation="gaussian", fixed_log_scale=-1.0), "continuous", "+7 bits"),
    (dict(observation="logistic"), "8-bit", "none"),
])
def test_image_likelihood_bits_per_dim_follow_the_observation_model(tmp_path, model, space,
                                                                    bits):
  from gengan_jax.evaluate import likelihood  # pylint: disable=g-import-not-at-top
  from gengan_jax.train import loop  # pylint: disable=g-import-not-at-top
  x = np.random.default_rng(0).integers(0, 256, size=(16, 28, 28), dtype=np.uint8)
  np.savez(tmp_path / "digits.npz", x=x)
  exp = loop.Experiment(_experiment_config(
      "vae", dict(source="npz", path=str(tmp_path / "digits.npz"), batch_size=8), arch="dcgan",
      **model))
  state = jax.device_get(exp.init_state())
  h = likelihood.evaluate_likelihood(exp, state, jax.random.key(0), num_samples=3)
  assert h["space"] == space and h["num_examples"] == 16
  if bits is None:
    assert h["bits_per_dim"].startswith("not reported")
  else:
    assert h["bits_per_dim"]["correction"].startswith(bits)
    offset = 7.0 if bits == "+7 bits" else 0.0
    np.testing.assert_allclose(h["bits_per_dim"]["iwae"],
                               -h["iwae"]["mean"] / (784 * np.log(2)) + offset, rtol=1e-6)
