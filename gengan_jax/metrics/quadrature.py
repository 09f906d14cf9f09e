r"""f-divergences between 1-D densities by quadrature: the exact reference.

Where both densities are known, an f-divergence is an integral, and in 1-D a
fine uniform grid computes it to many digits:

.. math::

  D_f(P \| Q) = \int q(x) \, f\!\left(\frac{p(x)}{q(x)}\right) dx
  \approx \Delta \sum_i q(x_i) \, f\!\left(\frac{p(x_i)}{q(x_i)}\right),

for every divergence of :data:`gengan_jax.losses.DIVERGENCES`, in the same
convention (``jensen_shannon`` is ``2 JS``, ``gan`` is ``2 JS - log 4``,
``squared_hellinger`` has no factor 1/2; see
:mod:`gengan_jax.losses.f_divergences`). The integrand is written on
``log p`` and ``log q`` in a closed form per divergence, so it stays finite
and accurate where one density is ``1e-300`` times the other (far in one's
tail), as it is for a narrow Gaussian against a well-separated mixture.

For smooth integrands that vanish at both ends of the grid the sum is the
trapezoid rule, which converges faster than any power of ``Delta``; total
variation's ``|p - q|`` has kinks and converges as ``Delta^2``.

:func:`gaussian_mixture_f_divergence` is the reference the f-GAN fits of
``notebooks/mode_covering.ipynb`` are set against (a Gaussian against a
bimodal mixture), and the objective of their grid searches.
:func:`f_divergence_on_grid` takes any densities tabulated on one grid, with
leading batch axes (many ``q`` at once). Host-side numpy, float64.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gengan_jax.losses.f_divergences import check_divergence
from gengan_jax.metrics import _checks

__all__ = [
    "f_divergence_on_grid",
    "gaussian_mixture_f_divergence",
    "gaussian_mixture_log_density",
]

_LOG2 = math.log(2.0)
_LOG_2PI = math.log(2.0 * math.pi)
# The most grid points gaussian_mixture_f_divergence will lay down.
_MAX_POINTS = 2_000_000


def gaussian_mixture_log_density(x: Any, weights: Any, means: Any, scales: Any) -> np.ndarray:
  r"""``log sum_k w_k N(x; m_k, s_k^2)`` of a 1-D Gaussian mixture, float64.

  .. math::

    \log p(x) = \operatorname{logsumexp}_k \left(\log w_k - \tfrac12 \log 2\pi
      - \log s_k - \frac{(x - m_k)^2}{2 s_k^2}\right)

  computed in log space, so it is finite wherever ``x`` is (``-9800`` nats
  at 14 standard deviations of ``s = 0.1`` away, where ``exp`` underflows).

  Args:
    x: ``[N]`` points.
    weights: ``[..., K]`` mixture weights, ``>= 0``, summing to 1 over the
      last axis.
    means: ``[..., K]`` component means.
    scales: ``[..., K]`` component standard deviations, ``> 0``. The three
      broadcast together; leading axes are a batch of mixtures.

  Returns:
    ``[..., N]`` log densities, nats.

  Raises:
    ValueError: ``x`` not 1-D, a negative weight, weights not summing to 1,
      a non-positive scale, or non-finite values.
  """
  x = np.asarray(x, np.float64)
  if x.ndim != 1 or not np.all(np.isfinite(x)):
    raise ValueError(f"`x` must be a finite 1-D array of points, got shape {x.shape}.")
  weights, means, scales = _mixture(weights, means, scales, "")
  with np.errstate(divide="ignore"):
    log_w = np.log(weights)[..., None, :]
  z = (x[:, None] - means[..., None, :]) / scales[..., None, :]
  terms = log_w - 0.5 * _LOG_2PI - np.log(scales)[..., None, :] - 0.5 * np.square(z)
  top = np.max(terms, axis=-1, keepdims=True)
  return np.squeeze(top, -1) + np.log(np.sum(np.exp(terms - top), axis=-1))


def _mixture(weights: Any, means: Any, scales: Any, prefix: str
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """The three parameter arrays, validated and broadcast together."""
  try:
    weights, means, scales = np.broadcast_arrays(
        np.asarray(weights, np.float64), np.asarray(means, np.float64),
        np.asarray(scales, np.float64))
  except ValueError as e:
    raise ValueError(f"`{prefix}weights`, `{prefix}means` and `{prefix}scales` must "
                     f"broadcast together to [..., K]: {e}") from None
  if weights.ndim == 0:
    weights, means, scales = weights[None], means[None], scales[None]
  for name, value in (("weights", weights), ("means", means), ("scales", scales)):
    if not np.all(np.isfinite(value)):
      raise ValueError(f"`{prefix}{name}` contains NaN or infinite values.")
  if np.any(weights < 0) or not np.allclose(weights.sum(-1), 1.0, rtol=0, atol=1e-6):
    raise ValueError(f"`{prefix}weights` must be >= 0 and sum to 1 over the last axis, "
                     f"got minimum {weights.min()!r} and sums {np.unique(weights.sum(-1))}.")
  if np.any(scales <= 0):
    raise ValueError(f"`{prefix}scales` must be > 0, got minimum {scales.min()!r}.")
  return weights, means, scales


def _log_abs_difference(la: np.ndarray, lb: np.ndarray) -> np.ndarray:
  """``log |e^la - e^lb|`` without overflow or cancellation (``-inf`` where equal)."""
  with np.errstate(divide="ignore", invalid="ignore"):
    top = np.maximum(la, lb)
    gap = np.where(np.isneginf(top), np.inf, np.abs(la - lb))  # both zero: |0 - 0| = 0
    return top + np.log(-np.expm1(-gap))


def _integrand(lp: np.ndarray, lq: np.ndarray, divergence: str) -> np.ndarray:
  """``q f(p / q)`` from ``log p`` and ``log q``, per divergence, finite forms."""
  with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
    p, q = np.exp(lp), np.exp(lq)
    if divergence == "kl":                  # p log(p / q)
      return np.where(p > 0, p * (lp - lq), 0.0)
    if divergence == "reverse_kl":          # q log(q / p)
      return np.where(q > 0, q * (lq - lp), 0.0)
    # chi^2: p^2 / q can be large where both p and q underflow, so no test on p, q.
    both_zero = np.isneginf(lp) & np.isneginf(lq)
    if divergence == "pearson":             # (p - q)^2 / q
      return np.where(both_zero, 0.0, np.exp(2 * _log_abs_difference(lp, lq) - lq))
    if divergence == "neyman":              # (q - p)^2 / p
      return np.where(both_zero, 0.0, np.exp(2 * _log_abs_difference(lp, lq) - lp))
    if divergence == "squared_hellinger":   # (sqrt p - sqrt q)^2
      return np.exp(2 * _log_abs_difference(0.5 * lp, 0.5 * lq))
    if divergence in ("jensen_shannon", "gan"):
      # p log(c p / (p + q)) + q log(c q / (p + q)), c = 2 (JS) or 1 (GAN).
      lm = np.logaddexp(lp, lq) - (_LOG2 if divergence == "jensen_shannon" else 0.0)
      return np.where(p > 0, p * (lp - lm), 0.0) + np.where(q > 0, q * (lq - lm), 0.0)
    return 0.5 * np.abs(p - q)              # total variation


def f_divergence_on_grid(log_p: Any, log_q: Any, cell: float, *, divergence: str
                         ) -> np.ndarray:
  r"""``D_f(P || Q)`` from log densities tabulated on one uniform grid.

  .. math::

    D_f(P \| Q) \approx \Delta \sum_i q(x_i) \, f\!\left(\frac{p(x_i)}{q(x_i)}\right)

  summed over the last axis, with ``q f(p / q)`` in closed form on ``log p``,
  ``log q`` (e.g. ``p (log p - log q)`` for ``kl``; ``p log(2p / (p + q))
  + q log(2q / (p + q))`` for ``jensen_shannon``). The grid must cover both
  densities' mass and resolve their narrowest features: the sum is then the
  trapezoid rule (exact to many digits for smooth, vanishing integrands). A
  divergence that is infinite (Pearson's ``int p^2 / q`` with ``q``'s tails
  lighter than ``p / sqrt 2``'s) is not detected here: its sum grows with the
  grid's width (:func:`gaussian_mixture_f_divergence` detects it for
  Gaussian mixtures).

  Args:
    log_p: ``[..., N]`` log densities of ``P`` on the grid.
    log_q: ``[..., N]`` log densities of ``Q`` on the same grid; broadcasts
      with ``log_p`` (e.g. ``[N]`` against ``[M, N]``: one ``P``, ``M``
      ``Q``).
    cell: the grid's spacing ``Delta`` (a cell's area or volume for a
      flattened grid in more dimensions), ``> 0``.
    divergence: one of :data:`gengan_jax.losses.DIVERGENCES`.

  Returns:
    ``[...]`` divergences (the broadcast leading shape), float64.

  Raises:
    ValueError: unknown ``divergence``, ``cell <= 0``, NaN or ``+inf`` log
      densities, or shapes that do not broadcast.

  References:
    Nowozin, Cseke & Tomioka, NeurIPS 2016, eq. (1) and Table 1 (``f``).
    Trefethen & Weideman, "The exponentially convergent trapezoidal rule",
    SIAM Review 56 (2014), Sec. 5 (the real line).
  """
  check_divergence(divergence)
  cell = _checks.positive_float(cell, "cell")
  lp, lq = np.asarray(log_p, np.float64), np.asarray(log_q, np.float64)
  for name, value in (("log_p", lp), ("log_q", lq)):
    if value.ndim < 1 or np.any(np.isnan(value)) or np.any(value == np.inf):
      raise ValueError(f"`{name}` must be [..., N] log densities, without NaN or +inf; "
                       f"got shape {value.shape}.")
  try:
    np.broadcast_shapes(lp.shape, lq.shape)
  except ValueError:
    raise ValueError(f"`log_p` {lp.shape} and `log_q` {lq.shape} must broadcast "
                     "(the grid on the last axis).") from None
  return cell * np.sum(_integrand(lp, lq, divergence), axis=-1)


def gaussian_mixture_f_divergence(p: tuple[Any, Any, Any], q: tuple[Any, Any, Any], *,
                                  divergence: str, tails: float = 12.0,
                                  points_per_scale: int = 40) -> float:
  r"""``D_f(P || Q)`` between two 1-D Gaussian mixtures, by quadrature.

  .. math::

    p(x) = \sum_k w_k \mathcal N(x; m_k, s_k^2), \quad
    q(x) = \sum_l v_l \mathcal N(x; n_l, t_l^2), \quad
    D_f(P \| Q) = \int q f(p / q) \, dx

  on a uniform grid from ``tails`` standard deviations below the lowest
  component to ``tails`` above the highest, with ``points_per_scale`` points
  per narrowest standard deviation (:func:`f_divergence_on_grid`). A single
  Gaussian is the mixture ``([1], [m], [s])``. Pearson's ``chi^2`` is
  infinite when ``P``'s widest component is at least ``sqrt 2`` times as wide
  as ``Q``'s widest (``int p^2 / q`` diverges in the tails), Neyman's with
  ``P`` and ``Q`` swapped; ``inf`` is returned then. Every other divergence
  of the registry is finite between Gaussian mixtures.

  Args:
    p: ``(weights, means, scales)`` of ``P``, each ``[K]`` (weights ``>= 0``
      summing to 1, scales ``> 0``).
    q: the same for ``Q``, ``[L]``.
    divergence: one of :data:`gengan_jax.losses.DIVERGENCES`.
    tails: how far the grid reaches beyond the outermost components, in
      their standard deviations, ``> 0`` (12: the Gaussian mass beyond is
      ``4e-33``).
    points_per_scale: grid points per narrowest standard deviation, ``>= 2``.

  Returns:
    The divergence, nats (in the library's convention: ``jensen_shannon`` is
    ``2 JS``).

  Raises:
    ValueError: unknown ``divergence``, invalid mixture parameters (named),
      or a grid of more than 2,000,000 points (scales too disparate).

  References:
    Nowozin, Cseke & Tomioka, NeurIPS 2016, eq. (1) and Table 1.
  """
  check_divergence(divergence)
  tails = _checks.positive_float(tails, "tails")
  points_per_scale = _checks.positive_int(points_per_scale, "points_per_scale", minimum=2)
  if not (isinstance(p, tuple) and len(p) == 3 and isinstance(q, tuple) and len(q) == 3):
    raise ValueError("`p` and `q` must each be a tuple (weights, means, scales).")
  mixtures = []
  for name, (w, m, s) in (("p.", p), ("q.", q)):
    w, m, s = _mixture(w, m, s, name)
    if w.ndim != 1:
      raise ValueError(f"`{name[0]}` must hold [K] arrays (one mixture), got shape {w.shape}.")
    mixtures.append((w, m, s))
  (wp, mp, sp), (wq, mq, sq) = mixtures
  # Only components of positive weight shape the tails.
  widest_p, widest_q = sp[wp > 0].max(), sq[wq > 0].max()
  if divergence == "pearson" and widest_p ** 2 >= 2 * widest_q ** 2:
    return math.inf
  if divergence == "neyman" and widest_q ** 2 >= 2 * widest_p ** 2:
    return math.inf
  all_m, all_s = np.concatenate([mp, mq]), np.concatenate([sp, sq])
  lo, hi = np.min(all_m - tails * all_s), np.max(all_m + tails * all_s)
  cell = float(all_s.min()) / points_per_scale
  num = int(math.ceil((hi - lo) / cell)) + 1
  if num > _MAX_POINTS:
    raise ValueError(f"the quadrature grid would need {num} points (> {_MAX_POINTS}): "
                     f"the scales range from {all_s.min()!r} to {all_s.max()!r}; lower "
                     "`points_per_scale` or `tails`.")
  x = lo + cell * np.arange(num)
  return float(f_divergence_on_grid(gaussian_mixture_log_density(x, wp, mp, sp),
                                    gaussian_mixture_log_density(x, wq, mq, sq), cell,
                                    divergence=divergence))
