r"""Moment matching: maximum mean discrepancy (MMD) estimators.

For a kernel ``k`` with feature map ``phi`` (an RKHS), the squared MMD is the
squared distance between mean embeddings:

.. math::

  \mathrm{MMD}^2(P, Q) = \lVert \mathbb{E}_P \phi(x) - \mathbb{E}_Q \phi(y) \rVert^2
  = \mathbb{E}[k(x, x')] + \mathbb{E}[k(y, y')] - 2 \mathbb{E}[k(x, y)],

zero iff ``P = Q`` for a characteristic kernel. ``kernel`` arguments are
callables ``kernel(x [N, ...], y [M, ...]) -> [N, M]``, e.g.
``functools.partial(losses.gaussian_kernel, bandwidth=(0.5, 1.0, 2.0))``.

The quadratic-time estimators return a scalar (an estimate over the whole
batch, with no per-example value); :func:`mmd2_linear` returns one term per
pair of examples, whose mean is the estimate.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from gengan_jax.losses import _checks
from gengan_jax.losses.kernels import replicated

__all__ = ["mmd2", "mmd2_linear", "feature_mmd2"]

Kernel = Callable[[jax.Array, jax.Array], jax.Array]


def _check_kernel(kernel) -> None:
  if not callable(kernel):
    raise TypeError("`kernel` must be callable, mapping (x [N, ...], y [M, ...]) "
                    f"-> [N, M], got {type(kernel).__name__}.")


def _check_pair(x, y, *, min_size: int) -> tuple[jax.Array, jax.Array]:
  x = _checks.as_float_array(x, "x")
  y = _checks.as_float_array(y, "y")
  _checks.check_min_rank(x, 1, "x", "[N, ...]")
  _checks.check_min_rank(y, 1, "y", "[M, ...]")
  if x.shape[1:] != y.shape[1:]:
    raise ValueError(f"`x` and `y` must have the same example shape, got "
                     f"x.shape={x.shape} and y.shape={y.shape}.")
  if x.shape[0] < min_size or y.shape[0] < min_size:
    raise ValueError(f"`x` and `y` need at least {min_size} examples each, got "
                     f"{x.shape[0]} and {y.shape[0]}.")
  return replicated(x), replicated(y)


def mmd2(
    x: jax.typing.ArrayLike,
    y: jax.typing.ArrayLike,
    kernel: Kernel,
    *,
    unbiased: bool = True,
) -> jax.Array:
  r"""Squared MMD between two samples: the unbiased U-statistic or the biased V-statistic.

  .. math::

    \widehat{\mathrm{MMD}}^2_u = \frac{1}{n(n-1)} \sum_{i \ne i'} k(x_i, x_{i'})
      + \frac{1}{m(m-1)} \sum_{j \ne j'} k(y_j, y_{j'})
      - \frac{2}{nm} \sum_{i, j} k(x_i, y_j)

  (``unbiased=True``; can be negative), or with the diagonals included and
  ``1/n^2``, ``1/m^2`` (``unbiased=False``; always ``>= 0``, biased upwards
  by ``O(1/n)``).

  A scalar: a statistic of the two samples (no per-example value).

  Args:
    x: samples from ``P``, ``[N, ...]``.
    y: samples from ``Q``, ``[M, ...]`` (the same example shape).
    kernel: ``kernel(x, y) -> [N, M]`` Gram matrix.
    unbiased: the U-statistic (default) or the V-statistic.

  Returns:
    The estimate, a scalar.

  Raises:
    ValueError: different example shapes, or fewer than 2 examples in a
      sample when ``unbiased``.
    TypeError: non-callable ``kernel`` or non-floating samples.

  References:
    Gretton, Borgwardt, Rasch, Schoelkopf & Smola, "A Kernel Two-Sample
    Test", JMLR 2012, Lemma 6 (eq. 3, the unbiased estimate) and eq. (5)
    (the biased estimate).
  """
  _check_kernel(kernel)
  x, y = _check_pair(x, y, min_size=2 if unbiased else 1)
  n, m = x.shape[0], y.shape[0]
  k_xx, k_yy, k_xy = kernel(x, x), kernel(y, y), kernel(x, y)
  if unbiased:
    term_xx = (jnp.sum(k_xx) - jnp.trace(k_xx)) / (n * (n - 1))
    term_yy = (jnp.sum(k_yy) - jnp.trace(k_yy)) / (m * (m - 1))
  else:
    term_xx = jnp.mean(k_xx)
    term_yy = jnp.mean(k_yy)
  return term_xx + term_yy - 2 * jnp.mean(k_xy)


def mmd2_linear(
    x: jax.typing.ArrayLike,
    y: jax.typing.ArrayLike,
    kernel: Kernel,
) -> jax.Array:
  r"""Linear-time unbiased MMD^2 terms, one per pair of examples.

  .. math::

    h_i = k(x_{2i-1}, x_{2i}) + k(y_{2i-1}, y_{2i})
      - k(x_{2i-1}, y_{2i}) - k(x_{2i}, y_{2i-1}),
    \qquad \widehat{\mathrm{MMD}}^2_l = \frac{1}{\lfloor n/2 \rfloor} \sum_i h_i

  Each ``h_i`` is an unbiased estimate of ``MMD^2``; the kernel is evaluated
  only on ``4 * floor(n / 2)`` pairs. With an odd ``n`` the last example is
  unused.

  Per-pair: returns ``[n // 2]`` terms; the caller takes the mean.

  Args:
    x: samples from ``P``, ``[N, ...]``.
    y: samples from ``Q``, the same shape as ``x``.
    kernel: ``kernel(x, y) -> [N, M]``; it is called on single pairs.

  Returns:
    ``[N // 2]`` terms ``h_i``.

  Raises:
    ValueError: ``x`` and ``y`` shapes differ, or fewer than 2 examples.

  References:
    Gretton et al., "A Kernel Two-Sample Test", JMLR 2012, Lemma 14 (eq. 8).
  """
  _check_kernel(kernel)
  x, y = _check_pair(x, y, min_size=2)
  _checks.check_same_shape(x, y, "x", "y")
  half = x.shape[0] // 2
  x1, x2 = x[0:2 * half:2], x[1:2 * half:2]
  y1, y2 = y[0:2 * half:2], y[1:2 * half:2]
  k = jax.vmap(lambda a, b: kernel(a[None], b[None])[0, 0])
  return k(x1, x2) + k(y1, y2) - k(x1, y2) - k(x2, y1)


def feature_mmd2(
    feature_fn: Callable[[jax.Array], jax.Array],
    x: jax.typing.ArrayLike,
    y: jax.typing.ArrayLike,
    kernel: Kernel,
    *,
    unbiased: bool = True,
) -> jax.Array:
  r"""MMD^2 with a learned kernel ``k(f(x), f(y))`` on features ``f`` (MMD-GAN).

  .. math::

    \widehat{\mathrm{MMD}}^2_{k \circ f}(x, y) = \widehat{\mathrm{MMD}}^2_k(f(x), f(y))

  The MMD-GAN critic maximises it over the parameters ``f`` closes over
  (keep ``f`` injective, e.g. by clipping or an auto-encoder, so the learned
  kernel stays characteristic); the generator minimises it. Differentiable
  with respect to ``x``, ``y`` and ``f``'s parameters. A scalar.

  Args:
    feature_fn: maps a batch ``[N, ...]`` to features ``[N, K]``.
    x: samples from ``P``, ``[N, ...]``.
    y: samples from ``Q``, ``[M, ...]``.
    kernel: the base kernel on features.
    unbiased: as for :func:`mmd2`.

  Returns:
    The estimate, a scalar.

  Raises:
    TypeError: non-callable ``feature_fn`` or ``kernel``.

  References:
    Li, Chang, Cheng, Yang & Poczos, "MMD GAN: Towards Deeper Understanding
    of Moment Matching Network", NeurIPS 2017, eq. (3) and Algorithm 1.
  """
  if not callable(feature_fn):
    raise TypeError("`feature_fn` must be callable, mapping [N, ...] -> [N, K], "
                    f"got {type(feature_fn).__name__}.")
  return mmd2(feature_fn(x), feature_fn(y), kernel, unbiased=unbiased)
