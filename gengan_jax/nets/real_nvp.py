r"""Real NVP: affine coupling layers, masks, squeeze and the multi-scale flow.

Dinh, Sohl-Dickstein & Bengio, "Density estimation using Real NVP" (ICLR
2017). A flow is a bijection ``f: x -> z`` with a tractable Jacobian and a
standard Gaussian base, so

.. math::

  \log p(x) = \log \mathcal N\big(f(x); 0, I\big)
    + \log\Big|\det \frac{\partial f(x)}{\partial x}\Big|

(Sec. 3.1), and samples are ``x = f^{-1}(z)``, ``z ~ N(0, I)``.

**Affine coupling** (eq. 9, with a binary mask ``b``): the masked part
passes unchanged and conditions an affine map of the rest,

.. math::

  y = b \odot x + (1 - b) \odot \big(x \odot e^{s(b \odot x)}
      + t(b \odot x)\big), \qquad
  \log|\det| = \textstyle\sum_d (1 - b_d)\, s_d(b \odot x),

inverted by ``x = b y + (1 - b)(y - t(b y)) e^{-s(b y)}``. ``s`` and ``t``
are one network with ``2C`` outputs; the log-scale is stabilised as
``s = scale * tanh(s_raw)`` with a learned per-channel ``scale`` (the
stabilisation of Real NVP implementations), and the network's last layer
starts at zero, so every coupling starts as the identity.

**Masks** (Sec. 3.4): on images a *checkerboard* (``b = 1`` where ``i + j``
has a given parity) or *channel-wise* (the first or second half of the
channels); on vectors the alternating mask of the dimensions' parity (for
2-D data: one coordinate conditions the other). Successive couplings
alternate the parity, so every dimension is transformed.

**Squeeze** (Sec. 3.6) turns ``[H, W, C]`` into ``[H/2, W/2, 4C]`` (each
2x2 block into channels). **Multi-scale** (Sec. 3.6): each scale is three
checkerboard couplings, a squeeze, three channel-wise couplings, after
which half the channels are *factored out* (they are part of ``z`` and
leave the flow); the last scale is four checkerboard couplings. ``z`` is
assembled back into the shape of ``x``.

Networks: :class:`RealNVP` for vectors (any data flattened; MLP coupling
networks) and :class:`MultiScaleRealNVP` for images ``[H, W, C]`` (conv
coupling networks with optional residual blocks). Both have ``forward(x)
-> (z, log_det)``, ``inverse(z) -> x``, ``log_prob(x)``, ``sample(key, n)``
and ``__call__(x) = log_prob(x)``; every method takes ``train`` (ignored: no
batch norm) so that :class:`gengan_jax.core.Net` can call any of them
(``net(z, method='inverse')``). Differences from the paper, for CPU-sized
models: no batch normalisation (neither as a flow layer nor in the coupling
networks) and no weight normalisation; coupling networks are small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

__all__ = ["AffineCoupling", "MultiScaleRealNVP", "RealNVP", "alternating_mask",
           "channel_mask", "checkerboard_mask", "squeeze", "standard_normal_log_prob",
           "unsqueeze"]

MASKS = ("alternating", "checkerboard", "channel")
_LOG_2PI = math.log(2.0 * math.pi)


def _sum_per_example(x: jax.Array) -> jax.Array:
  return jnp.sum(x, axis=tuple(range(1, x.ndim)))


def standard_normal_log_prob(z: jax.Array) -> jax.Array:
  r"""``log N(z; 0, I)`` per example: ``-(||z||^2 + D log 2 pi) / 2``, ``[B, ...] -> [B]``."""
  return _sum_per_example(-0.5 * (jnp.square(z) + _LOG_2PI))


def alternating_mask(dim: int, parity: int) -> jax.Array:
  """``[dim]``: 1 where the index has ``parity`` (0 or 1), else 0."""
  return (jnp.arange(dim) % 2 == parity).astype(jnp.float32)


def checkerboard_mask(height: int, width: int, parity: int) -> jax.Array:
  """``[height, width, 1]``: 1 where ``(i + j) % 2 == parity``, else 0."""
  i, j = jnp.meshgrid(jnp.arange(height), jnp.arange(width), indexing="ij")
  return ((i + j) % 2 == parity).astype(jnp.float32)[..., None]


def channel_mask(channels: int, parity: int) -> jax.Array:
  """``[channels]``: 1 on the first half of the channels (``parity`` 0) or on the second (1)."""
  first = (jnp.arange(channels) < channels // 2).astype(jnp.float32)
  return first if parity == 0 else 1.0 - first


def squeeze(x: jax.Array) -> jax.Array:
  """``[B, H, W, C] -> [B, H/2, W/2, 4C]``: each 2x2 block of pixels into channels.

  Raises:
    ValueError: ``H`` or ``W`` is odd.
  """
  b, h, w, c = x.shape
  if h % 2 or w % 2:
    raise ValueError(f"squeeze needs an even height and width, got an input of shape "
                     f"{x.shape}.")
  x = x.reshape(b, h // 2, 2, w // 2, 2, c)
  return x.transpose(0, 1, 3, 2, 4, 5).reshape(b, h // 2, w // 2, 4 * c)


def unsqueeze(x: jax.Array) -> jax.Array:
  """``[B, H, W, 4C] -> [B, 2H, 2W, C]``: the inverse of :func:`squeeze`."""
  b, h, w, c4 = x.shape
  if c4 % 4:
    raise ValueError(f"unsqueeze needs a channel count divisible by 4, got {x.shape}.")
  c = c4 // 4
  x = x.reshape(b, h, w, 2, 2, c)
  return x.transpose(0, 1, 3, 2, 4, 5).reshape(b, 2 * h, 2 * w, c)


class _MLPShiftScale(nn.Module):
  """``[B, D] -> (s_raw, t)``, each ``[B, D]``: ReLU MLP, zero-initialised output."""

  hidden: Sequence[int]
  dim: int

  @nn.compact
  def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    for i, width in enumerate(self.hidden):
      x = nn.relu(nn.Dense(width, name=f"hidden_{i}")(x))
    out = nn.Dense(2 * self.dim, kernel_init=nn.initializers.zeros, name="out")(x)
    return out[:, :self.dim], out[:, self.dim:]


class _ConvShiftScale(nn.Module):
  """``[B, H, W, C] -> (s_raw, t)``, each ``[B, H, W, C]``.

  ``conv3x3 -> ReLU``, ``num_blocks`` residual blocks (``h + conv(relu(
  conv(relu(h))))``), ``conv1x1 -> ReLU``, and a zero-initialised
  ``conv3x3`` to ``2C`` channels.
  """

  features: int
  num_blocks: int
  channels: int

  @nn.compact
  def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    h = nn.relu(nn.Conv(self.features, (3, 3), name="conv_in")(x))
    for i in range(self.num_blocks):
      r = nn.Conv(self.features, (3, 3), name=f"block_{i}_a")(h)
      r = nn.Conv(self.features, (3, 3), name=f"block_{i}_b")(nn.relu(r))
      h = nn.relu(h + r)
    h = nn.relu(nn.Conv(self.features, (1, 1), name="conv_mid")(h))
    out = nn.Conv(2 * self.channels, (3, 3), kernel_init=nn.initializers.zeros,
                  name="conv_out")(h)
    return out[..., :self.channels], out[..., self.channels:]


class AffineCoupling(nn.Module):
  """One affine coupling layer (Dinh et al. 2017, Sec. 3.2-3.4) with a fixed mask.

  Attributes:
    mask: ``'alternating'`` (vectors ``[B, D]``), ``'checkerboard'`` or
      ``'channel'`` (images ``[B, H, W, C]``).
    parity: which half the mask keeps (0 or 1); successive layers alternate.
    channels: ``D`` for vectors, ``C`` for images (sizes the output layer).
    hidden: widths of the MLP coupling network (vectors).
    features: channels of the conv coupling network (images).
    num_blocks: residual blocks of the conv coupling network.
  """

  mask: str
  parity: int
  channels: int
  hidden: Sequence[int] = (64, 64)
  features: int = 32
  num_blocks: int = 0

  def setup(self):
    if self.mask not in MASKS:
      raise ValueError(f"AffineCoupling mask={self.mask!r} is invalid: valid masks are {MASKS}.")
    if self.mask == "alternating":
      self.shift_scale = _MLPShiftScale(tuple(self.hidden), self.channels)
    else:
      self.shift_scale = _ConvShiftScale(self.features, self.num_blocks, self.channels)
    self.scale = self.param("scale", nn.initializers.ones, (self.channels,))

  def _mask(self, x: jax.Array) -> jax.Array:
    if self.mask == "alternating":
      if x.ndim != 2:
        raise ValueError(f"an 'alternating' coupling takes vectors [B, D], got {x.shape}.")
      return alternating_mask(x.shape[1], self.parity)
    if x.ndim != 4:
      raise ValueError(f"a {self.mask!r} coupling takes images [B, H, W, C], got {x.shape}.")
    if self.mask == "checkerboard":
      return checkerboard_mask(x.shape[1], x.shape[2], self.parity)
    return channel_mask(x.shape[3], self.parity)

  def _log_scale_and_shift(self, kept: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    s_raw, t = self.shift_scale(kept)
    return (1.0 - b) * self.scale * jnp.tanh(s_raw), (1.0 - b) * t

  def forward(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(y, log|det dy/dx|)``, ``y`` shaped like ``x``, the log-determinant ``[B]``."""
    b = self._mask(x)
    s, t = self._log_scale_and_shift(b * x, b)
    return x * jnp.exp(s) + t, _sum_per_example(s)

  def inverse(self, y: jax.Array) -> jax.Array:
    """``x`` with ``forward(x)[0] == y``."""
    b = self._mask(y)
    s, t = self._log_scale_and_shift(b * y, b)
    return (y - t) * jnp.exp(-s)


