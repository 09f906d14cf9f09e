"""The two-player GAN family: a loss pair, a penalty, an update schedule.

Goodfellow et al. (2014), and every GAN that differs from it only in its
objective: compare_gan's lesson (``modular_gan.py``) is that a new GAN is a
choice of loss pair (:func:`gengan_jax.losses.loss_pair`: minimax,
non-saturating, least squares, hinge, Wasserstein, every f-divergence) and
of penalty (:func:`gengan_jax.losses.penalty_terms`: none, WGAN-GP two- and
one-sided, DRAGAN, R1, R2), not a new file. The named algorithms of this
family are presets of it (``dcgan``, ``gan_penalty``): a module with the
paper's citation and its defaults as a ``Config`` subclass.

With ``pair = loss_pair(config.loss)`` and ``P`` the penalty, one
``train_step`` is:

1. discriminator, on one data batch and fresh ``z``: minimise
   ``mean pair.real(D(x)) + mean pair.fake(D(G(z))) + penalty_weight * mean P``;
2. ``generator_updates`` times, each with fresh ``z``: minimise
   ``mean pair.generator(D(G(z)))``.

The discriminator has batch norm unless a penalty is used (penalties are
per-example gradients; ``discriminator_batch_norm`` overrides).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import networks
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import AlgorithmState, ConfigError, OptimizerConfig, check, check_choice
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys

PENALTIES = losses.PENALTIES
# Pairs whose discriminator outputs are logits of P(data): their metrics are
# the mean probabilities D(x), D(G(z)); the others report mean raw scores.
LOGIT_PAIRS = ("minimax", "non_saturating", "f:gan")


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """The family's settings (defaults: the non-saturating GAN, no penalty).

  Attributes:
    loss: a loss pair of :data:`gengan_jax.losses.LOSS_PAIRS`.
    penalty: one of :data:`PENALTIES`.
    penalty_weight: lambda (GP, DRAGAN) or gamma / 2 (R1, R2), >= 0.
    target_norm: the gradient norm the GP and DRAGAN penalties aim at.
    dragan_method, dragan_scale: see :func:`gengan_jax.losses.dragan_perturb`.
    generator_updates: generator updates per discriminator update.
    discriminator_batch_norm: batch norm in D; ``None``: only without a penalty.
    generator_optimizer, discriminator_optimizer: optimizer settings.
  """

  loss: str = "non_saturating"
  penalty: str = "none"
  penalty_weight: float = 10.0
  target_norm: float = 1.0
  dragan_method: str = "uniform"
  dragan_scale: float = 0.5
  generator_updates: int = 1
  discriminator_batch_norm: bool | None = None
  generator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  discriminator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)

  def __post_init__(self):
    super().__post_init__()
    check_choice("loss", self.loss, losses.LOSS_PAIRS)
    check_choice("penalty", self.penalty, PENALTIES)
    check(self.penalty_weight >= 0, "penalty_weight", self.penalty_weight, ">= 0")
    check(self.target_norm >= 0, "target_norm", self.target_norm, ">= 0")
    check_choice("dragan_method", self.dragan_method, losses.DRAGAN_METHODS)
    check(self.dragan_scale >= 0, "dragan_scale", self.dragan_scale, ">= 0")
    check(self.generator_updates >= 1, "generator_updates",
          self.generator_updates, "a positive integer")
    if self.discriminator_batch_norm and self.penalty != "none":
      raise ConfigError(
          f"config value discriminator_batch_norm=True is invalid with penalty="
          f"{self.penalty!r}: a gradient penalty needs per-example gradients; use "
          "discriminator_batch_norm=None or False, or penalty='none'.")

  @property
  def uses_batch_norm(self) -> bool:
    if self.discriminator_batch_norm is None:
      return self.penalty == "none"
    return self.discriminator_batch_norm


class State(AlgorithmState):
  """Generator and discriminator states, and the number of steps taken."""

  generator: ts.TrainState
  discriminator: ts.TrainState


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises G and D for data shaped like ``example_batch[0]``."""
  g_key, d_key = jax.random.split(key)
  return State(
      step=jnp.zeros((), jnp.int32),
      generator=networks.generator(config, g_key, example_batch, config.generator_optimizer),
      discriminator=networks.discriminator(config, d_key, example_batch,
                                           config.discriminator_optimizer,
                                           use_batch_norm=config.uses_batch_norm),
      config=config,
  )


def penalty_terms(cfg: Config, critic_fn, real: jax.Array, fake: jax.Array,
                  key: jax.Array | None) -> jax.Array:
  """The per-example penalty ``P`` selected by ``cfg.penalty``, shape ``[B]``."""
  return losses.penalty_terms(cfg.penalty, critic_fn, real, fake, key,
                              target_norm=cfg.target_norm, dragan_method=cfg.dragan_method,
                              dragan_scale=cfg.dragan_scale)


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One discriminator update and ``generator_updates`` generator updates.

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  pair = losses.loss_pair(cfg.loss)
  penalised = cfg.penalty != "none"
  x = batch[0]
  n = x.shape[0]
  names = ("discriminator", "penalty", "generator") if penalised else ("discriminator",
                                                                       "generator")
  keys = step_keys(key, state.step, *names)
  G, D = state.generator, state.discriminator

  # 1. Discriminator: data against fresh samples.
  x_fake = jax.lax.stop_gradient(ts.forward(G, gaussian_prior(keys["discriminator"], n,
                                                              cfg.latent_dim)))

  def d_loss_fn(d):
    real_d, fake_d = d(x), d(x_fake)
    adversarial = pair.real(real_d).mean() + pair.fake(fake_d).mean()
    if not penalised:
      return adversarial, (adversarial, None, real_d, fake_d)
    penalty = penalty_terms(cfg, d, x, x_fake, keys["penalty"]).mean()
    return adversarial + cfg.penalty_weight * penalty, (adversarial, penalty, real_d, fake_d)

  D, d_loss, (adversarial, penalty, real_d, fake_d) = ts.minimize(D, d_loss_fn)

  # 2. Generator, `generator_updates` times with fresh prior samples.
  g_losses = []
  for i in range(cfg.generator_updates):
    z = gaussian_prior(jax.random.fold_in(keys["generator"], i), n, cfg.latent_dim)
    G, g_loss, _ = ts.minimize(G, lambda g: (pair.generator(ts.forward(D, g(z))).mean(), None))
    g_losses.append(g_loss)

  metrics = {"discriminator_loss": d_loss, "generator_loss": jnp.mean(jnp.stack(g_losses))}
  if penalised:
    metrics.update(gan_loss=adversarial, penalty=penalty)
  if cfg.loss in LOGIT_PAIRS:
    metrics.update(d_real=jnp.mean(jax.nn.sigmoid(real_d)),
                   d_fake=jnp.mean(jax.nn.sigmoid(fake_d)))
  else:
    metrics.update(real_score=jnp.mean(real_d), fake_score=jnp.mean(fake_d))
  return state.replace(step=state.step + 1, generator=G, discriminator=D), metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """Draws ``num`` samples ``G(z)``, ``z ~ N(0, I)`` (BN in inference mode)."""
  return networks.sample(state.generator, key, num, state.config.latent_dim)
