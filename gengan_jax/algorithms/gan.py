"""The two-player GAN family: a loss pair, a penalty, an update schedule.

Goodfellow et al. (2014), and every GAN that differs from it only in its
objective: compare_gan's lesson (``modular_gan.py``) is that a new GAN is a
choice of loss pair (:func:`gengan_jax.losses.loss_pair`: minimax,
non-saturating, least squares, hinge, Wasserstein, every f-divergence) and
of penalty (:func:`gengan_jax.losses.penalty_terms`: none, WGAN-GP two- and
one-sided, DRAGAN, R1, R2) and of constraint (:data:`CONSTRAINTS`: none, or
WGAN's weight clipping), not a new file; TF-GAN's that the update
schedule is data (``GANTrainSteps``). The named algorithms of this family are
presets of it (``dcgan``, ``gan_penalty``, ``fgan``, ``wgan_gp``): a module
with the paper's citation and its defaults as a ``Config`` subclass.

With ``pair = loss_pair(config)`` and ``P`` the penalty, one ``train_step``
is:

1. ``discriminator_updates`` times (WGAN-GP's ``n_critic``), each on its own
   data batch and fresh ``z``: minimise
   ``mean pair.real(D(x)) + mean pair.fake(D(G(z))) + penalty_weight * mean P``;
2. ``generator_updates`` times, each with fresh ``z`` (or, with
   ``generator_noise='shared'``, the ``z`` of the discriminator update, as
   DCGAN-tensorflow's loop feeds one batch of noise to the three updates of
   an iteration): minimise ``mean pair.generator(D(G(z)))``.

``z`` is drawn from the prior named ``prior``: N(0, I) (the default) or
Uniform(-1, 1) in each coordinate (DCGAN's, Radford et al. 2016, Sec. 4;
:func:`gengan_jax.core.keys.uniform_prior`), in training and in ``sample``.

An f-GAN pair's generator may minimise another divergence than its critic's
(``generator_divergence``), in the saturating or non-saturating form
(``generator_loss``): :func:`gengan_jax.losses.f_divergence_pair`.

Packing (PacGAN, :mod:`gengan_jax.algorithms.packing`): with ``pack = m``
the discriminator judges ``m`` samples concatenated along their last axis
(data with data, model samples with model samples); each discriminator
update then reads ``m`` data batches and every ``G(z)`` pass draws ``m``
batches of ``z``. Any preset can use it.

WGAN's critic bursts (``critic_bursts``, :mod:`gengan_jax.algorithms.schedules`):
``burst_updates`` critic updates before each of the first ``burst_first``
generator updates and before every ``burst_every``-th; a burst spans
several steps, and only its last one updates the generator
(``generator_updated`` says which did).

The discriminator has batch norm unless a penalty is used (penalties are
per-example gradients; ``discriminator_batch_norm`` overrides).

Metrics: the losses; the penalty (``gradient_penalty``); what the
adversarial loss estimates where the pair says (``divergence_estimate``: the
f-GAN variational bound; ``wasserstein_estimate``: the critic's
Kantorovich-Rubinstein dual), otherwise the adversarial loss alone
(``gan_loss``, with a penalty) and the mean outputs (``d_real``, ``d_fake``
as probabilities for logit pairs; ``real_score``, ``fake_score``). With
several discriminator updates they are those of the last one.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import networks, packing, schedules
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import (AlgorithmState, ConfigError, OptimizerConfig, check, check_choice,
                             expect_batches)
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import PRIORS, per_update, step_keys

PENALTIES = losses.PENALTIES
# Constraints on the discriminator's weights: 'clip' keeps every weight in
# [-clip, clip] after each update (WGAN, Arjovsky et al. 2017, Algorithm 1).
CONSTRAINTS = ("none", "clip")
# Where the generator updates' z comes from: 'fresh' draws, or the discriminator update's.
GENERATOR_NOISE = ("fresh", "shared")


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """The family's settings (defaults: the non-saturating GAN, no penalty).

  Attributes:
    loss: a loss pair of :data:`gengan_jax.losses.LOSS_PAIRS`.
    generator_divergence: with an ``'f:<divergence>'`` loss, the divergence
      the generator minimises; ``None`` for the critic's.
    generator_loss: with an ``'f:<divergence>'`` loss, ``'non_saturating'``
      or ``'saturating'``.
    penalty: one of :data:`PENALTIES`.
    penalty_weight: lambda (GP, DRAGAN) or gamma / 2 (R1, R2), >= 0.
    constraint: one of :data:`CONSTRAINTS` on the discriminator's weights.
    clip: ``c`` of ``constraint='clip'`` (0.01 in WGAN), > 0.
    target_norm: the gradient norm the GP and DRAGAN penalties aim at.
    dragan_method, dragan_scale: see :func:`gengan_jax.losses.dragan_perturb`.
    discriminator_updates: discriminator updates per step, each on its own
      data batch (``n_critic``).
    generator_updates: generator updates per step.
    discriminator_batch_norm: batch norm in D; ``None``: only without a penalty.
    pack: ``m`` of PacGAN: samples per discriminator input (1: no packing).
    prior: the law of ``z``, a key of :data:`gengan_jax.core.keys.PRIORS`:
      ``'gaussian'`` (N(0, I)) or ``'uniform'`` (Uniform(-1, 1)^K).
    generator_noise: ``'fresh'`` (each generator update draws its own
      ``z``) or ``'shared'`` (every generator update of a step reuses the
      discriminator update's ``z``; DCGAN-tensorflow's loop; needs
      ``discriminator_updates = 1`` and no ``critic_bursts``).
    critic_bursts: WGAN's bursts of critic updates (the authors' code).
    burst_updates: critic updates of a burst generator iteration, a multiple
      of ``discriminator_updates`` (100).
    burst_first: the first this many generator iterations are bursts (25).
    burst_every: so is every generator iteration divisible by this (500).
    generator_optimizer, discriminator_optimizer: optimizer settings.
  """

  loss: str = "non_saturating"
  generator_divergence: str | None = None
  generator_loss: str = "non_saturating"
  penalty: str = "none"
  penalty_weight: float = 10.0
  constraint: str = "none"
  clip: float = 0.01
  target_norm: float = 1.0
  dragan_method: str = "uniform"
  dragan_scale: float = 0.5
  discriminator_updates: int = 1
  generator_updates: int = 1
  discriminator_batch_norm: bool | None = None
  pack: int = 1
  prior: str = "gaussian"
  generator_noise: str = "fresh"
  critic_bursts: bool = False
  burst_updates: int = 100
  burst_first: int = 25
  burst_every: int = 500
  generator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  discriminator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)

  def __post_init__(self):
    super().__post_init__()
    check_choice("loss", self.loss, losses.LOSS_PAIRS)
    check_choice("generator_loss", self.generator_loss, losses.GENERATOR_LOSSES)
    divergence = losses.loss_pair(self.loss).divergence
    if self.generator_divergence is not None:
      check_choice("generator_divergence", self.generator_divergence, losses.DIVERGENCES)
    if divergence is None and (self.generator_divergence, self.generator_loss) != (
        None, "non_saturating"):
      raise ConfigError(
          f"config values generator_divergence={self.generator_divergence!r}, generator_loss="
          f"{self.generator_loss!r} are invalid with loss={self.loss!r}: they choose an "
          "f-GAN generator; use loss='f:<divergence>', or None and 'non_saturating'.")
    if divergence == "total_variation" and self.generator_divergence not in (
        None, "total_variation"):
      raise ConfigError(
          f"config value generator_divergence={self.generator_divergence!r} is invalid with "
          "a 'total_variation' critic: it does not estimate the density ratio; use the "
          "same divergence.")
    check_choice("penalty", self.penalty, PENALTIES)
    check(self.penalty_weight >= 0, "penalty_weight", self.penalty_weight, ">= 0")
    check_choice("constraint", self.constraint, CONSTRAINTS)
    check(self.clip > 0, "clip", self.clip, "> 0")
    check(self.target_norm >= 0, "target_norm", self.target_norm, ">= 0")
    check_choice("dragan_method", self.dragan_method, losses.DRAGAN_METHODS)
    check(self.dragan_scale >= 0, "dragan_scale", self.dragan_scale, ">= 0")
    check(self.discriminator_updates >= 1, "discriminator_updates",
          self.discriminator_updates, "a positive integer")
    check(self.generator_updates >= 1, "generator_updates",
          self.generator_updates, "a positive integer")
    check(self.pack >= 1, "pack", self.pack, "a positive integer (1: no packing)")
    check_choice("prior", self.prior, PRIORS)
    check_choice("generator_noise", self.generator_noise, GENERATOR_NOISE)
    if self.generator_noise == "shared" and (self.discriminator_updates != 1
                                             or self.critic_bursts):
      raise ConfigError(
          f"config value generator_noise='shared' is invalid with discriminator_updates="
          f"{self.discriminator_updates}, critic_bursts={self.critic_bursts}: it reuses the "
          "one discriminator update's z; use discriminator_updates=1 and critic_bursts=False, "
          "or generator_noise='fresh'.")
    check(self.burst_first >= 0, "burst_first", self.burst_first, ">= 0")
    check(self.burst_every >= 1, "burst_every", self.burst_every, "a positive integer")
    check(not self.critic_bursts or (self.burst_updates >= self.discriminator_updates
          and self.burst_updates % self.discriminator_updates == 0), "burst_updates",
          self.burst_updates, f"a positive multiple of discriminator_updates="
          f"{self.discriminator_updates} (a burst spans whole steps)")
    if self.discriminator_batch_norm and self.penalty != "none":
      raise ConfigError(
          f"config value discriminator_batch_norm=True is invalid with penalty="
          f"{self.penalty!r}: a gradient penalty needs per-example gradients; use "
          "discriminator_batch_norm=None or False, or penalty='none'.")

  @property
  def uses_batch_norm(self) -> bool:
    if self.discriminator_batch_norm is None:
      return self.penalty == "none"
    return self.discriminator_batch_norm


def derive(config: Config, **fields) -> None:
  """Sets family ``fields`` of a preset's ``config`` from the preset's own names.

  A preset that speaks its paper's words (``n_critic``, ``critic_optimizer``)
  declares the family's fields they stand for ``init=False`` and calls this
  in ``__post_init__``, before :meth:`Config.__post_init__` checks them.
  """
  for name, value in fields.items():
    object.__setattr__(config, name, value)


def loss_pair(config: Config) -> losses.LossPair:
  """The pair named ``config.loss``, with an f-GAN pair's generator choices."""
  pair = losses.loss_pair(config.loss)
  if pair.divergence is None:
    return pair
  return losses.f_divergence_pair(pair.divergence, config.generator_divergence,
                                  config.generator_loss)