class _Flow(nn.Module):
  """``log_prob``, ``sample`` and ``__call__`` from ``forward`` and ``inverse``."""

  def forward(self, x: jax.Array, *, train: bool = False) -> tuple[jax.Array, jax.Array]:
    raise NotImplementedError

  def inverse(self, z: jax.Array, *, train: bool = False) -> jax.Array:
    raise NotImplementedError

  def log_prob(self, x: jax.Array, *, train: bool = False) -> jax.Array:
    """``log p(x) = log N(f(x); 0, I) + log|det df/dx|`` per example, ``[B]`` (nats)."""
    z, log_det = self.forward(x, train=train)
    return standard_normal_log_prob(z) + log_det

  def sample(self, key: jax.Array, num: int, *, train: bool = False) -> jax.Array:
    """``num`` samples ``f^{-1}(z)``, ``z ~ N(0, I)``: ``[num, *data_shape]``."""
    z = jax.random.normal(key, (num,) + tuple(self.data_shape))
    return self.inverse(z, train=train)

  def __call__(self, x: jax.Array, *, train: bool = False) -> jax.Array:
    """:meth:`log_prob` (the method ``init`` and a plain call run)."""
    return self.log_prob(x, train=train)


class RealNVP(_Flow):
  """Real NVP on vectors: affine couplings with alternating masks, MLP coupling nets.

  Data of any shape are flattened to ``[B, D]`` inside (``z`` comes back
  in the data's shape). For 2-D data each coupling transforms one
  coordinate conditioned on the other, alternating.

  Attributes:
    data_shape: shape of one example, e.g. ``(2,)``.
    num_couplings: number of coupling layers (even, so each dimension is
      transformed equally often).
    hidden: widths of each coupling's ReLU MLP.
  """

  data_shape: Sequence[int]
  num_couplings: int = 8
  hidden: Sequence[int] = (64, 64)

  def setup(self):
    dim = math.prod(self.data_shape)
    if self.num_couplings < 1:
      raise ValueError(f"RealNVP num_couplings must be >= 1, got {self.num_couplings!r}.")
    self.couplings = [AffineCoupling("alternating", i % 2, dim, hidden=tuple(self.hidden))
                      for i in range(self.num_couplings)]

  def _check(self, x: jax.Array, what: str) -> None:
    if tuple(x.shape[1:]) != tuple(self.data_shape):
      raise ValueError(f"RealNVP with data_shape={tuple(self.data_shape)} got {what} of shape "
                       f"{x.shape}; it takes [B, {', '.join(map(str, self.data_shape))}].")

  def forward(self, x: jax.Array, *, train: bool = False) -> tuple[jax.Array, jax.Array]:
    """``x [B, *data_shape] -> (z [B, *data_shape], log|det dz/dx| [B])``."""
    del train  # no batch norm
    self._check(x, "x")
    h, log_det = x.reshape(x.shape[0], -1), jnp.zeros(x.shape[:1], x.dtype)
    for coupling in self.couplings:
      h, ld = coupling.forward(h)
      log_det = log_det + ld
    return h.reshape(x.shape), log_det

  def inverse(self, z: jax.Array, *, train: bool = False) -> jax.Array:
    """``z [B, *data_shape] -> x [B, *data_shape]``, the inverse of :meth:`forward`."""
    del train
    self._check(z, "z")
    h = z.reshape(z.shape[0], -1)
    for coupling in reversed(self.couplings):
      h = coupling.inverse(h)
    return h.reshape(z.shape)


