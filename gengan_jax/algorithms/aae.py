r"""AAE: an auto-encoder whose aggregated posterior is matched to the prior by a GAN on codes.

Makhzani, Shlens, Jaitly, Goodfellow & Frey, "Adversarial Autoencoders"
(2016, arXiv:1511.05644), Sec. 2. An encoder ``q(z | x)`` and a
decoder ``x_hat = Dec(z)`` form an auto-encoder; a code discriminator ``C``
(:class:`gengan_jax.nets.CodeDiscriminator`) plays the GAN game of Sec. 1.1
(eq. 1) against the encoder, which is the GAN's *generator* of codes: ``C``
tells prior samples ``z ~ p(z) = N(0, I)`` from codes ``z_tilde ~ q(z | x)``,
so that the aggregated posterior ``q(z) = \int q(z | x) p_d(x) dx`` (Sec. 2)
comes to match ``p(z)`` and decoded prior samples look like data.

Each ``train_step`` is the paper's two phases on one mini-batch:

1. **reconstruction phase** -- encoder and decoder descend, in one joint
   step (:func:`~gengan_jax.core.train_state.minimize_jointly`), the
   Euclidean reconstruction error ``mean_i ||x_i - Dec(z_tilde_i)||^2``
   (the paper's cost, Appendix A; :func:`gengan_jax.losses.l2_reconstruction`:
   the squared error summed over the data's dimensions);
2. **regularisation phase** -- the code discriminator ``C`` descends
   ``-log C(z) - log(1 - C(z_tilde))`` (prior samples real, codes fake),
   then the encoder descends ``-log C(z_tilde)`` (the non-saturating
   generator loss, Goodfellow et al. 2014, Sec. 3) against the updated ``C``.

The encoder's three kinds (Sec. 2), by ``config.encoder``:

* ``'deterministic'``: ``z_tilde = E(x)``; the only stochasticity of
  ``q(z)`` is the data's, so the code's dimension should be the data's
  intrinsic one (Appendix A; the kind the paper's experiments use);
* ``'gaussian'``: ``q(z | x) = N(mu(x), sigma(x)^2)`` through the
  reparameterisation ``z_tilde = mu + sigma eps``
  (:func:`networks.gaussian_encoder`);
* ``'universal'`` (the universal approximator posterior):
  ``z_tilde = E(x, eta)``, ``eta ~ N(0, I)``, so that
  ``q(z | x) = \int delta(z - E(x, eta)) p(eta) d eta`` can be any
  distribution. The noise is fed as **extra inputs concatenated on the
  data's last axis**: ``noise_dim`` more features of a vector, ``noise_dim``
  more channels of an image (a fresh ``eta`` per pixel); the encoder is the
  architecture's encoder for that widened input.

One draw of ``eps``/``eta`` per step serves both phases (the regularisation
phase's codes are those of the encoder the reconstruction phase left), and
one draw of ``z``. The encoder has one optimizer for both of its updates
(the paper used SGD with momentum and a learning rate per phase; Adam here).
The decoder is the architecture's generator (:func:`networks.generator`);
the state calls it ``decoder``, the paper's name, because in an AAE the
GAN's generator is the encoder.

The rest of the contract: :func:`sample` decodes ``z ~ N(0, I)`` (the
decoder is deterministic: its output is the sample); :func:`encode` is
``E(x)``, the posterior mean ``mu(x)``, or ``E(x, 0)`` (the code at the
noise's mean: ``encode`` takes no key); :func:`reconstruct` decodes it.
There is no likelihood (the paper reports Parzen-window estimates).

:data:`ENCODERS`, :func:`init_encoder`, :func:`codes` and :func:`code_of`
are the three kinds as functions of a config with fields ``encoder`` and
``noise_dim``; :mod:`.wae` and :mod:`.alpha_gan` build their encoders with
them, and add :func:`log_variance_penalty` (a config's
``lambda_log_variance``) to the Gaussian kind's loss through
:func:`codes_and_log_scale`. The AAE itself has no such weight: Makhzani
et al. do not penalise the variance.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from gengan_jax import losses, nets
from gengan_jax.algorithms import networks
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import check_widths
from gengan_jax.core import AlgorithmState, OptimizerConfig, check, check_choice, check_int
from gengan_jax.core import single_batch
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys

ENCODERS = ("deterministic", "gaussian", "universal")
# Both papers' latent discriminators use ReLU (AAE Appendix A; Tolstikhin
# et al.'s z_adversary): the CodeDiscriminator with a zero negative slope.
CODE_DISCRIMINATOR_SLOPE = 0.0


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """AAE hyper-parameters.

  Attributes:
    latent_dim: the code's dimension (8 on MNIST, Appendix A).
    encoder: ``'deterministic'``, ``'gaussian'`` or ``'universal'`` (Sec. 2).
    noise_dim: entries of ``eta`` per position of the data's last axis fed to
      the ``'universal'`` encoder (features of a vector, channels of an
      image); unused by the other kinds.
    log_scale_bound: ``b > 0`` keeps the ``'gaussian'`` encoder's ``log sigma``
      in ``(-b, b)`` by ``b * tanh(log sigma / b)``
      (:func:`gengan_jax.losses.bounded_log_scale`); None (the default):
      unbounded.
    code_discriminator_hidden: hidden widths of ``C`` (two layers of 1000
      ReLU units, Appendix A).
    encoder_optimizer: the encoder's optimizer, used in both phases.
    decoder_optimizer: the decoder's (reconstruction phase).
    code_discriminator_optimizer: ``C``'s (regularisation phase).
  """

  latent_dim: int = 8
  encoder: str = "deterministic"
  noise_dim: int = 8
  log_scale_bound: float | None = None
  code_discriminator_hidden: tuple[int, ...] = (1000, 1000)
  encoder_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  decoder_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  code_discriminator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)

  def __post_init__(self):
    super().__post_init__()
    check_encoder_settings(self)
    check_widths("code_discriminator_hidden", self.code_discriminator_hidden)


class State(AlgorithmState):
  """The encoder, the decoder, the code discriminator and the steps taken."""

  encoder: ts.TrainState
  decoder: ts.TrainState
  code_discriminator: ts.TrainState


def check_encoder_settings(config: Any) -> None:
  """Raises ``ConfigError`` naming ``encoder``, ``noise_dim`` or ``log_scale_bound``
  when invalid."""
  check_choice("encoder", config.encoder, ENCODERS)
  check_int("noise_dim", config.noise_dim, 1)
  bound = config.log_scale_bound
  check(bound is None or (bound > 0 and config.encoder == "gaussian"), "log_scale_bound", bound,
        "None, or > 0 with encoder='gaussian' (only it has a scale)")


def _noise(key: jax.Array, x: jax.Array, noise_dim: int) -> jax.Array:
  """``eta ~ N(0, I)`` shaped like ``x`` with ``noise_dim`` entries on the last axis."""
  return jax.random.normal(key, (*x.shape[:-1], noise_dim), x.dtype)


def _with_noise(x: jax.Array, eta: jax.Array) -> jax.Array:
  """The universal encoder's input: ``x`` and ``eta`` concatenated on the last axis."""
  return jnp.concatenate([x, eta], axis=-1)


