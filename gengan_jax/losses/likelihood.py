r"""Likelihoods, reparameterised samples and vector quantisation.

The pieces the prescribed models are built from (VAEs, IWAE, the
Gumbel-softmax VAE, VQ-VAE). Every log-likelihood is per example: it sums
over every axis but the first (``[B, ...] -> [B]``) and never reduces over
the batch; the caller takes the mean. Distributions are given by their
parameters (logits for Bernoulli and categorical ones, a mean and a log
scale for Gaussian and logistic ones), never by probabilities.

* :func:`bernoulli_log_likelihood` -- ``log p(x | logits)``, binary ``x``;
* :func:`gaussian_log_likelihood` -- diagonal Gaussian, learned or fixed scale;
* :func:`discretized_logistic_log_likelihood` -- 8-bit pixels in ``[-1, 1]``
  (Salimans et al. 2017, PixelCNN++ Sec. 2.1, one mixture component);
* :func:`gaussian_sample` -- the reparameterised sample ``mu + sigma eps``
  (Kingma & Welling 2014, Sec. 2.4), :func:`bounded_log_scale` (a smooth
  bound on ``log sigma``) and :func:`log_variance_l1` (Rubenstein et al.'s
  penalty on it);
* :func:`gumbel_softmax_sample` and :func:`concrete_log_density` -- the
  Concrete / Gumbel-softmax relaxation and its density (Maddison et al. 2017,
  eq. 10; Jang et al. 2017, eq. 1), with the straight-through variant;
* :func:`vector_quantize` and :func:`vq_losses` -- VQ-VAE's nearest-codebook
  quantisation with the straight-through gradient and the codebook and
  commitment terms of van den Oord et al. 2017, eq. 3, and
  :func:`ema_codebook_update` (their Appendix A.1);
* :func:`observation_model` -- a decoder's ``p(x | z)`` by name, on data in
  the library's ``[-1, 1]`` range, and :func:`binarize` (static or dynamic
  binarisation of that range to ``{-1, 1}`` for the Bernoulli model).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from gengan_jax.losses import _checks

__all__ = [
    "OBSERVATION_MODELS",
    "ObservationModel",
    "bernoulli_log_likelihood",
    "binarize",
    "bounded_log_scale",
    "concrete_log_density",
    "discretized_logistic_log_likelihood",
    "ema_codebook_update",
    "gaussian_log_likelihood",
    "gaussian_sample",
    "gumbel_softmax_sample",
    "log_variance_l1",
    "observation_model",
    "vector_quantize",
    "vq_losses",
]

_LOG_2PI = math.log(2.0 * math.pi)


def _sum_per_example(x: jax.Array) -> jax.Array:
  return jnp.sum(x, axis=tuple(range(1, x.ndim)))


def _same_shape(name_a: str, a: jax.Array, name_b: str, b: jax.Array) -> None:
  if a.shape != b.shape:
    raise ValueError(f"`{name_a}` has shape {a.shape} but `{name_b}` has shape {b.shape}; "
                     "they must be equal ([B, ...]).")
  if a.ndim < 1:
    raise ValueError(f"`{name_a}` must have a batch axis ([B, ...]); got a scalar.")


def bernoulli_log_likelihood(logits: jax.typing.ArrayLike,
                             x: jax.typing.ArrayLike) -> jax.Array:
  r"""``log p(x)`` of independent Bernoullis with ``P(x_j = 1) = sigmoid(logits_j)``.

  .. math::

    \log p(x) = \sum_j x_j \log \sigma(l_j) + (1 - x_j) \log(1 - \sigma(l_j))
              = \sum_j \left(x_j l_j - \mathrm{softplus}(l_j)\right)

  On logits, so it stays finite for any ``|l|``. ``x`` in ``{0, 1}`` (values
  in ``[0, 1]`` give the cross-entropy, as for non-binarised MNIST).

  Args:
    logits: ``[B, ...]`` decoder logits.
    x: ``[B, ...]`` data, same shape.

  Returns:
    ``[B]``: per-example log-likelihoods in nats (summed over the other axes).

  References:
    Kingma & Welling 2014, Appendix C.1 (Bernoulli MLP decoder).
  """
  logits = _checks.as_float_array(logits, "logits")
  x = _checks.as_float_array(x, "x")
  _same_shape("logits", logits, "x", x)
  return _sum_per_example(x * logits - jax.nn.softplus(logits))


def gaussian_log_likelihood(x: jax.typing.ArrayLike, mean: jax.typing.ArrayLike,
                            log_scale: jax.typing.ArrayLike) -> jax.Array:
  r"""``log N(x; mean, diag(exp(log_scale))^2)``, summed per example.

  .. math::

    \log p(x) = -\sum_j \left(\tfrac12 \log 2\pi + s_j
                + \tfrac12 (x_j - \mu_j)^2 e^{-2 s_j}\right)

  Args:
    x: ``[B, ...]`` data.
    mean: ``[B, ...]`` means, same shape.
    log_scale: the log standard deviations: same shape (learned, a decoder
      head) or a scalar / anything broadcastable to it (a fixed scale).

  Returns:
    ``[B]`` per-example log-densities in nats.
  """
  x = _checks.as_float_array(x, "x")
  mean = _checks.as_float_array(mean, "mean")
  _same_shape("x", x, "mean", mean)
  log_scale = jnp.broadcast_to(_checks.as_float_array(log_scale, "log_scale"), x.shape)
  z = (x - mean) * jnp.exp(-log_scale)
  return _sum_per_example(-0.5 * _LOG_2PI - log_scale - 0.5 * jnp.square(z))


def discretized_logistic_log_likelihood(x: jax.typing.ArrayLike, mean: jax.typing.ArrayLike,
                                        log_scale: jax.typing.ArrayLike, *,
                                        num_bins: int = 256) -> jax.Array:
  r"""``log P(x)`` of ``num_bins``-level pixels in ``[-1, 1]`` under a discretised logistic.

  Pixel value ``x`` (one of ``num_bins`` levels spaced ``2 / (num_bins -
  1)`` apart, ``-1`` and ``1`` included) owns the bin of half-width ``h = 1
  / (num_bins - 1)`` around it; its probability is the logistic mass of that
  bin, with the edge bins extended to ``-inf`` and ``+inf``:

  .. math::

    P(x) = \sigma\!\left(\frac{x + h - \mu}{s}\right)
         - \sigma\!\left(\frac{x - h - \mu}{s}\right)

  so the probabilities of the ``num_bins`` levels sum to 1 (a likelihood in
  8-bit space: ``-log P / (D log 2)`` is bits/dim without a dequantisation
  term). Computed with log-sigmoids, finite at the edges.

  Args:
    x: ``[B, ...]`` pixels on the grid in ``[-1, 1]``.
    mean: ``[B, ...]`` logistic locations ``mu``.
    log_scale: ``[B, ...]`` (or broadcastable) ``log s``.
    num_bins: the number of levels (256 for 8 bits), >= 2.

  Returns:
    ``[B]`` per-example log-probabilities in nats.

  Raises:
    ValueError: ``num_bins < 2`` or mismatched shapes.

  References:
    Salimans, Karpathy, Chen & Kingma, "PixelCNN++", ICLR 2017, Sec. 2.1
    (one component of the mixture); Kingma et al. 2016 (IAF), Sec. 5.2.
  """
  if num_bins < 2:
    raise ValueError(f"`num_bins`={num_bins} must be >= 2.")
  x = _checks.as_float_array(x, "x")
  mean = _checks.as_float_array(mean, "mean")
  _same_shape("x", x, "mean", mean)
  log_scale = jnp.broadcast_to(_checks.as_float_array(log_scale, "log_scale"), x.shape)
  half = 1.0 / (num_bins - 1)
  inv_s = jnp.exp(-log_scale)
  upper = (x + half - mean) * inv_s
  lower = (x - half - mean) * inv_s
  log_cdf_upper = jax.nn.log_sigmoid(upper)          # log sigma(upper)
  log_one_minus_cdf_lower = jax.nn.log_sigmoid(-lower)  # log (1 - sigma(lower))
  # Interior: log(sigma(u) - sigma(l)) = log sigma(u) + log(1 - exp(log sigma(l) - log sigma(u))).
  log_mass = log_cdf_upper + jnp.log(-jnp.expm1(
      jnp.minimum(jax.nn.log_sigmoid(lower) - log_cdf_upper, -1e-12)))
  eps = 0.5 * half
  log_p = jnp.where(x < -1.0 + eps, log_cdf_upper,
                    jnp.where(x > 1.0 - eps, log_one_minus_cdf_lower, log_mass))
  return _sum_per_example(log_p)


def gaussian_sample(key: jax.Array, mean: jax.typing.ArrayLike,
                    log_scale: jax.typing.ArrayLike) -> jax.Array:
  r"""The reparameterised sample ``z = mean + exp(log_scale) * eps``, ``eps ~ N(0, I)``.

  Differentiable in ``mean`` and ``log_scale`` (Kingma & Welling 2014,
  Sec. 2.4, eq. 10's ``g_phi(eps, x)``).

  Args:
    key: a PRNG key.
    mean: ``[B, K]`` (any shape) means.
    log_scale: log standard deviations, broadcastable to ``mean``.

  Returns:
    A sample shaped like ``mean``.
  """
  mean = _checks.as_float_array(mean, "mean")
  log_scale = _checks.as_float_array(log_scale, "log_scale")
  return mean + jnp.exp(log_scale) * jax.random.normal(key, mean.shape, mean.dtype)


def bounded_log_scale(log_scale: jax.typing.ArrayLike, bound: float) -> jax.Array:
  r"""``bound * tanh(log_scale / bound)``: a log standard deviation kept in ``(-bound, bound)``.

  A smooth two-sided bound, near the identity where ``|log_scale| << bound``
  (its slope at 0 is 1) and never flat, so a penalty on the bounded value
  still pulls an output that ran far out back in. Real NVP bounds its
  coupling layers' log-scales the same way (:class:`gengan_jax.nets.RealNVP`).
  A Gaussian encoder's unbounded log-scale is a linear output of features that
  the rest of the loss moves freely; in a 100,000-step alpha-GAN run on the
  grid its mean drifted from -2 to -60 over 50,000 steps, spanning -133 to
  +38 across the data at the end, and the encoder's Adam moments overflowed
  (docs/results.md, "A longer hold").

  Args:
    log_scale: log standard deviations, any shape.
    bound: ``> 0``; the result lies strictly between ``-bound`` and ``bound``.
  """
  log_scale = _checks.as_float_array(log_scale, "log_scale")
  return bound * jnp.tanh(log_scale / bound)


def log_variance_l1(log_scale: jax.typing.ArrayLike) -> jax.Array:
  r"""Per-example L1 norm of a Gaussian posterior's log-variances.

  .. math::

    \ell_i = \sum_j \lvert \log \sigma_{ij}^2 \rvert = \sum_j 2 \lvert \log \sigma_{ij} \rvert

  A random encoder trained only to reconstruct and to match the prior in
  aggregate (a WAE's or an alpha-GAN's) gains nothing from its noise and
  shrinks ``sigma`` towards 0, becoming deterministic; this penalty, zero at
  ``sigma = 1``, keeps it random (Rubenstein, Schoelkopf & Tolstikhin 2018,
  "On the latent space of Wasserstein auto-encoders"; their code's
  ``L1_loss = mean(sum(|z_logvar|, axis=1))``).

  Args:
    log_scale: ``[B, ...]`` log standard deviations.

  Returns:
    ``[B]``: the sum over every axis but the first.
  """
  log_scale = _checks.as_float_array(log_scale, "log_scale")
  return _sum_per_example(2.0 * jnp.abs(log_scale))


def _check_temperature(temperature: jax.typing.ArrayLike) -> None:
  """``temperature > 0`` when it is a concrete value; a traced one (an annealing
  schedule inside a compiled step) is the caller's to keep positive."""
  if isinstance(temperature, jax.core.Tracer):
    return
  if not temperature > 0:
    raise ValueError(f"`temperature`={temperature} must be > 0.")


def gumbel_softmax_sample(key: jax.Array, logits: jax.typing.ArrayLike, temperature: float, *,
                          hard: bool = False) -> jax.Array:
  r"""A Concrete / Gumbel-softmax sample on the simplex of the last axis.

  .. math::

    y_k = \frac{\exp((l_k + g_k) / \tau)}{\sum_i \exp((l_i + g_i) / \tau)},
    \qquad g_k \sim \mathrm{Gumbel}(0, 1)

  As ``tau -> 0`` it tends to the one-hot ``argmax_k (l_k + g_k)``, a sample
  of ``Categorical(softmax(l))`` (the Gumbel-max trick). With ``hard=True``
  the value is that one-hot vector and the gradient the relaxed sample's
  (the straight-through estimator, Jang et al. 2017, Sec. 2.2).

  Args:
    key: a PRNG key.
    logits: ``[..., K]`` unnormalised log-probabilities.
    temperature: ``tau > 0`` (a float, or a traced scalar such as an
      annealed temperature inside ``jit``).
    hard: return the straight-through one-hot sample.

  Returns:
    ``[..., K]`` points of the simplex (one-hot if ``hard``).

  Raises:
    ValueError: ``temperature <= 0``.

  References:
    Jang, Gu & Poole, ICLR 2017, eq. 1; Maddison, Mnih & Teh, ICLR 2017,
    Definition 1.
  """
  _check_temperature(temperature)
  logits = _checks.as_float_array(logits, "logits")
  g = jax.random.gumbel(key, logits.shape, logits.dtype)
  y = jax.nn.softmax((logits + g) / temperature, axis=-1)
  if not hard:
    return y
  one_hot = jax.nn.one_hot(jnp.argmax(y, axis=-1), logits.shape[-1], dtype=y.dtype)
  return y + jax.lax.stop_gradient(one_hot - y)


def concrete_log_density(y: jax.typing.ArrayLike, logits: jax.typing.ArrayLike,
                         temperature: float) -> jax.Array:
  r"""``log p(y)`` of the Concrete distribution (Maddison et al. 2017, eq. 10).

  .. math::

    \log p_{\alpha,\lambda}(y) = \log (K-1)! + (K-1)\log\lambda
      + \sum_k \left(\log\alpha_k - (\lambda + 1)\log y_k\right)
      - K \log \sum_k \alpha_k y_k^{-\lambda}

  with ``log alpha = logits`` and ``lambda = temperature``: a density on the
  simplex with respect to the Lebesgue measure of its first ``K - 1``
  coordinates. Per relaxed variable: no sum over other axes.

  Args:
    y: ``[..., K]`` points in the open simplex.
    logits: ``[..., K]`` ``log alpha``.
    temperature: ``lambda > 0`` (a float or a traced scalar).

  Returns:
    ``[...]`` log-densities.
  """
  _check_temperature(temperature)
  y = _checks.as_float_array(y, "y")
  logits = _checks.as_float_array(logits, "logits")
  if y.shape != logits.shape:
    raise ValueError(f"`y` has shape {y.shape} but `logits` has shape {logits.shape}.")
  k = y.shape[-1]
  log_y = jnp.log(y)
  return (jax.scipy.special.gammaln(float(k)) + (k - 1) * math.log(temperature)
          + jnp.sum(logits - (temperature + 1.0) * log_y, axis=-1)
          - k * jax.nn.logsumexp(logits - temperature * log_y, axis=-1))


class Quantized(NamedTuple):
  """The result of :func:`vector_quantize`.

  Attributes:
    quantized: ``[..., D]`` the codebook vectors chosen (their value), with
      the straight-through gradient to the encoder output.
    codes: ``[...]`` int32 indices into the codebook.
    codebook_vectors: ``[..., D]`` the chosen codebook vectors, with the
      gradient to the codebook (for :func:`vq_losses`).
  """

  quantized: jax.Array
  codes: jax.Array
  codebook_vectors: jax.Array


def vector_quantize(z_e: jax.typing.ArrayLike, codebook: jax.typing.ArrayLike) -> Quantized:
  r"""Nearest-neighbour quantisation of encoder outputs (van den Oord et al. 2017, eq. 1-2).

  ``k = argmin_j ||z_e - e_j||_2`` and ``z_q = e_k``; the decoder's input
  ``z_e + stop_gradient(z_q - z_e)`` has the value ``z_q`` and passes the
  decoder's gradient straight through to ``z_e`` (Sec. 3.1).

  Args:
    z_e: ``[..., D]`` encoder outputs.
    codebook: ``[K, D]`` the embedding vectors ``e_j``.

  Returns:
    A :class:`Quantized`.
  """
  z_e = _checks.as_float_array(z_e, "z_e")
  codebook = _checks.as_float_array(codebook, "codebook")
  if codebook.ndim != 2 or z_e.shape[-1] != codebook.shape[-1]:
    raise ValueError(f"`codebook` must be [K, D] with D = z_e.shape[-1] = {z_e.shape[-1]}; "
                     f"got shape {codebook.shape}.")
  distances = (jnp.sum(jnp.square(z_e), -1, keepdims=True) - 2.0 * z_e @ codebook.T
               + jnp.sum(jnp.square(codebook), -1))
  codes = jnp.argmin(distances, axis=-1).astype(jnp.int32)
  e_k = codebook[codes]
  return Quantized(quantized=z_e + jax.lax.stop_gradient(e_k - z_e), codes=codes,
                   codebook_vectors=e_k)


def vq_losses(z_e: jax.typing.ArrayLike,
              codebook_vectors: jax.typing.ArrayLike) -> tuple[jax.Array, jax.Array]:
  r"""VQ-VAE's codebook and commitment terms (van den Oord et al. 2017, eq. 3).

  .. math::

    L_{\mathrm{codebook}} = \lVert \mathrm{sg}[z_e(x)] - e \rVert_2^2, \qquad
    L_{\mathrm{commit}} = \lVert z_e(x) - \mathrm{sg}[e] \rVert_2^2

  The codebook term moves only the codebook (the stop-gradient is on the
  encoder output); the commitment term only the encoder (on the codebook).
  The paper's loss is ``log p(x|z_q) - L_codebook - beta L_commit`` with
  ``beta = 0.25``. Per example: summed over every axis but the first.

  Args:
    z_e: ``[B, ..., D]`` encoder outputs.
    codebook_vectors: ``[B, ..., D]`` the chosen ``e`` (``Quantized.codebook_vectors``).

  Returns:
    ``(codebook_term, commitment_term)``, each ``[B]``.
  """
  z_e = _checks.as_float_array(z_e, "z_e")
  e = _checks.as_float_array(codebook_vectors, "codebook_vectors")
  _same_shape("z_e", z_e, "codebook_vectors", e)
  codebook_term = _sum_per_example(jnp.square(jax.lax.stop_gradient(z_e) - e))
  commitment_term = _sum_per_example(jnp.square(z_e - jax.lax.stop_gradient(e)))
  return codebook_term, commitment_term


def ema_codebook_update(cluster_size: jax.Array, embed_sum: jax.Array, z_e: jax.Array,
                        codes: jax.Array, *, decay: float = 0.99,
                        eps: float = 1e-5) -> tuple[jax.Array, jax.Array, jax.Array]:
  r"""The exponential-moving-average codebook update (van den Oord et al. 2017, App. A.1).

  .. math::

    N_j \leftarrow \gamma N_j + (1 - \gamma) n_j, \qquad
    m_j \leftarrow \gamma m_j + (1 - \gamma) \textstyle\sum_{i: k_i = j} z_e^{(i)}, \qquad
    e_j = m_j / N_j

  with ``n_j`` the number of encoder outputs assigned to code ``j`` in the
  batch; ``N`` is Laplace-smoothed (``(N_j + eps) / (sum N + K eps) * sum N``)
  so that unused codes do not divide by zero. Used instead of the codebook
  term of :func:`vq_losses`.

  Args:
    cluster_size: ``[K]`` the running ``N``.
    embed_sum: ``[K, D]`` the running ``m``.
    z_e: ``[..., D]`` encoder outputs of the batch.
    codes: ``[...]`` their codes.
    decay: ``gamma`` in ``[0, 1)``.
    eps: the smoothing, > 0.

  Returns:
    ``(cluster_size, embed_sum, codebook)`` after the update.
  """
  if not 0.0 <= decay < 1.0:
    raise ValueError(f"`decay`={decay} must be in [0, 1).")
  k = cluster_size.shape[0]
  flat = z_e.reshape(-1, z_e.shape[-1])
  one_hot = jax.nn.one_hot(codes.reshape(-1), k, dtype=flat.dtype)
  cluster_size = decay * cluster_size + (1.0 - decay) * one_hot.sum(0)
  embed_sum = decay * embed_sum + (1.0 - decay) * one_hot.T @ flat
  total = cluster_size.sum()
  smoothed = (cluster_size + eps) / (total + k * eps) * total
  return cluster_size, embed_sum, embed_sum / smoothed[:, None]


def revive_dead_codes(codebook: jax.typing.ArrayLike, counts: jax.typing.ArrayLike,
                      z_e: jax.typing.ArrayLike, key: jax.Array, *,
                      threshold: float) -> tuple[jax.Array, jax.Array]:
  r"""Random restarts of a codebook's dead codes (Dhariwal et al. 2020, Jukebox).

  A code whose running count of assignments per batch ``counts[j]`` is below
  ``threshold`` is *dead*: no encoder output is near it, no gradient or
  moving average moves it, and the codebook serves the data with fewer codes
  than it has. Each dead code is replaced by an encoder output of the batch
  drawn at random (distinct outputs while the batch has at least ``K``),
  where it is sure to win the points around it; live codes are returned
  unchanged. This is Jukebox's "random restarts for embeddings" (threshold
  1 there); AudioCraft's EnCodec quantiser likewise expires codes whose
  moving-average count falls below 2.

  Args:
    codebook: ``[K, D]`` the embedding vectors.
    counts: ``[K]`` each code's running count of assignments per batch.
    z_e: ``[..., D]`` the batch's encoder outputs (used as values: no gradient
      flows to them).
    key: the draw of the outputs.
    threshold: codes with ``counts < threshold`` are restarted (0: none).

  Returns:
    ``(codebook, dead)``: the codebook after the restarts, and the ``[K]``
    bool mask of the codes restarted.
  """
  codebook = _checks.as_float_array(codebook, "codebook")
  counts = _checks.as_float_array(counts, "counts")
  z_e = _checks.as_float_array(z_e, "z_e")
  if (codebook.ndim != 2 or counts.shape != codebook.shape[:1]
      or z_e.shape[-1] != codebook.shape[1]):
    raise ValueError(f"`codebook` [K, D], `counts` [K] and `z_e` [..., D] must agree; got shapes "
                     f"{codebook.shape}, {counts.shape} and {z_e.shape}.")
  k = codebook.shape[0]
  flat = jax.lax.stop_gradient(z_e.reshape(-1, z_e.shape[-1]))
  rows = jax.random.choice(key, flat.shape[0], (k,), replace=flat.shape[0] < k)
  dead = counts < threshold
  return jnp.where(dead[:, None], flat[rows], codebook), dead


OBSERVATION_MODELS = ("bernoulli", "gaussian", "logistic")


class ObservationModel(NamedTuple):
  """A decoder's ``p(x | z)``, given the decoder's parameters ``params``.

  Attributes:
    name: one of :data:`OBSERVATION_MODELS`.
    num_params: how many arrays the decoder returns (each shaped like ``x``).
    log_likelihood: ``(x, params) -> [B]``, ``log p(x | z)`` per example, for
      ``x`` in ``[-1, 1]``.
    mean: ``params -> [B, ...]``, the mean of ``p(x | z)`` in ``[-1, 1]``
      space (what a sample picture shows).
  """

  name: str
  num_params: int
  log_likelihood: Callable[[jax.Array, tuple[jax.Array, ...]], jax.Array]
  mean: Callable[[tuple[jax.Array, ...]], jax.Array]


def observation_model(name: str, *, fixed_log_scale: float | None = None,
                      num_bins: int = 256) -> ObservationModel:
  r"""The observation model ``p(x | z)`` called ``name``, for data in ``[-1, 1]``.

  * ``'bernoulli'``: one parameter, the logits; ``x`` in ``{-1, 1}`` (see
    :func:`binarize`) is the Bernoulli variable ``(x + 1) / 2``, and the
    mean is ``2 sigmoid(l) - 1``;
  * ``'gaussian'``: a mean and a learned log scale (two parameters), or,
    with ``fixed_log_scale``, the mean alone (one parameter);
  * ``'logistic'``: the discretised logistic of ``num_bins``-level pixels
    (:func:`discretized_logistic_log_likelihood`), a mean and a log scale.

  Args:
    name: one of :data:`OBSERVATION_MODELS`.
    fixed_log_scale: the Gaussian's fixed ``log sigma``; ``None``: learned.
      Only for ``'gaussian'``.
    num_bins: pixel levels of the discretised logistic.

  Raises:
    ValueError: an unknown ``name``, or ``fixed_log_scale`` with another model.
  """
  if name not in OBSERVATION_MODELS:
    raise ValueError(f"observation model {name!r} is invalid: valid choices are "
                     f"{', '.join(OBSERVATION_MODELS)}.")
  if fixed_log_scale is not None and name != "gaussian":
    raise ValueError(f"fixed_log_scale={fixed_log_scale!r} applies to the 'gaussian' "
                     f"observation model only, not {name!r}; leave it None.")
  if name == "bernoulli":
    return ObservationModel(
        name, 1, lambda x, p: bernoulli_log_likelihood(p[0], 0.5 * (x + 1.0)),
        lambda p: jnp.tanh(0.5 * p[0]))  # 2 sigmoid(l) - 1.
  if name == "logistic":
    return ObservationModel(
        name, 2,
        lambda x, p: discretized_logistic_log_likelihood(x, p[0], p[1], num_bins=num_bins),
        lambda p: p[0])
  if fixed_log_scale is None:
    return ObservationModel(name, 2, lambda x, p: gaussian_log_likelihood(x, p[0], p[1]),
                            lambda p: p[0])
  return ObservationModel(
      name, 1, lambda x, p: gaussian_log_likelihood(x, p[0], fixed_log_scale), lambda p: p[0])


def binarize(x: jax.typing.ArrayLike, key: jax.Array | None = None) -> jax.Array:
  r"""Pixels in ``[-1, 1]`` binarised to ``{-1, 1}`` for a Bernoulli model.

  Static (``key=None``): ``1`` where ``x > 0`` (the grey level above one
  half). Dynamic (a ``key``): ``1`` with probability ``(x + 1) / 2``, a new
  draw each call -- the dynamic binarisation of Burda et al. 2016 (Sec. 5.1).

  Args:
    x: ``[B, ...]`` in ``[-1, 1]``.
    key: ``None`` (static) or a PRNG key (dynamic).

  Returns:
    ``x``'s shape and dtype, values in ``{-1, 1}``.
  """
  x = _checks.as_float_array(x, "x")
  if key is None:
    on = x > 0.0
  else:
    on = jax.random.uniform(key, x.shape, x.dtype) < 0.5 * (x + 1.0)
  return jnp.where(on, 1.0, -1.0).astype(x.dtype)
