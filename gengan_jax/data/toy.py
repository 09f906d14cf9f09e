"""Toy 2-D mixtures of Gaussians: the standard mode-collapse benchmarks.

A mixture with ``K`` components, equal weights and isotropic standard
deviation :math:`\\sigma`:

.. math::

   p(x) = \\frac{1}{K} \\sum_{k=1}^{K} \\mathcal{N}(x; \\mu_k, \\sigma^2 I_2).

Two layouts are provided: a *ring* of ``K`` means on a circle,
:math:`\\mu_k = r(\\cos(2\\pi k/K), \\sin(2\\pi k/K))`, and a square *grid* of
``side**2`` means centred at the origin.

Everything here is host-side numpy; randomness comes from an explicit
``np.random.Generator``.

References:
  Srivastava et al., "VEEGAN: Reducing mode collapse in GANs using implicit
  variational learning", NeurIPS 2017, Sec. 5.1 (2D Ring, 2D Grid).
  Lin et al., "PacGAN: The power of two samples in generative adversarial
  networks", NeurIPS 2018, Sec. 5 (ring and grid of their experiments).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["GaussianMixture", "PRESETS", "grid", "ring", "toy_mixture"]


@dataclasses.dataclass(frozen=True, eq=False)
class GaussianMixture:
  """An equally weighted mixture of isotropic 2-D Gaussians.

  (``eq=False``: instances compare and hash by identity, since a numpy field
  makes field-wise equality ambiguous.)

  Attributes:
    means: ``[K, 2]`` component means (stored as a read-only float64 array).
    std: standard deviation :math:`\\sigma > 0` of every component (per axis).
    name: a short name, used in logs and file names.
  """

  means: np.ndarray
  std: float
  name: str

  def __post_init__(self):
    means = np.array(self.means, dtype=np.float64)
    if means.ndim != 2 or means.shape[1] != 2 or means.shape[0] < 1:
      raise ValueError(
          f"GaussianMixture: means must have shape [K, 2] with K >= 1, got "
          f"{means.shape}."
      )
    if not np.isfinite(means).all():
      raise ValueError("GaussianMixture: means must be finite.")
    if not (float(self.std) > 0 and np.isfinite(self.std)):
      raise ValueError(
          f"GaussianMixture: std must be a positive finite float, got "
          f"{self.std!r}."
      )
    means.flags.writeable = False
    object.__setattr__(self, "means", means)
    object.__setattr__(self, "std", float(self.std))

  @property
  def num_modes(self) -> int:
    """Number of mixture components ``K``."""
    return int(self.means.shape[0])

  def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
    """Draws ``n`` samples, components chosen uniformly at random.

    Args:
      rng: the numpy generator that supplies all randomness.
      n: number of samples, ``n >= 0``.

    Returns:
      float32 array ``[n, 2]``.
    """
    if int(n) != n or n < 0:
      raise ValueError(f"sample: n must be a non-negative int, got {n!r}.")
    n = int(n)
    components = rng.integers(self.num_modes, size=n)
    noise = rng.standard_normal((n, 2))
    return (self.means[components] + self.std * noise).astype(np.float32)


def ring(num_modes: int = 8, radius: float = 1.0,
         std: float = 0.01) -> GaussianMixture:
  """``num_modes`` Gaussians with means evenly spaced on a circle.

  :math:`\\mu_k = r(\\cos(2\\pi k/K), \\sin(2\\pi k/K))`, ``k = 0..K-1``.

  Args:
    num_modes: ``K >= 1``.
    radius: ``r``, the circle's radius.
    std: per-component standard deviation.

  Returns:
    A :class:`GaussianMixture` named ``'ring'``.
  """
  if int(num_modes) != num_modes or num_modes < 1:
    raise ValueError(f"ring: num_modes must be an int >= 1, got {num_modes!r}.")
  angles = 2 * np.pi * np.arange(int(num_modes)) / int(num_modes)
  means = radius * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
  return GaussianMixture(means=means, std=std, name="ring")


def grid(side: int = 5, spacing: float = 2.0,
         std: float = 0.05) -> GaussianMixture:
  """``side**2`` Gaussians with means on a square grid centred at the origin.

  Coordinates along each axis are ``(i - (side - 1) / 2) * spacing`` for
  ``i = 0..side-1``; with the defaults that is ``{-4, -2, 0, 2, 4}^2``.

  Args:
    side: number of means along each axis, ``>= 1``.
    spacing: distance between neighbouring means.
    std: per-component standard deviation.

  Returns:
    A :class:`GaussianMixture` named ``'grid'``.
  """
  if int(side) != side or side < 1:
    raise ValueError(f"grid: side must be an int >= 1, got {side!r}.")
  coords = (np.arange(int(side)) - (int(side) - 1) / 2) * spacing
  xx, yy = np.meshgrid(coords, coords, indexing="ij")
  means = np.stack([xx.ravel(), yy.ravel()], axis=-1)
  return GaussianMixture(means=means, std=std, name="grid")


# The benchmark constants, in one place.
# The values of the papers' code (VEEGAN, Srivastava et al. 2017, Sec. 5.1:
# ``ring(..., num_cluster=8, scale=1, std=.01)`` and the grid ``range(-4, 5, 2)``
# with ``s = 0.05``; PacGAN, Lin et al. 2018, Sec. 6.1, the same), as cited in
# ``experiments/configs/common_protocols.py``.
PRESETS: dict[str, dict[str, Any]] = {
    # 2-D ring: 8 modes (cos 2 pi k/8, sin 2 pi k/8), radius 1, std 0.01.
    "ring": dict(num_modes=8, radius=1.0, std=0.01),
    # 2-D grid: 25 modes at {-4, -2, 0, 2, 4}^2, std 0.05.
    "grid": dict(side=5, spacing=2.0, std=0.05),
}
# Both are the VEEGAN benchmarks (Srivastava et al. 2017, Sec. 5.1) as
# re-used by PacGAN (Lin et al. 2018, Sec. 5), whose reference code
# (fjxmlzn/PacGAN, synthetic_data_experiments/2D{Ring,Grid}_GAN&PacGAN/
# config.py) sets exactly these means and standard deviations.

_LAYOUTS = {"ring": ring, "grid": grid}


def toy_mixture(name: str) -> GaussianMixture:
  """The preset mixture ``name`` (a key of :data:`PRESETS`).

  Args:
    name: one of ``PRESETS``' keys, ``'ring'`` or ``'grid'``.

  Returns:
    A :class:`GaussianMixture` whose ``name`` is ``name``.

  Raises:
    ValueError: for an unknown name; the message lists the valid ones.
  """
  if name not in PRESETS:
    raise ValueError(
        f"toy_mixture: unknown name {name!r}; valid names: {sorted(PRESETS)}."
    )
  layout = _LAYOUTS[name.partition("_")[0]]
  return dataclasses.replace(layout(**PRESETS[name]), name=name)
