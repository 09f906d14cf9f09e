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

import flax.linen as nn
import jax
import jax.numpy as jnp

from gengan_jax.nets.strided_conv import Conv4x4
from gengan_jax.nets.strided_conv import ConvTranspose4x4

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


def _conv_stack(x: jax.Array, image_shape: tuple[int, int, int],
                base_features: int, *, use_batch_norm: bool,
                train: bool, features: list[jax.Array] | None = None) -> jax.Array:
  """The discriminator/encoder trunk: 4x4 stride-2 convs + leaky ReLU(0.2).

  Called inside a parent's ``nn.compact`` method, so its layers belong to
  the parent. Batch norm follows every conv except the first (Radford et al.
  2016) when ``use_batch_norm``; a conv followed by BN has no bias. Each
  layer's output (after its activation) is appended to ``features`` if given.

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
    if features is not None:
      features.append(x)
  return x


class DCGANGenerator(nn.Module):
  """DCGAN generator ``z [B, K] -> images [B, H, W, C]`` in (-1, 1).

  Radford et al. (2016): a dense projection reshaped to a small feature map,
  then 4x4 stride-2 transposed convolutions halving the features while
  doubling the resolution; batch norm and ReLU after every layer except the
  output, which is a tanh. See the module docstring for the layer sizes.

  As a likelihood model's decoder, ``output_activation=None`` returns the
  last layer's linear output instead (Bernoulli logits, or a Gaussian's mean)
  and ``out_channels_per_image_channel=2`` two values per image channel
  (e.g. a mean and a log-scale, stacked on the channel axis).

  Attributes:
    image_shape: ``(H, W, C)`` with ``H == W`` in {28, 32, 64}.
    base_features: ``b``, the width of the last hidden layer (64 in the
      paper); the other layers have 2b, 4b, 8b features.
    output_activation: ``'tanh'`` (the paper's) or ``None`` (linear).
    out_channels_per_image_channel: output values per image channel (1: the
      image; k > 1: ``[B, H, W, k * C]``).
  """

  image_shape: tuple[int, int, int]
  base_features: int = 64
  output_activation: str | None = "tanh"
  out_channels_per_image_channel: int = 1

  def __post_init__(self):
    _normalise_image_shape(self)
    if self.output_activation not in ("tanh", None):
      raise ValueError(f"DCGANGenerator output_activation={self.output_activation!r} is "
                       "invalid: valid choices are 'tanh' and None (linear).")
    if self.out_channels_per_image_channel < 1:
      raise ValueError("DCGANGenerator out_channels_per_image_channel="
                       f"{self.out_channels_per_image_channel} must be >= 1.")
    super().__post_init__()

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    """Generates images.

    Args:
      z: latent codes, ``[B, K]``.
      train: use batch statistics (``True``, with
        ``mutable=["batch_stats"]``) or running averages (``False``).

    Returns:
      Images ``[B, H, W, C]`` with values in (-1, 1) (the linear outputs
      ``[B, H, W, k * C]`` without the tanh; see the class docstring).
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
    x = ConvTranspose4x4(channels * self.out_channels_per_image_channel,
                         kernel_init=_KERNEL_INIT, name="out")(x)
    return jnp.tanh(x) if self.output_activation == "tanh" else x


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
  def __call__(self, x: jax.Array, *, train: bool, return_features: bool = False
               ) -> jax.Array | tuple[jax.Array, tuple[jax.Array, ...]]:
    """Scores images.

    Args:
      x: images, ``[B, H, W, C]`` matching ``image_shape``.
      train: use batch statistics (``True``, with
        ``mutable=["batch_stats"]``) or running averages (``False``);
        ignored when ``use_batch_norm`` is false.
      return_features: also return every conv layer's output (after its
        batch norm and leaky ReLU; the VAE-GAN's ``Dis_l(x)``).

    Returns:
      Logits (or critic scores), ``[B]``; with ``return_features``,
      ``(logits, features)``, ``features`` a tuple of ``[B, h, w, c]`` maps.
    """
    _check_input(x, self.image_shape, "DCGANDiscriminator")
    features = [] if return_features else None
    x = _conv_stack(x, self.image_shape, self.base_features,
                    use_batch_norm=self.use_batch_norm, train=train, features=features)
    x = x.reshape(x.shape[0], -1)
    x = nn.Dense(1, kernel_init=_KERNEL_INIT, name="out")(x)
    logits = jnp.squeeze(x, axis=-1)
    return (logits, tuple(features)) if return_features else logits


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
