"""The thin training loop: restore-or-init, then step.

``train(config, workdir)`` runs an experiment config (see
``experiments/configs/``) and is restartable: run it again with the same work
directory and it continues from the latest checkpoint. The work directory
receives ``config.json``, ``metrics.jsonl``, ``tensorboard/``,
``checkpoints/``, pictures (``samples.png`` and one per ``plot_every``
steps) and ``summary.json`` with the final evaluation.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

import jax
import numpy as np
import tqdm

from gengan_jax import algorithms, data, metrics
from gengan_jax.algorithms.config import ConfigError, check
from gengan_jax.train import mesh as mesh_lib
from gengan_jax.train import plots
from gengan_jax.train.checkpoint import Checkpointer
from gengan_jax.train.writers import MetricsWriter

log = logging.getLogger(__name__)

TRAIN_KEYS = ("steps", "log_every", "checkpoint_every", "keep_checkpoints",
              "plot_every", "eval_samples", "progress")


def _train_settings(config) -> dict[str, Any]:
  t = dict(config.train)
  unknown = sorted(set(t) - set(TRAIN_KEYS))
  if unknown:
    raise ConfigError(f"unknown config key(s) {', '.join('train.' + k for k in unknown)}; "
                      f"valid keys are: {', '.join(TRAIN_KEYS)}.")
  for k in ("steps", "log_every", "checkpoint_every", "keep_checkpoints", "eval_samples"):
    check(isinstance(t.get(k), int) and t[k] >= 1, "train." + k, t.get(k),
          "a positive integer")
  check(isinstance(t.get("plot_every", 0), int) and t.get("plot_every", 0) >= 0,
        "train.plot_every", t.get("plot_every"), "an integer >= 0 (0: only at the end)")
  b = config.data.get("batch_size")
  check(isinstance(b, int) and b >= 1, "data.batch_size", b, "a positive integer")
  return t


class Experiment:
  """An algorithm, its config, its data and its mesh, ready to run.

  Building one validates the whole config before anything is compiled.
  """

  def __init__(self, config, *, devices=None):
    self.config = config
    self.settings = _train_settings(config)
    self.algorithm = algorithms.get(config.algorithm)
    self.algo_config = algorithms.from_mapping(self.algorithm.Config, config.model,
                                               prefix="model.")
    self.dataset = data.make_dataset(config.data)
    self.mesh = mesh_lib.make_mesh(devices)
    self.batch_size = int(config.data.batch_size)
    mesh_lib.check_batch_size(self.batch_size, self.mesh)
    self.num_batches = self.algorithm.num_batches(self.algo_config)
    self.seed = int(config.seed)
    init_key, self.run_key, self.eval_key = jax.random.split(jax.random.key(self.seed), 3)
    self._init_key = init_key
    self.step_fn = mesh_lib.shard_step(self.algorithm.train_step, self.mesh)
    self._sample = jax.jit(self.algorithm.sample, static_argnums=2)

  def init_state(self):
    """The initial state, replicated over the mesh."""
    example = self.dataset.batch(0, self.batch_size, 1, seed=self.seed)[0]
    init = jax.jit(self.algorithm.init, static_argnums=1,
                   out_shardings=mesh_lib.replicated(self.mesh))
    return init(self._init_key, self.algo_config, example)

  def batch(self, step: int) -> jax.Array:
    """The global batch of ``step``, ``[num_batches, B, ...]``, sharded."""
    local = self.dataset.batch(step, self.batch_size, self.num_batches, seed=self.seed,
                               process_index=jax.process_index(),
                               process_count=jax.process_count())
    return data.shard_batch(local, mesh_lib.batch_sharding(self.mesh))

  def sample(self, state, num: int) -> np.ndarray:
    return np.asarray(jax.device_get(self._sample(state, self.eval_key, num)))

  def evaluate(self, state) -> dict[str, float]:
    """Metrics that apply to this data: mode coverage for toy mixtures."""
    if isinstance(self.dataset, data.MixtureDataset):
      mix = self.dataset.mixture
      cov = metrics.mode_coverage(self.sample(state, self.settings["eval_samples"]),
                                  mix.means, mix.std)
      return cov.as_dict()
    return {}

  def write_pictures(self, state, workdir: str, step: int) -> list[str]:
    """Writes ``samples.png`` (and a copy for ``step``); returns the paths."""
    if jax.process_index() != 0:
      return []
    paths = [os.path.join(workdir, "samples.png"),
             os.path.join(workdir, "pictures", f"samples_{step:07d}.png")]
    os.makedirs(os.path.dirname(paths[1]), exist_ok=True)
    title = f"{self.config.algorithm} on {self.dataset.name}, step {step}"
    if isinstance(self.dataset, data.MixtureDataset):
      n = self.settings["eval_samples"]
      samples = self.sample(state, n)
      real = self.dataset.mixture.sample(np.random.default_rng(0), n)
      for p in paths:
        plots.scatter_samples(p, samples, real, means=self.dataset.mixture.means, title=title)
    else:
      samples = self.sample(state, 64)
      for p in paths:
        plots.image_grid(p, samples, title=title)
      if hasattr(self.algorithm, "reconstruct"):
        x = self.dataset.batch(0, 32, 1, seed=self.seed + 1)[0]
        rec = np.asarray(jax.jit(self.algorithm.reconstruct)(state, x))
        pairs = np.stack([x, rec], axis=1).reshape((-1,) + x.shape[1:])
        path = os.path.join(workdir, "reconstructions.png")
        plots.image_grid(path, pairs, title=title + " (data | reconstruction)")
        paths.append(path)
    return paths


def _host(tree) -> dict[str, float]:
  return {k: float(v) for k, v in jax.device_get(tree).items()}


def train(config, workdir: str, *, devices=None) -> tuple[dict[str, Any], Any]:
  """Runs (or resumes) the experiment ``config`` in ``workdir``.

  Returns:
    ``(summary, state)``: the summary (step, final metrics, evaluation and
    output paths, also written to ``summary.json``) and the final state.
  """
  exp = Experiment(config, devices=devices)
  s = exp.settings
  workdir = os.path.abspath(workdir)
  is_main = jax.process_index() == 0
  if is_main:
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "config.json"), "w") as f:
      f.write(config.to_json(indent=2) if hasattr(config, "to_json") else json.dumps(config))

  state = exp.init_state()
  ckpt = Checkpointer(os.path.join(workdir, "checkpoints"), max_to_keep=s["keep_checkpoints"])
  start = 0
  if ckpt.latest_step() is not None:
    state, meta = ckpt.restore(state)
    start = int(jax.device_get(state.step))
    log.info("Resumed from checkpoint at step %d in %s", start, ckpt.directory)
    if is_main:
      print(f"Resuming from step {start} ({ckpt.directory})", flush=True)
  writer = MetricsWriter(workdir)
  steps = s["steps"]
  pending = None
  last = {}
  progress = tqdm.tqdm(total=steps, initial=start, disable=not (is_main and s.get("progress", True)),
                       dynamic_ncols=True, desc=config.algorithm, unit="step")
  t0 = time.time()
  for step in range(start, steps):
    state, step_metrics = exp.step_fn(state, exp.batch(step), exp.run_key)
    if pending is not None:  # log one step late: the device is busy with `step`.
      last = _host(pending[1])
      writer.write(pending[0], last)
      progress.set_postfix({k: f"{v:.3g}" for k, v in list(last.items())[:3]})
      pending = None
    done = step + 1
    if done % s["log_every"] == 0 or done == steps:
      pending = (done, step_metrics)
    if done % s["checkpoint_every"] == 0 or done == steps:
      ckpt.save(done, state, {"step": done, "seed": exp.seed,
                              "data_position": done * exp.num_batches * exp.batch_size})
    if s.get("plot_every", 0) and done % s["plot_every"] == 0 and done != steps:
      exp.write_pictures(state, workdir, done)
      writer.write(done, exp.evaluate(state))
    progress.update(1)
  progress.close()
  if pending is not None:
    last = _host(pending[1])
    writer.write(pending[0], last)
  ckpt.wait()
  final_step = int(jax.device_get(state.step))
  evaluation = exp.evaluate(state)
  if evaluation:
    writer.write(final_step, evaluation)
  pictures = exp.write_pictures(state, workdir, final_step)
  writer.close()
  ckpt.close()
  summary = {
      "algorithm": config.algorithm,
      "data": exp.dataset.name,
      "step": final_step,
      "seconds_this_run": round(time.time() - t0, 2),
      "final_metrics": last,
      "evaluation": evaluation,
      "workdir": workdir,
      "checkpoints": ckpt.directory,
      "metrics_file": writer.path,
      "pictures": pictures,
  }
  if is_main:
    with open(os.path.join(workdir, "summary.json"), "w") as f:
      json.dump(summary, f, indent=2)
  return summary, state
