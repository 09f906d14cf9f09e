"""MMD GAN (Li et al. 2017: clip 0.01, n_critic 5, Gaussian kernels {1, 2, 4, 8, 16} on learned features) on MNIST 28x28 (local IDX files), DCGAN-style networks."""

from experiments.configs import common


def get_config():
  c = common.mnist(common.base('mmd_gan'))
  c.train.steps = 300
  c.train.plot_every = 100
  c.train.checkpoint_every = 100
  c.model.feature_dim = 16
  c.model.kernel = 'gaussian'
  c.model.kernel_scales = (1.0, 2.0, 4.0, 8.0, 16.0)
  c.model.estimator = 'unbiased'
  c.model.n_critic = 5
  c.model.clip = 0.01
  c.model.generator_optimizer = common.adam(5e-5, 0.5, 0.999)
  c.model.critic_optimizer = common.adam(5e-5, 0.5, 0.999)
  return c
