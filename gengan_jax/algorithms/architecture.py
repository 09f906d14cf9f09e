"""The network settings of the algorithms built from G, D and E.

Algorithms whose networks are a generator, a discriminator (or critic) and an
encoder drawn from :mod:`gengan_jax.nets` by architecture name extend
:class:`ArchitectureConfig`; a model with other networks (a decoder with a
likelihood head, a flow) declares its own settings instead.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from gengan_jax.core.config import check, check_choice, check_widths

ARCHITECTURES = ("mlp", "dcgan")


@dataclasses.dataclass(frozen=True)
class ArchitectureConfig:
  """Network choice shared by every algorithm.

  Attributes:
    arch: ``'mlp'`` for vector data (toy 2-D mixtures), ``'dcgan'`` for
      images of 28x28, 32x32 or 64x64 pixels.
    latent_dim: dimension of the latent code ``z``.
    hidden: hidden layer widths of the MLPs (``arch='mlp'``).
    base_features: channels of the first conv layer (``arch='dcgan'``).
  """

  arch: str = "mlp"
  latent_dim: int = 8
  hidden: tuple[int, ...] = (128, 128, 128)
  base_features: int = 64

  def __post_init__(self):
    check_choice("arch", self.arch, ARCHITECTURES)
    check(self.latent_dim >= 1, "latent_dim", self.latent_dim, "a positive integer")
    check_widths("hidden", self.hidden)
    check(self.base_features >= 1, "base_features", self.base_features,
          "a positive integer")

  def net_kwargs(self) -> dict[str, Any]:
    """Keyword arguments for :mod:`gengan_jax.nets.factory`."""
    if self.arch == "mlp":
      return {"hidden": self.hidden}
    return {"base_features": self.base_features}
