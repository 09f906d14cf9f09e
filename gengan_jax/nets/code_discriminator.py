"""The alpha-GAN code discriminator.

Rosca et al. (2017), "Variational Approaches for Auto-Encoding Generative
Adversarial Networks", appendix: the code discriminator that tells encoded
codes ``q(z|x)`` from prior samples ``p(z)`` is an MLP with 3 hidden layers of
750 units, leaky ReLU activations and no batch norm, giving one logit per
code.
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

_KERNEL_INIT = nn.initializers.normal(0.02)


class CodeDiscriminator(nn.Module):
  """Code discriminator ``codes [B, K] -> logits [B]`` (alpha-GAN).

  ``Dense -> leaky ReLU`` for each hidden layer, then ``Dense(1)``; no batch
  norm, so each logit depends only on its own code (and ``train`` is
  ignored). Kernels start from N(0, 0.02), biases from zero.

  Attributes:
    hidden: widths of the hidden layers; (750, 750, 750) as in Rosca et al.
      (2017).
    negative_slope: slope of the leaky ReLU for negative inputs.
  """

  hidden: Sequence[int] = (750, 750, 750)
  negative_slope: float = 0.2

  def __post_init__(self):
    if not isinstance(self.hidden, tuple):
      object.__setattr__(self, "hidden", tuple(self.hidden))
    super().__post_init__()

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    """Scores codes.

    Args:
      z: codes, ``[B, K]``.
      train: ignored (no batch norm); present for a uniform signature.

    Returns:
      Logits ``[B]``.
    """
    del train  # No batch norm.
    if z.ndim != 2:
      raise ValueError(
          f"CodeDiscriminator expects codes of shape [B, K]; got shape "
          f"{tuple(z.shape)}."
      )
    x = z
    for i, width in enumerate(self.hidden):
      x = nn.Dense(width, kernel_init=_KERNEL_INIT, name=f"hidden_{i}")(x)
      x = nn.leaky_relu(x, negative_slope=self.negative_slope)
    x = nn.Dense(1, kernel_init=_KERNEL_INIT, name="out")(x)
    return jnp.squeeze(x, axis=-1)
