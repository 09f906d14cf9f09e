"""The two-player family: its presets are it, and every loss pair, penalty and schedule steps."""

import dataclasses

import jax
import numpy as np
import pytest

from gengan_jax import algorithms, losses
from gengan_jax.core import ConfigError
from tests.algorithms.helpers import tiny_config, tiny_data


def _steps(name, arch="mlp", steps=2, **fields):
  module, cfg = tiny_config(name, arch, **fields)
  data = tiny_data(arch, module.num_batches(cfg))
  state = module.init(jax.random.key(0), cfg, data[0])
  step = jax.jit(module.train_step)
  for _ in range(steps):
    state, metrics = step(state, data, jax.random.key(1))
  return state, metrics


def _assert_same(preset, family):
  (s_preset, m_preset), (s_family, m_family) = preset, family
  for a, b in zip(jax.tree.leaves(s_preset), jax.tree.leaves(s_family), strict=True):
    np.testing.assert_array_equal(a, b)
  assert m_preset.keys() == m_family.keys()
  for k in m_preset:
    np.testing.assert_array_equal(m_preset[k], m_family[k])


WGAN_ADAM = dict(learning_rate=1e-4, b1=0.0, b2=0.9)
WGAN_RMSPROP = dict(learning_rate=5e-5, name="rmsprop", decay=0.99, eps=1e-8)


# The mlp arch: a preset and the family with equal configs build the same
# networks whatever the arch (test_renamed_presets_are_the_family checks the
# configs field by field); the image networks' steps are checked by
# test_smoke.py (with the reference numbers of test_reference_numbers.py).
@pytest.mark.parametrize("arch", ["mlp"])
@pytest.mark.parametrize("preset, fields", [
    ("dcgan", dict(generator_updates=2)),
    ("gan_penalty", dict(penalty="wgan_gp", generator_updates=1)),
    ("gan_penalty", dict(penalty="r1", penalty_weight=0.5)),
])
def test_presets_are_the_family_with_their_defaults(preset, fields, arch):
  _assert_same(_steps(preset, arch, **{k: v for k, v in fields.items()
                                       if k != "generator_updates"}),
               _steps("gan", arch, **fields))


# (preset, its settings in its own words, the family's settings that it is)
RENAMED = [
    ("wgan_gp", {}, dict(loss="wasserstein", penalty="wgan_gp", penalty_weight=10.0,
                         discriminator_updates=5, discriminator_batch_norm=False,
                         generator_optimizer=WGAN_ADAM, discriminator_optimizer=WGAN_ADAM)),
    ("wgan_gp", dict(n_critic=2, gradient_penalty_weight=3.0, critic_optimizer=dict(
        learning_rate=1e-3)), dict(loss="wasserstein", penalty="wgan_gp", penalty_weight=3.0,
                                   discriminator_updates=2, discriminator_batch_norm=False,
                                   generator_optimizer=WGAN_ADAM,
                                   discriminator_optimizer=dict(learning_rate=1e-3))),
    ("fgan", {}, dict(loss="f:gan")),
    ("fgan", dict(critic_divergence="kl", generator_divergence="reverse_kl",
                  generator_loss="saturating", critic_optimizer=dict(learning_rate=1e-3)),
     dict(loss="f:kl", generator_divergence="reverse_kl", generator_loss="saturating",
          discriminator_optimizer=dict(learning_rate=1e-3))),
    ("wgan", {}, dict(loss="wasserstein", constraint="clip", clip=0.01, discriminator_updates=5,
                      generator_optimizer=WGAN_RMSPROP, discriminator_optimizer=WGAN_RMSPROP)),
    ("wgan", dict(n_critic=3, critic_bursts=True, burst_updates=30),
     dict(loss="wasserstein", constraint="clip", discriminator_updates=3, critic_bursts=True,
          burst_updates=30, generator_optimizer=WGAN_RMSPROP,
          discriminator_optimizer=WGAN_RMSPROP)),
    ("lsgan", {}, dict(loss="least_squares")),
    ("lsgan", dict(coding="pearson"), dict(loss="least_squares_pearson")),
    ("hinge_gan", {}, dict(loss="hinge")),
]


