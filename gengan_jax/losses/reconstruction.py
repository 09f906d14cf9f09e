"""Reconstruction losses between examples and their reconstructions.

All functions are pure and return one value per example (shape ``[B]``); the
caller reduces. Inputs must have identical shapes (no broadcasting), which
catches the common bug of comparing ``[B, D]`` with ``[B, 1, D]``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gengan_jax.losses import _checks

__all__ = [
    "l1_reconstruction",
    "l2_reconstruction",
    "cosine_distance",
]


def _non_batch_axes(x: jax.Array) -> tuple[int, ...]:
  return tuple(range(1, x.ndim))


def l1_reconstruction(
    x: jax.typing.ArrayLike, x_rec: jax.typing.ArrayLike
) -> jax.Array:
  r"""Per-example L1 reconstruction error, summed over non-batch axes.

  .. math::

    \ell_i = \lVert x_i - \hat x_i \rVert_1 = \sum_j |x_{ij} - \hat x_{ij}|

  This is, up to a constant and a scale, the negative log-likelihood of a
  factorised Laplace decoder. Per-example: the sum runs over every axis but
  the first; no reduction over the batch is applied, the caller reduces.

  Args:
    x: examples, shape ``[B, ...]``.
    x_rec: reconstructions, same shape as ``x``.

  Returns:
    Per-example errors, shape ``[B]``.

  Raises:
    ValueError: if the shapes differ (both are named) or ``x`` is a scalar.

  References:
    Rosca et al., "Variational Approaches for Auto-Encoding Generative
    Adversarial Networks", arXiv:1706.04987, 2017, Algorithm 1 (the
    ``lambda ||x - G(E(x))||_1`` term).
    Ulyanov et al., "It Takes (Only) Two: Adversarial Generator-Encoder
    Networks", AAAI 2018 (the data-space reconstruction loss).
  """
  x = _checks.as_float_array(x, "x")
  x_rec = _checks.as_float_array(x_rec, "x_rec")
  _checks.check_same_shape(x, x_rec, "x", "x_rec")
  _checks.check_min_rank(x, 1, "x", "[B, ...]")
  return jnp.sum(jnp.abs(x - x_rec), axis=_non_batch_axes(x))


def l2_reconstruction(
    x: jax.typing.ArrayLike, x_rec: jax.typing.ArrayLike
) -> jax.Array:
  r"""Per-example squared L2 reconstruction error, summed over non-batch axes.

  .. math::

    \ell_i = \lVert x_i - \hat x_i \rVert_2^2
            = \sum_j (x_{ij} - \hat x_{ij})^2

  This is the *squared* norm (no square root): twice the negative
  log-likelihood of a unit-variance factorised Gaussian decoder, up to a
  constant. Per-example: the sum runs over every axis but the first; no
  reduction over the batch is applied, the caller reduces.

  Args:
    x: examples, shape ``[B, ...]``.
    x_rec: reconstructions, same shape as ``x``.

  Returns:
    Per-example errors, shape ``[B]``.

  Raises:
    ValueError: if the shapes differ (both are named) or ``x`` is a scalar.

  References:
    Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014,
    Appendix C.2 (Gaussian MLP decoder).
    Ulyanov et al., "It Takes (Only) Two: Adversarial Generator-Encoder
    Networks", AAAI 2018 (the latent-space reconstruction loss).
  """
  x = _checks.as_float_array(x, "x")
  x_rec = _checks.as_float_array(x_rec, "x_rec")
  _checks.check_same_shape(x, x_rec, "x", "x_rec")
  _checks.check_min_rank(x, 1, "x", "[B, ...]")
  return jnp.sum(jnp.square(x - x_rec), axis=_non_batch_axes(x))


def cosine_distance(
    z: jax.typing.ArrayLike,
    z_rec: jax.typing.ArrayLike,
    *,
    eps: float = 1e-8,
) -> jax.Array:
  r"""Per-example cosine distance over the last axis.

  .. math::

    \ell_i = 1 - \frac{\langle z_i, \hat z_i \rangle}
                      {\max(\lVert z_i \rVert_2 \lVert \hat z_i \rVert_2,
                             \epsilon)}

  The value lies in ``[0, 2]`` (up to rounding): 0 for parallel vectors, 1
  for orthogonal, 2 for opposite. It ignores the vectors' lengths, which
  suits codes that live on the unit sphere, as in AGE. ``eps`` guards the
  division: a zero vector gives distance 1 and a finite gradient (the
  product of squared norms is clamped at ``eps**2`` before a reciprocal
  square root, so no ``sqrt(0)`` is differentiated). In float16 ``eps**2``
  underflows; pass a larger ``eps`` there.
  Per-example: no reduction over the batch is applied; the caller reduces.

  Args:
    z: codes, shape ``[B, K]`` (more generally ``[..., K]``).
    z_rec: reconstructed codes, same shape as ``z``.
    eps: lower bound on the product of the norms, ``> 0``.

  Returns:
    Per-example distances, shape ``[B]`` (``z.shape[:-1]``).

  Raises:
    ValueError: if the shapes differ (both are named), ``z`` is a scalar or
      ``eps <= 0``.

  References:
    Ulyanov et al., "It Takes (Only) Two: Adversarial Generator-Encoder
    Networks", AAAI 2018, arXiv:1704.02304 (code reconstruction on the unit
    sphere, compared by cosine distance).
  """
  z = _checks.as_float_array(z, "z")
  z_rec = _checks.as_float_array(z_rec, "z_rec")
  _checks.check_same_shape(z, z_rec, "z", "z_rec")
  _checks.check_min_rank(z, 1, "z", "[B, K]")
  _checks.check_positive_float(eps, "eps", allow_zero=False)
  dot = jnp.sum(z * z_rec, axis=-1)
  sq_norm_prod = jnp.sum(jnp.square(z), axis=-1) * jnp.sum(
      jnp.square(z_rec), axis=-1
  )
  inv_norm_prod = jax.lax.rsqrt(jnp.maximum(sq_norm_prod, jnp.square(eps)))
  return 1 - dot * inv_norm_prod