class State(AlgorithmState):
  """Generator and discriminator states, and the number of steps taken."""

  generator: ts.TrainState
  discriminator: ts.TrainState


def num_batches(config: Config) -> int:
  """Data batches consumed by one ``train_step``: ``pack`` per discriminator update."""
  return config.discriminator_updates * config.pack


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises G and D for data shaped like ``example_batch[0]``."""
  g_key, d_key = jax.random.split(key)
  discriminator = networks.discriminator(config, d_key,
                                         packing.packed_example(example_batch, config.pack),
                                         config.discriminator_optimizer,
                                         use_batch_norm=config.uses_batch_norm)
  if config.constraint == "clip":
    discriminator = networks.with_weight_clipping(discriminator, config.clip)
  return State(
      step=jnp.zeros((), jnp.int32),
      generator=networks.generator(config, g_key, example_batch, config.generator_optimizer),
      discriminator=discriminator,
      config=config,
  )


def penalty_terms(cfg: Config, critic_fn, real: jax.Array, fake: jax.Array,
                  key: jax.Array | None) -> jax.Array:
  """The per-example penalty ``P`` selected by ``cfg.penalty``, shape ``[B]``."""
  return losses.penalty_terms(cfg.penalty, critic_fn, real, fake, key,
                              target_norm=cfg.target_norm, dragan_method=cfg.dragan_method,
                              dragan_scale=cfg.dragan_scale)


def _discriminator_metrics(pair: losses.LossPair, loss, adversarial, penalty, real_d,
                           fake_d) -> dict[str, jax.Array]:
  metrics = {"discriminator_loss": loss}
  if penalty is not None:
    metrics["gradient_penalty"] = penalty
  if pair.estimate:
    metrics[pair.estimate] = -pair.discriminator_loss(real_d, fake_d)
    return metrics
  if penalty is not None:
    metrics["gan_loss"] = adversarial
  if pair.logits:
    metrics.update(d_real=jnp.mean(jax.nn.sigmoid(real_d)),
                   d_fake=jnp.mean(jax.nn.sigmoid(fake_d)))
  else:
    metrics.update(real_score=jnp.mean(real_d), fake_score=jnp.mean(fake_d))
  return metrics


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """``discriminator_updates`` discriminator updates, then ``generator_updates`` G updates.

  Args:
    state: the current state.
    batch: data of shape ``[discriminator_updates * pack, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  num_d, m = cfg.discriminator_updates, cfg.pack
  name = type(cfg).__module__.rsplit(".", 1)[-1]  # gan, or the zoo's module (wgan_gp, ...)
  expect_batches(batch, num_d * m, f"{name} with discriminator_updates={num_d} and pack={m}")
  pair = loss_pair(cfg)
  penalised = cfg.penalty != "none"
  n = batch.shape[1]
  names = ("discriminator", "penalty", "generator") if penalised else ("discriminator",
                                                                       "generator")
  keys = step_keys(key, state.step, *names)
  G = state.generator
  batch = packing.packed_updates(batch, num_d, m)  # [num_d, B, ..., m * C]

  prior = PRIORS[cfg.prior]

  def fake(g, z_key):
    """``B`` packed inputs of ``G``'s samples (``m * B`` of them), through ``g``."""
    return packing.pack_samples(g(prior(z_key, m * n, cfg.latent_dim)), m)

  # 1. Discriminator, `discriminator_updates` times: data against fresh samples.
  def d_update(D, inputs):
    x, z_key, p_key = inputs
    x_fake = jax.lax.stop_gradient(fake(lambda z: ts.forward(G, z), z_key))

    def d_loss_fn(d):
      real_d, fake_d = d(x), d(x_fake)
      adversarial = pair.discriminator_loss(real_d, fake_d)
      if not penalised:
        return adversarial, (adversarial, None, real_d, fake_d)
      penalty = penalty_terms(cfg, d, x, x_fake, p_key).mean()
      return adversarial + cfg.penalty_weight * penalty, (adversarial, penalty, real_d, fake_d)

    D, d_loss, aux = ts.minimize(D, d_loss_fn)
    return D, _discriminator_metrics(pair, d_loss, *aux)

  inputs = (batch[0] if num_d == 1 else batch, per_update(keys["discriminator"], num_d),
            per_update(keys.get("penalty"), num_d))
  D, metrics = ts.repeat(d_update, state.discriminator, inputs, num_d)

  # 2. Generator, `generator_updates` times with fresh prior samples (or the
  # discriminator update's: the same key draws the same z).
  def g_loss_fn(z_key):
    return lambda g: (pair.generator(ts.forward(D, fake(g, z_key))).mean(), None)

  def g_key(i):
    if cfg.generator_noise == "shared":
      return keys["discriminator"]
    return jax.random.fold_in(keys["generator"], i)

  def g_updates(G):
    g_losses = []
    for i in range(cfg.generator_updates):
      G, g_loss, _ = ts.minimize(G, g_loss_fn(g_key(i)))
      g_losses.append(g_loss)
    return G, jnp.mean(jnp.stack(g_losses))

  if cfg.critic_bursts:  # Inside a burst the critic trains on; G only evaluates its loss.
    updated = schedules.generator_updates_at(
        state.step, critic_updates=num_d, burst_updates=cfg.burst_updates,
        burst_first=cfg.burst_first, burst_every=cfg.burst_every)
    G, metrics["generator_loss"] = jax.lax.cond(
        updated, g_updates,
        lambda G: (G, g_loss_fn(keys["generator"])(lambda z: ts.forward(G, z))[0]), G)
    metrics["generator_updated"] = updated.astype(jnp.float32)
  else:
    G, metrics["generator_loss"] = g_updates(G)
  return state.replace(step=state.step + 1, generator=G, discriminator=D), metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """Draws ``num`` samples ``G(z)``, ``z`` from the config's prior (BN in inference mode)."""
  return networks.sample(state.generator, key, num, state.config.latent_dim,
                         prior=PRIORS[state.config.prior])
