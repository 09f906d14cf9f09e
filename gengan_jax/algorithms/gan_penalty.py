"""The non-saturating GAN with a gradient penalty of choice.

Fedus, Rosca, Lakshminarayanan, Dai, Mohamed & Goodfellow, "Many paths to
equilibrium: GANs do not need to decrease a divergence at every step" (ICLR
2018): the non-saturating GAN (Goodfellow et al. 2014) trained with the
gradient penalties that were motivated by divergence minimisation — WGAN-GP
at real/fake interpolates ("NS-GAN-GP") and DRAGAN at perturbed data
("NS-GAN-DRAGAN"), lambda = 10 — works as well as or better than the
penalised WGAN. This module adds the one-sided GP, R1 and R2 (Mescheder et
al. 2018) to the menu, and ``'none'`` for the plain non-saturating GAN.

The discriminator has no batch norm whenever a penalty is used (the
penalties are per-example gradients).

One ``train_step``:

1. discriminator: minimise ``-log D(x) - log(1 - D(G(z))) + lambda * P``;
2. ``generator_updates`` times, with fresh ``z``: minimise ``-log D(G(z))``.

``penalty_weight`` is ``lambda`` for the GP and DRAGAN penalties and
``gamma / 2`` for R1 and R2 (their ``(gamma / 2) E||grad D||^2``).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import networks
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import AlgorithmState, OptimizerConfig, check, check_choice
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys

PENALTIES = losses.PENALTIES


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """Hyper-parameters; defaults are Fedus et al.'s NS-GAN-GP (lambda 10).

  Attributes:
    penalty: one of ``'none'``, ``'wgan_gp'``, ``'wgan_gp_one_sided'``,
      ``'dragan'``, ``'r1'``, ``'r2'``.
    penalty_weight: lambda (GP, DRAGAN) or gamma / 2 (R1, R2), >= 0.
    target_norm: the gradient norm the GP and DRAGAN penalties aim at.
    dragan_method: ``'uniform'`` (authors' code, default) or ``'gaussian'``
      (the paper's), see :func:`gengan_jax.losses.dragan_perturb`.
    dragan_scale: its ``scale``.
    generator_updates: generator updates per discriminator update.
    generator_optimizer, discriminator_optimizer: Adam settings.
  """

  penalty: str = "wgan_gp"
  penalty_weight: float = 10.0
  target_norm: float = 1.0
  dragan_method: str = "uniform"
  dragan_scale: float = 0.5
  generator_updates: int = 1
  generator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  discriminator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)

  def __post_init__(self):
    super().__post_init__()
    check_choice("penalty", self.penalty, PENALTIES)
    check(self.penalty_weight >= 0, "penalty_weight", self.penalty_weight, ">= 0")
    check(self.target_norm >= 0, "target_norm", self.target_norm, ">= 0")
    check_choice("dragan_method", self.dragan_method, losses.DRAGAN_METHODS)
    check(self.dragan_scale >= 0, "dragan_scale", self.dragan_scale, ">= 0")
    check(self.generator_updates >= 1, "generator_updates",
          self.generator_updates, "a positive integer")


class State(AlgorithmState):
  """Generator and discriminator states, and the number of steps taken."""

  generator: ts.TrainState
  discriminator: ts.TrainState


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises both networks (no BN in D when a penalty is used)."""
  g_key, d_key = jax.random.split(key)
  return State(
      step=jnp.zeros((), jnp.int32),
      generator=networks.generator(config, g_key, example_batch, config.generator_optimizer),
      discriminator=networks.discriminator(config, d_key, example_batch,
                                           config.discriminator_optimizer,
                                           use_batch_norm=config.penalty == "none"),
      config=config,
  )


def penalty_terms(cfg: Config, critic_fn, real: jax.Array, fake: jax.Array,
                  key: jax.Array) -> jax.Array:
  """The per-example penalty ``P`` selected by ``cfg.penalty``, shape ``[B]``."""
  return losses.penalty_terms(cfg.penalty, critic_fn, real, fake, key,
                              target_norm=cfg.target_norm, dragan_method=cfg.dragan_method,
                              dragan_scale=cfg.dragan_scale)


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One penalised discriminator update and ``generator_updates`` generator updates.

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  x = batch[0]
  n = x.shape[0]
  keys = step_keys(key, state.step, "discriminator", "penalty", "generator")
  G, D = state.generator, state.discriminator

  x_fake = jax.lax.stop_gradient(ts.forward(G, gaussian_prior(keys["discriminator"], n,
                                                              cfg.latent_dim)))

  def d_loss_fn(d):
    real_logits, fake_logits = d(x), d(x_fake)
    gan = (losses.discriminator_real_loss(real_logits).mean()
           + losses.discriminator_fake_loss(fake_logits).mean())
    penalty = penalty_terms(cfg, d, x, x_fake, keys["penalty"]).mean()
    return gan + cfg.penalty_weight * penalty, (gan, penalty, real_logits, fake_logits)

  D, d_loss, (gan, penalty, real_logits, fake_logits) = ts.minimize(D, d_loss_fn)

  g_losses = []
  for i in range(cfg.generator_updates):
    z = gaussian_prior(jax.random.fold_in(keys["generator"], i), n, cfg.latent_dim)

    def g_loss_fn(g):
      return losses.generator_non_saturating_loss(ts.forward(D, g(z))).mean(), None

    G, g_loss, _ = ts.minimize(G, g_loss_fn)
    g_losses.append(g_loss)

  metrics = {
      "discriminator_loss": d_loss,
      "gan_loss": gan,
      "penalty": penalty,
      "generator_loss": jnp.mean(jnp.stack(g_losses)),
      "d_real": jnp.mean(jax.nn.sigmoid(real_logits)),
      "d_fake": jnp.mean(jax.nn.sigmoid(fake_logits)),
  }
  return state.replace(step=state.step + 1, generator=G, discriminator=D), metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """Draws ``num`` samples ``G(z)``, ``z ~ N(0, I)`` (BN in inference mode)."""
  return networks.sample(state.generator, key, num, state.config.latent_dim)
