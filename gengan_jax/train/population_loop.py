"""The training loop of a population (:mod:`.population`): one program, P runs.

:func:`gengan_jax.train.train` comes here when the config has a
``population`` section. It keeps every guarantee of the single-run loop
(:mod:`.loop`): restart from the newest good checkpoint (bit for bit),
SIGTERM, damaged checkpoints, a held or bad work directory, full disks --
with one checkpoint of the stacked state for the whole population. The work
directory holds::

  config.json          the population's config
  population.json      the members: index, seed, values, folder
  checkpoints/         the stacked state
  summary.json         the population's summary (one entry per member)
  members/003/         member 3 as a run directory: config.json (its own
                       single-run config), metrics.jsonl, tensorboard/,
                       samples.png, pictures/, summary.json

so that the tools that read run directories (``experiments.summarize``,
TensorBoard) read each member as a run, and ``python -m
experiments.evaluate --workdir=<population>`` evaluates every member.

Non-finite steps are handled per member (:class:`.population.MemberStatus`):
a member that is stopped is named in a warning, frozen and scored no more,
the others go on; the population stops with
:class:`.nonfinite.NonFiniteError` only when every member has stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import warnings
from typing import Any

import jax
import numpy as np
import tqdm

from gengan_jax.train import loop, schedule_check
from gengan_jax.train.checkpoint import Checkpointer, CheckpointMismatchError
from gengan_jax.train.nonfinite import NonFiniteError
from gengan_jax.train.pictures import write_pictures
from gengan_jax.train.population import MemberStatus, MemberView, PopulationExperiment
from gengan_jax.train.population_spec import member_directory
from gengan_jax.train.preemption import Preemption
from gengan_jax.train.write_errors import WriteError, write_file, writing
from gengan_jax.train.writers import MetricsWriter



class MemberStoppedWarning(UserWarning):
  """A population member went non-finite and was stopped; the others go on."""


def _host_status(status: MemberStatus) -> MemberStatus:
  return jax.tree.map(np.asarray, jax.device_get(status))


def _meta(exp: PopulationExperiment, step: int, status: MemberStatus) -> dict[str, Any]:
  s = _host_status(status)
  return {"step": step, "seed": exp.seed, "algorithm": exp.config.algorithm,
          "batch_size": exp.batch_size, "population": exp.population.as_dict(),
          "nonfinite_skips": s.skipped.tolist(), "alive": s.alive.tolist(),
          "stopped_at": s.stopped_at.tolist(),
          "data_position": step * exp.num_batches * exp.batch_size,
          "data_shape": list(exp.dataset.element_shape)}


def _check_resume(exp: PopulationExperiment, meta: dict[str, Any], directory: str,
                  step: int) -> None:
  """A resumed population must have the same algorithm, batch size and members."""
  now = {"algorithm": exp.config.algorithm, "batch_size": exp.batch_size,
         "population": exp.population.as_dict()}
  for k, v in now.items():
    if meta.get(k, v) != v:
      name = {"batch_size": "data.batch_size", "population": "population"}.get(k, k)
      raise CheckpointMismatchError(
          f"config value {name} differs from that of the checkpoint at step {step} in "
          f"{directory} (members: see population.json); resume with the same {name} or "
          "use a new --workdir.")


class _Books:
  """The host's side: per-member metrics, stop warnings, checkpoints (one call late,
  as the single-run loop's bookkeeper)."""

  def __init__(self, exp: PopulationExperiment, workdir: str, ckpt: Checkpointer, progress,
               status: MemberStatus, last_saved: int | None):
    self.exp, self.workdir, self.ckpt, self.progress = exp, workdir, ckpt, progress
    self.writers = [MetricsWriter(os.path.join(workdir, member_directory(i)))
                    for i in range(exp.size)]
    self.status = status
    self.last_saved = last_saved
    self.last_metrics: list[dict[str, float]] = [{} for _ in range(exp.size)]
    self._reported = ~np.asarray(jax.device_get(status.alive))  # stopped before this run
    self._unchecked = None  # (step, status, metrics) of the latest call
    self._unwritten = None

  def record(self, step: int, step_metrics, status, *, log_due: bool) -> None:
    self.status = status
    self.check()
    if self._unwritten is not None:
      self._write_metrics()
    self._unchecked = (step, status, step_metrics)
    self._unwritten = (step, step_metrics) if log_due else None

  def check(self) -> None:
    """Warns about members stopped by the latest call recorded; raises
    :class:`NonFiniteError` when none is left."""
    if self._unchecked is None:
      return
    step, status, step_metrics = self._unchecked
    self._unchecked = None
    s = _host_status(status)
    new = ~s.alive & ~self._reported
    if not new.any():
      return
    self._reported |= new
    left = int(s.alive.sum())
    messages = [self.exp.nonfinite_message(int(i), s) for i in np.flatnonzero(new)]
    if not left:
      self._write(step, step_metrics)
      where = (f"the last checkpoint is step {self.last_saved} in {self.ckpt.directory}"
               if self.last_saved is not None else "no checkpoint was written")
      raise NonFiniteError(
          f"every member of the population has stopped (train.nonfinite="
          f"{self.exp.train_config.nonfinite!r}); the last: {'; '.join(messages)}; {where}. "
          "Lower the learning rates, or check the data.")
    for m in messages:
      warnings.warn(f"{m}. Stopped this member (frozen from here); {left} of "
                    f"{self.exp.size} go on.", MemberStoppedWarning, stacklevel=2)

  def _write(self, step: int, step_metrics) -> None:
    host = {k: np.asarray(v) for k, v in jax.device_get(step_metrics).items()}
    alive = np.asarray(jax.device_get(self.status.alive))
    for i, w in enumerate(self.writers):
      if alive[i] or not self.last_metrics[i]:
        self.last_metrics[i] = {k: float(v[i]) for k, v in host.items()}
        w.write(step, self.last_metrics[i])

  def _write_metrics(self) -> None:
    step, step_metrics = self._unwritten
    self._unwritten = None
    self._write(step, step_metrics)
    first = self.last_metrics[0]
    self.progress.set_postfix({k: f"{v:.3g}" for k, v in list(first.items())[:3]})

  def save(self, step: int, state) -> None:
    self.check()
    self.ckpt.save(step, state, _meta(self.exp, step, self.status))
    self.last_saved = step

  def flush(self) -> None:
    if self._unwritten is not None:
      self._write_metrics()

  def write_evaluation(self, step: int, evaluation: list[dict[str, float]]) -> None:
    """Writes the living members' scores: a stopped member is frozen at a state
    that was already running away (alpha-GAN on the grid: its codes grew
    1e30-fold in the 20 steps before the first NaN), so its scores would read
    as a result of this step (its summary has none either)."""
    alive = np.asarray(jax.device_get(self.status.alive))
    for w, e, living in zip(self.writers, evaluation, alive):
      if living:
        w.write(step, e)

  def close(self) -> None:
    for w in self.writers:
      w.close()


