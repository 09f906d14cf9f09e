r"""A Real NVP on the library's data: its settings, its network, and where it lives.

What ``real_nvp_mle`` and ``real_nvp_wgan`` share (Danihelka et al. 2017
train *the same network* by the two principles): the flow's settings, the
flow as one network's state, and the map between the library's data and the
space the flow models.

* 2-D (vector) data: the flow models the data as they are, ``y = x``.
* Images (``[H, W, C]``, 8-bit pixels in ``[-1, 1]``): uniform
  dequantisation into the continuous data space ``[-1, 1)^D`` and Real NVP's
  logit transform (Dinh et al. 2017, Sec. 4.1, ``alpha = 0.05``;
  :mod:`gengan_jax.losses.dequantization`). With ``y = T(x_c)``,

  .. math::

    \log p(x_c) = \log p_{\text{flow}}(y)
      + \log\Big|\det \frac{\partial T}{\partial x_c}\Big|,

  the exact log-density of the dequantised image in the library's
  continuous data space, so that bits per dimension in 8-bit space are
  ``gengan_jax.metrics.bits_per_dim(log p, D, data_range_bins=256,
  data_range=2.0)`` (a one-draw estimate of an upper bound on the discrete
  model's bits, Theis et al. 2016). Samples are ``x_c = T^{-1}(f^{-1}(z))``,
  quantised back to 8-bit pixels.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from gengan_jax import nets
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import OptimizerConfig, check
from gengan_jax.core import train_state as ts
from gengan_jax.losses import dequantization


@dataclasses.dataclass(frozen=True)
class FlowConfig(ArchitectureConfig):
  """The Real NVP's settings.

  Attributes:
    arch: ``'mlp'``: :class:`gengan_jax.nets.RealNVP` (alternating masks, MLP
      coupling networks; data flattened); ``'dcgan'``:
      :class:`gengan_jax.nets.MultiScaleRealNVP` (checkerboard and channel
      masks, squeeze, factoring out; conv coupling networks) for images.
    latent_dim: unused: a flow's ``z`` has the data's shape (the field is the
      architecture settings' shared one).
    hidden: widths of each coupling's MLP (``mlp``).
    base_features: channels of each coupling's conv network (``dcgan``).
    num_couplings: coupling layers of the ``mlp`` flow (alternating parity).
    num_scales: scales of the ``dcgan`` flow before its last one (images'
      height and width must be divisible by ``2**num_scales``).
    num_blocks: residual blocks per conv coupling network (``dcgan``).
    logit_alpha: ``alpha`` of the logit transform on images (0.05, Dinh et
      al. 2017, Sec. 4.1).
  """

  num_couplings: int = 8
  num_scales: int = 2
  num_blocks: int = 0
  logit_alpha: float = 0.05

  def __post_init__(self):
    super().__post_init__()
    check(self.num_couplings >= 1, "num_couplings", self.num_couplings, "a positive integer")
    check(self.num_scales >= 0, "num_scales", self.num_scales, "an integer >= 0")
    check(self.num_blocks >= 0, "num_blocks", self.num_blocks, "an integer >= 0")
    check(0.0 <= self.logit_alpha < 1.0, "logit_alpha", self.logit_alpha, "in [0, 1)")

  def flow_kwargs(self) -> dict:
    """Keyword arguments of :func:`gengan_jax.nets.make_real_nvp`."""
    if self.arch == "mlp":
      return {"hidden": self.hidden, "num_couplings": self.num_couplings}
    return {"features": self.base_features, "num_blocks": self.num_blocks,
            "num_scales": self.num_scales}


def is_images(x: jax.Array) -> bool:
  """Whether a batch ``[B, ...]`` holds images ``[B, H, W, C]`` (8-bit pixels)."""
  return x.ndim == 4


def flow(config: FlowConfig, key: jax.Array, example_batch: jax.Array,
         optimizer: OptimizerConfig) -> ts.TrainState:
  """The flow ``f: y -> z`` for data shaped like ``example_batch[0]``, with its optimizer."""
  net = nets.make_real_nvp(config.arch, data_shape=tuple(example_batch.shape[1:]),
                           **config.flow_kwargs())
  return ts.create(net, key, jnp.zeros_like(example_batch), optimizer)


def to_continuous(config: FlowConfig, x: jax.Array, key: jax.Array) -> jax.Array:
  """``x`` in the continuous data space: images dequantised, vectors as they are."""
  del config
  return dequantization.dequantize(x, key) if is_images(x) else x


def to_flow_space(config: FlowConfig, x_c: jax.Array) -> tuple[jax.Array, jax.Array]:
  """``(y, log|det dy/dx_c|)``: images through the logit transform, vectors unchanged (0)."""
  if is_images(x_c):
    return dequantization.logit_transform(x_c, alpha=config.logit_alpha)
  return x_c, jnp.zeros(x_c.shape[:1], x_c.dtype)


def from_flow_space(config: FlowConfig, y: jax.Array) -> jax.Array:
  """``x_c`` from ``y``: the inverse of :func:`to_flow_space` (differentiable)."""
  if is_images(y):
    return dequantization.inverse_logit_transform(y, alpha=config.logit_alpha)
  return y


def generate(config: FlowConfig, flow_fn, z: jax.Array) -> jax.Array:
  """``x_c = T^{-1}(f^{-1}(z))`` with ``flow_fn(z, method=...)`` a network call."""
  return from_flow_space(config, flow_fn(z, method="inverse"))


def log_density(config: FlowConfig, flow_fn, x_c: jax.Array) -> jax.Array:
  """``log p(x_c)`` per example, ``[B]``: the flow's density through ``T``."""
  y, log_det = to_flow_space(config, x_c)
  return flow_fn(y) + log_det


def log_likelihood(config: FlowConfig, flow_state: ts.TrainState, x: jax.Array,
                   key: jax.Array) -> jax.Array:
  """The exact log-density of ``x`` (images: of ``x`` dequantised with ``key``), ``[B]`` nats."""
  flow_fn = lambda v, **kw: ts.forward(flow_state, v, train=False, **kw)  # noqa: E731
  return log_density(config, flow_fn, to_continuous(config, x, key))


def sample(config: FlowConfig, flow_state: ts.TrainState, key: jax.Array, num: int,
           data_shape: tuple[int, ...]) -> jax.Array:
  """``num`` samples ``[num, *data_shape]`` in the data's space (images quantised to
  8-bit pixels in ``[-1, 1]``)."""
  z = jax.random.normal(key, (num,) + tuple(data_shape))
  flow_fn = lambda v, **kw: ts.forward(flow_state, v, train=False, **kw)  # noqa: E731
  x_c = generate(config, flow_fn, z)
  return dequantization.quantize(x_c) if is_images(x_c) else x_c
