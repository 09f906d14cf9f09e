r"""The KL divergence from samples to a known density, by a k-NN entropy estimate.

``KL(q || p)`` when ``q`` is known only through samples (an aggregate
posterior's codes, a sampler's outputs) and ``p`` has a density (a prior):
:func:`knn_kl`. Host-side numpy, float64.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gengan_jax.metrics import _checks
from gengan_jax.metrics.precision_recall import nearest_neighbour_radii

__all__ = ["knn_kl"]

_EULER_GAMMA = 0.5772156649015329


def _digamma_of_integer(n: int) -> float:
  """``psi(n) = -gamma + sum_{i < n} 1 / i`` for an integer ``n >= 1`` (no scipy:
  it is only a test dependency)."""
  return -_EULER_GAMMA + float(np.sum(1.0 / np.arange(1, n)))


def knn_kl(z: Any, log_prior: Any, *, k: int = 3) -> float:
  r"""``KL(q || p)`` from samples ``z_i ~ q`` and ``log p(z_i)``, by a k-NN entropy.

  .. math::

    \widehat{\mathrm{KL}}(q \| p) = -\hat H(q) - \frac1N \sum_i \log p(z_i),
    \qquad
    \hat H(q) = \psi(N) - \psi(k) + \log V_d + \frac dN \sum_i \log \varepsilon_i,

  the Kozachenko-Leonenko entropy estimate, ``eps_i`` the distance of
  ``z_i`` to its ``k``-th nearest other sample and ``V_d = pi^{d/2} /
  Gamma(d/2 + 1)`` the volume of the unit ball in ``d`` dimensions. It needs
  only samples of ``q`` (here one code per held-out example, samples of the
  population's aggregate posterior) and is consistent as ``N -> inf``; its
  bias at finite ``N`` grows with ``d``.

  Args:
    z: ``[N, d]`` samples of ``q``, ``N > k``, distinct.
    log_prior: ``[N]`` ``log p(z_i)``, nats.
    k: the neighbour.

  Returns:
    The estimate, nats.

  References:
    Kozachenko & Leonenko, "Sample estimate of the entropy of a random
    vector", Problems Inform. Transmission 23 (1987). Kraskov, Stoegbauer &
    Grassberger, "Estimating mutual information", Phys. Rev. E 69 (2004),
    eq. (20) (with the ball's diameter where this uses its radius).
  """
  z = _checks.as_matrix(z, "z")
  k = _checks.positive_int(k, "k")
  log_prior = np.asarray(log_prior, np.float64)
  if log_prior.shape != z.shape[:1]:
    raise ValueError(f"`log_prior` has shape {log_prior.shape}; it must be [N] = "
                     f"[{len(z)}], one value per row of `z`.")
  radii = nearest_neighbour_radii(z, k)
  if np.any(radii <= 0):
    raise ValueError("`z` has repeated rows (a zero nearest-neighbour distance); the k-NN "
                     "entropy needs samples of a continuous distribution.")
  n, d = z.shape
  log_unit_ball = 0.5 * d * math.log(math.pi) - math.lgamma(0.5 * d + 1)
  entropy = (_digamma_of_integer(n) - _digamma_of_integer(k) + log_unit_ball
             + d * float(np.mean(np.log(radii))))
  return float(-entropy - np.mean(log_prior))
