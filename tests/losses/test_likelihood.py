"""Likelihoods against scipy, the Concrete density against its normalisation,
and VQ-VAE's stop-gradients."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from gengan_jax.losses import likelihood as lik

RNG = np.random.default_rng(0)


def test_bernoulli_matches_scipy():
  logits = RNG.normal(size=(3, 5)).astype(np.float32) * 3
  x = (RNG.uniform(size=(3, 5)) < 0.5).astype(np.float32)
  want = stats.bernoulli.logpmf(x, 1 / (1 + np.exp(-logits.astype(np.float64)))).sum(1)
  np.testing.assert_allclose(lik.bernoulli_log_likelihood(logits, x), want, rtol=1e-5)
  assert np.isfinite(lik.bernoulli_log_likelihood(jnp.array([[1e4, -1e4]]),
                                                  jnp.array([[0.0, 1.0]]))).all()
  with pytest.raises(ValueError, match="shape"):
    lik.bernoulli_log_likelihood(logits, x[:, :4])


def test_gaussian_matches_scipy_with_learned_and_fixed_scales():
  x, mean = RNG.normal(size=(2, 4, 3, 3)).astype(np.float32)
  log_scale = (RNG.normal(size=(4, 3, 3)) * 0.5).astype(np.float32)
  want = stats.norm.logpdf(x, mean, np.exp(log_scale)).reshape(4, -1).sum(1)
  np.testing.assert_allclose(lik.gaussian_log_likelihood(x, mean, log_scale), want, rtol=1e-5)
  fixed = stats.norm.logpdf(x, mean, np.exp(-0.7)).reshape(4, -1).sum(1)
  np.testing.assert_allclose(lik.gaussian_log_likelihood(x, mean, -0.7), fixed, rtol=1e-5)


def test_discretized_logistic_is_the_logistic_mass_of_each_bin_and_sums_to_one():
  bins = 256
  levels = np.linspace(-1, 1, bins).astype(np.float32)
  mean, log_scale = 0.3, math.log(0.2)
  # Every level once: the probabilities of the 256 levels sum to 1.
  logp = lik.discretized_logistic_log_likelihood(levels[:, None], jnp.full((bins, 1), mean),
                                                 jnp.full((bins, 1), log_scale))
  assert float(jnp.exp(logp).sum()) == pytest.approx(1.0, abs=1e-4)
  # Interior and edge bins against scipy's logistic CDF (float64).
  h = 1 / (bins - 1)
  cdf = lambda v: stats.logistic.cdf(v, mean, 0.2)  # noqa: E731
  for i in (0, 1, 100, 254, 255):
    lo = -np.inf if i == 0 else levels[i] - h
    hi = np.inf if i == bins - 1 else levels[i] + h
    assert float(logp[i]) == pytest.approx(np.log(cdf(hi) - cdf(lo)), rel=1e-3, abs=1e-5), i
  # Far in a tail the interior bins stay finite.
  far = lik.discretized_logistic_log_likelihood(jnp.array([[0.0]]), jnp.array([[50.0]]),
                                                jnp.array([[math.log(0.01)]]))
  assert np.isfinite(far).all()


def test_gaussian_sample_is_reparameterised():
  key = jax.random.key(0)
  mean, log_scale = jnp.array([[1.0, -2.0]]), jnp.array([[0.0, math.log(3.0)]])
  z = lik.gaussian_sample(key, jnp.tile(mean, (20000, 1)), jnp.tile(log_scale, (20000, 1)))
  np.testing.assert_allclose(z.mean(0), [1.0, -2.0], atol=0.06)
  np.testing.assert_allclose(z.std(0), [1.0, 3.0], rtol=0.03)
  grad = jax.grad(lambda m, s: lik.gaussian_sample(key, m, s).sum(), argnums=(0, 1))(mean,
                                                                                     log_scale)
  np.testing.assert_allclose(grad[0], [[1.0, 1.0]])  # d z / d mean = 1


def test_bounded_log_scale_is_near_the_identity_inside_and_never_leaves_the_bound():
  bound = 5.0
  # Closed form: b * tanh(b * atanh(1/2) / b) = b / 2; odd; slope 1 at 0, 1 - t^2 elsewhere.
  s = jnp.array([0.0, bound * math.atanh(0.5), -bound * math.atanh(0.5), -60.0, 1e4])
  np.testing.assert_allclose(lik.bounded_log_scale(s, bound),
                             [0.0, 2.5, -2.5, -bound * math.tanh(12.0), bound], rtol=1e-6)
  slope = jax.vmap(jax.grad(lambda v: lik.bounded_log_scale(v, bound)))(s[:3])
  np.testing.assert_allclose(slope, [1.0, 0.75, 0.75], rtol=1e-6)
  # The usual range moves by about (s / b)^2 / 3: 5% at log sigma = -2 ...
  assert float(lik.bounded_log_scale(-2.0, bound)) == pytest.approx(-2.0 * (1 - 0.4**2 / 3),
                                                                     rel=5e-3)
  # ... and a run-away output stays inside, with sigma >= e^-5.
  assert float(jnp.min(lik.bounded_log_scale(jnp.array([-60.0, -1e6]), bound))) >= -bound


def test_log_variance_l1_is_zero_at_unit_variance_and_sums_abs_log_variances():
  log_scale = jnp.array([[0.0, math.log(2.0)], [math.log(0.1), 0.0]])
  np.testing.assert_allclose(lik.log_variance_l1(log_scale),
                             [math.log(4.0), abs(math.log(0.01))], rtol=1e-6)
  # Minimised at sigma = 1: its gradient pushes a shrinking sigma back up.
  grad = jax.grad(lambda s: lik.log_variance_l1(s).sum())(jnp.array([[-3.0, 2.0]]))
  np.testing.assert_allclose(grad, [[-2.0, 2.0]])
  assert lik.log_variance_l1(jnp.zeros((3, 2, 2))).shape == (3,)


def test_gumbel_softmax_class_frequencies_and_straight_through():
  probs = np.array([0.1, 0.2, 0.7], np.float32)
  logits = jnp.log(jnp.tile(probs, (20000, 1)))
  hard = lik.gumbel_softmax_sample(jax.random.key(1), logits, 0.5, hard=True)
  assert set(np.unique(np.asarray(hard))) == {0.0, 1.0}
  np.testing.assert_allclose(hard.mean(0), probs, atol=0.015)
  soft = lik.gumbel_softmax_sample(jax.random.key(1), logits, 0.5)
  np.testing.assert_allclose(soft.sum(-1), 1.0, rtol=1e-5)
  np.testing.assert_array_equal(jnp.argmax(soft, -1), jnp.argmax(hard, -1))
  # Straight-through: the hard sample's gradient is the relaxed sample's.
  w = jnp.arange(3.0)
  g_hard = jax.grad(lambda l: (lik.gumbel_softmax_sample(jax.random.key(2), l, 0.5,
                                                         hard=True) @ w).sum())(logits[:4])
  g_soft = jax.grad(lambda l: (lik.gumbel_softmax_sample(jax.random.key(2), l, 0.5) @ w).sum())(
      logits[:4])
  np.testing.assert_allclose(g_hard, g_soft, rtol=1e-6)
  with pytest.raises(ValueError, match="temperature"):
    lik.gumbel_softmax_sample(jax.random.key(0), logits, 0.0)


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0])
def test_concrete_density_integrates_to_one_and_matches_the_binary_case(temperature):
  """K = 2: a density of y_1 on (0, 1); Maddison et al.'s binary Concrete (eq. 12)."""
  logits = jnp.array([0.3, -0.4])
  # In logit coordinates y_1 = sigmoid(t) (dy_1 = y_1 y_2 dt): smooth, and the
  # ends are resolved (for tau < 1 the density grows like y^(tau - 1) there).
  t = np.linspace(-40.0, 40.0, 80001)
  y = jnp.stack([jax.nn.sigmoid(t), jax.nn.sigmoid(-t)], -1)
  logp = np.asarray(lik.concrete_log_density(y, jnp.broadcast_to(logits, y.shape), temperature),
                    np.float64)
  y1, y2 = np.asarray(y[:, 0], np.float64), np.asarray(y[:, 1], np.float64)
  integrand = np.exp(logp + np.log(y1) + np.log(y2))
  assert np.trapezoid(integrand, t) == pytest.approx(1.0, abs=1e-3)
  alpha = math.exp(0.3 - (-0.4))
  lam = temperature
  binary = (lam * alpha * y1 ** (-lam - 1) * y2 ** (-lam - 1)
            / (alpha * y1 ** (-lam) + y2 ** (-lam)) ** 2)
  middle = slice(30000, 50001, 1000)  # t in [-10, 10]
  np.testing.assert_allclose(np.exp(logp[middle]), binary[middle], rtol=1e-3)


