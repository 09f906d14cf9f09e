"""BiGAN (Donahue et al. 2017): ALI with a deterministic encoder.

ALI's settings (``ali.py`` here) with ``encoder='deterministic'``, so that
a BiGAN run and an ALI run differ only in the encoder. Variants: ``ring``
(the default), ``grid`` and ``mnist``
(``--config=experiments/configs/bigan.py:grid``).
"""

from gengan_jax.configs import ali
from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  return ali.model(common.base("bigan"), common.variant(arg), encoder="deterministic")
