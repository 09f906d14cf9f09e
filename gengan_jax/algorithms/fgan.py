"""f-GAN: a GAN trained with any f-divergence, chosen by name.

Nowozin, Cseke & Tomioka, "f-GAN: Training generative neural samplers using
variational divergence minimization" (NeurIPS 2016), Algorithm 1 with
alternating (rather than simultaneous) updates. The critic ``V`` maximises the
variational lower bound

    F = E_data[g_f(V(x))] - E_model[f*(g_f(V(G(z))))]  <=  D_f(data || model)

and the generator minimises its side of it, in the saturating form
``-f*(g_f(V))`` or the non-saturating form ``-g_f(V)`` (Sec. 3.2). The
generator's divergence may differ from the critic's: the critic's output is
then read as a log density ratio and the generator uses the optimal critic of
its own divergence at that ratio (:func:`gengan_jax.losses.fgan_generator_loss`;
Mohamed & Lakshminarayanan 2016, Sec. 3).

One ``train_step``:

1. critic: minimise ``-F`` on one data batch and fresh model samples;
2. ``generator_updates`` times, with fresh ``z``: minimise the generator loss.
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
from gengan_jax.losses import f_divergences as fdiv
from gengan_jax.ratio import variational_estimate


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """f-GAN hyper-parameters.

  Attributes:
    critic_divergence: the f-divergence whose variational bound the critic
      maximises, one of :data:`gengan_jax.losses.DIVERGENCES`.
    generator_divergence: the divergence the generator minimises; ``None``
      for the critic's.
    generator_loss: ``'non_saturating'`` (Nowozin et al., Sec. 3.2) or
      ``'saturating'`` (the saddle-point objective, eq. 6).
    generator_updates: generator updates per critic update.
    generator_optimizer, critic_optimizer: Adam settings.
  """

  critic_divergence: str = "gan"
  generator_divergence: str | None = None
  generator_loss: str = "non_saturating"
  generator_updates: int = 1
  generator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  critic_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)

  def __post_init__(self):
    super().__post_init__()
    check_choice("critic_divergence", self.critic_divergence, fdiv.DIVERGENCES)
    if self.generator_divergence is not None:
      check_choice("generator_divergence", self.generator_divergence, fdiv.DIVERGENCES)
      if (self.critic_divergence == "total_variation"
          and self.generator_divergence != "total_variation"):
        raise ConfigError(
            "config value critic_divergence='total_variation' is invalid with "
            f"generator_divergence={self.generator_divergence!r}: a TV critic "
            "does not estimate the density ratio; use the same divergence.")
    check_choice("generator_loss", self.generator_loss, fdiv.GENERATOR_LOSSES)
    check(self.generator_updates >= 1, "generator_updates",
          self.generator_updates, "a positive integer")


class State(AlgorithmState):
  """Generator and critic states, and the number of steps taken."""

  generator: ts.TrainState
  critic: ts.TrainState


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises the generator and the critic (a discriminator network)."""
  g_key, c_key = jax.random.split(key)
  return State(
      step=jnp.zeros((), jnp.int32),
      generator=networks.generator(config, g_key, example_batch, config.generator_optimizer),
      critic=networks.discriminator(config, c_key, example_batch, config.critic_optimizer),
      config=config,
  )


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One critic update and ``generator_updates`` generator updates.

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.

  Returns:
    The new state and scalar metrics (``divergence_estimate`` is the
    critic's variational bound on this batch, before its update).
  """
  cfg = state.config
  x = batch[0]
  n = x.shape[0]
  keys = step_keys(key, state.step, "critic", "generator")
  G, C = state.generator, state.critic
  div = cfg.critic_divergence

  # 1. Critic: maximise the variational bound F.
  x_fake = jax.lax.stop_gradient(ts.forward(G, gaussian_prior(keys["critic"], n,
                                                              cfg.latent_dim)))

  def c_loss_fn(critic):
    real_v, fake_v = critic(x), critic(x_fake)
    real_terms, fake_terms = losses.fgan_critic_loss(real_v, fake_v, divergence=div)
    return real_terms.mean() + fake_terms.mean(), (real_v, fake_v)

  C, c_loss, (real_v, fake_v) = ts.minimize(C, c_loss_fn)

  # 2. Generator.
  g_losses = []
  for i in range(cfg.generator_updates):
    z = gaussian_prior(jax.random.fold_in(keys["generator"], i), n, cfg.latent_dim)

    def g_loss_fn(g):
      loss = losses.fgan_generator_loss(
          ts.forward(C, g(z)), divergence=cfg.generator_divergence or div,
          critic_divergence=div, form=cfg.generator_loss)
      return loss.mean(), None

    G, g_loss, _ = ts.minimize(G, g_loss_fn)
    g_losses.append(g_loss)

  metrics = {
      "critic_loss": c_loss,
      "generator_loss": jnp.mean(jnp.stack(g_losses)),
      "divergence_estimate": variational_estimate(real_v, fake_v, divergence=div),
  }
  return state.replace(step=state.step + 1, generator=G, critic=C), metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """Draws ``num`` samples ``G(z)``, ``z ~ N(0, I)`` (BN in inference mode)."""
  return networks.sample(state.generator, key, num, state.config.latent_dim)
