"""The two-player presets of the GAN zoo (wgan, lsgan, hinge_gan) and the
family's options they brought: WGAN's critic bursts and PacGAN packing."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import losses
from gengan_jax.algorithms import gan, packing, schedules
from gengan_jax.core import ConfigError
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys
from tests.algorithms.helpers import run_on_one_and_eight, tiny_config, tiny_data


def _authors_schedule(num_steps, critic_updates, burst_updates, burst_first, burst_every):
  """The WGAN authors' loop (main.py), replayed: which steps of ``critic_updates``
  critic updates end with a generator update."""
  out, gen_iterations = [], 0
  while len(out) < num_steps:
    if gen_iterations < burst_first or gen_iterations % burst_every == 0:
      d_iters = burst_updates
    else:
      d_iters = critic_updates
    steps = d_iters // critic_updates
    out.extend([False] * (steps - 1) + [True])
    gen_iterations += 1
  return np.array(out[:num_steps])


@pytest.mark.parametrize("critic_updates,burst_updates,burst_first,burst_every", [
    (5, 100, 25, 500),   # the authors' settings
    (5, 15, 3, 4),       # bursts inside the first ones and soon after
    (2, 6, 0, 3),        # no first bursts: g = 0, 3, 6, ... are
    (1, 3, 7, 2),        # burst_first > burst_every
    (4, 4, 25, 500),     # a burst as long as a plain iteration: always update
])
def test_critic_bursts_replay_the_authors_loop(critic_updates, burst_updates, burst_first,
                                               burst_every):
  want = _authors_schedule(2000 if burst_updates == 100 else 300, critic_updates,
                           burst_updates, burst_first, burst_every)
  steps = jnp.arange(want.size)
  got = jax.vmap(lambda s: schedules.generator_updates_at(
      s, critic_updates=critic_updates, burst_updates=burst_updates,
      burst_first=burst_first, burst_every=burst_every))(steps)
  np.testing.assert_array_equal(np.asarray(got), want)
  if burst_updates == 100:  # 25 bursts of 20 steps, then plain ones, the 500th a burst.
    assert np.flatnonzero(want)[:3].tolist() == [19, 39, 59]
    assert want[500:975].all() and not want[975:994].any() and want[994]


def test_critic_bursts_settings_are_checked():
  with pytest.raises(ValueError, match="burst_updates=7 must be a positive multiple"):
    schedules.generator_updates_at(0, critic_updates=5, burst_updates=7)
  with pytest.raises(ConfigError, match="burst_updates"):
    tiny_config("wgan", critic_bursts=True, burst_updates=12)
  tiny_config("wgan", burst_updates=12)  # unused without bursts


def test_wgan_burst_trains_the_critic_and_holds_the_generator():
  module, cfg = tiny_config("wgan", n_critic=2, critic_bursts=True, burst_updates=4,
                            burst_first=1, burst_every=1000)
  data = tiny_data("mlp", module.num_batches(cfg))
  state = module.init(jax.random.key(0), cfg, data[0])
  step = jax.jit(module.train_step)
  first, m0 = step(state, data, jax.random.key(1))  # the burst's first half: critic only
  second, m1 = step(first, data, jax.random.key(1))  # its second half, then G
  third, m2 = step(second, data, jax.random.key(1))  # a plain iteration
  assert [float(m["generator_updated"]) for m in (m0, m1, m2)] == [0.0, 1.0, 1.0]
  assert [int(s.generator.step) for s in (first, second, third)] == [0, 1, 2]
  assert [int(s.discriminator.step) for s in (first, second, third)] == [2, 4, 6]
  for a, b in zip(jax.tree.leaves(state.generator.params), jax.tree.leaves(first.generator.params)):
    np.testing.assert_array_equal(a, b)
  # Without an update the logged loss is G's loss at the step's samples, not a placeholder.
  assert np.isfinite(float(m0["generator_loss"])) and float(m0["generator_loss"]) != 0.0


def test_wgan_critic_stays_clipped_and_uses_rmsprop():
  module, cfg = tiny_config("wgan")
  assert cfg.critic_optimizer.name == cfg.generator_optimizer.name == "rmsprop"
  assert (cfg.clip, cfg.n_critic, cfg.critic_optimizer.learning_rate) == (0.01, 5, 5e-5)
  data = tiny_data("mlp", module.num_batches(cfg))
  state = module.init(jax.random.key(0), cfg, data[0])
  new, metrics = jax.jit(module.train_step)(state, data, jax.random.key(1))
  assert "wasserstein_estimate" in metrics
  for leaf in jax.tree.leaves(new.discriminator.params):
    assert float(jnp.abs(leaf).max()) <= 0.01


def test_pack_concatenates_along_the_last_axis():
  x = np.arange(2 * 3 * 2).reshape(2, 3, 2)  # m=2 batches of B=3 two-feature samples
  np.testing.assert_array_equal(packing.pack(x), [[0, 1, 6, 7], [2, 3, 8, 9], [4, 5, 10, 11]])
  images = np.arange(3 * 2 * 4 * 4 * 1).reshape(3, 2, 4, 4, 1)
  packed = packing.pack(images)
  assert packed.shape == (2, 4, 4, 3) and packing.packed_shape((4, 4, 1), 3) == (4, 4, 3)
  np.testing.assert_array_equal(packed[1, :, :, 2], images[2, 1, :, :, 0])
  np.testing.assert_array_equal(packing.pack(x[:1]), x[0])
  with pytest.raises(ValueError, match=r"\[m, B, \*shape\]"):
    packing.pack(np.zeros((2, 3)))


def test_packed_discriminator_judges_m_samples_at_once():
  """The step's loss is the pair's loss of D on m data batches and m batches of
  G's samples, concatenated feature-wise (recomputed here by hand)."""
  module, cfg = tiny_config("gan", pack=3, discriminator_batch_norm=False)
  assert module.num_batches(cfg) == 3
  data = tiny_data("mlp", 3)
  state = module.init(jax.random.key(0), cfg, data[0])
  first_kernel = jax.tree.leaves(state.discriminator.params)
  assert any(leaf.shape == (6, 16) for leaf in first_kernel)  # 3 samples x 2 features
  _, metrics = jax.jit(module.train_step)(state, data, jax.random.key(1))
  keys = step_keys(jax.random.key(1), state.step, "discriminator", "generator")
  samples = ts.forward(state.generator, gaussian_prior(keys["discriminator"], 3 * 8, 4))
  real = np.concatenate(list(data), axis=-1)
  fake = np.concatenate(np.split(np.asarray(samples), 3), axis=-1)
  pair = losses.loss_pair("non_saturating")
  want = pair.discriminator_loss(ts.forward(state.discriminator, real),
                                 ts.forward(state.discriminator, fake))
  np.testing.assert_allclose(metrics["discriminator_loss"], want, rtol=1e-5)
  with pytest.raises(ConfigError, match="pack"):
    tiny_config("gan", pack=0)


