"""fgan, gmmn, mmd_gan and gan_penalty: options, errors and a learning check.

(Sharded smoke tests and 1-vs-8-device checks for every registered algorithm
are in test_smoke.py and test_sharding.py.)
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import algorithms, losses
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys
from gengan_jax.ratio import moment_matching
from tests.algorithms.helpers import tiny_config, tiny_data


def _one_step(name, **overrides):
  module, cfg = tiny_config(name, **overrides)
  data = tiny_data("mlp", module.num_batches(cfg))
  state = module.init(jax.random.key(0), cfg, data[0])
  new, metrics = jax.jit(module.train_step)(state, data, jax.random.key(1))
  for k, v in metrics.items():
    assert np.isfinite(float(v)), (name, overrides, k)
  return state, new, metrics


def _apply(net, x):
  """A network's output in training mode (batch statistics), its state unchanged."""
  if not net.batch_stats:
    return net.apply_fn({"params": net.params}, x, train=True)
  out, _ = net.apply_fn({"params": net.params, "batch_stats": net.batch_stats}, x,
                        train=True, mutable=["batch_stats"])
  return out


def _first_step_keys(num):
  """The keys of a first step with key(1), by role: split(fold_in(key(1), 0), num)."""
  return jax.random.split(jax.random.fold_in(jax.random.key(1), 0), num)


def _changed(before, after):
  return any(not np.array_equal(a, b) for a, b in
             zip(jax.tree.leaves(before.params), jax.tree.leaves(after.params), strict=True))


def _fgan_recomputed(state, new):
  """fgan's first step recomputed from its networks (``_one_step``'s data and keys).

  Returns:
    ``(bound, v)``: the variational bound of the initial critic on the data and
    on the initial generator's samples (the critic's role key), with
    ``f*(g_f(v))`` composed from ``f_conjugate`` and ``output_activation``
    rather than the closed form the loss uses; and the updated critic's
    outputs on the samples the generator update sees (its role key, folded
    with update 0).
  """
  cfg = state.config
  x = tiny_data("mlp", 1)[0]
  n, div = len(x), cfg.critic_divergence
  k_critic, k_generator = _first_step_keys(2)
  x_fake = _apply(state.generator, jax.random.normal(k_critic, (n, cfg.latent_dim)))
  real_v, fake_v = _apply(state.discriminator, x), _apply(state.discriminator, x_fake)
  bound = (jnp.mean(losses.output_activation(real_v, div))
           - jnp.mean(losses.f_conjugate(losses.output_activation(fake_v, div), div)))
  z = jax.random.normal(jax.random.fold_in(k_generator, 0), (n, cfg.latent_dim))
  return float(bound), _apply(new.discriminator, _apply(state.generator, z))


