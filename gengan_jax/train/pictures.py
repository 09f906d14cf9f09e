"""The pictures of a run, chosen by the kind of data.

* toy mixtures: samples over real points, with the modes marked;
* other vectors: the first two coordinates of samples over real points
  (nothing for one-dimensional data);
* images: a grid of 64 samples, and for algorithms with an encoder a grid of
  data beside its reconstructions.

The drawing itself is in :mod:`.plots`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import jax
import numpy as np

from gengan_jax import data
from gengan_jax.train import plots

if TYPE_CHECKING:
  from gengan_jax.train.experiment import Experiment


def _samples_picture(exp: Experiment, state, title: str) -> Callable[[str], None] | None:
  """Samples for the picture of ``state`` (computed on every process), and
  what draws it at a path; ``None`` where there is no picture to draw."""
  shape = tuple(exp.dataset.element_shape)
  n = exp.train_config.eval_samples
  if isinstance(exp.dataset, data.MixtureDataset):
    samples = exp.sample(state, n)
    mixture = exp.dataset.mixture
    real = mixture.sample(np.random.default_rng(0), n)
    return lambda p: plots.scatter_samples(p, samples, real, means=mixture.means, title=title)
  if len(shape) == 1:  # vectors: the first two coordinates.
    if shape[0] < 2:
      return None
    samples = exp.sample(state, n)
    real = exp.dataset.batch(0, n, 1, seed=exp.seed + 1)[0]
    real = real[np.isfinite(real).all(axis=1)]
    return lambda p: plots.scatter_samples(p, samples, real, title=title)
  samples = exp.sample(state, 64)
  return lambda p: plots.image_grid(p, samples, title=title)


def _reconstructions(exp: Experiment, state) -> np.ndarray | None:
  """32 images followed each by its reconstruction, for image data and an
  algorithm with ``reconstruct``; else ``None``."""
  if len(exp.dataset.element_shape) == 1 or exp.algorithm.reconstruct is None:
    return None
  x = exp.dataset.batch(0, 32, 1, seed=exp.seed + 1)[0]
  rec = exp.reconstruct(state, x)
  return np.stack([x, rec], axis=1).reshape((-1,) + x.shape[1:])


def write_pictures(exp: Experiment, state, workdir: str, step: int) -> list[str]:
  """Writes ``samples.png``, a copy for ``step`` under ``pictures/`` and, where
  there are any, ``reconstructions.png``; returns the paths.

  Every process computes the pictures' samples (the computation spans all
  of them); only process 0 writes files.
  """
  title = f"{exp.config.algorithm} on {exp.dataset.name}, step {step}"
  draw = _samples_picture(exp, state, title)
  if draw is None:
    return []
  pairs = _reconstructions(exp, state)
  if jax.process_index() != 0:
    return []
  paths = [os.path.join(workdir, "samples.png"),
           os.path.join(workdir, "pictures", f"samples_{step:07d}.png")]
  os.makedirs(os.path.dirname(paths[1]), exist_ok=True)
  for p in paths:
    draw(p)
  if pairs is not None:
    path = os.path.join(workdir, "reconstructions.png")
    plots.image_grid(path, pairs, title=title + " (data | reconstruction)")
    paths.append(path)
  return paths
