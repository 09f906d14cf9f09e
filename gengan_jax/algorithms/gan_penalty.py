"""The non-saturating GAN with a gradient penalty of choice.

Fedus, Rosca, Lakshminarayanan, Dai, Mohamed & Goodfellow, "Many paths to
equilibrium: GANs do not need to decrease a divergence at every step" (ICLR
2018): the non-saturating GAN (Goodfellow et al. 2014) trained with the
gradient penalties that were motivated by divergence minimisation — WGAN-GP
at real/fake interpolates ("NS-GAN-GP") and DRAGAN at perturbed data
("NS-GAN-DRAGAN"), lambda = 10 — works as well as or better than the
penalised WGAN. This module adds the one-sided GP, R1 and R2 (Mescheder et
al. 2018) to the menu, and ``'none'`` for the plain non-saturating GAN.

The discriminator has no batch norm whenever a penalty is used (the
penalties are per-example gradients).

One ``train_step``:

1. discriminator: minimise ``-log D(x) - log(1 - D(G(z))) + lambda * P``;
2. ``generator_updates`` times, with fresh ``z``: minimise ``-log D(G(z))``.

``penalty_weight`` is ``lambda`` for the GP and DRAGAN penalties and
``gamma / 2`` for R1 and R2 (their ``(gamma / 2) E||grad D||^2``).

A preset of the two-player family (:mod:`gengan_jax.algorithms.gan`): loss
pair ``'non_saturating'``, penalty by name (``penalty='none'`` is DCGAN with
one generator update).
"""

from __future__ import annotations

import dataclasses

from gengan_jax.algorithms import gan
from gengan_jax.algorithms.gan import (PENALTIES, State, init, num_batches,  # noqa: F401
                                       penalty_terms, sample, train_step)
from gengan_jax.core import OptimizerConfig


@dataclasses.dataclass(frozen=True)
class Config(gan.Config):
  """Hyper-parameters; defaults are Fedus et al.'s NS-GAN-GP (lambda 10).

  Attributes:
    penalty: one of ``'none'``, ``'wgan_gp'``, ``'wgan_gp_one_sided'``,
      ``'dragan'``, ``'r1'``, ``'r2'``.
    penalty_weight: lambda (GP, DRAGAN) or gamma / 2 (R1, R2), >= 0.
    target_norm: the gradient norm the GP and DRAGAN penalties aim at.
    dragan_method: ``'uniform'`` (authors' code, default) or ``'gaussian'``
      (the paper's), see :func:`gengan_jax.losses.dragan_perturb`.
    dragan_scale: its ``scale``.
    generator_updates: generator updates per discriminator update.
    generator_optimizer, discriminator_optimizer: Adam settings.
  """

  loss: str = "non_saturating"
  penalty: str = "wgan_gp"
  penalty_weight: float = 10.0
  generator_updates: int = 1
  generator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  discriminator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
