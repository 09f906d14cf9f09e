"""VAE with a Real NVP prior trained jointly on the ELBO (the lecture's flow-prior VAE).

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them; the VAE's settings (``experiments/configs/vae.py``) plus the
prior: four affine couplings with ReLU MLPs of 2 x 64 on the codes.
"""

from gengan_jax.configs import common
from gengan_jax.configs import vae


@common.accepts_protocols
def get_config(arg=None):
  c = vae.model(common.base("flow_prior_vae"), common.variant(arg))
  c.model.prior_couplings = 4
  c.model.prior_hidden = (64, 64)
  return c
