"""fgan, gmmn, mmd_gan and gan_penalty: options, errors and a learning check.

(Sharded smoke tests and 1-vs-8-device checks for every registered algorithm
are in test_smoke.py and test_sharding.py.)
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import algorithms, losses
from tests.algorithms.helpers import tiny_config, tiny_data


def _one_step(name, **overrides):
  module, cfg = tiny_config(name, **overrides)
  data = tiny_data("mlp", module.num_batches(cfg))
  state = module.init(jax.random.key(0), cfg, data[0])
  new, metrics = jax.jit(module.train_step)(state, data, jax.random.key(1))
  for k, v in metrics.items():
    assert np.isfinite(float(v)), (name, overrides, k)
  return state, new, metrics


@pytest.mark.parametrize("divergence", losses.DIVERGENCES)
def test_fgan_every_divergence_steps(divergence):
  _one_step("fgan", critic_divergence=divergence, generator_loss="saturating")


@pytest.mark.parametrize("critic,generator", [("gan", "reverse_kl"), ("kl", "jensen_shannon"),
                                              ("pearson", "total_variation")])
def test_fgan_separate_critic_and_generator_divergences(critic, generator):
  _one_step("fgan", critic_divergence=critic, generator_divergence=generator)


def test_fgan_gan_divergence_is_the_non_saturating_gan():
  # With critic 'gan' and the non-saturating loss, one step equals DCGAN's
  # step with one generator update (same keys, same networks).
  f_mod, f_cfg = tiny_config("fgan", critic_divergence="gan")
  d_mod, d_cfg = tiny_config("dcgan", generator_updates=1)
  data = tiny_data("mlp", 1)
  fs = f_mod.init(jax.random.key(0), f_cfg, data[0])
  ds = d_mod.init(jax.random.key(0), d_cfg, data[0])
  # Same keys by role: fgan names its first network 'critic', dcgan 'discriminator'.
  fk, dk = (jax.random.key(1),) * 2
  fs2, fm = f_mod.train_step(fs, data, fk)
  ds2, dm = d_mod.train_step(ds, data, dk)
  assert float(fm["critic_loss"]) == pytest.approx(float(dm["discriminator_loss"]), rel=1e-5)


def test_fgan_config_errors_name_the_choices():
  with pytest.raises(algorithms.ConfigError, match="critic_divergence='chi'.*'kl'"):
    tiny_config("fgan", critic_divergence="chi")
  with pytest.raises(algorithms.ConfigError, match="total_variation"):
    tiny_config("fgan", critic_divergence="total_variation", generator_divergence="kl")
  with pytest.raises(algorithms.ConfigError, match="generator_loss='minimax'"):
    tiny_config("fgan", generator_loss="minimax")


@pytest.mark.parametrize("penalty", ["none", "wgan_gp", "wgan_gp_one_sided", "dragan", "r1", "r2"])
def test_gan_penalty_every_penalty_steps(penalty):
  _, _, metrics = _one_step("gan_penalty", penalty=penalty)
  if penalty == "none":
    assert float(metrics["penalty"]) == 0.0
  elif penalty == "wgan_gp_one_sided":  # zero while every gradient norm is below 1
    assert float(metrics["penalty"]) >= 0.0
  else:
    assert float(metrics["penalty"]) > 0.0


def test_gan_penalty_discriminator_has_no_batch_norm_with_a_penalty():
  data = tiny_data("dcgan", 1)
  for penalty, has_bn in (("r1", False), ("none", True)):
    module, cfg = tiny_config("gan_penalty", "dcgan", penalty=penalty)
    state = module.init(jax.random.key(0), cfg, data[0])
    assert bool(state.discriminator.batch_stats) == has_bn


def test_gan_penalty_r1_metric_is_the_mean_squared_gradient_norm():
  module, cfg = tiny_config("gan_penalty", penalty="r1")
  data = tiny_data("mlp", 1)
  state = module.init(jax.random.key(0), cfg, data[0])
  _, metrics = module.train_step(state, data, jax.random.key(1))
  D = state.discriminator
  critic = lambda x: D.apply_fn({"params": D.params}, x, train=True)
  grads = jax.vmap(jax.grad(lambda x: critic(x[None])[0]))(jnp.asarray(data[0]))
  assert float(metrics["penalty"]) == pytest.approx(float(jnp.mean(jnp.sum(grads ** 2, -1))),
                                                    rel=1e-4)


def test_mmd_gan_critic_stays_clipped():
  module, cfg = tiny_config("mmd_gan", clip=0.05, n_critic=2)
  data = tiny_data("mlp", 2)
  state = module.init(jax.random.key(0), cfg, data[0])
  step = jax.jit(module.train_step)
  for i in range(3):
    state, _ = step(state, data, jax.random.key(i))
  leaves = jax.tree.leaves(state.critic.params)
  assert max(float(jnp.max(jnp.abs(p))) for p in leaves) <= 0.05 + 1e-7
  assert any(float(jnp.max(jnp.abs(p))) == pytest.approx(0.05) for p in leaves)


def test_mmd_gan_rejects_wrong_number_of_batches():
  module, cfg = tiny_config("mmd_gan", n_critic=3)
  data = tiny_data("mlp", 3)
  state = module.init(jax.random.key(0), cfg, data[0])
  with pytest.raises(ValueError, match="n_critic=3 needs 3"):
    module.train_step(state, data[:2], jax.random.key(1))


def test_gmmn_config_errors():
  with pytest.raises(algorithms.ConfigError, match="kernel='laplace'"):
    tiny_config("gmmn", kernel="laplace")
  with pytest.raises(algorithms.ConfigError, match="kernel_scales"):
    tiny_config("gmmn", kernel_scales=(1.0, -1.0))


LEARN = {  # overrides that make each learn a shifted Gaussian in a few hundred steps
    "fgan": dict(critic_divergence="jensen_shannon",
                 generator_optimizer=dict(learning_rate=2e-3, b1=0.5, b2=0.9),
                 critic_optimizer=dict(learning_rate=2e-3, b1=0.5, b2=0.9)),
    "gmmn": dict(kernel_scales=(0.5, 1.0, 2.0),
                 generator_optimizer=dict(learning_rate=5e-3, b1=0.5, b2=0.9)),
    "mmd_gan": dict(n_critic=1, clip=0.5, kernel_scales=(0.5, 1.0, 2.0),
                    generator_optimizer=dict(learning_rate=5e-3, b1=0.5, b2=0.9),
                    critic_optimizer=dict(learning_rate=5e-3, b1=0.5, b2=0.9)),
    "gan_penalty": dict(penalty="r1", penalty_weight=1.0,
                        generator_optimizer=dict(learning_rate=2e-3, b1=0.5, b2=0.9),
                        discriminator_optimizer=dict(learning_rate=2e-3, b1=0.5, b2=0.9)),
}


@pytest.mark.parametrize("name", sorted(LEARN))
def test_learns_a_shifted_gaussian(name):
  """Data N((1.5, -1), 0.2^2 I); the samples' mean must move there."""
  module, cfg = tiny_config(name, **LEARN[name])
  k = module.num_batches(cfg)
  target = np.array([1.5, -1.0], np.float32)
  rng = np.random.default_rng(0)
  steps = 400
  data = (target + 0.2 * rng.normal(size=(steps, k, 64, 2))).astype(np.float32)
  state = module.init(jax.random.key(0), cfg, data[0, 0])
  before = np.asarray(module.sample(state, jax.random.key(9), 512)).mean(0)

  def body(state, inputs):
    batch, i = inputs
    return module.train_step(state, batch, jax.random.fold_in(jax.random.key(1), i))[0], None

  state, _ = jax.jit(lambda s, d: jax.lax.scan(body, s, (d, jnp.arange(steps))))(state, data)
  after = np.asarray(module.sample(state, jax.random.key(9), 512)).mean(0)
  assert np.linalg.norm(after - target) < 0.3 < np.linalg.norm(before - target), (before, after)
