r"""Characteristic kernels for moment matching (MMD), as Gram matrices.

Every kernel maps two sample sets ``x [N, ...]`` and ``y [M, ...]`` (flattened
to ``[N, D]`` and ``[M, D]``) to the Gram matrix ``K[i, j] = k(x_i, y_j)``,
shape ``[N, M]``. A kernel with a tuple of scales is the *sum* of the kernels
at each scale (Li, Swersky & Zemel 2015; Li et al. 2017; Binkowski et al.
2018), which is again characteristic. Bind the scales with
``functools.partial`` to get a ``kernel(x, y)`` for :mod:`~gengan_jax.losses.mmd`.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from gengan_jax.losses import _checks

__all__ = [
    "squared_distances",
    "median_heuristic",
    "gaussian_kernel",
    "inverse_multiquadric_kernel",
    "rational_quadratic_kernel",
]

Scales = float | Sequence[float] | jax.Array


def replicated(x: jax.Array) -> jax.Array:
  """``x`` with any explicit sharding of its axes removed (all-gathered).

  A Gram matrix pairs every example with every other, so two batches that
  are split over the same mesh axis cannot index its rows and columns at
  once. Under a mesh with explicit axes (``jax.make_mesh``'s default) the
  inputs are gathered first; elsewhere this is the identity.
  """
  sharding = jax.typeof(x).sharding
  spec = getattr(sharding, "spec", None)
  mesh = getattr(sharding, "mesh", None)
  if spec is None or mesh is None or mesh.empty or all(p is None for p in spec):
    return x
  return jax.sharding.reshard(x, jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec()))


def _flatten_pair(x, y) -> tuple[jax.Array, jax.Array]:
  x = _checks.as_float_array(x, "x")
  y = _checks.as_float_array(y, "y")
  _checks.check_min_rank(x, 1, "x", "[N, ...]")
  _checks.check_min_rank(y, 1, "y", "[M, ...]")
  x = replicated(x).reshape(x.shape[0], -1)
  y = replicated(y).reshape(y.shape[0], -1)
  if x.shape[1] != y.shape[1]:
    raise ValueError(f"`x` and `y` must have the same number of features per "
                     f"example, got x: {x.shape[1]}, y: {y.shape[1]}.")
  return x, y


def squared_distances(x: jax.typing.ArrayLike, y: jax.typing.ArrayLike) -> jax.Array:
  r"""Pairwise squared Euclidean distances ``||x_i - y_j||^2``, ``[N, M]``.

  Computed as ``|x|^2 + |y|^2 - 2 x.y`` (one matrix product) and clipped at
  0 against rounding.

  Args:
    x: ``[N, ...]`` (flattened per example).
    y: ``[M, ...]``, the same number of features as ``x``.

  Returns:
    ``[N, M]`` squared distances.
  """
  x, y = _flatten_pair(x, y)
  xx = jnp.sum(x * x, axis=1)[:, None]
  yy = jnp.sum(y * y, axis=1)[None, :]
  return jnp.maximum(xx + yy - 2 * x @ y.T, 0.0)


def median_heuristic(x: jax.typing.ArrayLike, y: jax.typing.ArrayLike) -> jax.Array:
  r"""The median heuristic bandwidth: the median distance in the pooled sample.

  .. math::

    h = \mathrm{median}\{\lVert z_i - z_j \rVert : i < j\},
    \qquad z = x \cup y

  The result is wrapped in ``stop_gradient``: it sets a scale, it is not a
  quantity to differentiate through. A scalar (a statistic of the batch).

  Args:
    x: ``[N, ...]``.
    y: ``[M, ...]``.

  Returns:
    ``h``, a scalar.

  References:
    Gretton et al., "A Kernel Two-Sample Test", JMLR 2012, Sec. 8
    (the median distance between points in the aggregate sample).
  """
  x, y = _flatten_pair(x, y)
  z = jnp.concatenate([x, y], axis=0)
  d2 = squared_distances(z, z)
  n = z.shape[0]
  iu = jnp.triu_indices(n, k=1)
  return jax.lax.stop_gradient(jnp.sqrt(jnp.median(d2[iu])))


def _scales(value: Scales, name: str) -> jax.Array:
  arr = jnp.atleast_1d(jnp.asarray(value, dtype=jnp.float32)
                       if not isinstance(value, jax.Array) else value)
  if arr.ndim != 1:
    raise ValueError(f"`{name}` must be a positive number or a 1-D sequence of "
                     f"them, got shape {arr.shape}.")
  if not isinstance(arr, jax.core.Tracer) and not bool(jnp.all(arr > 0)):
    raise ValueError(f"`{name}` must be > 0, got {value!r}.")
  return arr


def gaussian_kernel(
    x: jax.typing.ArrayLike,
    y: jax.typing.ArrayLike,
    *,
    bandwidth: Scales = 1.0,
) -> jax.Array:
  r"""Gaussian (RBF) kernel, or a sum over several bandwidths.

  .. math::

    k(x, y) = \sum_{h \in H} \exp\left(-\frac{\lVert x - y \rVert^2}{2 h^2}\right)

  Args:
    x: ``[N, ...]``.
    y: ``[M, ...]``.
    bandwidth: ``h > 0`` or a sequence ``H`` of them (e.g. from
      :func:`median_heuristic`).

  Returns:
    The Gram matrix, ``[N, M]``.

  Raises:
    ValueError: non-positive bandwidths, or feature sizes that differ.

  References:
    Gretton et al., JMLR 2012, Sec. 2 and 8. Li, Swersky & Zemel,
    "Generative Moment Matching Networks", ICML 2015, Sec. 3 (a mixture of
    Gaussian kernels with several bandwidths).
  """
  h = _scales(bandwidth, "bandwidth")
  d2 = squared_distances(x, y)
  return jnp.sum(jnp.exp(-d2[..., None] / (2 * jnp.square(h).astype(d2.dtype))), axis=-1)


def inverse_multiquadric_kernel(
    x: jax.typing.ArrayLike,
    y: jax.typing.ArrayLike,
    *,
    scale: Scales = 1.0,
) -> jax.Array:
  r"""Inverse multiquadric (IMQ) kernel, or a sum over several scales.

  .. math::

    k(x, y) = \sum_{c \in C} \frac{c}{c + \lVert x - y \rVert^2}

  Heavy-tailed: unlike the Gaussian kernel its gradient does not vanish far
  from the data. ``c = 2 d sigma^2`` (``d`` the dimension, ``sigma^2`` the
  prior variance) is Tolstikhin et al.'s choice for latent codes.

  Args:
    x: ``[N, ...]``.
    y: ``[M, ...]``.
    scale: ``c > 0`` or a sequence ``C`` of them.

  Returns:
    The Gram matrix, ``[N, M]``.

  References:
    Tolstikhin, Bousquet, Gelly & Schoelkopf, "Wasserstein Auto-Encoders",
    ICLR 2018, Sec. 4 (IMQ kernel ``C / (C + ||x - y||^2)``). Gorham & Mackey,
    "Measuring sample quality with kernels", ICML 2017 (IMQ).
  """
  c = _scales(scale, "scale")
  d2 = squared_distances(x, y)
  c = c.astype(d2.dtype)
  return jnp.sum(c / (c + d2[..., None]), axis=-1)


def rational_quadratic_kernel(
    x: jax.typing.ArrayLike,
    y: jax.typing.ArrayLike,
    *,
    alpha: Scales = 1.0,
    length_scale: float = 1.0,
) -> jax.Array:
  r"""Rational quadratic kernel, or a sum over several shape parameters.

  .. math::

    k(x, y) = \sum_{\alpha \in A}
      \left(1 + \frac{\lVert x - y \rVert^2}{2 \alpha \ell^2}\right)^{-\alpha}

  A scale mixture of Gaussian kernels; ``alpha -> inf`` gives the Gaussian
  kernel of bandwidth ``l``. Binkowski et al. use ``A = {0.2, 0.5, 1, 2, 5}``
  and ``l = 1``.

  Args:
    x: ``[N, ...]``.
    y: ``[M, ...]``.
    alpha: ``alpha > 0`` or a sequence ``A`` of them.
    length_scale: ``l > 0``.

  Returns:
    The Gram matrix, ``[N, M]``.

  References:
    Binkowski, Sutherland, Arbel & Gretton, "Demystifying MMD GANs", ICLR
    2018, Sec. 5 (the mixture of rational quadratic kernels). Rasmussen &
    Williams, "Gaussian Processes for Machine Learning", 2006, eq. (4.19).
  """
  a = _scales(alpha, "alpha")
  _checks.check_positive_float(length_scale, "length_scale", allow_zero=False)
  d2 = squared_distances(x, y)
  a = a.astype(d2.dtype)
  return jnp.sum(jnp.power(1 + d2[..., None] / (2 * a * length_scale ** 2), -a), axis=-1)
