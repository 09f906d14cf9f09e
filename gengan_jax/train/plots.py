"""Pictures of a run: samples over data for 2-D data, sample grids for images.

Matplotlib is imported on the first picture, not with the module: the
training entry point imports this, and a command that stops at a bad flag
or runs with ``train.plot_every=0`` should not pay half a second for it.
"""

from __future__ import annotations

import functools

import numpy as np


@functools.cache
def pyplot():
  """``matplotlib.pyplot`` on the file-only Agg backend."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  return plt


def scatter_samples(path: str, samples: np.ndarray, data: np.ndarray | None, *,
                    means: np.ndarray | None = None, title: str = "") -> None:
  """Saves a PNG of model samples (orange) over data (blue; ``None``: none) in 2-D."""
  plt = pyplot()
  fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
  if data is None:
    data = samples[np.isfinite(samples).all(axis=1)]
  else:
    ax.scatter(data[:, 0], data[:, 1], s=2, c="tab:blue", alpha=0.4, label="data")
  ax.scatter(samples[:, 0], samples[:, 1], s=2, c="tab:orange", alpha=0.4,
             label="samples")
  if means is not None:
    ax.scatter(means[:, 0], means[:, 1], marker="x", c="k", s=6, label="modes")
  lim = 1.25 * float(np.max(np.abs(data))) + 0.1
  ax.set_xlim(-lim, lim)
  ax.set_ylim(-lim, lim)
  ax.set_aspect("equal")
  ax.legend(loc="upper right", markerscale=4, fontsize=8)
  ax.set_title(title, fontsize=9)
  fig.tight_layout()
  fig.savefig(path)
  plt.close(fig)


def image_grid(path: str, images: np.ndarray, *, columns: int = 8,
               title: str = "") -> None:
  """Saves a PNG grid of images in [-1, 1] of shape ``[N, H, W, C]``."""
  images = np.clip((np.asarray(images, np.float32) + 1.0) / 2.0, 0.0, 1.0)
  n, h, w, c = images.shape
  rows = -(-n // columns)
  grid = np.ones((rows * (h + 2) + 2, columns * (w + 2) + 2, c), np.float32)
  for i in range(n):
    r, col = divmod(i, columns)
    grid[2 + r * (h + 2):2 + r * (h + 2) + h, 2 + col * (w + 2):2 + col * (w + 2) + w] = images[i]
  plt = pyplot()
  fig, ax = plt.subplots(figsize=(columns * 0.6 + 0.4, rows * 0.6 + 0.6), dpi=100)
  ax.imshow(grid[..., 0] if c == 1 else grid, cmap="gray" if c == 1 else None,
            vmin=0.0, vmax=1.0, interpolation="nearest")
  ax.axis("off")
  ax.set_title(title, fontsize=9)
  fig.tight_layout()
  fig.savefig(path)
  plt.close(fig)
