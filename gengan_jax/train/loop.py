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
  ``'skip'`` drops and counts such updates, and stops as ``'stop'`` does
  after ``train.max_consecutive_skips`` in a row (see :mod:`.nonfinite`);
* bad settings: :class:`.Experiment` validates the whole config (see
  :mod:`.settings`), the data (NaN or Inf in it is named with its count and
  first example) and the data-vs-network fit before anything is compiled; a ``workdir`` that is a file is a :class:`WorkdirError`;
  after the first call the loop prints where each decaying learning rate
  ends in training steps and warns when that is not the run's last step (a
  network updated ``k`` times a step counts its schedule ``k`` times; see
  :mod:`.schedule_check`);
* two runs on one work directory: the second is refused with
  :class:`~.workdir_lock.WorkdirLockedError` naming the live holder; the
  lock of a killed run is taken over with a warning (see
  :mod:`.workdir_lock`; one lock per multi-process job, held by process 0);
* a full disk (or any file that cannot be written: checkpoint, metrics,
  TensorBoard events, pictures, ``config.json``, ``summary.json``): one
  :class:`~.write_errors.WriteError` naming what, the step and the newest
  good checkpoint; an unfinished checkpoint is set aside, so that the same
  command resumes once space is freed.

The host reads the device's results one call late (:class:`_Bookkeeper`),
so that it never waits for the device between steps.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import tqdm

from gengan_jax.core import ConfigError
from gengan_jax.train import mesh as mesh_lib
from gengan_jax.train import multistep, nonfinite, schedule_check
from gengan_jax.train.checkpoint import Checkpointer, CheckpointMismatchError
from gengan_jax.train.experiment import Experiment
from gengan_jax.train.pictures import write_pictures
from gengan_jax.train.preemption import Preemption
from gengan_jax.train.workdir_lock import WorkdirLock, WorkdirLockedError
from gengan_jax.train.write_errors import WriteError, write_file, writing
from gengan_jax.train.writers import MetricsWriter

__all__ = ["Experiment", "WorkdirError", "train"]

log = logging.getLogger(__name__)

# Settings a resumed run must share with the checkpoints it resumes.
RESUME_KEYS = ("algorithm", "seed", "batch_size")


class WorkdirError(ConfigError):
  """The work directory cannot be one: it is a file, or lies under one."""


def _check_workdir(workdir: str) -> None:
  """Raises :class:`WorkdirError` unless ``workdir`` is a directory or can become one."""
  path = workdir
  while not os.path.lexists(path) and os.path.dirname(path) != path:
    path = os.path.dirname(path)
  if os.path.isdir(path):
    return
  if path == workdir:
    raise WorkdirError(f"the work directory {workdir} is an existing file, not a directory: "
                       "pass a new directory, or the one of the run to resume, as --workdir.")
  raise WorkdirError(f"the work directory {workdir} cannot be created: {path} is a file, "
                     "not a directory; pass another --workdir.")


@contextlib.contextmanager
def _job_lock(workdir: str):
  """Holds the work directory's lock for the whole job: process 0 takes it,
  and every process learns whether it did (so that all stop or none)."""
  lock, error = None, None
  if jax.process_index() == 0:
    try:
      with writing("the work directory", workdir):
        os.makedirs(workdir, exist_ok=True)
      lock = WorkdirLock(workdir)
      with writing("the lock file", lock.path):
        lock.acquire()
    except (WorkdirLockedError, WriteError) as e:
      error, lock = e, None
  if jax.process_count() > 1:
    from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
    ok = bool(multihost_utils.broadcast_one_to_all(np.int32(error is None)))
    if not ok and error is None:
      error = WorkdirLockedError(f"process 0 could not lock the work directory {workdir}; "
                                 "its message says why.")
  if error is not None:
    raise error
  try:
    yield lock
  finally:
    if lock is not None:
      lock.release()


def _host(tree) -> dict[str, float]:
  return {k: float(v) for k, v in jax.device_get(tree).items()}


