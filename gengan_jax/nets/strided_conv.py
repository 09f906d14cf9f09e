r"""4x4 stride-2 convolutions (the DCGAN layers) with fast derivatives of every order.

Radford et al.'s DCGAN nets are built from one layer shape: a 4x4 convolution
with stride 2 and 'SAME' padding (discriminator, encoder) and its transpose
(generator). XLA's CPU backend runs a convolution fast only in a few
canonical forms, and the derivatives a GAN needs are not all among them.
Measured at batch 64 on the MNIST layer 14x14x64 <-> 7x7x128 (0.82 GFLOP per
operation; 2-core x86 CPU, ms per call, at top level / inside a
``lax.scan``; ``experiments/benchmarks`` has the whole-step table):

==========================================  ==============  ============
operation                                   lax             matmul form
==========================================  ==============  ============
``conv`` (the forward)                      **2.3** / 2.5   4.4 / 3.2
``conv_t``: its input gradient              3.6 / 12        **2.1** / 1.9
``conv_w``: its kernel gradient             3.1 / 326       8.3 / 7.1
``conv_w``, canonical layout (below)        **2.5** / 2.6
kernel gradient of ``lax.conv_transpose``   78              8.3
==========================================  ==============  ============

Every derivative of a 4x4 stride-2 convolution, of any order, is one of three
bilinear maps of the same layer, written here for ``y = conv(x, W)`` with
``x: [B, H, W, C_x]``, ``y: [B, ceil(H/2), ceil(W/2), C_y]``,
``W: [4, 4, C_x, C_y]``:

.. math::

  \mathrm{conv}(x, W) = y, \qquad
  \mathrm{conv\_t}(g, W) = \partial_x \langle g, \mathrm{conv}(x, W)\rangle,
  \qquad
  \mathrm{conv\_w}(x, g) = \partial_W \langle g, \mathrm{conv}(x, W)\rangle,

and each one's partial derivatives are the other two: with
:math:`\langle a, \mathrm{conv}(x, W)\rangle = \langle \mathrm{conv\_t}(a, W),
x\rangle = \langle \mathrm{conv\_w}(x, a), W\rangle`,

* ``conv(x, W)``, cotangent ``y_bar``: ``(conv_t(y_bar, W), conv_w(x, y_bar))``;
* ``conv_t(g, W)``, cotangent ``x_bar``: ``(conv(x_bar, W), conv_w(x_bar, g))``;
* ``conv_w(x, g)``, cotangent ``W_bar``: ``(conv_t(g, W_bar), conv(x, W_bar))``.

So the three are ``jax.custom_vjp`` functions whose backward passes call each
other, and each is computed the fastest way measured: ``conv`` and ``conv_w``
by XLA's own convolution (``conv_w`` written out in the canonical layout,
which stays fast inside loops), ``conv_t`` on a CPU as a matrix multiply (the
transpose of :func:`conv_4x4_stride2_matmul`, :func:`conv_t_matmul`) and on
GPUs and TPUs as XLA's native input gradient (:func:`conv_t_native`: cuDNN
and the TPU run convolutions natively, and their matmul-plus-scatter form
would only add memory traffic; chosen per backend when the program is
lowered, with ``lax.platform_dependent``). A gradient penalty's double backward
(WGAN-GP, DRAGAN, R1) and the generator's kernel gradient therefore never
meet a slow form. The generator's transposed convolution is ``conv_t`` with
the kernel flipped and its channel axes swapped (the adjoint relation
above).

These layers are differentiable in reverse mode to any order
(``jax.grad``, ``jax.vjp``, Hessian-vector products as grad-of-grad);
``jax.custom_vjp`` functions do not support forward mode (``jax.jvp``,
``jax.jacfwd``). :func:`conv_4x4_stride2_matmul` and
:func:`conv_transpose_4x4_stride2_matmul` compute the same functions with
plain ``jnp`` operations, so every transformation applies to them.

References:
  Radford et al., "Unsupervised representation learning with deep
  convolutional GANs", ICLR 2016 (the 4x4 stride-2 layers); Dumoulin &
  Visin, "A guide to convolution arithmetic for deep learning",
  arXiv:1603.07285 (transposed convolution as the adjoint of convolution).
"""

from __future__ import annotations

import functools
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from flax.linen import dtypes as flax_dtypes
from jax import lax

_DIMENSION_NUMBERS = ("NHWC", "HWIO", "NHWC")


def space_to_depth(x: jax.Array) -> jax.Array:
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


