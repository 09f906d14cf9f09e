"""f-GAN (Nowozin et al. 2016, Jensen-Shannon critic and generator) on MNIST 28x28 (local IDX files), DCGAN-style networks."""

from experiments.configs import common


def get_config():
  c = common.mnist(common.base('fgan'))
  c.model.critic_divergence = 'jensen_shannon'
  c.model.generator_divergence = None
  c.model.generator_loss = 'non_saturating'
  c.model.generator_updates = 2
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.999)
  c.model.critic_optimizer = common.adam(2e-4, 0.5, 0.999)
  return c