@pytest.mark.parametrize("divergence", losses.DIVERGENCES)
def test_fgan_every_divergence_steps(divergence):
  state, new, metrics = _one_step("fgan", critic_divergence=divergence,
                                  generator_loss="saturating")
  bound, v = _fgan_recomputed(state, new)
  # The critic minimises -F: its loss and the reported estimate are -F and F of
  # the initial critic on this step's batch.
  np.testing.assert_allclose(metrics["divergence_estimate"], bound, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(metrics["discriminator_loss"], -bound, rtol=1e-5, atol=1e-6)
  # The saturating generator loss -f*(g_f(V(G(z)))), with the updated critic.
  expected = -jnp.mean(losses.f_conjugate(losses.output_activation(v, divergence), divergence))
  np.testing.assert_allclose(metrics["generator_loss"], expected, rtol=1e-5, atol=1e-6)
  assert _changed(state.discriminator, new.discriminator)
  assert _changed(state.generator, new.generator)


@pytest.mark.parametrize("critic,generator", [("gan", "reverse_kl"), ("kl", "jensen_shannon"),
                                              ("pearson", "total_variation")])
def test_fgan_separate_critic_and_generator_divergences(critic, generator):
  state, new, metrics = _one_step("fgan", critic_divergence=critic,
                                  generator_divergence=generator)
  bound, v = _fgan_recomputed(state, new)
  np.testing.assert_allclose(metrics["divergence_estimate"], bound, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(metrics["discriminator_loss"], -bound, rtol=1e-5, atol=1e-6)
  # The generator reads the critic's output as a log ratio and minimises the
  # non-saturating loss -f'(r) of its own divergence, which differs (by
  # 0.24-0.67 here) from the critic divergence's own loss -g_f(v).
  expected = -jnp.mean(losses.optimal_critic(losses.log_ratio_from_critic(v, critic), generator))
  np.testing.assert_allclose(metrics["generator_loss"], expected, rtol=1e-5, atol=1e-6)
  assert abs(float(expected) + float(jnp.mean(losses.output_activation(v, critic)))) > 0.1
  assert _changed(state.discriminator, new.discriminator)
  # TV's f'(r) = sign(r - 1) / 2 is piecewise constant: its gradient is 0, and
  # Adam leaves the generator where it was; the others move it.
  assert _changed(state.generator, new.generator) == (generator != "total_variation")


def test_fgan_config_errors_name_the_choices():
  with pytest.raises(algorithms.ConfigError, match="critic_divergence='chi'.*'kl'"):
    tiny_config("fgan", critic_divergence="chi")
  with pytest.raises(algorithms.ConfigError, match="total_variation"):
    tiny_config("fgan", critic_divergence="total_variation", generator_divergence="kl")
  with pytest.raises(algorithms.ConfigError, match="generator_loss='minimax'"):
    tiny_config("fgan", generator_loss="minimax")


def _gradient_norms_at_interpolates(state):
  """||grad D|| of gan_penalty's initial critic where its first step's GP is taken."""
  cfg = state.config
  x = tiny_data("mlp", 1)[0]
  k_fake, k_penalty, _ = _first_step_keys(3)  # discriminator, penalty, generator
  x_fake = _apply(state.generator, jax.random.normal(k_fake, (len(x), cfg.latent_dim)))
  eps = jax.random.uniform(k_penalty, (len(x), 1))
  x_hat = eps * x + (1 - eps) * x_fake
  D = state.discriminator
  grads = jax.vmap(jax.grad(lambda xi: _apply(D, xi[None])[0]))(x_hat)
  return jnp.linalg.norm(grads, axis=-1)


@pytest.mark.parametrize("penalty", ["none", "wgan_gp", "wgan_gp_one_sided", "dragan", "r1", "r2"])
def test_gan_penalty_every_penalty_steps(penalty):
  state, _, metrics = _one_step("gan_penalty", penalty=penalty)
  if penalty == "none":
    # No penalty term: the step is the family's plain non-saturating GAN,
    # which reports no penalty metrics (its state equals 'gan' with the same
    # settings: tests/algorithms/test_gan_family.py).
    assert "gradient_penalty" not in metrics and "gan_loss" not in metrics
    assert 0.0 < float(metrics["d_real"]) < 1.0 and 0.0 < float(metrics["d_fake"]) < 1.0
  elif penalty == "wgan_gp_one_sided":
    # The gradient norms of the initial critic at this step's interpolates
    # eps x + (1 - eps) G(z) (eps from the penalty's role key), recomputed.
    # They are all below the target 1 (0.09-0.95): the one-sided penalty
    # max(0, norm - t)^2 is exactly 0, the two-sided one is not. With t = 0.5
    # some exceed it: the penalty is their mean, between 0 and the two-sided.
    norms = _gradient_norms_at_interpolates(state)
    assert float(norms.max()) < 1.0
    assert float(metrics["gradient_penalty"]) == 0.0
    _, _, two_sided = _one_step("gan_penalty", penalty="wgan_gp")
    np.testing.assert_allclose(two_sided["gradient_penalty"], jnp.mean((norms - 1.0) ** 2),
                               rtol=1e-4)
    _, _, one_sided = _one_step("gan_penalty", penalty=penalty, target_norm=0.5)
    _, _, two_sided = _one_step("gan_penalty", penalty="wgan_gp", target_norm=0.5)
    np.testing.assert_allclose(one_sided["gradient_penalty"],
                               jnp.mean(jnp.maximum(norms - 0.5, 0.0) ** 2), rtol=1e-4)
    assert 0.0 < float(one_sided["gradient_penalty"]) < float(two_sided["gradient_penalty"])
  else:
    assert float(metrics["gradient_penalty"]) > 0.0


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
  assert float(metrics["gradient_penalty"]) == pytest.approx(
      float(jnp.mean(jnp.sum(grads ** 2, -1))), rel=1e-4)


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
  with pytest.raises(ValueError, match="n_critic=3 takes 3 per step"):
    module.train_step(state, data[:2], jax.random.key(1))


def test_mmd_gan_packed_critic_embeds_m_samples_at_once():
  """With ``pack=3`` the critic's MMD^2 is between the features of 3 data batches and of 3
  batches of G's samples, each concatenated feature-wise (recomputed here by hand), and the
  generator's is the same with the updated critic and the generator's draws."""
  sizable = dict(clip=1.0, kernel_scales=(0.1, 0.5))  # clip 0.01 leaves MMD^2 ~ 1e-10
  module, cfg = tiny_config("mmd_gan", n_critic=2, pack=3, **sizable)
  assert module.num_batches(cfg) == 6
  data = tiny_data("mlp", 6)
  state = module.init(jax.random.key(0), cfg, data[0])
  assert any(leaf.shape[0] == 6 for leaf in jax.tree.leaves(state.critic.params))  # 3 x 2
  new, metrics = jax.jit(module.train_step)(state, data, jax.random.key(1))
  keys = step_keys(jax.random.key(1), state.step, "critic", "generator")
  kernel = moment_matching.make_kernel(cfg.kernel, cfg.kernel_scales)

  def mmd2(critic, real_batches, z_key, generator):
    samples = np.asarray(ts.forward(generator, gaussian_prior(z_key, 3 * 8, cfg.latent_dim)))
    real = np.concatenate(list(real_batches), axis=-1)
    fake = np.concatenate(np.split(samples, 3), axis=-1)
    return losses.mmd2(ts.forward(critic, real), ts.forward(critic, fake), kernel, unbiased=True)

  # The second critic update's loss is on the critic after the first: check the first
  # update through a one-update step, the generator's through this one.
  one, one_cfg = tiny_config("mmd_gan", n_critic=1, pack=3, **sizable)
  state1 = one.init(jax.random.key(0), one_cfg, data[0])
  _, metrics1 = jax.jit(one.train_step)(state1, data[:3], jax.random.key(1))
  critic_key = jax.random.split(keys["critic"], 1)[0]
  assert abs(float(metrics1["critic_mmd2"])) > 1e-3 and abs(float(metrics["generator_mmd2"])) > 1e-3
  np.testing.assert_allclose(metrics1["critic_mmd2"],
                             mmd2(state1.critic, data[:3], critic_key, state1.generator),
                             rtol=1e-5)
  np.testing.assert_allclose(metrics["generator_mmd2"],
                             mmd2(new.critic, data[3:], keys["generator"], state.generator),
                             rtol=1e-5)
  with pytest.raises(ValueError, match="n_critic=2 and pack=3 takes 6 per step"):
    module.train_step(state, data[:4], jax.random.key(1))
  with pytest.raises(algorithms.ConfigError, match="pack"):
    tiny_config("mmd_gan", pack=0)


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
