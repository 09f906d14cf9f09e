"""Multi-layer perceptrons: the toy 2-D generator, discriminator and encoder.

Every module here is a Flax Linen module configured by its dataclass fields,
with the shared signature ``__call__(self, x, *, train: bool)``. None of them
uses batch norm, so ``train`` is accepted and ignored; it is there so that
algorithms can treat every network alike.

The kernels use Flax's default LeCun-normal initialiser rather than DCGAN's
N(0, 0.02): with a 2-D input and several 128-unit layers, N(0, 0.02) shrinks
the initial outputs to ~1e-4, which slows the toy problems for no benefit.
Pass ``kernel_init`` to change it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

Initializer = Callable[..., Any]


def _leaky_relu_02(x: jax.Array) -> jax.Array:
  return nn.leaky_relu(x, negative_slope=0.2)


_ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "relu": nn.relu,
    "leaky_relu": _leaky_relu_02,  # slope 0.2, as in DCGAN discriminators.
    "elu": nn.elu,
    "tanh": jnp.tanh,
    "softplus": nn.softplus,
}


def _activation(name: str, arg: str) -> Callable[[jax.Array], jax.Array]:
  """Looks up an activation by name; raises ValueError naming valid ones."""
  try:
    return _ACTIVATIONS[name]
  except (KeyError, TypeError):
    raise ValueError(
        f"{arg}={name!r} is not a known activation; valid names are "
        f"{sorted(_ACTIVATIONS)}."
    ) from None


def _check_rank2(x: jax.Array, who: str) -> None:
  if x.ndim != 2:
    raise ValueError(
        f"{who} expects an input of shape [B, D] (rank 2); got shape "
        f"{tuple(x.shape)}."
    )


def _as_tuple(module: nn.Module, field: str) -> None:
  """Normalises a sequence-valued dataclass field to a (hashable) tuple."""
  value = getattr(module, field)
  if not isinstance(value, tuple):
    object.__setattr__(module, field, tuple(value))


class MLP(nn.Module):
  """A fully connected network: ``Dense -> act`` per hidden layer, then Dense.

  Attributes:
    hidden: widths of the hidden layers (may be empty: a linear map).
    out_dim: width of the output layer.
    activation: hidden activation, one of ``'relu'``, ``'leaky_relu'``
      (slope 0.2), ``'elu'``, ``'tanh'``, ``'softplus'``.
    output_activation: activation applied to the output (same names), or
      ``None`` for a linear output (logits, means, codes).
    squeeze: if true (only allowed with ``out_dim == 1``), return ``[B]``
      instead of ``[B, 1]``.
    kernel_init: initialiser of the Dense kernels (biases start at zero).
  """

  hidden: Sequence[int]
  out_dim: int
  activation: str = "relu"
  output_activation: str | None = None
  squeeze: bool = False
  kernel_init: Initializer = nn.initializers.lecun_normal()

  def __post_init__(self):
    _as_tuple(self, "hidden")
    _activation(self.activation, "activation")
    if self.output_activation is not None:
      _activation(self.output_activation, "output_activation")
    if self.squeeze and self.out_dim != 1:
      raise ValueError(
          f"squeeze=True needs out_dim == 1; got out_dim={self.out_dim}."
      )
    super().__post_init__()

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool, return_hidden: bool = False
               ) -> jax.Array | tuple[jax.Array, tuple[jax.Array, ...]]:
    """Applies the network.

    Args:
      x: inputs, ``[B, D]``.
      train: ignored (no batch norm); present for a uniform signature.
      return_hidden: also return every hidden layer's activations.

    Returns:
      ``[B, out_dim]``, or ``[B]`` when ``squeeze`` is set; with
      ``return_hidden``, ``(output, (h_1, ..., h_L))``, ``h_i`` ``[B, hidden[i]]``.
    """
    del train  # No batch norm or dropout.
    _check_rank2(x, type(self).__name__)
    act = _activation(self.activation, "activation")
    hidden = []
    for i, width in enumerate(self.hidden):
      x = nn.Dense(width, kernel_init=self.kernel_init, name=f"hidden_{i}")(x)
      x = act(x)
      hidden.append(x)
    x = nn.Dense(self.out_dim, kernel_init=self.kernel_init, name="out")(x)
    if self.output_activation is not None:
      x = _activation(self.output_activation, "output_activation")(x)
    if self.squeeze:
      x = jnp.squeeze(x, axis=-1)
    return (x, tuple(hidden)) if return_hidden else x


class MLPGenerator(nn.Module):
  """Toy generator ``z [B, K] -> x [B, data_dim]``: ReLU MLP, linear output.

  The usual network for 2-D mixtures of Gaussians (e.g. the ring/grid
  experiments of Metz et al. 2017 "Unrolled GANs"; Srivastava et al. 2017
  "VEEGAN").

  Attributes:
    data_dim: dimension of the generated data.
    hidden: widths of the ReLU hidden layers.
    kernel_init: initialiser of the Dense kernels.
  """

  data_dim: int = 2
  hidden: Sequence[int] = (128, 128, 128)
  kernel_init: Initializer = nn.initializers.lecun_normal()

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    """Maps latent codes ``z`` of shape ``[B, K]`` to samples ``[B, data_dim]``.

    ``train`` is ignored (no batch norm).
    """
    return MLP(tuple(self.hidden), self.data_dim, activation="relu",
               kernel_init=self.kernel_init, name="mlp")(z, train=train)


class MLPDiscriminator(nn.Module):
  """Toy discriminator ``x [B, D] -> logits [B]``: ReLU MLP, linear output.

  Returns logits (not probabilities); losses in :mod:`gengan_jax.losses` work
  on logits. Without batch norm each output depends only on its own example,
  so it is also a valid WGAN-GP critic (Gulrajani et al. 2017).

  Attributes:
    hidden: widths of the ReLU hidden layers.
    kernel_init: initialiser of the Dense kernels.
  """

  hidden: Sequence[int] = (128, 128, 128)
  kernel_init: Initializer = nn.initializers.lecun_normal()

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool, return_features: bool = False
               ) -> jax.Array | tuple[jax.Array, tuple[jax.Array, ...]]:
    """Maps ``x`` of shape ``[B, D]`` to logits ``[B]``.

    ``train`` is ignored (no batch norm). With ``return_features`` it returns
    ``(logits, features)``, ``features`` every hidden layer's ReLU output
    (a tuple of ``[B, hidden[i]]``; the VAE-GAN's ``Dis_l(x)``).
    """
    return MLP(tuple(self.hidden), 1, activation="relu", squeeze=True,
               kernel_init=self.kernel_init, name="mlp")(x, train=train,
                                                         return_hidden=return_features)


class MLPEncoder(nn.Module):
  """Toy encoder ``x [B, D] -> codes [B, latent_dim]``: ReLU MLP, linear out.

  There is no output activation: for a Gaussian encoder ask for
  ``latent_dim = 2 * K`` and split the output into mean and log-variance.

  Attributes:
    latent_dim: width of the output.
    hidden: widths of the ReLU hidden layers.
    kernel_init: initialiser of the Dense kernels.
  """

  latent_dim: int
  hidden: Sequence[int] = (128, 128, 128)
  kernel_init: Initializer = nn.initializers.lecun_normal()

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    """Maps ``x`` of shape ``[B, D]`` to ``[B, latent_dim]``.

    ``train`` is ignored (no batch norm).
    """
    return MLP(tuple(self.hidden), self.latent_dim, activation="relu",
               kernel_init=self.kernel_init, name="mlp")(x, train=train)
