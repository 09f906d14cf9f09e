"""beta-VAE (Higgins et al. 2017): the VAE with the KL weighted by beta = 4.

The VAE's settings (``vae.py`` here) with ``beta = 4``, the paper's setting
for its 2-D shapes. Variants: ``ring`` (the default), ``grid`` and
``mnist`` (``--config=experiments/configs/beta_vae.py:mnist``;
``--config.model.arch=mlp`` for the CPU-sized MLP of
``experiments/vae_mnist.py``).
"""

from gengan_jax.configs import common
from gengan_jax.configs import vae


@common.accepts_protocols
def get_config(arg=None):
  c = vae.model(common.base("beta_vae"), common.variant(arg))
  c.model.beta = 4.0
  return c