def init_encoder(config: Any, key: jax.Array, example_batch: jax.Array,
                 optimizer: OptimizerConfig) -> ts.TrainState:
  """The encoder of ``config.encoder``'s kind for data shaped like ``example_batch[0]``."""
  if config.encoder == "gaussian":
    return networks.gaussian_encoder(config, key, example_batch, optimizer)
  if config.encoder == "universal":
    example_batch = _with_noise(example_batch,
                                jnp.zeros((*example_batch.shape[:-1], config.noise_dim),
                                          example_batch.dtype))
  return networks.encoder(config, key, example_batch, optimizer)


def codes(config: Any, encoder: Callable[[jax.Array], Any], x: jax.Array,
          key: jax.Array) -> jax.Array:
  """Codes ``z_tilde ~ q(z | x)``, ``[B, latent_dim]``, differentiable in the encoder.

  Args:
    config: has ``encoder`` (the kind) and ``noise_dim``.
    encoder: the encoder network (a :class:`~gengan_jax.core.train_state.Net`
      or any callable of its input).
    x: ``[B, *data_shape]``.
    key: the draw of ``eps`` (``'gaussian'``) or ``eta`` (``'universal'``);
      unused by ``'deterministic'``.
  """
  return codes_and_log_scale(config, encoder, x, key)[0]


def codes_and_log_scale(config: Any, encoder: Callable[[jax.Array], Any], x: jax.Array,
                        key: jax.Array) -> tuple[jax.Array, jax.Array | None]:
  """:func:`codes`, and the ``'gaussian'`` encoder's ``log sigma(x)`` ``[B, latent_dim]``
  (``None`` for the other kinds, which have no variance to penalise); bounded
  by ``config.log_scale_bound`` when it is set."""
  if config.encoder == "gaussian":
    mean, log_scale = encoder(x)
    if config.log_scale_bound is not None:
      log_scale = losses.bounded_log_scale(log_scale, config.log_scale_bound)
    return losses.gaussian_sample(key, mean, log_scale), log_scale
  if config.encoder == "universal":
    return encoder(_with_noise(x, _noise(key, x, config.noise_dim))), None
  return encoder(x), None


def check_log_variance_weight(config: Any) -> None:
  """Raises ``ConfigError`` naming ``lambda_log_variance`` unless it is >= 0, and 0
  for an encoder without a variance."""
  check(config.lambda_log_variance >= 0, "lambda_log_variance", config.lambda_log_variance,
        ">= 0")
  check(config.lambda_log_variance == 0 or config.encoder == "gaussian", "lambda_log_variance",
        config.lambda_log_variance, "0 unless encoder='gaussian' (only it has a variance)")


