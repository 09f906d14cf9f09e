"""f-GAN (Nowozin et al. 2016) with the Jensen-Shannon critic and generator on the 2-D grid of 25 Gaussians (spacing 2, std 0.05; VEEGAN/PacGAN)."""

from experiments.configs import fgan_ring


def get_config():
  """The ring experiment's settings on the grid of 25 Gaussians."""
  c = fgan_ring.get_config()
  c.data.name = "grid"
  return c
