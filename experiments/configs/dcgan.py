"""DCGAN: non-saturating GAN, G updated twice per D update.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/dcgan.py:grid``, or
``gengan-train --config=dcgan:grid``). PacGAN (Lin et al. 2018) is this
config with ``--config.model.pack=2``: the discriminator judges two samples
at once.
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  return common.two_player("dcgan", common.variant(arg))