def test_vq_codebook_term_moves_the_codebook_and_commitment_the_encoder():
  codebook = jnp.array([[0.0, 0.0], [1.0, 1.0], [-2.0, 0.5]])
  z_e = jnp.array([[0.9, 1.2], [-1.5, 0.4], [0.1, -0.2]])
  q = lik.vector_quantize(z_e, codebook)
  np.testing.assert_array_equal(q.codes, [1, 2, 0])
  np.testing.assert_allclose(q.quantized, codebook[jnp.array([1, 2, 0])])

  def terms(z, cb):
    return lik.vq_losses(z, lik.vector_quantize(z, cb).codebook_vectors)

  d_cb = jax.grad(lambda z, cb: terms(z, cb)[0].sum(), argnums=(0, 1))(z_e, codebook)
  d_commit = jax.grad(lambda z, cb: terms(z, cb)[1].sum(), argnums=(0, 1))(z_e, codebook)
  # Codebook term: no gradient to the encoder, 2 (e - z_e) to the chosen codes.
  np.testing.assert_array_equal(d_cb[0], 0.0)
  np.testing.assert_allclose(d_cb[1][1], 2 * (codebook[1] - z_e[0]), rtol=1e-6)
  # Commitment term: 2 (z_e - e) to the encoder, none to the codebook.
  np.testing.assert_allclose(d_commit[0], 2 * (z_e - codebook[jnp.array([1, 2, 0])]), rtol=1e-6)
  np.testing.assert_array_equal(d_commit[1], 0.0)
  # Straight-through: the decoder's gradient reaches z_e unchanged.
  g = jax.grad(lambda z: (lik.vector_quantize(z, codebook).quantized * jnp.array([3.0, -1.0])
                          ).sum())(z_e)
  np.testing.assert_allclose(g, jnp.tile(jnp.array([3.0, -1.0]), (3, 1)))


