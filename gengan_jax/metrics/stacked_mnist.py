r"""Mode statistics on Stacked MNIST (1,000 modes).

Stacked MNIST (the "ColorMNIST" of Metz et al. 2017, Sec. 3.3.2) stacks
three MNIST digits as the R, G and B channels of one image, so the data have
``10^3 = 1000`` modes. A pretrained MNIST classifier labels each channel of
each generated sample; the mode of a sample is ``100 d_R + 10 d_G + d_B``.
Two numbers are reported (Metz et al. Table 2; Srivastava et al. 2017,
Table 2; Lin et al. 2018, Table 2): the number of modes with at least one
sample (VEEGAN and PacGAN draw 26,000 samples) and the KL divergence between
the distribution ``q`` of samples over modes and the uniform distribution of
the data:

.. math::

  \mathrm{KL}(q \,\|\, U) = \sum_{m:\, q_m > 0} q_m \log (1000\, q_m)
  \in [0, \log 1000].

Both count a mode whatever the image looks like: a blob the classifier
reads as some digit counts as much as a clean one. :func:`confident_modes`
adds what the papers do not report: the share of samples whose three digits
the classifier reads with high probability, and the modes those samples
cover (on held-out digits nearly every sample is confident).

The dataset and the classifier live in :mod:`gengan_jax.data.stacked_mnist`
and :mod:`gengan_jax.metrics.classifier`; these functions take the
classifier's digit predictions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gengan_jax.metrics import _checks

__all__ = ["NUM_MODES", "confident_modes", "mode_counts", "stacked_mnist_modes"]

NUM_MODES = 1000


def mode_counts(digit_predictions: Any) -> np.ndarray:
  r"""Histogram of samples over the 1,000 Stacked MNIST modes.

  Args:
    digit_predictions: ``[N, 3]`` integer digits (0-9) predicted for the
      three channels of each sample, in channel order.

  Returns:
    ``[1000]`` int64 counts; mode ``m = 100 d_0 + 10 d_1 + d_2``.
  """
  d = np.asarray(digit_predictions)
  if d.ndim != 2 or d.shape[1] != 3:
    raise ValueError(f"`digit_predictions` must have shape [N, 3] (one digit "
                     f"per channel), got {d.shape}.")
  if not np.issubdtype(d.dtype, np.integer):
    raise TypeError(f"`digit_predictions` must be integers (argmax of the "
                    f"classifier's logits), got dtype {d.dtype}.")
  if d.size and (d.min() < 0 or d.max() > 9):
    raise ValueError(f"`digit_predictions` must be digits in [0, 9], got values "
                     f"in [{d.min()}, {d.max()}].")
  modes = 100 * d[:, 0] + 10 * d[:, 1] + d[:, 2]
  return np.bincount(modes.astype(np.int64), minlength=NUM_MODES)


def stacked_mnist_modes(counts: Any, *, min_count: int = 1) -> dict:
  r"""Modes covered and ``KL(q || uniform)`` from a mode histogram.

  .. math::

    \mathrm{modes} = \#\{m : n_m \ge \mathrm{min\_count}\}, \qquad
    \mathrm{KL} = \sum_m q_m \log(K q_m), \quad q_m = n_m / \textstyle\sum n

  Args:
    counts: ``[K]`` samples per mode (``K = 1000`` from :func:`mode_counts`).
    min_count: samples a mode needs to count as generated (1 in Metz et al.,
      VEEGAN and PacGAN).

  Returns:
    ``dict(modes=int, kl_to_uniform=float, num_samples=int)``; the KL is in
    nats, 0 for a perfectly uniform histogram, ``log K`` for a single mode.
  """
  n = np.asarray(counts)
  if n.ndim != 1 or n.size < 1:
    raise ValueError(f"`counts` must be a histogram [K], got shape {n.shape}.")
  if np.any(n < 0) or not np.all(np.equal(np.mod(n, 1), 0)):
    raise ValueError("`counts` must hold non-negative integer counts.")
  min_count = _checks.positive_int(min_count, "min_count")
  total = int(n.sum())
  if total == 0:
    raise ValueError("`counts` is all zeros: no samples to evaluate.")
  q = n / total
  nz = q > 0
  kl = float(np.sum(q[nz] * np.log(q[nz] * n.size)))
  return {"modes": int((n >= min_count).sum()), "kl_to_uniform": kl,
          "num_samples": total}


def confident_modes(digit_probabilities: Any, *, threshold: float = 0.9) -> dict:
  r"""The samples whose three digits the classifier is sure of, and their modes.

  A sample is confident when the classifier's largest class probability is
  at least ``threshold`` in each of its three channels:

  .. math::

    \mathrm{share} = \frac{1}{N} \#\{i : \min_c \max_d p_{icd} \ge t\}, \qquad
    \mathrm{modes} = \#\{m : \text{some confident sample has mode } m\}

  Args:
    digit_probabilities: ``[N, 3, 10]`` class probabilities of the digit in
      each channel (the softmax of
      :func:`gengan_jax.metrics.classifier.stacked_logits`).
    threshold: the probability a channel's most likely digit needs, in
      ``(0, 1]``.

  Returns:
    ``dict(confident_share=float, confident_modes=int, threshold=float)``.
  """
  p = np.asarray(digit_probabilities)
  if p.ndim != 3 or p.shape[1:] != (3, 10):
    raise ValueError(f"`digit_probabilities` must have shape [N, 3, 10] (ten class "
                     f"probabilities per channel), got {p.shape}.")
  if p.shape[0] == 0:
    raise ValueError("`digit_probabilities` has no samples to evaluate.")
  if not 0 < threshold <= 1:
    raise ValueError(f"`threshold` must be in (0, 1], got {threshold}.")
  confident = np.all(p.max(axis=-1) >= threshold, axis=-1)
  counts = mode_counts(np.argmax(p[confident], axis=-1).reshape(-1, 3))
  return {"confident_share": float(confident.mean()),
          "confident_modes": int(np.count_nonzero(counts)), "threshold": float(threshold)}
