"""LSGAN: least-squares GAN.

Mao, Li, Xie, Lau, Wang & Smolley, "Least squares generative adversarial
networks" (ICCV 2017), eq. (2): the discriminator regresses data to ``b`` and
model samples to ``a``; the generator pushes its samples' outputs to ``c``:

    min_D  1/2 E_x[(D(x) - b)^2] + 1/2 E_z[(D(G(z)) - a)^2]
    min_G  1/2 E_z[(D(G(z)) - c)^2]

Two codings are selectable (``coding``):

* ``'binary'`` (the default): ``(a, b, c) = (0, 1, 1)``, eq. (9), the 0-1
  binary coding with ``c = b`` (the generator makes its samples as real as
  possible); the paper reports that the two codings perform alike and trains
  its models with this one (Sec. 3.2.3);
* ``'pearson'``: ``(a, b, c) = (-1, 1, 0)``, eq. (8): with ``b - c = 1`` and
  ``b - a = 2`` the generator minimises the Pearson chi^2 divergence between
  ``p* + q`` and ``2q`` (Sec. 3.2.2).

For a fixed G the optimal discriminator is ``D*(x) = (b p*(x) + a q(x)) /
(p*(x) + q(x))`` (Sec. 3.2.2; ``tests/losses/test_gan_pairs.py`` checks it). Defaults are the
paper's (Sec. 4.1: Adam, learning rate 2e-4, ``beta1 = 0.5``), one
discriminator and one generator update per step, batch norm in both
networks as in its DCGAN-style architectures.

A preset of the two-player family (:mod:`gengan_jax.algorithms.gan`): loss
pair ``'least_squares'`` (binary) or ``'least_squares_pearson'``.
"""

from __future__ import annotations

import dataclasses

from gengan_jax.algorithms import gan
from gengan_jax.algorithms.gan import State, init, num_batches, sample, train_step  # noqa: F401
from gengan_jax.core import OptimizerConfig, check_choice

# Mao et al.'s codings, by name: the family's loss pair with that (a, b, c).
CODINGS = {"binary": "least_squares", "pearson": "least_squares_pearson"}


@dataclasses.dataclass(frozen=True)
class Config(gan.Config):
  """LSGAN hyper-parameters (Mao et al. 2017, Sec. 4.1).

  Attributes:
    coding: ``'binary'`` ``(a, b, c) = (0, 1, 1)`` or ``'pearson'``
      ``(-1, 1, 0)`` (sets the family's ``loss``).
    generator_optimizer, discriminator_optimizer: Adam (2e-4, beta1 0.5).

  (and every other setting of :class:`gengan_jax.algorithms.gan.Config`)
  """

  coding: str = "binary"
  penalty: str = "none"
  generator_updates: int = 1
  generator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  discriminator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  # The family's name of the setting above, set from it.
  loss: str = dataclasses.field(default="least_squares", init=False)

  def __post_init__(self):
    check_choice("coding", self.coding, tuple(CODINGS))
    gan.derive(self, loss=CODINGS[self.coding])
    super().__post_init__()
