"""GMMN (Li, Swersky & Zemel 2015): a generator trained on MMD^2 with a sum of Gaussian kernels, on the 2-D ring of 8 Gaussians (radius 1, std 0.01; VEEGAN/PacGAN)."""

from experiments.configs import common


def get_config():
  c = common.toy(common.base('gmmn'), 'ring')
  c.data.batch_size = 256
  c.train.steps = 20000
  c.train.plot_every = 5000
  c.model.latent_dim = 2
  c.model.kernel = 'gaussian'
  # From below the mode width to the size of the whole mixture.
  c.model.kernel_scales = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 4.0)
  c.model.estimator = 'unbiased'
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.9)
  return c
