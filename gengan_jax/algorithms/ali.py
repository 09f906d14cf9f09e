r"""ALI: adversarially learned inference with a joint discriminator ``D(x, z)``.

Dumoulin, Belghazi, Poole, Mastropietro, Lamb, Arjovsky & Courville,
"Adversarially learned inference" (ICLR 2017, arXiv:1606.00704), Algorithm 1.
Three networks: the generator (decoder) ``G: z -> x``, the encoder
``E: x -> z`` and a discriminator ``D(x, z)`` on pairs. The encoder's joint
``q(x, z) = q(x) q(z | x)`` (data with its codes) and the generator's
``p(x, z) = p(z) p(x | z)`` (prior codes with their samples) are matched
adversarially: with ``rho_q = D(x, z_hat)``, ``z_hat ~ q(z | x)``, and
``rho_p = D(x_tilde, z)``, ``x_tilde = G(z)``, ``z ~ N(0, I)`` (logits, as
``sigma(rho) = D``), one step is

* discriminator: ``L_d = -log sigma(rho_q) - log(1 - sigma(rho_p))`` --
  data pairs are real, prior pairs fake (the value function ``V(D, G)``,
  negated);
* generator and encoder, one joint update: ``L_g = -log(1 - sigma(rho_q))
  - log sigma(rho_p)`` -- the discriminator's loss with the labels swapped,
  Algorithm 1's non-saturating form (the authors' code, ``ali/bricks.py``:
  ``softplus(rho_q) + softplus(-rho_p)``), not the minimax ``-L_d``.

Both gradients are taken at the step's starting parameters and on the same
draws of ``x``, ``z``, ``z_hat`` (and dropout masks), then each network takes
its own optimizer step: Algorithm 1's simultaneous update (the authors'
``ali_algorithm`` computes both gradients from one graph).

The encoder is ``encoder='gaussian'`` (ALI: ``q(z | x) = N(mu(x),
sigma(x)^2)``, sampled by reparameterisation ``z_hat = mu + sigma eps``;
:func:`networks.gaussian_encoder`) or ``'deterministic'`` (``z_hat = E(x)``;
:func:`networks.encoder`): BiGAN (Donahue et al. 2017,
:mod:`gengan_jax.algorithms.bigan`) is this step with the deterministic
encoder. ``D`` is :class:`gengan_jax.nets.JointDiscriminator` (``x``
flattened, or a DCGAN conv stack on images, concatenated with ``z``, then an
MLP of ``discriminator_hidden``) with the dropout of every ALI
discriminator in the authors' code: 20% of its inputs, 50% of its hidden
units (``discriminator_input_dropout``, ``discriminator_dropout``; a fresh
mask each step).

``pack = m > 1`` packs ``D``'s pairs as PacGAN packs a discriminator's
inputs (Lin et al. 2018; :mod:`.packing`, as the two-player family's
``pack``): the step takes ``m`` data batches, ``x`` above is all ``m B`` of
their points (the encoder codes them one by one) with ``m B`` prior draws
``z``, and ``D`` judges ``m`` pairs at once, their ``x`` parts concatenated
feature-wise and their codes likewise: ``B`` decisions per kind, each of
``m`` data pairs or of ``m`` prior pairs. PacGAN's paper packs only GANs;
packing ALI's and BiGAN's joint discriminator is this library's extension
(``m = 1``, the default, is Algorithm 1).

Metrics: ``discriminator_loss``, ``generator_loss`` (``L_g``), ``d_data`` and
``d_sample`` (mean ``sigma(rho_q)``, ``sigma(rho_p)``), ``reconstruction_l2``
(mean ``||x - G(z_hat)||^2`` per data point, a diagnostic ALI does not train on).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import networks, packing
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import check_widths
from gengan_jax.core import AlgorithmState, OptimizerConfig, check, check_choice
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys

ENCODERS = ("gaussian", "deterministic")


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """ALI hyper-parameters.

  Attributes:
    encoder: ``'gaussian'`` (ALI's reparameterised ``q(z | x)``) or
      ``'deterministic'`` (BiGAN's ``z = E(x)``).
    discriminator_hidden: widths of ``D``'s MLP head on ``(x, z)`` (ALI's
      mixture discriminator: two maxout layers of 400 units; here leaky ReLU).
    discriminator_input_dropout: dropout rate on ``D``'s input (ALI: 0.2).
    discriminator_dropout: dropout rate on ``D``'s hidden units (ALI: 0.5).
    pack: PacGAN's ``m``: pairs per input of ``D`` (1: no packing); a step
      takes ``m`` data batches.
    generator_optimizer, encoder_optimizer, discriminator_optimizer: Adam
      with the paper's image settings (learning rate 1e-4, beta1 0.5; its
      "beta2 = 1e-3" is the authors' Blocks library's ``1 - beta2``, i.e.
      0.999 here).
  """

  encoder: str = "gaussian"
  discriminator_hidden: tuple[int, ...] = (400, 400)
  discriminator_input_dropout: float = 0.2
  discriminator_dropout: float = 0.5
  pack: int = 1
  generator_optimizer: OptimizerConfig = OptimizerConfig(1e-4, 0.5, 0.999)
  encoder_optimizer: OptimizerConfig = OptimizerConfig(1e-4, 0.5, 0.999)
  discriminator_optimizer: OptimizerConfig = OptimizerConfig(1e-4, 0.5, 0.999)

  def __post_init__(self):
    super().__post_init__()
    check_choice("encoder", self.encoder, ENCODERS)
    check_widths("discriminator_hidden", self.discriminator_hidden, allow_empty=True)
    check(0.0 <= self.discriminator_input_dropout < 1.0, "discriminator_input_dropout",
          self.discriminator_input_dropout, "in [0, 1)")
    check(0.0 <= self.discriminator_dropout < 1.0, "discriminator_dropout",
          self.discriminator_dropout, "in [0, 1)")
    check(self.pack >= 1, "pack", self.pack, "a positive integer (1: no packing)")


class State(AlgorithmState):
  """The generator, the encoder, the joint discriminator and the steps taken."""

  generator: ts.TrainState
  encoder: ts.TrainState
  discriminator: ts.TrainState


def num_batches(config: Config) -> int:
  """Data batches consumed by one ``train_step``: ``pack`` (one without packing)."""
  return config.pack


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises G, E and D for data shaped like ``example_batch[0]``."""
  g_key, e_key, d_key = jax.random.split(key, 3)
  make_encoder = (networks.gaussian_encoder if config.encoder == "gaussian"
                  else networks.encoder)
  return State(
      step=jnp.zeros((), jnp.int32),
      generator=networks.generator(config, g_key, example_batch, config.generator_optimizer),
      encoder=make_encoder(config, e_key, example_batch, config.encoder_optimizer),
      discriminator=networks.joint_discriminator(
          config, d_key, packing.packed_example(example_batch, config.pack),
          config.discriminator_optimizer, latent_dim=config.pack * config.latent_dim,
          hidden=config.discriminator_hidden, activation="leaky_relu",
          input_dropout=config.discriminator_input_dropout,
          dropout=config.discriminator_dropout),
      config=config,
  )


