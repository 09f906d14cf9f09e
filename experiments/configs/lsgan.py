"""LSGAN (Mao et al. 2017, eq. 2; the 0-1 coding of eq. 9, Adam 2e-4, beta1 0.5).

``--config.model.coding=pearson`` selects the (a, b, c) = (-1, 1, 0) coding of
eq. 8.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/lsgan.py:grid``, or
``gengan-train --config=lsgan:grid``).
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  c = common.two_player("lsgan", common.variant(arg))
  c.model.coding = "binary"
  return c
