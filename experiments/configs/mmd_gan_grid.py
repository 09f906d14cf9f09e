"""MMD GAN (Li et al. 2017) on the 2-D grid of 25 Gaussians (spacing 2, std 0.05; VEEGAN/PacGAN)."""

from experiments.configs import mmd_gan_ring


def get_config():
  """The ring experiment's settings on the grid of 25 Gaussians."""
  c = mmd_gan_ring.get_config()
  c.data.name = "grid"
  return c
