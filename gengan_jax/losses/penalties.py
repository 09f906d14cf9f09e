r"""Gradient penalties for critics and discriminators.

Each penalty is a function of the critic's input-gradient at some points:

======================================  ======================  =======================
penalty                                 points                  per-example value
======================================  ======================  =======================
WGAN-GP (:func:`gradient_penalty`)      real/fake interpolates  ``(||g|| - t)^2``
one-sided WGAN-GP (``one_sided=True``)  real/fake interpolates  ``max(0, ||g|| - t)^2``
DRAGAN (:func:`dragan_penalty`)         perturbed real data     ``(||g|| - t)^2``
R1 (:func:`r1_penalty`)                 real data               ``||g||^2``
R2 (:func:`r2_penalty`)                 generated data          ``||g||^2``
======================================  ======================  =======================

with ``g = grad_x f(x)``. ``gradient_penalty = gradient_norm_penalty o
interpolate`` and ``dragan_penalty = gradient_norm_penalty o dragan_perturb``.
All functions are pure, work with any critic ``f: [B, ...] -> [B]`` that
treats examples independently (no batch norm), compose with ``jit``,
``vmap`` and sharded inputs, and return per-example values; the caller
reduces (and multiplies by the weight ``lambda``, or ``gamma / 2`` for R1/R2).
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
    "DRAGAN_METHODS",
    "dragan_perturb",
    "dragan_penalty",
    "squared_gradient_norm",
    "r1_penalty",
    "r2_penalty",
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
    one_sided: bool = False,
) -> jax.Array:
  r"""Squared deviation of the critic's input-gradient norm from a target.

  .. math::

    p_i = \left( \sqrt{\lVert \nabla_{x} f(x_i) \rVert_2^2 + 10^{-12}}
          - t \right)^2

  where the norm runs over all non-batch axes of ``x`` and ``t`` is
  ``target_norm``. The ``1e-12`` keeps the penalty differentiable where the
  gradient is exactly zero; it changes the norm by at most ``1e-6``. With
  ``one_sided=True`` only the excess over the target is penalised,
  ``p_i = max(0, ||grad f(x_i)|| - t)^2`` (Gulrajani et al. 2017, Appendix;
  Petzka, Fischer & Lukovnikov, "On the regularization of Wasserstein
  GANs", ICLR 2018, eq. (8)).

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
    one_sided: penalise only norms above ``t``.

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
  _check_critic(critic_fn)
  x = _checks.as_float_array(x, "x")
  _checks.check_min_rank(x, 1, "x", "[B, ...]")
  _checks.check_positive_float(target_norm, "target_norm", allow_zero=True)
  norms = jnp.sqrt(_squared_gradient_norms(critic_fn, x) + _NORM_EPS)
  deviation = norms - target_norm
  if one_sided:
    deviation = jax.nn.relu(deviation)
  return jnp.square(deviation)


def _check_critic(critic_fn) -> None:
  if not callable(critic_fn):
    raise TypeError(
        "`critic_fn` must be callable, mapping [B, ...] -> [B], got "
        f"{type(critic_fn).__name__}."
    )


def _squared_gradient_norms(critic_fn, x: jax.Array) -> jax.Array:
  """``||grad_x f(x_i)||^2`` per example, from one backward pass."""
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
  return jnp.sum(jnp.square(grads), axis=tuple(range(1, x.ndim)))


def gradient_penalty(
    critic_fn: Callable[[jax.Array], jax.Array],
    real: jax.typing.ArrayLike,
    fake: jax.typing.ArrayLike,
    key: jax.typing.ArrayLike,
    *,
    target_norm: float = 1.0,
    one_sided: bool = False,
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
    one_sided: penalise only norms above ``t``,
      ``max(0, ||grad f|| - t)^2`` (the one-sided variant of Gulrajani et
      al., Appendix; Petzka et al., ICLR 2018).

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
  return gradient_norm_penalty(critic_fn, x_hat, target_norm=target_norm,
                               one_sided=one_sided)


DRAGAN_METHODS: tuple[str, ...] = ("uniform", "gaussian")


def dragan_perturb(
    real: jax.typing.ArrayLike,
    key: jax.typing.ArrayLike,
    *,
    method: str = "uniform",
    scale: float = 0.5,
) -> jax.Array:
  r"""Random points near the data, where DRAGAN penalises the gradient.

  ``method='uniform'`` (the default: the DRAGAN authors' released code, also
  used by most reimplementations) perturbs each
  element upwards by up to ``scale`` times the standard deviation of the
  whole batch, then picks a random point on the segment back to the data:

  .. math::

    x^p_i = x_i + c \, \mathrm{std}(x) \, u_i, \quad u_i \sim U[0, 1]^D,
    \qquad \hat x_i = x_i + lpha_i (x^p_i - x_i), \quad
    lpha_i \sim U[0, 1]

  with ``c = scale`` and ``std(x)`` over all elements of ``real`` (a batch
  statistic, not differentiated). ``method='gaussian'`` is the paper's
  perturbation, ``x_hat_i = x_i + delta_i``, ``delta_i ~ N(0, c I)`` with
  ``sqrt(c) = scale`` (the noise's standard deviation).

  Args:
    real: data ``[B, ...]``, floating dtype.
    key: a typed PRNG key or a raw ``uint32`` key.
    method: ``'uniform'`` or ``'gaussian'``.
    scale: ``c`` (uniform) or the noise standard deviation (gaussian),
      ``>= 0``.

  Returns:
    The perturbed points, shape and dtype of ``real``.

  Raises:
    ValueError: unknown ``method`` (the valid ones are named), negative
      ``scale`` or scalar ``real``.
    TypeError: non-floating ``real`` or a key of the wrong dtype.

  References:
    Kodali, Abernethy, Hays & Kira, "On Convergence and Stability of GANs",
    arXiv:1705.07215, 2017, Sec. 3.3, eq. (4) and Algorithm 1 (Gaussian
    perturbation); the authors' code github.com/kodalinaveen3/DRAGAN (the
    uniform variant).
  """
  if method not in DRAGAN_METHODS:
    raise ValueError(f"`method`={method!r} is not a DRAGAN perturbation; valid "
                     f"choices are {', '.join(repr(m) for m in DRAGAN_METHODS)}.")
  real = _checks.as_float_array(real, "real")
  _checks.check_min_rank(real, 1, "real", "[B, ...]")
  _checks.check_positive_float(scale, "scale", allow_zero=True)
  key = _check_key(key)
  if method == "gaussian":
    return real + scale * jax.random.normal(key, real.shape, real.dtype)
  u_key, a_key = jax.random.split(key)
  std = jax.lax.stop_gradient(jnp.std(real))
  perturbed = real + scale * std * jax.random.uniform(u_key, real.shape, real.dtype)
  alpha = jax.random.uniform(a_key, (real.shape[0],) + (1,) * (real.ndim - 1),
                             real.dtype)
  return real + alpha * (perturbed - real)


def dragan_penalty(
    critic_fn: Callable[[jax.Array], jax.Array],
    real: jax.typing.ArrayLike,
    key: jax.typing.ArrayLike,
    *,
    method: str = "uniform",
    scale: float = 0.5,
    target_norm: float = 1.0,
) -> jax.Array:
  r"""DRAGAN gradient penalty at random perturbations of the data.

  .. math::

    p_i = \left(\lVert \nabla_{\hat x} f(\hat x_i) \rVert_2 - k\right)^2,
    \qquad \hat x = \text{dragan\_perturb}(x)

  with ``k = target_norm``. See :func:`dragan_perturb` for the two
  perturbations (default ``'uniform'``, the authors' code; ``'gaussian'``,
  the paper's). Per-example: the caller reduces and weights it (``lambda =
  10`` in the paper).

  Args:
    critic_fn: maps ``[B, ...]`` to ``[B]``.
    real: data ``[B, ...]``.
    key: a PRNG key.
    method: ``'uniform'`` or ``'gaussian'``.
    scale: see :func:`dragan_perturb`.
    target_norm: ``k >= 0``.

  Returns:
    Per-example penalties, shape ``[B]``.

  Raises:
    ValueError, TypeError: as :func:`dragan_perturb` and
      :func:`gradient_norm_penalty`.

  References:
    Kodali et al., arXiv:1705.07215, 2017, eq. (4) and Algorithm 1.
  """
  x_hat = dragan_perturb(real, key, method=method, scale=scale)
  return gradient_norm_penalty(critic_fn, x_hat, target_norm=target_norm)


def squared_gradient_norm(
    critic_fn: Callable[[jax.Array], jax.Array],
    x: jax.typing.ArrayLike,
) -> jax.Array:
  r"""The squared input-gradient norm ``||grad_x f(x_i)||^2`` per example.

  .. math::

    p_i = \lVert \nabla_x f(x_i) \rVert_2^2

  (no small constant: the square needs none). Valid for critics that treat
  examples independently (see :func:`gradient_norm_penalty`).

  Args:
    critic_fn: maps ``[B, ...]`` to ``[B]``.
    x: points ``[B, ...]``.

  Returns:
    Per-example squared norms, shape ``[B]``.

  Raises:
    ValueError: scalar ``x`` or a critic output that is not ``[B]``.
    TypeError: non-callable ``critic_fn`` or non-floating ``x``.
  """
  _check_critic(critic_fn)
  x = _checks.as_float_array(x, "x")
  _checks.check_min_rank(x, 1, "x", "[B, ...]")
  return _squared_gradient_norms(critic_fn, x)


def r1_penalty(
    critic_fn: Callable[[jax.Array], jax.Array],
    real: jax.typing.ArrayLike,
) -> jax.Array:
  r"""R1: the zero-centred gradient penalty on real data.

  .. math::

    R_1(\psi) = \frac{\gamma}{2} \mathbb{E}_{p_D}
      \lVert \nabla_x D_\psi(x) \rVert^2

  This returns the per-example ``||grad_x D(x_i)||^2`` on data; the caller
  takes the mean and multiplies by ``gamma / 2``. ``D`` is the
  discriminator's logit.

  Args:
    critic_fn: maps ``[B, ...]`` to logits ``[B]``.
    real: data ``[B, ...]``.

  Returns:
    Per-example squared norms, shape ``[B]``.

  References:
    Mescheder, Geiger & Nowozin, "Which Training Methods for GANs do
    actually Converge?", ICML 2018, eq. (9).
  """
  return squared_gradient_norm(critic_fn, real)


def r2_penalty(
    critic_fn: Callable[[jax.Array], jax.Array],
    fake: jax.typing.ArrayLike,
) -> jax.Array:
  r"""R2: the zero-centred gradient penalty on generated data.

  .. math::

    R_2(\theta, \psi) = \frac{\gamma}{2} \mathbb{E}_{p_\theta}
      \lVert \nabla_x D_\psi(x) \rVert^2

  Per-example ``||grad_x D(x~_i)||^2`` on generated samples (pass them
  through ``stop_gradient`` for the discriminator's update); the caller
  reduces and multiplies by ``gamma / 2``.

  Args:
    critic_fn: maps ``[B, ...]`` to logits ``[B]``.
    fake: generated samples ``[B, ...]``.

  Returns:
    Per-example squared norms, shape ``[B]``.

  References:
    Mescheder, Geiger & Nowozin, ICML 2018, eq. (10).
  """
  return squared_gradient_norm(critic_fn, fake)


# The two-player family's penalty registry: name -> what it is computed at.
PENALTIES: tuple[str, ...] = ("none", "wgan_gp", "wgan_gp_one_sided", "dragan", "r1", "r2")


def penalty_terms(
    name: str,
    critic_fn: Callable[[jax.Array], jax.Array],
    real: jax.typing.ArrayLike,
    fake: jax.typing.ArrayLike,
    key: jax.typing.ArrayLike | None,
    *,
    target_norm: float = 1.0,
    dragan_method: str = "uniform",
    dragan_scale: float = 0.5,
) -> jax.Array:
  r"""The per-example penalty ``P`` named ``name``, shape ``[B]``.

  ==========================  =====================================================
  name                        ``P_i``
  ==========================  =====================================================
  ``'none'``                  0
  ``'wgan_gp'``               :func:`gradient_penalty` at real/fake interpolates
  ``'wgan_gp_one_sided'``     the same, one-sided (``max(0, norm - target)^2``)
  ``'dragan'``                :func:`dragan_penalty` at perturbed data
  ``'r1'``                    :func:`r1_penalty`: ``||grad D(x)||^2`` on data
  ``'r2'``                    :func:`r2_penalty`: ``||grad D||^2`` on samples
  ==========================  =====================================================

  Per-example: no reduction is applied; the caller takes the mean and
  multiplies by its weight (lambda for GP and DRAGAN, gamma / 2 for R1, R2).

  Args:
    name: one of :data:`PENALTIES`.
    critic_fn: ``[B, ...] -> [B]``, the critic whose gradients are penalised.
    real: data, ``[B, ...]``.
    fake: model samples, ``[B, ...]``.
    key: randomness of ``'wgan_gp'``, ``'wgan_gp_one_sided'`` and ``'dragan'``.
    target_norm: the gradient norm GP and DRAGAN aim at.
    dragan_method, dragan_scale: see :func:`dragan_perturb`.

  Raises:
    ValueError: unknown ``name``.
  """
  if name not in PENALTIES:
    raise ValueError(f"penalty={name!r} is invalid: valid choices are "
                     f"{', '.join(repr(p) for p in PENALTIES)}.")
  real = jnp.asarray(real)
  if name == "none":
    return jnp.zeros(real.shape[:1], real.dtype)
  if name in ("wgan_gp", "wgan_gp_one_sided"):
    return gradient_penalty(critic_fn, real, fake, key, target_norm=target_norm,
                            one_sided=name == "wgan_gp_one_sided")
  if name == "dragan":
    return dragan_penalty(critic_fn, real, key, method=dragan_method, scale=dragan_scale,
                          target_norm=target_norm)
  if name == "r1":
    return r1_penalty(critic_fn, real)
  return r2_penalty(critic_fn, fake)
