"""WGAN-GP (Gulrajani et al. 2017, Algorithm 1: n_critic 5, lambda 10).

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/wgan_gp.py:grid``, or
``gengan-train --config=wgan_gp:grid``); the alpha-GAN paper's image experiments
``stacked_mnist``, ``cifar10`` and ``celeb_a``, as ``common_images.py`` describes
them (``gengan-train --config=wgan_gp:celeb_a``).
"""

from gengan_jax.configs import common


@common.accepts_images
@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("wgan_gp"))
    # One step is 5 critic updates with a double-backward penalty: ~2.8 s on a
    # 2-core CPU (see issue 6), so the CPU run is short.
    c.train.steps = 200
    c.train.plot_every = 100
    c.train.checkpoint_every = 100
    c.model.n_critic = 5
    c.model.gradient_penalty_weight = 10.0
    c.model.generator_optimizer = common.adam(1e-4, 0.0, 0.9)
    c.model.critic_optimizer = common.adam(1e-4, 0.0, 0.9)
    return c
  c = common.toy(common.base("wgan_gp"), v)
  c.data.batch_size = 256
  c.train.steps = 20000
  c.train.plot_every = 5000
  c.model.latent_dim = 2
  c.model.n_critic = 5
  c.model.gradient_penalty_weight = 10.0
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.9)
  c.model.critic_optimizer = common.adam(2e-4, 0.5, 0.9)
  return c
