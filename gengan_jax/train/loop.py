"""The thin training loop: restore-or-init, then step.

``train(config, workdir)`` runs an experiment config (see
``experiments/configs/``) and is restartable: run it again with the same work
directory and it continues from the newest good checkpoint. The work
directory receives ``config.json``, ``metrics.jsonl``, ``tensorboard/``,
``checkpoints/``, pictures (``samples.png`` and one per ``plot_every``
steps) and ``summary.json`` with the final evaluation. With
``train.steps_per_call = k > 1`` it runs ``k`` steps per compiled call (a
``lax.scan``, :func:`.multistep.guarded_multi_step`) whenever the step count
is a multiple of ``k``, and single steps otherwise (after resuming from any
step, and at the end): the same steps, data and keys as ``k = 1``.

Faults it survives (``docs/faults.md`` lists each with its test):

* a hard kill: the next run resumes from the last checkpoint and ends bit
  for bit where an uninterrupted run would (data and random numbers are
  functions of ``(seed, step)``);
* SIGTERM: the current step finishes, a checkpoint is written, ``train``
  returns with ``summary['preempted']`` (see :mod:`.preemption`);
* damaged checkpoints: set aside with a warning, the newest good one is used
  (see :mod:`.checkpoint`);
* NaN/Inf: ``train.nonfinite='stop'`` (default) raises
  :class:`~.nonfinite.NonFiniteError` naming the step, network and quantity;
  ``'skip'`` drops and counts such updates (see :mod:`.nonfinite`);
* bad settings: :class:`Experiment` validates the whole config, the data
  and the data-vs-network fit before anything is compiled.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import tqdm

from gengan_jax import algorithms, data, metrics, nets
from gengan_jax.core import ConfigError, check_choice, check_int, check_keys, network_names
from gengan_jax.train import mesh as mesh_lib
from gengan_jax.train import multistep, nonfinite, plots
from gengan_jax.train.checkpoint import Checkpointer, CheckpointMismatchError
from gengan_jax.train.preemption import Preemption
from gengan_jax.train.writers import MetricsWriter

log = logging.getLogger(__name__)

TOP_LEVEL_KEYS = ("algorithm", "seed", "model", "data", "train")
TRAIN_KEYS = ("steps", "log_every", "checkpoint_every", "keep_checkpoints",
              "plot_every", "eval_samples", "progress", "nonfinite", "steps_per_call")
# The data keys every source takes; each source adds its own (data.SOURCES).
DATA_KEYS = ("source", "batch_size")
# Settings a resumed run must share with the checkpoints it resumes.
RESUME_KEYS = ("algorithm", "seed", "batch_size")


def _train_settings(config) -> dict[str, Any]:
  """Validates ``config.train`` (and ``batch_size``); returns it as a dict."""
  t = dict(config.train)
  check_keys(t, TRAIN_KEYS, prefix="train.")
  for k in ("steps", "log_every", "checkpoint_every", "keep_checkpoints", "eval_samples"):
    check_int("train." + k, t.get(k), 1)
  check_int("train.plot_every", t.get("plot_every", 0), 0)
  if not isinstance(t.get("progress", True), bool):
    raise ConfigError(f"config value train.progress={t['progress']!r} has the wrong "
                      "type: expected true or false.")
  t.setdefault("nonfinite", "stop")
  check_choice("train.nonfinite", t["nonfinite"], nonfinite.POLICIES)
  t.setdefault("steps_per_call", 1)
  check_int("train.steps_per_call", t["steps_per_call"], 1)
  k = t["steps_per_call"]
  for name in ("log_every", "checkpoint_every", "plot_every"):
    if t.get(name, 0) % k:
      raise ConfigError(
          f"config value train.{name}={t[name]} is not a multiple of "
          f"train.steps_per_call={k}: logging, checkpoints and pictures happen "
          f"between calls, so make train.{name} a multiple of {k} (or set "
          "train.steps_per_call=1).")
  check_int("data.batch_size", config.data.get("batch_size"), 1)
  return t


def _check_top_level(config) -> None:
  check_keys(config, TOP_LEVEL_KEYS)
  for k in TOP_LEVEL_KEYS:
    if k not in config:
      raise ConfigError(f"config is missing the key {k!r}; a config has the keys "
                        f"{', '.join(TOP_LEVEL_KEYS)}.")
  if not isinstance(config.algorithm, str):
    raise ConfigError(f"config value algorithm={config.algorithm!r} has the wrong type: "
                      f"expected one of {', '.join(sorted(algorithms.REGISTRY))}.")
  check_int("seed", config.seed, 0)
  for k in ("model", "data", "train"):
    if not hasattr(config[k], "keys"):
      raise ConfigError(f"config value {k}={config[k]!r} has the wrong type: "
                        "expected a mapping (ConfigDict).")


# Every key some data source reads, and the key naming the source whose keys a
# config file set (experiments/configs/common.data).
_SOURCE_KEYS = tuple(sorted({k for required, optional in data.SOURCES.values()
                             for k in required + optional}))
_DEFAULT_SOURCE = "default_source"


def _make_dataset(data_config):
  """``data.make_dataset`` with every failure turned into one ConfigError line.

  A data section may carry every source's keys: those ``data.source`` does not
  read must be unset (``None``), except the keys of ``data.default_source``
  (the source the config file set them for), which a command line that
  switches ``data.source`` leaves behind and which are then ignored.
  """
  source = data_config.get("source")
  check_choice("data.source", source, sorted(data.SOURCES))
  required, optional = data.SOURCES[source]
  own = DATA_KEYS + required + optional
  default = data_config.get(_DEFAULT_SOURCE)
  if default is not None:
    check_choice(f"data.{_DEFAULT_SOURCE}", default, sorted(data.SOURCES))
  left_behind = sum(data.SOURCES[default], ()) if default not in (None, source) else ()
  values = dict(data_config.items())
  unknown = sorted(set(values) - set(own + _SOURCE_KEYS + (_DEFAULT_SOURCE,)))
  if unknown:
    raise ConfigError(f"unknown config key(s) {', '.join('data.' + k for k in unknown)}; "
                      f"valid keys are: {', '.join(own)} (for data.source={source!r}), "
                      f"{_DEFAULT_SOURCE}, and the other sources' keys, unset.")
  for k, value in values.items():
    if k in _SOURCE_KEYS and k not in own + left_behind and value is not None:
      readers = [s for s, (r, o) in data.SOURCES.items() if k in r + o]
      raise ConfigError(f"config value data.{k}={value!r} does not apply to "
                        f"data.source={source!r}, whose keys are {', '.join(own)}: leave "
                        f"data.{k} unset or choose a source that reads it "
                        f"({', '.join(readers)}).")
  for k in required:
    if data_config.get(k) is None:
      raise ConfigError(f"config is missing data.{k}: source {source!r} needs "
                        f"{', '.join('data.' + r for r in required)}.")
  for k in ("directory", "path", "data_dir"):
    if k in required + optional and data_config.get(k) is not None:
      value = data_config[k]
      if not isinstance(value, (str, os.PathLike)):
        raise ConfigError(f"config value data.{k}={value!r} has the wrong type: "
                          "expected a path.")
      exists = os.path.isfile if k == "path" else os.path.isdir
      if not exists(value):
        what = "an existing file" if k == "path" else "an existing directory"
        raise ConfigError(f"config value data.{k}={value!r} is invalid: must be {what} "
                          "(no such file or directory).")
  try:
    return data.make_dataset(data_config)
  except (ValueError, TypeError, OSError, KeyError) as e:
    # Blame the source's first required key (its file, directory or name).
    where = required[0]
    text = " ".join(str(e).split())
    raise ConfigError(f"config value data.{where}={data_config.get(where)!r} is invalid: "
                      f"{text}") from None


def _check_fit(algo_config, element_shape: tuple[int, ...], data_name: str) -> None:
  """Checks, without building anything, that the networks fit the data."""
  arch = getattr(algo_config, "arch", None)
  if arch is None:
    return
  try:
    nets.make_discriminator(arch, data_shape=element_shape)
  except (ValueError, TypeError) as e:
    text = " ".join(str(e).split())
    raise ConfigError(f"config value model.arch={arch!r} does not fit the data "
                      f"{data_name!r} (one example has shape {element_shape}): {text}"
                      ) from None


def _run_keys(seed: int) -> tuple[jax.Array, jax.Array, jax.Array]:
  """The keys of a run: for ``init``, for the training steps, for evaluation."""
  return tuple(jax.random.split(jax.random.key(seed), 3))


def _replicate(x: np.ndarray, mesh) -> jax.Array:
  """A host array that is the same on every process, as a replicated global array."""
  return jax.make_array_from_process_local_data(mesh_lib.replicated(mesh), np.asarray(x))


class Experiment:
  """An algorithm, its config, its data and its mesh, ready to run.

  Building one validates the whole config (keys, types, ranges), reads the
  data and checks that the networks fit it, all before anything is
  compiled; every problem is one :class:`ConfigError` line naming the
  setting and what is valid.
  """

  def __init__(self, config, *, devices=None):
    self.config = config
    _check_top_level(config)
    self.settings = _train_settings(config)
    self.algorithm = algorithms.get(config.algorithm)
    self.algo_config = algorithms.from_mapping(self.algorithm.Config, config.model,
                                               prefix="model.")
    self.mesh = mesh_lib.make_mesh(devices)
    self.batch_size = int(config.data.batch_size)
    try:
      mesh_lib.check_batch_size(self.batch_size, self.mesh)
    except ValueError as e:
      raise ConfigError(str(e)) from None
    self.dataset = _make_dataset(config.data)
    _check_fit(self.algo_config, tuple(self.dataset.element_shape), self.dataset.name)
    self.num_batches = self.algorithm.num_batches(self.algo_config)
    self.seed = int(config.seed)
    rep = mesh_lib.replicated(self.mesh)
    # Made by a compiled function with a replicated output, so that in a
    # multi-process run every process holds the same global keys.
    keys = jax.jit(_run_keys, static_argnums=0, out_shardings=rep)(self.seed)
    init_key, self.run_key, self.eval_key = keys
    self._init_key = init_key
    self.guarded_step_fn = jax.jit(
        nonfinite.guard(self.algorithm.train_step),
        in_shardings=(rep, mesh_lib.batch_sharding(self.mesh), rep, rep),
        out_shardings=(rep, rep, rep), donate_argnums=0)
    self.steps_per_call = int(self.settings["steps_per_call"])
    self.guarded_multi_step_fn = None if self.steps_per_call == 1 else jax.jit(
        multistep.guarded_multi_step(self.algorithm.train_step, self.steps_per_call),
        in_shardings=(rep, multistep.batches_sharding(self.mesh), rep, rep),
        out_shardings=(rep, rep, rep), donate_argnums=0)
    self._sample = jax.jit(self.algorithm.sample, static_argnums=2, out_shardings=rep)
    self._reconstruct = (jax.jit(self.algorithm.reconstruct, out_shardings=rep)
                         if self.algorithm.reconstruct is not None else None)

  def init_state(self):
    """The initial state, replicated over the mesh."""
    example = self.dataset.batch(0, self.batch_size, 1, seed=self.seed)[0]
    rep = mesh_lib.replicated(self.mesh)
    init = jax.jit(self.algorithm.init, static_argnums=1, out_shardings=rep)
    return init(self._init_key, self.algo_config, _replicate(example, self.mesh))

  def _local_batch(self, step: int) -> np.ndarray:
    """This process's slice of the batch of ``step``, ``[num_batches, B_local, ...]``."""
    return self.dataset.batch(step, self.batch_size, self.num_batches, seed=self.seed,
                              process_index=jax.process_index(),
                              process_count=jax.process_count())

  def batch(self, step: int) -> jax.Array:
    """The global batch of ``step``, ``[num_batches, B, ...]``, sharded."""
    return data.shard_batch(self._local_batch(step), mesh_lib.batch_sharding(self.mesh))

  def batches(self, step: int, num_steps: int) -> jax.Array:
    """The global batches of steps ``step, ..., step + num_steps - 1``,
    ``[num_steps, num_batches, B, ...]``, sharded along ``B``."""
    local = np.stack([self._local_batch(t) for t in range(step, step + num_steps)])
    return data.shard_batch(local, multistep.batches_sharding(self.mesh))

  def run_steps(self, state, step: int, skipped):
    """Steps from ``step``: ``steps_per_call`` of them in one compiled call
    when ``step`` is a multiple of it, else one. Returns ``(state, metrics,
    health, num_steps)``; ``health`` is stacked per step for a multi-step
    call (see :func:`.multistep.first_unhealthy`)."""
    k = self.steps_per_call
    if k > 1 and step % k == 0 and step + k <= int(self.settings["steps"]):
      state, step_metrics, health = self.guarded_multi_step_fn(
          state, self.batches(step, k), self.run_key, skipped)
      return state, step_metrics, health, k
    state, step_metrics, health = self.guarded_step_fn(
        state, self.batch(step), self.run_key, skipped)
    return state, step_metrics, health, 1

  def sample(self, state, num: int) -> np.ndarray:
    """``num`` samples on the host (every process computes them)."""
    return np.asarray(self._sample(state, self.eval_key, num))

  def evaluate(self, state) -> dict[str, float]:
    """Metrics that apply to this data: mode coverage for toy mixtures."""
    if isinstance(self.dataset, data.MixtureDataset):
      mix = self.dataset.mixture
      cov = metrics.mode_coverage(self.sample(state, self.settings["eval_samples"]),
                                  mix.means, mix.std)
      return cov.as_dict()
    return {}

  def write_pictures(self, state, workdir: str, step: int) -> list[str]:
    """Writes ``samples.png`` (and a copy for ``step``); returns the paths.

    Every process computes the pictures' samples (the computation spans all
    of them); only process 0 writes files.
    """
    paths = [os.path.join(workdir, "samples.png"),
             os.path.join(workdir, "pictures", f"samples_{step:07d}.png")]
    title = f"{self.config.algorithm} on {self.dataset.name}, step {step}"
    if isinstance(self.dataset, data.MixtureDataset):
      n = self.settings["eval_samples"]
      samples = self.sample(state, n)
      real = self.dataset.mixture.sample(np.random.default_rng(0), n)
      draw = [lambda p: plots.scatter_samples(p, samples, real,
                                              means=self.dataset.mixture.means, title=title)]
      pairs = None
    elif len(self.dataset.element_shape) == 1:  # vectors: the first two coordinates.
      if self.dataset.element_shape[0] < 2:
        return []
      n = self.settings["eval_samples"]
      samples = self.sample(state, n)
      real = self.dataset.batch(0, n, 1, seed=self.seed + 1)[0]
      real = real[np.isfinite(real).all(axis=1)]
      draw = [lambda p: plots.scatter_samples(p, samples, real, title=title)]
      pairs = None
    else:
      samples = self.sample(state, 64)
      draw = [lambda p: plots.image_grid(p, samples, title=title)]
      pairs = None
      if self._reconstruct is not None:
        x = self.dataset.batch(0, 32, 1, seed=self.seed + 1)[0]
        rec = np.asarray(self._reconstruct(state, _replicate(x, self.mesh)))
        pairs = np.stack([x, rec], axis=1).reshape((-1,) + x.shape[1:])
    if jax.process_index() != 0:
      return []
    os.makedirs(os.path.dirname(paths[1]), exist_ok=True)
    for p in paths:
      draw[0](p)
    if pairs is not None:
      path = os.path.join(workdir, "reconstructions.png")
      plots.image_grid(path, pairs, title=title + " (data | reconstruction)")
      paths.append(path)
    return paths

  def nonfinite_message(self, step: int, health, state) -> str:
    """The diagnostic for a non-finite ``health`` (``state``: any state of this run)."""
    shapes = jax.eval_shape(self.algorithm.train_step, state,
                            jax.ShapeDtypeStruct((self.num_batches, self.batch_size)
                                                 + tuple(self.dataset.element_shape),
                                                 jnp.float32),
                            self.run_key)
    names = nonfinite.leaf_names(shapes[1], shapes[0])
    return nonfinite.diagnose(step, np.asarray(health.finite).tolist(), names,
                              networks=network_names(shapes[0]))


