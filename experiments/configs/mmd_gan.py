"""MMD GAN (Li et al. 2017): clipped feature critic, n_critic 5, Gaussian kernels on its features.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/mmd_gan.py:grid``, or
``gengan-train --config=mmd_gan:grid``); ``mnist`` with the paper's clip 0.01
and bandwidths {1, 2, 4, 8, 16}. PacGAN's packing of the critic's inputs (not
in the paper) is ``--config.model.pack=2``.
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("mmd_gan"))
    c.train.steps = 300
    c.train.plot_every = 100
    c.train.checkpoint_every = 100
    c.model.feature_dim = 16
    c.model.kernel = "gaussian"
    c.model.kernel_scales = (1.0, 2.0, 4.0, 8.0, 16.0)
    c.model.estimator = "unbiased"
    c.model.n_critic = 5
    c.model.clip = 0.01
    c.model.pack = 1
    c.model.generator_optimizer = common.adam(5e-5, 0.5, 0.999)
    c.model.critic_optimizer = common.adam(5e-5, 0.5, 0.999)
    return c
  c = common.toy(common.base("mmd_gan"), v)
  c.data.batch_size = 256
  c.train.steps = 20000
  c.train.plot_every = 5000
  c.model.latent_dim = 2
  c.model.feature_dim = 16
  c.model.kernel = "gaussian"
  # Smaller than the paper's {1, 2, 4, 8, 16} (for DCGAN features of
  # images): with clipped MLP features those cover 7/8 ring modes with 4%
  # high-quality samples after 10k steps, these 8/8 with 52%.
  c.model.kernel_scales = (0.1, 0.2, 0.5, 1.0, 2.0)
  c.model.estimator = "unbiased"
  c.model.n_critic = 5
  # The paper's 0.01 is for DCGAN conv nets; with 2-D inputs and 128-unit
  # MLPs it shrinks the features far below the kernel bandwidths.
  c.model.clip = 0.1
  c.model.pack = 1
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.9)
  c.model.critic_optimizer = common.adam(2e-4, 0.5, 0.9)
  return c
