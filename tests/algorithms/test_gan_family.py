"""The two-player family: its presets are it, and every loss pair and penalty steps."""

import jax
import numpy as np
import pytest

from gengan_jax import algorithms, losses
from gengan_jax.core import ConfigError
from tests.algorithms.helpers import tiny_config, tiny_data


def _steps(name, arch="mlp", steps=2, **fields):
  module, cfg = tiny_config(name, arch, **fields)
  data = tiny_data(arch, 1)
  state = module.init(jax.random.key(0), cfg, data[0])
  step = jax.jit(module.train_step)
  for _ in range(steps):
    state, metrics = step(state, data, jax.random.key(1))
  return state, metrics


@pytest.mark.parametrize("arch", ["mlp", "dcgan"])
@pytest.mark.parametrize("preset, fields", [
    ("dcgan", dict(generator_updates=2)),
    ("gan_penalty", dict(penalty="wgan_gp", generator_updates=1)),
    ("gan_penalty", dict(penalty="r1", penalty_weight=0.5)),
])
def test_presets_are_the_family_with_their_defaults(preset, fields, arch):
  s_preset, m_preset = _steps(preset, arch, **{k: v for k, v in fields.items()
                                               if k != "generator_updates"})
  s_family, m_family = _steps("gan", arch, **fields)
  for a, b in zip(jax.tree.leaves(s_preset), jax.tree.leaves(s_family), strict=True):
    np.testing.assert_array_equal(a, b)
  assert m_preset.keys() == m_family.keys()


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
  score_keys = {"d_real", "d_fake"} if loss in ("minimax", "non_saturating", "f:gan") else {
      "real_score", "fake_score"}
  assert score_keys <= set(metrics)


def test_batch_norm_with_a_penalty_is_refused():
  with pytest.raises(ConfigError, match=r"discriminator_batch_norm=True is invalid with "
                                        r"penalty='r1'"):
    tiny_config("gan", penalty="r1", discriminator_batch_norm=True)
  with pytest.raises(ConfigError, match=r"loss='lsgan'.*'least_squares'"):
    tiny_config("gan", loss="lsgan")


def test_the_family_is_registered():
  assert algorithms.get("gan").module.__name__ == "gengan_jax.algorithms.gan"
  assert algorithms.get("dcgan").State is algorithms.get("gan").State
