"""f-GAN (Nowozin et al. 2016) with the Jensen-Shannon critic and generator, non-saturating.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/fgan.py:grid``, or
``gengan-train --config=fgan:grid``).

Pick other divergences with --config.model.critic_divergence=... and
--config.model.generator_divergence=... (any of gengan_jax.losses.DIVERGENCES).
"""

import ml_collections

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("fgan"))
    c.model.critic_divergence = "jensen_shannon"
    # None: the critic's divergence (a typed placeholder, so it can be set
    # from the command line).
    c.model.generator_divergence = ml_collections.config_dict.placeholder(str)
    c.model.generator_loss = "non_saturating"
    c.model.generator_updates = 2
    c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.999)
    c.model.critic_optimizer = common.adam(2e-4, 0.5, 0.999)
    return c
  c = common.toy(common.base("fgan"), v)
  c.data.batch_size = 256
  c.train.steps = 20000
  c.train.plot_every = 5000
  c.model.latent_dim = 2
  c.model.critic_divergence = "jensen_shannon"
  c.model.generator_divergence = ml_collections.config_dict.placeholder(str)
  c.model.generator_loss = "non_saturating"
  c.model.generator_updates = 1
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.9)
  c.model.critic_optimizer = common.adam(2e-4, 0.5, 0.9)
  return c
