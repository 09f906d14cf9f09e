r"""Uniform dequantisation and the logit transform: a flow's view of 8-bit images.

A flow has a density on a continuous space; 8-bit pixels are discrete. This
library keeps pixels in ``[-1, 1]`` (pixel ``k`` in ``{0, ..., 255}`` is
``k / 127.5 - 1``). Here each pixel owns the cell

.. math::

  C_k = \Big[\tfrac{2k}{256} - 1,\ \tfrac{2(k + 1)}{256} - 1\Big),
  \qquad k = 0, \dots, 255,

of width ``Delta = 2 / 256``; the cells tile ``[-1, 1)``, the *continuous
data space* of the flows. Uniform dequantisation (Theis et al. 2016, Sec.
3.1; Dinh et al. 2017, Sec. 4.1) draws ``x_c = 2 (k + u) / 256 - 1`` with
``u ~ U[0, 1)``, so that for any density ``p`` on that space

.. math::

  \log P(k) \ge \mathbb E_u \log p(x_c) + D \log \Delta,

and bits per dimension in 8-bit space are
``gengan_jax.metrics.bits_per_dim(log p(x_c), D, data_range_bins=256,
data_range=2.0)``.

Real NVP does not model ``x_c`` itself but (Dinh et al. 2017, Sec. 4.1, with
``alpha = 0.05``)

.. math::

  y = \operatorname{logit}\big(\alpha + (1 - \alpha)\, \tfrac{x_c + 1}{2}\big),

to keep away from the boundary of the unit cube. With ``p = alpha + (1 -
alpha)(x_c + 1)/2`` the map is elementwise with
``dy/dx_c = (1 - alpha) / (2 p (1 - p))``, so

.. math::

  \log p_X(x_c) = \log p_Y(y) + \sum_d \Big[\log\tfrac{1 - \alpha}{2}
    - \log p_d - \log(1 - p_d)\Big].

:func:`logit_transform` returns ``y`` and that sum (per example);
:func:`inverse_logit_transform` maps back; :func:`dequantize` and
:func:`quantize` move between the pixel grid and the continuous space.

References:
  Dinh, Sohl-Dickstein & Bengio, "Density estimation using Real NVP", ICLR
  2017, Sec. 4.1. Theis, van den Oord & Bethge, "A note on the evaluation of
  generative models", ICLR 2016, Sec. 3.1.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from gengan_jax.losses import _checks

__all__ = ["dequantize", "inverse_logit_transform", "logit_transform", "quantize"]

# The largest value dequantize returns: float32 rounds 255 + u to 256 for u
# within 2^-17 of 1, and the logit of the top of the range is infinite.
_UPPER = 1.0 - 2.0**-20


def _check_bins(bins: int) -> int:
  if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
    raise ValueError(f"`bins` must be an int >= 2 (256 for 8-bit pixels), got {bins!r}.")
  return bins


def _check_alpha(alpha: float) -> float:
  if not 0.0 <= alpha < 1.0:
    raise ValueError(f"`alpha` must be in [0, 1) (Dinh et al. use 0.05), got {alpha!r}.")
  return float(alpha)


def dequantize(x: jax.typing.ArrayLike, key: jax.Array, *, bins: int = 256) -> jax.Array:
  r"""Uniform dequantisation of pixels in ``[-1, 1]`` into their cells.

  .. math::

    k = \operatorname{round}\big((x + 1)\tfrac{\mathrm{bins} - 1}{2}\big), \quad
    x_c = \tfrac{2 (k + u)}{\mathrm{bins}} - 1, \quad u \sim U[0, 1)

  elementwise, independently for every pixel. Values are kept below
  ``1 - 2^-20`` (float32 would round the top of the last cell to 1, where
  the logit is infinite).

  Args:
    x: pixels on the grid ``k / ((bins - 1) / 2) - 1`` (the library's
      ``[-1, 1]`` images), any shape ``[B, ...]``.
    key: a ``jax.random.key``.
    bins: number of pixel values (256 for 8 bits).

  Returns:
    ``x_c`` in ``[-1, 1)``, the shape of ``x``; ``x_c`` lies in the cell of
    ``x``'s pixel.
  """
  x = _checks.as_float_array(x, "x")
  bins = _check_bins(bins)
  k = jnp.clip(jnp.round((x + 1.0) * ((bins - 1) / 2.0)), 0, bins - 1)
  u = jax.random.uniform(key, x.shape, x.dtype)
  return jnp.minimum(2.0 * (k + u) / bins - 1.0, _UPPER)


def quantize(x_c: jax.typing.ArrayLike, *, bins: int = 256) -> jax.Array:
  r"""The pixel whose cell holds ``x_c``: the inverse of :func:`dequantize`.

  .. math::

    k = \operatorname{clip}\big(\lfloor (x_c + 1)\,\mathrm{bins} / 2 \rfloor,
      0, \mathrm{bins} - 1\big), \qquad x = \tfrac{2k}{\mathrm{bins} - 1} - 1.

  Values outside ``[-1, 1)`` go to the nearest end pixel.

  Args:
    x_c: values in the continuous data space, any shape.
    bins: number of pixel values.

  Returns:
    Pixels in ``[-1, 1]`` on the library's grid, the shape of ``x_c``.
  """
  x_c = _checks.as_float_array(x_c, "x_c")
  bins = _check_bins(bins)
  k = jnp.clip(jnp.floor((x_c + 1.0) * (bins / 2.0)), 0, bins - 1)
  return k / ((bins - 1) / 2.0) - 1.0  # as the library maps pixels: k / 127.5 - 1


def logit_transform(x_c: jax.typing.ArrayLike, *,
                    alpha: float = 0.05) -> tuple[jax.Array, jax.Array]:
  r"""Real NVP's logit transform of ``x_c`` in ``[-1, 1)`` and its log-Jacobian.

  .. math::

    p = \alpha + (1 - \alpha)\tfrac{x_c + 1}{2}, \qquad
    y = \log p - \log(1 - p), \qquad
    \log\Big|\det \tfrac{\partial y}{\partial x_c}\Big|
      = \sum_d \Big[\log\tfrac{1 - \alpha}{2} - \log p_d - \log(1 - p_d)\Big]

  so that ``log p_X(x_c) = log p_Y(y) + log|det|`` for a density ``p_Y`` on
  ``y``. ``1 - p`` is computed as ``(1 - alpha)(1 - x_c) / 2`` (no
  cancellation near the top).

  Args:
    x_c: dequantised values in ``[-1, 1)``, shape ``[B, ...]``.
    alpha: the boundary margin (0.05 in Dinh et al. 2017, Sec. 4.1).

  Returns:
    ``(y, log_det)``: ``y`` of the shape of ``x_c``, and the log-determinant
    of each example's Jacobian, ``[B]`` (per example, summed over every
    other axis; the caller reduces over the batch).
  """
  x_c = _checks.as_float_array(x_c, "x_c")
  _checks.check_min_rank(x_c, 1, "x_c", "[B, ...]")
  alpha = _check_alpha(alpha)
  p = alpha + (1.0 - alpha) * (x_c + 1.0) / 2.0
  one_minus_p = (1.0 - alpha) * (1.0 - x_c) / 2.0
  log_p, log_1mp = jnp.log(p), jnp.log(one_minus_p)
  log_det = jnp.sum(math.log((1.0 - alpha) / 2.0) - log_p - log_1mp,
                    axis=tuple(range(1, x_c.ndim)))
  return log_p - log_1mp, log_det


def inverse_logit_transform(y: jax.typing.ArrayLike, *, alpha: float = 0.05) -> jax.Array:
  r"""``x_c`` from ``y``: the inverse of :func:`logit_transform`.

  .. math::

    x_c = 2\,\frac{\sigma(y) - \alpha}{1 - \alpha} - 1

  Every real ``y`` maps into ``(-1 - 2 alpha / (1 - alpha), 1)``; values
  below ``-1`` are outside the data space (a model's samples there go to
  pixel 0 under :func:`quantize`).

  Args:
    y: values in logit space, any shape.
    alpha: the margin used by :func:`logit_transform`.

  Returns:
    ``x_c``, the shape of ``y``.
  """
  y = _checks.as_float_array(y, "y")
  alpha = _check_alpha(alpha)
  return 2.0 * (jax.nn.sigmoid(y) - alpha) / (1.0 - alpha) - 1.0
