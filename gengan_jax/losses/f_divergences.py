r"""Divergence minimisation: f-divergences and their variational bounds (f-GAN).

For a convex ``f: R+ -> R`` with ``f(1) = 0`` the f-divergence between the
data ``P`` (density ``p``) and the model ``Q`` (density ``q``) is

.. math::

  D_f(P \| Q) = \int q(x) \, f\!\left(\frac{p(x)}{q(x)}\right) dx
  \;\ge\; \sup_T \; \mathbb{E}_P[T(x)] - \mathbb{E}_Q[f^*(T(x))],

with ``f*(t) = sup_u (t u - f(u))`` the convex conjugate (Nguyen, Wainwright
& Jordan 2010). The bound is tight at ``T*(x) = f'(p(x) / q(x))``. The f-GAN
critic outputs an unbounded ``v(x)`` and ``T = g_f(v)`` maps it into the
domain of ``f*`` (Nowozin, Cseke & Tomioka 2016, Tables 1 and 2):

=================  ===================  =========================  =============  =====================
name               ``f(u)``             ``g_f(v)``                 dom ``f*``     ``f*(t)``
=================  ===================  =========================  =============  =====================
kl                 ``u log u``          ``v``                      R              ``exp(t - 1)``
reverse_kl         ``-log u``           ``-exp(-v)``               t < 0          ``-1 - log(-t)``
pearson            ``(u - 1)^2``        ``v``                      R              ``t^2 / 4 + t``
neyman             ``(1 - u)^2 / u``    ``1 - exp(-v)``            t < 1          ``2 - 2 sqrt(1 - t)``
squared_hellinger  ``(sqrt(u) - 1)^2``  ``1 - exp(-v)``            t < 1          ``t / (1 - t)``
jensen_shannon     ``u log u - (u + 1)  ``log 2 - log(1 + e^-v)``  t < log 2      ``-log(2 - e^t)``
                   log((u + 1) / 2)``
gan                ``u log u - (u + 1)  ``-log(1 + e^-v)``         t < 0          ``-log(1 - e^t)``
                   log(u + 1)``
total_variation    ``|u - 1| / 2``      ``tanh(v) / 2``            abs(t) <= 1/2  ``t``
=================  ===================  =========================  =============  =====================

Notes on the names: with these ``f`` the divergences are ``KL(P||Q)``,
``KL(Q||P)``, ``chi^2_Pearson = int (p - q)^2 / q``, ``chi^2_Neyman = int
(q - p)^2 / p``, ``H^2 = int (sqrt p - sqrt q)^2`` (no factor 1/2),
``2 JS(P, Q)`` for ``jensen_shannon`` (Nowozin et al.'s Table 1 writes the
JS divergence ``JS = 1/2 KL(P||M) + 1/2 KL(Q||M)`` next to this ``f``, whose
``D_f`` is twice that), ``2 JS - log 4`` for ``gan`` and ``TV = 1/2 int |p
- q|``. ``f*`` is the table's: the conjugate of ``f`` over ``u >= 0`` on the
listed domain, except for Pearson, whose ``t^2/4 + t`` is the conjugate of
``(u - 1)^2`` over all real ``u`` (it equals the supremum over ``u >= 0``
for ``t >= -2``; below, it is larger, which keeps the bound valid, only
looser, for critics that undershoot).

The critic's loss and the generator's losses are written on ``v`` with
``f*(g_f(v))`` simplified in closed form (e.g. ``softplus(v)`` for ``gan``)
so they are finite for any ``v``. All functions are pure and elementwise.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from gengan_jax.losses import _checks

__all__ = [
    "DIVERGENCES",
    "f_generator",
    "f_conjugate",
    "conjugate_domain",
    "output_activation",
    "f_prime_at_one",
    "optimal_critic",
    "log_ratio_from_critic",
    "conjugate_of_activation",
    "fgan_critic_loss",
    "fgan_generator_loss",
]

DIVERGENCES: tuple[str, ...] = (
    "kl", "reverse_kl", "pearson", "neyman", "squared_hellinger",
    "jensen_shannon", "gan", "total_variation")

_LOG2 = math.log(2.0)

# (lower, upper) bounds of dom f*, and whether they are included.
_DOMAINS: dict[str, tuple[float, float, bool]] = {
    "kl": (-math.inf, math.inf, False),
    "reverse_kl": (-math.inf, 0.0, False),
    "pearson": (-math.inf, math.inf, False),
    "neyman": (-math.inf, 1.0, False),
    "squared_hellinger": (-math.inf, 1.0, False),
    "jensen_shannon": (-math.inf, _LOG2, False),
    "gan": (-math.inf, 0.0, False),
    "total_variation": (-0.5, 0.5, True),
}

_F_PRIME_AT_ONE: dict[str, float] = {
    "kl": 1.0, "reverse_kl": -1.0, "pearson": 0.0, "neyman": 0.0,
    "squared_hellinger": 0.0, "jensen_shannon": 0.0, "gan": -_LOG2,
    "total_variation": 0.0,
}


def check_divergence(divergence: str, arg: str = "divergence") -> None:
  """Raises ValueError unless ``divergence`` is one of :data:`DIVERGENCES`."""
  if divergence not in DIVERGENCES:
    raise ValueError(
        f"`{arg}`={divergence!r} is not a known f-divergence; valid choices "
        f"are {', '.join(repr(d) for d in DIVERGENCES)}.")


def f_generator(u: jax.typing.ArrayLike, divergence: str) -> jax.Array:
  r"""The generator function ``f(u)`` of an f-divergence, ``u >= 0``.

  .. math::

    D_f(P \| Q) = \mathbb{E}_Q\left[f\left(\frac{p(x)}{q(x)}\right)\right]

  ``f(0)`` is the limit (``0 log 0 = 0``; ``+inf`` for ``reverse_kl`` and
  ``neyman``). Elementwise: returns ``f`` at every element of ``u``.

  Args:
    u: density ratios ``p / q >= 0``, any shape.
    divergence: one of :data:`DIVERGENCES`.

  Returns:
    ``f(u)``, shape of ``u``.

  Raises:
    ValueError: unknown ``divergence`` (the valid names are listed).

  References:
    Nowozin, Cseke & Tomioka, "f-GAN: Training Generative Neural Samplers
    using Variational Divergence Minimization", NeurIPS 2016, eq. (1) and
    Table 1.
  """
  check_divergence(divergence)
  u = _checks.as_float_array(u, "u")
  xlogy = jax.scipy.special.xlogy
  if divergence == "kl":
    return xlogy(u, u)
  if divergence == "reverse_kl":
    return -jnp.log(u)
  if divergence == "pearson":
    return jnp.square(u - 1)
  if divergence == "neyman":
    return jnp.square(1 - u) / u
  if divergence == "squared_hellinger":
    return jnp.square(jnp.sqrt(u) - 1)
  if divergence == "jensen_shannon":
    return xlogy(u, u) - xlogy(u + 1, (u + 1) / 2)
  if divergence == "gan":
    return xlogy(u, u) - xlogy(u + 1, u + 1)
  return 0.5 * jnp.abs(u - 1)


def conjugate_domain(divergence: str) -> tuple[float, float, bool]:
  """The domain of ``f*``: ``(lower, upper, closed)``.

  ``closed`` says whether finite bounds belong to the domain. Pearson's is
  all of R, as in Nowozin et al.'s table (the conjugate of ``(u - 1)^2``
  over real ``u``).

  Raises:
    ValueError: unknown ``divergence``.

  References:
    Nowozin et al., NeurIPS 2016, Table 2 (column dom_{f*}).
  """
  check_divergence(divergence)
  return _DOMAINS[divergence]


def f_conjugate(t: jax.typing.ArrayLike, divergence: str) -> jax.Array:
  r"""The convex (Fenchel) conjugate ``f*(t) = sup_{u >= 0} (t u - f(u))``.

  Closed forms from Nowozin et al. (2016), Table 2; ``+inf`` outside the
  domain of :func:`conjugate_domain` (where the supremum is unbounded; for
  TV below ``-1/2`` the supremum over ``u >= 0`` alone would be finite, but
  these points are outside the range of ``g_f`` and are returned as
  ``+inf`` as in the table).

  Elementwise; no reduction.

  Args:
    t: points, any shape.
    divergence: one of :data:`DIVERGENCES`.

  Returns:
    ``f*(t)``, shape of ``t``.

  Raises:
    ValueError: unknown ``divergence``.

  References:
    Nowozin et al., NeurIPS 2016, Table 2. Hiriart-Urruty & Lemarechal,
    "Fundamentals of Convex Analysis", 2001, Ch. E (conjugacy).
  """
  check_divergence(divergence)
  t = _checks.as_float_array(t, "t")
  lo, hi, closed = _DOMAINS[divergence]
  inside = ((t >= lo) & (t <= hi)) if closed else ((t > lo) & (t < hi))
  # Evaluate the formula at a safe point outside the domain, then mask.
  safe = jnp.where(inside, t, 0.0 if divergence not in ("reverse_kl", "gan") else -1.0)
  if divergence == "kl":
    value = jnp.exp(safe - 1)
  elif divergence == "reverse_kl":
    value = -1 - jnp.log(-safe)
  elif divergence == "pearson":
    value = 0.25 * jnp.square(safe) + safe
  elif divergence == "neyman":
    value = 2 - 2 * jnp.sqrt(1 - safe)
  elif divergence == "squared_hellinger":
    value = safe / (1 - safe)
  elif divergence == "jensen_shannon":
    value = -jnp.log(2 - jnp.exp(safe))
  elif divergence == "gan":
    value = -jnp.log1p(-jnp.exp(safe))
  else:
    value = safe
  return jnp.where(inside, value, jnp.inf)


def output_activation(v: jax.typing.ArrayLike, divergence: str) -> jax.Array:
  r"""The f-GAN output activation ``T = g_f(v)`` into the domain of ``f*``.

  See the table in the module docstring. Elementwise; no reduction.

  Args:
    v: critic outputs, any shape.
    divergence: one of :data:`DIVERGENCES`.

  Returns:
    ``g_f(v)``, shape of ``v``.

  Raises:
    ValueError: unknown ``divergence``.

  References:
    Nowozin et al., NeurIPS 2016, Sec. 2.4 and Table 2 (column g_f).
  """
  check_divergence(divergence)
  v = _checks.as_float_array(v, "v")
  if divergence in ("kl", "pearson"):
    return v
  if divergence == "reverse_kl":
    return -jnp.exp(-v)
  if divergence in ("neyman", "squared_hellinger"):
    return -jnp.expm1(-v)
  if divergence == "jensen_shannon":
    return _LOG2 - jax.nn.softplus(-v)
  if divergence == "gan":
    return -jax.nn.softplus(-v)
  return 0.5 * jnp.tanh(v)


def conjugate_of_activation(v: jax.typing.ArrayLike, divergence: str) -> jax.Array:
  r"""``f*(g_f(v))`` in a closed form that is finite for every ``v``.

  ==================  ==========================
  divergence          ``f*(g_f(v))``
  ==================  ==========================
  kl                  ``exp(v - 1)``
  reverse_kl          ``v - 1``
  pearson             ``v^2 / 4 + v``
  neyman              ``2 - 2 exp(-v / 2)``
  squared_hellinger   ``exp(v) - 1``
  jensen_shannon      ``softplus(v) - log 2``
  gan                 ``softplus(v)``
  total_variation     ``tanh(v) / 2``
  ==================  ==========================

  Elementwise; no reduction.

  Args:
    v: critic outputs, any shape.
    divergence: one of :data:`DIVERGENCES`.

  Returns:
    ``f*(g_f(v))``, shape of ``v``.

  Raises:
    ValueError: unknown ``divergence``.

  References:
    Nowozin et al., NeurIPS 2016, eq. (6) and Table 2.
  """
  check_divergence(divergence)
  v = _checks.as_float_array(v, "v")
  if divergence == "kl":
    return jnp.exp(v - 1)
  if divergence == "reverse_kl":
    return v - 1
  if divergence == "pearson":
    return 0.25 * jnp.square(v) + v
  if divergence == "neyman":
    return 2 - 2 * jnp.exp(-0.5 * v)
  if divergence == "squared_hellinger":
    return jnp.expm1(v)
  if divergence == "jensen_shannon":
    return jax.nn.softplus(v) - _LOG2
  if divergence == "gan":
    return jax.nn.softplus(v)
  return 0.5 * jnp.tanh(v)


def f_prime_at_one(divergence: str) -> float:
  """``f'(1)``: the optimal critic's value where ``p = q``.

  Nowozin et al. (2016, Sec. 3) use it as the threshold of the implied
  classifier (``T(x) > f'(1)`` means "data").

  Raises:
    ValueError: unknown ``divergence``.

  References:
    Nowozin et al., NeurIPS 2016, Table 2 (column f'(1)).
  """
  check_divergence(divergence)
  return _F_PRIME_AT_ONE[divergence]


def optimal_critic(log_ratio: jax.typing.ArrayLike, divergence: str) -> jax.Array:
  r"""The optimal critic ``T*(x) = f'(r(x))`` from ``log r = log p/q``.

  .. math::

    T^* = f'(r):\quad
    1 + \log r,\; -1/r,\; 2(r - 1),\; 1 - r^{-2},\; 1 - r^{-1/2},\;
    \log\frac{2r}{1 + r},\; \log\frac{r}{1 + r},\; \tfrac12\mathrm{sign}(r - 1)

  for kl, reverse_kl, pearson, neyman, squared_hellinger, jensen_shannon,
  gan and total_variation (``f`` is not differentiable at 1 for TV; the
  sign is its maximiser, with ``T* = 0`` at ``r = 1``). At ``T*`` the
  variational bound equals ``D_f(P || Q)``. Elementwise; no reduction.

  Args:
    log_ratio: ``log p(x) - log q(x)``, any shape.
    divergence: one of :data:`DIVERGENCES`.

  Returns:
    ``T*``, shape of ``log_ratio``.

  Raises:
    ValueError: unknown ``divergence``.

  References:
    Nowozin et al., NeurIPS 2016, Sec. 2.2 (``T*(x) = f'(p(x)/q(x))``).
    Nguyen, Wainwright & Jordan, "Estimating divergence functionals and the
    likelihood ratio by convex risk minimization", IEEE Trans. Inf. Theory
    2010, Lemma 1.
  """
  check_divergence(divergence)
  s = _checks.as_float_array(log_ratio, "log_ratio")
  if divergence == "kl":
    return 1 + s
  if divergence == "reverse_kl":
    return -jnp.exp(-s)
  if divergence == "pearson":
    return 2 * jnp.expm1(s)
  if divergence == "neyman":
    return -jnp.expm1(-2 * s)
  if divergence == "squared_hellinger":
    return -jnp.expm1(-0.5 * s)
  if divergence == "jensen_shannon":
    return _LOG2 - jax.nn.softplus(-s)
  if divergence == "gan":
    return -jax.nn.softplus(-s)
  return 0.5 * jnp.sign(s)


# Pearson's critic can undershoot r = 1 + v/2 <= 0; this floor keeps log r
# finite (log(1e-6) ~ -13.8).
_MIN_RATIO = 1e-6


def log_ratio_from_critic(v: jax.typing.ArrayLike, divergence: str) -> jax.Array:
  r"""The log density ratio implied by an f-GAN critic output ``v``.

  Inverts ``g_f(v) = T*(x) = f'(r(x))``:

  ==================  ==================================
  divergence          ``log r``
  ==================  ==================================
  kl                  ``v - 1``
  reverse_kl, gan,    ``v``
  jensen_shannon
  pearson             ``log max(1 + v / 2, 1e-6)``
  neyman              ``v / 2``
  squared_hellinger   ``2 v``
  ==================  ==================================

  Total variation's ``f'`` is not invertible (its optimal critic is the sign
  of ``log r``), so it is rejected. Elementwise; no reduction.

  Args:
    v: critic outputs, any shape.
    divergence: one of :data:`DIVERGENCES` except ``'total_variation'``.

  Returns:
    ``log r``, shape of ``v``.

  Raises:
    ValueError: unknown ``divergence`` or ``'total_variation'``.

  References:
    Nowozin et al., NeurIPS 2016, Sec. 2.2; Mohamed & Lakshminarayanan,
    arXiv:1610.03483, Sec. 3.2 (the critic of divergence minimisation is a
    ratio estimator).
  """
  check_divergence(divergence)
  if divergence == "total_variation":
    raise ValueError(
        "`divergence`='total_variation' has no invertible optimal critic "
        "(T* = sign(log r) / 2), so a log ratio cannot be read from it; "
        f"choose one of {', '.join(repr(d) for d in DIVERGENCES[:-1])}.")
  v = _checks.as_float_array(v, "v")
  if divergence == "kl":
    return v - 1
  if divergence in ("reverse_kl", "gan", "jensen_shannon"):
    return v
  if divergence == "pearson":
    return jnp.log(jnp.maximum(1 + 0.5 * v, _MIN_RATIO))
  if divergence == "neyman":
    return 0.5 * v
  return 2 * v


def fgan_critic_loss(
    real_v: jax.typing.ArrayLike,
    fake_v: jax.typing.ArrayLike,
    *,
    divergence: str,
) -> tuple[jax.Array, jax.Array]:
  r"""The f-GAN critic loss: the negated variational lower bound, per example.

  .. math::

    F(\theta, \omega) = \mathbb{E}_{P}[g_f(V_\omega(x))]
      - \mathbb{E}_{Q_\theta}[f^*(g_f(V_\omega(x)))] \le D_f(P \| Q_\theta)

  The critic maximises ``F``: this returns the terms of ``-F`` as
  ``(-g_f(v_i), f*(g_f(v~_j)))``, so the minibatch loss is
  ``real_terms.mean() + fake_terms.mean()`` and ``-`` that is the
  divergence estimate. The sets may differ in size. For ``'gan'`` this is
  exactly the GAN discriminator's binary cross-entropy.

  Args:
    real_v: critic outputs on data ``x ~ P``, shape ``[B]`` (any shape).
    fake_v: critic outputs on model samples ``x ~ Q``, shape ``[B']``.
    divergence: one of :data:`DIVERGENCES`.

  Returns:
    ``(real_terms, fake_terms)``, shapes of ``real_v`` and ``fake_v``.

  Raises:
    ValueError: unknown ``divergence``.
    TypeError: non-floating inputs.

  References:
    Nowozin et al., NeurIPS 2016, eq. (6) and Algorithm 1.
  """
  check_divergence(divergence)
  real_v = _checks.as_float_array(real_v, "real_v")
  fake_v = _checks.as_float_array(fake_v, "fake_v")
  return (-output_activation(real_v, divergence),
          conjugate_of_activation(fake_v, divergence))


GENERATOR_LOSSES: tuple[str, ...] = ("non_saturating", "saturating")


def fgan_generator_loss(
    fake_v: jax.typing.ArrayLike,
    *,
    divergence: str,
    critic_divergence: str | None = None,
    form: str = "non_saturating",
) -> jax.Array:
  r"""The f-GAN generator loss on critic outputs for model samples.

  With the same divergence for critic and generator (``critic_divergence``
  ``None`` or equal to ``divergence``), ``T = g_f(v)`` and

  .. math::

    \ell_{\rm sat}(v) = -f^*(g_f(v)), \qquad
    \ell_{\rm ns}(v) = -g_f(v):

  the saturating form is the generator's side of the saddle point
  ``min_theta max_omega F`` (eq. 6); the non-saturating form maximises
  ``E_Q[g_f(V(G(z)))]`` instead (Nowozin et al., Sec. 3.2), which for
  ``'gan'`` is the usual ``-log D(G(z))``.

  With a critic trained for another divergence ``c``, the critic's output is
  first read as a log ratio, ``log r = log_ratio_from_critic(v, c)``, and the
  generator uses the optimal critic of ``divergence`` at that ratio,
  ``T = f'(r)`` (:func:`optimal_critic`), in the same two forms (the
  saturating one as ``f*(f'(r)) = r f'(r) - f(r)`` in closed form). This is the
  "ratio estimation, then any generator loss" view of Mohamed &
  Lakshminarayanan (Sec. 3): the ratio estimator and the divergence the
  generator minimises are separate choices.

  Per-example: no reduction is applied; the caller reduces.

  Args:
    fake_v: critic outputs on generated samples, shape ``[B]`` (any shape).
    divergence: the divergence the generator minimises, one of
      :data:`DIVERGENCES`.
    critic_divergence: the divergence the critic was trained with (default:
      ``divergence``); not ``'total_variation'`` if it differs from
      ``divergence``.
    form: ``'non_saturating'`` or ``'saturating'``.

  Returns:
    Per-example losses, shape of ``fake_v``.

  Raises:
    ValueError: an unknown divergence (either argument, named) or ``form``,
      or a total-variation critic with another generator divergence.

  References:
    Nowozin et al., NeurIPS 2016, eq. (6) and Sec. 3.2. Mohamed &
    Lakshminarayanan, arXiv:1610.03483, Sec. 3.2 and 3.5.
  """
  check_divergence(divergence)
  if critic_divergence is None:
    critic_divergence = divergence
  check_divergence(critic_divergence, "critic_divergence")
  if form not in GENERATOR_LOSSES:
    raise ValueError(f"`form`={form!r} is invalid; valid choices are "
                     f"{', '.join(repr(f) for f in GENERATOR_LOSSES)}.")
  fake_v = _checks.as_float_array(fake_v, "fake_v")
  if critic_divergence == divergence:
    if form == "saturating":
      return -conjugate_of_activation(fake_v, divergence)
    return -output_activation(fake_v, divergence)
  if critic_divergence == "total_variation":
    raise ValueError(
        "`critic_divergence`='total_variation' cannot drive a generator with "
        f"another divergence ({divergence!r}): its critic does not estimate "
        "the ratio. Use the same divergence for both, or another critic.")
  log_r = log_ratio_from_critic(fake_v, critic_divergence)
  if form == "saturating":
    return -_conjugate_at_optimum(log_r, divergence)
  return -optimal_critic(log_r, divergence)


def _conjugate_at_optimum(s: jax.Array, divergence: str) -> jax.Array:
  """``f*(f'(r)) = r f'(r) - f(r)`` in closed form in ``s = log r``."""
  if divergence == "kl":
    return jnp.exp(s)
  if divergence == "reverse_kl":
    return s - 1
  if divergence == "pearson":
    return jnp.expm1(2 * s)
  if divergence == "neyman":
    return 2 - 2 * jnp.exp(-s)
  if divergence == "squared_hellinger":
    return jnp.expm1(0.5 * s)
  if divergence == "jensen_shannon":
    return jax.nn.softplus(s) - _LOG2
  if divergence == "gan":
    return jax.nn.softplus(s)
  return 0.5 * jnp.sign(s)
