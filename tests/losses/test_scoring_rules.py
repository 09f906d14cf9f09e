"""Proper scoring rules: hand-computed values, population minimisers, and
classifiers that recover the log density ratio of two Gaussians."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy import stats

from gengan_jax import losses, ratio
from tests.losses import gaussians

RULES = list(losses.SCORING_RULES)
STRICT = ["bernoulli", "brier", "exponential", "spherical"]


def _reference(d, y, rule):
  """S(D, y) in numpy from Mohamed & Lakshminarayanan's Table 1, on probabilities."""
  if rule == "bernoulli":
    return -(y * np.log(d) + (1 - y) * np.log(1 - d))
  if rule == "brier":
    return y * (1 - d) ** 2 + (1 - y) * d ** 2
  if rule == "exponential":
    return y * np.sqrt((1 - d) / d) + (1 - y) * np.sqrt(d / (1 - d))
  if rule == "misclassification":
    return y * (d <= 0.5) + (1 - y) * (d > 0.5)
  if rule == "hinge":
    l = np.log(d / (1 - d))
    return y * np.maximum(0, 1 - l) + (1 - y) * np.maximum(0, 1 + l)
  a = np.sqrt(d ** 2 + (1 - d) ** 2)
  return -(y * d + (1 - y) * (1 - d)) / a


