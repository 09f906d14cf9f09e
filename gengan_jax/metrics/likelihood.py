r"""Likelihood-based evaluation: bits per dimension and the IWAE bound.

For models with a tractable density (flows) the test log-likelihood is
reported in *bits per dimension*; for latent-variable models with an encoder
``q(z|x)`` the importance-weighted bound of Burda et al. lower-bounds it.
Both are pure JAX and per example.

**Discrete data, continuous densities.** Pixels take ``bins`` discrete
values (256 for 8-bit images) but a flow has a density ``p`` on a continuous
range of width ``R`` (e.g. ``R = 1`` for ``[0, 1]``, ``R = 2`` for this
library's ``[-1, 1]``). Each discrete value owns a cell of width
``Delta = R / bins``; with uniform dequantization (``x + u``, ``u`` uniform
on a cell) the continuous log-likelihood bounds the discrete one,
``log P(x) >= E_u log p(x + u) + D log Delta`` (Theis et al. 2016, Sec. 3.1),
and bits per dimension are

.. math::

  \mathrm{bpd}(x) = -\frac{\log p(x) + D \log \Delta}{D \log 2}
  = -\frac{\log p(x)}{D \log 2} + \log_2 \frac{\mathrm{bins}}{R}.

For data in ``[0, 1]`` with 256 bins the correction adds 8 bits; for data
already on the integer grid (``R = bins``) it adds nothing.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from gengan_jax.losses import _checks as _jchecks
from gengan_jax.metrics import _checks

__all__ = ["bits_per_dim", "iwae_bound"]


def bits_per_dim(log_likelihood_nats: jax.typing.ArrayLike, num_dims: int, *,
                 data_range_bins: int | None = 256,
                 data_range: float = 1.0) -> jax.Array:
  r"""Negative log-likelihood in bits per dimension, per example.

  .. math::

    \mathrm{bpd} = -\frac{\log p(x)}{D \log 2} + \log_2 \frac{\mathrm{bins}}{R}

  Args:
    log_likelihood_nats: ``log p(x)`` of each example under the model's
      density on the continuous data range, in nats, shape ``[B]``.
    num_dims: ``D``, dimensions per example (e.g. ``28 * 28 * 1``).
    data_range_bins: number of discrete values ``bins`` the data take (256
      for 8-bit pixels); ``None`` for genuinely continuous data (no
      correction: bits per dimension of the density).
    data_range: width ``R`` of the continuous range the ``bins`` values span
      (1 for ``[0, 1]``, 2 for ``[-1, 1]``, 256 for ``[0, 256)``).

  Returns:
    Bits per dimension of each example, shape ``[B]``; the caller averages.

  References:
    Theis, van den Oord & Bethge, "A note on the evaluation of generative
    models", ICLR 2016, Sec. 3.1 (eq. 5-6). Dinh, Sohl-Dickstein & Bengio,
    "Density estimation using Real NVP", ICLR 2017, Sec. 4.1.
  """
  ll = _jchecks.as_float_array(log_likelihood_nats, "log_likelihood_nats")
  num_dims = _checks.positive_int(num_dims, "num_dims")
  bpd = -ll / (num_dims * math.log(2.0))
  if data_range_bins is None:
    return bpd
  bins = _checks.positive_int(data_range_bins, "data_range_bins", minimum=2)
  data_range = _checks.positive_float(data_range, "data_range")
  return bpd + math.log2(bins / data_range)


def iwae_bound(log_p_xz: jax.typing.ArrayLike,
               log_q_zx: jax.typing.ArrayLike) -> jax.Array:
  r"""Importance-weighted lower bound on ``log p(x)``, per example.

  With ``K`` draws ``z_k ~ q(z|x)``:

  .. math::

    \mathcal L_K(x) = \log \frac1K \sum_{k=1}^K
      \frac{p(x, z_k)}{q(z_k \mid x)}
    = \operatorname{logsumexp}_k\big(\log p(x, z_k) - \log q(z_k \mid x)\big)
      - \log K

  ``L_1`` is the ELBO; ``L_K <= L_{K+1} <= log p(x)`` in expectation and
  ``L_K -> log p(x)`` as ``K -> inf``; it equals ``log p(x)`` for every draw
  when ``q`` is the exact posterior.

  Args:
    log_p_xz: ``log p(x, z_k) = log p(x | z_k) + log p(z_k)``, shape
      ``[K, B]`` (draws first).
    log_q_zx: ``log q(z_k | x)`` of the same draws, shape ``[K, B]``.

  Returns:
    The bound of each example, in nats, shape ``[B]`` (convert with
    :func:`bits_per_dim`).

  References:
    Burda, Grosse & Salakhutdinov, "Importance weighted autoencoders", ICLR
    2016, eq. (8) and Theorem 1.
  """
  log_p = _jchecks.as_float_array(log_p_xz, "log_p_xz")
  log_q = _jchecks.as_float_array(log_q_zx, "log_q_zx")
  _jchecks.check_same_shape(log_p, log_q, "log_p_xz", "log_q_zx")
  if log_p.ndim != 2:
    raise ValueError(f"`log_p_xz` must have shape [K, B] (importance samples "
                     f"first), got {log_p.shape}.")
  k = log_p.shape[0]
  return jax.nn.logsumexp(log_p - log_q, axis=0) - jnp.log(float(k))
