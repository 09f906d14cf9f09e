"""AGE (Ulyanov et al. 2018): codes on the sphere, L2 data / cosine code reconstruction on the 2-D grid of 25 Gaussians (spacing 2, std 0.05; VEEGAN/PacGAN)."""

from experiments.configs import common


def get_config():
  c = common.toy(common.base('age'), 'grid')
  c.data.batch_size = 256
  c.train.steps = 20000
  c.train.plot_every = 5000
  c.model.latent_dim = 3
  c.model.lambda_x = 1.0
  c.model.lambda_z = 10.0
  c.model.generator_updates = 2
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.999)
  c.model.encoder_optimizer = common.adam(2e-4, 0.5, 0.999)
  return c
