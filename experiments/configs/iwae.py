"""IWAE (Burda et al. 2016): the VAE's networks on the k-sample importance-weighted bound.

The VAE's settings (``vae.py`` here) with the training ``k``
(``num_importance_samples``) in place of ``beta``: 5 on the 2-D mixtures,
50 on MNIST (the paper's headline setting, Table 1). Variants: ``ring``
(the default), ``grid`` and ``mnist``
(``--config=experiments/configs/iwae.py:mnist``; ``--config.model.arch=mlp``
for the CPU-sized MLP of ``experiments/vae_mnist.py``; every training step
decodes ``k`` codes per digit, so the DCGAN-style default is for
accelerators).
"""

from gengan_jax.configs import common
from gengan_jax.configs import vae


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  c = vae.model(common.base("iwae"), v)
  c.model.num_importance_samples = 50 if v == "mnist" else 5
  return c