def log_variance_penalty(config: Any, log_scale: jax.Array | None) -> jax.Array | float:
  """``lambda_log_variance * mean_i sum_j |log sigma_ij^2|`` (Rubenstein et al. 2018;
  :func:`gengan_jax.losses.log_variance_l1`), 0 without a variance.

  Branches on whether there is a variance, never on the weight, so that a
  population can vary ``config.lambda_log_variance`` (a traced value)."""
  if log_scale is None:
    return 0.0
  return config.lambda_log_variance * losses.log_variance_l1(log_scale).mean()


def code_of(config: Any, encoder_state: ts.TrainState, x: jax.Array) -> jax.Array:
  """One code per example, no randomness: ``E(x)``, ``mu(x)`` or ``E(x, 0)``
  (batch norm in inference mode)."""
  if config.encoder == "gaussian":
    return ts.forward(encoder_state, x, train=False)[0]
  if config.encoder == "universal":
    x = _with_noise(x, jnp.zeros((*x.shape[:-1], config.noise_dim), x.dtype))
  return ts.forward(encoder_state, x, train=False)


def code_discriminator(hidden: tuple[int, ...]) -> nets.CodeDiscriminator:
  """``C: codes [B, K] -> logits [B]``, ReLU hidden layers of widths ``hidden``."""
  return nets.CodeDiscriminator(hidden=hidden, negative_slope=CODE_DISCRIMINATOR_SLOPE)


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises the encoder, the decoder and ``C`` for data shaped like ``example_batch[0]``."""
  e_key, d_key, c_key = jax.random.split(key, 3)
  z = jnp.zeros((example_batch.shape[0], config.latent_dim))
  return State(
      step=jnp.zeros((), jnp.int32),
      encoder=init_encoder(config, e_key, example_batch, config.encoder_optimizer),
      decoder=networks.generator(config, d_key, example_batch, config.decoder_optimizer),
      code_discriminator=ts.create(code_discriminator(config.code_discriminator_hidden),
                                   c_key, z, config.code_discriminator_optimizer),
      config=config)


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """The reconstruction phase, then the regularisation phase (Sec. 2).

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  x = single_batch(batch, "aae")
  keys = step_keys(key, state.step, "prior", "encoder")

  # Reconstruction phase: encoder and decoder descend the Euclidean error.
  def reconstruction_fn(n):
    z_tilde = codes(cfg, n["encoder"], x, keys["encoder"])
    return losses.l2_reconstruction(x, n["decoder"](z_tilde)).mean(), None

  updated, rec, _ = ts.minimize_jointly(
      {"encoder": state.encoder, "decoder": state.decoder}, reconstruction_fn)
  E, Dec = updated["encoder"], updated["decoder"]

  # Regularisation phase, 1: C tells prior samples (real) from codes (fake).
  z = gaussian_prior(keys["prior"], x.shape[0], cfg.latent_dim)
  z_tilde = jax.lax.stop_gradient(codes(cfg, lambda v: ts.forward(E, v), x, keys["encoder"]))

  def c_loss_fn(c):
    prior_logits, code_logits = c(z), c(z_tilde)
    loss = (losses.discriminator_real_loss(prior_logits).mean()
            + losses.discriminator_fake_loss(code_logits).mean())
    return loss, (prior_logits, code_logits)

  C, c_loss, (prior_logits, code_logits) = ts.minimize(state.code_discriminator, c_loss_fn)

  # Regularisation phase, 2: the encoder, as the generator of codes, fools C.
  def e_loss_fn(e):
    return losses.generator_non_saturating_loss(
        ts.forward(C, codes(cfg, e, x, keys["encoder"]))).mean(), None

  E, e_loss, _ = ts.minimize(E, e_loss_fn)

  metrics = {
      "reconstruction_loss": rec,
      "code_discriminator_loss": c_loss,
      "encoder_adversarial_loss": e_loss,
      "c_prior": jnp.mean(jax.nn.sigmoid(prior_logits)),
      "c_codes": jnp.mean(jax.nn.sigmoid(code_logits)),
      "empirical_kl": losses.empirical_kl(z_tilde),
  }
  return state.replace(step=state.step + 1, encoder=E, decoder=Dec, code_discriminator=C), metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """``num`` samples ``Dec(z)``, ``z ~ N(0, I)`` (batch norm in inference mode)."""
  return networks.sample(state.decoder, key, num, state.config.latent_dim)


def encode(state: State, x: jax.Array) -> jax.Array:
  """Codes of ``x`` ``[B, *data_shape]``: ``E(x)``, ``mu(x)`` or ``E(x, 0)`` (:func:`code_of`)."""
  return code_of(state.config, state.encoder, x)


def reconstruct(state: State, x: jax.Array) -> jax.Array:
  """Reconstructions ``Dec(encode(x))``."""
  return ts.forward(state.decoder, encode(state, x), train=False)
