"""MMD GAN: moment matching with an adversarially learned kernel.

Li, Chang, Cheng, Yang & Poczos, "MMD GAN: Towards deeper understanding of
moment matching network" (NeurIPS 2017), Algorithm 1. The kernel is a fixed
base kernel on learned features, ``k(f_phi(x), f_phi(y))`` (a sum of Gaussian
kernels with bandwidths {1, 2, 4, 8, 16} in the paper). The critic ``f_phi``
maximises ``MMD^2`` between data and samples in its feature space; its
weights are clipped to ``[-c, c]`` after every update (the paper's way of
keeping the critic in a compact set, as in WGAN); the generator minimises
the same ``MMD^2``.

Simplifications, stated: the paper also trains a decoder so that ``f_phi``
is injective (an auto-encoding term with weight lambda_AE) and adds a
one-sided penalty on the feature means; both are left out here. The critic is
the encoder of :mod:`gengan_jax.nets` with ``feature_dim`` outputs.

One ``train_step`` is one outer iteration of Algorithm 1:

1. ``n_critic`` critic updates, each on its own data batch: maximise
   ``MMD^2(f(x), f(G(z)))``, then clip the critic's weights;
2. one generator update on the last data batch: minimise
   ``MMD^2(f(x), f(G(z)))``.

Packing (PacGAN, :mod:`gengan_jax.algorithms.packing`; not in Li et al.):
with ``pack = m`` the critic embeds ``m`` samples concatenated along their
last axis (data with data, model samples with model samples), so the kernel
compares the distributions of ``m``-tuples, as a packed discriminator judges
them; each critic update then reads ``m`` data batches and every ``G(z)``
pass draws ``m`` batches of ``z``. ``pack = 1`` is Li et al.'s step.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import networks, packing
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import AlgorithmState, OptimizerConfig, check, check_choice, expect_batches
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys
from gengan_jax.ratio import moment_matching

ESTIMATORS = ("unbiased", "biased")


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """MMD GAN hyper-parameters (Li et al. 2017: n_critic 5, clip 0.01).

  Attributes:
    feature_dim: width of the critic's features ``f_phi(x)``.
    kernel: the base kernel on features (see
      :data:`gengan_jax.ratio.moment_matching.KERNELS`).
    kernel_scales: its scales, summed ({1, 2, 4, 8, 16} in the paper).
    estimator: ``'unbiased'`` or ``'biased'`` MMD^2.
    n_critic: critic updates per generator update.
    pack: ``m`` of PacGAN: samples per critic input (1: no packing).
    clip: the critic's weights are kept in ``[-clip, clip]``.
    generator_optimizer, critic_optimizer: Adam settings (the paper uses
      RMSProp 5e-5).
  """

  feature_dim: int = 16
  kernel: str = "gaussian"
  kernel_scales: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)
  estimator: str = "unbiased"
  n_critic: int = 5
  pack: int = 1
  clip: float = 0.01
  generator_optimizer: OptimizerConfig = OptimizerConfig(5e-5, 0.5, 0.999)
  critic_optimizer: OptimizerConfig = OptimizerConfig(5e-5, 0.5, 0.999)

  def __post_init__(self):
    super().__post_init__()
    check(self.feature_dim >= 1, "feature_dim", self.feature_dim, "a positive integer")
    check_choice("kernel", self.kernel, moment_matching.KERNELS)
    check(len(self.kernel_scales) >= 1 and all(s > 0 for s in self.kernel_scales),
          "kernel_scales", self.kernel_scales, "a non-empty tuple of positive numbers")
    check_choice("estimator", self.estimator, ESTIMATORS)
    check(self.n_critic >= 1, "n_critic", self.n_critic, "a positive integer")
    check(self.pack >= 1, "pack", self.pack, "a positive integer (1: no packing)")
    check(self.clip > 0, "clip", self.clip, "> 0")


class State(AlgorithmState):
  """Generator and critic (feature map) states, and the number of steps taken."""

  generator: ts.TrainState
  critic: ts.TrainState


def num_batches(config: Config) -> int:
  """Data batches consumed by one ``train_step``: ``pack`` per critic update."""
  return config.n_critic * config.pack


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises the generator and the feature critic (Adam, then clipping)."""
  g_key, c_key = jax.random.split(key)
  critic = networks.encoder(config, c_key, packing.packed_example(example_batch, config.pack),
                            config.critic_optimizer, latent_dim=config.feature_dim)
  return State(
      step=jnp.zeros((), jnp.int32),
      generator=networks.generator(config, g_key, example_batch, config.generator_optimizer),
      critic=networks.with_weight_clipping(critic, config.clip),
      config=config,
  )


def _feature_mmd2(critic, x, y, kernel, unbiased):
  """MMD^2 between the features ``f(x)`` and ``f(y)`` of ``critic``."""
  return losses.mmd2(critic(x), critic(y), kernel, unbiased=unbiased)


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """``n_critic`` critic updates, then one generator update.

  Args:
    state: the current state.
    batch: data of shape ``[n_critic * pack, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  num_c, m = cfg.n_critic, cfg.pack
  expect_batches(batch, num_c * m,
                 f"mmd_gan with n_critic={num_c}" + (f" and pack={m}" if m > 1 else ""))
  n = batch.shape[1]
  keys = step_keys(key, state.step, "critic", "generator")
  G = state.generator
  kernel = moment_matching.make_kernel(cfg.kernel, cfg.kernel_scales)
  unbiased = cfg.estimator == "unbiased"
  batch = packing.packed_updates(batch, num_c, m)  # [n_critic, B, ..., m * C]

  def fake(g, z_key):
    """``B`` packed critic inputs of ``G``'s samples (``m * B`` of them), through ``g``."""
    return packing.pack_samples(g(gaussian_prior(z_key, m * n, cfg.latent_dim)), m)

  def critic_update(C, inputs):
    x, k = inputs
    x_fake = jax.lax.stop_gradient(fake(lambda z: ts.forward(G, z), k))
    C, loss, _ = ts.minimize(C, lambda c: (-_feature_mmd2(c, x, x_fake, kernel, unbiased),
                                           None))
    return C, -loss

  C, mmd_values = jax.lax.scan(critic_update, state.critic,
                               (batch, jax.random.split(keys["critic"], num_c)))

  x = batch[-1]
  critic = lambda v: ts.forward(C, v)
  G, g_loss, _ = ts.minimize(
      G, lambda g: (_feature_mmd2(critic, x, fake(g, keys["generator"]), kernel, unbiased), None))
  metrics = {"critic_mmd2": mmd_values[-1], "generator_mmd2": g_loss}
  return state.replace(step=state.step + 1, generator=G, critic=C), metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """Draws ``num`` samples ``G(z)``, ``z ~ N(0, I)`` (BN in inference mode)."""
  return networks.sample(state.generator, key, num, state.config.latent_dim)
