"""Tests for gengan_jax.metrics.critic: Gaussians with a known W1, and a
critic that memorises a tiny training set."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax.metrics import critic as critic_lib

SMALL = critic_lib.IndependentCritic(hidden=(32, 32), learning_rate=2e-3, b1=0.5)


def _gaussian_sampler(shift):
  return jax.jit(lambda k, n: jax.random.normal(k, (n, 2)) + jnp.asarray(shift),
                 static_argnums=1)


def test_estimates_w1_between_shifted_gaussians(tmp_path):
  # W1(N(0, I), N(m, I)) = ||m|| = 2 (a translation).
  rng = np.random.default_rng(0)
  train, valid = rng.standard_normal((2, 1000, 2))
  hist = critic_lib.train_independent_critic(
      train, valid, _gaussian_sampler([2.0, 0.0]), jax.random.key(0), steps=200,
      critic=SMALL, eval_every=50, eval_size=1000)
  np.testing.assert_array_equal(hist.steps, [50, 100, 150, 200])
  assert hist.train.shape == hist.valid.shape == (4,)
  # Negative estimate near -2 on both; train and valid agree (no overfitting).
  assert -2.4 < hist.valid[-1] < -1.6, hist.valid
  assert abs(hist.train[-1] - hist.valid[-1]) < 0.1
  d = hist.as_dict()
  assert d["steps"] == [50, 100, 150, 200]
  critic_lib.plot_critic_history(str(tmp_path / "critic.png"), hist)
  assert (tmp_path / "critic.png").read_bytes()[:4] == b"\x89PNG"


def test_overfitting_shows_as_a_gap():
  # The model samples the data distribution exactly, but the critic trains on
  # 8 points: it learns to score those 8 high, so -W on its training data
  # drops while -W on validation data stays near 0.
  rng = np.random.default_rng(1)
  train = rng.standard_normal((8, 2))
  valid = rng.standard_normal((1000, 2))
  hist = critic_lib.train_independent_critic(
      train, valid, _gaussian_sampler([0.0, 0.0]), jax.random.key(1), steps=300,
      critic=SMALL, eval_every=300)
  assert hist.train[-1] < hist.valid[-1] - 0.3, (hist.train, hist.valid)
  assert abs(hist.valid[-1]) < 0.15


def test_errors():
  x = np.zeros((10, 2))
  sampler = _gaussian_sampler([0.0, 0.0])
  with pytest.raises(ValueError, match="same shape"):
    critic_lib.train_independent_critic(x, np.zeros((10, 3)), sampler, jax.random.key(0), steps=1)
  with pytest.raises(ValueError, match="steps"):
    critic_lib.train_independent_critic(x, x, sampler, jax.random.key(0), steps=0)
  with pytest.raises(TypeError, match="sample_fn"):
    critic_lib.train_independent_critic(x, x, None, jax.random.key(0), steps=1)
  with pytest.raises(ValueError, match="arch"):
    critic_lib.IndependentCritic(arch="resnet")
