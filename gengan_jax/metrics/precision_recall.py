r"""Precision/recall (Kynkaanniemi et al.) and density/coverage (Naeem et al.).

Both pairs estimate the supports of the real and generated feature
distributions by k-nearest-neighbour balls. With real features
``X = {x_i}_{i=1..N}``, generated features ``Y = {y_j}_{j=1..M}`` and
``NND_k(x)`` the distance from ``x`` to its ``k``-th nearest *other* point
of its own set, the real manifold is the union of the closed balls
``B(x_i, NND_k(x_i))``:

.. math::

  \mathrm{precision} = \frac1M \sum_j 1\big[\exists i:\ y_j \in B(x_i, \mathrm{NND}_k(x_i))\big],
  \qquad
  \mathrm{recall} = \frac1N \sum_i 1\big[\exists j:\ x_i \in B(y_j, \mathrm{NND}_k(y_j))\big],

.. math::

  \mathrm{density} = \frac{1}{kM} \sum_j \sum_i 1\big[y_j \in B(x_i, \mathrm{NND}_k(x_i))\big],
  \qquad
  \mathrm{coverage} = \frac1N \sum_i 1\big[\exists j:\ y_j \in B(x_i, \mathrm{NND}_k(x_i))\big].

Precision is the share of samples that look real, recall the share of real
data the model can produce; density counts how many real balls hold each
sample (robust to real outliers, can exceed 1: its expectation is 1 when
the distributions agree), coverage the share of real balls that hold at
least one sample (uses only the real manifold, so it is robust to generated
outliers).

Distances are Euclidean, computed on the host in float64 in row blocks
(``||a||^2 + ||b||^2 - 2 a.b``, clipped at 0). Balls are closed (``<=``), as
in Kynkaanniemi et al.'s code; Naeem et al.'s ``prdc`` uses ``<``, which
differs only on exact ties.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gengan_jax.metrics import _checks

__all__ = [
    "nearest_neighbour_radii",
    "ball_counts",
    "precision_recall",
    "density_coverage",
]

_BLOCK = 1024


def _sq_distances(a: np.ndarray, b: np.ndarray, b_sq: np.ndarray) -> np.ndarray:
  d2 = (a * a).sum(1)[:, None] + b_sq[None, :] - 2.0 * (a @ b.T)
  return np.maximum(d2, 0.0)


def nearest_neighbour_radii(features: Any, k: int) -> np.ndarray:
  r"""Distance of every point to its ``k``-th nearest other point, ``NND_k``.

  Args:
    features: ``[N, D]`` points, ``N > k``.
    k: which neighbour (``k >= 1``; the point itself is not a neighbour).

  Returns:
    ``[N]`` float64 radii.
  """
  x = _checks.as_matrix(features, "features")
  k = _checks.positive_int(k, "k")
  if len(x) <= k:
    raise ValueError(f"`k`={k} needs more than k points, got {len(x)}; pass a "
                     f"smaller k or more features.")
  x_sq = (x * x).sum(1)
  radii = np.empty(len(x))
  for start in range(0, len(x), _BLOCK):
    d2 = _sq_distances(x[start:start + _BLOCK], x, x_sq)
    rows = np.arange(d2.shape[0])
    d2[rows, start + rows] = np.inf  # exclude the point itself
    radii[start:start + _BLOCK] = np.sqrt(np.partition(d2, k - 1, axis=1)[:, k - 1])
  return radii


def ball_counts(centres: Any, radii: Any, queries: Any) -> np.ndarray:
  r"""How many balls ``B(c_i, r_i)`` hold each query point.

  .. math::  n_j = \sum_i 1\big[\lVert q_j - c_i \rVert_2 \le r_i\big]

  Args:
    centres: ``[N, D]`` ball centres.
    radii: ``[N]`` ball radii.
    queries: ``[M, D]`` query points.

  Returns:
    ``[M]`` int64 counts (per example: ``n_j > 0`` means ``q_j`` lies in the
    manifold estimated from the centres).
  """
  c = _checks.as_matrix(centres, "centres")
  q = _checks.as_matrix(queries, "queries")
  _checks.check_same_dim(c, q, "centres", "queries")
  r = np.asarray(radii, np.float64)
  if r.shape != (len(c),):
    raise ValueError(f"`radii` must have shape ({len(c)},), one per centre, got "
                     f"{r.shape}.")
  c_sq = (c * c).sum(1)
  r_sq = r * r
  counts = np.empty(len(q), np.int64)
  for start in range(0, len(q), _BLOCK):
    d2 = _sq_distances(q[start:start + _BLOCK], c, c_sq)
    counts[start:start + _BLOCK] = (d2 <= r_sq[None, :]).sum(1)
  return counts


def precision_recall(real_features: Any, fake_features: Any, *, k: int = 3) -> dict:
  r"""Improved precision and recall of Kynkaanniemi et al. (2019).

  ``precision`` is the share of generated features inside the k-NN manifold
  of the real features, ``recall`` the share of real features inside the
  k-NN manifold of the generated ones (formulas in the module docstring).

  Args:
    real_features: ``[N, D]`` features of real data, ``N > k``.
    fake_features: ``[M, D]`` features of model samples, ``M > k``.
    k: neighbour defining the ball radii (3 in Kynkaanniemi et al.).

  Returns:
    ``dict(precision=float, recall=float)``, both in ``[0, 1]``.

  References:
    Kynkaanniemi, Karras, Laine, Lehtinen & Aila, "Improved precision and
    recall metric for assessing generative models", NeurIPS 2019, Sec. 2,
    eq. (1)-(3).
  """
  real = _checks.as_matrix(real_features, "real_features")
  fake = _checks.as_matrix(fake_features, "fake_features")
  _checks.check_same_dim(real, fake, "real_features", "fake_features")
  k = _checks.positive_int(k, "k")
  for name, x in (("real_features", real), ("fake_features", fake)):
    if len(x) <= k:
      raise ValueError(f"`{name}` has {len(x)} rows; the k-NN radii need more "
                       f"than k={k}.")
  real_radii = nearest_neighbour_radii(real, k)
  fake_radii = nearest_neighbour_radii(fake, k)
  return {
      "precision": float((ball_counts(real, real_radii, fake) > 0).mean()),
      "recall": float((ball_counts(fake, fake_radii, real) > 0).mean()),
  }


def density_coverage(real_features: Any, fake_features: Any, *, k: int = 5) -> dict:
  r"""Density and coverage of Naeem et al. (2020).

  Both use only the k-NN balls around the *real* features (formulas in the
  module docstring): ``density`` is the mean number of real balls holding a
  generated sample divided by ``k``; ``coverage`` the share of real balls
  holding at least one generated sample.

  Args:
    real_features: ``[N, D]`` features of real data, ``N > k``.
    fake_features: ``[M, D]`` features of model samples.
    k: neighbour defining the ball radii (5 in Naeem et al.).

  Returns:
    ``dict(density=float, coverage=float)``; density in ``[0, N / k]``,
    coverage in ``[0, 1]``.

  References:
    Naeem, Oh, Uh, Choi & Yoo, "Reliable fidelity and diversity metrics for
    generative models", ICML 2020, Sec. 3, eq. (3)-(4).
  """
  real = _checks.as_matrix(real_features, "real_features")
  fake = _checks.as_matrix(fake_features, "fake_features")
  _checks.check_same_dim(real, fake, "real_features", "fake_features")
  k = _checks.positive_int(k, "k")
  if len(real) <= k:
    raise ValueError(f"`real_features` has {len(real)} rows; the k-NN radii need "
                     f"more than k={k}.")
  radii = nearest_neighbour_radii(real, k)
  density = ball_counts(real, radii, fake).sum() / (k * len(fake))
  # Coverage: is the nearest sample of each real point inside its ball?
  fake_sq = (fake * fake).sum(1)
  nearest = np.empty(len(real))
  for start in range(0, len(real), _BLOCK):
    nearest[start:start + _BLOCK] = _sq_distances(real[start:start + _BLOCK], fake,
                                                  fake_sq).min(1)
  coverage = (nearest <= radii * radii).mean()
  return {"density": float(density), "coverage": float(coverage)}
