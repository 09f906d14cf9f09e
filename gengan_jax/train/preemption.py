"""Preemption: notice SIGTERM, finish the step, checkpoint, stop cleanly.

Schedulers (Kubernetes, SLURM, Cloud TPU maintenance) send SIGTERM some
seconds before they kill a job. :class:`Preemption` turns the signal into a
flag that the loop reads after every step; the loop then writes a checkpoint
for the step it just finished and returns, and the entry point exits with
:data:`EXIT_CODE` after printing where it stopped.

One process: a Python signal handler sets the flag (only the main thread can
install one; elsewhere :meth:`Preemption.request` still works). Several
processes (``jax.distributed``): the signal may reach only some of them, so
the decision must be collective. JAX's preemption service (on by default
after ``jax.distributed.initialize``) catches SIGTERM in every process and
agrees on the first step that all processes can stop at;
:meth:`Preemption.reached` then asks
``multihost_utils.reached_preemption_sync_point(step)``, which every process
must call at every step (it is a local check, no communication per step).
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import jax

log = logging.getLogger(__name__)

#: Exit status of ``experiments.train`` after a clean preemption stop:
#: ``EX_TEMPFAIL`` from ``sysexits.h`` ("temporary failure, retry"): the run
#: is not finished, so it must not look like a success to a pipeline, and a
#: retry loop (``until python -m experiments.train ...; do :; done``)
#: resumes it.
EXIT_CODE = 75


class Preemption:
  """A context manager that records SIGTERM (or :meth:`request`).

  Args:
    signals: the signals that mean "preempted" in a single-process run.
  """

  def __init__(self, signals: tuple[int, ...] = (signal.SIGTERM,)):
    self.signals = tuple(signals)
    self.signal: int | None = None
    self._requested = False
    self._previous: dict[int, Any] = {}
    self._multiprocess = False

  def __enter__(self) -> Preemption:
    self._multiprocess = jax.process_count() > 1
    if self._multiprocess:
      from jax._src import distributed  # pylint: disable=g-import-not-at-top
      if distributed.global_state.preemption_sync_manager is None:
        log.warning("jax_enable_preemption_service is off: SIGTERM will not stop "
                    "this multi-process run cleanly.")
        self._multiprocess = False
      return self
    if threading.current_thread() is threading.main_thread():
      for s in self.signals:
        self._previous[s] = signal.signal(s, self._handle)
    return self

  def __exit__(self, *exc) -> None:
    for s, handler in self._previous.items():
      signal.signal(s, handler)
    self._previous.clear()

  def _handle(self, signum, frame) -> None:
    del frame
    self.signal = signum
    self._requested = True
    log.warning("Received %s: finishing the current step, then checkpointing.",
                signal.Signals(signum).name)

  def request(self) -> None:
    """Asks the loop to stop after the current step, as SIGTERM does."""
    self._requested = True

  def reached(self, step: int) -> bool:
    """Whether to checkpoint and stop after ``step`` (call after every step)."""
    if self._multiprocess:
      from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
      return bool(multihost_utils.reached_preemption_sync_point(int(step))) or self._requested
    return self._requested

  @property
  def name(self) -> str:
    return signal.Signals(self.signal).name if self.signal else "a preemption request"
