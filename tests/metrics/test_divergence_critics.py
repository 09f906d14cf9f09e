"""Tests for gengan_jax.metrics.divergence_critics (Im et al. 2018's four critics).

Each critic trains from scratch on data ``p = N(0, 1)`` against samples:
from ``p`` itself (every estimate near 0), and from ``q = N(2, 1)``, where
each estimate must match its divergence's closed form (by quadrature for JS
and the least-squares chi^2; ``|mu_p - mu_q|`` for W1; the supremum over
the critic's linear feature maps for the learned-kernel MMD^2).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax.metrics import critic as critic_lib
from gengan_jax.metrics import divergence_critics as dc

SHIFT = 2.0  # q = N(SHIFT, 1) against p = N(0, 1)
SMALL = critic_lib.IndependentCritic(hidden=(32, 32), learning_rate=2e-3, b1=0.5,
                                     batch_size=128)
# The MMD critic with linear features f(x) = a x + b (one feature) and one
# Gaussian bandwidth h = 4: the fixed kernel (a = 1) is far from the best one.
LINEAR = critic_lib.IndependentCritic(hidden=(), learning_rate=1e-2, b1=0.5, batch_size=128)
BANDWIDTH = 4.0
STEPS = 300
EVAL_SIZE = 1000


def _sampler(shift):
  return jax.jit(lambda k, n: jax.random.normal(k, (n, 1)) + shift, static_argnums=1)


def _data(seed):
  rng = np.random.default_rng(seed)
  return rng.standard_normal((2, EVAL_SIZE, 1))


def _linear_feature_mmd2(t, delta):
  """MMD^2 of N(0, 1) and N(delta, 1) under f(x) = a x, Gaussian kernel of
  bandwidth h, as a function of t = a / h: the features are N(0, a^2) and
  N(a delta, a^2), and E k = h / sqrt(h^2 + 2a^2) exp(-m^2 / 2(h^2 + 2a^2))
  for a difference of mean m."""
  s = 1.0 + 2.0 * t**2
  return 2.0 / np.sqrt(s) * (1.0 - np.exp(-(t * delta) ** 2 / (2.0 * s)))


def _closed_form(name):
  x = np.linspace(-12.0, 14.0, 26001)
  p = np.exp(-0.5 * x**2) / np.sqrt(2 * np.pi)
  q = np.exp(-0.5 * (x - SHIFT) ** 2) / np.sqrt(2 * np.pi)
  m = 0.5 * (p + q)
  if name == "gan":  # JS = KL(p || m) / 2 + KL(q || m) / 2
    return 0.5 * np.trapezoid(p * np.log(p / m) + q * np.log(q / m), x)
  if name == "least_squares":  # chi^2(p || m) = (1/2) int (p - q)^2 / (p + q)
    return 0.5 * np.trapezoid((p - q) ** 2 / (p + q), x)
  if name == "wasserstein_gp":  # W1 of a translation
    return SHIFT
  t = np.linspace(1e-3, 5.0, 50001)  # sup over a of the linear-feature MMD^2
  return _linear_feature_mmd2(t, SHIFT).max()


def _objective(name):
  if name == "mmd":
    return dc.critic_objective("mmd", LINEAR, feature_dim=1, bandwidths=(BANDWIDTH,)), LINEAR
  return dc.critic_objective(name, SMALL), SMALL


def test_closed_forms_by_hand():
  # The quadratures against scipy's adaptive quadrature, and Topsoe's bounds
  # between the two (IEEE Trans. Inf. Theory 2000: with Delta the triangular
  # discrimination, Delta / 2 <= 2 JS <= log(2) Delta; here chi^2 = Delta / 2).
  from scipy import integrate, stats  # pylint: disable=g-import-not-at-top
  p, q = stats.norm(0.0, 1.0).pdf, stats.norm(SHIFT, 1.0).pdf
  m = lambda x: 0.5 * (p(x) + q(x))  # noqa: E731
  js = integrate.quad(lambda x: 0.5 * (p(x) * np.log(p(x) / m(x))
                                       + q(x) * np.log(q(x) / m(x))), -12, 14)[0]
  chi2 = integrate.quad(lambda x: 0.5 * (p(x) - q(x)) ** 2 / (p(x) + q(x)), -12, 14)[0]
  np.testing.assert_allclose(_closed_form("gan"), js, rtol=1e-6)
  np.testing.assert_allclose(_closed_form("least_squares"), chi2, rtol=1e-6)
  assert 0.0 < js < np.log(2.0) and 0.0 < chi2 < 1.0
  assert chi2 <= 2 * js <= 2 * np.log(2.0) * chi2
  # Identity features (a = 1, t = 1 / h) score well below the best linear ones.
  assert _linear_feature_mmd2(1.0 / BANDWIDTH, SHIFT) < 0.5 * _closed_form("mmd")


# Tolerances: the held-out sampling noise of each estimate (1,000 examples and
# 1,000 samples) is ~0.015 for JS and chi^2, ~0.03 for MMD^2 and ~0.07 for W1; the rest is the
# critic's shortfall after 300 steps (the GAN, LS and MMD estimates are lower
# bounds in expectation), larger for the WGAN-GP critic, whose soft penalty
# leaves it off the exact 1-Lipschitz optimum (on either side).
TOLERANCE = {"gan": 0.04, "least_squares": 0.05, "wasserstein_gp": 0.2, "mmd": 0.07}


@pytest.mark.parametrize("name", list(dc.OBJECTIVES))
def test_matches_the_closed_form_on_two_gaussians(name):
  obj, settings = _objective(name)
  train, valid = _data(0)
  est = dc.estimate_divergence(obj, train, valid, _sampler(SHIFT), jax.random.key(0),
                               steps=STEPS, num_seeds=1, critic=settings, eval_size=EVAL_SIZE)
  truth = _closed_form(name)
  assert est.values.shape == (1,) and est.std == 0.0
  assert abs(est.mean - truth) < TOLERANCE[name], (name, est.values, truth)
  if name == "mmd":  # learning the kernel beat the fixed one by far
    assert est.mean > 1.5 * _linear_feature_mmd2(1.0 / BANDWIDTH, SHIFT)


# Identical distributions: 0 up to the held-out noise and the critic's fit
# to noise in its training split (which pushes the held-out estimate below 0).
NEAR_ZERO = {"gan": 0.02, "least_squares": 0.03, "wasserstein_gp": 0.1, "mmd": 0.02}


def test_identical_distributions_give_zero():
  train, valid = _data(1)
  out = {}
  for name in dc.OBJECTIVES:  # two critic seeds for one objective: the spread
    obj, settings = _objective(name)
    out[name] = dc.estimate_divergence(obj, train, valid, _sampler(0.0), jax.random.key(1),
                                       steps=STEPS // 2, num_seeds=2 if name == "gan" else 1,
                                       critic=settings, eval_size=EVAL_SIZE)
  for name, est in out.items():
    assert abs(est.mean) < NEAR_ZERO[name], (name, est.values)
    assert np.all(np.abs(est.values) < 2 * NEAR_ZERO[name]), (name, est.values)
  gan = out["gan"]
  assert gan.values.shape == (2,) and gan.values[0] != gan.values[1]
  assert np.isclose(gan.mean, gan.values.mean())
  assert np.isclose(gan.std, gan.values.std(ddof=1))
  d = gan.as_dict()
  assert d["loss_pair"] == "minimax" and d["steps"] == STEPS // 2 and len(d["values"]) == 2


def test_mmd_kernel_is_the_mean_of_its_gaussians():
  # The estimate read off the features: the unbiased MMD^2 of the mean of
  # the Gaussian kernels, so two far-apart tight clusters score its bound, 2.
  import functools  # pylint: disable=g-import-not-at-top
  from gengan_jax import losses  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(3)
  u, v = rng.standard_normal((2, 50, 3))
  obj = dc.critic_objective("mmd", bandwidths=(0.5, 2.0))
  per_h = [float(losses.mmd2(u, v, functools.partial(losses.gaussian_kernel, bandwidth=h)))
           for h in (0.5, 2.0)]
  np.testing.assert_allclose(obj.estimate(u, v), np.mean(per_h), rtol=1e-4, atol=1e-6)
  np.testing.assert_allclose(obj.estimate(1e-3 * u, 10 + 1e-3 * v), 2.0, atol=1e-4)


def test_mmd_critic_features_on_images():
  # The image feature map: a BN-free DCGAN critic's last conv map, then a
  # linear layer to the features; each example's features its own.
  settings = critic_lib.IndependentCritic(arch="dcgan", base_features=4, batch_size=8)
  module = dc.critic_objective("mmd", settings, feature_dim=5).make((28, 28, 1))
  params = module.init(jax.random.key(0), jnp.zeros((2, 28, 28, 1)), train=False)
  assert set(params) == {"params"}  # no batch norm statistics
  x = jax.random.uniform(jax.random.key(1), (3, 28, 28, 1), minval=-1.0)
  f = module.apply(params, x, train=False)
  assert f.shape == (3, 5)
  np.testing.assert_allclose(module.apply(params, x[:1], train=False), f[:1], rtol=1e-5,
                             atol=1e-6)


def test_errors():
  x = np.zeros((10, 1))
  with pytest.raises(ValueError, match="objective='hinge'.*'gan'"):
    dc.critic_objective("hinge")
  with pytest.raises(ValueError, match="bandwidths"):
    dc.critic_objective("mmd", bandwidths=(1.0, 0.0))
  with pytest.raises(ValueError, match="num_seeds"):
    dc.estimate_divergence("gan", x, x, _sampler(0.0), jax.random.key(0), steps=1, num_seeds=0)
  with pytest.raises(ValueError, match="objective='js'"):
    dc.estimate_divergences(x, x, _sampler(0.0), jax.random.key(0), steps=1, objectives=("js",))
  with pytest.raises(ValueError, match="steps"):
    dc.estimate_divergence("gan", x, x, _sampler(0.0), jax.random.key(0), steps=0)