class MultiScaleRealNVP(_Flow):
  """The multi-scale Real NVP on images ``[B, H, W, C]`` (Dinh et al. 2017, Sec. 3.6).

  Each of ``num_scales`` scales: three checkerboard couplings (parities 0,
  1, 0), a squeeze, three channel-wise couplings (0, 1, 0), and half the
  channels factored out; then four checkerboard couplings on what is left.
  A 28x28x1 image with two scales: couplings on 28x28x1, 14x14x4, 14x14x2,
  7x7x8 and, last, 7x7x4.

  Attributes:
    data_shape: ``(H, W, C)``, ``H`` and ``W`` divisible by ``2**num_scales``.
    num_scales: number of scales before the last one (>= 0).
    features: channels of every coupling's conv network.
    num_blocks: residual blocks in every coupling's conv network (the paper
      uses 4-8 on CIFAR-10; 0 is a three-layer net).
  """

  data_shape: Sequence[int]
  num_scales: int = 2
  features: int = 32
  num_blocks: int = 0

  def setup(self):
    if len(self.data_shape) != 3:
      raise ValueError(f"MultiScaleRealNVP takes images: data_shape (H, W, C), got "
                       f"{tuple(self.data_shape)}.")
    h, w, c = self.data_shape
    factor = 2**self.num_scales
    if self.num_scales < 0 or h % factor or w % factor:
      raise ValueError(f"MultiScaleRealNVP with num_scales={self.num_scales} needs H and W "
                       f"divisible by 2**num_scales = {factor}; got data_shape="
                       f"{tuple(self.data_shape)}.")
    net = dict(features=self.features, num_blocks=self.num_blocks)
    checker, channel = [], []
    for _ in range(self.num_scales):
      checker.append([AffineCoupling("checkerboard", p, c, **net) for p in (0, 1, 0)])
      channel.append([AffineCoupling("channel", p, 4 * c, **net) for p in (0, 1, 0)])
      c *= 2  # squeezed to 4c channels, half of them factored out
    self.checker, self.channel = checker, channel
    self.final = [AffineCoupling("checkerboard", p, c, **net) for p in (0, 1, 0, 1)]

  def _check(self, x: jax.Array, what: str) -> None:
    if tuple(x.shape[1:]) != tuple(self.data_shape):
      raise ValueError(f"MultiScaleRealNVP with data_shape={tuple(self.data_shape)} got {what} "
                       f"of shape {x.shape}.")

  def forward(self, x: jax.Array, *, train: bool = False) -> tuple[jax.Array, jax.Array]:
    """``x [B, H, W, C] -> (z [B, H, W, C], log|det dz/dx| [B])``."""
    del train  # no batch norm
    self._check(x, "x")
    h, log_det, factored = x, jnp.zeros(x.shape[:1], x.dtype), []
    for scale in range(self.num_scales):
      for coupling in self.checker[scale]:
        h, ld = coupling.forward(h)
        log_det = log_det + ld
      h = squeeze(h)
      for coupling in self.channel[scale]:
        h, ld = coupling.forward(h)
        log_det = log_det + ld
      half = h.shape[-1] // 2
      factored.append(h[..., :half])
      h = h[..., half:]
    for coupling in self.final:
      h, ld = coupling.forward(h)
      log_det = log_det + ld
    for z_scale in reversed(factored):
      h = unsqueeze(jnp.concatenate([z_scale, h], axis=-1))
    return h, log_det

  def inverse(self, z: jax.Array, *, train: bool = False) -> jax.Array:
    """``z [B, H, W, C] -> x [B, H, W, C]``, the inverse of :meth:`forward`."""
    del train
    self._check(z, "z")
    h, factored = z, []
    for _ in range(self.num_scales):
      h = squeeze(h)
      half = h.shape[-1] // 2
      factored.append(h[..., :half])
      h = h[..., half:]
    for coupling in reversed(self.final):
      h = coupling.inverse(h)
    for scale in reversed(range(self.num_scales)):
      h = jnp.concatenate([factored[scale], h], axis=-1)
      for coupling in reversed(self.channel[scale]):
        h = coupling.inverse(h)
      h = unsqueeze(h)
      for coupling in reversed(self.checker[scale]):
        h = coupling.inverse(h)
    return h