def test_ema_codebook_update_moves_used_codes_to_their_means():
  k, d = 3, 2
  z_e = jnp.array([[1.0, 0.0], [3.0, 0.0], [0.0, 5.0]])
  codes = jnp.array([0, 0, 2])
  size, total, codebook = lik.ema_codebook_update(jnp.zeros(k), jnp.zeros((k, d)), z_e, codes,
                                                  decay=0.0, eps=1e-12)
  np.testing.assert_allclose(size, [2.0, 0.0, 1.0])
  np.testing.assert_allclose(codebook[0], [2.0, 0.0], rtol=1e-6)
  np.testing.assert_allclose(codebook[2], [0.0, 5.0], rtol=1e-6)
  np.testing.assert_allclose(codebook[1], [0.0, 0.0])
  with pytest.raises(ValueError, match="decay"):
    lik.ema_codebook_update(size, total, z_e, codes, decay=1.0)


def test_revive_dead_codes_moves_only_the_dead_ones_onto_encoder_outputs():
  codebook = jnp.array([[9.0, 9.0], [8.0, 8.0], [7.0, 7.0]])
  z_e = jnp.arange(12.0).reshape(2, 3, 2)  # six distinct outputs
  rows = np.asarray(z_e).reshape(-1, 2)
  new, dead = lik.revive_dead_codes(codebook, jnp.array([5.0, 0.5, 1.0]), z_e,
                                    jax.random.key(0), threshold=1.0)
  np.testing.assert_array_equal(dead, [False, True, False])  # below, not at, the threshold
  np.testing.assert_array_equal(np.asarray(new)[[0, 2]], np.asarray(codebook)[[0, 2]])
  assert any(np.array_equal(np.asarray(new)[1], r) for r in rows)
  # Every code dead: three distinct outputs of the six.
  new, dead = lik.revive_dead_codes(codebook, jnp.zeros(3), z_e, jax.random.key(1),
                                    threshold=1.0)
  assert dead.all()
  picked = {tuple(r) for r in np.asarray(new)}
  assert len(picked) == 3 and picked <= {tuple(r) for r in rows}
  # More codes than outputs: outputs repeat; threshold 0 restarts none.
  new, _ = lik.revive_dead_codes(jnp.zeros((8, 2)), jnp.zeros(8), z_e[:1, :2],
                                 jax.random.key(2), threshold=1.0)
  assert {tuple(r) for r in np.asarray(new)} <= {tuple(r) for r in rows[:2]}
  new, dead = lik.revive_dead_codes(codebook, jnp.zeros(3), z_e, jax.random.key(3),
                                    threshold=0.0)
  assert not dead.any()
  np.testing.assert_array_equal(new, codebook)
  with pytest.raises(ValueError, match=r"must agree; got shapes \(3, 2\), \(2,\) and"):
    lik.revive_dead_codes(codebook, jnp.zeros(2), z_e, jax.random.key(0), threshold=1.0)


