"""Mode coverage on mixtures of Gaussians (the ring and grid benchmarks).

Protocol of VEEGAN (Srivastava et al. 2017, Sec. 5.1) as implemented in the
PacGAN reference code (Lin et al. 2018; fjxmlzn/PacGAN,
``pacgan/extensions.py``): draw 2,500 samples; assign each to its nearest
mode; a sample is *high quality* if it lies within 3 standard deviations of
that mode; a mode is *covered* if at least one high-quality sample is
assigned to it. The reverse KL over modes is ``KL(q || p)`` between the
histogram ``q`` of high-quality samples over modes and the uniform
distribution ``p`` of the data over modes (PacGAN, Table 1).
"""

from __future__ import annotations

import dataclasses

import numpy as np

NUM_SAMPLES = 2500
THRESHOLD_STDS = 3.0


@dataclasses.dataclass(frozen=True)
class ModeCoverage:
  """Mode statistics of a set of samples.

  Attributes:
    modes_covered: modes with at least ``min_count`` high-quality samples.
    num_modes: modes of the mixture.
    high_quality_fraction: share of samples within the threshold of a mode.
    reverse_kl: ``KL(q || uniform)`` of the high-quality mode histogram ``q``
      (``inf`` when no sample is high quality).
    counts: high-quality samples per mode, ``[num_modes]``.
  """

  modes_covered: int
  num_modes: int
  high_quality_fraction: float
  reverse_kl: float
  counts: np.ndarray

  def as_dict(self) -> dict:
    return {"modes_covered": self.modes_covered, "num_modes": self.num_modes,
            "high_quality_fraction": self.high_quality_fraction,
            "reverse_kl": self.reverse_kl}


def mode_coverage(samples: np.ndarray, means: np.ndarray, std: float, *,
                  threshold_stds: float = THRESHOLD_STDS,
                  min_count: int = 1) -> ModeCoverage:
  """Counts covered modes and high-quality samples.

  Args:
    samples: model samples, ``[N, D]``.
    means: mixture means, ``[K, D]``.
    std: standard deviation of every (isotropic) component.
    threshold_stds: a sample is high quality within this many ``std`` of its
      nearest mode (3 in VEEGAN and PacGAN).
    min_count: high-quality samples a mode needs to count as covered (1 in
      VEEGAN and PacGAN).

  Returns:
    A :class:`ModeCoverage`.
  """
  samples = np.asarray(samples, np.float64)
  means = np.asarray(means, np.float64)
  if samples.ndim != 2 or means.ndim != 2 or samples.shape[1] != means.shape[1]:
    raise ValueError(f"samples {samples.shape} and means {means.shape} must be "
                     "[N, D] and [K, D] with the same D.")
  d2 = ((samples[:, None, :] - means[None, :, :]) ** 2).sum(-1)
  nearest = d2.argmin(axis=1)
  dist = np.sqrt(d2[np.arange(len(samples)), nearest])
  good = np.isfinite(dist) & (dist <= threshold_stds * std)
  counts = np.bincount(nearest[good], minlength=len(means))
  k = len(means)
  if counts.sum() == 0:
    reverse_kl = float("inf")
  else:
    q = counts / counts.sum()
    nz = q > 0
    reverse_kl = float(np.sum(q[nz] * np.log(q[nz] * k)))
  return ModeCoverage(
      modes_covered=int((counts >= min_count).sum()),
      num_modes=k,
      high_quality_fraction=float(good.mean()) if len(samples) else 0.0,
      reverse_kl=reverse_kl,
      counts=counts,
  )