def _restore_or_init(exp: PopulationExperiment, ckpt: Checkpointer):
  state = exp.init_state()
  restored = loop.restore_latest_good(ckpt, state, exp.train_config.ema_decay)
  if restored is None:
    return state, 0, exp.initial_status(), None
  state, meta, saved = restored
  _check_resume(exp, meta, ckpt.directory, saved)
  start = exp.step_of(state)
  if jax.process_index() == 0:
    print(f"Resuming the population from step {start} ({ckpt.directory})", flush=True)
  return state, start, exp.initial_status(meta), saved


def _write_member_files(exp: PopulationExperiment, workdir: str) -> None:
  """``population.json`` and each member's single-run ``config.json``."""
  write_file(os.path.join(workdir, "population.json"),
             json.dumps(exp.population.as_dict(), indent=2))
  for m in exp.population.members:
    directory = os.path.join(workdir, member_directory(m.index))
    with writing(f"the folder of {m.label()}", directory):
      os.makedirs(directory, exist_ok=True)
    write_file(os.path.join(directory, "config.json"),
               exp.population.member_config(exp.config, m.index).to_json(indent=2))


def _pictures(exp: PopulationExperiment, state, workdir: str, step: int) -> list[list[str]]:
  out = []
  for i in range(exp.size):
    directory = os.path.join(workdir, member_directory(i))
    with writing(f"the pictures of member {i} at step {step}", directory):
      out.append(write_pictures(MemberView(exp, state, i), state, directory, step))
  return out


