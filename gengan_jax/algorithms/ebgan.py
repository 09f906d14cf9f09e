"""EBGAN: an auto-encoder discriminator whose energy is its reconstruction error.

Zhao, Mathieu & LeCun, "Energy-based Generative Adversarial Networks" (ICLR
2017). The discriminator is an auto-encoder and its energy is the mean
squared reconstruction error (Sec. 2.3, :func:`gengan_jax.losses.l2_energy`),

    D(x) = ||Dec(Enc(x)) - x||^2 / N_x,

low on the data and, by training, high elsewhere. With a margin ``m > 0``:

* discriminator (eq. 1): minimise ``L_D = D(x) + [m - D(G(z))]^+``
  (:func:`gengan_jax.losses.ebgan_margin_loss`): reconstruct the data, and
  reconstruct generated samples badly until their energy reaches ``m``;
* generator (eq. 2): minimise ``L_G = D(G(z))``, plus, with
  ``pull_away_weight > 0`` (EBGAN-PT, Sec. 2.4; 0.1 in the paper), that
  weight times the pulling-away term ``f_PT`` (eq. 6,
  :func:`gengan_jax.losses.pulling_away_term`) of the encoder's codes
  ``Enc(G(z))`` of the batch, which pushes those codes apart.

One ``train_step`` is one discriminator update (data against fresh samples),
then one generator update with fresh ``z`` against the updated
discriminator, as in Goodfellow et al.'s alternating scheme.

Packing (PacGAN, :mod:`.packing`; not in the EBGAN paper): with ``pack = m >
1`` the auto-encoder reconstructs ``m`` data points or ``m`` samples
concatenated feature-wise, so an input's energy is its reconstruction error
over all ``m * N_x`` coordinates and the margin applies to the tuple; a step
takes ``m`` data batches and draws ``m * B`` samples for each update. The
pulling-away term is then over the codes of the packed samples. The code
has to carry ``m`` points, so widen it with them: on the grid, packing two
with the unpacked code of 2 left the data's packed energy at ~0.6 and the
generator collapsed onto one point by 10,000 steps; with a code of 4 it
covers all 25 modes at 94% high quality (the README's grid standings).

The margin is in the energy's units. Here the energy is a mean over the
``N_x`` coordinates of an example, so a margin meant for an energy summed
over them is ``m / N_x`` (784 MNIST pixels: a summed ``m = 10`` is 0.013).
The paper writes the energy as a norm, ``||Dec(Enc(x)) - x||``, and tunes
its margins (tens, in its MNIST grid search and its appendix's settings for
the larger images) for its own scaling, so they are not copied. The default
``m = 0.1`` is for the 2-D toy mixtures (unit-scale coordinates): there the
data's energy settles at 0.01-0.07, and a generated point 0.45 away from
the data whose reconstruction lands on the data has energy 0.1; ``m = 1``
(a point ~1.4 away, the ring's whole radius) keeps the data's energy at
0.2-0.3 and covers fewer modes, ``m = 0.3`` about as many as 0.1.

Metrics: ``discriminator_loss``, ``generator_loss``; ``real_energy`` and
``fake_energy`` (batch means of ``D(x)`` and ``D(G(z))`` in the
discriminator's update), ``generator_energy`` (``D(G(z))`` in the
generator's update) and ``pull_away_term`` (``f_PT`` of that batch, also
when its weight is 0: a collapse diagnostic).
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
  """EBGAN hyper-parameters.

  Attributes:
    margin: ``m > 0`` of eq. 1, in the energy's units (a mean over
      coordinates; see the module docstring).
    pull_away_weight: weight of the pulling-away term in the generator's
      loss (0: plain EBGAN; 0.1: the paper's EBGAN-PT).
    energy: ``'l2'`` (the paper's mean squared error) or ``'l1'``.
    code_dim: width of the auto-encoder's code.
    discriminator_batch_norm: batch norm in the ``dcgan`` auto-encoder
      (the paper's DCGAN-style discriminators have it); the ``mlp`` one has
      none.
    generator_optimizer, discriminator_optimizer: Adam settings.
    pack: PacGAN's ``m``: data points or samples per input of the auto-encoder
      discriminator (1: no packing); a step takes ``m`` data batches.
  """

  margin: float = 0.1
  pull_away_weight: float = 0.0
  energy: str = "l2"
  code_dim: int = 2
  discriminator_batch_norm: bool = True
  generator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  discriminator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  pack: int = 1

  def __post_init__(self):
    super().__post_init__()
    check(self.margin > 0, "margin", self.margin, "> 0")
    check(self.pull_away_weight >= 0, "pull_away_weight", self.pull_away_weight, ">= 0")
    check_choice("energy", self.energy, tuple(losses.ENERGIES))
    check(self.code_dim >= 1, "code_dim", self.code_dim, "a positive integer")
    check(self.pack >= 1, "pack", self.pack, "a positive integer (1: no packing)")


class State(AlgorithmState):
  """Generator and auto-encoder discriminator states, and the number of steps taken."""

  generator: ts.TrainState
  discriminator: ts.TrainState


def num_batches(config: Config) -> int:
  """Data batches consumed by one ``train_step``: ``pack`` (one without packing)."""
  return config.pack


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises G and the auto-encoder D for data shaped like ``example_batch[0]``
  (D's inputs packed ``pack`` at a time)."""
  g_key, d_key = jax.random.split(key)
  return State(
      step=jnp.zeros((), jnp.int32),
      generator=networks.generator(config, g_key, example_batch, config.generator_optimizer),
      discriminator=networks.autoencoder(config, d_key,
                                         packing.packed_example(example_batch, config.pack),
                                         config.discriminator_optimizer,
                                         code_dim=config.code_dim,
                                         use_batch_norm=config.discriminator_batch_norm),
      config=config,
  )


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One discriminator update (eq. 1), then one generator update (eq. 2, + PT).

  Args:
    state: the current state.
    batch: data of shape ``[pack, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  m = cfg.pack
  x = packing.packed_data(batch, m, "ebgan")  # [B, ..., m * C]: m data points per input
  n = x.shape[0]
  energy = losses.ENERGIES[cfg.energy]
  keys = step_keys(key, state.step, "discriminator", "generator")
  G = state.generator

  # 1. Discriminator: L_D = D(x) + [m - D(G(z))]^+  (eq. 1).
  def packed_samples(g, z):  # B inputs of D from m * B samples (the samples, unpacked)
    return packing.pack_samples(g(z), m)

  x_fake = jax.lax.stop_gradient(packed_samples(
      lambda v: ts.forward(G, v), gaussian_prior(keys["discriminator"], m * n, cfg.latent_dim)))

  def d_loss_fn(d):
    real_energy = energy(x, d(x))
    fake_energy = energy(x_fake, d(x_fake))
    loss = real_energy.mean() + losses.ebgan_margin_loss(fake_energy, cfg.margin).mean()
    return loss, (real_energy.mean(), fake_energy.mean())

  D, d_loss, (real_energy, fake_energy) = ts.minimize(state.discriminator, d_loss_fn)

  # 2. Generator: L_G = D(G(z))  (eq. 2), + pull_away_weight * f_PT(Enc(G(z)))  (eq. 6).
  z = gaussian_prior(keys["generator"], m * n, cfg.latent_dim)

  def g_loss_fn(g):
    x_gen = packed_samples(g, z)
    reconstruction, code = ts.forward(D, x_gen, return_code=True)
    gen_energy = energy(x_gen, reconstruction).mean()
    pull_away = losses.pulling_away_term(code)
    loss = gen_energy
    if cfg.pull_away_weight > 0:
      loss = loss + cfg.pull_away_weight * pull_away
    return loss, (gen_energy, pull_away)

  G, g_loss, (gen_energy, pull_away) = ts.minimize(G, g_loss_fn)

  metrics = {"discriminator_loss": d_loss, "generator_loss": g_loss,
             "real_energy": real_energy, "fake_energy": fake_energy,
             "generator_energy": gen_energy, "pull_away_term": pull_away}
  return state.replace(step=state.step + 1, generator=G, discriminator=D), metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """Draws ``num`` samples ``G(z)``, ``z ~ N(0, I)`` (BN in inference mode)."""
  return networks.sample(state.generator, key, num, state.config.latent_dim)
