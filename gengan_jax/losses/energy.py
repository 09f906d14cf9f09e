r"""Energies of auto-encoder discriminators, and the losses built on them.

An auto-encoder discriminator scores an example by how badly it
reconstructs it: its *energy*. EBGAN (Zhao, Mathieu & LeCun 2017) trains it
with a margin loss and lets the generator minimise the energy; BEGAN
(Berthelot, Schumm & Metz 2017) balances the two sides' energies with a
proportional controller ``k_t``. This module holds their pieces:

* :func:`l1_energy`, :func:`l2_energy` -- per-example reconstruction
  energies, the *mean* absolute or squared error over the non-batch axes
  (so that a margin or an energy does not scale with the image size);
* :func:`ebgan_margin_loss` -- EBGAN's hinge on the fake energy;
* :func:`pulling_away_term` -- EBGAN's repelling regulariser, a *batch*
  statistic (a scalar: it compares every pair of the batch);
* :func:`began_k_update` and :func:`began_convergence` -- BEGAN's control
  variable update and its convergence measure, elementwise functions of
  (batch-mean) energies.

Per-example functions return one value per example and never reduce over
the batch: the caller takes the mean.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gengan_jax.losses import _checks

__all__ = [
    "ENERGIES",
    "began_convergence",
    "began_k_update",
    "ebgan_margin_loss",
    "l1_energy",
    "l2_energy",
    "pulling_away_term",
]


def _pair(x, x_rec) -> tuple[jax.Array, jax.Array, tuple[int, ...]]:
  x = _checks.as_float_array(x, "x")
  x_rec = _checks.as_float_array(x_rec, "x_rec")
  _checks.check_same_shape(x, x_rec, "x", "x_rec")
  _checks.check_min_rank(x, 1, "x", "[B, ...]")
  return x, x_rec, tuple(range(1, x.ndim))


def l1_energy(x: jax.typing.ArrayLike, x_rec: jax.typing.ArrayLike) -> jax.Array:
  r"""Per-example L1 reconstruction energy, the mean over the non-batch axes.

  .. math::

    \mathcal{L}(v) = \frac{1}{N_x} \sum_{j=1}^{N_x} |v_j - D(v)_j|

  BEGAN's auto-encoder loss with the norm ``eta = 1`` that the paper uses,
  taken as a mean over the ``N_x`` coordinates of one example (pixels times
  channels). Per-example: no reduction over the batch; the caller reduces.

  Args:
    x: examples ``v``, shape ``[B, ...]``.
    x_rec: their reconstructions ``D(v)``, the same shape.

  Returns:
    Energies, shape ``[B]``.

  Raises:
    TypeError: a non-floating input.
    ValueError: the shapes differ, or ``x`` is a scalar.

  References:
    Berthelot, Schumm & Metz, "BEGAN: Boundary Equilibrium Generative
    Adversarial Networks", arXiv:1703.10717, 2017, Sec. 3.1
    (:math:`\mathcal{L}(v) = |v - D(v)|^\eta`, ``eta = 1``).
  """
  x, x_rec, axes = _pair(x, x_rec)
  return jnp.mean(jnp.abs(x - x_rec), axis=axes)


def l2_energy(x: jax.typing.ArrayLike, x_rec: jax.typing.ArrayLike) -> jax.Array:
  r"""Per-example squared-error energy (MSE), the mean over the non-batch axes.

  .. math::

    D(x) = \frac{1}{N_x} \sum_{j=1}^{N_x} \big(\mathrm{Dec}(\mathrm{Enc}(x))_j
    - x_j\big)^2

  EBGAN's auto-encoder energy, "the mean squared reconstruction error" (the
  paper writes ``||Dec(Enc(x)) - x||``), and BEGAN's ``eta = 2``. A mean, not
  a sum, over the ``N_x`` coordinates, so a margin keeps its meaning across
  image sizes; a margin ``m`` for the sum is ``m / N_x`` here.
  Per-example: no reduction over the batch; the caller reduces.

  Args:
    x: examples, shape ``[B, ...]``.
    x_rec: their reconstructions, the same shape.

  Returns:
    Energies, shape ``[B]``.

  Raises:
    TypeError: a non-floating input.
    ValueError: the shapes differ, or ``x`` is a scalar.

  References:
    Zhao, Mathieu & LeCun, "Energy-based Generative Adversarial Networks",
    ICLR 2017, Sec. 2.3 (the auto-encoder energy).
  """
  x, x_rec, axes = _pair(x, x_rec)
  return jnp.mean(jnp.square(x - x_rec), axis=axes)


# The reconstruction energies by name (an algorithm's ``energy`` setting).
ENERGIES = {"l1": l1_energy, "l2": l2_energy}


def ebgan_margin_loss(fake_energy: jax.typing.ArrayLike, margin: float) -> jax.Array:
  r"""EBGAN's hinge on the energy of generated examples, per example.

  .. math::

    \ell(x') = [m - D(x')]^+ = \max(0,\, m - D(x'))

  The discriminator's loss is :math:`D(x) + [m - D(G(z))]^+` (the paper's
  eq. 1): data energies are pushed down, generated ones up until they
  reach the margin ``m``, after which they contribute nothing. Zero for
  energies at or above ``m``, ``m - e`` below it. Per-example: no reduction
  over the batch; the caller reduces.

  Args:
    fake_energy: energies ``D(G(z))`` of generated examples, shape ``[B]``
      (any shape: elementwise).
    margin: ``m >= 0``.

  Returns:
    The hinge terms, the shape of ``fake_energy``.

  Raises:
    TypeError: a non-floating ``fake_energy`` or a non-numeric ``margin``.
    ValueError: a negative or non-finite ``margin``.

  References:
    Zhao, Mathieu & LeCun, "Energy-based Generative Adversarial Networks",
    ICLR 2017, eq. 1 (and eq. 2, :math:`\mathcal{L}_G = D(G(z))`, the
    generator's loss, which is the energy itself).
  """
  fake_energy = _checks.as_float_array(fake_energy, "fake_energy")
  _checks.check_positive_float(margin, "margin", allow_zero=True)
  return jnp.maximum(margin - fake_energy, 0.0)


def pulling_away_term(codes: jax.typing.ArrayLike, *, eps: float = 1e-8) -> jax.Array:
  r"""EBGAN's pulling-away term: the mean squared cosine similarity of a batch.

  .. math::

    f_{PT}(S) = \frac{1}{N(N-1)} \sum_{i} \sum_{j \ne i}
      \left(\frac{S_i^\top S_j}{\lVert S_i \rVert\, \lVert S_j \rVert}\right)^2

  over the ``N(N-1)`` ordered pairs of distinct rows of ``S``, the encoder's
  codes of a batch of generated examples. It lies in ``[0, 1]``: 0 when the
  codes are mutually orthogonal, 1 when they are all parallel (a collapsed
  batch). Added to the generator's loss with a weight (0.1 in the paper) it
  pushes the codes of a batch apart, against mode collapse.

  This is a *batch* statistic, not a per-example loss: it returns one
  scalar for the batch. ``eps`` guards zero codes (each squared norm is
  clamped at ``eps**2`` before a reciprocal square root; a zero code
  contributes 0, with a finite gradient).

  Args:
    codes: ``S``, shape ``[N, K]`` with ``N >= 2`` (more axes are flattened
      into ``K``).
    eps: lower bound on a code's norm, ``> 0``.

  Returns:
    A scalar in ``[0, 1]``.

  Raises:
    TypeError: non-floating ``codes``.
    ValueError: fewer than two codes, ``codes`` of rank < 2, or ``eps <= 0``.

  References:
    Zhao, Mathieu & LeCun, "Energy-based Generative Adversarial Networks",
    ICLR 2017, Sec. 2.4, eq. 6 (the "repelling regularizer").
  """
  s = _checks.as_float_array(codes, "codes")
  _checks.check_min_rank(s, 2, "codes", "[N, K]")
  _checks.check_positive_float(eps, "eps", allow_zero=False)
  n = s.shape[0]
  if n < 2:
    raise ValueError(f"pulling_away_term needs a batch of N >= 2 codes (it averages over "
                     f"the N(N-1) pairs); got codes.shape={s.shape}.")
  s = s.reshape(n, -1)
  # rsqrt of the clamped squared norm: no sqrt(0) is differentiated.
  unit = s * jax.lax.rsqrt(jnp.maximum(jnp.sum(jnp.square(s), axis=-1, keepdims=True),
                                       jnp.square(eps)))
  cosine = unit @ unit.T
  off_diagonal = jnp.sum(jnp.square(cosine)) - jnp.sum(jnp.square(jnp.diagonal(cosine)))
  return off_diagonal / (n * (n - 1))


def began_k_update(k: jax.typing.ArrayLike, real_energy: jax.typing.ArrayLike,
                   fake_energy: jax.typing.ArrayLike, *, gamma: float,
                   lambda_k: float) -> jax.Array:
  r"""BEGAN's equilibrium control: the next ``k_t``, clipped to ``[0, 1]``.

  .. math::

    k_{t+1} = \mathrm{clip}\big(k_t + \lambda_k\,(\gamma\, \mathcal{L}(x)
      - \mathcal{L}(G(z_G))),\; 0,\; 1\big)

  A proportional controller: when the generated examples' energy is below
  ``gamma`` times the data's (the generator is "winning"), ``k`` grows and
  the discriminator weighs the fake term more; above it, ``k`` shrinks.
  ``real_energy`` and ``fake_energy`` are the batch means
  :math:`\mathcal{L}(x)` and :math:`\mathcal{L}(G(z_G))` (the generator's
  loss); the function is elementwise, so it also runs on arrays of them.

  Args:
    k: ``k_t`` (``k_0 = 0`` in the paper).
    real_energy: :math:`\mathcal{L}(x)`.
    fake_energy: :math:`\mathcal{L}(G(z_G))`.
    gamma: the diversity ratio ``gamma = E[L(G(z))] / E[L(x)]`` aimed at,
      in ``[0, 1]`` (0.5 in the paper's figures).
    lambda_k: the gain ``lambda_k >= 0`` (0.001 in the paper).

  Returns:
    ``k_{t+1}``, broadcast over the inputs.

  Raises:
    ValueError: ``gamma`` outside ``[0, 1]`` or a negative ``lambda_k``.

  References:
    Berthelot, Schumm & Metz, "BEGAN: Boundary Equilibrium Generative
    Adversarial Networks", arXiv:1703.10717, 2017, Sec. 3.4 (the BEGAN
    objective; ``k`` clipped to ``[0, 1]``).
  """
  _check_gamma(gamma)
  _checks.check_positive_float(lambda_k, "lambda_k", allow_zero=True)
  k = _checks.as_float_array(k, "k")
  real_energy = _checks.as_float_array(real_energy, "real_energy")
  fake_energy = _checks.as_float_array(fake_energy, "fake_energy")
  return jnp.clip(k + lambda_k * (gamma * real_energy - fake_energy), 0.0, 1.0)


def began_convergence(real_energy: jax.typing.ArrayLike, fake_energy: jax.typing.ArrayLike,
                      *, gamma: float) -> jax.Array:
  r"""BEGAN's global convergence measure ``M_global``.

  .. math::

    \mathcal{M}_{global} = \mathcal{L}(x) + |\gamma\, \mathcal{L}(x)
      - \mathcal{L}(G(z_G))|

  The data's reconstruction energy plus the distance from the equilibrium
  ``L(G(z)) = gamma L(x)``: it falls as the model converges and, unlike the
  two losses, is meant to track sample quality. Elementwise in the (batch
  mean) energies.

  Args:
    real_energy: :math:`\mathcal{L}(x)`.
    fake_energy: :math:`\mathcal{L}(G(z_G))`.
    gamma: the diversity ratio, in ``[0, 1]``.

  Returns:
    ``M_global``, broadcast over the inputs.

  Raises:
    ValueError: ``gamma`` outside ``[0, 1]``.

  References:
    Berthelot, Schumm & Metz, "BEGAN: Boundary Equilibrium Generative
    Adversarial Networks", arXiv:1703.10717, 2017, Sec. 3.4.1 (convergence
    measure).
  """
  _check_gamma(gamma)
  real_energy = _checks.as_float_array(real_energy, "real_energy")
  fake_energy = _checks.as_float_array(fake_energy, "fake_energy")
  return real_energy + jnp.abs(gamma * real_energy - fake_energy)


def _check_gamma(gamma) -> None:
  _checks.check_positive_float(gamma, "gamma", allow_zero=True)
  if not isinstance(gamma, jax.core.Tracer) and float(gamma) > 1.0:
    raise ValueError(f"`gamma` must be in [0, 1] (the diversity ratio "
                     f"E[L(G(z))] / E[L(x)]), got {gamma!r}.")