def test_pack_one_is_the_unpacked_step():
  a = jax.jit(gan.train_step)
  module, cfg = tiny_config("gan")
  _, packed1 = tiny_config("gan", pack=1)
  data = tiny_data("mlp", 1)
  s = module.init(jax.random.key(0), cfg, data[0])
  s1 = module.init(jax.random.key(0), packed1, data[0])
  for x, y in zip(jax.tree.leaves(a(s, data, jax.random.key(1))),
                  jax.tree.leaves(a(s1, data, jax.random.key(1)))):
    np.testing.assert_array_equal(x, y)


def test_packing_and_bursts_on_one_device_equal_eight():
  module, cfg = tiny_config("gan", loss="wasserstein", constraint="clip", pack=2,
                            discriminator_updates=2, critic_bursts=True, burst_updates=4,
                            burst_first=1)
  data = tiny_data("mlp", module.num_batches(cfg), batch_size=16)
  s1, m1, s8, m8 = run_on_one_and_eight(module, cfg, data, steps=2)
  assert [float(m["generator_updated"]) for m in m1] == [0.0, 1.0]
  for a, b in zip(jax.tree.leaves(s1), jax.tree.leaves(s8), strict=True):
    np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-4)
  for k in m1[1]:
    np.testing.assert_allclose(m1[1][k], m8[1][k], rtol=1e-4, atol=1e-6, err_msg=k)


@pytest.mark.parametrize("coding,pair", [("binary", "least_squares"),
                                         ("pearson", "least_squares_pearson")])
def test_lsgan_codings_are_mao_et_al_s(coding, pair):
  _, cfg = tiny_config("lsgan", coding=coding)
  assert cfg.loss == pair
  terms = losses.loss_pair(pair)
  a, b, c = {"binary": (0, 1, 1), "pearson": (-1, 1, 0)}[coding]
  d = jnp.array([-2.0, 0.3, 1.5])
  np.testing.assert_allclose(terms.real(d), 0.5 * (d - b) ** 2)
  np.testing.assert_allclose(terms.fake(d), 0.5 * (d - a) ** 2)
  np.testing.assert_allclose(terms.generator(d), 0.5 * (d - c) ** 2)
  with pytest.raises(ConfigError, match="coding"):
    tiny_config("lsgan", coding="ternary")


def test_hinge_gan_is_the_hinge_pair():
  _, cfg = tiny_config("hinge_gan")
  assert (cfg.loss, cfg.penalty, cfg.generator_updates) == ("hinge", "none", 1)
