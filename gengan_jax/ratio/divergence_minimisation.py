r"""Divergence minimisation: divergence and ratio estimates from f-GAN critics.

A critic ``v`` trained with :func:`gengan_jax.losses.fgan_critic_loss` for an
f-divergence gives a lower bound on it, tight at the optimum,

.. math::

  \widehat{D}_f = \frac1B \sum_i g_f(v(x_i))
    - \frac1{B'} \sum_j f^*(g_f(v(\tilde x_j))) \le D_f(P \| Q),

and, at the optimum ``g_f(v) = f'(r)``, the log ratio
(:func:`log_ratio_from_critic`). The objectives and the f-divergence table
live in :mod:`gengan_jax.losses.f_divergences`; this module reads estimates
off a trained critic.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gengan_jax.losses.f_divergences import fgan_critic_loss
from gengan_jax.losses.f_divergences import log_ratio_from_critic

__all__ = ["variational_estimate", "log_ratio_from_critic"]


def variational_estimate(
    real_v: jax.typing.ArrayLike,
    fake_v: jax.typing.ArrayLike,
    *,
    divergence: str,
) -> jax.Array:
  r"""The f-GAN variational lower bound on ``D_f(P || Q)``, a scalar.

  .. math::

    \widehat{D}_f = \overline{g_f(v(x))} - \overline{f^*(g_f(v(\tilde x)))}

  Equal to ``-(real_terms.mean() + fake_terms.mean())`` of
  :func:`gengan_jax.losses.fgan_critic_loss`. On held-out samples its
  expectation is at most ``D_f`` for any critic; it equals ``D_f`` at the
  optimal critic.

  Args:
    real_v: critic outputs on samples of ``P``, ``[B]``.
    fake_v: critic outputs on samples of ``Q``, ``[B']``.
    divergence: one of :data:`gengan_jax.losses.DIVERGENCES`.

  Returns:
    The estimate, a scalar.

  References:
    Nowozin, Cseke & Tomioka, NeurIPS 2016, eq. (4) and (6). Nguyen,
    Wainwright & Jordan, IEEE Trans. Inf. Theory 2010, eq. (4).
  """
  real_terms, fake_terms = fgan_critic_loss(real_v, fake_v, divergence=divergence)
  return -(jnp.mean(real_terms) + jnp.mean(fake_terms))
