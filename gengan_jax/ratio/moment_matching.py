r"""Moment matching: one entry point for MMD two-sample estimates.

:func:`mmd2_estimate` picks a kernel by name and a bandwidth (a number, a
tuple of numbers, or ``'median'`` for the median heuristic) and an estimator
(``'unbiased'``, ``'biased'`` or ``'linear'``). The kernels and estimators
are in :mod:`gengan_jax.losses.kernels` and :mod:`gengan_jax.losses.mmd`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp

from gengan_jax.losses import kernels as kernels_lib
from gengan_jax.losses import mmd as mmd_lib

__all__ = ["KERNELS", "ESTIMATORS", "make_kernel", "mmd2_estimate"]

KERNELS: tuple[str, ...] = ("gaussian", "inverse_multiquadric", "rational_quadratic")
ESTIMATORS: tuple[str, ...] = ("unbiased", "biased", "linear")


def make_kernel(name: str, scale: float | Sequence[float] = 1.0
                ) -> Callable[[jax.Array, jax.Array], jax.Array]:
  """Returns ``kernel(x, y) -> [N, M]`` for a kernel name and its scale(s).

  ``scale`` is the bandwidth ``h`` (``'gaussian'``), ``c``
  (``'inverse_multiquadric'``) or ``alpha`` (``'rational_quadratic'``, with
  length scale 1); a sequence gives the sum of the kernels.

  Raises:
    ValueError: unknown ``name`` (the valid ones are listed).
  """
  if name == "gaussian":
    return functools.partial(kernels_lib.gaussian_kernel, bandwidth=scale)
  if name == "inverse_multiquadric":
    return functools.partial(kernels_lib.inverse_multiquadric_kernel, scale=scale)
  if name == "rational_quadratic":
    return functools.partial(kernels_lib.rational_quadratic_kernel, alpha=scale)
  raise ValueError(f"`kernel`={name!r} is not a known kernel; valid choices are "
                   f"{', '.join(repr(k) for k in KERNELS)}.")


def mmd2_estimate(
    x: jax.typing.ArrayLike,
    y: jax.typing.ArrayLike,
    *,
    kernel: str = "gaussian",
    bandwidth: float | Sequence[float] | str = "median",
    estimator: str = "unbiased",
) -> jax.Array:
  r"""Squared MMD between two samples with a named kernel and estimator.

  .. math::

    \widehat{\mathrm{MMD}}^2(x, y) \text{ with } k = \text{kernel}(h),
    \quad h = \mathrm{median}_{i<j} \lVert z_i - z_j \rVert
    \text{ if bandwidth = 'median'}

  (``'median'`` applies to the Gaussian kernel's bandwidth only.)

  Args:
    x: samples of ``P``, ``[N, ...]``.
    y: samples of ``Q``, ``[M, ...]`` (``M = N`` for ``'linear'``).
    kernel: one of :data:`KERNELS`.
    bandwidth: the kernel's scale(s), or ``'median'`` (Gaussian only).
    estimator: one of :data:`ESTIMATORS`.

  Returns:
    The estimate, a scalar (for ``'linear'`` the mean of the per-pair terms).

  Raises:
    ValueError: unknown ``kernel`` or ``estimator`` (the valid ones are
      named), or ``'median'`` with a non-Gaussian kernel.

  References:
    Gretton et al., "A Kernel Two-Sample Test", JMLR 2012, eq. (3), (5) and
    Lemma 14; Sec. 8 (median heuristic).
  """
  if estimator not in ESTIMATORS:
    raise ValueError(f"`estimator`={estimator!r} is invalid; valid choices are "
                     f"{', '.join(repr(e) for e in ESTIMATORS)}.")
  if isinstance(bandwidth, str):
    if bandwidth != "median":
      raise ValueError(f"`bandwidth`={bandwidth!r} is invalid: pass a positive "
                       "number, a sequence of them, or 'median'.")
    if kernel != "gaussian":
      raise ValueError(f"`bandwidth`='median' is only defined for "
                       f"kernel='gaussian', got kernel={kernel!r}.")
    bandwidth = kernels_lib.median_heuristic(x, y)
  k = make_kernel(kernel, bandwidth)
  if estimator == "linear":
    return jnp.mean(mmd_lib.mmd2_linear(x, y, k))
  return mmd_lib.mmd2(x, y, k, unbiased=estimator == "unbiased")
