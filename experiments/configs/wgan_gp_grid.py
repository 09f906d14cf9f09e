"""WGAN-GP (Gulrajani et al. 2017, Algorithm 1: n_critic 5, lambda 10) on the 2-D grid of 25 Gaussians (spacing 2, std 0.05; VEEGAN/PacGAN)."""

from experiments.configs import wgan_gp_ring


def get_config():
  """The ring experiment's settings on the grid of 25 Gaussians."""
  c = wgan_gp_ring.get_config()
  c.data.name = "grid"
  return c
