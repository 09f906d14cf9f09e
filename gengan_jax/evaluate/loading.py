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
from gengan_jax.train import Checkpointer, Experiment

# Samples are drawn in chunks of this size: one compiled shape.
SAMPLE_CHUNK = 500


def load_run(workdir: str, *, step: int | None = None) -> tuple[Experiment, Any, int]:
  """Rebuilds a run's experiment and restores its checkpoint.

  Args:
    workdir: a directory written by :func:`gengan_jax.train.train`.
    step: the checkpoint to restore (default: the latest).

  Returns:
    ``(experiment, state, step)``; the state is on the first local device.

  Raises:
    FileNotFoundError: no ``config.json`` or no checkpoint.
  """
  workdir = os.path.abspath(workdir)
  config_path = os.path.join(workdir, "config.json")
  if not os.path.isfile(config_path):
    raise FileNotFoundError(
        f"evaluate: {config_path!r} does not exist; --workdir must be a directory written "
        "by a training run (`gengan-train` or `python -m gengan_jax.train`, i.e. "
        "gengan_jax.train.train).")
  with open(config_path) as f:
    config = ml_collections.ConfigDict(json.load(f))
  population_dir = os.path.dirname(os.path.dirname(workdir))
  if os.path.isfile(os.path.join(population_dir, "population.json")):
    return _load_member(population_dir, int(os.path.basename(workdir)), config, step=step)
  if "population" in config:
    raise FileNotFoundError(
        f"evaluate: {workdir} is a population's work directory; its members are run "
        f"directories: pass {os.path.join(workdir, 'members', '<i>')} (the evaluation "
        "command expands a population's --workdir into its members itself).")
  exp = Experiment(config)
  state = exp.init_state()
  ckpt = Checkpointer(os.path.join(workdir, "checkpoints"))
  try:
    if ckpt.latest_step() is None:
      raise FileNotFoundError(f"evaluate: no checkpoint in {ckpt.directory!r}.")
    step = ckpt.latest_step() if step is None else step
    state, _ = ckpt.restore(state, step)
  finally:
    ckpt.close()
  # Evaluation runs on one device: sampling, encoding and the metrics' own
  # networks then share it (the run's mesh shards only the training batch).
  # Through the host: on a mesh with Explicit axes a direct device_put keeps
  # the arrays' mesh type, and jit then asks for the whole mesh.
  state = jax.device_put(jax.device_get(state), jax.devices()[0])
  return exp, state, int(step)


def population_members(workdir: str) -> list[str]:
  """The run directories of a population's members (``[workdir]`` for a single run)."""
  path = os.path.join(workdir, "population.json")
  if not os.path.isfile(path):
    return [workdir]
  with open(path) as f:
    members = json.load(f)["members"]
  return [os.path.join(workdir, m["directory"]) for m in members]


def _load_member(population_dir: str, index: int, member_config,
                 *, step: int | None) -> tuple[Experiment, Any, int]:
  """Member ``index`` of the population in ``population_dir``: its own
  experiment and its slice of the population's checkpoint."""
  from gengan_jax.train.population import PopulationExperiment  # pylint: disable=g-import-not-at-top
  with open(os.path.join(population_dir, "config.json")) as f:
    pop = PopulationExperiment(ml_collections.ConfigDict(json.load(f)))
  ckpt = Checkpointer(os.path.join(population_dir, "checkpoints"))
  try:
    if ckpt.latest_step() is None:
      raise FileNotFoundError(f"evaluate: no checkpoint in {ckpt.directory!r}.")
    step = ckpt.latest_step() if step is None else step
    state, _ = ckpt.restore(pop.init_state(), step)
  finally:
    ckpt.close()
  state = jax.device_put(jax.device_get(pop.member_state(state, index)), jax.devices()[0])
  return Experiment(member_config), state, int(step)


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
  (``t10k-*``) in the same directory; for Stacked MNIST, ``num_stacked``
  images stacked from the held-out digits.

  Args:
    config: the run's config.
    dataset: its training dataset.
    num_stacked: Stacked MNIST images to stack from the held-out digits.

  Returns:
    ``(images in [-1, 1] [N, H, W, C], description, is_held_out)``; without a
    held-out split, the training data and ``is_held_out=False``.
  """
  source = config.data.source
  if source in ("idx", "stacked_mnist") and config.data.get("split") != "test":
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
