"""f-GAN: a GAN trained with any f-divergence, chosen by name.

Nowozin, Cseke & Tomioka, "f-GAN: Training generative neural samplers using
variational divergence minimization" (NeurIPS 2016), Algorithm 1 with
alternating (rather than simultaneous) updates. The critic ``V`` maximises the
variational lower bound (eq. 6)

    F = E_data[g_f(V(x))] - E_model[f*(g_f(V(G(z))))]  <=  D_f(data || model)

and the generator minimises its side of it, in the saturating form
``-f*(g_f(V))`` or the non-saturating form ``-g_f(V)`` (Sec. 3.2). The
generator's divergence may differ from the critic's: the critic's output is
then read as a log density ratio and the generator uses the optimal critic of
its own divergence at that ratio (:func:`gengan_jax.losses.fgan_generator_loss`;
Mohamed & Lakshminarayanan 2016, Sec. 3).

One ``train_step``:

1. critic: minimise ``-F`` on one data batch and fresh model samples;
2. ``generator_updates`` times, with fresh ``z``: minimise the generator loss.

The metric ``divergence_estimate`` is ``F`` on the step's batch, before the
critic's update (:func:`gengan_jax.ratio.variational_estimate`).

A preset of the two-player family (:mod:`gengan_jax.algorithms.gan`): loss
pair ``'f:<critic_divergence>'`` (:func:`gengan_jax.losses.f_divergence_pair`),
no penalty, batch norm in the critic. With ``critic_divergence='gan'`` and the
non-saturating generator it is DCGAN with one generator update.
"""

from __future__ import annotations

import dataclasses

from gengan_jax import losses
from gengan_jax.algorithms import gan
from gengan_jax.algorithms.gan import State, init, num_batches, sample, train_step  # noqa: F401
from gengan_jax.core import OptimizerConfig, check_choice


@dataclasses.dataclass(frozen=True)
class Config(gan.Config):
  """f-GAN hyper-parameters (Nowozin et al. 2016: Adam 2e-4, beta1 0.5).

  Attributes:
    critic_divergence: the f-divergence whose variational bound the critic
      maximises, one of :data:`gengan_jax.losses.DIVERGENCES` (sets the
      family's ``loss`` to ``'f:<critic_divergence>'``).
    generator_divergence: the divergence the generator minimises; ``None``
      for the critic's.
    generator_loss: ``'non_saturating'`` (Nowozin et al., Sec. 3.2) or
      ``'saturating'`` (the saddle-point objective, eq. 6).
    generator_updates: generator updates per critic update.
    generator_optimizer, critic_optimizer: Adam settings (``critic_optimizer``
      sets the family's ``discriminator_optimizer``).

  (and every other setting of :class:`gengan_jax.algorithms.gan.Config`)
  """

  critic_divergence: str = "gan"
  generator_divergence: str | None = None
  generator_loss: str = "non_saturating"
  penalty: str = "none"
  generator_updates: int = 1
  generator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  critic_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  # The family's names of the two settings above, set from them.
  loss: str = dataclasses.field(default="f:gan", init=False)
  discriminator_optimizer: OptimizerConfig = dataclasses.field(
      default=OptimizerConfig(2e-4, 0.5, 0.999), init=False)

  def __post_init__(self):
    check_choice("critic_divergence", self.critic_divergence, losses.DIVERGENCES)
    gan.derive(self, loss="f:" + self.critic_divergence,
               discriminator_optimizer=self.critic_optimizer)
    super().__post_init__()
