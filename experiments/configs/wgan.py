"""WGAN (Arjovsky et al. 2017, Algorithm 1: RMSProp 5e-5, clip 0.01, n_critic 5).

With the authors' code's critic bursts (100 critic updates before the first
25 and every 500th generator update: ``critic_bursts``), so a run's steps are
blocks of 5 critic updates and a burst spans 20 of them.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/wgan.py:grid``, or
``gengan-train --config=wgan:grid``).
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("wgan"))
    c.train.steps = 1000
  else:
    c = common.toy(common.base("wgan"), v)
    c.data.batch_size = 256
    c.train.steps = 20000
    c.train.plot_every = 5000
    c.model.latent_dim = 2
  c.model.n_critic = 5
  c.model.clip = 0.01
  c.model.critic_bursts = True
  c.model.generator_optimizer = common.rmsprop(5e-5)
  c.model.critic_optimizer = common.rmsprop(5e-5)
  c.model.pack = 1
  return c
