"""One-sided GP, DRAGAN, R1, R2 and weight clipping on critics with known
gradient fields; under jit, vmap and sharded inputs."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gengan_jax import losses
from gengan_jax.train import mesh as mesh_lib

A = jnp.array([0.6, -1.2, 0.4])  # linear critic f(x) = a . x, gradient a


def linear(x):
  return x @ A


def quadratic(x):  # f(x) = |x|^2 / 2 per example, gradient x
  return 0.5 * jnp.sum(x * x, axis=-1)


def _data(seed=0, n=8):
  rng = np.random.default_rng(seed)
  return (jnp.asarray(rng.normal(size=(n, 3)), jnp.float32),
          jnp.asarray(rng.normal(size=(n, 3)) + 1.0, jnp.float32))


def test_linear_critic_penalties():
  real, fake = _data()
  norm = float(jnp.linalg.norm(A))  # 1.4
  key = jax.random.key(0)
  np.testing.assert_allclose(losses.gradient_penalty(linear, real, fake, key),
                             np.full(8, (norm - 1) ** 2), rtol=1e-5)
  np.testing.assert_allclose(
      losses.gradient_penalty(linear, real, fake, key, target_norm=2.0, one_sided=True),
      np.zeros(8), atol=1e-7)  # norm 1.4 < 2: nothing to penalise one-sidedly
  np.testing.assert_allclose(
      losses.gradient_penalty(linear, real, fake, key, target_norm=2.0),
      np.full(8, (norm - 2) ** 2), rtol=1e-5)
  np.testing.assert_allclose(losses.r1_penalty(linear, real), np.full(8, norm ** 2), rtol=1e-6)
  np.testing.assert_allclose(losses.r2_penalty(linear, fake), np.full(8, norm ** 2), rtol=1e-6)
  np.testing.assert_allclose(losses.dragan_penalty(linear, real, key),
                             np.full(8, (norm - 1) ** 2), rtol=1e-5)


def test_quadratic_critic_penalties_at_their_points():
  real, fake = _data()
  key = jax.random.key(3)
  x_hat = losses.interpolate(real, fake, key)
  n = np.linalg.norm(np.asarray(x_hat), axis=1)
  np.testing.assert_allclose(losses.gradient_penalty(quadratic, real, fake, key, one_sided=True),
                             np.maximum(n - 1, 0) ** 2, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(losses.r1_penalty(quadratic, real),
                             np.sum(np.asarray(real) ** 2, axis=1), rtol=1e-6)
  np.testing.assert_allclose(losses.r2_penalty(quadratic, fake),
                             np.sum(np.asarray(fake) ** 2, axis=1), rtol=1e-6)
  for method in losses.DRAGAN_METHODS:
    xp = losses.dragan_perturb(real, key, method=method, scale=0.3)
    np.testing.assert_allclose(
        losses.dragan_penalty(quadratic, real, key, method=method, scale=0.3),
        (np.linalg.norm(np.asarray(xp), axis=1) - 1) ** 2, rtol=1e-5, atol=1e-6)


def test_dragan_perturbations_have_the_stated_distribution():
  rng = np.random.default_rng(1)
  real = jnp.asarray(rng.normal(size=(4096, 3)) * 2.0, jnp.float32)
  key = jax.random.key(1)
  # Uniform: x <= x_hat <= x + c std(x), and on average x + c std / 4.
  xu = np.asarray(losses.dragan_perturb(real, key, method="uniform", scale=0.5))
  delta = xu - np.asarray(real)
  bound = 0.5 * float(np.std(np.asarray(real)))
  assert np.all(delta >= -1e-6) and np.all(delta <= bound + 1e-5)
  assert delta.mean() == pytest.approx(bound / 4, rel=0.05)
  # Gaussian: x_hat - x ~ N(0, scale^2 I).
  xg = np.asarray(losses.dragan_perturb(real, key, method="gaussian", scale=0.7))
  d = xg - np.asarray(real)
  assert d.mean() == pytest.approx(0.0, abs=0.03)
  assert d.std() == pytest.approx(0.7, rel=0.03)


def test_penalties_train_the_critic_parameters():
  real, fake = _data()
  def pen(w):
    critic = lambda x: x @ w
    return losses.r1_penalty(critic, real).mean()
  w = jnp.array([1.0, 2.0, -0.5])
  # d/dw |w|^2 = 2 w for a linear critic.
  np.testing.assert_allclose(jax.grad(pen)(w), 2 * w, rtol=1e-6)


def test_jit_vmap_and_sharding():
  real, fake = _data(n=16)
  key = jax.random.key(4)
  fns = {
      "gp": lambda r, f, k: losses.gradient_penalty(quadratic, r, f, k),
      "gp1": lambda r, f, k: losses.gradient_penalty(quadratic, r, f, k, one_sided=True),
      "dragan": lambda r, f, k: losses.dragan_penalty(quadratic, r, k, method="gaussian"),
      "r1": lambda r, f, k: losses.r1_penalty(quadratic, r),
      "r2": lambda r, f, k: losses.r2_penalty(quadratic, f),
  }
  mesh = mesh_lib.make_mesh()
  sh = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec(mesh_lib.DATA_AXIS))
  for name, fn in fns.items():
    want = fn(real, fake, key)
    np.testing.assert_allclose(jax.jit(fn)(real, fake, key), want, rtol=1e-5, err_msg=name)
    got = jax.jit(fn)(jax.device_put(real, sh), jax.device_put(fake, sh), key)
    np.testing.assert_allclose(got, want, rtol=1e-5, err_msg=name)
    # vmap over a leading axis of 2 batches of 8.
    batched = jax.vmap(fn, in_axes=(0, 0, None))(real.reshape(2, 8, 3), fake.reshape(2, 8, 3), key)
    assert batched.shape == (2, 8)
    if name in ("r1", "r2"):
      np.testing.assert_allclose(batched.reshape(-1), want, rtol=1e-6, err_msg=name)


def test_dragan_errors():
  real, _ = _data()
  with pytest.raises(ValueError, match=r"`method`='normal'.*'uniform', 'gaussian'"):
    losses.dragan_perturb(real, jax.random.key(0), method="normal")
  with pytest.raises(ValueError, match="`scale`"):
    losses.dragan_perturb(real, jax.random.key(0), scale=-1.0)


def test_clip_weights_keeps_parameters_in_the_box():
  params = {"w": jnp.array([0.005, -0.2, 0.3]), "b": jnp.array(0.0)}
  grads = {"w": jnp.array([-1.0, 0.5, 2.0]), "b": jnp.array(-3.0)}
  tx = optax.chain(optax.sgd(0.01), losses.clip_weights(0.01))
  state = tx.init(params)
  updates, state = jax.jit(tx.update)(grads, state, params)
  new = optax.apply_updates(params, updates)
  # sgd: w - 0.01 g = [0.015, -0.205, 0.28], b = 0.03; then clip to [-0.01, 0.01].
  np.testing.assert_allclose(new["w"], [0.01, -0.01, 0.01], rtol=1e-6)
  np.testing.assert_allclose(new["b"], 0.01, rtol=1e-6)
  small = {"w": jnp.array([1e-4, 0.0, 0.0]), "b": jnp.array(0.0)}
  updates, _ = tx.update(small, state, {"w": jnp.zeros(3), "b": jnp.array(0.0)})
  np.testing.assert_allclose(updates["w"], [-1e-6, 0.0, 0.0], rtol=1e-5)  # inside: unchanged


def test_clip_weights_errors():
  with pytest.raises(ValueError, match="`clip`"):
    losses.clip_weights(0.0)
  tx = losses.clip_weights(0.1)
  with pytest.raises(ValueError, match="needs `params`"):
    tx.update({"w": jnp.zeros(2)}, tx.init({"w": jnp.zeros(2)}))
