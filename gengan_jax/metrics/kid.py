r"""Kernel Inception Distance (KID): unbiased MMD^2 with a cubic kernel.

KID (Binkowski et al. 2018, Sec. 3 and eq. 3-4) is the squared maximum mean
discrepancy between real and generated features under the polynomial kernel

.. math::

  k(x, y) = \Big(\frac{x^\top y}{d} + 1\Big)^3,

estimated without bias on ``num_subsets`` random subsets of ``m`` real and
``m`` generated features each:

.. math::

  \widehat{\mathrm{MMD}}^2_u
  = \frac{1}{m(m-1)} \sum_{i \ne j} k(x_i, x_j)
  + \frac{1}{m(m-1)} \sum_{i \ne j} k(y_i, y_j)
  - \frac{2}{m^2} \sum_{i, j} k(x_i, y_j).

The estimate is unbiased, so unlike FID its expectation does not depend on
the sample size (it can be slightly negative when the distributions agree).
The reported value is the mean and the standard deviation over subsets, as
in Binkowski et al.'s reference code and ``torch-fidelity``. Computed on the
host in float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gengan_jax.metrics import _checks

__all__ = ["polynomial_kernel", "mmd2_unbiased", "kernel_inception_distance"]


def polynomial_kernel(x: Any, y: Any, *, degree: int = 3, gamma: float | None = None,
                      coef0: float = 1.0) -> np.ndarray:
  r"""Gram matrix of the polynomial kernel ``(gamma x^T y + coef0)^degree``.

  Args:
    x: ``[N, D]`` features.
    y: ``[M, D]`` features.
    degree: the power (3 for KID).
    gamma: scale of the inner product; ``None`` means ``1 / D`` (KID).
    coef0: the additive constant (1 for KID).

  Returns:
    ``[N, M]`` float64 kernel matrix ``K_ij = k(x_i, y_j)``.
  """
  x = _checks.as_matrix(x, "x")
  y = _checks.as_matrix(y, "y")
  _checks.check_same_dim(x, y, "x", "y")
  degree = _checks.positive_int(degree, "degree")
  gamma = 1.0 / x.shape[1] if gamma is None else _checks.positive_float(gamma, "gamma")
  return (gamma * (x @ y.T) + float(coef0)) ** degree


def mmd2_unbiased(x: Any, y: Any, **kernel_kwargs) -> float:
  r"""Unbiased estimate of ``MMD^2`` between the samples ``x`` and ``y``.

  .. math::

    \widehat{\mathrm{MMD}}^2_u
    = \frac{1}{n(n-1)} \sum_{i \ne j} k(x_i, x_j)
    + \frac{1}{m(m-1)} \sum_{i \ne j} k(y_i, y_j)
    - \frac{2}{nm} \sum_{i, j} k(x_i, y_j)

  Args:
    x: ``[n, D]`` samples of the first distribution, ``n >= 2``.
    y: ``[m, D]`` samples of the second distribution, ``m >= 2``.
    **kernel_kwargs: forwarded to :func:`polynomial_kernel` (``degree``,
      ``gamma``, ``coef0``; default: the KID kernel).

  Returns:
    The estimate, a float (may be negative).

  References:
    Gretton et al., "A kernel two-sample test", JMLR 13, 2012, Lemma 6
    (eq. 3).
  """
  x = _checks.as_matrix(x, "x", min_rows=2)
  y = _checks.as_matrix(y, "y", min_rows=2)
  _checks.check_same_dim(x, y, "x", "y")
  n, m = len(x), len(y)
  kxx = polynomial_kernel(x, x, **kernel_kwargs)
  kyy = polynomial_kernel(y, y, **kernel_kwargs)
  kxy = polynomial_kernel(x, y, **kernel_kwargs)
  return float((kxx.sum() - np.trace(kxx)) / (n * (n - 1))
               + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
               - 2.0 * kxy.sum() / (n * m))


def kernel_inception_distance(f_real: Any, f_fake: Any, *, num_subsets: int = 100,
                              subset_size: int = 1000,
                              seed: int = 0) -> tuple[float, float]:
  r"""KID: mean and standard deviation of unbiased ``MMD^2`` over subsets.

  For each of ``num_subsets`` subsets, ``subset_size`` real and
  ``subset_size`` generated features are drawn without replacement
  (``numpy.random.default_rng(seed)``), and :func:`mmd2_unbiased` with the
  cubic kernel ``k(x, y) = (x^T y / d + 1)^3`` is evaluated on them.

  Args:
    f_real: ``[N, D]`` features of real data.
    f_fake: ``[M, D]`` features of model samples.
    num_subsets: number of random subsets (100 in Binkowski et al.'s code).
    subset_size: features per subset and per set, ``2 <= subset_size <=
      min(N, M)`` (1000 in Binkowski et al.'s code).
    seed: seed of the subset draws.

  Returns:
    ``(mean, std)`` of the subset estimates (``std`` with divisor
    ``num_subsets``). KID is often reported multiplied by 1000.

  Raises:
    ValueError: if ``subset_size`` exceeds the number of features in either
      set, or on malformed features.

  References:
    Binkowski, Sutherland, Arbel & Gretton, "Demystifying MMD GANs", ICLR
    2018, Sec. 3 ("KID") and Appendix D.
  """
  r = _checks.as_matrix(f_real, "f_real", min_rows=2)
  f = _checks.as_matrix(f_fake, "f_fake", min_rows=2)
  _checks.check_same_dim(r, f, "f_real", "f_fake")
  num_subsets = _checks.positive_int(num_subsets, "num_subsets")
  subset_size = _checks.positive_int(subset_size, "subset_size", minimum=2)
  if subset_size > min(len(r), len(f)):
    raise ValueError(
        f"`subset_size`={subset_size} exceeds the number of features "
        f"(f_real: {len(r)}, f_fake: {len(f)}); pass "
        f"subset_size <= {min(len(r), len(f))} or provide more samples.")
  rng = np.random.default_rng(seed)
  estimates = np.empty(num_subsets)
  for s in range(num_subsets):
    x = r[rng.choice(len(r), subset_size, replace=False)]
    y = f[rng.choice(len(f), subset_size, replace=False)]
    estimates[s] = mmd2_unbiased(x, y)
  return float(estimates.mean()), float(estimates.std())
