r"""Class-probability estimation: proper scoring rules on discriminator logits.

A binary classifier ``D(x) = sigmoid(l(x))`` that separates data ``x ~ p*``
(label ``y = 1``, prior probability ``pi``) from model samples ``x ~ q``
(label ``y = 0``, probability ``1 - pi``) is a density-ratio estimator: the
minimiser of a *strictly proper* scoring rule is the posterior

.. math::

  D^*(x) = \frac{\pi p^*(x)}{\pi p^*(x) + (1 - \pi) q(x)}, \qquad
  l^*(x) = \log \frac{p^*(x)}{q(x)} + \log \frac{\pi}{1 - \pi},

so ``r(x) = p*(x) / q(x) = (1 - pi) / pi * D / (1 - D)`` (see
:func:`gengan_jax.ratio.log_ratio_from_logits`). Mohamed & Lakshminarayanan
(2016), Table 1, list the scoring rules implemented here; each is a loss
``S(D, y)`` to minimise:

=================  ===========================  ===========================
rule               ``S(D, 1)`` (data)           ``S(D, 0)`` (model)
=================  ===========================  ===========================
bernoulli (log)    ``-log D``                   ``-log(1 - D)``
brier              ``(1 - D)^2``                ``D^2``
exponential        ``((1 - D) / D)^(1/2)``      ``(D / (1 - D))^(1/2)``
misclassification  ``1[D <= 1/2]``              ``1[D > 1/2]``
hinge              ``max(0, 1 - l)``            ``max(0, 1 + l)``
spherical          ``-D / a``                   ``-(1 - D) / a``
=================  ===========================  ===========================

with ``l = log(D / (1 - D))`` the logit and ``a = (D^2 + (1 - D)^2)^(1/2)``.
Bernoulli, Brier, exponential and spherical are *strictly* proper (their
population minimiser is ``D*`` above, so they recover the ratio).
Misclassification and hinge are not: their minimiser only has the sign of
``l*`` (hinge: ``l = +-1``), so they classify but do not estimate the ratio;
misclassification also has zero gradient almost everywhere.

Everything is computed from logits, stably for any ``|l|``
(``D = sigmoid(l)``, ``1 - D = sigmoid(-l)``, ``sqrt((1 - D) / D) =
exp(-l / 2)``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gengan_jax.losses import _checks

__all__ = [
    "SCORING_RULES",
    "scoring_rule",
    "classifier_loss",
]

SCORING_RULES: tuple[str, ...] = (
    "bernoulli", "brier", "exponential", "misclassification", "hinge",
    "spherical")


def check_rule(rule: str) -> None:
  """Raises ValueError unless ``rule`` is one of :data:`SCORING_RULES`."""
  if rule not in SCORING_RULES:
    raise ValueError(
        f"`rule`={rule!r} is not a known scoring rule; valid choices are "
        f"{', '.join(repr(r) for r in SCORING_RULES)}.")


def _check_prior(prior) -> None:
  if isinstance(prior, jax.core.Tracer):
    return
  try:
    value = float(prior)
  except (TypeError, ValueError) as e:
    raise TypeError(f"`prior` must be a real number in (0, 1), got "
                    f"{type(prior).__name__}.") from e
  if not 0.0 < value < 1.0:
    raise ValueError(f"`prior` (the class probability pi of the data) must be "
                     f"in (0, 1), got {prior!r}.")


def _scores(logits: jax.Array, rule: str) -> tuple[jax.Array, jax.Array]:
  """``(S(D, 1), S(D, 0))`` for ``D = sigmoid(logits)``."""
  if rule == "bernoulli":
    return jax.nn.softplus(-logits), jax.nn.softplus(logits)
  if rule == "brier":
    return jnp.square(jax.nn.sigmoid(-logits)), jnp.square(jax.nn.sigmoid(logits))
  if rule == "exponential":
    return jnp.exp(-0.5 * logits), jnp.exp(0.5 * logits)
  if rule == "misclassification":
    wrong_if_real = (logits <= 0).astype(logits.dtype)
    return wrong_if_real, 1 - wrong_if_real
  if rule == "hinge":
    return jax.nn.relu(1 - logits), jax.nn.relu(1 + logits)
  # spherical
  d, one_minus_d = jax.nn.sigmoid(logits), jax.nn.sigmoid(-logits)
  norm = jnp.sqrt(jnp.square(d) + jnp.square(one_minus_d))
  return -d / norm, -one_minus_d / norm


def scoring_rule(
    logits: jax.typing.ArrayLike,
    labels: jax.typing.ArrayLike,
    *,
    rule: str = "bernoulli",
) -> jax.Array:
  r"""A proper scoring rule ``S(D, y)`` (a loss) of the prediction ``sigmoid(l)``.

  .. math::

    S(l, y) = y \, S(\sigma(l), 1) + (1 - y) \, S(\sigma(l), 0)

  with ``S(., 1)`` and ``S(., 0)`` from the table in the module docstring.
  ``y`` may be soft (any value in [0, 1]); the prior ``pi`` is not applied
  here (see :func:`classifier_loss`).

  Per-example: no reduction is applied; the caller reduces.

  Args:
    logits: classifier logits ``l``, any shape, e.g. ``[B]``.
    labels: ``1`` for data (``p*``), ``0`` for model samples (``q``);
      broadcastable to ``logits.shape``.
    rule: one of :data:`SCORING_RULES`.

  Returns:
    Per-example losses, shape ``logits.shape``.

  Raises:
    ValueError: unknown ``rule`` (the valid ones are named) or ``labels``
      that do not broadcast to ``logits``.
    TypeError: non-floating ``logits``.

  References:
    Mohamed & Lakshminarayanan, "Learning in Implicit Generative Models",
    arXiv:1610.03483, 2016, Table 1. Gneiting & Raftery, "Strictly proper
    scoring rules, prediction, and estimation", JASA 2007 (Sec. 2.3: Brier,
    spherical, logarithmic scores). Buja, Stuetzle & Shen, "Loss functions
    for binary class probability estimation", 2005 (exponential, hinge).
  """
  check_rule(rule)
  logits = _checks.as_float_array(logits, "logits")
  labels = jnp.asarray(labels, dtype=logits.dtype)
  _checks.check_broadcasts_to(labels, logits.shape, "labels", "logits")
  s1, s0 = _scores(logits, rule)
  return labels * s1 + (1 - labels) * s0


def classifier_loss(
    real_logits: jax.typing.ArrayLike,
    fake_logits: jax.typing.ArrayLike,
    *,
    rule: str = "bernoulli",
    prior: float = 0.5,
) -> tuple[jax.Array, jax.Array]:
  r"""The class-probability-estimation loss of a discriminator, per example.

  .. math::

    \mathcal{L}(\phi) = \pi \, \mathbb{E}_{p^*}[S(D_\phi(x), 1)]
      + (1 - \pi) \, \mathbb{E}_{q_\theta}[S(D_\phi(x), 0)]

  returned as the two sets of per-example terms ``pi * S(D(x_i), 1)`` and
  ``(1 - pi) * S(D(x~_j), 0)``: the minibatch estimate of the loss is
  ``real_terms.mean() + fake_terms.mean()``. The two sets may have different
  sizes. With ``rule='bernoulli'`` and ``prior=0.5`` this is half the usual
  GAN discriminator loss. Its minimiser (for a strictly proper rule) has
  logits ``log(p*/q) + log(pi / (1 - pi))``.

  Args:
    real_logits: logits on data ``x ~ p*``, shape ``[B]`` (any shape).
    fake_logits: logits on model samples ``x~ ~ q``, shape ``[B']``.
    rule: one of :data:`SCORING_RULES`.
    prior: ``pi``, the probability of the data class, in (0, 1).

  Returns:
    ``(real_terms, fake_terms)``, shapes of ``real_logits`` and
    ``fake_logits``.

  Raises:
    ValueError: unknown ``rule`` or ``prior`` outside (0, 1).
    TypeError: non-floating logits.

  References:
    Mohamed & Lakshminarayanan, "Learning in Implicit Generative Models",
    arXiv:1610.03483, 2016, Sec. 3.1, eq. (7) and Table 1.
  """
  check_rule(rule)
  _check_prior(prior)
  real_logits = _checks.as_float_array(real_logits, "real_logits")
  fake_logits = _checks.as_float_array(fake_logits, "fake_logits")
  real_terms = prior * _scores(real_logits, rule)[0]
  fake_terms = (1 - prior) * _scores(fake_logits, rule)[1]
  return real_terms, fake_terms