def _checkpoint_meta(exp: Experiment, step: int, skipped) -> dict[str, Any]:
  """The JSON record saved with the checkpoint of ``step``."""
  return {"step": step, "seed": exp.seed, "algorithm": exp.config.algorithm,
          "batch_size": exp.batch_size, "nonfinite_skips": int(np.asarray(skipped)),
          "data_position": step * exp.num_batches * exp.batch_size,
          "data_shape": list(exp.dataset.element_shape)}


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


def restore_latest_good(ckpt: Checkpointer, state: Any, ema_decay: float):
  """``ckpt.restore_latest_good(state)``; a structure that differs in the
  parameters' average (:mod:`gengan_jax.core.averaging`) names the setting
  that decides it, ``train.ema_decay``."""
  try:
    return ckpt.restore_latest_good(state)
  except CheckpointMismatchError as e:
    if "/average/" not in str(e):
      raise
    raise CheckpointMismatchError(
        f"{e} train.ema_decay decides whether a run keeps an average of its parameters "
        f"(it is {ema_decay:g} here), from its first step or not at all.") from None


def _restore_or_init(exp: Experiment, ckpt: Checkpointer) -> tuple[Any, int, int, int | None]:
  """The state of the newest good checkpoint, else the initial state.

  Returns:
    ``(state, step, nonfinite_skips, checkpoint_step)``: the state, its step,
    the updates skipped so far and the step of the checkpoint it came from
    (``None`` for the initial state).
  """
  state = exp.init_state()
  restored = restore_latest_good(ckpt, state, exp.train_config.ema_decay)
  if restored is None:
    return state, 0, 0, None
  state, meta, saved = restored
  _check_resume(exp, meta, ckpt.directory, saved)
  start = int(np.asarray(state.step))
  log.info("Resumed from checkpoint at step %d in %s", start, ckpt.directory)
  if jax.process_index() == 0:
    print(f"Resuming from step {start} ({ckpt.directory})", flush=True)
  return state, start, int(meta.get("nonfinite_skips", 0)), saved