def test_observation_models_in_the_minus_one_one_range():
  key = jax.random.key(0)
  x = lik.binarize(jax.random.uniform(key, (3, 4), minval=-1, maxval=1))
  logits = jax.random.normal(jax.random.key(1), (3, 4))
  bern = lik.observation_model("bernoulli")
  assert bern.num_params == 1
  b = (np.asarray(x) + 1) / 2
  p = 1 / (1 + np.exp(-np.asarray(logits, np.float64)))
  expected = (b * np.log(p) + (1 - b) * np.log(1 - p)).sum(1)
  np.testing.assert_allclose(bern.log_likelihood(x, (logits,)), expected, rtol=1e-5)
  np.testing.assert_allclose(bern.mean((logits,)), 2 * p - 1, rtol=1e-5, atol=1e-6)
  mean = jax.random.normal(jax.random.key(2), (3, 4))
  fixed = lik.observation_model("gaussian", fixed_log_scale=-1.0)
  learned = lik.observation_model("gaussian")
  assert (fixed.num_params, learned.num_params) == (1, 2)
  np.testing.assert_allclose(fixed.log_likelihood(x, (mean,)),
                             learned.log_likelihood(x, (mean, jnp.full((3, 4), -1.0))), rtol=1e-6)
  assert lik.observation_model("logistic").num_params == 2
  with pytest.raises(ValueError, match="valid choices are bernoulli, gaussian, logistic"):
    lik.observation_model("poisson")
  with pytest.raises(ValueError, match="applies to the 'gaussian' observation model only"):
    lik.observation_model("bernoulli", fixed_log_scale=0.0)


def test_binarize_static_and_dynamic():
  x = jnp.array([[-1.0, -0.2, 0.2, 1.0]])
  np.testing.assert_array_equal(lik.binarize(x), [[-1.0, -1.0, 1.0, 1.0]])
  grey = jnp.full((20000, 1), 0.5)  # P(1) = 0.75
  on = np.asarray(lik.binarize(grey, jax.random.key(3))) > 0
  assert abs(on.mean() - 0.75) < 0.01
  assert set(np.unique(np.asarray(lik.binarize(grey, jax.random.key(4))))) == {-1.0, 1.0}
