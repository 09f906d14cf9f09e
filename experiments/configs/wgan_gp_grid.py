"""WGAN-GP (Gulrajani et al. 2017, Algorithm 1: n_critic 5, lambda 10) on the 2-D grid of 25 Gaussians (spacing 2, std 0.05; VEEGAN/PacGAN)."""

from experiments.configs import common


def get_config():
  c = common.toy(common.base('wgan_gp'), 'grid')
  c.data.batch_size = 256
  c.train.steps = 20000
  c.train.plot_every = 5000
  c.model.latent_dim = 2
  c.model.n_critic = 5
  c.model.gradient_penalty_weight = 10.0
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.9)
  c.model.critic_optimizer = common.adam(2e-4, 0.5, 0.9)
  return c
