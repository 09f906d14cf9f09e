"""Mode coverage on mixtures of Gaussians (the ring and grid benchmarks).

Protocol of VEEGAN (Srivastava et al. 2017, Sec. 5.1) as implemented in the
PacGAN reference code (Lin et al. 2018; fjxmlzn/PacGAN,
``pacgan/extensions.py``): draw 2,500 samples; assign each to its nearest
mode; a sample is *high quality* if it lies within 3 standard deviations of
that mode; a mode is *covered* if at least one high-quality sample is
assigned to it. The reverse KL over modes is ``KL(q || p)`` between the
histogram ``q`` of high-quality samples over modes and the uniform
distribution ``p`` of the data over modes (PacGAN, Table 1).

Two named protocols (:data:`PROTOCOLS`) record the settings of each paper:

==========  =======  =========  =========  ==========================
protocol    samples  threshold  min count  reported
==========  =======  =========  =========  ==========================
``veegan``  2,500    3 std      1          modes, high-quality share
``pacgan``  2,500    3 std      1          modes, high-quality share,
                                           reverse KL over modes
==========  =======  =========  =========  ==========================

PacGAN adopts VEEGAN's sample count, threshold and mode criterion on the
same 2-D ring and grid so that its Table 1 compares with VEEGAN's Table 1,
and adds the reverse KL; the two protocols therefore give the same numbers
on the same samples and differ in what their papers report. PacGAN's code
(``MetricLogger`` in ``pacgan/extensions.py``) measures the distance in
units of the per-axis standard deviation and calls a sample high quality
when it is *strictly* below 3; :func:`mode_coverage` uses ``<=``, which
differs only on a set of probability zero.
"""

from __future__ import annotations

import dataclasses

import numpy as np

NUM_SAMPLES = 2500
THRESHOLD_STDS = 3.0


@dataclasses.dataclass(frozen=True)
class MixtureProtocol:
  """Evaluation settings of one paper.

  Attributes:
    name: short name (the key in :data:`PROTOCOLS`).
    num_samples: model samples to draw.
    threshold_stds: a sample is high quality within this many standard
      deviations of its nearest mode.
    min_count: high-quality samples a mode needs to count as covered.
    reports: the fields of :class:`ModeCoverage` the paper reports.
    reference: where the settings come from.
  """

  name: str
  num_samples: int
  threshold_stds: float
  min_count: int
  reports: tuple[str, ...]
  reference: str


PROTOCOLS: dict[str, MixtureProtocol] = {
    "veegan": MixtureProtocol(
        name="veegan", num_samples=2500, threshold_stds=3.0, min_count=1,
        reports=("modes_covered", "high_quality_fraction"),
        reference=("Srivastava et al., VEEGAN, NeurIPS 2017, Sec. 5.1 and "
                   "Table 1 (2D Ring, 2D Grid)")),
    "pacgan": MixtureProtocol(
        name="pacgan", num_samples=2500, threshold_stds=3.0, min_count=1,
        reports=("modes_covered", "high_quality_fraction", "reverse_kl"),
        reference=("Lin et al., PacGAN, NeurIPS 2018, Sec. 5.1 and Table 1; "
                   "code fjxmlzn/PacGAN pacgan/extensions.py MetricLogger")),
}


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


def evaluate_mixture(samples: np.ndarray, means: np.ndarray, std: float, *,
                     protocol: str | MixtureProtocol = "pacgan") -> ModeCoverage:
  """:func:`mode_coverage` with the threshold and mode criterion of a protocol.

  Args:
    samples: model samples ``[N, D]``; a protocol expects
      ``N = protocol.num_samples``, which is checked.
    means: mixture means ``[K, D]``.
    std: standard deviation of every component.
    protocol: a key of :data:`PROTOCOLS` (``'veegan'`` or ``'pacgan'``) or a
      :class:`MixtureProtocol`.

  Returns:
    A :class:`ModeCoverage` (report the fields in ``protocol.reports``).
  """
  if isinstance(protocol, str):
    if protocol not in PROTOCOLS:
      raise ValueError(f"unknown `protocol` {protocol!r}; valid choices are "
                       f"{tuple(sorted(PROTOCOLS))} or a MixtureProtocol.")
    protocol = PROTOCOLS[protocol]
  n = len(np.asarray(samples))
  if n != protocol.num_samples:
    raise ValueError(f"the {protocol.name!r} protocol uses "
                     f"{protocol.num_samples} samples, got {n}; call "
                     "mode_coverage directly for other sample counts.")
  return mode_coverage(samples, means, std, threshold_stds=protocol.threshold_stds,
                       min_count=protocol.min_count)
