"""Non-saturating GAN with the WGAN-GP penalty at interpolates, lambda 10 (Fedus et al. 2018, "NS-GAN-GP"), on the 2-D ring of 8 Gaussians (radius 1, std 0.01; VEEGAN/PacGAN).

Other penalties: --config.model.penalty=dragan|r1|r2|wgan_gp_one_sided|none.
"""

from experiments.configs import common


def get_config():
  c = common.toy(common.base('gan_penalty'), 'ring')
  c.data.batch_size = 256
  c.train.steps = 20000
  c.train.plot_every = 5000
  c.model.latent_dim = 2
  c.model.penalty = 'wgan_gp'
  c.model.penalty_weight = 10.0
  c.model.generator_updates = 1
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.9)
  c.model.discriminator_optimizer = common.adam(2e-4, 0.5, 0.9)
  return c
