r"""ELBO surgery: the VAE's KL term split into mutual information and marginal KL.

Hoffman & Johnson, "ELBO surgery: yet another way to carve up the
variational evidence lower bound" (NIPS 2016 Workshop on Advances in
Approximate Bayesian Inference), eq. (2)-(4). Over a data set of ``N``
examples with Gaussian posteriors ``q(z | x_n)``, index ``n`` uniform, the
aggregate posterior is the mixture ``q(z) = (1/N) sum_n q(z | x_n)`` and

.. math::

  \underbrace{\frac1N \sum_n \mathrm{KL}(q(z \mid x_n) \,\|\, p(z))}_{\text{average KL}}
  = \underbrace{\mathbb E_{q(n, z)}\Big[\log \frac{q(z \mid x_n)}{q(z)}\Big]}_{I_q[n;\, z]}
  + \underbrace{\mathrm{KL}(q(z) \,\|\, p(z))}_{\text{marginal KL}}.

The index-code mutual information ``I_q[n; z]`` is at most ``log N``; the
marginal KL says how far the codes as a whole are from the prior, i.e. how
well samples decoded from ``p(z)`` will look like the data. The average KL
is closed form (the ELBO's KL term); ``I`` is estimated by Monte Carlo with
draws ``z ~ q(z | x_n)`` and ``log q(z)`` summed over all ``N`` posteriors
(every term is at most ``log N``); the marginal KL is their difference.

A learned prior (a flow, a VampPrior) has no closed-form KL: given its
``log p(z)``, the average KL is the Monte Carlo mean of
``log q(z | x_n) - log p(z)`` over the same draws, and the marginal KL is
still ``average KL - I`` (the mean of ``log q(z) - log p(z)``).

The marginal KL is that of the ``N``-component mixture, not of the
population's aggregate posterior: when the posteriors are narrow and apart
(``I`` near ``log N``) the mixture is ``N`` spikes and its KL grows as they
narrow, whatever the spread of their means (``experiments/aae_kl.py`` shows
it rising from 22 to 56 nats while a k-nearest-neighbour estimate of the
population KL falls from 22 to 3). Compare ``I`` with ``log N`` before
reading it.

Host-side numpy, float64; ``log q(z)`` is computed in blocks of draws
(``[block, N]`` at a time), so ``N = 10,000`` held-out digits fit in memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from gengan_jax.metrics import _checks

__all__ = ["ElboSurgery", "elbo_surgery", "gaussian_log_density_matrix",
           "log_aggregate_posterior"]

_LOG_2PI = math.log(2.0 * math.pi)


class ElboSurgery(NamedTuple):
  """The split of the average KL, in nats (see the module docstring).

  Attributes:
    average_kl: ``(1/N) sum_n KL(q(z | x_n) || p(z))``: closed form for
      ``p = N(0, I)``, else Monte Carlo.
    mutual_information: ``I_q[n; z]``, Monte Carlo, at most ``log N``.
    marginal_kl: ``KL(q(z) || p(z)) = average_kl - mutual_information``.
    mutual_information_se: the Monte Carlo standard error of ``I``.
    log_num_examples: ``log N``, the largest possible mutual information.
    num_examples: ``N``.
    num_draws: draws from each posterior.
    prior: ``'N(0, I)'`` or ``'learned'`` (a given ``log p(z)``).
    average_kl_se: the Monte Carlo standard error of ``average_kl`` (0 when
      it is closed form).
  """

  average_kl: float
  mutual_information: float
  marginal_kl: float
  mutual_information_se: float
  log_num_examples: float
  num_examples: int
  num_draws: int
  prior: str = "N(0, I)"
  average_kl_se: float = 0.0

  def as_dict(self) -> dict[str, Any]:
    return self._asdict()


# Entries of the expanded quadratic form below this fraction of the size of its
# terms are recomputed from the differences (float64 keeps ~1e-16 of the size).
_RECOMPUTE_BELOW = 1e-6


def _posteriors(means: Any, log_scales: Any) -> tuple[np.ndarray, np.ndarray]:
  means = _checks.as_matrix(means, "means")
  log_scales = _checks.as_matrix(log_scales, "log_scales")
  if means.shape != log_scales.shape:
    raise ValueError(f"`means` has shape {means.shape} but `log_scales` has shape "
                     f"{log_scales.shape}; both are [N, K].")
  return means, log_scales


def gaussian_log_density_matrix(z: Any, means: Any, log_scales: Any) -> np.ndarray:
  r"""``log N(z_m; mu_n, diag(sigma_n)^2)`` for every draw ``m`` and posterior ``n``.

  .. math::

    \log q(z_m \mid x_n) = -\tfrac K2 \log 2\pi - \sum_k \log\sigma_{nk}
      - \tfrac12 \sum_k \frac{(z_{mk} - \mu_{nk})^2}{\sigma_{nk}^2},

  the square expanded into three matrix products (float64). The expansion
  cancels badly where ``z_m`` is close to ``mu_n`` on the scale of the terms
  (a narrow posterior's own draws: with ``sigma = e^{-20}`` each term is
  ``~1e17`` and the difference is ``~K``); those entries, where the result is
  below :data:`_RECOMPUTE_BELOW` times the size of the terms, are recomputed
  from the differences ``z_m - mu_n`` directly.

  Args:
    z: ``[M, K]`` points.
    means: ``[N, K]`` posterior means.
    log_scales: ``[N, K]`` posterior log standard deviations.

  Returns:
    ``[M, N]`` log-densities, nats.
  """
  means, log_scales = _posteriors(means, log_scales)
  z = _checks.as_matrix(z, "z")
  _checks.check_same_dim(z, means, "z", "means")
  precision = np.exp(-2.0 * log_scales)
  size = np.square(z) @ precision.T + np.sum(np.square(means) * precision, axis=1)
  quad = size - 2.0 * z @ (means * precision).T
  rows, cols = np.nonzero(quad < _RECOMPUTE_BELOW * size)
  quad[rows, cols] = np.sum(np.square(z[rows] - means[cols]) * precision[cols], axis=1)
  return (-0.5 * z.shape[1] * _LOG_2PI - np.sum(log_scales, axis=1)) - 0.5 * np.maximum(quad, 0.0)


def log_aggregate_posterior(z: Any, means: Any, log_scales: Any, *,
                            block_size: int = 1024) -> np.ndarray:
  r"""``log q(z_m) = log (1/N) sum_n N(z_m; mu_n, sigma_n^2)``, the aggregate posterior.

  Args:
    z: ``[M, K]`` points.
    means, log_scales: ``[N, K]``, the ``N`` posteriors of the mixture.
    block_size: points per ``[block, N]`` matrix.

  Returns:
    ``[M]`` log-densities, nats.
  """
  means, log_scales = _posteriors(means, log_scales)
  z = _checks.as_matrix(z, "z")
  block_size = _checks.positive_int(block_size, "block_size")
  out = np.empty(len(z))
  for start in range(0, len(z), block_size):
    log_q = gaussian_log_density_matrix(z[start:start + block_size], means, log_scales)
    top = log_q.max(axis=1, keepdims=True)
    out[start:start + block_size] = (top[:, 0] + np.log(np.exp(log_q - top).sum(axis=1))
                                     - math.log(len(means)))
  return out


def elbo_surgery(means: Any, log_scales: Any, *,
                 log_prior: Callable[[np.ndarray], Any] | None = None, num_draws: int = 1,
                 seed: int = 0, block_size: int = 1024) -> ElboSurgery:
  r"""The average KL to the prior split into ``I_q[n; z]`` and ``KL(q(z) || p(z))``.

  One number per data set (not per example): the posteriors of all ``N``
  held-out examples make up the aggregate posterior. ``I`` is the mean of
  ``log q(z | x_n) - log q(z)`` over ``num_draws`` draws ``z ~ q(z | x_n)``
  for every ``n``; the marginal KL is ``average_kl - I`` (for ``N(0, I)``
  the closed-form average KL keeps its variance down).

  Args:
    means: ``[N, K]`` posterior means ``mu(x_n)``.
    log_scales: ``[N, K]`` posterior log standard deviations.
    log_prior: ``None`` for ``p(z) = N(0, I)``; else ``log p(z)`` of a
      learned prior, ``[M, K] -> [M]`` (nats), called once on all draws: the
      average KL becomes the Monte Carlo mean of ``log q(z | x_n) - log p(z)``.
    num_draws: draws per posterior, >= 1.
    seed: the draws' seed (numpy).
    block_size: draws per ``[block, N]`` matrix.

  Returns:
    An :class:`ElboSurgery`.

  Raises:
    ValueError: mismatched shapes, non-finite values (also of ``log_prior``'s
      output), ``num_draws < 1``.

  References:
    Hoffman & Johnson 2016, eq. (2)-(4) and Sec. 3; Makhzani et al.,
    "Adversarial autoencoders" (2016), Sec. 2, for the aggregate posterior.
  """
  means, log_scales = _posteriors(means, log_scales)
  num_draws = _checks.positive_int(num_draws, "num_draws")
  n, k = means.shape
  eps = np.random.default_rng(seed).normal(size=(num_draws, n, k))
  z = (means + np.exp(log_scales) * eps).reshape(num_draws * n, k)
  log_q_own = np.tile(-0.5 * k * _LOG_2PI - np.sum(log_scales, axis=1), num_draws) \
      - 0.5 * np.sum(np.square(eps), axis=2).reshape(-1)
  terms = log_q_own - log_aggregate_posterior(z, means, log_scales, block_size=block_size)
  mi = float(np.mean(terms))
  se = float(np.std(terms) / math.sqrt(len(terms)))
  if log_prior is None:
    prior, kl_se = "N(0, I)", 0.0
    average_kl = float(np.mean(0.5 * np.sum(
        np.exp(2.0 * log_scales) + np.square(means) - 1.0 - 2.0 * log_scales, axis=1)))
  else:
    log_p = np.asarray(log_prior(z), np.float64)
    if log_p.shape != (len(z),) or not np.all(np.isfinite(log_p)):
      raise ValueError(f"`log_prior` must map the [{len(z)}, {k}] draws to [{len(z)}] finite "
                       f"log-densities, got shape {log_p.shape}"
                       + ("" if log_p.shape != (len(z),) else " with non-finite values") + ".")
    kl_terms = log_q_own - log_p
    prior, average_kl = "learned", float(np.mean(kl_terms))
    kl_se = float(np.std(kl_terms) / math.sqrt(len(kl_terms)))
  return ElboSurgery(average_kl=average_kl, mutual_information=mi,
                     marginal_kl=average_kl - mi, mutual_information_se=se,
                     log_num_examples=math.log(n), num_examples=n, num_draws=num_draws,
                     prior=prior, average_kl_se=kl_se)
