"""DCGAN: non-saturating GAN, G updated twice per D update.

Variants (``--config=experiments/configs/dcgan.py:<variant>``):

* ``ring`` (the default): the 2-D ring of 8 Gaussians (radius 1, std 0.01;
  VEEGAN/PacGAN), MLPs;
* ``grid``: the ring's settings on the 2-D grid of 25 Gaussians (spacing 2, std
  0.05; VEEGAN/PacGAN);
* ``mnist``: MNIST 28x28 (local IDX files: ``$GENGAN_MNIST_DIR``, see
  ``common.mnist_directory``), DCGAN-style networks.
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
