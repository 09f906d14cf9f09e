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
from flax import struct

from gengan_jax import losses
from gengan_jax.algorithms import networks
from gengan_jax.algorithms import train_state as ts
from gengan_jax.algorithms.config import ArchitectureConfig, OptimizerConfig, check
from gengan_jax.algorithms.keys import gaussian_prior, step_keys


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


class State(struct.PyTreeNode):
  """Generator and discriminator states, and the number of steps taken."""

  step: jax.Array
  generator: ts.TrainState
  discriminator: ts.TrainState
  config: Config = struct.field(pytree_node=False)


def num_batches(config: Config) -> int:
  """Data batches consumed by one ``train_step`` (the leading batch axis)."""
  del config
  return 1


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
  z = gaussian_prior(keys["discriminator"], n, cfg.latent_dim)
  x_fake, g_stats = ts.apply(G, G.params, z, train=True)
  x_fake = jax.lax.stop_gradient(x_fake)

  def d_loss_fn(params):
    real_logits, stats = ts.apply(D, params, x, train=True)
    fake_logits, stats = ts.apply(D, params, x_fake, train=True, batch_stats=stats)
    loss = (losses.discriminator_real_loss(real_logits).mean()
            + losses.discriminator_fake_loss(fake_logits).mean())
    return loss, (stats, real_logits, fake_logits)

  (d_loss, (d_stats, real_logits, fake_logits)), d_grads = jax.value_and_grad(
      d_loss_fn, has_aux=True)(D.params)
  D = ts.update(D, d_grads, d_stats)
  G = G.replace(batch_stats=g_stats)

  # 2. Generator, `generator_updates` times with fresh prior samples.
  g_losses = []
  for i in range(cfg.generator_updates):
    z = gaussian_prior(jax.random.fold_in(keys["generator"], i), n, cfg.latent_dim)

    def g_loss_fn(params):
      x_gen, stats = ts.apply(G, params, z, train=True)
      logits, _ = ts.apply(D, D.params, x_gen, train=True)
      return losses.generator_non_saturating_loss(logits).mean(), stats

    (g_loss, g_stats), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(G.params)
    G = ts.update(G, g_grads, g_stats)
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
