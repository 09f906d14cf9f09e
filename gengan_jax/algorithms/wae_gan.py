r"""WAE-GAN: the Wasserstein auto-encoder with an adversarial latent penalty.

Tolstikhin, Bousquet, Gelly & Schoelkopf, "Wasserstein Auto-Encoders" (ICLR
2018, arXiv:1711.01558), Algorithm 1. ``D_Z(Q_Z, P_Z)`` of the WAE objective
(:mod:`.wae`) is the Jensen-Shannon divergence, estimated by a latent
discriminator ``D_gamma`` (:class:`gengan_jax.nets.CodeDiscriminator`, ReLU)
that tells prior samples from codes. One ``train_step`` on a batch
``x_1..x_n``, with ``z_i ~ P_Z = N(0, I)`` and ``z_tilde_i ~ Q_phi(Z | x_i)``:

1. ``D_gamma`` ascends ``lambda/n sum_i log D(z_i) + log(1 - D(z_tilde_i))``
   (here: descends ``lambda`` times the binary cross-entropy, prior samples
   real, codes fake);
2. ``Q_phi`` and ``G_theta`` descend, jointly,
   ``1/n sum_i c(x_i, G(z_tilde_i)) - lambda log D(z_tilde_i)`` against the
   updated ``D_gamma`` (:func:`.wae.autoencoder_update`).

The order is Algorithm 1's; the authors' code runs the auto-encoder's
update first. The ``-log D`` term is the non-saturating loss (Algorithm 1,
and ``loss_Qz_trick`` in the code); the code's optional "GAN Pz trick"
(adding ``log p(z)`` to the logits, used on CelebA) is not here.

Defaults are the paper's MNIST settings (Sec. 4, and the code's
``config_mnist``): ``lambda = 1``, ``d_z = 8``, Adam ``beta1 = 0.5`` with
learning rates ``1e-3`` (auto-encoder) and ``5e-4`` (adversary), an adversary
of 4 hidden layers of 512 units.

With a deterministic encoder, ``cost_scale = 1`` and ``lambda = 1`` the
terms are those of the adversarial auto-encoder (:mod:`.aae`): the same
Euclidean reconstruction, code-discriminator loss and non-saturating encoder
loss. The algorithms differ in the schedule: the AAE updates the encoder
twice, first on the reconstruction alone and then on the adversarial term
alone, where WAE-GAN takes one step on their sum (the tests pin the terms in
the configuration where the schedules coincide).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import aae, wae
from gengan_jax.algorithms.wae import encode, reconstruct, sample
from gengan_jax.core import check_widths
from gengan_jax.core import OptimizerConfig, single_batch
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys


@dataclasses.dataclass(frozen=True)
class Config(wae.BaseConfig):
  """WAE-GAN hyper-parameters (:class:`gengan_jax.algorithms.wae.BaseConfig` and the adversary).

  Attributes:
    lambda_penalty: ``lambda`` (1 on MNIST and CelebA, Sec. 4).
    latent_discriminator_hidden: hidden widths of ``D_gamma`` (4 x 512 on
      MNIST, the code's ``d_num_layers`` / ``d_num_filters``).
    latent_discriminator_optimizer: ``D_gamma``'s Adam (``beta = 5e-4``,
      Sec. 4; ``beta1 = 0.5``).
  """

  lambda_penalty: float = 1.0
  latent_discriminator_hidden: tuple[int, ...] = (512, 512, 512, 512)
  latent_discriminator_optimizer: OptimizerConfig = OptimizerConfig(5e-4, 0.5, 0.999)

  def __post_init__(self):
    super().__post_init__()
    check_widths("latent_discriminator_hidden", self.latent_discriminator_hidden)


class State(wae.State):
  """The encoder, the decoder, the latent discriminator ``D_gamma`` and the steps taken."""

  latent_discriminator: ts.TrainState


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises ``Q_phi``, ``G_theta`` and ``D_gamma`` for data like ``example_batch[0]``."""
  ae_key, d_key = jax.random.split(key)
  z = jnp.zeros((example_batch.shape[0], config.latent_dim))
  return State(
      step=jnp.zeros((), jnp.int32),
      **wae.init_autoencoder(ae_key, config, example_batch),
      latent_discriminator=ts.create(aae.code_discriminator(config.latent_discriminator_hidden),
                                     d_key, z, config.latent_discriminator_optimizer),
      config=config)


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One iteration of Algorithm 1.

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  x = single_batch(batch, "wae_gan")
  keys = step_keys(key, state.step, "prior", "encoder")
  z = gaussian_prior(keys["prior"], x.shape[0], cfg.latent_dim)
  z_tilde = jax.lax.stop_gradient(
      aae.codes(cfg, lambda v: ts.forward(state.encoder, v), x, keys["encoder"]))

  # D_gamma: prior samples are real, codes fake; the loss scaled by lambda.
  def d_loss_fn(d):
    prior_logits, code_logits = d(z), d(z_tilde)
    loss = (losses.discriminator_real_loss(prior_logits).mean()
            + losses.discriminator_fake_loss(code_logits).mean())
    return cfg.lambda_penalty * loss, (prior_logits, code_logits)

  D, d_loss, (prior_logits, code_logits) = ts.minimize(state.latent_discriminator, d_loss_fn)

  # Q_phi and G_theta: reconstruct x, and make the codes look like prior samples to D_gamma.
  def adversarial_penalty(codes):
    return losses.generator_non_saturating_loss(ts.forward(D, codes)).mean()

  updated, ae_metrics = wae.autoencoder_update(state, x, keys["encoder"], adversarial_penalty)
  ae_metrics["adversarial_penalty"] = ae_metrics.pop("penalty")
  metrics = {
      **ae_metrics,
      "latent_discriminator_loss": d_loss,
      "d_prior": jnp.mean(jax.nn.sigmoid(prior_logits)),
      "d_codes": jnp.mean(jax.nn.sigmoid(code_logits)),
  }
  return state.replace(step=state.step + 1, latent_discriminator=D, **updated), metrics


__all__ = ["Config", "State", "encode", "init", "reconstruct", "sample", "train_step"]
