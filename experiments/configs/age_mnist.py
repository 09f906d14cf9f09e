"""AGE (Ulyanov et al. 2018): codes on the sphere, L2 data / cosine code reconstruction on MNIST 28x28 (local IDX files), DCGAN-style networks."""

from experiments.configs import common


def get_config():
  c = common.mnist(common.base('age'))
  # lambda_x multiplies the per-image squared L2 norm (784 pixels).
  c.model.lambda_x = 0.01
  c.model.lambda_z = 10.0
  c.model.generator_updates = 2
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.999)
  c.model.encoder_optimizer = common.adam(2e-4, 0.5, 0.999)
  return c
