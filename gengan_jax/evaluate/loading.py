"""A trained run, restored, and the data to compare its samples with."""

from __future__ import annotations

import json
import math
import os
from typing import Any

import jax
import ml_collections
import numpy as np

from gengan_jax import data
from gengan_jax.data import stacked_mnist
from gengan_jax.core import ConfigError
from gengan_jax.train import Experiment, settings
from gengan_jax.use import load

# Samples are drawn in chunks of this size: one compiled shape.
SAMPLE_CHUNK = 500


def load_run(workdir: str, *, step: int | None = None,
             average: bool = True) -> tuple[Experiment, Any, int]:
  """Rebuilds a run's experiment (its data) and restores its checkpoint.

  The state comes from :func:`gengan_jax.use.load` (read-only: the newest
  good checkpoint, or ``step``; a population member's slice of its
  population's checkpoint), on the first local device: sampling, encoding
  and the metrics' own networks then share it.

  Args:
    workdir: a directory written by :func:`gengan_jax.train.train` (or a
      population member's, ``<workdir>/members/<i>``).
    step: the checkpoint to restore (default: the newest good one).
    average: for a run that kept a moving average of its parameters, use
      it (default) or the trained parameters (see :func:`gengan_jax.use.load`).

  Returns:
    ``(experiment, state, step)``.

  Raises:
    FileNotFoundError: no ``config.json`` or no checkpoint.
  """
  model = load(workdir, step, average=average)
  return Experiment(model.config), model.state, model.step


def population_members(workdir: str) -> list[str]:
  """The run directories of a population's members (``[workdir]`` for a single run)."""
  path = os.path.join(workdir, "population.json")
  if not os.path.isfile(path):
    return [workdir]
  with open(path) as f:
    members = json.load(f)["members"]
  return [os.path.join(workdir, m["directory"]) for m in members]


def draw_samples(exp: Experiment, state: Any, num: int, key: jax.Array) -> np.ndarray:
  """Draws a run's samples in chunks of :data:`SAMPLE_CHUNK` (one compiled shape).

  Args:
    exp: the run's experiment.
    state: its restored state.
    num: how many samples.
    key: the key; chunk ``i`` uses ``fold_in(key, i)``.

  Returns:
    ``[num, ...]`` samples on the host, float32.
  """
  chunk = min(num, SAMPLE_CHUNK)
  fn = jax.jit(exp.algorithm.sample, static_argnums=2)
  out = [np.asarray(fn(state, jax.random.fold_in(key, i), chunk))
         for i in range(math.ceil(num / chunk))]
  return np.concatenate(out)[:num].astype(np.float32)


def held_out_images(config: ml_collections.ConfigDict, dataset: Any,
                    num_stacked: int = 26_000) -> tuple[np.ndarray, str, bool]:
  """The real images to compare with: the held-out split when there is one.

  For IDX sources (``'idx'``, ``'stacked_mnist'``) that is the ``test`` split
  (``t10k-*``) in the same directory, unless the run trained on it (a split
  such as ``'train+test'``); for Stacked MNIST, ``num_stacked``
  images stacked from the held-out digits; for TFDS (``cifar10``,
  ``celeb_a``) its ``test`` split, read with the run's crop and resize, where
  it is prepared.

  Args:
    config: the run's config.
    dataset: its training dataset.
    num_stacked: Stacked MNIST images to stack from the held-out digits.

  Returns:
    ``(images in [-1, 1] [N, H, W, C], description, is_held_out)``; without a
    held-out split, the training data and ``is_held_out=False``.
  """
  source = config.data.source
  if source == "tfds" and config.data.get("split") != "test":
    section = ml_collections.ConfigDict(config.data.to_dict())
    section.split = "test"  # cifar10's and celeb_a's held-out split
    try:
      held_out = settings.make_dataset(section, source)
    except ConfigError:  # no test split prepared: the training data, said so below
      held_out = None
    if held_out is not None:
      return (np.asarray(held_out.data), f"{section.name}/test ({len(held_out.data)} "
              "held-out images)", True)
  # A split may join several ('train+test'): one that holds 'test' has no held-out digits.
  trained_on = str(config.data.get("split")).split("+")
  if source in ("idx", "stacked_mnist") and "test" not in trained_on:
    try:
      digits, labels = data.load_mnist_idx(config.data.directory, "test")
    except FileNotFoundError:
      digits = None
    if digits is not None and source == "idx":
      return data.preprocess_images(digits), f"idx/test ({len(digits)} held-out images)", True
    if digits is not None and labels is not None:
      stacked, _, _ = stacked_mnist.stack_digits(digits, labels, num_stacked, seed=1)
      return (data.preprocess_images(stacked),
              f"stacked_mnist/test ({len(stacked)} images stacked from {len(digits)} "
              "held-out digits)", True)
  return (np.asarray(dataset.data), f"{dataset.name} (the training data: no held-out split)",
          False)