def train(config, workdir: str, *, devices=None,
          preemption: Preemption | None = None) -> tuple[dict[str, Any], Any]:
  """Trains (or resumes) the population of ``config`` in ``workdir``.

  As :func:`gengan_jax.train.train`; the summary has one entry per member
  under ``members`` and the state is the stacked one (member ``i`` is
  :meth:`.PopulationExperiment.member_state`).
  """
  workdir = os.path.abspath(workdir)
  loop._check_workdir(workdir)  # pylint: disable=protected-access
  exp = PopulationExperiment(config, devices=devices)
  with loop._job_lock(workdir):  # pylint: disable=protected-access
    if jax.process_index() == 0:
      write_file(os.path.join(workdir, "config.json"), config.to_json(indent=2))
      _write_member_files(exp, workdir)
    ckpt = Checkpointer(os.path.join(workdir, "checkpoints"),
                        max_to_keep=exp.train_config.keep_checkpoints)
    try:
      return _run(exp, workdir, ckpt, preemption)
    except BaseException as e:
      ckpt.abandon()
      if isinstance(e, WriteError) and e.newest_good is ...:
        e.newest_good = ckpt.newest_good
      raise


def _run(exp: PopulationExperiment, workdir: str, ckpt: Checkpointer,
         preemption: Preemption | None) -> tuple[dict[str, Any], Any]:
  t = exp.train_config
  is_main = jax.process_index() == 0
  state, start, status, last_saved = _restore_or_init(exp, ckpt)
  progress = tqdm.tqdm(total=t.steps, initial=start, disable=not (is_main and t.progress),
                       dynamic_ncols=True, desc=f"{exp.config.algorithm} x{exp.size}",
                       unit="step")
  books = _Books(exp, workdir, ckpt, progress, status, last_saved)
  watch = Preemption() if preemption is None else contextlib.nullcontext(preemption)
  preempted_by = None
  t0 = time.time()
  schedules = schedule_check.FirstCall(exp, state)
  try:
    with watch as preemption:
      step = start
      while step < t.steps:
        state, step_metrics, status, num = exp.run_steps(state, step, status)
        schedules.after(state, start=step, steps_taken=num, is_main=is_main)
        step += num
        books.record(step, step_metrics, status,
                     log_due=step % t.log_every == 0 or step == t.steps)
        stop = preemption.reached(step)
        if step % t.checkpoint_every == 0 or step == t.steps or stop:
          books.save(step, state)
        if stop:
          preempted_by = preemption.name
          break
        if t.plot_every and step % t.plot_every == 0 and step != t.steps:
          _pictures(exp, state, workdir, step)
          books.write_evaluation(step, exp.evaluate(state))
        progress.update(num)
      books.check()
  finally:
    progress.close()
  ckpt.wait()
  books.flush()
  return _finish(exp, state, workdir, books, t0=t0, preempted_by=preempted_by), state


def _finish(exp: PopulationExperiment, state, workdir: str, books: _Books, *, t0: float,
            preempted_by: str | None) -> dict[str, Any]:
  step = exp.step_of(state)
  evaluation = [{} for _ in range(exp.size)]
  pictures = [[] for _ in range(exp.size)]
  if preempted_by is None:
    evaluation = exp.evaluate(state)
    books.write_evaluation(step, evaluation)
    pictures = _pictures(exp, state, workdir, step)
  books.close()
  books.ckpt.close()
  s = _host_status(books.status)
  seconds = round(time.time() - t0, 2)
  members = []
  for m in exp.population.members:
    i = m.index
    member = {
        "algorithm": exp.config.algorithm, "data": exp.dataset.name, "step": step,
        "seconds_this_run": seconds, "final_metrics": books.last_metrics[i],
        "evaluation": evaluation[i] if s.alive[i] else {}, "preempted": preempted_by is not None,
        "nonfinite_skips": int(s.skipped[i]), "seed": m.seed, "values": dict(m.values),
        "stopped": not bool(s.alive[i]),
        "stopped_at": int(s.stopped_at[i]) if not s.alive[i] else None,
        "workdir": os.path.join(workdir, member_directory(i)), "pictures": pictures[i],
        "population": workdir}
    members.append(member)
    if jax.process_index() == 0:
      write_file(os.path.join(member["workdir"], "summary.json"), json.dumps(member, indent=2))
  summary = {
      "algorithm": exp.config.algorithm, "data": exp.dataset.name, "step": step,
      "population_size": exp.size, "seconds_this_run": seconds,
      "preempted": preempted_by is not None, "workdir": workdir,
      "checkpoints": books.ckpt.directory, "members": members,
      "evaluation": {}, "final_metrics": {}, "pictures": [p for ps in pictures for p in ps],
      "metrics_file": os.path.join(workdir, "members", "*", "metrics.jsonl"),
      "nonfinite_skips": int(s.skipped.sum())}
  if preempted_by is not None:
    summary["preempted_by"] = preempted_by
  if jax.process_index() == 0:
    write_file(os.path.join(workdir, "summary.json"), json.dumps(summary, indent=2))
  return summary
