"""Non-saturating GAN with the WGAN-GP penalty, lambda 10 (Fedus et al. 2018) on the 2-D grid of 25 Gaussians (spacing 2, std 0.05; VEEGAN/PacGAN)."""

from experiments.configs import gan_penalty_ring


def get_config():
  """The ring experiment's settings on the grid of 25 Gaussians."""
  c = gan_penalty_ring.get_config()
  c.data.name = "grid"
  return c
