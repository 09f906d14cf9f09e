"""DCGAN: non-saturating GAN, G updated twice per D update.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/dcgan.py:grid``, or
``gengan-train --config=dcgan:grid``).
"""

from gengan_jax.configs import common


def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("dcgan"))
    c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.999)
    c.model.discriminator_optimizer = common.adam(2e-4, 0.5, 0.999)
    return c
  c = common.toy(common.base("dcgan"), v)
  c.data.batch_size = 256
  c.train.steps = 20000
  c.train.plot_every = 5000
  c.model.latent_dim = 2
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.9)
  c.model.discriminator_optimizer = common.adam(2e-4, 0.5, 0.9)
  return c
