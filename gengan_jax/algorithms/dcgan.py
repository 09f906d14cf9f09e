"""DCGAN: the non-saturating GAN with DCGAN-style networks.

Radford, Metz & Chintala, "Unsupervised representation learning with deep
convolutional generative adversarial networks" (ICLR 2016), trained with the
non-saturating generator loss of Goodfellow et al. (2014, Sec. 3). As in the
alpha-GAN paper's DCGAN baseline (Rosca et al. 2017), the generator is updated
``generator_updates`` times (default 2) per discriminator update.

One ``train_step``:

1. discriminator: minimise ``-log D(x) - log(1 - D(G(z)))`` on one data batch;
2. ``generator_updates`` times, with fresh ``z``: minimise ``-log D(G(z))``.

A preset of the two-player family (:mod:`gengan_jax.algorithms.gan`): loss
pair ``'non_saturating'``, no penalty, batch norm in D.
"""

from __future__ import annotations

import dataclasses

from gengan_jax.algorithms import gan
from gengan_jax.algorithms.gan import State, init, num_batches, sample, train_step  # noqa: F401
from gengan_jax.core import OptimizerConfig


@dataclasses.dataclass(frozen=True)
class Config(gan.Config):
  """DCGAN hyper-parameters (Radford et al. 2016: Adam 2e-4, beta1 0.5).

  Attributes:
    generator_updates: generator updates per discriminator update (2, as the
      alpha-GAN paper's DCGAN baseline).
    generator_optimizer: Adam settings of G.
    discriminator_optimizer: Adam settings of D.

  (and every other setting of :class:`gengan_jax.algorithms.gan.Config`)
  """

  loss: str = "non_saturating"
  penalty: str = "none"
  generator_updates: int = 2
  generator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  discriminator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