def posterior_sample(config: Config, encoder, x: jax.Array, key: jax.Array) -> jax.Array:
  """``z_hat ~ q(z | x)``: ``mu + sigma eps`` (Gaussian) or ``E(x)`` (deterministic).

  Args:
    config: the algorithm's config (its ``encoder``).
    encoder: the encoder as a callable (a :class:`~gengan_jax.core.train_state.Net`
      or ``ts.forward`` of a state).
    x: data ``[B, *data_shape]``.
    key: the draw of ``eps`` (unused by the deterministic encoder).
  """
  if config.encoder == "deterministic":
    return encoder(x)
  mean, log_scale = encoder(x)
  return losses.gaussian_sample(key, mean, log_scale)


def discriminator_loss(rho_q: jax.Array, rho_p: jax.Array) -> jax.Array:
  """``L_d = mean -log sigma(rho_q) + mean -log(1 - sigma(rho_p))``: data pairs real."""
  return (losses.discriminator_real_loss(rho_q).mean()
          + losses.discriminator_fake_loss(rho_p).mean())


def generator_loss(rho_q: jax.Array, rho_p: jax.Array) -> jax.Array:
  """``L_g = mean -log(1 - sigma(rho_q)) + mean -log sigma(rho_p)``: :func:`discriminator_loss`
  with the labels swapped (the generator and encoder's non-saturating loss)."""
  return discriminator_loss(rho_p, rho_q)


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One iteration of Algorithm 1: D and (G, E) updated simultaneously.

  Args:
    state: the current state.
    batch: data of shape ``[pack, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  x = packing.data_points(batch, cfg.pack, "ali" if cfg.encoder == "gaussian" else "bigan")
  keys = step_keys(key, state.step, "prior", "posterior", "dropout")
  z = gaussian_prior(keys["prior"], x.shape[0], cfg.latent_dim)
  G, E, D = state.generator, state.encoder, state.discriminator
  rngs = {"dropout": keys["dropout"]}

  def packed(v):  # m * B points or codes as the B inputs of D (as they are without packing)
    return packing.pack_samples(v, cfg.pack)

  def logits(d, x, z_hat, x_tilde, z):
    """``(rho_q, rho_p) = (D(x, z_hat), D(x_tilde, z))``, packed, with one dropout key."""
    return (d((packed(x), packed(z_hat)), rngs=rngs),
            d((packed(x_tilde), packed(z)), rngs=rngs))

  # Generator and encoder: the swapped-label loss through D at its current parameters.
  def ge_loss_fn(nets):
    z_hat = posterior_sample(cfg, nets["encoder"], x, keys["posterior"])
    x_tilde = nets["generator"](z)
    rho_q, rho_p = logits(lambda pair, rngs: ts.forward(D, pair, rngs=rngs),
                          x, z_hat, x_tilde, z)
    return generator_loss(rho_q, rho_p), z_hat

  updated, g_loss, z_hat = ts.minimize_jointly({"generator": G, "encoder": E}, ge_loss_fn)

  # Discriminator: the same pairs, from G and E before their update.
  z_hat = jax.lax.stop_gradient(z_hat)
  x_tilde = jax.lax.stop_gradient(ts.forward(G, z))

  def d_loss_fn(d):
    rho_q, rho_p = logits(d, x, z_hat, x_tilde, z)
    return discriminator_loss(rho_q, rho_p), (rho_q, rho_p)

  D, d_loss, (rho_q, rho_p) = ts.minimize(D, d_loss_fn)

  x_rec = ts.forward(G, z_hat)
  metrics = {
      "discriminator_loss": d_loss,
      "generator_loss": g_loss,
      "d_data": jnp.mean(jax.nn.sigmoid(rho_q)),
      "d_sample": jnp.mean(jax.nn.sigmoid(rho_p)),
      "reconstruction_l2": jnp.mean(losses.l2_reconstruction(x, x_rec)),
  }
  return state.replace(step=state.step + 1, discriminator=D, **updated), metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """Draws ``num`` samples ``G(z)``, ``z ~ N(0, I)`` (BN in inference mode)."""
  return networks.sample(state.generator, key, num, state.config.latent_dim)


def encode(state: State, x: jax.Array) -> jax.Array:
  """Codes of ``x`` ``[B, *data_shape]``: the mean ``mu(x)`` (Gaussian) or ``E(x)``."""
  out = ts.forward(state.encoder, x, train=False)
  return out[0] if state.config.encoder == "gaussian" else out


def reconstruct(state: State, x: jax.Array) -> jax.Array:
  """Reconstructions ``G(encode(x))``."""
  return ts.forward(state.generator, encode(state, x), train=False)
