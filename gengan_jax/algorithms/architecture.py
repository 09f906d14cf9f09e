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

ARCHITECTURES = ("mlp", "dcgan", "maxout_mlp", "dcgan_tf", "unrolled_gan")


@dataclasses.dataclass(frozen=True)
class ArchitectureConfig:
  """Network choice shared by every algorithm.

  Attributes:
    arch: ``'mlp'`` for vector data (toy 2-D mixtures), ``'dcgan'`` for
      images of 28x28, 32x32 or 64x64 pixels, ``'maxout_mlp'`` for the ALI
      and PacGAN 2-D networks (batch-normalised generator and encoder,
      maxout discriminator; algorithms built from those three only),
      ``'dcgan_tf'`` and ``'unrolled_gan'`` for the DCGAN-tensorflow networks
      of PacGAN's Stacked MNIST experiments (generator, discriminator and
      encoder only; :mod:`gengan_jax.nets.dcgan_tensorflow`).
    latent_dim: dimension of the latent code ``z``.
    hidden: hidden layer widths of the MLPs (``arch='mlp'``).
    base_features: channels of the first conv layer (``arch='dcgan'``); the
      width unit ``b`` of the DCGAN-tensorflow networks (``gf_dim``).
    discriminator_hidden: the discriminator's hidden widths where they differ
      from the generator's (``arch='mlp'`` or ``'maxout_mlp'``; ``None``:
      ``hidden``).
    discriminator_base_features: the discriminator's ``base_features``
      where it differs from the generator's (the conv archs; ``None``:
      ``base_features``): DCGAN-tensorflow's ``df_dim``, and the Unrolled GAN
      setting's discriminator of a quarter or half the generator's widths.
  """

  arch: str = "mlp"
  latent_dim: int = 8
  hidden: tuple[int, ...] = (128, 128, 128)
  base_features: int = 64
  discriminator_hidden: tuple[int, ...] | None = None
  discriminator_base_features: int | None = None

  def __post_init__(self):
    check_choice("arch", self.arch, ARCHITECTURES)
    check(self.latent_dim >= 1, "latent_dim", self.latent_dim, "a positive integer")
    check_widths("hidden", self.hidden)
    if self.discriminator_hidden is not None:
      check_widths("discriminator_hidden", self.discriminator_hidden, allow_empty=True)
    check(self.base_features >= 1, "base_features", self.base_features,
          "a positive integer")
    if self.discriminator_base_features is not None:
      check(self.discriminator_base_features >= 1, "discriminator_base_features",
            self.discriminator_base_features, "a positive integer, or None (base_features)")

  def net_kwargs(self) -> dict[str, Any]:
    """Keyword arguments for :mod:`gengan_jax.nets.factory`."""
    if self.arch in ("mlp", "maxout_mlp"):
      return {"hidden": self.hidden}
    return {"base_features": self.base_features}

  def discriminator_kwargs(self) -> dict[str, Any]:
    """:meth:`net_kwargs` with ``discriminator_hidden`` as the widths, or
    ``discriminator_base_features`` as ``base_features``, when set."""
    kwargs = self.net_kwargs()
    if "hidden" in kwargs and self.discriminator_hidden is not None:
      kwargs["hidden"] = self.discriminator_hidden
    if "base_features" in kwargs and self.discriminator_base_features is not None:
      kwargs["base_features"] = self.discriminator_base_features
    return kwargs