def _same_padding(h: int, w: int) -> list[tuple[int, int]]:
  """'SAME' padding of a 4x4 stride-2 convolution of an ``h x w`` image.

  It pads ``2 o + 2 - n`` pixels in total (``o = ceil(n / 2)``), one of them
  before the image: ``(1, 1)`` for even ``n``, ``(1, 2)`` for odd ``n``.
  """
  return [(1, 2 * -(-n // 2) + 1 - n) for n in (h, w)]


def _check_conv_args(x: jax.Array, kernel: jax.Array, who: str) -> None:
  if x.ndim != 4:
    raise ValueError(f"{who}: x must be [B, H, W, C_in] (NHWC); got shape "
                     f"{tuple(x.shape)}.")
  if kernel.ndim != 4 or kernel.shape[:2] != (4, 4) or (
      kernel.shape[2] != x.shape[3]):
    raise ValueError(
        f"{who}: kernel must be [4, 4, C_in, C_out] (HWIO) with C_in = "
        f"{x.shape[3]} (the channels of x); got shape {tuple(kernel.shape)}.")


def conv_4x4_stride2_matmul(x: jax.Array, kernel: jax.Array) -> jax.Array:
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
  _check_conv_args(x, kernel, "conv_4x4_stride2_matmul")
  _, h, w, c = x.shape
  x = jnp.pad(x, [(0, 0), *_same_padding(h, w), (0, 0)])
  patches = _windows_2x2(space_to_depth(x))  # [B, oh, ow, (a, b, p, q, c)]
  w_mat = kernel.reshape(2, 2, 2, 2, c, -1).transpose(0, 2, 1, 3, 4, 5)
  return patches @ w_mat.reshape(16 * c, -1)


def conv_transpose_4x4_stride2_matmul(x: jax.Array, kernel: jax.Array) -> jax.Array:
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
  _check_conv_args(x, kernel, "conv_transpose_4x4_stride2_matmul")
  b, h, w, c = x.shape
  x = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
  patches = _windows_2x2(x)  # [B, H+1, W+1, (a, b, c)]
  w_mat = kernel.reshape(2, 2, 2, 2, c, -1).transpose(0, 2, 4, 1, 3, 5)
  z = patches @ w_mat.reshape(4 * c, -1)  # [B, H+1, W+1, (p, q, o)]
  z = z.reshape(b, h + 1, w + 1, 2, 2, -1)
  rows = [jnp.stack([z[:, p:p + h, q:q + w, p, q] for q in (0, 1)], axis=3)
          for p in (0, 1)]  # each [B, H, W, 2 (q), C_out]
  return jnp.stack(rows, axis=2).reshape(b, 2 * h, 2 * w, -1)


# ---------------------------------------------------------------------------
# The fast triple: conv, conv_t, conv_w as mutually-derivative custom_vjps.
# ---------------------------------------------------------------------------


def _lax_conv(x: jax.Array, w: jax.Array) -> jax.Array:
  return lax.conv_general_dilated(x, w, (2, 2), "SAME",
                                  dimension_numbers=_DIMENSION_NUMBERS)


@jax.custom_vjp
def _conv(x: jax.Array, w: jax.Array) -> jax.Array:
  """``y = conv(x, W)``, by XLA's convolution (its fastest form on CPU)."""
  return _lax_conv(x, w)


def conv_t_matmul(g: jax.Array, w: jax.Array, x_hw: tuple[int, int]) -> jax.Array:
  """``conv_t`` as the transpose of the matmul form: ``g @ W^T`` scattered
  back through the im2col windows (2x faster than XLA's input-dilated
  convolution on CPU; the form :func:`conv_4x4_stride2` uses there)."""
  x_shape = jax.ShapeDtypeStruct((g.shape[0], *x_hw, w.shape[2]), g.dtype)
  (x_bar,) = jax.linear_transpose(
      lambda x: conv_4x4_stride2_matmul(x, w), x_shape)(g)
  return x_bar


def conv_t_native(g: jax.Array, w: jax.Array, x_hw: tuple[int, int]) -> jax.Array:
  """``conv_t`` as XLA's own input gradient of its convolution (an
  input-dilated convolution: cuDNN's and the TPU's native kernel; the form
  :func:`conv_4x4_stride2` uses on every backend but the CPU)."""
  x_shape = jax.ShapeDtypeStruct((g.shape[0], *x_hw, w.shape[2]), g.dtype)
  (x_bar,) = jax.linear_transpose(lambda x: _lax_conv(x, w), x_shape)(g)
  return x_bar


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _conv_t(g: jax.Array, w: jax.Array, x_hw: tuple[int, int]) -> jax.Array:
  """``conv_t(g, W) = d/dx <g, conv(x, W)>`` for ``x: [B, *x_hw, C_x]``, in
  each backend's form (``lax.platform_dependent``: a program lowered for one
  platform holds that platform's form alone): the matmul form on CPU, XLA's
  native form elsewhere."""
  return lax.platform_dependent(
      g, w, cpu=lambda g, w: conv_t_matmul(g, w, x_hw),
      default=lambda g, w: conv_t_native(g, w, x_hw))


@jax.custom_vjp
def _conv_w(x: jax.Array, g: jax.Array) -> jax.Array:
  """``conv_w(x, g) = d/dW <g, conv(x, W)>``, by XLA's convolution.

  Written out in XLA's canonical layout: the batch is the contraction
  (feature) axis and ``C_x`` the batch axis, ``W[k] = sum_b,o x[b, 2o + k - 1]
  g[b, o]`` a stride-1 convolution of ``x`` with ``g`` dilated by 2. Left to
  ``jax.linear_transpose``, the same convolution comes out with permuted
  dimension labels, which XLA's CPU backend maps to its fast library kernel
  only outside loops: inside a ``lax.scan`` (a critic loop, several steps per
  call) it ran 100x slower.
  """
  w_t = lax.conv_general_dilated(
      x.transpose(3, 1, 2, 0),  # [C_x, H, W, B]: C_x as batch, B as feature.
      g.transpose(1, 2, 0, 3),  # [M, N, B, C_y]: HWIO with B as input.
      (1, 1), _same_padding(*x.shape[1:3]), rhs_dilation=(2, 2),
      dimension_numbers=_DIMENSION_NUMBERS)  # [C_x, 4, 4, C_y]
  return w_t.transpose(1, 2, 0, 3)


def _conv_fwd(x, w):
  return _conv(x, w), (x, w)


def _conv_bwd(res, y_bar):
  x, w = res
  return _conv_t(y_bar, w, x.shape[1:3]), _conv_w(x, y_bar)


def _conv_t_fwd(g, w, x_hw):
  return _conv_t(g, w, x_hw), (g, w)


def _conv_t_bwd(x_hw, res, x_bar):
  del x_hw
  g, w = res
  return _conv(x_bar, w), _conv_w(x_bar, g)


def _conv_w_fwd(x, g):
  return _conv_w(x, g), (x, g)


def _conv_w_bwd(res, w_bar):
  x, g = res
  return _conv_t(g, w_bar, x.shape[1:3]), _conv(x, w_bar)


_conv.defvjp(_conv_fwd, _conv_bwd)
_conv_t.defvjp(_conv_t_fwd, _conv_t_bwd)
_conv_w.defvjp(_conv_w_fwd, _conv_w_bwd)


def conv_4x4_stride2(x: jax.Array, kernel: jax.Array) -> jax.Array:
  """A 4x4 convolution with stride 2 and 'SAME' padding, fast to differentiate.

  Computes exactly ``lax.conv_general_dilated(x, kernel, (2, 2), 'SAME',
  dimension_numbers=('NHWC', 'HWIO', 'NHWC'))`` (``flax.linen.Conv(...,
  (4, 4), strides=(2, 2), padding='SAME')`` without its bias), with reverse-
  mode derivatives of every order routed through the fastest form of each
  (see the module docstring). Not forward-mode differentiable; use
  :func:`conv_4x4_stride2_matmul` for ``jax.jvp``.

  Args:
    x: images ``[B, H, W, C_in]`` (NHWC), any ``H, W >= 1``.
    kernel: ``[4, 4, C_in, C_out]`` (HWIO, Flax's ``Conv`` layout).

  Returns:
    ``[B, ceil(H / 2), ceil(W / 2), C_out]``.

  Raises:
    ValueError: if ``x`` is not rank 4 or ``kernel`` is not
      ``[4, 4, C_in, C_out]``.
  """
  _check_conv_args(x, kernel, "conv_4x4_stride2")
  return _conv(x, kernel)


def conv_transpose_4x4_stride2(x: jax.Array, kernel: jax.Array) -> jax.Array:
  """A 4x4 transposed convolution, stride 2, 'SAME', fast to differentiate.

  Computes exactly ``lax.conv_transpose(x, kernel, (2, 2), 'SAME',
  dimension_numbers=('NHWC', 'HWIO', 'NHWC'))`` (``flax.linen.ConvTranspose(
  ..., (4, 4), strides=(2, 2), padding='SAME')`` without its bias,
  ``transpose_kernel=False``). That is the input gradient of the 4x4
  stride-2 convolution from ``[B, 2H, 2W, C_out]`` to ``[B, H, W, C_in]``
  whose kernel is ``kernel`` flipped in both spatial axes with its channel
  axes swapped, so it is computed as ``conv_t`` of the module docstring, and
  its kernel gradient is XLA's fast strided-convolution kernel gradient
  instead of the 100x slower one of the dilated convolution. Not forward-
  mode differentiable; use :func:`conv_transpose_4x4_stride2_matmul` for
  ``jax.jvp``.

  Args:
    x: feature maps ``[B, H, W, C_in]`` (NHWC).
    kernel: ``[4, 4, C_in, C_out]`` (HWIO, Flax's ``ConvTranspose`` layout
      with ``transpose_kernel=False``).

  Returns:
    ``[B, 2H, 2W, C_out]``.

  Raises:
    ValueError: if ``x`` is not rank 4 or ``kernel`` is not
      ``[4, 4, C_in, C_out]``.
  """
  _check_conv_args(x, kernel, "conv_transpose_4x4_stride2")
  adjoint_kernel = jnp.swapaxes(kernel[::-1, ::-1], 2, 3)
  return _conv_t(x, adjoint_kernel, (2 * x.shape[1], 2 * x.shape[2]))


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
  computed by :func:`conv_4x4_stride2` (fast reverse-mode derivatives of every
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
  :func:`conv_transpose_4x4_stride2` (fast reverse-mode derivatives of
  every order on CPU).

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
