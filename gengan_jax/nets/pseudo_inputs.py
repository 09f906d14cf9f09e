"""The VampPrior's pseudo-inputs: ``K`` learned points of the data space.

Tomczak & Welling, "VAE with a VampPrior" (AISTATS 2018), Sec. 3.2: the
prior is the encoder's posterior mixed over ``K`` pseudo-inputs ``u_k``,
which are parameters learned with the rest. Their code
(``jmtomczak/vae_vampprior``, ``models/Model.py``) makes them a linear layer
without bias applied to the ``K x K`` identity, followed by
``hardtanh(0, 1)`` (the pixel range), its weights initialised from
``N(pseudoinputs_mean, pseudoinputs_std)``; ``experiment.py`` sets
``K = 500`` and the standard deviation 0.01. Row ``k`` of the identity picks
row ``k`` of the weights, so here the input is the index ``k`` and the
output is row ``k`` of a ``[K, *data_shape]`` parameter, clipped to the
data's range (``jnp.clip``: hardtanh's value and gradient, zero outside).
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


class PseudoInputs(nn.Module):
  """``index [B] (int) -> u_index [B, *data_shape]``: learned points, clipped.

  Attributes:
    num: ``K``, the number of pseudo-inputs.
    data_shape: the shape of one data point.
    init_mean, init_std: the parameters start from ``N(init_mean,
      init_std^2)``, elementwise.
    value_range: ``(low, high)`` to clip to (the data's range), or ``None``
      for real-valued data without a range.
  """

  num: int
  data_shape: Sequence[int]
  init_mean: float = 0.0
  init_std: float = 0.01
  value_range: tuple[float, float] | None = (-1.0, 1.0)

  def __post_init__(self):
    if not isinstance(self.data_shape, tuple):
      object.__setattr__(self, "data_shape", tuple(self.data_shape))
    super().__post_init__()

  @nn.compact
  def __call__(self, index: jax.Array, *, train: bool = False) -> jax.Array:
    """The pseudo-inputs ``u_index``.

    Args:
      index: ``[B]`` integers in ``[0, num)``; ``jnp.arange(num)`` gives all.
      train: ignored (no batch norm); present for a uniform signature.

    Returns:
      ``[B, *data_shape]``.
    """
    del train
    weights = self.param(
        "pseudo_inputs",
        lambda key, shape: self.init_mean + self.init_std * jax.random.normal(key, shape),
        (self.num, *self.data_shape))
    u = jnp.take(weights, jnp.asarray(index), axis=0)
    if self.value_range is None:
      return u
    return jnp.clip(u, *self.value_range)
