"""Auto-encoder discriminators (EBGAN, BEGAN): ``x -> Dec(Enc(x))``.

An auto-encoder discriminator scores an example by its reconstruction error
(:mod:`gengan_jax.losses.energy`); the network itself only reconstructs.
Both modules return the reconstruction, shaped like the input, and with
``return_code=True`` the pair ``(reconstruction, code)``: EBGAN's
pulling-away term is taken on the encoder's codes.

==================  =========================================================
module              encoder -> decoder
==================  =========================================================
MLPAutoEncoder      :class:`~gengan_jax.nets.mlp.MLPEncoder` (ReLU MLP) ->
                    :class:`~gengan_jax.nets.mlp.MLPGenerator` on the
                    reversed widths, linear output (toy vector data)
DCGANAutoEncoder    :class:`~gengan_jax.nets.dcgan.DCGANEncoder` ->
                    :class:`~gengan_jax.nets.dcgan.DCGANGenerator` (the
                    generator as decoder, ``output_activation`` chosen);
                    with ``use_batch_norm=False`` the same layers without
                    batch norm (BEGAN's discriminator has none)
==================  =========================================================

Every module has the signature ``__call__(self, x, *, train, return_code=False)``;
``train`` selects batch statistics or running averages where there is
batch norm (see :mod:`gengan_jax.nets.dcgan`) and is ignored otherwise.

References:
  Zhao, Mathieu & LeCun, "Energy-based Generative Adversarial Networks",
  ICLR 2017, Sec. 2.3 (the auto-encoder discriminator).
  Berthelot, Schumm & Metz, "BEGAN: Boundary Equilibrium Generative
  Adversarial Networks", arXiv:1703.10717, 2017, Sec. 3.5 (its
  encoder-decoder, embedding ``h`` of size ``N_h``).
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from gengan_jax.nets import dcgan
from gengan_jax.nets import mlp
from gengan_jax.nets.strided_conv import ConvTranspose4x4

_OUTPUT_ACTIVATIONS = ("tanh", None)


def _output(reconstruction: jax.Array, code: jax.Array, return_code: bool):
  return (reconstruction, code) if return_code else reconstruction


class MLPAutoEncoder(nn.Module):
  """Toy auto-encoder ``x [B, D] -> reconstruction [B, D]`` (no batch norm).

  The encoder is an :class:`MLPEncoder` with widths ``hidden`` and a linear
  ``code_dim``-wide output; the decoder an :class:`MLPGenerator` with the
  widths reversed and a linear output.

  Attributes:
    data_dim: ``D``.
    code_dim: width of the code (the bottleneck).
    hidden: hidden widths of the encoder (the decoder's, reversed).
  """

  data_dim: int
  code_dim: int
  hidden: Sequence[int] = (128, 128, 128)

  def __post_init__(self):
    if not isinstance(self.hidden, tuple):
      object.__setattr__(self, "hidden", tuple(self.hidden))
    for name in ("data_dim", "code_dim"):
      if getattr(self, name) < 1:
        raise ValueError(f"MLPAutoEncoder {name}={getattr(self, name)!r} must be a positive "
                         "integer.")
    super().__post_init__()

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool, return_code: bool = False):
    """Reconstructs ``x`` of shape ``[B, data_dim]``.

    Returns:
      The reconstruction ``[B, data_dim]``, or ``(reconstruction, code
      [B, code_dim])`` with ``return_code``.
    """
    if x.ndim != 2 or x.shape[1] != self.data_dim:
      raise ValueError(f"MLPAutoEncoder was built for data_dim={self.data_dim}, so it expects "
                       f"inputs of shape [B, {self.data_dim}]; got shape {tuple(x.shape)}.")
    code = mlp.MLPEncoder(self.code_dim, self.hidden, name="encoder")(x, train=train)
    reconstruction = mlp.MLPGenerator(self.data_dim, self.hidden[::-1],
                                      name="decoder")(code, train=train)
    return _output(reconstruction, code, return_code)


class _PlainConvEncoder(nn.Module):
  """The DCGAN encoder's layers without batch norm (private)."""

  image_shape: tuple[int, int, int]
  code_dim: int
  base_features: int

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    x = dcgan._conv_stack(x, self.image_shape, self.base_features,  # pylint: disable=protected-access
                          use_batch_norm=False, train=False)
    x = x.reshape(x.shape[0], -1)
    return nn.Dense(self.code_dim, kernel_init=dcgan._KERNEL_INIT,  # pylint: disable=protected-access
                    name="out")(x)


class _PlainDeconvDecoder(nn.Module):
  """The DCGAN generator's layers without batch norm (private)."""

  image_shape: tuple[int, int, int]
  base_features: int
  output_activation: str | None

  @nn.compact
  def __call__(self, h: jax.Array) -> jax.Array:
    size, _, channels = self.image_shape
    multipliers = dcgan._MULTIPLIERS[size]  # pylint: disable=protected-access
    start = size // 2 ** len(multipliers)
    features = [m * self.base_features for m in multipliers]
    init = dcgan._KERNEL_INIT  # pylint: disable=protected-access
    x = nn.Dense(start * start * features[0], kernel_init=init, name="project")(h)
    x = nn.relu(x.reshape(h.shape[0], start, start, features[0]))
    for i, f in enumerate(features[1:], start=1):
      x = nn.relu(ConvTranspose4x4(f, kernel_init=init, name=f"deconv_{i}")(x))
    x = ConvTranspose4x4(channels, kernel_init=init, name="out")(x)
    return jnp.tanh(x) if self.output_activation == "tanh" else x


class DCGANAutoEncoder(nn.Module):
  """DCGAN-style auto-encoder ``images [B, H, W, C] -> reconstructions``.

  With batch norm (the default, EBGAN's DCGAN-style discriminator) it is a
  :class:`DCGANEncoder` to a ``code_dim``-wide code followed by a
  :class:`DCGANGenerator` decoding that code. Without (``use_batch_norm=
  False``, as BEGAN's discriminator) the same layer sizes with no batch norm:
  4x4 stride-2 convolutions with leaky ReLU (0.2), a dense code, a dense
  projection and 4x4 stride-2 transposed convolutions with ReLU. The
  reconstruction is linear (``output_activation=None``) or in (-1, 1)
  (``'tanh'``).

  Attributes:
    image_shape: ``(H, W, C)`` with ``H == W`` in {28, 32, 64}.
    code_dim: width of the code ``h`` (``N_h`` in BEGAN; 64 in the paper).
    base_features: ``b``, the width of the first conv layer.
    use_batch_norm: batch norm in encoder and decoder.
    output_activation: ``None`` (linear) or ``'tanh'``.
  """

  image_shape: tuple[int, int, int]
  code_dim: int
  base_features: int = 64
  use_batch_norm: bool = True
  output_activation: str | None = None

  def __post_init__(self):
    dcgan._normalise_image_shape(self)  # pylint: disable=protected-access
    if self.code_dim < 1:
      raise ValueError(f"DCGANAutoEncoder code_dim={self.code_dim!r} must be a positive "
                       "integer.")
    if self.output_activation not in _OUTPUT_ACTIVATIONS:
      raise ValueError(f"DCGANAutoEncoder output_activation={self.output_activation!r} is "
                       "invalid: valid choices are 'tanh' and None (linear).")
    super().__post_init__()

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool, return_code: bool = False):
    """Reconstructs images.

    Args:
      x: images, ``[B, H, W, C]`` matching ``image_shape``.
      train: batch statistics (``True``, with ``mutable=["batch_stats"]``)
        or running averages (``False``); ignored without batch norm.
      return_code: also return the code.

    Returns:
      The reconstruction ``[B, H, W, C]``, or ``(reconstruction, code
      [B, code_dim])`` with ``return_code``.
    """
    dcgan._check_input(x, self.image_shape, "DCGANAutoEncoder")  # pylint: disable=protected-access
    if self.use_batch_norm:
      code = dcgan.DCGANEncoder(self.image_shape, self.code_dim, self.base_features,
                                name="encoder")(x, train=train)
      reconstruction = dcgan.DCGANGenerator(
          self.image_shape, self.base_features, output_activation=self.output_activation,
          name="decoder")(code, train=train)
    else:
      code = _PlainConvEncoder(self.image_shape, self.code_dim, self.base_features,
                               name="encoder")(x)
      reconstruction = _PlainDeconvDecoder(self.image_shape, self.base_features,
                                           self.output_activation, name="decoder")(code)
    return _output(reconstruction, code, return_code)
