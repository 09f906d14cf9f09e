"""The hinge-loss GAN.

Lim & Ye, "Geometric GAN" (2017), and Miyato, Kataoka, Koyama & Yoshida,
"Spectral normalization for generative adversarial networks" (ICLR 2018),
eq. (16)-(17): the discriminator is a soft-margin SVM between data and
model samples, the generator moves its samples along the SVM's normal:

    min_D  E_x[max(0, 1 - D(x))] + E_z[max(0, 1 + D(G(z)))]
    min_G  -E_z[D(G(z))]

For a fixed G the optimal discriminator is ``D*(x) = sign(p*(x) - q(x))``
(in ``[-1, 1]``), and its loss is then ``2 - 2 TV(p*, q)``: the
discriminator estimates the total variation distance.

Defaults: Adam 2e-4 with ``beta1 = 0.5``, ``beta2 = 0.999`` and one
discriminator update per generator update, one of the settings Miyato et al.
sweep (their Table 1 varies ``beta1``, ``beta2`` and ``n_dis``).

Miyato et al. constrain the discriminator with spectral normalisation; this
preset does not (the library has no spectral-norm layer yet) and keeps the
family's batch norm in D, as Lim & Ye's DCGAN-based discriminator.

A preset of the two-player family (:mod:`gengan_jax.algorithms.gan`): loss
pair ``'hinge'``, no penalty.
"""

from __future__ import annotations

import dataclasses

from gengan_jax.algorithms import gan
from gengan_jax.algorithms.gan import State, init, num_batches, sample, train_step  # noqa: F401
from gengan_jax.core import OptimizerConfig


@dataclasses.dataclass(frozen=True)
class Config(gan.Config):
  """Hinge-GAN hyper-parameters (Adam 2e-4, beta1 0.5, beta2 0.999; n_dis 1).

  Attributes:
    generator_optimizer, discriminator_optimizer: Adam (2e-4, 0.5, 0.999).

  (and every other setting of :class:`gengan_jax.algorithms.gan.Config`)
  """

  loss: str = "hinge"
  penalty: str = "none"
  generator_updates: int = 1
  generator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  discriminator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
