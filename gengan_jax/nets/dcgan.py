"""DCGAN-style convolutional generator, discriminator and encoder.

The architecture follows Radford et al. (2016), "Unsupervised Representation
Learning with Deep Convolutional Generative Adversarial Networks": strided
(transposed) 4x4 convolutions instead of pooling, batch norm in both networks
(except the generator's output layer and the discriminator's input layer),
ReLU in the generator with a tanh output, leaky ReLU (slope 0.2) in the
discriminator, and N(0, 0.02) initial weights.

Supported images are square, ``H = W`` in {28, 32, 64}, with any number of
channels:

============  ==========================================================
size          generator (discriminator/encoder run it backwards)
============  ==========================================================
28 (MNIST)    dense -> 7x7x2b -> 14x14xb -> 28x28xC
32 (CIFAR)    dense -> 4x4x4b -> 8x8x2b -> 16x16xb -> 32x32xC
64 (CelebA)   dense -> 4x4x8b -> 8x8x4b -> 16x16x2b -> 32x32xb -> 64x64xC
============  ==========================================================

where ``b = base_features``. Every module has the signature
``__call__(self, x, *, train: bool)``; ``train`` selects batch statistics
(``True``; call ``apply`` with ``mutable=["batch_stats"]``) or the running
averages (``False``).
"""

from __future__ import annotations

from collections.abc import Sequence

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from flax.linen import dtypes as flax_dtypes

SUPPORTED_SIZES: tuple[int, ...] = (28, 32, 64)

# Feature multipliers of base_features, from the smallest spatial size
# (the generator's first layer, the discriminator's last) to the largest.
_MULTIPLIERS: dict[int, tuple[int, ...]] = {
    28: (2, 1),
    32: (4, 2, 1),
    64: (8, 4, 2, 1),
}
_KERNEL_INIT = nn.initializers.normal(0.02)


def check_image_shape(image_shape: Sequence[int],
                      who: str) -> tuple[int, int, int]:
  """Validates an ``(H, W, C)`` image shape for the DCGAN nets.

  Args:
    image_shape: the shape to check.
    who: the caller's name, used in the error message.

  Returns:
    ``image_shape`` as a tuple of three ints.

  Raises:
    ValueError: unless ``image_shape`` is ``(H, W, C)`` with ``H == W`` in
      {28, 32, 64} and ``C >= 1``.
  """
  try:
    shape = tuple(int(d) for d in image_shape)
  except TypeError:
    shape = None
  if (shape is None or len(shape) != 3 or shape[0] != shape[1]
      or shape[0] not in SUPPORTED_SIZES or shape[2] < 1):
    raise ValueError(
        f"{who}: image_shape={image_shape!r} is not supported; expected "
        f"(H, W, C) with H == W in {SUPPORTED_SIZES} and any channel count "
        "C >= 1, e.g. (28, 28, 1), (32, 32, 3) or (64, 64, 3)."
    )
  return shape


def _check_input(x: jax.Array, image_shape: tuple[int, int, int],
                 who: str) -> None:
  if x.ndim != 4 or tuple(x.shape[1:]) != tuple(image_shape):
    raise ValueError(
        f"{who} was built for image_shape={tuple(image_shape)}, so it expects "
        f"inputs of shape [B, {', '.join(map(str, image_shape))}]; got shape "
        f"{tuple(x.shape)}."
    )


def _normalise_image_shape(module: nn.Module) -> None:
  shape = check_image_shape(module.image_shape, type(module).__name__)
  object.__setattr__(module, "image_shape", shape)


def _batch_norm(train: bool, name: str) -> nn.BatchNorm:
  return nn.BatchNorm(use_running_average=not train, momentum=0.9,
                      epsilon=1e-5, name=name)


# ---------------------------------------------------------------------------
# 4x4 stride-2 convolutions as matrix multiplies.
#
# XLA's CPU backend runs a convolution fast only in a few canonical forms. The
# kernel gradient of a transposed (input-dilated) convolution, and the second
# derivatives of a strided convolution that a gradient penalty needs, fall
# outside them and run as naive loops: 100x slower than the same arithmetic
# as a matrix multiply (issue 6). The functions below compute exactly the same
# convolutions (Radford et al.'s 4x4 kernels, stride 2, 'SAME' padding) with
# padding, reshapes, slices and one matrix multiply, whose derivatives of every
# order are again pads, reshapes, slices and matrix multiplies.
# ---------------------------------------------------------------------------


