"""f-GAN (Nowozin et al. 2016, Jensen-Shannon critic and generator) on MNIST 28x28 (local IDX files), DCGAN-style networks."""

import ml_collections

from experiments.configs import common


def get_config():
  c = common.mnist(common.base('fgan'))
  c.model.critic_divergence = 'jensen_shannon'
  # None: the critic's divergence (a typed placeholder, so it can be set
  # from the command line).
  c.model.generator_divergence = ml_collections.config_dict.placeholder(str)
  c.model.generator_loss = 'non_saturating'
  c.model.generator_updates = 2
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.999)
  c.model.critic_optimizer = common.adam(2e-4, 0.5, 0.999)
  return c
