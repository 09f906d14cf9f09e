r"""Wasserstein auto-encoders: what Algorithms 1 (WAE-GAN) and 2 (WAE-MMD) share.

Tolstikhin, Bousquet, Gelly & Schoelkopf, "Wasserstein Auto-Encoders" (ICLR
2018, arXiv:1711.01558). An encoder ``Q_phi(Z | X)`` and a deterministic
decoder (generator) ``G_theta: Z -> X`` minimise the WAE objective (Sec. 2,
eq. 4), a relaxation of the optimal-transport cost ``W_c(P_X, P_G)``
(Theorem 1):

.. math::

  D_{WAE}(P_X, P_G) = \mathbb E_{P_X} \mathbb E_{Q(Z \mid X)}[c(X, G(Z))]
                      + \lambda\, \mathcal D_Z(Q_Z, P_Z),

the reconstruction cost plus ``lambda`` times a divergence between the
aggregated posterior ``Q_Z`` and the prior ``P_Z = N(0, I)``. Algorithm 1
estimates ``D_Z`` adversarially, with a latent discriminator
(:mod:`.wae_gan`); Algorithm 2 by the MMD (:mod:`.wae_mmd`). They share the
last line: one joint descent of ``Q_phi`` and ``G_theta`` on

.. math::

  \frac1n \sum_i c(x_i, G_\theta(\tilde z_i)) + \lambda\, \widehat{\mathcal D}_Z,
  \qquad \tilde z_i \sim Q_\phi(Z \mid x_i),

which :func:`autoencoder_update` is, with the penalty estimate passed in.

Two modules and not one step with a penalty switch: Algorithm 1 has a third
network and an update of its own (the adversary's), Algorithm 2 has neither,
so their states differ (a network that WAE-MMD never updated would be dead
weight in every checkpoint, and the smoke test rightly asks that every
network of a state change in a step); the library keeps the MMD-trained
generator (``gmmn``) and the GAN apart for the same reason. What they share
lives here.

The cost is ``c(x, y) = ||x - y||^2`` (the paper's MNIST and CelebA choice,
Sec. 4), scaled by ``cost_scale`` = 0.05: the constant of the authors' code
(``wae.py``, ``reconstruction_loss``, ``'l2sq'``: ``0.05 * mean ||x - y||^2``),
to which the paper's ``lambda`` values are relative. The encoder is
deterministic by default (the paper's experiments, Sec. 4); ``'gaussian'``
(``z = mu + sigma eps``) and ``'universal'`` (``E(x, eta)``) are the
encoders of :mod:`.aae`. Nothing in the objective rewards a Gaussian
encoder's noise, so its ``sigma`` tends to 0 (Rubenstein, Schoelkopf &
Tolstikhin 2018, "On the latent space of Wasserstein auto-encoders");
``lambda_log_variance`` adds their remedy, an L1 penalty on the
log-variances. The decoder is the architecture's generator (a
deterministic ``G_theta``; its output is the sample).

Not here: the authors' code's encoder pre-training (up to 200 steps
matching the codes' mean and covariance to the prior's), its ``'add_noise'``
encoder (truncated-normal noise of standard deviation 0.01 added to the
inputs in training, the setting of its MNIST and CelebA configs) and its
learning-rate schedules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import aae, networks
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import AlgorithmState, OptimizerConfig, check
from gengan_jax.core import train_state as ts

# The authors' code's scale of the squared cost (wae.py, reconstruction_loss, 'l2sq').
COST_SCALE = 0.05


@dataclasses.dataclass(frozen=True)
class BaseConfig(ArchitectureConfig):
  """What WAE-GAN and WAE-MMD share.

  Attributes:
    latent_dim: ``d_z`` (8 on MNIST, 64 on CelebA; Sec. 4).
    encoder: ``'deterministic'`` (the paper's), ``'gaussian'`` or
      ``'universal'`` (:data:`gengan_jax.algorithms.aae.ENCODERS`).
    noise_dim: the ``'universal'`` encoder's noise entries per position of
      the data's last axis (:mod:`.aae`).
    log_scale_bound: ``b > 0`` keeps the ``'gaussian'`` encoder's ``log sigma``
      in ``(-b, b)`` by ``b * tanh(log sigma / b)``
      (:func:`gengan_jax.losses.bounded_log_scale`); None (the default):
      unbounded.
    lambda_log_variance: weight of the L1 penalty on the ``'gaussian'``
      encoder's log-variances (Rubenstein et al. 2018), added to the
      objective; 0 (none) by default.
    lambda_penalty: ``lambda``, the weight of ``D_Z``, >= 0.
    cost_scale: the constant multiplying ``c(x, y) = ||x - y||^2``, > 0
      (0.05 in the authors' code).
    optimizer: the optimizer of the encoder and the decoder (one objective;
      each network keeps its own state). Adam ``1e-3``, ``beta1 = 0.5``:
      ``alpha`` of Sec. 4 and the code's ``adam_beta1``.
  """

  latent_dim: int = 8
  encoder: str = "deterministic"
  noise_dim: int = 8
  log_scale_bound: float | None = None
  lambda_log_variance: float = 0.0
  lambda_penalty: float = 1.0
  cost_scale: float = COST_SCALE
  optimizer: OptimizerConfig = OptimizerConfig(1e-3, 0.5, 0.999)

  def __post_init__(self):
    super().__post_init__()
    aae.check_encoder_settings(self)
    aae.check_log_variance_weight(self)
    check(self.lambda_penalty >= 0, "lambda_penalty", self.lambda_penalty, ">= 0")
    check(self.cost_scale > 0, "cost_scale", self.cost_scale, "> 0")


class State(AlgorithmState):
  """The encoder ``Q_phi``, the decoder ``G_theta`` and the steps taken."""

  encoder: ts.TrainState
  decoder: ts.TrainState


def init_autoencoder(key: jax.Array, config: BaseConfig,
                     example_batch: jax.Array) -> dict[str, ts.TrainState]:
  """``{'encoder': Q_phi, 'decoder': G_theta}`` for data shaped like ``example_batch[0]``."""
  e_key, d_key = jax.random.split(key)
  return {"encoder": aae.init_encoder(config, e_key, example_batch, config.optimizer),
          "decoder": networks.generator(config, d_key, example_batch, config.optimizer)}


def cost(config: BaseConfig, x: jax.Array, y: jax.Array) -> jax.Array:
  """``cost_scale * ||x - y||^2`` per example, ``[B]``."""
  return config.cost_scale * losses.l2_reconstruction(x, y)


def autoencoder_update(state: State, x: jax.Array, key: jax.Array,
                       penalty: Callable[[jax.Array], jax.Array]
                       ) -> tuple[dict[str, ts.TrainState], dict[str, jax.Array]]:
  r"""One joint step of ``Q_phi`` and ``G_theta`` on the WAE objective's estimate.

  ``mean_i c(x_i, G(z_tilde_i)) + lambda penalty(z_tilde)``: the last line
  of Algorithms 1 and 2.

  Args:
    state: the current state (its ``encoder`` and ``decoder`` are updated).
    x: ``[B, *data_shape]``.
    key: the encoder's noise (``eps`` or ``eta``; unused when deterministic).
    penalty: ``z_tilde [B, d_z] -> D_Z``'s estimate, a scalar differentiable
      in ``z_tilde``.

  Returns:
    ``({'encoder': ..., 'decoder': ...}, metrics)``, the metrics
    ``loss`` (the objective descended), ``reconstruction_loss`` (its first
    term) and ``penalty`` (``D_Z``'s estimate, before ``lambda``); with the
    ``'gaussian'`` encoder also ``posterior_log_scale``, the mean ``log sigma``
    of ``Q_phi(Z | X)`` (it falls towards ``-inf`` when the encoder turns
    deterministic, what ``lambda_log_variance`` prevents).
  """
  cfg = state.config

  def loss_fn(n):
    z_tilde, log_scale = aae.codes_and_log_scale(cfg, n["encoder"], x, key)
    rec = cost(cfg, x, n["decoder"](z_tilde)).mean()
    d_z = penalty(z_tilde)
    loss = rec + cfg.lambda_penalty * d_z + aae.log_variance_penalty(cfg, log_scale)
    return loss, (rec, d_z, None if log_scale is None else jnp.mean(log_scale))

  updated, loss, (rec, d_z, log_scale) = ts.minimize_jointly(
      {"encoder": state.encoder, "decoder": state.decoder}, loss_fn)
  metrics = {"loss": loss, "reconstruction_loss": rec, "penalty": d_z}
  if log_scale is not None:
    metrics["posterior_log_scale"] = log_scale
  return updated, metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """``num`` samples ``G(z)``, ``z ~ N(0, I)`` (batch norm in inference mode)."""
  return networks.sample(state.decoder, key, num, state.config.latent_dim)


def encode(state: State, x: jax.Array) -> jax.Array:
  """Codes of ``x``: ``Q(x)``, the mean ``mu(x)``, or ``E(x, 0)`` (:func:`.aae.code_of`)."""
  return aae.code_of(state.config, state.encoder, x)


def reconstruct(state: State, x: jax.Array) -> jax.Array:
  """Reconstructions ``G(encode(x))``."""
  return ts.forward(state.decoder, encode(state, x), train=False)


__all__ = ["BaseConfig", "COST_SCALE", "State", "autoencoder_update", "cost", "encode",
           "init_autoencoder", "reconstruct", "sample"]
