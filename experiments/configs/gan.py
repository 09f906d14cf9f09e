"""The two-player GAN family itself: a loss pair and a penalty by name.

The named GANs (``dcgan``, ``gan_penalty``, ``fgan``, ``wgan_gp``) are
presets of this family with their papers' defaults; this config trains any
other combination, e.g. the least-squares GAN or the hinge GAN::

  --config=experiments/configs/gan.py:ring --config.model.loss=hinge
  --config=experiments/configs/gan.py:grid --config.model.loss=least_squares \
      --config.model.penalty=r1 --config.model.penalty_weight=5.0

(loss pairs: ``gengan_jax.losses.LOSS_PAIRS``; penalties:
``gengan_jax.losses.PENALTIES``). Defaults: the non-saturating GAN
(Goodfellow et al. 2014), no penalty, one generator update per
discriminator update, Adam 2e-4.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/gan.py:grid``, or
``gengan-train --config=gan:grid``); PacGAN's Stacked MNIST protocols
``pacgan_stacked_mnist``, ``pacgan_stacked_mnist_d4`` and
``pacgan_stacked_mnist_d2``, as ``common_stacked_mnist.py`` describes them.
"""

from gengan_jax.configs import common


@common.accepts_stacked_mnist
@common.accepts_protocols
def get_config(arg=None):
  c = common.two_player("gan", common.variant(arg))
  c.model.loss = "non_saturating"
  c.model.penalty = "none"
  c.model.penalty_weight = 10.0
  c.model.generator_updates = 1
  return c
