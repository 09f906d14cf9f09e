r"""Class-probability estimation: ratios and divergences from a classifier.

A classifier trained with a strictly proper scoring rule
(:func:`gengan_jax.losses.classifier_loss`) to tell data ``x ~ p`` (class
prior ``pi``) from model samples ``x ~ q`` has logits

.. math::

  l(x) \approx \log\frac{\pi p(x)}{(1 - \pi) q(x)}
  \quad\Rightarrow\quad
  \log r(x) = \log\frac{p(x)}{q(x)} \approx l(x) - \log\frac{\pi}{1 - \pi},

so ``r = D / (1 - D) = exp(l)`` when ``pi = 1/2``. Divergences that are
expectations of a function of ``r`` follow by Monte Carlo over held-out
samples:

.. math::

  \mathrm{KL}(p \| q) = \mathbb{E}_p[\log r], \qquad
  \mathrm{KL}(q \| p) = -\mathbb{E}_q[\log r],

  \mathrm{JS}(p, q) = \tfrac12 \mathbb{E}_p\left[\log\frac{2r}{1 + r}\right]
    + \tfrac12 \mathbb{E}_q\left[\log\frac{2}{1 + r}\right].

The estimates are scalars (means over the given samples); use held-out
samples, not the classifier's training data, to avoid an optimistic bias.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from gengan_jax.losses import _checks
from gengan_jax.losses.scoring_rules import _check_prior

__all__ = [
    "log_ratio_from_logits",
    "ratio_from_logits",
    "kl_estimate",
    "reverse_kl_estimate",
    "js_estimate",
]


def log_ratio_from_logits(logits: jax.typing.ArrayLike, *, prior: float = 0.5) -> jax.Array:
  r"""The log density ratio ``log p(x)/q(x)`` from a classifier's logits.

  .. math::

    \log r(x) = l(x) - \log\frac{\pi}{1 - \pi}

  Elementwise (one value per example); no reduction.

  Args:
    logits: classifier logits ``l = log(D / (1 - D))``, any shape.
    prior: ``pi``, the data-class probability the classifier was trained with,
      in (0, 1).

  Returns:
    ``log r``, shape of ``logits``.

  Raises:
    ValueError: ``prior`` outside (0, 1).

  References:
    Mohamed & Lakshminarayanan, "Learning in Implicit Generative Models",
    arXiv:1610.03483, 2016, Sec. 3.1, eq. (6)-(7) (the density-ratio trick).
    Sugiyama, Suzuki & Kanamori, "Density Ratio Estimation in Machine
    Learning", 2012, Ch. 4 (probabilistic classification).
  """
  _check_prior(prior)
  logits = _checks.as_float_array(logits, "logits")
  if isinstance(prior, jax.core.Tracer):
    return logits - (jnp.log(prior) - jnp.log1p(-prior))
  return logits - math.log(prior / (1 - prior))


def ratio_from_logits(logits: jax.typing.ArrayLike, *, prior: float = 0.5) -> jax.Array:
  r"""The density ratio ``r = (1 - pi) / pi * D / (1 - D)`` from logits.

  .. math::

    r(x) = \frac{1 - \pi}{\pi} \frac{D(x)}{1 - D(x)}
         = \exp\left(l(x) - \log\frac{\pi}{1 - \pi}\right)

  Elementwise; no reduction. Prefer :func:`log_ratio_from_logits` where a
  log will be taken anyway (``exp`` overflows for logits above ~88 in
  float32).

  Args:
    logits: classifier logits, any shape.
    prior: ``pi`` in (0, 1).

  Returns:
    ``r``, shape of ``logits``.

  References:
    Mohamed & Lakshminarayanan, arXiv:1610.03483, 2016, eq. (6).
  """
  return jnp.exp(log_ratio_from_logits(logits, prior=prior))


def kl_estimate(real_logits: jax.typing.ArrayLike, *, prior: float = 0.5) -> jax.Array:
  r"""``KL(p || q) ~ mean_i log r(x_i)`` over data samples ``x_i ~ p``.

  Args:
    real_logits: classifier logits on held-out samples of ``p``, ``[B]``.
    prior: ``pi`` the classifier was trained with.

  Returns:
    The estimate, a scalar.

  References:
    Mohamed & Lakshminarayanan, arXiv:1610.03483, 2016, Sec. 3.1 and 3.5.
  """
  return jnp.mean(log_ratio_from_logits(real_logits, prior=prior))


def reverse_kl_estimate(fake_logits: jax.typing.ArrayLike, *, prior: float = 0.5) -> jax.Array:
  r"""``KL(q || p) ~ -mean_j log r(x~_j)`` over model samples ``x~_j ~ q``.

  Args:
    fake_logits: classifier logits on held-out samples of ``q``, ``[B]``.
    prior: ``pi`` the classifier was trained with.

  Returns:
    The estimate, a scalar.

  References:
    Mohamed & Lakshminarayanan, arXiv:1610.03483, 2016, Sec. 3.1 and 3.5.
  """
  return -jnp.mean(log_ratio_from_logits(fake_logits, prior=prior))


def js_estimate(
    real_logits: jax.typing.ArrayLike,
    fake_logits: jax.typing.ArrayLike,
    *,
    prior: float = 0.5,
) -> jax.Array:
  r"""The Jensen-Shannon divergence from classifier logits on both samples.

  .. math::

    \widehat{\mathrm{JS}} = \log 2
      - \tfrac12 \overline{\mathrm{softplus}(-s(x))}
      - \tfrac12 \overline{\mathrm{softplus}(s(\tilde x))},
    \qquad s = \log r

  (the JS of the mixture ``m = (p + q) / 2``, in nats, in ``[0, log 2]``).
  With ``pi = 1/2`` this is ``log 2`` minus the classifier's mean binary
  cross-entropy, the GAN identity of Goodfellow et al. (2014, Theorem 1).

  Args:
    real_logits: logits on held-out samples of ``p``, ``[B]``.
    fake_logits: logits on held-out samples of ``q``, ``[B']``.
    prior: ``pi`` the classifier was trained with.

  Returns:
    The estimate, a scalar.

  References:
    Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, Theorem
    1. Mohamed & Lakshminarayanan, arXiv:1610.03483, 2016, Sec. 3.1.
  """
  s_p = log_ratio_from_logits(real_logits, prior=prior)
  s_q = log_ratio_from_logits(fake_logits, prior=prior)
  return (math.log(2.0) - 0.5 * jnp.mean(jax.nn.softplus(-s_p))
          - 0.5 * jnp.mean(jax.nn.softplus(s_q)))
