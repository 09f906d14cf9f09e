"""KL divergences for Gaussian codes: analytic per-example and minibatch fits.

* :func:`gaussian_kl` -- the analytic KL between diagonal Gaussians, one value
  per example (the VAE regulariser); the caller reduces.
* :func:`empirical_kl`, :func:`empirical_kl_per_dimension` -- a *minibatch
  statistic*: fit one diagonal Gaussian to a whole batch of codes and compare
  it with ``N(0, I)``. There is no per-example value; the result describes the
  batch (the aggregate posterior), as used by alpha-GAN and AGE.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gengan_jax.losses import _checks

__all__ = [
    "gaussian_kl",
    "empirical_kl",
    "empirical_kl_per_dimension",
]


def gaussian_kl(
    mean: jax.typing.ArrayLike,
    log_var: jax.typing.ArrayLike,
    *,
    prior_mean: jax.typing.ArrayLike = 0.0,
    prior_log_var: jax.typing.ArrayLike = 0.0,
) -> jax.Array:
  r"""Per-example KL between diagonal Gaussians, summed over the last axis.

  .. math::

    \mathrm{KL}\big(\mathcal N(\mu, \mathrm{diag}\, e^{v}) \,\|\,
                    \mathcal N(\mu_0, \mathrm{diag}\, e^{v_0})\big)
    = \frac12 \sum_{k} \Big( v_{0k} - v_k
        + \frac{e^{v_k} + (\mu_k - \mu_{0k})^2}{e^{v_{0k}}} - 1 \Big)

  With the default standard-normal prior (``mu_0 = 0``, ``v_0 = 0``) this is
  ``0.5 * sum_k (exp(v_k) + mu_k^2 - 1 - v_k)``. Variances are passed as
  log-variances (``v = log sigma^2``) so that no ``log`` of a variance is
  taken. Per-example: the sum runs over the last axis only; no reduction over
  the batch is applied, the caller reduces.

  Args:
    mean: posterior means ``mu``, shape ``[B, K]`` (more generally
      ``[..., K]``).
    log_var: posterior log-variances ``v``, same shape as ``mean``.
    prior_mean: prior means ``mu_0``, broadcastable to ``mean.shape`` (e.g.
      a scalar or ``[K]``).
    prior_log_var: prior log-variances ``v_0``, broadcastable to
      ``mean.shape``.

  Returns:
    Per-example KL divergences (nats), shape ``[B]`` (``mean.shape[:-1]``).

  Raises:
    ValueError: if ``mean`` and ``log_var`` shapes differ, ``mean`` is a
      scalar, or a prior argument does not broadcast to ``mean.shape``.

  References:
    Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014,
    Appendix B (the standard-normal case, ``-KL`` written as
    ``0.5 * sum(1 + log sigma^2 - mu^2 - sigma^2)``) and eq. (10).
  """
  mean = _checks.as_float_array(mean, "mean")
  log_var = _checks.as_float_array(log_var, "log_var")
  _checks.check_same_shape(mean, log_var, "mean", "log_var")
  _checks.check_min_rank(mean, 1, "mean", "[B, K]")
  prior_mean = _checks.as_float_array(prior_mean, "prior_mean")
  prior_log_var = _checks.as_float_array(prior_log_var, "prior_log_var")
  _checks.check_broadcasts_to(prior_mean, mean.shape, "prior_mean", "mean")
  _checks.check_broadcasts_to(
      prior_log_var, mean.shape, "prior_log_var", "mean"
  )
  per_dim = (
      prior_log_var
      - log_var
      + (jnp.exp(log_var) + jnp.square(mean - prior_mean))
      * jnp.exp(-prior_log_var)
      - 1
  )
  return 0.5 * jnp.sum(per_dim, axis=-1)


def empirical_kl_per_dimension(
    codes: jax.typing.ArrayLike, *, eps: float = 1e-6
) -> jax.Array:
  r"""Per-dimension KL of a Gaussian fitted to a minibatch of codes vs N(0, 1).

  For each code dimension ``k``, fit ``N(m_k, s_k^2)`` to the batch by its
  sample mean and *biased* sample variance (divisor ``B``), then

  .. math::

    m_k = \frac1B \sum_i z_{ik}, \qquad
    s_k^2 = \frac1B \sum_i (z_{ik} - m_k)^2, \qquad
    \mathrm{KL}_k = \frac12 \left( s_k^2 + m_k^2 - 1
                                    - \log(s_k^2 + \epsilon) \right)

  This is a statistic of the **whole minibatch**, not a per-example loss: it
  has one value per code dimension and none per example. Its gradient flows
  to every code through ``m`` and ``s^2``. It only constrains the first two
  moments of each marginal of the aggregate posterior. Under data
  parallelism compute it on the global batch (inside ``jit`` over the full
  batch), not per device, or the fit changes with the number of devices.

  Args:
    codes: encoder outputs ``z``, shape ``[B, K]`` with ``B >= 2``.
    eps: added to the variance inside the ``log`` (only there), ``>= 0``;
      keeps the value finite when a dimension has zero batch variance.

  Returns:
    Per-dimension terms, shape ``[K]``; their sum is :func:`empirical_kl`.

  Raises:
    ValueError: if ``codes`` is not rank 2 or ``B < 2`` (the shape is named),
      or ``eps < 0``.

  References:
    Ulyanov et al., "It Takes (Only) Two: Adversarial Generator-Encoder
    Networks", AAAI 2018, arXiv:1704.02304 (per-dimension Gaussian fit of the
    codes compared with N(0, 1)).
    Rosca et al., "Variational Approaches for Auto-Encoding Generative
    Adversarial Networks", arXiv:1706.04987, 2017, Appendix D, eq. (18).
  """
  codes = _checks.as_float_array(codes, "codes")
  if codes.ndim != 2:
    raise ValueError(
        f"`codes` must have rank 2 with layout [B, K], got shape {codes.shape}."
    )
  if codes.shape[0] < 2:
    raise ValueError(
        "`codes` must hold at least 2 examples to estimate a variance, got "
        f"shape {codes.shape}."
    )
  _checks.check_positive_float(eps, "eps", allow_zero=True)
  mean = jnp.mean(codes, axis=0)
  var = jnp.mean(jnp.square(codes - mean), axis=0)
  return 0.5 * (var + jnp.square(mean) - 1 - jnp.log(var + eps))


def empirical_kl(
    codes: jax.typing.ArrayLike, *, eps: float = 1e-6
) -> jax.Array:
  r"""KL of a diagonal Gaussian fitted to a minibatch of codes vs N(0, I).

  .. math::

    \mathrm{KL}\big(\mathcal N(m, \mathrm{diag}\, s^2) \,\|\,
                    \mathcal N(0, I)\big)
    = \frac12 \sum_{k=1}^{K} \left( s_k^2 + m_k^2 - 1
                                   - \log(s_k^2 + \epsilon) \right)

  where ``m_k`` and ``s_k^2`` are the batch mean and biased batch variance of
  code dimension ``k`` (see :func:`empirical_kl_per_dimension`). With
  ``eps = 0`` it equals ``gaussian_kl(m, log(s^2))``.

  This returns a **scalar**: it is a statistic of the whole minibatch (a
  moment-matching estimate of how far the aggregate posterior is from the
  prior), not a per-example loss, so unlike the other losses in this package
  there is nothing for the caller to reduce. It is a biased estimate of a
  divergence that ignores dependence between dimensions and higher moments;
  for ``B`` samples from ``N(0, I)`` it is ``O(K / B)``, not zero. Under data
  parallelism compute it on the global batch, not per device.

  Args:
    codes: encoder outputs ``z``, shape ``[B, K]`` with ``B >= 2``.
    eps: added to the variance inside the ``log``, ``>= 0``.

  Returns:
    The minibatch KL estimate, a scalar (shape ``()``).

  Raises:
    ValueError: if ``codes`` is not rank 2 or ``B < 2`` (the shape is named),
      or ``eps < 0``.

  References:
    Rosca et al., "Variational Approaches for Auto-Encoding Generative
    Adversarial Networks", arXiv:1706.04987, 2017, Appendix D, eq. (18).
    Ulyanov et al., "It Takes (Only) Two: Adversarial Generator-Encoder
    Networks", AAAI 2018, arXiv:1704.02304.
  """
  return jnp.sum(empirical_kl_per_dimension(codes, eps=eps))
