"""BEGAN: boundary equilibrium GAN, an auto-encoder discriminator held in balance.

Berthelot, Schumm & Metz, "BEGAN: Boundary Equilibrium Generative
Adversarial Networks" (arXiv:1703.10717, 2017). The discriminator ``D`` is
an auto-encoder; an example's energy is its L1 reconstruction error
``L(v) = |v - D(v)|`` (Sec. 3.1 with ``eta = 1``; a mean over the
coordinates here, :func:`gengan_jax.losses.l1_energy`). The BEGAN objective
(Sec. 3.4), with batch means of ``L``:

* discriminator: minimise ``L_D = L(x) - k_t L(G(z_D))``;
* generator:     minimise ``L_G = L(G(z_G))``;
* control:       ``k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z_G))), 0, 1)``
  (:func:`gengan_jax.losses.began_k_update`), ``k_0 = 0``.

``k_t`` is a proportional controller that keeps the equilibrium
``E[L(G(z))] = gamma E[L(x)]`` (Sec. 3.3): the diversity ratio ``gamma``
trades sample diversity (high) against quality (low); ``lambda_k`` (0.001)
is its gain. The convergence measure (Sec. 3.4.1,
:func:`gengan_jax.losses.began_convergence`)::

    M_global = L(x) + |gamma L(x) - L(G(z_G))|

is logged every step.

One ``train_step`` is one step ``t`` of the system above: ``L_D``, ``L_G``
and ``k_{t+1}`` are all evaluated at the step's discriminator ``D_t`` (the
discriminator and the generator take their gradient steps from the same
``D_t``, as the three equations are written and as the authors' code
steps both optimisers at once), with fresh ``z_D`` and ``z_G``; ``k_t`` is
carried in the state.

The paper's networks have no batch norm (``discriminator_batch_norm=False``
by default here), ELU activations and an ``N_h = 64`` embedding; this
library's DCGAN layers (leaky ReLU encoder, ReLU decoder) stand in for its
architecture. Its optimiser is Adam at 1e-4 (decayed when ``M_global``
stalls; no decay here).

Packing (PacGAN, :mod:`.packing`; not in the BEGAN paper), as in
:mod:`.ebgan`: with ``pack = m > 1`` the auto-encoder reconstructs ``m``
data points, or ``m`` samples, side by side, and ``L`` is its error over all
of them; a step takes ``m`` data batches and draws ``m * B`` samples for each
of ``z_D`` and ``z_G``. The code has to carry ``m`` points, so widen it with
them (``code_dim`` 4 for two 2-D points).

Metrics: ``discriminator_loss`` (``L_D``), ``generator_loss`` (``L_G``),
``real_energy`` (``L(x)``), ``fake_energy`` (``L(G(z_D))``), ``k`` (the
state's ``k_{t+1}`` after the step) and ``m_global``.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import networks, packing
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import AlgorithmState, OptimizerConfig, check, check_choice
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """BEGAN hyper-parameters (the paper: gamma 0.5, lambda_k 0.001, k_0 = 0, Adam 1e-4).

  Attributes:
    gamma: the diversity ratio ``E[L(G(z))] / E[L(x)]`` aimed at, in
      ``[0, 1]``.
    lambda_k: the gain of the ``k_t`` update, ``>= 0``.
    initial_k: ``k_0`` in ``[0, 1]`` (0 in the paper).
    energy: ``'l1'`` (the paper's ``eta = 1``) or ``'l2'`` (``eta = 2``).
    code_dim: width of the auto-encoder's code (``N_h``; 64 in the paper).
    discriminator_batch_norm: batch norm in the ``dcgan`` auto-encoder
      (the paper has none); the ``mlp`` one has none.
    generator_optimizer, discriminator_optimizer: Adam settings.
    pack: PacGAN's ``m``: data points or samples per input of the auto-encoder
      discriminator (1: no packing); a step takes ``m`` data batches.
  """

  gamma: float = 0.5
  lambda_k: float = 0.001
  initial_k: float = 0.0
  energy: str = "l1"
  code_dim: int = 2
  discriminator_batch_norm: bool = False
  generator_optimizer: OptimizerConfig = OptimizerConfig(1e-4, 0.5, 0.999)
  discriminator_optimizer: OptimizerConfig = OptimizerConfig(1e-4, 0.5, 0.999)
  pack: int = 1

  def __post_init__(self):
    super().__post_init__()
    check(0 <= self.gamma <= 1, "gamma", self.gamma, "in [0, 1]")
    check(self.lambda_k >= 0, "lambda_k", self.lambda_k, ">= 0")
    check(0 <= self.initial_k <= 1, "initial_k", self.initial_k, "in [0, 1]")
    check_choice("energy", self.energy, tuple(losses.ENERGIES))
    check(self.code_dim >= 1, "code_dim", self.code_dim, "a positive integer")
    check(self.pack >= 1, "pack", self.pack, "a positive integer (1: no packing)")


class State(AlgorithmState):
  """Generator and auto-encoder discriminator states, ``k_t``, and the step."""

  generator: ts.TrainState
  discriminator: ts.TrainState
  k: jax.Array


def num_batches(config: Config) -> int:
  """Data batches consumed by one ``train_step``: ``pack`` (one without packing)."""
  return config.pack


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises G, the auto-encoder D (its inputs packed ``pack`` at a time) and ``k_0``
  for data shaped like ``example_batch[0]``."""
  g_key, d_key = jax.random.split(key)
  return State(
      step=jnp.zeros((), jnp.int32),
      generator=networks.generator(config, g_key, example_batch, config.generator_optimizer),
      discriminator=networks.autoencoder(config, d_key,
                                         packing.packed_example(example_batch, config.pack),
                                         config.discriminator_optimizer,
                                         code_dim=config.code_dim,
                                         use_batch_norm=config.discriminator_batch_norm),
      k=jnp.asarray(config.initial_k, jnp.float32),
      config=config,
  )


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One step ``t`` of the BEGAN objective: D and G from ``D_t``, then ``k_{t+1}``.

  Args:
    state: the current state.
    batch: data of shape ``[pack, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  m = cfg.pack
  x = packing.packed_data(batch, m, "began")  # [B, ..., m * C]: m data points per input
  n = x.shape[0]
  energy = losses.ENERGIES[cfg.energy]
  keys = step_keys(key, state.step, "discriminator", "generator")
  G, D_t, k_t = state.generator, state.discriminator, state.k

  def packed_samples(g, z):  # B inputs of D from m * B samples (the samples, unpacked)
    return packing.pack_samples(g(z), m)

  # Discriminator: L_D = L(x) - k_t L(G(z_D)).
  x_fake = jax.lax.stop_gradient(packed_samples(
      lambda v: ts.forward(G, v), gaussian_prior(keys["discriminator"], m * n, cfg.latent_dim)))

  def d_loss_fn(d):
    real_energy = energy(x, d(x)).mean()
    fake_energy = energy(x_fake, d(x_fake)).mean()
    return real_energy - k_t * fake_energy, (real_energy, fake_energy)

  D, d_loss, (real_energy, fake_energy) = ts.minimize(D_t, d_loss_fn)

  # Generator: L_G = L(G(z_G)), against the same D_t.
  z = gaussian_prior(keys["generator"], m * n, cfg.latent_dim)

  def g_loss_fn(g):
    x_gen = packed_samples(g, z)
    return energy(x_gen, ts.forward(D_t, x_gen)).mean(), None

  G, g_loss, _ = ts.minimize(G, g_loss_fn)

  # k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z_G))), 0, 1);  M_global.
  k = losses.began_k_update(k_t, real_energy, g_loss, gamma=cfg.gamma, lambda_k=cfg.lambda_k)
  metrics = {"discriminator_loss": d_loss, "generator_loss": g_loss,
             "real_energy": real_energy, "fake_energy": fake_energy, "k": k,
             "m_global": losses.began_convergence(real_energy, g_loss, gamma=cfg.gamma)}
  return state.replace(step=state.step + 1, generator=G, discriminator=D, k=k), metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """Draws ``num`` samples ``G(z)``, ``z ~ N(0, I)`` (BN in inference mode)."""
  return networks.sample(state.generator, key, num, state.config.latent_dim)
