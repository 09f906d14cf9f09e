"""AGE (Ulyanov et al. 2018): codes on the sphere, L2 data / cosine code reconstruction on the 2-D grid of 25 Gaussians (spacing 2, std 0.05; VEEGAN/PacGAN)."""

from experiments.configs import age_ring


def get_config():
  """The ring experiment's settings on the grid of 25 Gaussians."""
  c = age_ring.get_config()
  c.data.name = "grid"
  return c
