"""GMMN: a generator trained directly on the maximum mean discrepancy.

Li, Swersky & Zemel, "Generative Moment Matching Networks" (ICML 2015),
Sec. 3: there is no discriminator; the generator minimises an estimate of
``MMD^2`` between a data batch and a batch of its samples under a fixed
characteristic kernel (a sum of Gaussian kernels with several bandwidths, as
in the paper). This module implements the data-space GMMN (not the GMMN+AE
variant that matches auto-encoder codes).

One ``train_step``: one generator update on ``MMD^2(x, G(z))``.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import networks
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import AlgorithmState, OptimizerConfig, check, check_choice, single_batch
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys
from gengan_jax.ratio import moment_matching

ESTIMATORS = ("unbiased", "biased")


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """GMMN hyper-parameters.

  Attributes:
    kernel: ``'gaussian'``, ``'inverse_multiquadric'`` or
      ``'rational_quadratic'``.
    kernel_scales: the kernel's scales (bandwidths for ``'gaussian'``), summed.
      Li et al. use bandwidths {2, 5, 10, 20, 40, 80} on MNIST pixels.
    estimator: ``'unbiased'`` (U-statistic) or ``'biased'`` (V-statistic).
    generator_optimizer: Adam settings of G.
  """

  kernel: str = "gaussian"
  kernel_scales: tuple[float, ...] = (0.1, 0.5, 1.0, 2.0)
  estimator: str = "unbiased"
  generator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)

  def __post_init__(self):
    super().__post_init__()
    check_choice("kernel", self.kernel, moment_matching.KERNELS)
    check(len(self.kernel_scales) >= 1 and all(s > 0 for s in self.kernel_scales),
          "kernel_scales", self.kernel_scales, "a non-empty tuple of positive numbers")
    check_choice("estimator", self.estimator, ESTIMATORS)


class State(AlgorithmState):
  """The generator's state and the number of steps taken."""

  generator: ts.TrainState


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises the generator."""
  return State(step=jnp.zeros((), jnp.int32),
               generator=networks.generator(config, key, example_batch,
                                            config.generator_optimizer),
               config=config)


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One generator update on ``MMD^2(x, G(z))``.

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  x = single_batch(batch, "gmmn")
  keys = step_keys(key, state.step, "generator")
  G = state.generator
  kernel = moment_matching.make_kernel(cfg.kernel, cfg.kernel_scales)
  z = gaussian_prior(keys["generator"], x.shape[0], cfg.latent_dim)

  def loss_fn(g):
    return losses.mmd2(x, g(z), kernel, unbiased=cfg.estimator == "unbiased"), None

  G, loss, _ = ts.minimize(G, loss_fn)
  return state.replace(step=state.step + 1, generator=G), {"mmd2": loss}


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """Draws ``num`` samples ``G(z)``, ``z ~ N(0, I)`` (BN in inference mode)."""
  return networks.sample(state.generator, key, num, state.config.latent_dim)
