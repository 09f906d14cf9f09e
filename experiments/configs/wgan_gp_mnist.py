"""WGAN-GP (Gulrajani et al. 2017, Algorithm 1: n_critic 5, lambda 10) on MNIST 28x28 (local IDX files), DCGAN-style networks."""

from experiments.configs import common


def get_config():
  c = common.mnist(common.base('wgan_gp'))
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