@pytest.mark.parametrize("rule", RULES)
def test_values_match_the_table(rule):
  d = np.array([0.05, 0.3, 0.5, 0.7, 0.97])
  logits = jnp.asarray(np.log(d / (1 - d)), jnp.float32)
  for y in (0.0, 1.0, 0.25):
    got = losses.scoring_rule(logits, y, rule=rule)
    np.testing.assert_allclose(got, _reference(d, y, rule), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("rule", RULES)
def test_classifier_loss_weights_by_prior(rule):
  real, fake = jnp.array([1.5, -0.3, 0.2]), jnp.array([0.4, -2.0])
  r, f = losses.classifier_loss(real, fake, rule=rule, prior=0.3)
  np.testing.assert_allclose(r, 0.3 * losses.scoring_rule(real, 1.0, rule=rule), rtol=1e-6)
  np.testing.assert_allclose(f, 0.7 * losses.scoring_rule(fake, 0.0, rule=rule), rtol=1e-6)


def test_bernoulli_at_half_prior_is_half_the_gan_loss():
  real, fake = jnp.array([1.5, -0.3]), jnp.array([0.4, -2.0])
  r, f = losses.classifier_loss(real, fake)
  np.testing.assert_allclose(2 * r, losses.discriminator_real_loss(real), rtol=1e-6)
  np.testing.assert_allclose(2 * f, losses.discriminator_fake_loss(fake), rtol=1e-6)


@pytest.mark.parametrize("rule", RULES)
def test_population_minimiser(rule):
  # Pointwise expected loss a S(l, 1) + b S(l, 0), a = pi p(x), b = (1-pi) q(x):
  # a strictly proper rule is minimised at l = log(a / b); hinge at sign(.)
  # (l = +-1); misclassification by any l of that sign.
  grid = jnp.linspace(-8.0, 8.0, 16001)
  s1 = losses.scoring_rule(grid, 1.0, rule=rule)
  s0 = losses.scoring_rule(grid, 0.0, rule=rule)
  for a, b in [(0.3, 0.1), (0.05, 0.2), (0.4, 0.35), (0.01, 0.5)]:
    risk = np.asarray(a * s1 + b * s0)
    best = float(grid[np.argmin(risk)])
    target = np.log(a / b)
    if rule in STRICT:
      assert best == pytest.approx(target, abs=1e-2)  # float32 risk is flat at the optimum
    elif rule == "hinge":
      assert best == pytest.approx(np.sign(target), abs=2e-3)
    else:
      assert np.sign(best) == np.sign(target)


def test_misclassification_at_bayes_classifier_is_bayes_error():
  # N(0, 1) vs N(1.5, 1), pi = 1/2: the Bayes error is Phi(-1.5 / 2).
  rng = np.random.default_rng(0)
  n = 200_000
  xp, xq = rng.normal(0, 1, n), rng.normal(1.5, 1, n)
  lp = jnp.asarray(gaussians.log_ratio(xp, 0.0, 1.0, 1.5, 1.0), jnp.float32)
  lq = jnp.asarray(gaussians.log_ratio(xq, 0.0, 1.0, 1.5, 1.0), jnp.float32)
  r, f = losses.classifier_loss(lp, lq, rule="misclassification")
  err = float(r.mean() + f.mean())
  assert err == pytest.approx(stats.norm.cdf(-0.75), abs=4 * 0.5 / np.sqrt(n))


def _features(x):
  return jnp.stack([jnp.ones_like(x), x, x * x], axis=-1)


def _fit(rule, prior, xp, xq, steps=2000):
  """Quadratic logistic model l(x) = w . (1, x, x^2), full-batch Adam."""
  opt = optax.adam(0.05)
  fp, fq = _features(xp), _features(xq)

  def loss_fn(w):
    r, f = losses.classifier_loss(fp @ w, fq @ w, rule=rule, prior=prior)
    return r.mean() + f.mean()

  def step(carry, _):
    w, s = carry
    u, s = opt.update(jax.grad(loss_fn)(w), s)
    return (optax.apply_updates(w, u), s), None

  w0 = jnp.zeros(3)
  (w, _), _ = jax.jit(lambda c: jax.lax.scan(step, c, None, length=steps))((w0, opt.init(w0)))
  return w


P, Q = (0.0, 1.0), (1.0, 1.5 ** 2)  # the true log ratio is quadratic in x


@pytest.mark.parametrize("rule,prior", [(r, 0.5) for r in STRICT] + [("bernoulli", 0.3),
                                                                    ("brier", 0.7)])
def test_trained_classifier_recovers_log_ratio(rule, prior):
  rng = np.random.default_rng(1)
  xp = jnp.asarray(rng.normal(P[0], np.sqrt(P[1]), 20_000), jnp.float32)
  xq = jnp.asarray(rng.normal(Q[0], np.sqrt(Q[1]), 20_000), jnp.float32)
  w = _fit(rule, prior, xp, xq)
  held_out = np.linspace(-1.5, 2.5, 41)  # where both densities have mass
  est = ratio.log_ratio_from_logits(_features(jnp.asarray(held_out, jnp.float32)) @ w,
                                    prior=prior)
  true = gaussians.log_ratio(held_out, *P, *Q)
  assert np.max(np.abs(np.asarray(est) - true)) < 0.1


def test_hinge_classifier_recovers_the_sign_only():
  rng = np.random.default_rng(2)
  xp = jnp.asarray(rng.normal(P[0], np.sqrt(P[1]), 20_000), jnp.float32)
  xq = jnp.asarray(rng.normal(Q[0], np.sqrt(Q[1]), 20_000), jnp.float32)
  w = _fit("hinge", 0.5, xp, xq)
  held_out = np.linspace(-3.0, 4.0, 71)
  true = gaussians.log_ratio(held_out, *P, *Q)
  est = np.asarray(_features(jnp.asarray(held_out, jnp.float32)) @ w)
  clear = np.abs(true) > 0.3  # away from the decision boundary
  assert np.mean(np.sign(est[clear]) == np.sign(true[clear])) > 0.95


def test_errors_name_the_argument_and_choices():
  with pytest.raises(ValueError, match=r"`rule`='log'.*'bernoulli'.*'spherical'"):
    losses.scoring_rule(jnp.zeros(2), 1.0, rule="log")
  with pytest.raises(ValueError, match=r"`prior`.*\(0, 1\)"):
    losses.classifier_loss(jnp.zeros(2), jnp.zeros(2), prior=1.0)
  with pytest.raises(ValueError, match="labels"):
    losses.scoring_rule(jnp.zeros(3), jnp.ones(2))
  with pytest.raises(TypeError, match="floating"):
    losses.scoring_rule(jnp.zeros(3, jnp.int32), 1.0)


def test_finite_for_extreme_logits_and_jit_vmap():
  l = jnp.array([-100.0, 100.0])
  for rule in RULES:
    if rule == "exponential":
      continue  # exp(50) is finite but huge; the rule itself is unbounded
    assert np.all(np.isfinite(losses.scoring_rule(l, 1.0, rule=rule)))
  f = jax.jit(jax.vmap(lambda a: losses.scoring_rule(a, 1.0, rule="spherical")))
  x = jnp.linspace(-3, 3, 12).reshape(3, 4)
  np.testing.assert_allclose(f(x), losses.scoring_rule(x, 1.0, rule="spherical"), rtol=1e-6)
