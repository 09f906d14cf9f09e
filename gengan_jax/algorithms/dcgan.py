"""DCGAN: the non-saturating GAN with DCGAN-style networks.

Radford, Metz & Chintala, "Unsupervised representation learning with deep
convolutional generative adversarial networks" (ICLR 2016), trained with the
non-saturating generator loss of Goodfellow et al. (2014, Sec. 3). As in the
alpha-GAN paper's DCGAN baseline (Rosca et al. 2017), the generator is updated
``generator_updates`` times (default 2) per discriminator update.

One ``train_step``:

1. discriminator: minimise ``-log D(x) - log(1 - D(G(z)))`` on one data batch;
2. ``generator_updates`` times, with fresh ``z``: minimise ``-log D(G(z))``.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import networks
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import AlgorithmState, OptimizerConfig, check
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """DCGAN hyper-parameters (Radford et al. 2016: Adam 2e-4, beta1 0.5).

  Attributes:
    generator_updates: generator updates per discriminator update.
    generator_optimizer: Adam settings of G.
    discriminator_optimizer: Adam settings of D.
  """

  generator_updates: int = 2
  generator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  discriminator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)

  def __post_init__(self):
    super().__post_init__()
    check(self.generator_updates >= 1, "generator_updates",
          self.generator_updates, "a positive integer")


class State(AlgorithmState):
  """Generator and discriminator states, and the number of steps taken."""

  generator: ts.TrainState
  discriminator: ts.TrainState


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises both networks for data shaped like ``example_batch[0]``."""
  g_key, d_key = jax.random.split(key)
  return State(
      step=jnp.zeros((), jnp.int32),
      generator=networks.generator(config, g_key, example_batch, config.generator_optimizer),
      discriminator=networks.discriminator(config, d_key, example_batch,
                                           config.discriminator_optimizer),
      config=config,
  )


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One discriminator update and ``generator_updates`` generator updates.

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.

  Returns:
    The new state and scalar metrics.
  """
  cfg = state.config
  x = batch[0]
  n = x.shape[0]
  keys = step_keys(key, state.step, "discriminator", "generator")
  G, D = state.generator, state.discriminator

  # 1. Discriminator: real data against generator samples.
  x_fake = jax.lax.stop_gradient(ts.forward(G, gaussian_prior(keys["discriminator"], n,
                                                              cfg.latent_dim)))

  def d_loss_fn(d):
    real_logits, fake_logits = d(x), d(x_fake)
    loss = (losses.discriminator_real_loss(real_logits).mean()
            + losses.discriminator_fake_loss(fake_logits).mean())
    return loss, (real_logits, fake_logits)

  D, d_loss, (real_logits, fake_logits) = ts.minimize(D, d_loss_fn)

  # 2. Generator, `generator_updates` times with fresh prior samples.
  g_losses = []
  for i in range(cfg.generator_updates):
    z = gaussian_prior(jax.random.fold_in(keys["generator"], i), n, cfg.latent_dim)

    def g_loss_fn(g):
      return losses.generator_non_saturating_loss(ts.forward(D, g(z))).mean(), None

    G, g_loss, _ = ts.minimize(G, g_loss_fn)
    g_losses.append(g_loss)

  metrics = {
      "discriminator_loss": d_loss,
      "generator_loss": jnp.mean(jnp.stack(g_losses)),
      "d_real": jnp.mean(jax.nn.sigmoid(real_logits)),
      "d_fake": jnp.mean(jax.nn.sigmoid(fake_logits)),
  }
  return state.replace(step=state.step + 1, generator=G, discriminator=D), metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """Draws ``num`` samples ``G(z)``, ``z ~ N(0, I)`` (BN in inference mode)."""
  return networks.sample(state.generator, key, num, state.config.latent_dim)
