"""alpha-GAN: variational auto-encoding GAN with a code discriminator.

Rosca, Lakshminarayanan, Warde-Farley & Mohamed, "Variational approaches for
auto-encoding generative adversarial networks" (arXiv:1706.04987), Algorithm 1.
Four networks, each with its own optimizer and updated separately:
generator ``G``, encoder ``E``, data discriminator ``D`` and code
discriminator ``C``. With ``x_rec = G(E(x))`` and ``x_gen = G(z)``,
``z ~ N(0, I)``:

* encoder:    ``lambda_E ||x - x_rec||_1  - log C(E(x)) + log(1 - C(E(x)))``
* generator:  ``lambda_G ||x - x_rec||_1  - log D(x_rec) + log(1 - D(x_rec))
  - log D(x_gen) + log(1 - D(x_gen))``
* data discriminator: ``-log D(x) - log(1 - D(x_rec)) - log(1 - D(x_gen))`` —
  both reconstructions and prior samples are fake;
* code discriminator: ``-log C(z) - log(1 - C(E(x)))`` — prior samples are
  real, encoder codes fake. arXiv v1 swaps the two terms in eqs. 16-17 of
  Algorithm 1; the authors confirmed the corrected form used here (see the
  README of the reference re-implementation victor-shepardson/alpha-GAN).

The adversarial terms of E and G use ``-log D + log(1 - D) = -logit``, minus
the log of the density ratio ``D / (1 - D)`` that the discriminator estimates
(Algorithm 1; non-saturating: its gradient never vanishes as ``D -> 0``);
``adversarial_loss='non_saturating'`` uses ``-log D`` instead. The log ratio
is unbounded below, and an encoder can run away with it: its codes move to
where C's piecewise-linear logit grows without limit faster than C learns
to turn it down. With a Gaussian encoder on the grid, 2 of 3 seeds went NaN
past 20,000 steps, their codes' empirical KL from 0.1 to 1e30 in 20 steps,
and 6 more such bursts (to 2e4-2e25) recovered. ``-log D`` saturates there:
with it the same three seeds never ran away (empirical KL at most 194 over
80,000 steps; docs/results.md, "Trained longer").
``code_penalty='empirical_kl'`` replaces the code discriminator by the
minibatch KL of Appendix D (eq. 18): the KL from a diagonal Gaussian fitted to
the batch of codes to the prior.

By default the encoder is deterministic, ``z_hat = E(x)``; ``encoder=
'gaussian'`` or ``'universal'`` makes it a random one, ``z_hat ~ q(z | x)``,
with the adversarial auto-encoder's kinds (:mod:`.aae`): every use of ``E(x)``
above then draws a fresh code. A deterministic encoder's codes lie on a
manifold of the data's intrinsic dimension, so with a wider latent they can
never match the prior (Rubenstein, Schoelkopf & Tolstikhin 2018, "On the
latent space of Wasserstein auto-encoders", who recommend random encoders).
Nothing above rewards a random encoder's noise, so its ``sigma`` shrinks to
0; ``lambda_log_variance`` adds their remedy to the encoder's loss, the L1
penalty ``lambda sum_j |log sigma_j^2|`` (:func:`gengan_jax.losses.log_variance_l1`).
That pull is constant, and Adam's normalised steps need not let it win: in
one 100,000-step run on the grid the mean ``log sigma`` ran from -2 to -60
(-133 to +38 across the data) and the encoder's Adam moments overflowed.
``log_scale_bound`` keeps it in ``(-b, b)``
(:func:`gengan_jax.losses.bounded_log_scale`).

``pack = m > 1`` packs the data discriminator's inputs as PacGAN does
(Lin et al. 2018; :mod:`.packing`, as the two-player family's ``pack``): the
step takes ``m`` data batches, ``x`` above is all ``m B`` of their points (the
encoder, the generator's reconstructions and the code discriminator see them
one by one), and ``D`` judges ``m`` data points, ``m`` reconstructions or
``m`` prior samples at once, concatenated feature-wise: ``B`` decisions per
kind. PacGAN's paper packs only GANs; packing alpha-GAN's data discriminator
is this library's extension (``m = 1``, the default, is Algorithm 1).

One ``train_step``: ``generator_updates`` (default 2) rounds of an encoder
update followed by a generator update, then one data-discriminator update and
one code-discriminator update.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from gengan_jax import losses, nets
from gengan_jax.algorithms import aae, networks, packing
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import AlgorithmState, OptimizerConfig, check, check_choice
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys

ADVERSARIAL_LOSSES = {
    "log_ratio": losses.generator_log_ratio_loss,
    "non_saturating": losses.generator_non_saturating_loss,
}
CODE_PENALTIES = ("discriminator", "empirical_kl")


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """alpha-GAN hyper-parameters.

  Attributes:
    lambda_encoder: weight of the L1 reconstruction in the encoder loss.
    lambda_generator: weight of the L1 reconstruction in the generator loss.
    adversarial_loss: ``'log_ratio'`` (Algorithm 1) or ``'non_saturating'``.
    code_penalty: ``'discriminator'`` (a code discriminator) or
      ``'empirical_kl'`` (Appendix D, eq. 18).
    code_discriminator_hidden: hidden widths of C (3 x 750 in the paper).
    encoder: ``'deterministic'`` (the default), ``'gaussian'`` or
      ``'universal'`` (:data:`gengan_jax.algorithms.aae.ENCODERS`).
    noise_dim: entries of ``eta`` per position of the data's last axis fed to
      the ``'universal'`` encoder (:mod:`.aae`); unused by the other kinds.
    log_scale_bound: ``b > 0`` keeps the ``'gaussian'`` encoder's ``log sigma``
      in ``(-b, b)`` by ``b * tanh(log sigma / b)``
      (:func:`gengan_jax.losses.bounded_log_scale`); None (the default):
      unbounded.
    lambda_log_variance: weight of the L1 penalty on the ``'gaussian'``
      encoder's log-variances in its loss (0: none).
    generator_updates: encoder and generator updates per discriminator update.
    pack: PacGAN's ``m``: data points, reconstructions or samples per input of
      the data discriminator (1: no packing); a step takes ``m`` data batches.
    generator_optimizer, encoder_optimizer, discriminator_optimizer,
    code_discriminator_optimizer: Adam settings, one per network.
  """

  latent_dim: int = 8
  lambda_encoder: float = 1.0
  lambda_generator: float = 1.0
  adversarial_loss: str = "log_ratio"
  code_penalty: str = "discriminator"
  code_discriminator_hidden: tuple[int, ...] = (750, 750, 750)
  encoder: str = "deterministic"
  noise_dim: int = 8
  log_scale_bound: float | None = None
  lambda_log_variance: float = 0.0
  generator_updates: int = 2
  pack: int = 1
  generator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.9)
  encoder_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.9)
  discriminator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.9)
  code_discriminator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.9)

  def __post_init__(self):
    super().__post_init__()
    check(self.lambda_encoder >= 0, "lambda_encoder", self.lambda_encoder, ">= 0")
    check(self.lambda_generator >= 0, "lambda_generator", self.lambda_generator, ">= 0")
    check_choice("adversarial_loss", self.adversarial_loss, ADVERSARIAL_LOSSES)
    check_choice("code_penalty", self.code_penalty, CODE_PENALTIES)
    aae.check_encoder_settings(self)
    aae.check_log_variance_weight(self)
    check(self.generator_updates >= 1, "generator_updates",
          self.generator_updates, "a positive integer")
    check(self.pack >= 1, "pack", self.pack, "a positive integer (1: no packing)")


class State(AlgorithmState):
  """The four networks' states and the number of steps taken.

  ``code_discriminator`` is still present (and simply not updated) when
  ``code_penalty='empirical_kl'``, so every config has the same state type.
  """

  generator: ts.TrainState
  encoder: ts.TrainState
  discriminator: ts.TrainState
  code_discriminator: ts.TrainState


def num_batches(config: Config) -> int:
  """Data batches consumed by one ``train_step``: ``pack`` (one without packing)."""
  return config.pack


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises G, E, D and C for data shaped like ``example_batch[0]``."""
  g_key, e_key, d_key, c_key = jax.random.split(key, 4)
  code_discriminator = nets.CodeDiscriminator(hidden=config.code_discriminator_hidden)
  z = jnp.zeros((example_batch.shape[0], config.latent_dim))
  return State(
      step=jnp.zeros((), jnp.int32),
      generator=networks.generator(config, g_key, example_batch, config.generator_optimizer),
      encoder=aae.init_encoder(config, e_key, example_batch, config.encoder_optimizer),
      discriminator=networks.discriminator(config, d_key,
                                           packing.packed_example(example_batch, config.pack),
                                           config.discriminator_optimizer),
      code_discriminator=ts.create(code_discriminator, c_key, z,
                                   config.code_discriminator_optimizer),
      config=config,
  )


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One iteration of Algorithm 1.

  Args:
    state: the current state.
    batch: data of shape ``[pack, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  x = packing.data_points(batch, cfg.pack, "alpha_gan")
  n = x.shape[0]
  keys = step_keys(key, state.step, "generator", "discriminator", "code")
  G, E, D, C = (state.generator, state.encoder, state.discriminator,
                state.code_discriminator)
  adversarial = ADVERSARIAL_LOSSES[cfg.adversarial_loss]

  def packed(v):  # m * B points as the B inputs of D (as they are without packing)
    return packing.pack_samples(v, cfg.pack)

  # The random encoders' noise, one draw per use of E(x), split off the code
  # key so that the deterministic encoder's draws keep their keys.
  posterior_keys = jax.random.split(jax.random.fold_in(keys["code"], 1),
                                    2 * cfg.generator_updates + 1)

  def encoder_codes(encoder, draw):
    return aae.codes(cfg, encoder, x, posterior_keys[draw])

  def code_term(codes):
    if cfg.code_penalty == "empirical_kl":
      return losses.empirical_kl(codes)
    return adversarial(ts.forward(C, codes)).mean()

  for i in range(cfg.generator_updates):
    # Encoder: reconstruct x and make its codes look like prior samples to C.
    def e_loss_fn(e):
      z_hat, log_scale = aae.codes_and_log_scale(cfg, e, x, posterior_keys[2 * i])
      rec = losses.l1_reconstruction(x, ts.forward(G, z_hat)).mean()
      loss = (cfg.lambda_encoder * rec + code_term(z_hat)
              + aae.log_variance_penalty(cfg, log_scale))
      return loss, (rec, None if log_scale is None else jnp.mean(log_scale))

    E, e_loss, (e_rec, e_log_scale) = ts.minimize(E, e_loss_fn)

    # Generator: reconstruct x and make reconstructions and samples look real.
    z_hat = jax.lax.stop_gradient(encoder_codes(lambda v: ts.forward(E, v), 2 * i + 1))
    z = gaussian_prior(jax.random.fold_in(keys["generator"], i), n, cfg.latent_dim)

    def g_loss_fn(g):
      x_rec, x_gen = g(z_hat), g(z)
      rec = losses.l1_reconstruction(x, x_rec).mean()
      adv = (adversarial(ts.forward(D, packed(x_rec))).mean()
             + adversarial(ts.forward(D, packed(x_gen))).mean())
      return cfg.lambda_generator * rec + adv, rec

    G, g_loss, g_rec = ts.minimize(G, g_loss_fn)

  # Data discriminator: x is real; reconstructions and prior samples are fake.
  z_hat = jax.lax.stop_gradient(encoder_codes(lambda v: ts.forward(E, v), -1))
  z = gaussian_prior(keys["discriminator"], n, cfg.latent_dim)
  x_rec = jax.lax.stop_gradient(ts.forward(G, z_hat))
  x_gen = jax.lax.stop_gradient(ts.forward(G, z))

  def d_loss_fn(d):
    real_logits, rec_logits, gen_logits = d(packed(x)), d(packed(x_rec)), d(packed(x_gen))
    loss = (losses.discriminator_real_loss(real_logits).mean()
            + losses.discriminator_fake_loss(rec_logits).mean()
            + losses.discriminator_fake_loss(gen_logits).mean())
    return loss, (real_logits, gen_logits)

  D, d_loss, (real_logits, gen_logits) = ts.minimize(D, d_loss_fn)

  metrics = {
      "encoder_loss": e_loss,
      "generator_loss": g_loss,
      "discriminator_loss": d_loss,
      "reconstruction_l1": g_rec,
      "d_real": jnp.mean(jax.nn.sigmoid(real_logits)),
      "d_fake": jnp.mean(jax.nn.sigmoid(gen_logits)),
      "empirical_kl": losses.empirical_kl(z_hat),
  }
  if cfg.encoder == "gaussian":  # Does q(z | x) stay random? (log sigma -> -inf: no.)
    metrics["posterior_log_scale"] = e_log_scale  # at the last encoder update's input

  # Code discriminator: prior samples are real, encoder codes are fake.
  if cfg.code_penalty == "discriminator":
    z_prior = gaussian_prior(keys["code"], n, cfg.latent_dim)

    def c_loss_fn(c):
      return (losses.discriminator_real_loss(c(z_prior)).mean()
              + losses.discriminator_fake_loss(c(z_hat)).mean()), None

    C, c_loss, _ = ts.minimize(C, c_loss_fn)
    metrics["code_discriminator_loss"] = c_loss

  new_state = state.replace(step=state.step + 1, generator=G, encoder=E,
                            discriminator=D, code_discriminator=C)
  return new_state, metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """Draws ``num`` samples ``G(z)``, ``z ~ N(0, I)`` (BN in inference mode)."""
  return networks.sample(state.generator, key, num, state.config.latent_dim)


def encode(state: State, x: jax.Array) -> jax.Array:
  """Codes of data ``x`` of shape ``[B, *data_shape]``: ``E(x)``, the mean
  ``mu(x)`` or ``E(x, 0)`` (:func:`.aae.code_of`)."""
  return aae.code_of(state.config, state.encoder, x)


def reconstruct(state: State, x: jax.Array) -> jax.Array:
  """Reconstructions ``G(E(x))``."""
  return ts.forward(state.generator, encode(state, x), train=False)
