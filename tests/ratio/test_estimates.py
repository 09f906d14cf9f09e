"""Ratio and divergence estimates from classifiers, f-GAN critics and ratio
models, against Gaussian closed forms."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gengan_jax import losses, ratio
from tests.losses import gaussians

M0, S0 = np.zeros(2), np.eye(2)
M1, S1 = np.array([0.8, -0.4]), np.diag([1.5, 0.6])


def _samples(n, seed):
  rng = np.random.default_rng(seed)
  xp = rng.multivariate_normal(M0, S0, n)
  xq = rng.multivariate_normal(M1, S1, n)
  return xp, xq


def test_log_ratio_from_logits_undoes_the_prior():
  s = np.array([-2.0, 0.0, 1.5])
  for prior in (0.5, 0.2, 0.9):
    logits = s + np.log(prior / (1 - prior))
    np.testing.assert_allclose(ratio.log_ratio_from_logits(jnp.asarray(logits), prior=prior),
                               s, rtol=1e-5, atol=1e-6)
    d = 1 / (1 + np.exp(-logits))
    np.testing.assert_allclose(ratio.ratio_from_logits(jnp.asarray(logits), prior=prior),
                               (1 - prior) / prior * d / (1 - d), rtol=1e-5)


def test_estimates_at_the_true_log_ratio_match_closed_forms():
  n = 400_000
  xp, xq = _samples(n, 0)
  sp = jnp.asarray(gaussians.log_ratio(xp, M0, S0, M1, S1), jnp.float32)
  sq = jnp.asarray(gaussians.log_ratio(xq, M0, S0, M1, S1), jnp.float32)
  kl = gaussians.kl(M0, S0, M1, S1)
  rkl = gaussians.kl(M1, S1, M0, S0)
  js = gaussians.divergence("jensen_shannon", M0, S0, M1, S1) / 2
  se = lambda v: 4 * np.std(np.asarray(v)) / np.sqrt(n)
  assert float(ratio.kl_estimate(sp)) == pytest.approx(kl, abs=se(sp))
  assert float(ratio.reverse_kl_estimate(sq)) == pytest.approx(rkl, abs=se(sq))
  assert float(ratio.js_estimate(sp, sq)) == pytest.approx(js, abs=0.005)
  # Shifting the logits by the prior's log-odds leaves the estimates alone.
  assert float(ratio.kl_estimate(sp + np.log(0.25 / 0.75), prior=0.25)) == pytest.approx(
      float(ratio.kl_estimate(sp)), abs=1e-5)
  for name in ("kl", "reverse_kl", "squared_hellinger", "jensen_shannon", "total_variation"):
    est = float(ratio.f_divergence_estimate(sq, divergence=name))
    assert est == pytest.approx(gaussians.divergence(name, M0, S0, M1, S1), abs=0.01), name


def test_variational_estimate_is_minus_the_critic_loss():
  v_real, v_fake = jnp.array([0.3, 1.2, -0.4]), jnp.array([-1.0, 0.2])
  for name in losses.DIVERGENCES:
    real, fake = losses.fgan_critic_loss(v_real, v_fake, divergence=name)
    assert float(ratio.variational_estimate(v_real, v_fake, divergence=name)) == pytest.approx(
        -(float(real.mean()) + float(fake.mean())), rel=1e-6)


def test_trained_classifier_estimates_kl_and_js():
  """The docs' worked example: a quadratic logistic classifier on 2-D samples."""
  xp, xq = _samples(20_000, 1)
  tp, tq = _samples(20_000, 2)  # held out

  def feats(x):
    x = jnp.asarray(x, jnp.float32)
    return jnp.concatenate([jnp.ones((len(x), 1)), x, x ** 2, x[:, :1] * x[:, 1:]], axis=1)

  fp, fq = feats(xp), feats(xq)
  opt = optax.adam(0.05)

  def loss_fn(w):
    r, f = losses.classifier_loss(fp @ w, fq @ w)
    return r.mean() + f.mean()

  def step(carry, _):
    w, s = carry
    u, s = opt.update(jax.grad(loss_fn)(w), s)
    return (optax.apply_updates(w, u), s), None

  w0 = jnp.zeros(6)
  (w, _), _ = jax.jit(lambda c: jax.lax.scan(step, c, None, length=2000))((w0, opt.init(w0)))
  kl = float(ratio.kl_estimate(feats(tp) @ w))
  js = float(ratio.js_estimate(feats(tp) @ w, feats(tq) @ w))
  assert kl == pytest.approx(gaussians.kl(M0, S0, M1, S1), rel=0.05)
  assert js == pytest.approx(gaussians.divergence("jensen_shannon", M0, S0, M1, S1) / 2, rel=0.05)
