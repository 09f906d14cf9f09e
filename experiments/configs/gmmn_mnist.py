"""GMMN (Li, Swersky & Zemel 2015) on MNIST 28x28 pixels (local IDX files), DCGAN-style generator, Gaussian kernels with the paper's bandwidths {2, 5, 10, 20, 40, 80}."""

from experiments.configs import common


def get_config():
  c = common.mnist(common.base('gmmn'))
  # GMMN needs large batches to estimate MMD well (the paper uses 1000).
  c.data.batch_size = 256
  c.model.kernel = 'gaussian'
  c.model.kernel_scales = (2.0, 5.0, 10.0, 20.0, 40.0, 80.0)
  c.model.estimator = 'unbiased'
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.999)
  return c
