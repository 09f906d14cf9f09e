r"""Maxout networks: the discriminator of the ALI and PacGAN 2-D experiments.

A linear maxout unit (Goodfellow et al. 2013) takes the largest of ``k``
affine functions of its input; a layer of ``H`` units is one dense map to
``H * k`` values, grouped in ``H`` runs of ``k`` consecutive ones:

.. math::

   h_i(x) = \max_{j = 1..k} \left( x^\top W_{:, ik + j} + b_{ik + j} \right),
   \qquad i = 0..H-1.

Each unit is a convex piecewise-linear function of ``x`` with at most ``k``
pieces; ``k = 1`` is a linear layer with no activation.

:class:`MaxoutDiscriminator` is the toy discriminator of Dumoulin et al.
(ALI, 2017, the mixture-of-Gaussians experiment) that PacGAN reuses for its
2-D ring and grid (Lin et al. 2018, Table 1; ``fjxmlzn/PacGAN``,
``synthetic_data_experiments/2D{Ring,Grid}_GAN&PacGAN/pacgan_task.py``):
three ``LinearMaxout`` layers of 200 units with 5 pieces, a linear output,
every weight drawn from N(0, 0.02^2) and every bias 0, no batch norm. Its
input layer takes ``m * 2`` features under PacGAN's packing of ``m``
samples, the rest is unchanged. Blocks' ``Maxout`` brick groups the pieces
of a unit as consecutive columns, as here.

References:
  Goodfellow, Warde-Farley, Mirza, Courville & Bengio, "Maxout networks",
  ICML 2013, eq. (1).
  Dumoulin et al., "Adversarially learned inference", ICLR 2017, the 2-D
  mixture-of-Gaussians experiment (code ``IshmaelBelghazi/ALI``).
  Lin, Khetan, Fanti & Oh, "PacGAN: the power of two samples in generative
  adversarial networks", NeurIPS 2018, the 2-D experiments (Table 1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

Initializer = Callable[..., Any]

# N(0, 0.02^2): the ALI/PacGAN toy networks' ``IsotropicGaussian(0.02)``.
PACGAN_INIT: Initializer = nn.initializers.normal(stddev=0.02)


def _check_pieces(pieces: Any) -> None:
  if isinstance(pieces, bool) or not isinstance(pieces, int) or pieces < 1:
    raise ValueError(f"pieces={pieces!r} is invalid: the number of affine pieces per maxout "
                     "unit must be an int >= 1 (1: a linear layer).")


class LinearMaxout(nn.Module):
  """``H`` maxout units of ``k`` affine pieces each: ``[B, D] -> [B, H]``.

  Attributes:
    features: ``H``, the number of units.
    pieces: ``k``, affine pieces per unit, >= 1.
    kernel_init: initialiser of the ``[D, H * k]`` kernel (biases start at 0).
  """

  features: int
  pieces: int = 5
  kernel_init: Initializer = PACGAN_INIT

  def __post_init__(self):
    _check_pieces(self.pieces)
    super().__post_init__()

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    """``max_j`` of the ``k`` affine maps of unit ``i``, for every unit: ``[B, H]``."""
    y = nn.Dense(self.features * self.pieces, kernel_init=self.kernel_init, name="linear")(x)
    return jnp.max(y.reshape(y.shape[:-1] + (self.features, self.pieces)), axis=-1)


class MaxoutDiscriminator(nn.Module):
  """Discriminator ``x [B, D] -> logits [B]``: maxout layers, then a linear logit.

  The defaults are the ALI/PacGAN 2-D discriminator: ``hidden = (200, 200,
  200)``, ``pieces = 5``, N(0, 0.02^2) weights, zero biases. It has no batch
  norm, so each logit depends on its own example only (a valid critic for
  per-example gradient penalties).

  Attributes:
    hidden: widths ``H`` of the maxout layers (may be empty: a linear map).
    pieces: ``k``, affine pieces per unit, >= 1.
    kernel_init: initialiser of every kernel.
  """

  hidden: Sequence[int] = (200, 200, 200)
  pieces: int = 5
  kernel_init: Initializer = PACGAN_INIT

  def __post_init__(self):
    if not isinstance(self.hidden, tuple):
      object.__setattr__(self, "hidden", tuple(self.hidden))
    _check_pieces(self.pieces)
    super().__post_init__()

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool, return_features: bool = False
               ) -> jax.Array | tuple[jax.Array, tuple[jax.Array, ...]]:
    """Maps ``x`` of shape ``[B, D]`` to logits ``[B]``.

    ``train`` is ignored (no batch norm or dropout). With ``return_features``
    it returns ``(logits, features)``, ``features`` every maxout layer's
    output (a tuple of ``[B, hidden[i]]``; the VAE-GAN's ``Dis_l(x)``).
    """
    del train
    if x.ndim != 2:
      raise ValueError(f"MaxoutDiscriminator expects an input of shape [B, D] (rank 2); got "
                       f"shape {tuple(x.shape)}.")
    features = []
    for i, width in enumerate(self.hidden):
      x = LinearMaxout(width, self.pieces, self.kernel_init, name=f"maxout_{i}")(x)
      features.append(x)
    logits = nn.Dense(1, kernel_init=self.kernel_init, name="out")(x)[:, 0]
    return (logits, tuple(features)) if return_features else logits
