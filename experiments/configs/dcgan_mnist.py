"""DCGAN: non-saturating GAN, G updated twice per D update on MNIST 28x28 (local IDX files), DCGAN-style networks."""

from experiments.configs import common


def get_config():
  c = common.mnist(common.base('dcgan'))
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.999)
  c.model.discriminator_optimizer = common.adam(2e-4, 0.5, 0.999)
  return c
