"""alpha-GAN (Rosca et al. 2017, Algorithm 1) on MNIST 28x28 (local IDX files), DCGAN-style networks."""

from experiments.configs import common


def get_config():
  c = common.mnist(common.base('alpha_gan'))
  c.train.steps = 600
  c.train.plot_every = 200
  # lambda multiplies the per-image L1 norm (a sum over 784 pixels).
  c.model.lambda_encoder = 0.05
  c.model.lambda_generator = 0.05
  c.model.code_discriminator_hidden = (750, 750, 750)
  for net in ("generator", "encoder", "discriminator", "code_discriminator"):
    c.model[net + "_optimizer"] = common.adam(2e-4, 0.5, 0.9)
  return c