def _space_to_depth(x: jax.Array) -> jax.Array:
  """``[B, 2M, 2N, C] -> [B, M, N, 4C]``, channels ordered ``(p, q, c)``.

  ``out[b, m, n, (p, q, c)] = x[b, 2m + p, 2n + q, c]``.
  """
  b, h, w, c = x.shape
  x = x.reshape(b, h // 2, 2, w // 2, 2, c)
  return x.transpose(0, 1, 3, 2, 4, 5).reshape(b, h // 2, w // 2, 4 * c)


def _windows_2x2(x: jax.Array) -> jax.Array:
  """``[B, M, N, C] -> [B, M-1, N-1, 4C]``: every 2x2 window, flattened.

  ``out[b, i, j, (a, b', c)] = x[b, i + a, j + b', c]`` for ``a, b' in {0, 1}``
  (im2col of a 2x2 stride-1 'VALID' convolution).
  """
  _, h, w, _ = x.shape
  return jnp.concatenate(
      [x[:, a:a + h - 1, b:b + w - 1] for a in (0, 1) for b in (0, 1)],
      axis=-1)


def _check_conv_args(x: jax.Array, kernel: jax.Array, who: str) -> None:
  if x.ndim != 4:
    raise ValueError(f"{who}: x must be [B, H, W, C_in] (NHWC); got shape "
                     f"{tuple(x.shape)}.")
  if kernel.ndim != 4 or kernel.shape[:2] != (4, 4) or (
      kernel.shape[2] != x.shape[3]):
    raise ValueError(
        f"{who}: kernel must be [4, 4, C_in, C_out] (HWIO) with C_in = "
        f"{x.shape[3]} (the channels of x); got shape {tuple(kernel.shape)}.")


def conv_4x4_stride2(x: jax.Array, kernel: jax.Array) -> jax.Array:
  r"""A 4x4 convolution with stride 2 and 'SAME' padding, as one matmul.

  Computes exactly ``lax.conv_general_dilated(x, kernel, (2, 2), 'SAME',
  dimension_numbers=('NHWC', 'HWIO', 'NHWC'))``, i.e. ``flax.linen.Conv(...,
  (4, 4), strides=(2, 2), padding='SAME')`` without its bias. With the input
  zero-padded by one pixel at the top/left (``\tilde x``) and writing each
  kernel offset as ``k = 2a + p`` with ``a, p \in \{0, 1\}``:

  .. math::

    y_{o_1 o_2} = \sum_{k_1, k_2 = 0}^{3} \tilde x_{2 o_1 + k_1,\, 2 o_2 + k_2}
                  W_{k_1 k_2}
                = \sum_{a, b \in \{0,1\}} X_{o_1 + a,\, o_2 + b}
                  \, \bar W_{a b},
    \qquad X_{m n} = (\tilde x_{2m+p,\, 2n+q})_{p, q},

  a 2x2 stride-1 convolution of the space-to-depth image ``X`` (``4 C_in``
  channels) with the rearranged kernel ``\bar W_{ab} = (W_{2a+p, 2b+q})_{p,q}``.
  It is evaluated as im2col (four shifted slices of ``X``) times a
  ``[16 C_in, C_out]`` matrix: the same multiply-adds as the direct
  convolution, and every derivative (including the input-gradient and the
  double backward of a gradient penalty) is again slices and matmuls.

  Args:
    x: images ``[B, H, W, C_in]`` (NHWC), any ``H, W >= 1``.
    kernel: ``[4, 4, C_in, C_out]`` (HWIO, Flax's ``Conv`` layout).

  Returns:
    ``[B, ceil(H / 2), ceil(W / 2), C_out]``.

  Raises:
    ValueError: if ``x`` is not rank 4 or ``kernel`` is not
      ``[4, 4, C_in, C_out]``.

  References:
    Radford et al., "Unsupervised representation learning with deep
    convolutional GANs", ICLR 2016 (the 4x4 stride-2 layers); Dumoulin &
    Visin, "A guide to convolution arithmetic for deep learning",
    arXiv:1603.07285, Sec. 2 (output sizes and 'SAME' padding).
  """
  _check_conv_args(x, kernel, "conv_4x4_stride2")
  _, h, w, c = x.shape
  oh, ow = -(-h // 2), -(-w // 2)
  # 'SAME' pads 2*o + 2 - n in total, one pixel of it before the image.
  x = jnp.pad(x, ((0, 0), (1, 2 * oh + 1 - h), (1, 2 * ow + 1 - w), (0, 0)))
  patches = _windows_2x2(_space_to_depth(x))  # [B, oh, ow, (a, b, p, q, c)]
  w_mat = kernel.reshape(2, 2, 2, 2, c, -1).transpose(0, 2, 1, 3, 4, 5)
  return patches @ w_mat.reshape(16 * c, -1)


def conv_transpose_4x4_stride2(x: jax.Array, kernel: jax.Array) -> jax.Array:
  r"""A 4x4 transposed convolution with stride 2, 'SAME', as one matmul.

  Computes exactly ``lax.conv_transpose(x, kernel, (2, 2), 'SAME',
  dimension_numbers=('NHWC', 'HWIO', 'NHWC'))``, i.e.
  ``flax.linen.ConvTranspose(..., (4, 4), strides=(2, 2), padding='SAME')``
  without its bias: the input dilated by 2, padded by 2 and correlated with
  the (unflipped) kernel. Only the kernel taps ``k \equiv p \pmod 2`` meet
  non-zero input at output row ``2i + p``, so with ``x`` zero-padded by one
  pixel on each side (``\tilde x``) and ``k = 2a + p``:

  .. math::

    y_{2i+p,\; 2j+q} = \sum_{a, b \in \{0,1\}} \tilde x_{i+p+a,\; j+q+b}
                       \, W_{2a+p,\; 2b+q}
                     = Z_{i+p,\; j+q,\; p,\; q},
    \qquad Z_{mn pq} = \sum_{a,b} \tilde x_{m+a,\, n+b} W_{2a+p,\, 2b+q},

  the sub-pixel form (Shi et al. 2016): one 2x2 stride-1 convolution with
  ``4 C_out`` outputs (one per phase ``(p, q)``), evaluated as im2col times a
  ``[4 C_in, 4 C_out]`` matrix, then interleaved (depth-to-space). It does
  ``((H+1)(W+1)) / (HW)`` times the direct convolution's multiply-adds
  (1.3x at 7x7), and its derivatives are slices and matmuls, where XLA's CPU
  kernel gradient of the dilated convolution is a slow generic loop.

  Args:
    x: feature maps ``[B, H, W, C_in]`` (NHWC).
    kernel: ``[4, 4, C_in, C_out]`` (HWIO, Flax's ``ConvTranspose`` layout
      with ``transpose_kernel=False``).

  Returns:
    ``[B, 2H, 2W, C_out]``.

  Raises:
    ValueError: if ``x`` is not rank 4 or ``kernel`` is not
      ``[4, 4, C_in, C_out]``.

  References:
    Shi et al., "Real-time single image and video super-resolution using an
    efficient sub-pixel convolutional neural network", CVPR 2016, Sec. 2.2;
    Dumoulin & Visin, arXiv:1603.07285, Sec. 4 (transposed convolution).
  """
  _check_conv_args(x, kernel, "conv_transpose_4x4_stride2")
  b, h, w, c = x.shape
  x = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
  patches = _windows_2x2(x)  # [B, H+1, W+1, (a, b, c)]
  w_mat = kernel.reshape(2, 2, 2, 2, c, -1).transpose(0, 2, 4, 1, 3, 5)
  z = patches @ w_mat.reshape(4 * c, -1)  # [B, H+1, W+1, (p, q, o)]
  z = z.reshape(b, h + 1, w + 1, 2, 2, -1)
  rows = [jnp.stack([z[:, p:p + h, q:q + w, p, q] for q in (0, 1)], axis=3)
          for p in (0, 1)]  # each [B, H, W, 2 (q), C_out]
  return jnp.stack(rows, axis=2).reshape(b, 2 * h, 2 * w, -1)


class _Strided4x4(nn.Module):
  """Shared fields and parameters of :class:`Conv4x4` / :class:`ConvTranspose4x4`."""

  features: int
  use_bias: bool = True
  dtype: Any = None
  param_dtype: Any = jnp.float32
  kernel_init: Any = nn.initializers.lecun_normal()
  bias_init: Any = nn.initializers.zeros_init()

  def _apply(self, fn, x: jax.Array) -> jax.Array:
    if x.ndim != 4:
      raise ValueError(f"{type(self).__name__} expects NHWC inputs "
                       f"[B, H, W, C]; got shape {tuple(x.shape)}.")
    kernel = self.param("kernel", self.kernel_init,
                        (4, 4, x.shape[-1], self.features), self.param_dtype)
    bias = (self.param("bias", self.bias_init, (self.features,),
                       self.param_dtype) if self.use_bias else None)
    x, kernel, bias = flax_dtypes.promote_dtype(x, kernel, bias,
                                                dtype=self.dtype)
    y = fn(x, kernel)
    return y + bias if bias is not None else y


class Conv4x4(_Strided4x4):
  """Drop-in ``nn.Conv(features, (4, 4), strides=(2, 2), padding='SAME')``.

  The same parameters (``kernel [4, 4, C_in, features]``, ``bias
  [features]``, same names, shapes and initialisers) and the same function,
  computed by :func:`conv_4x4_stride2` (a matmul; fast derivatives of every
  order on CPU).

  Attributes:
    features: output channels.
    use_bias: add a learned bias.
    dtype: computation dtype (``None``: promote inputs and parameters).
    param_dtype: parameter dtype.
    kernel_init, bias_init: initialisers.
  """

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    """``[B, H, W, C_in] -> [B, ceil(H/2), ceil(W/2), features]``."""
    return self._apply(conv_4x4_stride2, x)


class ConvTranspose4x4(_Strided4x4):
  """Drop-in ``nn.ConvTranspose(features, (4, 4), strides=(2, 2), padding='SAME')``.

  The same parameters and function, computed by
  :func:`conv_transpose_4x4_stride2` (sub-pixel matmul; fast kernel gradient
  on CPU).

  Attributes:
    features: output channels.
    use_bias: add a learned bias.
    dtype: computation dtype (``None``: promote inputs and parameters).
    param_dtype: parameter dtype.
    kernel_init, bias_init: initialisers.
  """

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    """``[B, H, W, C_in] -> [B, 2H, 2W, features]``."""
    return self._apply(conv_transpose_4x4_stride2, x)


def _conv_stack(x: jax.Array, image_shape: tuple[int, int, int],
                base_features: int, *, use_batch_norm: bool,
                train: bool) -> jax.Array:
  """The discriminator/encoder trunk: 4x4 stride-2 convs + leaky ReLU(0.2).

  Called inside a parent's ``nn.compact`` method, so its layers belong to
  the parent. Batch norm follows every conv except the first (Radford et al.
  2016) when ``use_batch_norm``; a conv followed by BN has no bias.

  Returns:
    The last feature map, ``[B, 4, 4, 8b]`` (64), ``[B, 4, 4, 4b]`` (32) or
    ``[B, 7, 7, 2b]`` (28).
  """
  multipliers = _MULTIPLIERS[image_shape[0]][::-1]  # Small to large width.
  for i, m in enumerate(multipliers):
    bn = use_batch_norm and i > 0
    x = Conv4x4(m * base_features, use_bias=not bn,
                kernel_init=_KERNEL_INIT, name=f"conv_{i}")(x)
    if bn:
      x = _batch_norm(train, f"bn_{i}")(x)
    x = nn.leaky_relu(x, negative_slope=0.2)
  return x


class DCGANGenerator(nn.Module):
  """DCGAN generator ``z [B, K] -> images [B, H, W, C]`` in (-1, 1).

  Radford et al. (2016): a dense projection reshaped to a small feature map,
  then 4x4 stride-2 transposed convolutions halving the features while
  doubling the resolution; batch norm and ReLU after every layer except the
  output, which is a tanh. See the module docstring for the layer sizes.

  Attributes:
    image_shape: ``(H, W, C)`` with ``H == W`` in {28, 32, 64}.
    base_features: ``b``, the width of the last hidden layer (64 in the
      paper); the other layers have 2b, 4b, 8b features.
  """

  image_shape: tuple[int, int, int]
  base_features: int = 64

  def __post_init__(self):
    _normalise_image_shape(self)
    super().__post_init__()

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    """Generates images.

    Args:
      z: latent codes, ``[B, K]``.
      train: use batch statistics (``True``, with
        ``mutable=["batch_stats"]``) or running averages (``False``).

    Returns:
      Images ``[B, H, W, C]`` with values in (-1, 1).
    """
    if z.ndim != 2:
      raise ValueError(
          f"DCGANGenerator expects latent codes of shape [B, K]; got shape "
          f"{tuple(z.shape)}."
      )
    size, _, channels = self.image_shape
    multipliers = _MULTIPLIERS[size]
    start = size // 2 ** len(multipliers)  # 7 for 28; 4 for 32 and 64.
    features = [m * self.base_features for m in multipliers]

    x = nn.Dense(start * start * features[0], use_bias=False,
                 kernel_init=_KERNEL_INIT, name="project")(z)
    x = x.reshape(z.shape[0], start, start, features[0])
    x = nn.relu(_batch_norm(train, "bn_0")(x))
    for i, f in enumerate(features[1:], start=1):
      x = ConvTranspose4x4(f, use_bias=False, kernel_init=_KERNEL_INIT,
                           name=f"deconv_{i}")(x)
      x = nn.relu(_batch_norm(train, f"bn_{i}")(x))
    x = ConvTranspose4x4(channels, kernel_init=_KERNEL_INIT, name="out")(x)
    return jnp.tanh(x)


class DCGANDiscriminator(nn.Module):
  """DCGAN discriminator ``images [B, H, W, C] -> logits [B]``.

  Radford et al. (2016): 4x4 stride-2 convolutions doubling the features
  (b, 2b, 4b, 8b) while halving the resolution, leaky ReLU (0.2), batch norm
  on every conv layer except the first; then flatten and a dense layer to one
  logit per example (equivalent to a final 'valid' conv covering the whole
  last feature map).

  With ``use_batch_norm=False`` the network is a WGAN-GP critic (Gulrajani et
  al. 2017, "Improved Training of Wasserstein GANs", Sec. 4): the gradient
  penalty is taken per example, and batch norm would make each score depend
  on the rest of the batch, so critics must not use it. The BN-free network
  has no ``batch_stats`` collection.

  Attributes:
    image_shape: ``(H, W, C)`` with ``H == W`` in {28, 32, 64}.
    base_features: ``b``, the width of the first conv layer (64 in the paper).
    use_batch_norm: batch norm after conv layers 2, 3, ... (``False`` for
      WGAN-GP critics and other per-example penalties).
  """

  image_shape: tuple[int, int, int]
  base_features: int = 64
  use_batch_norm: bool = True

  def __post_init__(self):
    _normalise_image_shape(self)
    super().__post_init__()

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    """Scores images.

    Args:
      x: images, ``[B, H, W, C]`` matching ``image_shape``.
      train: use batch statistics (``True``, with
        ``mutable=["batch_stats"]``) or running averages (``False``);
        ignored when ``use_batch_norm`` is false.

    Returns:
      Logits (or critic scores), ``[B]``.
    """
    _check_input(x, self.image_shape, "DCGANDiscriminator")
    x = _conv_stack(x, self.image_shape, self.base_features,
                    use_batch_norm=self.use_batch_norm, train=train)
    x = x.reshape(x.shape[0], -1)
    x = nn.Dense(1, kernel_init=_KERNEL_INIT, name="out")(x)
    return jnp.squeeze(x, axis=-1)


class DCGANEncoder(nn.Module):
  """DCGAN-style encoder ``images [B, H, W, C] -> codes [B, latent_dim]``.

  "The generator transposed", as used for the encoders of alpha-GAN (Rosca et
  al. 2017, appendix): the discriminator's conv stack (4x4
  stride-2 convs, leaky ReLU 0.2, batch norm on every layer except the first;
  Radford et al. 2016) followed by a dense layer with no output activation.
  For a Gaussian encoder ask for ``latent_dim = 2 * K`` and split the output
  into mean and log-variance.

  Attributes:
    image_shape: ``(H, W, C)`` with ``H == W`` in {28, 32, 64}.
    latent_dim: width of the output.
    base_features: ``b``, the width of the first conv layer.
  """

  image_shape: tuple[int, int, int]
  latent_dim: int
  base_features: int = 64

  def __post_init__(self):
    _normalise_image_shape(self)
    super().__post_init__()

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    """Encodes images.

    Args:
      x: images, ``[B, H, W, C]`` matching ``image_shape``.
      train: use batch statistics (``True``, with
        ``mutable=["batch_stats"]``) or running averages (``False``).

    Returns:
      Codes ``[B, latent_dim]`` (linear output).
    """
    _check_input(x, self.image_shape, "DCGANEncoder")
    x = _conv_stack(x, self.image_shape, self.base_features,
                    use_batch_norm=True, train=train)
    x = x.reshape(x.shape[0], -1)
    return nn.Dense(self.latent_dim, kernel_init=_KERNEL_INIT, name="out")(x)
