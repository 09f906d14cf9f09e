"""DCGAN: non-saturating GAN, G updated twice per D update on the 2-D grid of 25 Gaussians (spacing 2, std 0.05; VEEGAN/PacGAN)."""

from experiments.configs import dcgan_ring


def get_config():
  """The ring experiment's settings on the grid of 25 Gaussians."""
  c = dcgan_ring.get_config()
  c.data.name = "grid"
  return c