class _Bookkeeper:
  """The host's side of a run: checks, logs and checkpoints what the device made.

  Reading a call's results makes the host wait for the device, so they are
  read one call late: when the loop has started call ``n + 1``,
  :meth:`record` checks call ``n``'s health (``train.nonfinite='stop'``) and
  writes its metrics if they are due. :meth:`save` checks the latest call at
  once, so that a state that went non-finite is never checkpointed.

  Attributes:
    skipped: the count of skipped updates, on the device (the next call's input).
    last_saved: the step of the newest checkpoint, or ``None``.
    last_metrics: the metrics written last, on the host.
  """

  def __init__(self, exp: Experiment, writer: MetricsWriter, ckpt: Checkpointer, progress,
               *, skips: int, last_saved: int | None):
    self.exp, self.writer, self.ckpt, self.progress = exp, writer, ckpt, progress
    self.skipped = jax.device_put(jnp.asarray(skips, jnp.int32), mesh_lib.replicated(exp.mesh))
    self.last_saved = last_saved
    self.last_metrics: dict[str, float] = {}
    self._reported_skips = skips
    self._consecutive_skips = 0  # skipped steps in a row, up to the latest call checked
    self._unchecked = None  # (step, health, metrics) of the latest call
    self._unwritten = None  # (step, metrics) of a call whose metrics are due

  def record(self, step: int, step_metrics, health, state, *, log_due: bool) -> None:
    """Takes the results of the call that ended at ``step`` (``state``: its
    output); checks the call before it and writes that call's metrics if due."""
    self.skipped = step_metrics["nonfinite_skips"]
    self.check(state)
    if self._unwritten is not None:
      written = self._write_metrics()
      skips = self.last_metrics.get("nonfinite_skips", 0)
      if skips > self._reported_skips:
        log.warning("Skipped %d non-finite update(s) so far (step %d).", int(skips), written)
        self._reported_skips = skips
      self.progress.set_postfix({k: f"{v:.3g}" for k, v in list(self.last_metrics.items())[:3]})
    self._unchecked = (step, health, step_metrics)
    self._unwritten = (step, step_metrics) if log_due else None

  def check(self, state) -> None:
    """Raises :class:`~.nonfinite.NonFiniteError` if the latest call recorded
    went non-finite and ``train.nonfinite='stop'``, or if it ends a run of
    ``train.max_consecutive_skips`` skipped steps under ``'skip'``
    (``state``: any state of the run)."""
    if self._unchecked is None:
      return
    t = self.exp.train_config
    step, health, step_metrics = self._unchecked
    self._unchecked = None
    ok = np.asarray(health.ok).reshape(-1)  # one flag per step of the call
    if ok.all():
      self._consecutive_skips = 0
      return
    if t.nonfinite == "skip":
      for i, good in enumerate(ok):
        self._consecutive_skips = 0 if good else self._consecutive_skips + 1
        if self._consecutive_skips >= t.max_consecutive_skips:
          bad_step = step - len(ok) + 1 + i
          self._stop(step, step_metrics, state,
                     f"{t.max_consecutive_skips} steps in a row were non-finite and "
                     f"skipped, the last step {bad_step} (train.max_consecutive_skips="
                     f"{t.max_consecutive_skips})", multistep.first_unhealthy(health, step),
                     "Lower the learning rates, or check the data")
      return
    # The first bad step of a multi-step call (its metrics are its last step's).
    self._stop(step, step_metrics, state, None, multistep.first_unhealthy(health, step),
               "Lower the learning rates, or set train.nonfinite='skip' to drop such "
               "updates")

  def _stop(self, step: int, step_metrics, state, why: str | None, first_bad, advice: str):
    """Writes the call's metrics and raises the stop policy's
    :class:`~.nonfinite.NonFiniteError` (``first_bad``: ``(step, health)``
    of the call's first non-finite step; ``why``: a reason before it)."""
    self.writer.write(step, _host(step_metrics))
    bad_step, health = first_bad
    where = (f"the last good checkpoint is step {self.last_saved} in {self.ckpt.directory}"
             if self.last_saved is not None else "no checkpoint was written before it")
    policy = self.exp.train_config.nonfinite
    message = self.exp.nonfinite_message(bad_step, health, state)
    if why is not None:
      message = f"{why}; {message}"
    raise nonfinite.NonFiniteError(
        f"{message}. Stopped (train.nonfinite={policy!r}); {where}. {advice}.")

  def save(self, step: int, state) -> None:
    """Checks the latest call, then checkpoints its output ``state`` (step ``step``)."""
    self.check(state)
    self.ckpt.save(step, state, _checkpoint_meta(self.exp, step, self.skipped))
    self.last_saved = step

  def flush(self) -> None:
    """Writes the metrics still due (after the last call)."""
    if self._unwritten is not None:
      self._write_metrics()

  def _write_metrics(self) -> int:
    step, step_metrics = self._unwritten
    self._unwritten = None
    self.last_metrics = _host(step_metrics)
    self.writer.write(step, self.last_metrics)
    return step


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
    WorkdirError: ``workdir`` is a file (a ``ConfigError``).
    WorkdirLockedError: another live run holds ``workdir``.
    CheckpointError: every checkpoint in ``workdir`` is damaged.
    NonFiniteError: a step produced NaN/Inf and ``train.nonfinite='stop'``.
    WriteError: an output could not be written (e.g. the disk is full); its
      message names the newest good checkpoint.
  """
  if "population" in config:  # P runs as one program: see population_loop
    from gengan_jax.train import population_loop  # pylint: disable=g-import-not-at-top
    return population_loop.train(config, workdir, devices=devices, preemption=preemption)
  workdir = os.path.abspath(workdir)
  _check_workdir(workdir)
  exp = Experiment(config, devices=devices)
  with _job_lock(workdir):
    return _train_locked(exp, config, workdir, preemption)


def _train_locked(exp: Experiment, config, workdir: str,
                  preemption: Preemption | None) -> tuple[dict[str, Any], Any]:
  """:func:`train` once the work directory is locked."""
  t = exp.train_config
  is_main = jax.process_index() == 0
  if is_main:
    path = os.path.join(workdir, "config.json")
    text = config.to_json(indent=2) if hasattr(config, "to_json") else json.dumps(config)
    write_file(path, text)

  ckpt = Checkpointer(os.path.join(workdir, "checkpoints"), max_to_keep=t.keep_checkpoints)
  try:
    return _run(exp, workdir, ckpt, preemption)
  except BaseException as e:
    ckpt.abandon()  # a pending save finishes (or is set aside); orbax's threads stop
    if isinstance(e, WriteError) and e.newest_good is ...:
      e.newest_good = ckpt.newest_good
    raise


def _run(exp: Experiment, workdir: str, ckpt: Checkpointer,
         preemption: Preemption | None) -> tuple[dict[str, Any], Any]:
  """Restores or initialises, steps, checkpoints and finishes (see :func:`train`)."""
  t = exp.train_config
  config = exp.config
  is_main = jax.process_index() == 0
  state, start, skips, last_saved = _restore_or_init(exp, ckpt)
  progress = tqdm.tqdm(total=t.steps, initial=start, disable=not (is_main and t.progress),
                       dynamic_ncols=True, desc=config.algorithm, unit="step")
  books = _Bookkeeper(exp, MetricsWriter(workdir), ckpt, progress, skips=skips,
                      last_saved=last_saved)
  watch = Preemption() if preemption is None else contextlib.nullcontext(preemption)
  preempted_by = None
  t0 = time.time()
  schedules = schedule_check.FirstCall(exp, state)
  try:
    with watch as preemption:
      step = start
      while step < t.steps:
        state, step_metrics, health, num = exp.run_steps(state, step, books.skipped)
        schedules.after(state, start=step, steps_taken=num, is_main=is_main)
        step += num
        books.record(step, step_metrics, health, state,
                     log_due=step % t.log_every == 0 or step == t.steps)
        stop = preemption.reached(step)
        if step % t.checkpoint_every == 0 or step == t.steps or stop:
          books.save(step, state)
        if stop:
          preempted_by = preemption.name
          break
        if t.plot_every and step % t.plot_every == 0 and step != t.steps:
          with writing(f"the pictures of step {step}", workdir):
            write_pictures(exp, state, workdir, step)
          books.writer.write(step, exp.evaluate(state))
        progress.update(num)
      books.check(state)
  finally:
    progress.close()
  ckpt.wait()
  books.flush()
  return _finish(exp, state, workdir, books, t0=t0, preempted_by=preempted_by), state


def _finish(exp: Experiment, state, workdir: str, books: _Bookkeeper, *, t0: float,
            preempted_by: str | None) -> dict[str, Any]:
  """Evaluates and draws the final ``state`` (unless preempted), closes the
  writers and writes ``summary.json``; returns the summary."""
  step = int(np.asarray(state.step))
  evaluation, pictures = {}, []
  if preempted_by is None:
    evaluation = exp.evaluate(state)
    books.writer.write(step, evaluation)
    with writing(f"the pictures of step {step}", workdir):
      pictures = write_pictures(exp, state, workdir, step)
  books.writer.close()
  books.ckpt.close()
  summary = {
      "algorithm": exp.config.algorithm,
      "data": exp.dataset.name,
      "step": step,
      "seconds_this_run": round(time.time() - t0, 2),
      "final_metrics": books.last_metrics,
      "evaluation": evaluation,
      "preempted": preempted_by is not None,
      "nonfinite_skips": int(np.asarray(books.skipped)),
      "workdir": workdir,
      "checkpoints": books.ckpt.directory,
      "metrics_file": books.writer.path,
      "pictures": pictures,
  }
  if preempted_by is not None:
    summary["preempted_by"] = preempted_by
    log.warning("Preempted by %s: stopped after step %d, checkpoint written to %s.",
                preempted_by, step, books.ckpt.directory)
  if jax.process_index() == 0:
    path = os.path.join(workdir, "summary.json")
    write_file(path, json.dumps(summary, indent=2))
  return summary
