"""Non-saturating GAN with a gradient penalty (Fedus et al. 2018), lambda 10.

The WGAN-GP penalty at interpolates ("NS-GAN-GP") on the toy data, the
DRAGAN penalty ("NS-GAN-DRAGAN") on MNIST.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/gan_penalty.py:grid``, or
``gengan-train --config=gan_penalty:grid``); its ``mnist`` discriminator has no batch norm.

Other penalties: --config.model.penalty=dragan|r1|r2|wgan_gp|wgan_gp_one_sided|none.
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("gan_penalty"))
    c.train.steps = 500
    c.model.penalty = "dragan"
    c.model.penalty_weight = 10.0
    c.model.generator_updates = 1
    c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.999)
    c.model.discriminator_optimizer = common.adam(2e-4, 0.5, 0.999)
    return c
  c = common.toy(common.base("gan_penalty"), v)
  c.data.batch_size = 256
  c.train.steps = 20000
  c.train.plot_every = 5000
  c.model.latent_dim = 2
  c.model.penalty = "wgan_gp"
  c.model.penalty_weight = 10.0
  c.model.generator_updates = 1
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.9)
  c.model.discriminator_optimizer = common.adam(2e-4, 0.5, 0.9)
  return c
