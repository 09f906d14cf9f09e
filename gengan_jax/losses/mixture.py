r"""The log density of an equally weighted mixture of diagonal Gaussians.

The VampPrior of Tomczak & Welling ("VAE with a VampPrior", AISTATS 2018,
eq. 9) is such a mixture: the encoder's posteriors at ``K`` learned
pseudo-inputs ``u_k``,

.. math::

  \log p_\lambda(z) = \log \frac1K \sum_{k=1}^K
      \mathcal N\big(z;\ \mu_\phi(u_k),\ \mathrm{diag}(\sigma_\phi(u_k))^2\big),

and so is the aggregate posterior ``q(z) = (1/N) sum_n q(z | x_n)`` of ``N``
data points (Hoffman & Johnson 2016; the host-side, float64 version for
evaluation is :func:`gengan_jax.metrics.elbo_surgery.log_aggregate_posterior`).
This is the differentiable one, for a training loss: ``logsumexp`` over the
components of each component's log density, computed from the differences
``z - mu_k`` (no expanded square, so no cancellation when a component is
narrow and ``z`` is near its mean).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from gengan_jax.losses import _checks

__all__ = ["gaussian_mixture_log_likelihood"]

_LOG_2PI = math.log(2.0 * math.pi)


def gaussian_mixture_log_likelihood(z: jax.typing.ArrayLike, means: jax.typing.ArrayLike,
                                    log_scales: jax.typing.ArrayLike) -> jax.Array:
  r"""``log (1/K) sum_k N(z; mu_k, diag(sigma_k)^2)`` for each row of ``z``.

  .. math::

    \log p(z) = \operatorname{logsumexp}_k \Big(-\tfrac M2 \log 2\pi
      - \sum_m \log\sigma_{km} - \tfrac12 \sum_m \frac{(z_m - \mu_{km})^2}
      {\sigma_{km}^2}\Big) - \log K

  With ``K = 1`` it is :func:`gengan_jax.losses.gaussian_log_likelihood`
  of the one component.

  Args:
    z: ``[B, M]`` points (codes).
    means: ``[K, M]`` the components' means ``mu_k`` (the VampPrior's: the
      encoder's means at the pseudo-inputs).
    log_scales: ``[K, M]`` the components' log standard deviations.

  Returns:
    ``[B]`` log-densities in nats (per example; the caller reduces).

  Raises:
    ValueError: ``z`` or ``means`` not of rank 2, ``log_scales`` not of
      ``means``' shape, or ``z`` and ``means`` of different widths ``M``.

  References:
    Tomczak & Welling 2018, eq. (9); Hoffman & Johnson 2016, eq. (2).
  """
  z = _checks.as_float_array(z, "z")
  means = _checks.as_float_array(means, "means")
  log_scales = _checks.as_float_array(log_scales, "log_scales")
  if z.ndim != 2 or means.ndim != 2:
    raise ValueError(f"`z` and `means` must be matrices ([B, M] and [K, M]); got shapes "
                     f"{z.shape} and {means.shape}.")
  _checks.check_same_shape(means, log_scales, "means", "log_scales")
  if z.shape[1] != means.shape[1]:
    raise ValueError(f"`z` has {z.shape[1]} columns but `means` has {means.shape[1]}; both "
                     "are codes of the same width M.")
  standardized = (z[:, None, :] - means[None]) * jnp.exp(-log_scales)[None]  # [B, K, M]
  log_components = (-0.5 * z.shape[1] * _LOG_2PI - jnp.sum(log_scales, axis=1)[None]
                    - 0.5 * jnp.sum(jnp.square(standardized), axis=2))  # [B, K]
  return jax.nn.logsumexp(log_components, axis=1) - math.log(means.shape[0])
