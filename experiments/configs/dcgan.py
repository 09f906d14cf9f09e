"""DCGAN: non-saturating GAN, G updated twice per D update.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/dcgan.py:grid``, or
``gengan-train --config=dcgan:grid``); the alpha-GAN paper's image experiments
``stacked_mnist``, ``cifar10`` and ``celeb_a``, as ``common_images.py`` describes
them (``gengan-train --config=dcgan:celeb_a``); PacGAN's Stacked MNIST
protocols ``pacgan_stacked_mnist`` (its Table 2), ``pacgan_stacked_mnist_d4``
and ``pacgan_stacked_mnist_d2`` (Table 3), as ``common_stacked_mnist.py``
describes them. PacGAN (Lin et al. 2018) is this config with
``--config.model.pack=2``: the discriminator judges two samples at once.
"""

from gengan_jax.configs import common


@common.accepts_stacked_mnist
@common.accepts_images
@common.accepts_protocols
def get_config(arg=None):
  return common.two_player("dcgan", common.variant(arg))
