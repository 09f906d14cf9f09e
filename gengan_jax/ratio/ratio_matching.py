r"""Ratio matching: plug-in divergence estimates from a fitted ratio model.

The ratio model is fit with :func:`gengan_jax.losses.bregman_ratio_loss`
(LSIF, KLIEP/UKL or logistic). Once ``r(x) ~ p(x) / q(x)`` is known on
samples of ``q``, any f-divergence is a Monte Carlo average:

.. math::

  D_f(P \| Q) = \mathbb{E}_q[f(r(x))] \approx \frac1B \sum_j f(r(\tilde x_j)).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gengan_jax.losses import _checks
from gengan_jax.losses.f_divergences import f_generator

__all__ = ["f_divergence_estimate"]


def f_divergence_estimate(
    log_ratio_q: jax.typing.ArrayLike,
    *,
    divergence: str,
) -> jax.Array:
  r"""``D_f(P || Q) ~ mean_j f(r(x~_j))`` from log ratios on samples of ``Q``.

  Args:
    log_ratio_q: ``log r = log p/q`` at held-out samples ``x~_j ~ Q``,
      ``[B]`` (from any ratio estimator: a classifier's
      :func:`~gengan_jax.ratio.log_ratio_from_logits`, a Bregman-fitted
      model, an f-GAN critic's :func:`~gengan_jax.ratio.log_ratio_from_critic`).
    divergence: one of :data:`gengan_jax.losses.DIVERGENCES`.

  Returns:
    The estimate, a scalar.

  Raises:
    ValueError: unknown ``divergence``.

  References:
    Sugiyama, Suzuki & Kanamori, "Density Ratio Estimation in Machine
    Learning", 2012, Ch. 1 and 14; Mohamed & Lakshminarayanan,
    arXiv:1610.03483, 2016, Sec. 3.3.
  """
  s = _checks.as_float_array(log_ratio_q, "log_ratio_q")
  return jnp.mean(f_generator(jnp.exp(s), divergence))
