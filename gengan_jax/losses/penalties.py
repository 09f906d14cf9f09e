"""Gradient penalties for Lipschitz critics (WGAN-GP).

``gradient_penalty = gradient_norm_penalty o interpolate``: draw one point per
example on the segment between a real and a generated example, then penalise
the deviation of the critic's input-gradient norm at that point from a target
(1 for a 1-Lipschitz critic). All functions are pure and return per-example
values; the caller reduces (and multiplies by the weight ``lambda``).
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

from gengan_jax.losses import _checks

__all__ = [
    "interpolate",
    "gradient_norm_penalty",
    "gradient_penalty",
]

# Added to the squared gradient norm inside the square root so that the
# penalty has a finite gradient where the critic's input-gradient is exactly
# zero (d sqrt(u)/du is infinite at u = 0). It shifts the norm by at most
# 1e-6 (at a zero gradient) and by ~5e-13 / ||g|| otherwise.
_NORM_EPS = 1e-12


def _check_key(key: jax.typing.ArrayLike) -> jax.Array:
  key = jnp.asarray(key) if not isinstance(key, jax.Array) else key
  if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
    return key
  if key.dtype == jnp.uint32:
    return key
  raise TypeError(
      "`key` must be a typed PRNG key (jax.random.key) or a raw uint32 key "
      f"(jax.random.PRNGKey), got dtype {key.dtype}."
  )


def interpolate(
    real: jax.typing.ArrayLike,
    fake: jax.typing.ArrayLike,
    key: jax.typing.ArrayLike,
) -> jax.Array:
  r"""Random points on the segments between paired real and fake examples.

  One mixing weight is drawn per example and broadcast over its other axes:

  .. math::

    \epsilon_i \sim U[0, 1], \qquad
    \hat x_i = \epsilon_i x_i + (1 - \epsilon_i) \tilde x_i

  with ``eps = jax.random.uniform(key, (B, 1, ..., 1), dtype)`` (one trailing
  ``1`` per non-batch axis of ``real``), so the result is reproducible from
  ``key``.

  Args:
    real: real examples ``x``, shape ``[B, ...]``, floating dtype.
    fake: generated examples ``x_tilde``, same shape as ``real``.
    key: a typed PRNG key (``jax.random.key``) or a raw ``uint32`` key.

  Returns:
    The interpolates ``x_hat``, shape ``[B, ...]`` (the shape of ``real``),
    in the promoted dtype of ``real`` and ``fake``.

  Raises:
    ValueError: if ``real`` and ``fake`` shapes differ, or they are scalars.
    TypeError: for non-floating inputs or a key of the wrong dtype.

  References:
    Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017,
    Section 4 ("Sampling distribution") and Algorithm 1.
  """
  real = _checks.as_float_array(real, "real")
  fake = _checks.as_float_array(fake, "fake")
  _checks.check_same_shape(real, fake, "real", "fake")
  _checks.check_min_rank(real, 1, "real", "[B, ...]")
  key = _check_key(key)
  dtype = jnp.result_type(real, fake)
  eps_shape = (real.shape[0],) + (1,) * (real.ndim - 1)
  eps = jax.random.uniform(key, eps_shape, dtype=dtype)
  return eps * real + (1 - eps) * fake


def gradient_norm_penalty(
    critic_fn: Callable[[jax.Array], jax.Array],
    x: jax.typing.ArrayLike,
    *,
    target_norm: float = 1.0,
) -> jax.Array:
  r"""Squared deviation of the critic's input-gradient norm from a target.

  .. math::

    p_i = \left( \sqrt{\lVert \nabla_{x} f(x_i) \rVert_2^2 + 10^{-12}}
          - t \right)^2

  where the norm runs over all non-batch axes of ``x`` and ``t`` is
  ``target_norm``. The ``1e-12`` keeps the penalty differentiable where the
  gradient is exactly zero; it changes the norm by at most ``1e-6``.

  The per-example gradients are computed in one backward pass as
  ``jax.grad(lambda x: jnp.sum(critic_fn(x)))(x)``. This equals
  ``grad f(x_i)`` for each ``i`` only if the critic treats examples
  independently (score ``i`` depends on ``x_i`` alone): no batch
  normalisation, minibatch discrimination or other cross-example layers
  (layer norm is fine). Gulrajani et al. drop batch norm from the critic for
  this reason.

  Per-example: no reduction is applied; the caller reduces. The result is
  differentiable with respect to anything ``critic_fn`` closes over (e.g. the
  critic's parameters), which is how the penalty trains the critic.

  Args:
    critic_fn: maps a batch ``[B, ...]`` to scores of shape ``[B]``.
    x: the points at which to evaluate the penalty, shape ``[B, ...]``.
    target_norm: the target gradient norm ``t >= 0`` (1 for WGAN-GP).

  Returns:
    Per-example penalties, shape ``[B]``.

  Raises:
    ValueError: if ``x`` is a scalar, ``critic_fn`` does not return shape
      ``[B]``, or ``target_norm`` is negative.
    TypeError: if ``critic_fn`` is not callable or ``x`` is not floating.

  References:
    Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017,
    eq. (3) and Algorithm 1.
  """
  if not callable(critic_fn):
    raise TypeError(
        "`critic_fn` must be callable, mapping [B, ...] -> [B], got "
        f"{type(critic_fn).__name__}."
    )
  x = _checks.as_float_array(x, "x")
  _checks.check_min_rank(x, 1, "x", "[B, ...]")
  _checks.check_positive_float(target_norm, "target_norm", allow_zero=True)
  batch = x.shape[0]

  def summed_scores(inputs):
    scores = critic_fn(inputs)
    if jnp.shape(scores) != (batch,):
      raise ValueError(
          f"`critic_fn` must map inputs of shape {inputs.shape} to scores of "
          f"shape ({batch},) (one score per example), got shape "
          f"{jnp.shape(scores)}. Squeeze a trailing axis with "
          "`scores[..., 0]` if needed."
      )
    return jnp.sum(scores)

  grads = jax.grad(summed_scores)(x)
  sq_norms = jnp.sum(jnp.square(grads), axis=tuple(range(1, x.ndim)))
  norms = jnp.sqrt(sq_norms + _NORM_EPS)
  return jnp.square(norms - target_norm)


def gradient_penalty(
    critic_fn: Callable[[jax.Array], jax.Array],
    real: jax.typing.ArrayLike,
    fake: jax.typing.ArrayLike,
    key: jax.typing.ArrayLike,
    *,
    target_norm: float = 1.0,
) -> jax.Array:
  r"""WGAN-GP gradient penalty at random real/fake interpolates.

  .. math::

    \hat x_i = \epsilon_i x_i + (1 - \epsilon_i) \tilde x_i,
    \quad \epsilon_i \sim U[0, 1], \qquad
    p_i = \left( \lVert \nabla_{\hat x} f(\hat x_i) \rVert_2 - t
          \right)^2

  Equivalent to ``gradient_norm_penalty(critic_fn, interpolate(real, fake,
  key), target_norm=target_norm)``; see those functions for how ``eps`` is
  drawn and for the small constant inside the norm. The per-example gradients
  come from ``jax.grad(lambda x: jnp.sum(critic_fn(x)))``, which is valid
  only for critics that treat examples independently (no batch norm).

  Per-example: no reduction is applied; the caller reduces and weights it,
  e.g. ``loss = mean(wasserstein_critic_loss(r, f) + 10 * gradient_penalty(
  ...))``.

  Args:
    critic_fn: maps a batch ``[B, ...]`` to scores of shape ``[B]``.
    real: real examples, shape ``[B, ...]``, floating dtype.
    fake: generated examples, same shape as ``real``.
    key: a typed PRNG key (``jax.random.key``) or a raw ``uint32`` key.
    target_norm: the target gradient norm ``t >= 0`` (1 for WGAN-GP).

  Returns:
    Per-example penalties, shape ``[B]``.

  Raises:
    ValueError: if ``real`` and ``fake`` shapes differ, ``critic_fn`` does not
      return shape ``[B]``, or ``target_norm`` is negative.
    TypeError: for non-floating inputs, a key of the wrong dtype or a
      non-callable ``critic_fn``.

  References:
    Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017,
    eq. (3) and Algorithm 1.
  """
  x_hat = interpolate(real, fake, key)
  return gradient_norm_penalty(critic_fn, x_hat, target_norm=target_norm)