@pytest.mark.parametrize("preset, own, family", RENAMED)
def test_renamed_presets_are_the_family(preset, own, family):
  """The presets speak their papers' words; their configs are the family's."""
  _, cfg = tiny_config(preset, **own)
  _, fam = tiny_config("gan", **family)
  for f in dataclasses.fields(fam):
    assert getattr(cfg, f.name) == getattr(fam, f.name), f.name


@pytest.mark.parametrize("arch", ["mlp"])
def test_wgan_gp_is_the_family_with_five_critic_updates(arch):
  _assert_same(_steps("wgan_gp", arch), _steps("gan", arch, **RENAMED[0][2]))


def test_fgan_is_the_family_with_an_f_pair():
  _assert_same(_steps("fgan", **RENAMED[3][1]), _steps("gan", **RENAMED[3][2]))


def test_fgan_jensen_shannon_is_the_non_saturating_gan_shifted_by_constants():
  """With g_f(v) = log 2 - softplus(-v) and f*(t) = -log(2 - e^t) (Nowozin et
  al., Table 2) the critic's loss is softplus(-v_real) + softplus(v_fake) - 2 log 2
  and the non-saturating generator's softplus(-v) - log 2: the GAN's losses less
  constants, so the same updates (the grid runs of the two in docs/results.md agree to
  every digit of their evaluations)."""
  f_state, f_metrics = _steps("fgan", critic_divergence="jensen_shannon")
  g_state, g_metrics = _steps("gan", loss="non_saturating")
  for a, b in zip(jax.tree.leaves(f_state), jax.tree.leaves(g_state), strict=True):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(f_metrics["discriminator_loss"],
                             g_metrics["discriminator_loss"] - 2 * np.log(2), atol=1e-5)
  np.testing.assert_allclose(f_metrics["generator_loss"],
                             g_metrics["generator_loss"] - np.log(2), atol=1e-5)


def test_each_discriminator_update_has_its_own_batch():
  module, cfg = tiny_config("gan", loss="hinge", discriminator_updates=3)
  assert module.num_batches(cfg) == 3
  data = tiny_data("mlp", 3)
  state = module.init(jax.random.key(0), cfg, data[0])
  step = jax.jit(module.train_step)
  new, _ = step(state, data, jax.random.key(1))
  assert int(new.discriminator.step) == 3 and int(new.generator.step) == 1
  # The last batch is used: a step on (x0, x1, x0) differs from one on (x0, x1, x2).
  other, _ = step(state, data[[0, 1, 0]], jax.random.key(1))
  assert not np.array_equal(jax.tree.leaves(new.discriminator.params)[0],
                            jax.tree.leaves(other.discriminator.params)[0])
  with pytest.raises(ValueError,
                     match="gan with discriminator_updates=3 and pack=1 takes 3 per step"):
    module.train_step(state, data[:2], jax.random.key(1))


def test_wasserstein_metrics_are_the_dual_and_the_penalty():
  module, cfg = tiny_config("wgan_gp", n_critic=1, gradient_penalty_weight=2.0)
  data = tiny_data("mlp", 1)
  state = module.init(jax.random.key(0), cfg, data[0])
  _, metrics = jax.jit(module.train_step)(state, data, jax.random.key(1))
  assert set(metrics) == {"discriminator_loss", "generator_loss", "gradient_penalty",
                          "wasserstein_estimate"}
  # L_D = -W + lambda * GP, all of the same (only) critic update.
  np.testing.assert_allclose(
      metrics["discriminator_loss"],
      -metrics["wasserstein_estimate"] + 2.0 * metrics["gradient_penalty"], rtol=1e-5)


