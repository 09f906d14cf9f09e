"""alpha-GAN (Rosca et al. 2017, Algorithm 1) on the 2-D ring of 8 Gaussians (radius 1, std 0.01; VEEGAN/PacGAN)."""

from experiments.configs import common


def get_config():
  c = common.toy(common.base('alpha_gan'), 'ring')
  c.data.batch_size = 256
  c.train.steps = 20000
  c.train.plot_every = 5000
  c.model.latent_dim = 2
  c.model.lambda_encoder = 1.0
  c.model.lambda_generator = 1.0
  # The paper's 3 x 750 code discriminator is sized for images; 2-D codes
  # need far less, and this keeps the default run to a few CPU minutes.
  c.model.code_discriminator_hidden = (128, 128, 128)
  for net in ("generator", "encoder", "discriminator", "code_discriminator"):
    c.model[net + "_optimizer"] = common.adam(2e-4, 0.5, 0.9)
  return c
