"""WGAN-GP (Gulrajani et al. 2017, Algorithm 1: n_critic 5, lambda 10) on MNIST 28x28 (local IDX files), DCGAN-style networks."""

from experiments.configs import common


def get_config():
  c = common.mnist(common.base('wgan_gp'))
  c.model.n_critic = 5
  c.model.gradient_penalty_weight = 10.0
  c.model.generator_optimizer = common.adam(1e-4, 0.0, 0.9)
  c.model.critic_optimizer = common.adam(1e-4, 0.0, 0.9)
  return c
