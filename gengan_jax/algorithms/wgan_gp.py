"""WGAN-GP: Wasserstein GAN with a gradient penalty.

Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville, "Improved training of
Wasserstein GANs" (NeurIPS 2017), Algorithm 1 (defaults ``lambda = 10``,
``n_critic = 5``, Adam ``alpha = 1e-4``, ``beta1 = 0``, ``beta2 = 0.9``). The
critic has no batch norm (the penalty is per example, Sec. 4 "No critic batch
normalization").

One ``train_step`` is one iteration of Algorithm 1:

1. ``n_critic`` critic updates, each on its own data batch ``x``, with fresh
   ``z`` and ``eps ~ U[0, 1]``: minimise
   ``f(G(z)) - f(x) + lambda * (||grad f(x_hat)||_2 - 1)^2`` with
   ``x_hat = eps * x + (1 - eps) * G(z)``;
2. one generator update, with fresh ``z``: minimise ``-f(G(z))``.

The metrics ``wasserstein_estimate`` (``mean f(x) - mean f(G(z))``, the
Kantorovich-Rubinstein dual) and ``gradient_penalty`` are those of the last
critic update, before it.

A preset of the two-player family (:mod:`gengan_jax.algorithms.gan`): loss
pair ``'wasserstein'``, penalty ``'wgan_gp'``, ``discriminator_updates =
n_critic``, no batch norm in the critic.
"""

from __future__ import annotations

import dataclasses

from gengan_jax.algorithms import gan
from gengan_jax.algorithms.gan import State, init, num_batches, sample, train_step  # noqa: F401
from gengan_jax.core import OptimizerConfig, check


@dataclasses.dataclass(frozen=True)
class Config(gan.Config):
  """WGAN-GP hyper-parameters; defaults are Algorithm 1's.

  Attributes:
    n_critic: critic updates per generator update (5; the family's
      ``discriminator_updates``).
    gradient_penalty_weight: lambda (10; the family's ``penalty_weight``).
    generator_optimizer: Adam of G (alpha 1e-4, beta1 0, beta2 0.9).
    critic_optimizer: Adam of the critic (the same; the family's
      ``discriminator_optimizer``).

  (and every other setting of :class:`gengan_jax.algorithms.gan.Config`)
  """

  loss: str = "wasserstein"
  penalty: str = "wgan_gp"
  discriminator_batch_norm: bool | None = False
  n_critic: int = 5
  gradient_penalty_weight: float = 10.0
  generator_updates: int = 1
  generator_optimizer: OptimizerConfig = OptimizerConfig(1e-4, 0.0, 0.9)
  critic_optimizer: OptimizerConfig = OptimizerConfig(1e-4, 0.0, 0.9)
  # The family's names of the settings above, set from them.
  discriminator_updates: int = dataclasses.field(default=5, init=False)
  penalty_weight: float = dataclasses.field(default=10.0, init=False)
  discriminator_optimizer: OptimizerConfig = dataclasses.field(
      default=OptimizerConfig(1e-4, 0.0, 0.9), init=False)

  def __post_init__(self):
    check(self.n_critic >= 1, "n_critic", self.n_critic, "a positive integer")
    check(self.gradient_penalty_weight >= 0, "gradient_penalty_weight",
          self.gradient_penalty_weight, ">= 0")
    gan.derive(self, discriminator_updates=self.n_critic,
               penalty_weight=self.gradient_penalty_weight,
               discriminator_optimizer=self.critic_optimizer)
    super().__post_init__()
