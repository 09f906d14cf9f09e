"""EBGAN and BEGAN: one step against the papers' equations, recomputed by hand.

* BEGAN's ``k_{t+1}`` is the clipped update computed from the step's own
  logged energies; ``L_D = L(x) - k_t L(G(z_D))``; ``M_global`` is its
  formula; the generator steps against ``D_t`` (not the updated ``D``).
* EBGAN's discriminator loss is ``D(x) + m - D(G(z))`` when every fake is
  below the margin; the pulling-away term changes the generator's step only;
  packed (PacGAN's ``m``), the auto-encoder reconstructs ``m`` points at once;
  BEGAN's likewise, with ``k`` updated from the packed energies.
"""

import dataclasses

import jax
import numpy as np
import pytest

from gengan_jax import losses
from gengan_jax.algorithms import began, ebgan
from gengan_jax.algorithms import packing
from gengan_jax.core import ConfigError, OptimizerConfig
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys
from tests.algorithms.helpers import leaves_equal, tiny_config, tiny_data


def _one_step(name, optimizer=None, **overrides):
  module, cfg = tiny_config(name, **overrides)
  if optimizer is not None:
    cfg = dataclasses.replace(cfg, generator_optimizer=optimizer,
                              discriminator_optimizer=optimizer)
  data = tiny_data("mlp", 1)
  state = module.init(jax.random.key(0), cfg, data[0])
  new, metrics = jax.jit(module.train_step)(state, data, jax.random.key(1))
  return state, new, {k: float(v) for k, v in metrics.items()}


@pytest.mark.parametrize("k0, gamma, lambda_k", [(0.5, 0.5, 0.1), (0.0, 0.0, 0.1),
                                                 (0.99, 1.0, 100.0)])
def test_began_k_is_the_closed_form_update_of_the_logged_energies(k0, gamma, lambda_k):
  state, new, m = _one_step("began", initial_k=k0, gamma=gamma, lambda_k=lambda_k)
  assert float(state.k) == pytest.approx(k0)
  expected = min(max(k0 + lambda_k * (gamma * m["real_energy"] - m["generator_loss"]), 0.0),
                 1.0)
  assert float(new.k) == pytest.approx(expected, abs=1e-6)
  assert m["k"] == pytest.approx(expected, abs=1e-6)
  if (k0, gamma) == (0.5, 0.5):
    assert 0.0 < expected < 1.0 and abs(expected - k0) > 1e-4  # moved inside [0, 1]
  if gamma == 0.0:
    assert float(new.k) == 0.0  # clipped at 0
  if lambda_k == 100.0:
    assert float(new.k) == 1.0  # clipped at 1 (gamma L(x) > L(G(z)) at init)
  # L_D = L(x) - k_t L(G(z_D)) with the k_t before the update; M_global.
  assert m["discriminator_loss"] == pytest.approx(m["real_energy"] - k0 * m["fake_energy"],
                                                  rel=1e-5, abs=1e-6)
  assert m["m_global"] == pytest.approx(
      m["real_energy"] + abs(gamma * m["real_energy"] - m["generator_loss"]), rel=1e-5)


def test_began_generator_steps_against_the_step_s_own_discriminator():
  # SGD: Adam's first step is lr * sign(gradient), blind to which D it came from.
  state, new, m = _one_step("began", OptimizerConfig(0.5, name="sgd"), initial_k=0.5)
  cfg = state.config
  x = tiny_data("mlp", 1)[0]
  keys = step_keys(jax.random.key(1), state.step, "discriminator", "generator")
  z = gaussian_prior(keys["generator"], x.shape[0], cfg.latent_dim)

  def expected_generator(D):
    return ts.minimize(state.generator,
                       lambda g: (losses.l1_energy(g(z), ts.forward(D, g(z))).mean(), None))

  G, g_loss, _ = expected_generator(state.discriminator)  # D_t
  assert float(g_loss) == pytest.approx(m["generator_loss"], rel=1e-6)
  leaves_equal(new.generator.params, G.params, rtol=1e-5, atol=1e-7)
  G_late, _, _ = expected_generator(new.discriminator)  # D_{t+1}: not the paper's system
  with pytest.raises(AssertionError):
    leaves_equal(new.generator.params, G_late.params, rtol=1e-5, atol=1e-7)
  # The discriminator moved: it is trained.
  with pytest.raises(AssertionError):
    leaves_equal(new.discriminator.params, state.discriminator.params)


def test_ebgan_discriminator_loss_below_the_margin_is_real_plus_margin_minus_fake():
  _, _, m = _one_step("ebgan", margin=100.0)  # every fake energy is far below 100
  assert m["fake_energy"] < 100.0
  assert m["discriminator_loss"] == pytest.approx(
      m["real_energy"] + 100.0 - m["fake_energy"], rel=1e-6)
  # A margin below every fake energy leaves only D(x).
  _, _, m = _one_step("ebgan", margin=1e-6)
  assert m["discriminator_loss"] == pytest.approx(m["real_energy"], rel=1e-6)


def test_ebgan_generator_loss_is_the_energy_of_its_samples():
  _, _, m = _one_step("ebgan")
  assert m["generator_loss"] == pytest.approx(m["generator_energy"], rel=1e-6)
  assert 0.0 <= m["pull_away_term"] <= 1.0


