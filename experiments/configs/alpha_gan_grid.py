"""alpha-GAN (Rosca et al. 2017, Algorithm 1) on the 2-D grid of 25 Gaussians (spacing 2, std 0.05; VEEGAN/PacGAN)."""

from experiments.configs import alpha_gan_ring


def get_config():
  """The ring experiment's settings on the grid of 25 Gaussians."""
  c = alpha_gan_ring.get_config()
  c.data.name = "grid"
  return c
