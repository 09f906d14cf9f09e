r"""The DCGAN-tensorflow networks (carpedm20) with TensorFlow's layer arithmetic.

PacGAN's Stacked MNIST experiments (Lin et al. 2018, Tables 2 and 3; code
``fjxmlzn/PacGAN``, ``stacked_MNIST_experiments/``) are built on Taehoon
Kim's DCGAN-tensorflow (``carpedm20/DCGAN-tensorflow``, ``model.py`` and
``ops.py``). Its layers differ from :mod:`gengan_jax.nets.dcgan`'s in ways
that change the networks' sizes, so they are written here as TensorFlow
computes them:

* every convolution is ``k x k`` (5 in DCGAN-tensorflow, 3 in the Unrolled
  GAN setting) with TensorFlow's ``'SAME'`` padding (:func:`same_conv`,
  computed as a matrix multiply): a stride-2 layer maps a
  side of ``n`` pixels to ``ceil(n / 2)``, so the generator of a 28x28 image
  starts from ``ceil(28 / 2^k)`` (2x2 after four halvings: 28, 14, 7, 4, 2);
* a transposed convolution (``tf.nn.conv2d_transpose``) is the adjoint of
  that convolution from the size it is asked for (:class:`SameConvTranspose`),
  so 4 -> 7 is possible, where a plain stride-2 transpose doubles (4 -> 8);
* every convolution and dense layer has a bias, also where batch norm
  follows (``conv2d``, ``deconv2d`` and ``linear`` of ``ops.py`` always add
  one); the initial weights are N(0, 0.02^2), truncated at two standard
  deviations for convolutions (``tf.truncated_normal_initializer``), and
  every bias is 0;
* batch norm is ``tf.contrib.layers.batch_norm`` with ``decay=0.9``,
  ``epsilon=1e-5``, a scale and an offset: Flax's ``BatchNorm`` with
  ``momentum=0.9``.

Two settings of these layers (:data:`PRESETS`), each an ``arch`` of
:mod:`gengan_jax.nets.factory`, with ``b = base_features``:

``'dcgan_tf'`` (DCGAN-tensorflow itself; PacGAN's Table 2, "VEEGAN's
setting", ``gf_dim = df_dim = 64``), at 28x28x3:

====================  ===============================================
generator             dense ``z -> 2x2x8b``, BN, ReLU; 5x5 stride-2
                      transposed convs to 4x4x4b, 7x7x2b, 14x14xb (BN,
                      ReLU each); to 28x28xC, tanh
discriminator         5x5 stride-2 convs to 14x14xb, 7x7x2b, 4x4x4b,
                      2x2x8b, leaky ReLU 0.2, BN on all but the first;
                      dense to one logit
====================  ===============================================

``'unrolled_gan'`` (the Stacked MNIST networks of Metz et al. 2017, as
PacGAN's Table 3 code writes them: ``unrolled_GAN_experiment/D=0.25G`` and
``D=0.5G/model.py``; ``b = 8`` for the generator, ``b = 2`` or ``4`` for
the discriminator):

====================  ===============================================
generator             dense ``z -> 4x4x8b``, BN, ReLU; 3x3 stride-2
                      transposed convs to 7x7x4b, 14x14x2b, 28x28xb (BN,
                      ReLU each); a 3x3 stride-1 conv to 28x28xC, tanh
discriminator         3x3 stride-2 convs to 14x14xb, 7x7x2b, 4x4x4b, BN
                      on every one, leaky ReLU 0.3; dense to one logit
====================  ===============================================

The three networks have the signature ``__call__(self, x, *, train: bool)``,
as in :mod:`gengan_jax.nets.dcgan`. The convolutions are matrix multiplies
of image patches (:func:`same_conv`; the transposed ones on the
space-to-depth image), differentiable to any order in either mode: XLA's own
CPU convolutions of these shapes (small maps, many channels, 5x5 kernels)
differentiate 10 to 60 times slower, and the Table 2 step then took seconds.

References:
  Radford, Metz & Chintala, "Unsupervised representation learning with deep
  convolutional generative adversarial networks", ICLR 2016.
  Metz, Poole, Pfau & Sohl-Dickstein, "Unrolled generative adversarial
  networks", ICLR 2017, Sec. 3.3.2 and Appendix (Stacked MNIST).
  Lin, Khetan, Fanti & Oh, "PacGAN: the power of two samples in generative
  adversarial networks", NeurIPS 2018, Sec. 5.2, Tables 2 and 3.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from gengan_jax.nets.strided_conv import space_to_depth

__all__ = [
    "PRESETS",
    "Preset",
    "SameConv",
    "SameConvTranspose",
    "TFDCGANDiscriminator",
    "TFDCGANEncoder",
    "TFDCGANGenerator",
    "check_image_shape",
    "same_conv",
    "same_padding",
    "same_sizes",
]

# ops.py: linear and deconv2d draw N(0, 0.02^2); conv2d draws it truncated at 2 sd.
_NORMAL = nn.initializers.normal(0.02)
_TRUNCATED = nn.initializers.truncated_normal(0.02)


@dataclasses.dataclass(frozen=True)
class Preset:
  """One setting of the networks' layers (an ``arch`` of the factory).

  Attributes:
    generator_multipliers: the generator's widths in units of ``b``, from
      the dense projection to the last hidden layer.
    discriminator_multipliers: the discriminator's conv widths in units of
      ``b``, first layer first.
    kernel_size: ``k`` of every ``k x k`` convolution.
    generator_output_stride: 2: the output layer is a stride-2 transposed
      convolution (DCGAN-tensorflow); 1: a stride-1 convolution after the
      last hidden layer (Metz et al.).
    batch_norm_first: batch norm on the discriminator's first layer too.
    negative_slope: the discriminator's leaky ReLU slope.
    reference: where the layers come from.
  """

  generator_multipliers: tuple[int, ...]
  discriminator_multipliers: tuple[int, ...]
  kernel_size: int
  generator_output_stride: int
  batch_norm_first: bool
  negative_slope: float
  reference: str

  def generator_fields(self) -> dict[str, Any]:
    """The fields of :class:`TFDCGANGenerator` this preset fixes."""
    return {"multipliers": self.generator_multipliers, "kernel_size": self.kernel_size,
            "output_stride": self.generator_output_stride}

  def discriminator_fields(self) -> dict[str, Any]:
    """The fields of :class:`TFDCGANDiscriminator` (and the encoder) it fixes."""
    return {"multipliers": self.discriminator_multipliers, "kernel_size": self.kernel_size,
            "batch_norm_first": self.batch_norm_first,
            "negative_slope": self.negative_slope}


PRESETS: dict[str, Preset] = {
    "dcgan_tf": Preset(
        generator_multipliers=(8, 4, 2, 1), discriminator_multipliers=(1, 2, 4, 8),
        kernel_size=5, generator_output_stride=2, batch_norm_first=False,
        negative_slope=0.2,
        reference="carpedm20/DCGAN-tensorflow model.py and ops.py; fjxmlzn/PacGAN "
                  "stacked_MNIST_experiments/VEEGAN_experiment/model.py"),
    "unrolled_gan": Preset(
        generator_multipliers=(8, 4, 2, 1), discriminator_multipliers=(1, 2, 4),
        kernel_size=3, generator_output_stride=1, batch_norm_first=True,
        negative_slope=0.3,
        reference="fjxmlzn/PacGAN stacked_MNIST_experiments/unrolled_GAN_experiment/"
                  "D=0.25G and D=0.5G/model.py (Metz et al. 2017's Stacked MNIST nets)"),
}


def same_sizes(size: int, halvings: int) -> tuple[int, ...]:
  """The sides of ``halvings`` stride-2 'SAME' layers, smallest first.

  DCGAN-tensorflow's ``conv_out_size_same`` applied again and again:
  ``same_sizes(28, 4) == (2, 4, 7, 14, 28)``.

  Args:
    size: the image's side, >= 1.
    halvings: the number of stride-2 layers, >= 0.

  Returns:
    ``halvings + 1`` sides, ``ceil(size / 2^halvings)`` first, ``size`` last.
  """
  sizes = [int(size)]
  for _ in range(halvings):
    sizes.append(-(-sizes[-1] // 2))
  return tuple(sizes[::-1])


def check_image_shape(image_shape: Any, who: str) -> tuple[int, int, int]:
  """``image_shape`` as ``(H, W, C)`` of ints.

  Raises:
    ValueError: unless it is three positive sizes; the message starts with ``who``.
  """
  try:
    shape = tuple(int(d) for d in image_shape)
  except TypeError:
    shape = None
  if shape is None or len(shape) != 3 or min(shape) < 1:
    raise ValueError(f"{who}: image_shape={image_shape!r} is invalid: expected (H, W, C) of "
                     "positive sizes, e.g. (28, 28, 3).")
  return shape


def _check_fields(module: nn.Module, who: str) -> None:
  object.__setattr__(module, "image_shape", check_image_shape(module.image_shape, who))
  multipliers = tuple(module.multipliers)
  if not multipliers or any(isinstance(m, bool) or not isinstance(m, int) or m < 1
                            for m in multipliers):
    raise ValueError(f"{who}: multipliers={module.multipliers!r} is invalid: expected a "
                     "non-empty tuple of positive ints (widths in units of base_features).")
  object.__setattr__(module, "multipliers", multipliers)
  if module.base_features < 1:
    raise ValueError(f"{who}: base_features={module.base_features!r} is invalid: expected "
                     "a positive int.")
  if module.kernel_size < 1:
    raise ValueError(f"{who}: kernel_size={module.kernel_size!r} is invalid: expected a "
                     "positive int.")


def _check_input(x: jax.Array, image_shape: tuple[int, int, int], who: str) -> None:
  if x.ndim != 4 or tuple(x.shape[1:]) != tuple(image_shape):
    raise ValueError(f"{who} was built for image_shape={tuple(image_shape)}, so it expects "
                     f"inputs of shape [B, {', '.join(map(str, image_shape))}]; got shape "
                     f"{tuple(x.shape)}.")


def _batch_norm(train: bool, name: str) -> nn.BatchNorm:
  """``tf.contrib.layers.batch_norm(decay=0.9, epsilon=1e-5, scale=True)``."""
  return nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5, name=name)


def same_padding(size: int, kernel_size: int, stride: int) -> tuple[int, int]:
  """TensorFlow's 'SAME' padding of one axis: ``(before, after)``.

  The output has ``ceil(size / stride)`` positions; the padding is what they
  need, ``max((out - 1) stride + k - size, 0)``, its smaller half before.
  """
  out = -(-size // stride)
  total = max((out - 1) * stride + kernel_size - size, 0)
  return total // 2, total - total // 2


def same_conv(x: jax.Array, kernel: jax.Array, stride: int) -> jax.Array:
  r"""``tf.nn.conv2d(x, kernel, stride, 'SAME')`` (no bias), as one matrix multiply.

  With ``x`` padded as :func:`same_padding` says (``\tilde x``),

  .. math::

     y_{o_1 o_2 f} = \sum_{i, j < k} \sum_c
       \tilde x_{s o_1 + i,\, s o_2 + j,\, c}\, W_{i j c f},

  evaluated as the ``k^2`` strided slices of ``\tilde x`` side by side
  (im2col) times ``W`` as a ``[k^2 C, F]`` matrix. Every derivative, of any
  order and in either mode, is again slices, pads and matrix multiplies: on
  a CPU, XLA's own input gradient of these convolutions (small maps, many
  channels) ran 10 to 60 times slower (at batch 64: the 4x4x256 -> 2x2x512
  layer's gradients 2.5 s against 37 ms).

  Args:
    x: ``[B, H, W, C]``.
    kernel: ``[k, k, C, F]`` (HWIO).
    stride: ``s``.

  Returns:
    ``[B, ceil(H / s), ceil(W / s), F]``.
  """
  k = kernel.shape[0]
  if x.ndim != 4 or kernel.ndim != 4 or kernel.shape[1] != k or kernel.shape[2] != x.shape[-1]:
    raise ValueError(f"same_conv: expected x [B, H, W, C] and kernel [k, k, C, F]; got shapes "
                     f"{tuple(x.shape)} and {tuple(kernel.shape)}.")
  _, h, w, _ = x.shape
  ho, wo = -(-h // stride), -(-w // stride)
  x = jnp.pad(x, [(0, 0), same_padding(h, k, stride), same_padding(w, k, stride), (0, 0)])
  cols = [x[:, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride]
          for i in range(k) for j in range(k)]
  return jnp.concatenate(cols, axis=-1) @ kernel.reshape(-1, kernel.shape[-1])


def _same_conv_stride2_s2d(x: jax.Array, kernel: jax.Array) -> jax.Array:
  """:func:`same_conv` with stride 2, on the space-to-depth image.

  With ``a = ceil(k / 2)``, the kernel zero-padded to ``2a`` and ``x`` padded
  to an even side, ``y_o = sum_{i < a} X_{o + i} W'_i`` where ``X`` holds each
  2x2 block of pixels as channels (``X_m = (x_{2m + p})_p``) and ``W'_i =
  (W_{2i + p})_p``: ``a^2`` unstrided slices instead of ``k^2`` strided ones
  (9 for k = 5), at ``(2a / k)^2`` the multiply-adds (1.44 for k = 5). Its
  transpose (:class:`SameConvTranspose`) compiles 3-4 times faster on a CPU
  than :func:`same_conv`'s and runs faster (the forward convolution does
  not: the discriminator keeps :func:`same_conv`).
  """
  k = kernel.shape[0]
  a = -(-k // 2)
  _, h, w, c = x.shape
  ho, wo = -(-h // 2), -(-w // 2)
  hp, wp = 2 * (ho + a - 1), 2 * (wo + a - 1)
  (ph, _), (pw, _) = same_padding(h, k, 2), same_padding(w, k, 2)
  # The extra zeros below and right meet only the kernel's zero padding.
  x = space_to_depth(jnp.pad(x, [(0, 0), (ph, hp - h - ph), (pw, wp - w - pw), (0, 0)]))
  cols = jnp.concatenate([x[:, i:i + ho, j:j + wo] for i in range(a) for j in range(a)], axis=-1)
  kernel = jnp.pad(kernel, [(0, 2 * a - k), (0, 2 * a - k), (0, 0), (0, 0)])
  kernel = kernel.reshape(a, 2, a, 2, c, -1).transpose(0, 2, 1, 3, 4, 5)
  return cols @ kernel.reshape(-1, kernel.shape[-1])


class SameConv(nn.Module):
  """``ops.conv2d``: a ``k x k`` stride-``s`` 'SAME' convolution and a bias.

  :func:`same_conv`; the kernel ``[k, k, C_in, features]`` starts from
  N(0, 0.02^2) truncated at two standard deviations, the bias from 0.

  Attributes:
    features: output channels.
    kernel_size: ``k``.
    strides: ``s``.
  """

  features: int
  kernel_size: int
  strides: int = 2

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    """``[B, H, W, C_in] -> [B, ceil(H / s), ceil(W / s), features]``."""
    k = self.kernel_size
    kernel = self.param("kernel", _TRUNCATED, (k, k, x.shape[-1], self.features))
    bias = self.param("bias", nn.initializers.zeros_init(), (self.features,))
    return same_conv(x, kernel, self.strides) + bias


class SameConvTranspose(nn.Module):
  r"""``ops.deconv2d``: ``tf.nn.conv2d_transpose`` ('SAME') to a given size, and a bias.

  The adjoint of the ``k x k`` stride-``s`` 'SAME' convolution
  (:func:`same_conv`) of a ``[B, *output_size, features]`` map (Dumoulin &
  Visin 2016, Sec. 4):

  .. math::

     y = \mathrm{conv}^\top(x, W) + b, \qquad
     \langle \mathrm{conv}^\top(x, W), u \rangle = \langle x, \mathrm{conv}(u, W) \rangle
     \ \ \forall u,

  so the output has the side asked for, of which the input's side must be
  the convolution's image (``ceil(n / s)``): 4 -> 7 and 7 -> 14 are both a
  stride-2 layer. The kernel has TensorFlow's layout ``[k, k, features,
  C_in]`` (``[height, width, output_channels, in_channels]``), initial
  N(0, 0.02^2); the bias starts at 0.

  Attributes:
    features: output channels.
    kernel_size: ``k``.
    output_size: ``(H_out, W_out)``.
    strides: ``s``.
  """

  features: int
  kernel_size: int
  output_size: tuple[int, int]
  strides: int = 2

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    """``[B, ceil(H_out / s), ceil(W_out / s), C_in] -> [B, H_out, W_out, features]``."""
    h_out, w_out = (int(d) for d in self.output_size)
    expected = (-(-h_out // self.strides), -(-w_out // self.strides))
    if x.ndim != 4 or tuple(x.shape[1:3]) != expected:
      raise ValueError(
          f"SameConvTranspose to output_size={(h_out, w_out)} with strides={self.strides} "
          f"expects inputs [B, {expected[0]}, {expected[1]}, C]; got shape {tuple(x.shape)}.")
    k = self.kernel_size
    kernel = self.param("kernel", _NORMAL, (k, k, self.features, x.shape[-1]))
    bias = self.param("bias", nn.initializers.zeros_init(), (self.features,))
    shape = jax.ShapeDtypeStruct((x.shape[0], h_out, w_out, self.features), x.dtype)
    if self.strides == 2:
      conv = _same_conv_stride2_s2d
    else:
      conv = functools.partial(same_conv, stride=self.strides)
    (y,) = jax.linear_transpose(lambda u: conv(u, kernel), shape)(x)
    return y + bias


def _trunk(x: jax.Array, module: nn.Module, train: bool) -> jax.Array:
  """The discriminator's (and encoder's) convs: stride 2, BN, leaky ReLU.

  Called inside a parent's ``nn.compact`` method; its layers belong to it.
  Returns the last feature map, flattened: ``[B, h * w * c]``.
  """
  for i, m in enumerate(module.multipliers):
    x = SameConv(m * module.base_features, module.kernel_size, name=f"conv_{i}")(x)
    if module.use_batch_norm and (i > 0 or module.batch_norm_first):
      x = _batch_norm(train, f"bn_{i}")(x)
    x = nn.leaky_relu(x, negative_slope=module.negative_slope)
  return x.reshape(x.shape[0], -1)


class TFDCGANGenerator(nn.Module):
  """DCGAN-tensorflow's generator ``z [B, K] -> images [B, H, W, C]`` in (-1, 1).

  A dense projection (with a bias) to the smallest map, batch norm and ReLU;
  stride-2 'SAME' transposed convolutions (:class:`SameConvTranspose`) with
  batch norm and ReLU; then either a stride-2 transposed convolution to the
  image (``output_stride=2``, DCGAN-tensorflow) or a stride-1 ``k x k``
  convolution after a last hidden layer at full size (``output_stride=1``,
  Metz et al.); tanh. The sides are :func:`same_sizes` of ``H`` and ``W``.

  Attributes:
    image_shape: ``(H, W, C)``, any positive sizes.
    base_features: ``b`` (``gf_dim``).
    multipliers: widths in units of ``b``, from the projection to the last
      hidden layer ((8, 4, 2, 1): 8b, 4b, 2b, b).
    kernel_size: ``k``.
    output_stride: 2 or 1, see above.
  """

  image_shape: tuple[int, int, int]
  base_features: int = 64
  multipliers: tuple[int, ...] = (8, 4, 2, 1)
  kernel_size: int = 5
  output_stride: int = 2

  def __post_init__(self):
    _check_fields(self, "TFDCGANGenerator")
    if self.output_stride not in (1, 2):
      raise ValueError(f"TFDCGANGenerator: output_stride={self.output_stride!r} is invalid: "
                       "valid values are 2 (a transposed conv to the image) and 1 (a conv "
                       "after a full-size hidden layer).")
    super().__post_init__()

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    """Generates images.

    Args:
      z: latent codes, ``[B, K]``.
      train: batch statistics (``True``, with ``mutable=["batch_stats"]``) or
        running averages (``False``).

    Returns:
      Images ``[B, H, W, C]`` in (-1, 1).
    """
    if z.ndim != 2:
      raise ValueError(f"TFDCGANGenerator expects latent codes of shape [B, K]; got shape "
                       f"{tuple(z.shape)}.")
    h, w, channels = self.image_shape
    halvings = len(self.multipliers) - 1 + (self.output_stride == 2)
    heights, widths = same_sizes(h, halvings), same_sizes(w, halvings)
    features = [m * self.base_features for m in self.multipliers]
    x = nn.Dense(heights[0] * widths[0] * features[0], kernel_init=_NORMAL, name="project")(z)
    x = x.reshape(z.shape[0], heights[0], widths[0], features[0])
    x = nn.relu(_batch_norm(train, "bn_0")(x))
    for i, f in enumerate(features[1:], start=1):
      x = SameConvTranspose(f, self.kernel_size, (heights[i], widths[i]), name=f"deconv_{i}")(x)
      x = nn.relu(_batch_norm(train, f"bn_{i}")(x))
    if self.output_stride == 2:
      x = SameConvTranspose(channels, self.kernel_size, (h, w), name="out")(x)
    else:
      x = SameConv(channels, self.kernel_size, strides=1, name="out")(x)
    return jnp.tanh(x)


class TFDCGANDiscriminator(nn.Module):
  """DCGAN-tensorflow's discriminator ``images [B, H, W, C] -> logits [B]``.

  Stride-2 ``k x k`` 'SAME' convolutions (with biases) of widths
  ``multipliers * b``, batch norm (on all but the first unless
  ``batch_norm_first``), leaky ReLU; the last map flattened and a dense
  layer (with a bias) to one logit. ``use_batch_norm=False`` drops every
  batch norm (a critic with a per-example gradient penalty).

  Attributes:
    image_shape: ``(H, W, C)``, any positive sizes (``C = 3m`` under
      PacGAN's packing of ``m`` images).
    base_features: ``b`` (``df_dim``).
    multipliers: widths in units of ``b``, first layer first.
    kernel_size: ``k``.
    batch_norm_first: batch norm after the first conv too.
    negative_slope: the leaky ReLU's slope.
    use_batch_norm: batch norm at all.
  """

  image_shape: tuple[int, int, int]
  base_features: int = 64
  multipliers: tuple[int, ...] = (1, 2, 4, 8)
  kernel_size: int = 5
  batch_norm_first: bool = False
  negative_slope: float = 0.2
  use_batch_norm: bool = True

  def __post_init__(self):
    _check_fields(self, "TFDCGANDiscriminator")
    super().__post_init__()

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    """Scores images.

    Args:
      x: images ``[B, H, W, C]`` matching ``image_shape``.
      train: batch statistics or running averages (ignored without batch norm).

    Returns:
      Logits ``[B]``.
    """
    _check_input(x, self.image_shape, "TFDCGANDiscriminator")
    x = _trunk(x, self, train)
    return jnp.squeeze(nn.Dense(1, kernel_init=_NORMAL, name="out")(x), axis=-1)


class TFDCGANEncoder(nn.Module):
  """The discriminator's convolutions and a dense layer to ``[B, latent_dim]``.

  An encoder in the layers of :class:`TFDCGANDiscriminator` (DCGAN-tensorflow
  has none; alpha-GAN's encoder is "the discriminator with a code output",
  as :class:`gengan_jax.nets.DCGANEncoder`), always with batch norm; linear
  output.

  Attributes:
    image_shape, base_features, multipliers, kernel_size, batch_norm_first,
    negative_slope: as :class:`TFDCGANDiscriminator`'s.
    latent_dim: the width of the codes.
  """

  image_shape: tuple[int, int, int]
  latent_dim: int
  base_features: int = 64
  multipliers: tuple[int, ...] = (1, 2, 4, 8)
  kernel_size: int = 5
  batch_norm_first: bool = False
  negative_slope: float = 0.2

  use_batch_norm = True  # read by the trunk; not a field

  def __post_init__(self):
    _check_fields(self, "TFDCGANEncoder")
    super().__post_init__()

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    """Encodes images ``[B, H, W, C]`` into codes ``[B, latent_dim]`` (linear)."""
    _check_input(x, self.image_shape, "TFDCGANEncoder")
    x = _trunk(x, self, train)
    return nn.Dense(self.latent_dim, kernel_init=_NORMAL, name="out")(x)
