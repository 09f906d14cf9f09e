"""WGAN-GP: Wasserstein GAN with a gradient penalty.

Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville, "Improved training of
Wasserstein GANs" (NeurIPS 2017), Algorithm 1. The critic has no batch norm
(the penalty is per example, Sec. 4 "No critic batch normalization").

One ``train_step`` is one iteration of Algorithm 1:

1. ``n_critic`` (default 5) critic updates, each on its own data batch:
   minimise ``f(G(z)) - f(x) + lambda * (||grad f(x_hat)||_2 - 1)^2`` with
   ``x_hat = eps * x + (1 - eps) * G(z)``, ``eps ~ U[0, 1]``;
2. one generator update: minimise ``-f(G(z))``.
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
  """WGAN-GP hyper-parameters; defaults are Algorithm 1's.

  Attributes:
    n_critic: critic updates per generator update (5).
    gradient_penalty_weight: lambda (10).
    generator_optimizer: Adam of G (alpha 1e-4, beta1 0, beta2 0.9).
    critic_optimizer: Adam of the critic (the same).
  """

  n_critic: int = 5
  gradient_penalty_weight: float = 10.0
  generator_optimizer: OptimizerConfig = OptimizerConfig(1e-4, 0.0, 0.9)
  critic_optimizer: OptimizerConfig = OptimizerConfig(1e-4, 0.0, 0.9)

  def __post_init__(self):
    super().__post_init__()
    check(self.n_critic >= 1, "n_critic", self.n_critic, "a positive integer")
    check(self.gradient_penalty_weight >= 0, "gradient_penalty_weight",
          self.gradient_penalty_weight, ">= 0")


class State(AlgorithmState):
  """Generator and critic states, and the number of steps taken."""

  generator: ts.TrainState
  critic: ts.TrainState


def num_batches(config: Config) -> int:
  """Data batches consumed by one ``train_step``: one per critic update."""
  return config.n_critic


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises the generator and the (batch-norm free) critic."""
  g_key, c_key = jax.random.split(key)
  return State(
      step=jnp.zeros((), jnp.int32),
      generator=networks.generator(config, g_key, example_batch, config.generator_optimizer),
      critic=networks.discriminator(config, c_key, example_batch, config.critic_optimizer,
                                    use_batch_norm=False),
      config=config,
  )


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """``n_critic`` critic updates, then one generator update.

  Args:
    state: the current state.
    batch: data of shape ``[n_critic, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  if batch.shape[0] != cfg.n_critic:
    raise ValueError(f"batch has {batch.shape[0]} data batches on its leading "
                     f"axis; wgan_gp with n_critic={cfg.n_critic} needs {cfg.n_critic}.")
  n = batch.shape[1]
  keys = step_keys(key, state.step, "critic", "generator")
  G = state.generator

  def critic_update(C, inputs):
    x, key = inputs
    z_key, eps_key = jax.random.split(key)
    x_fake = jax.lax.stop_gradient(ts.forward(G, gaussian_prior(z_key, n, cfg.latent_dim)))

    def loss_fn(critic):
      real, fake = critic(x), critic(x_fake)
      penalty = losses.gradient_penalty(critic, x, x_fake, eps_key).mean()
      w_loss = losses.wasserstein_critic_loss(real, fake).mean()
      return w_loss + cfg.gradient_penalty_weight * penalty, (w_loss, penalty)

    C, loss, (w_loss, penalty) = ts.minimize(C, loss_fn)
    return C, (loss, -w_loss, penalty)

  critic_keys = jax.random.split(keys["critic"], cfg.n_critic)
  C, (c_losses, w_estimates, penalties) = jax.lax.scan(
      critic_update, state.critic, (batch, critic_keys))

  z = gaussian_prior(keys["generator"], n, cfg.latent_dim)

  def g_loss_fn(g):
    return losses.wasserstein_generator_loss(ts.forward(C, g(z))).mean(), None

  G, g_loss, _ = ts.minimize(G, g_loss_fn)

  metrics = {
      "critic_loss": c_losses[-1],
      "generator_loss": g_loss,
      "wasserstein_estimate": w_estimates[-1],
      "gradient_penalty": penalties[-1],
  }
  return state.replace(step=state.step + 1, generator=G, critic=C), metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """Draws ``num`` samples ``G(z)``, ``z ~ N(0, I)`` (BN in inference mode)."""
  return networks.sample(state.generator, key, num, state.config.latent_dim)
