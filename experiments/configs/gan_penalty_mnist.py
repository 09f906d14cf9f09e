"""Non-saturating GAN with the DRAGAN penalty, lambda 10 (Fedus et al. 2018, "NS-GAN-DRAGAN") on MNIST 28x28 (local IDX files), DCGAN-style networks without batch norm in D."""

from experiments.configs import common


def get_config():
  c = common.mnist(common.base('gan_penalty'))
  c.train.steps = 500
  c.model.penalty = 'dragan'
  c.model.penalty_weight = 10.0
  c.model.generator_updates = 1
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.999)
  c.model.discriminator_optimizer = common.adam(2e-4, 0.5, 0.999)
  return c
