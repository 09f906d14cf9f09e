"""The hinge-loss GAN (Lim & Ye 2017; Miyato et al. 2018, eq. 16-17; Adam 2e-4, beta1 0.5).

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/hinge_gan.py:grid``, or
``gengan-train --config=hinge_gan:grid``).
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  return common.two_player("hinge_gan", common.variant(arg))