def test_ebgan_pull_away_term_changes_only_the_generator_step():
  state0, plain, m0 = _one_step("ebgan", pull_away_weight=0.0)
  state1, pt, m1 = _one_step("ebgan", pull_away_weight=0.5)
  leaves_equal(state0.generator.params, state1.generator.params)  # same start
  leaves_equal(plain.discriminator.params, pt.discriminator.params)  # D's step: identical
  for k in ("discriminator_loss", "real_energy", "fake_energy", "generator_energy",
            "pull_away_term"):
    assert m0[k] == m1[k], k
  assert m1["generator_loss"] == pytest.approx(
      m1["generator_energy"] + 0.5 * m1["pull_away_term"], rel=1e-6)
  with pytest.raises(AssertionError):  # G's step differs
    leaves_equal(plain.generator.params, pt.generator.params, rtol=1e-6)


def _packed_step(name, pack, **overrides):
  """One step of ``name`` with ``pack`` tiny data batches, and the packed inputs by hand:
  ``(module, data, state, new_state, metrics, keys, x, packed_samples)``."""
  module, cfg = tiny_config(name, pack=pack, **overrides)
  assert module.num_batches(cfg) == pack
  data = tiny_data("mlp", pack)  # [pack, 8, 2]
  state = module.init(jax.random.key(0), cfg, data[0])
  assert any(leaf.shape == (2 * pack, 16)
             for leaf in jax.tree.leaves(state.discriminator.params))
  new, metrics = jax.jit(module.train_step)(state, data, jax.random.key(1))
  keys = step_keys(jax.random.key(1), 0, "discriminator", "generator")
  x = np.concatenate(list(data), axis=-1)  # [8, 2 * pack]: point i of each batch side by side

  def packed_samples(key):  # samples 0-7, 8-15, ... side by side
    g = np.asarray(ts.forward(state.generator, gaussian_prior(key, 8 * pack, cfg.latent_dim)))
    return np.concatenate(np.split(g, pack), axis=-1)

  return module, data, state, new, metrics, keys, x, packed_samples


def test_ebgan_packed_discriminator_reconstructs_m_points_at_once():
  """``pack=3``: three data batches a step; every energy is the auto-encoder's error
  on three points (or samples) side by side, recomputed by hand from the step's keys."""
  module, data, state, new, m, keys, x, packed_samples = _packed_step(
      "ebgan", 3, margin=100.0, pull_away_weight=0.5, discriminator_batch_norm=False)
  np.testing.assert_array_equal(np.asarray(packing.pack(data))[5], np.concatenate(data[:, 5]))

  def energy(v):
    return np.asarray(losses.l2_energy(v, ts.forward(state.discriminator, v)))

  x_fake, x_gen = packed_samples(keys["discriminator"]), packed_samples(keys["generator"])
  # Every packed fake is below the margin 100: L_D = D(x) + 100 - D(G(z)).
  assert float(m["real_energy"]) == pytest.approx(energy(x).mean(), rel=1e-5)
  assert float(m["fake_energy"]) == pytest.approx(energy(x_fake).mean(), rel=1e-5)
  assert float(m["discriminator_loss"]) == pytest.approx(
      energy(x).mean() + 100.0 - energy(x_fake).mean(), rel=1e-5)
  # G's loss is against the updated D, with the codes of its packed samples pulled apart.
  recon, code = ts.forward(new.discriminator, x_gen, return_code=True)
  gen_energy = np.asarray(losses.l2_energy(x_gen, recon)).mean()
  assert float(m["generator_energy"]) == pytest.approx(gen_energy, rel=1e-5)
  assert float(m["generator_loss"]) == pytest.approx(
      gen_energy + 0.5 * float(losses.pulling_away_term(code)), rel=1e-5)
  with pytest.raises(ValueError, match=r"ebgan with pack=3 takes 3 per step: \[3, B"):
    module.train_step(state, data[:1], jax.random.key(1))


def test_began_packed_discriminator_reconstructs_m_points_at_once():
  """``pack=2``: two data batches a step; L(x), L(G(z_D)), L(G(z_G)) and k_{t+1} are the
  auto-encoder's errors on two points (or samples) side by side, recomputed by hand."""
  module, data, state, new, m, keys, x, packed_samples = _packed_step(
      "began", 2, code_dim=4, initial_k=0.5, gamma=0.5, lambda_k=0.1)

  def energy(v):  # against D_t: both players step from it
    return float(np.asarray(losses.l1_energy(v, ts.forward(state.discriminator, v))).mean())

  real, fake = energy(x), energy(packed_samples(keys["discriminator"]))
  gen = energy(packed_samples(keys["generator"]))
  assert float(m["real_energy"]) == pytest.approx(real, rel=1e-5)
  assert float(m["fake_energy"]) == pytest.approx(fake, rel=1e-5)
  assert float(m["generator_loss"]) == pytest.approx(gen, rel=1e-5)
  assert float(m["discriminator_loss"]) == pytest.approx(real - 0.5 * fake, rel=1e-5)
  assert float(new.k) == pytest.approx(min(max(0.5 + 0.1 * (0.5 * real - gen), 0.0), 1.0),
                                       abs=1e-6)
  assert module.sample(new, jax.random.key(2), 5).shape == (5, 2)  # samples stay unpacked
  with pytest.raises(ValueError, match=r"began with pack=2 takes 2 per step: \[2, B"):
    module.train_step(state, data[:1], jax.random.key(1))


def test_configs_reject_bad_values():
  for module, field, value in [(ebgan, "margin", 0.0), (ebgan, "pull_away_weight", -1.0),
                               (ebgan, "energy", "l3"), (ebgan, "pack", 0),
                               (began, "gamma", 1.5),
                               (began, "lambda_k", -0.1), (began, "initial_k", 2.0),
                               (began, "energy", "huber"), (began, "pack", 0)]:
    with pytest.raises(ConfigError, match=field):
      dataclasses.replace(module.Config(), **{field: value})
