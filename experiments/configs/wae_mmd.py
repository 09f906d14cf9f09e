"""WAE-MMD (Tolstikhin et al. 2018, Algorithm 2): an auto-encoder with the latent MMD as penalty.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/wae_mmd.py:grid``, or
``gengan-train --config=wae_mmd:grid``).

* ``ring`` / ``grid``: MLPs of 3 x 128, 2-D codes (a deterministic encoder's
  codes fill only the data's manifold), ``lambda = 10``, batch 256, 20,000
  steps.
* ``mnist``: DCGAN-style encoder and decoder and the paper's MNIST settings
  (Sec. 4, the authors' ``config_mnist``): 8-D codes, ``lambda = 10``, the
  cost ``0.05 ||x - y||^2``, the IMQ kernel summed over ``C = 2 d_z s`` for
  the code's scales ``s``, Adam ``1e-3`` with beta1 0.5; batch 64.
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("wae_mmd"))
    c.model.latent_dim = 8
    c.model.optimizer = common.adam(1e-3, 0.5, 0.999)
  else:
    c = common.toy(common.base("wae_mmd"), v)
    c.data.batch_size = 256
    c.train.steps = 20000
    c.train.plot_every = 5000
    c.model.latent_dim = 2
    c.model.optimizer = common.adam(1e-3, 0.5, 0.9)
  c.model.encoder = "deterministic"
  c.model.lambda_penalty = 10.0
  c.model.cost_scale = 0.05
  c.model.mmd_scales = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
  return c
