r"""BiGAN: bidirectional GAN, ALI with a deterministic encoder.

Donahue, Krähenbühl & Darrell, "Adversarial feature learning" (ICLR 2017,
arXiv:1605.09782), Sec. 3: a generator ``G: z -> x``, an encoder
``E: x -> z`` and a discriminator ``D(x, z)`` on pairs, playing

.. math::

  \min_{G, E} \max_D \; \mathbb E_{x \sim p_X}[\log D(x, E(x))]
  + \mathbb E_{z \sim p_Z}[\log(1 - D(G(z), z))]

(the value function ``V(D, E, G)`` of Sec. 3), whose optimum has
``E = G^{-1}`` (Theorem 2). ``E`` is a deterministic network, where ALI's is
a reparameterised Gaussian; as the paper does (Sec. 3.4, the "inverted"
objective) and as ALI does, ``G`` and ``E`` are trained with the labels
inverted (the non-saturating form: ``-log D(G(z), z) - log(1 - D(x,
E(x)))``), both at once.

This is :mod:`.ali` with ``encoder='deterministic'``: the same networks,
step (the same ``train_step`` function) and contract; only the defaults
below differ, and a test pins that BiGAN equals ALI with the deterministic
encoder bit for bit.
"""

from __future__ import annotations

import dataclasses

from gengan_jax.algorithms import ali
from gengan_jax.algorithms.ali import (State, encode, init, num_batches,  # noqa: F401
                                       reconstruct, sample, train_step)
from gengan_jax.core import OptimizerConfig


@dataclasses.dataclass(frozen=True)
class Config(ali.Config):
  """BiGAN hyper-parameters: :class:`gengan_jax.algorithms.ali.Config` with a
  deterministic encoder and the paper's Adam (learning rate 2e-4, beta1 0.5;
  Sec. 4).

  Attributes:
    encoder: ``'deterministic'`` (``z = E(x)``).
    generator_optimizer, encoder_optimizer, discriminator_optimizer: Adam
      settings, one per network.

  (and every other setting of :class:`gengan_jax.algorithms.ali.Config`)
  """

  encoder: str = "deterministic"
  generator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  encoder_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  discriminator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)


__all__ = ["Config", "State", "encode", "init", "num_batches", "reconstruct", "sample",
           "train_step"]