def _host(tree) -> dict[str, float]:
  return {k: float(v) for k, v in jax.device_get(tree).items()}


def _check_resume(exp: Experiment, meta: dict[str, Any], directory: str, step: int) -> None:
  """A resumed run must share algorithm, seed and batch size with its checkpoints."""
  now = {"algorithm": exp.config.algorithm, "seed": exp.seed, "batch_size": exp.batch_size}
  for k in RESUME_KEYS:
    if k in meta and meta[k] != now[k]:
      name = "data.batch_size" if k == "batch_size" else k
      raise CheckpointMismatchError(
          f"config value {name}={now[k]!r} differs from the {meta[k]!r} of the checkpoint "
          f"at step {step} in {directory}; resume with the same {name} or use a new "
          "--workdir.")


def train(config, workdir: str, *, devices=None,
          preemption: Preemption | None = None) -> tuple[dict[str, Any], Any]:
  """Runs (or resumes) the experiment ``config`` in ``workdir``.

  Args:
    config: an experiment config (``ConfigDict``; see ``experiments/configs``).
    workdir: the run's directory; an existing one is resumed.
    devices: the devices of the mesh (default: all).
    preemption: a :class:`Preemption` to watch (default: a new one that
      catches SIGTERM while ``train`` runs).

  Returns:
    ``(summary, state)``: the summary (step, final metrics, evaluation and
    output paths, ``preempted`` and ``nonfinite_skips``; also written to
    ``summary.json``) and the final state. After a preemption the summary
    has ``preempted=True``, no evaluation and no pictures.

  Raises:
    ConfigError: an invalid config (before anything is compiled), or
      checkpoints in ``workdir`` from a different config.
    CheckpointError: every checkpoint in ``workdir`` is damaged.
    NonFiniteError: a step produced NaN/Inf and ``train.nonfinite='stop'``.
  """
  exp = Experiment(config, devices=devices)
  s = exp.settings
  policy = s["nonfinite"]
  workdir = os.path.abspath(workdir)
  is_main = jax.process_index() == 0
  if is_main:
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "config.json"), "w") as f:
      f.write(config.to_json(indent=2) if hasattr(config, "to_json") else json.dumps(config))

  state = exp.init_state()
  ckpt = Checkpointer(os.path.join(workdir, "checkpoints"), max_to_keep=s["keep_checkpoints"])
  start, skipped0, last_saved = 0, 0, None
  restored = ckpt.restore_latest_good(state)
  if restored is not None:
    state, meta, last_saved = restored
    _check_resume(exp, meta, ckpt.directory, last_saved)
    start = int(np.asarray(state.step))
    skipped0 = int(meta.get("nonfinite_skips", 0))
    log.info("Resumed from checkpoint at step %d in %s", start, ckpt.directory)
    if is_main:
      print(f"Resuming from step {start} ({ckpt.directory})", flush=True)
  skipped = jax.device_put(jnp.asarray(skipped0, jnp.int32), mesh_lib.replicated(exp.mesh))
  writer = MetricsWriter(workdir)
  steps = s["steps"]
  pending = None  # (step, metrics) to log once the device has moved on
  previous = None  # (step, health, metrics) to check once the device has moved on
  last: dict[str, float] = {}
  reported_skips = skipped0
  preempted = None

  def meta_for(done):
    return {"step": done, "seed": exp.seed, "algorithm": config.algorithm,
            "batch_size": exp.batch_size, "nonfinite_skips": int(np.asarray(skipped)),
            "data_position": done * exp.num_batches * exp.batch_size}

  def check(done, health, step_metrics):
    if policy != "stop" or bool(np.all(np.asarray(health.ok))):
      return
    writer.write(done, _host(step_metrics))
    # The first bad step of a multi-step call (its metrics are its last step's).
    done, health = multistep.first_unhealthy(health, done)
    where = (f"the last good checkpoint is step {last_saved} in {ckpt.directory}"
             if last_saved is not None else "no checkpoint was written before it")
    raise nonfinite.NonFiniteError(
        exp.nonfinite_message(done, health, state) + f". Stopped (train.nonfinite='stop'); "
        f"{where}. Lower the learning rates, or set train.nonfinite='skip' to drop such "
        "updates.")

  own_preemption = preemption is None
  preemption = Preemption() if own_preemption else preemption
  progress = tqdm.tqdm(total=steps, initial=start, disable=not (is_main and s.get("progress", True)),
                       dynamic_ncols=True, desc=config.algorithm, unit="step")
  t0 = time.time()
  try:
    if own_preemption:
      preemption.__enter__()
    step = start
    while step < steps:
      state, step_metrics, health, num = exp.run_steps(state, step, skipped)
      skipped = step_metrics["nonfinite_skips"]
      done = step = step + num
      if previous is not None:  # checked one step late: the device is busy with `step`.
        check(*previous)
      if pending is not None:  # logged one step late, likewise.
        last = _host(pending[1])
        writer.write(pending[0], last)
        if last.get("nonfinite_skips", 0) > reported_skips:
          log.warning("Skipped %d non-finite update(s) so far (step %d).",
                      int(last["nonfinite_skips"]), pending[0])
          reported_skips = last["nonfinite_skips"]
        progress.set_postfix({k: f"{v:.3g}" for k, v in list(last.items())[:3]})
        pending = None
      previous = (done, health, step_metrics)
      if done % s["log_every"] == 0 or done == steps:
        pending = (done, step_metrics)
      stop = preemption.reached(done)
      if done % s["checkpoint_every"] == 0 or done == steps or stop:
        check(*previous)  # never checkpoint a state that went non-finite.
        ckpt.save(done, state, meta_for(done))
        last_saved = done
      if stop:
        preempted = done
        break
      if s.get("plot_every", 0) and done % s["plot_every"] == 0 and done != steps:
        exp.write_pictures(state, workdir, done)
        writer.write(done, exp.evaluate(state))
      progress.update(num)
    if previous is not None:
      check(*previous)
  finally:
    if own_preemption:
      preemption.__exit__(None, None, None)
    progress.close()
    ckpt.wait()
  if pending is not None:
    last = _host(pending[1])
    writer.write(pending[0], last)
  final_step = int(np.asarray(state.step))
  evaluation, pictures = {}, []
  if preempted is None:
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
      "preempted": preempted is not None,
      "nonfinite_skips": int(np.asarray(skipped)),
      "workdir": workdir,
      "checkpoints": ckpt.directory,
      "metrics_file": writer.path,
      "pictures": pictures,
  }
  if preempted is not None:
    summary["preempted_by"] = preemption.name
    log.warning("Preempted by %s: stopped after step %d, checkpoint written to %s.",
                preemption.name, preempted, ckpt.directory)
  if is_main:
    with open(os.path.join(workdir, "summary.json"), "w") as f:
      json.dump(summary, f, indent=2)
  return summary, state