@pytest.mark.parametrize("loss", sorted(losses.LOSS_PAIRS))
def test_every_loss_pair_steps(loss):
  module, cfg = tiny_config("gan", loss=loss)
  data = tiny_data("mlp", 1)
  state = module.init(jax.random.key(0), cfg, data[0])
  new, metrics = jax.jit(module.train_step)(state, data, jax.random.key(1))
  pair = losses.loss_pair(loss)
  real_d = state.discriminator.apply_fn({"params": state.discriminator.params}, data[0],
                                        train=True)
  # The logged discriminator loss is the pair's, on the data and the step's fakes:
  # its real half is known exactly, so the fake half must be finite and the total
  # differ from the real half alone unless the fake term vanishes.
  assert np.isfinite(float(metrics["discriminator_loss"]))
  assert float(metrics["discriminator_loss"]) != pytest.approx(
      float(pair.real(real_d).mean()), abs=1e-9) or loss == "hinge"
  for name in ("generator", "discriminator"):
    changed = any(not np.array_equal(a, b) for a, b in zip(
        jax.tree.leaves(state.networks()[name].params),
        jax.tree.leaves(new.networks()[name].params)))
    assert changed, (loss, name)
  if loss.startswith("f:"):  # -L_D is the variational bound on D_f
    score_keys = {"divergence_estimate"}
    np.testing.assert_allclose(metrics["divergence_estimate"], -metrics["discriminator_loss"],
                               rtol=1e-5, atol=1e-6)
  elif loss == "wasserstein":
    score_keys = {"wasserstein_estimate"}
  elif loss in ("minimax", "non_saturating"):
    score_keys = {"d_real", "d_fake"}
  else:
    score_keys = {"real_score", "fake_score"}
  assert score_keys <= set(metrics)


def test_batch_norm_with_a_penalty_is_refused():
  with pytest.raises(ConfigError, match=r"discriminator_batch_norm=True is invalid with "
                                        r"penalty='r1'"):
    tiny_config("gan", penalty="r1", discriminator_batch_norm=True)
  with pytest.raises(ConfigError, match=r"loss='lsgan'.*'least_squares'"):
    tiny_config("gan", loss="lsgan")
  with pytest.raises(ConfigError, match=r"generator_divergence='kl'.*loss='hinge'"):
    tiny_config("gan", loss="hinge", generator_divergence="kl")
  with pytest.raises(ConfigError, match=r"generator_loss='saturating'.*loss='wasserstein'"):
    tiny_config("gan", loss="wasserstein", generator_loss="saturating")
  with pytest.raises(ConfigError, match=r"discriminator_updates=0"):
    tiny_config("gan", discriminator_updates=0)
  with pytest.raises(ConfigError, match=r"n_critic=0"):
    tiny_config("wgan_gp", n_critic=0)


def test_the_family_is_registered():
  assert algorithms.get("gan").module.__name__ == "gengan_jax.algorithms.gan"
  for preset in ("dcgan", "gan_penalty", "fgan", "wgan_gp"):
    assert algorithms.get(preset).State is algorithms.get("gan").State
    assert algorithms.get(preset).train_step is algorithms.get("gan").train_step
    assert algorithms.get(preset).num_batches is algorithms.get("gan").num_batches


def test_weight_clipping_keeps_every_discriminator_weight_in_the_box():
  """constraint='clip' (WGAN): D starts and stays in [-c, c], G is untouched
  by it; without it, weights leave the box (so the check can fail)."""
  module, cfg = tiny_config("gan", loss="wasserstein", constraint="clip", clip=0.01,
                            discriminator_optimizer=dict(learning_rate=0.05, name="rmsprop"))
  data = tiny_data("mlp", 1)
  state = module.init(jax.random.key(0), cfg, data[0])
  new, _ = jax.jit(module.train_step)(state, data, jax.random.key(1))
  for params in (state.discriminator.params, new.discriminator.params):
    assert max(float(np.abs(p).max()) for p in jax.tree.leaves(params)) <= 0.01
  assert any(not np.array_equal(a, b) for a, b in zip(
      jax.tree.leaves(state.discriminator.params), jax.tree.leaves(new.discriminator.params)))
  assert max(float(np.abs(p).max()) for p in jax.tree.leaves(new.generator.params)) > 0.01
  _, free = tiny_config("gan", loss="wasserstein")
  unclipped = module.init(jax.random.key(0), free, data[0])
  assert max(float(np.abs(p).max()) for p in jax.tree.leaves(unclipped.discriminator.params)) > 0.01
  with pytest.raises(ConfigError, match=r"constraint='box' is invalid: valid choices are "
                                        r"'none', 'clip'"):
    tiny_config("gan", constraint="box")
