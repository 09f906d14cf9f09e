"""Bregman ratio matching: the loss is BR_f up to a constant, its population
minimiser is the true ratio, and fitted models recover a Gaussian log ratio."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gengan_jax import losses
from tests.losses import gaussians

GENERATORS = list(losses.BREGMAN_GENERATORS)

F = {  # the Bregman generator f, and f', in numpy
    "lsif": (lambda u: 0.5 * (u - 1) ** 2, lambda u: u - 1),
    "kl": (lambda u: u * np.log(u) - u, np.log),
    "logistic": (lambda u: u * np.log(u) - (1 + u) * np.log(1 + u),
                 lambda u: np.log(u / (1 + u))),
}


@pytest.mark.parametrize("f", GENERATORS)
def test_loss_is_bregman_divergence_up_to_a_constant(f):
  # For densities on a grid, E_q[BR_f(r*, r)] = loss + E_q[f(r*)].
  fn, fprime = F[f]
  x = np.linspace(-9, 9, 9001)
  dx = x[1] - x[0]
  p = np.exp(-0.5 * x ** 2) / np.sqrt(2 * np.pi)
  q = np.exp(-0.5 * ((x - 0.5) / 1.2) ** 2) / (1.2 * np.sqrt(2 * np.pi))
  r_true = p / q
  s_model = jnp.asarray(0.3 * np.sin(x) + np.log(r_true) * 0.8, jnp.float32)
  r = np.exp(np.asarray(s_model, np.float64))
  bregman = np.sum(q * (fn(r_true) - fn(r) - fprime(r) * (r_true - r))) * dx
  pt, qt = losses.bregman_ratio_loss(s_model, s_model, f=f)
  loss = (np.sum(p * np.asarray(pt, np.float64)) + np.sum(q * np.asarray(qt, np.float64))) * dx
  const = np.sum(q * fn(r_true)) * dx
  assert loss + const == pytest.approx(bregman, rel=1e-4, abs=1e-4)
  assert bregman > 0


@pytest.mark.parametrize("f", GENERATORS)
def test_population_minimiser_is_the_ratio(f):
  grid = jnp.linspace(-6.0, 6.0, 12001)
  pt, qt = losses.bregman_ratio_loss(grid, grid, f=f)
  for a, b in [(0.3, 0.1), (0.05, 0.2), (0.4, 0.35)]:
    best = float(grid[np.argmin(np.asarray(a * pt + b * qt))])
    assert best == pytest.approx(np.log(a / b), abs=2e-3)


def test_logistic_is_the_bernoulli_scoring_rule():
  s_p, s_q = jnp.array([0.3, -1.0]), jnp.array([2.0, 0.1, -0.5])
  pt, qt = losses.bregman_ratio_loss(s_p, s_q, f="logistic")
  r, fk = losses.classifier_loss(s_p, s_q, rule="bernoulli", prior=0.5)
  np.testing.assert_allclose(pt, 2 * r, rtol=1e-6)
  np.testing.assert_allclose(qt, 2 * fk, rtol=1e-6)


P, Q = (0.0, 1.0), (1.0, 1.5 ** 2)


@pytest.mark.parametrize("f", GENERATORS)
def test_fitted_ratio_model_recovers_log_ratio(f):
  rng = np.random.default_rng(0)
  xp = jnp.asarray(rng.normal(P[0], np.sqrt(P[1]), 20_000), jnp.float32)
  xq = jnp.asarray(rng.normal(Q[0], np.sqrt(Q[1]), 20_000), jnp.float32)
  feats = lambda x: jnp.stack([jnp.ones_like(x), x, x * x], axis=-1)
  fp, fq = feats(xp), feats(xq)
  opt = optax.adam(0.02)

  def loss_fn(w):
    pt, qt = losses.bregman_ratio_loss(fp @ w, fq @ w, f=f)
    return pt.mean() + qt.mean()

  def step(carry, _):
    w, s = carry
    u, s = opt.update(jax.grad(loss_fn)(w), s)
    return (optax.apply_updates(w, u), s), None

  w0 = jnp.zeros(3)
  (w, _), _ = jax.jit(lambda c: jax.lax.scan(step, c, None, length=3000))((w0, opt.init(w0)))
  held_out = np.linspace(-1.5, 2.5, 41)
  est = np.asarray(feats(jnp.asarray(held_out, jnp.float32)) @ w)
  assert np.max(np.abs(est - gaussians.log_ratio(held_out, *P, *Q))) < 0.1


def test_unknown_generator_is_rejected():
  with pytest.raises(ValueError, match=r"`f`='ulsif'.*'lsif', 'kl', 'logistic'"):
    losses.bregman_ratio_loss(jnp.zeros(2), jnp.zeros(2), f="ulsif")
