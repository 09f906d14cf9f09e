r"""The variational mutual-information lower bound of InfoGAN.

Chen et al., "InfoGAN: Interpretable representation learning by information
maximizing generative adversarial nets" (NeurIPS 2016), Sec. 5. For a latent
code ``c ~ P(c)`` fed to the generator and ``x = G(z, c)``, the mutual
information ``I(c; x) = H(c) - H(c | x)`` needs the intractable posterior
``P(c | x)``; any auxiliary distribution ``Q(c | x)`` bounds it from below
(eq. 3; the gap is ``E_x KL(P(. | x) || Q(. | x)) >= 0``), and Lemma 5.1
turns the bound into an expectation over the generator's own samples
(eq. 4):

.. math::

  L_I(G, Q) = \mathbb E_{c \sim P(c),\, x \sim G(z, c)}[\log Q(c \mid x)]
              + H(c) \;\le\; I(c; G(z, c)).

InfoGAN's objective is ``min_{G,Q} max_D V(D, G) - lambda L_I(G, Q)``
(eq. 5). Here:

* :func:`categorical_log_q` -- ``log Q(c | x)`` of a categorical code under a
  softmax over logits (the paper's choice for discrete codes, Sec. 6);
* :func:`gaussian_log_q` -- ``log Q(c | x)`` of continuous codes under a
  factored Gaussian (Sec. 6: "simply treating Q(c_j | x) as a factored
  Gaussian is sufficient"), with a learned or a fixed (unit) standard
  deviation;
* :func:`categorical_entropy`, :func:`uniform_entropy` -- ``H(c)`` of the
  uniform priors InfoGAN uses (a uniform categorical, ``Uniform(-1, 1)``);
* :func:`information_bound` -- the per-example term of ``L_I``:
  ``log Q(c | x) + H(c)``.

Every function returns per-example values (shape ``[B]``) and never reduces
over the batch: the caller takes the mean, which estimates ``L_I``.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from gengan_jax.losses import _checks

__all__ = [
    "categorical_entropy",
    "categorical_log_q",
    "gaussian_log_q",
    "information_bound",
    "uniform_entropy",
]

_LOG_2PI = math.log(2.0 * math.pi)


def categorical_log_q(logits: jax.typing.ArrayLike, codes: jax.typing.ArrayLike) -> jax.Array:
  r"""Per-example ``log Q(c | x)`` of a categorical code, from logits.

  .. math::

    \log Q(c \mid x) = \ell_c(x) - \log \sum_{k=1}^{K} e^{\ell_k(x)}

  where ``ell(x)`` are ``Q``'s logits for ``x`` (a softmax distribution; Chen
  et al. 2016, Sec. 6). Works on logits, not probabilities (a stable
  log-softmax). Per-example; the caller reduces.

  Args:
    logits: ``Q``'s logits, shape ``[B, K]``.
    codes: the codes that generated ``x``, integer categories in
      ``[0, K)``, shape ``[B]``.

  Returns:
    ``log Q(c | x)``, shape ``[B]`` (nats, <= 0).

  Raises:
    TypeError: ``logits`` is not floating point or ``codes`` not integer.
    ValueError: the shapes do not match ``[B, K]`` and ``[B]``.
  """
  logits = _checks.as_float_array(logits, "logits")
  codes = jnp.asarray(codes)
  if not jnp.issubdtype(codes.dtype, jnp.integer):
    raise TypeError(f"`codes` must be integer categories in [0, K), got dtype {codes.dtype}; "
                    "pass the category indices, not one-hot vectors.")
  if logits.ndim != 2 or codes.shape != logits.shape[:1]:
    raise ValueError(f"`logits` must be [B, K] and `codes` [B]; got logits.shape="
                     f"{logits.shape} and codes.shape={codes.shape}.")
  log_probs = jax.nn.log_softmax(logits, axis=-1)
  return jnp.take_along_axis(log_probs, codes[:, None], axis=-1)[:, 0]


def gaussian_log_q(mean: jax.typing.ArrayLike, codes: jax.typing.ArrayLike, *,
                   log_std: jax.typing.ArrayLike | None = None) -> jax.Array:
  r"""Per-example ``log Q(c | x)`` of continuous codes under a factored Gaussian.

  .. math::

    \log Q(c \mid x) = \sum_{j} \Big( -\tfrac12 \log 2\pi - s_j(x)
        - \frac{(c_j - \mu_j(x))^2}{2 e^{2 s_j(x)}} \Big)

  with ``mu(x)`` the means and ``s(x) = log sigma(x)`` the log standard
  deviations ``Q`` outputs (Chen et al. 2016, Sec. 6). ``log_std=None`` fixes
  ``sigma = 1`` (``s = 0``), as the authors' code does for MNIST
  (``Uniform(1, fix_std=True)`` in ``launchers/run_mnist_exp.py``): ``log Q``
  is then ``-0.5 ||c - mu||^2`` up to a constant. Per-example (summed over
  the code dimensions, the last axis); the caller reduces over the batch.

  Args:
    mean: ``Q``'s means, shape ``[B, J]``.
    codes: the continuous codes that generated ``x``, shape ``[B, J]``.
    log_std: ``Q``'s log standard deviations, shape ``[B, J]``, or ``None``
      for unit standard deviations.

  Returns:
    ``log Q(c | x)``, shape ``[B]`` (a log density, nats).

  Raises:
    TypeError: a non-floating input.
    ValueError: shapes differ, or ``mean`` has rank < 1.
  """
  mean = _checks.as_float_array(mean, "mean")
  codes = _checks.as_float_array(codes, "codes")
  _checks.check_same_shape(mean, codes, "mean", "codes")
  _checks.check_min_rank(mean, 1, "mean", "[B, J]")
  if log_std is None:
    per_dim = -0.5 * _LOG_2PI - 0.5 * jnp.square(codes - mean)
  else:
    log_std = _checks.as_float_array(log_std, "log_std")
    _checks.check_same_shape(mean, log_std, "mean", "log_std")
    per_dim = (-0.5 * _LOG_2PI - log_std
               - 0.5 * jnp.square((codes - mean) * jnp.exp(-log_std)))
  return jnp.sum(per_dim, axis=-1)


def categorical_entropy(num_categories: int) -> float:
  r"""``H(c) = log K`` of a uniform categorical code over ``K`` categories (nats).

  Raises:
    ValueError: ``num_categories`` is not a positive integer.
  """
  if isinstance(num_categories, bool) or not isinstance(num_categories, int) or (
      num_categories < 1):
    raise ValueError(f"num_categories={num_categories!r} must be a positive integer.")
  return math.log(num_categories)


def uniform_entropy(dim: int, low: float = -1.0, high: float = 1.0) -> float:
  r"""``H(c) = J log(high - low)``: the differential entropy of ``J`` independent
  ``Uniform(low, high)`` codes (nats; ``J log 2`` for InfoGAN's ``Uniform(-1, 1)``).

  Raises:
    ValueError: ``dim < 0`` or ``high <= low``.
  """
  if isinstance(dim, bool) or not isinstance(dim, int) or dim < 0:
    raise ValueError(f"dim={dim!r} must be a non-negative integer.")
  if not high > low:
    raise ValueError(f"high={high!r} must exceed low={low!r}.")
  return dim * math.log(high - low)


def information_bound(log_q: jax.typing.ArrayLike, entropy: jax.typing.ArrayLike) -> jax.Array:
  r"""Per-example term of InfoGAN's bound ``L_I`` (Chen et al. 2016, eq. 4).

  .. math::

    L_I(G, Q) = \mathbb E_{c \sim P(c),\, x \sim G(z, c)}[\log Q(c \mid x)] + H(c)
    \;\le\; I(c; G(z, c))

  The mean over a batch of ``(c, x = G(z, c))`` pairs is an unbiased
  estimate of ``L_I``; equality with the mutual information holds when ``Q``
  is the true posterior ``P(c | x)`` (the gap is ``E_x KL(P(.|x) || Q(.|x))``,
  eq. 3). Per-example; the caller reduces.

  Args:
    log_q: ``log Q(c_i | x_i)``, shape ``[B]`` (from :func:`categorical_log_q`
      or :func:`gaussian_log_q`).
    entropy: ``H(c)`` of the code's prior, a scalar (from
      :func:`categorical_entropy` or :func:`uniform_entropy`).

  Returns:
    ``log Q(c_i | x_i) + H(c)``, shape ``[B]``.
  """
  log_q = _checks.as_float_array(log_q, "log_q")
  return log_q + jnp.asarray(entropy, log_q.dtype)
