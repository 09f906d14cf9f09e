r"""Inception score from any classifier's logits.

.. math::

  \mathrm{IS} = \exp\Big( \mathbb E_{x} \,
    \mathrm{KL}\big(p(y \mid x) \,\|\, p(y)\big) \Big),
  \qquad p(y) = \mathbb E_x\, p(y \mid x)

(Salimans et al. 2016, Sec. 4). It is high when every sample is classified
confidently (low-entropy ``p(y|x)``) and the classes are used evenly
(high-entropy ``p(y)``); it ranges from 1 to the number of classes ``C``.
Barratt & Sharma (2018) show that the score depends strongly on the
classifier, and the alpha-GAN paper (Rosca et al. 2017, Sec. 6) computes it
for CIFAR-10 and MNIST with classifiers trained on the same dataset: this
function takes logits of any classifier.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gengan_jax.metrics import _checks

__all__ = ["inception_score", "per_example_kl"]


def _log_softmax(logits: Any, name: str) -> np.ndarray:
  try:
    z = np.asarray(logits, dtype=np.float64)
  except (TypeError, ValueError) as e:
    raise TypeError(f"`{name}` must be a numeric array [N, C].") from e
  if z.ndim != 2 or z.shape[1] < 2 or z.shape[0] < 1:
    raise ValueError(f"`{name}` must have shape [N, C] with C >= 2 classes, got "
                     f"shape {z.shape}.")
  if np.isnan(z).any() or np.isposinf(z).any() or np.isneginf(z).all(axis=1).any():
    raise ValueError(f"`{name}` must be finite or -inf (a class of probability "
                     "0), with at least one finite logit per row; got NaN/+inf.")
  zmax = z.max(axis=1, keepdims=True)
  return z - zmax - np.log(np.exp(z - zmax).sum(axis=1, keepdims=True))


def _kl_rows(log_p: np.ndarray, log_q: np.ndarray) -> np.ndarray:
  p = np.exp(log_p)
  with np.errstate(invalid="ignore"):
    terms = np.where(p > 0, p * (log_p - log_q), 0.0)
  return terms.sum(axis=1)


def per_example_kl(logits: Any) -> np.ndarray:
  r"""``KL(p(y|x_i) || p(y))`` of every example, with ``p(y)`` their mean.

  .. math::

    \mathrm{KL}_i = \sum_y p(y \mid x_i) \big(\log p(y \mid x_i)
      - \log \tfrac1N \textstyle\sum_j p(y \mid x_j)\big)

  Args:
    logits: ``[N, C]`` classifier logits (``-inf`` allowed for a class of
      probability 0).

  Returns:
    ``[N]`` float64 KL divergences (nats); ``log IS`` is their mean.
  """
  log_p = _log_softmax(logits, "logits")
  with np.errstate(divide="ignore"):  # unused classes: log 0 = -inf, never read
    log_marginal = np.log(np.exp(log_p).mean(axis=0))
  return _kl_rows(log_p, log_marginal[None, :])


def inception_score(logits: Any, *, num_splits: int = 10) -> tuple[float, float]:
  r"""Inception score, mean and standard deviation over splits.

  The ``N`` examples are cut in order into ``num_splits`` consecutive parts
  (part ``s`` holds rows ``[s N // S, (s+1) N // S)``, as in Salimans et
  al.'s code), each part's score is ``exp(mean_i KL(p(y|x_i) || p_s(y)))``
  with ``p_s(y)`` the part's mean prediction, and the mean and standard
  deviation of the part scores are returned. Probabilities come from a
  float64 ``log_softmax`` of the logits.

  Args:
    logits: ``[N, C]`` logits of any classifier (Inception-v3 for the
      standard IS; an MNIST classifier for "MNIST IS").
    num_splits: number of parts, ``1 <= num_splits <= N`` (10 in Salimans et
      al.).

  Returns:
    ``(mean, std)`` of the part scores (``std`` with divisor ``num_splits``);
    each score lies in ``[1, C]``.

  Raises:
    ValueError: on malformed logits or ``num_splits`` outside ``[1, N]``.

  References:
    Salimans et al., "Improved techniques for training GANs", NeurIPS 2016,
    Sec. 4. Barratt & Sharma, "A note on the inception score", 2018.
  """
  log_p = _log_softmax(logits, "logits")
  n = len(log_p)
  num_splits = _checks.positive_int(num_splits, "num_splits")
  if num_splits > n:
    raise ValueError(f"`num_splits`={num_splits} exceeds the number of examples "
                     f"{n}; pass num_splits <= {n}.")
  scores = []
  for s in range(num_splits):
    part = log_p[s * n // num_splits:(s + 1) * n // num_splits]
    with np.errstate(divide="ignore"):
      log_marginal = np.log(np.exp(part).mean(axis=0))
    scores.append(np.exp(_kl_rows(part, log_marginal[None, :]).mean()))
  scores = np.asarray(scores)
  return float(scores.mean()), float(scores.std())
