"""One run per work directory: a lock file that a crashed run does not leave stuck.

Two runs on one work directory (a re-queued job whose first copy is still
alive, a command started in two terminals) would interleave
``metrics.jsonl`` and race on the checkpoints. So a run holds
``<workdir>/.lock`` for as long as it runs: a JSON record of its host,
process id, the process's start time, the machine's boot id, when it
started and its command line.

Taking the lock:

1. Open (create) the file and take an exclusive ``fcntl.flock`` on it
   without waiting. The kernel drops a flock when its process dies, however
   it dies (SIGKILL, power loss), so a held flock means a live holder: the
   run is refused. (File systems without flock support are detected, and
   then only step 2 decides; the flock also serialises two runs that start
   at the same moment, so both cannot find the directory free.)
2. Read the record left in the file and decide whether its holder is alive:

   * **same host**: alive when ``os.kill(pid, 0)`` finds the process, the
     machine has not rebooted since (Linux ``boot_id``) and the process
     started when the record says (Linux ``/proc/<pid>/stat``; so a process
     id reused by an unrelated process after a crash does not count);
   * **another host** (a shared file system): its processes cannot be asked,
     so the holder refreshes the file's modification time every
     :data:`HEARTBEAT_SECONDS`; a lock not refreshed for
     :data:`STALE_SECONDS` is stale. Until then the run is refused with the
     holder's host, process id and the age of its last refresh, and the
     message says how to remove the lock if that run is known to be gone.

   A live holder: :class:`WorkdirLockedError`, one line naming it and how to
   proceed. A stale lock (its run was killed): taken over with a
   :class:`StaleLockWarning` naming the dead holder, so that resuming after a
   crash needs no manual cleanup.
3. Write this run's record.

Releasing (normal end, an error, SIGTERM's clean stop: the lock is a context
manager): the record is removed while the flock is still held, then the
file is closed. A run killed with SIGKILL leaves the record; the next run
takes it over by step 2.

In a multi-process ``jax.distributed`` job only process 0 takes the lock
(:func:`gengan_jax.train.loop.train` tells the other processes whether it
got it), so the job holds one lock.

Readers (the evaluation) do not take the lock; :meth:`WorkdirLock.live_holder`
tells them whether a live run writes in the directory (so that
:class:`~.checkpoint.Checkpointer` leaves its unfinished saves alone).

This module imports nothing of JAX, so that it can be used (and tested) on
its own.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import logging
import os
import socket
import sys
import threading
import time
import uuid
import warnings
from typing import Any

try:
  import fcntl
except ImportError:  # pragma: no cover (Windows)
  fcntl = None

__all__ = ["HEARTBEAT_SECONDS", "LOCK_NAME", "STALE_SECONDS", "StaleLockWarning",
           "WorkdirLock", "WorkdirLockedError"]

log = logging.getLogger(__name__)

#: The lock file's name inside the work directory.
LOCK_NAME = ".lock"
#: How often a holder refreshes the lock file's modification time.
HEARTBEAT_SECONDS = 60.0
#: A lock of another host not refreshed for this long is stale.
STALE_SECONDS = 600.0


class WorkdirLockedError(RuntimeError):
  """The work directory is held by a live run."""


class StaleLockWarning(UserWarning):
  """A lock left by a run that is gone was taken over."""


def _boot_id() -> str | None:
  try:
    with open("/proc/sys/kernel/random/boot_id") as f:
      return f.read().strip()
  except OSError:
    return None


def _process_start(pid: int) -> int | None:
  """The start time of process ``pid`` in clock ticks since boot (Linux), else ``None``."""
  try:
    with open(f"/proc/{pid}/stat") as f:
      text = f.read()
  except OSError:
    return None
  # Field 22; the command name (field 2) is in parentheses and may hold spaces.
  try:
    return int(text[text.rindex(")") + 2:].split()[19])
  except (ValueError, IndexError):
    return None


def _pid_alive(pid: int) -> bool:
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:  # another user's process
    return True
  except (OverflowError, ValueError, OSError):
    return False
  return True


def _when(t: float) -> str:
  return datetime.datetime.fromtimestamp(t).isoformat(sep=" ", timespec="seconds")


def _describe(holder: dict[str, Any]) -> str:
  started = holder.get("started")
  when = f", started {_when(started)}" if isinstance(started, (int, float)) else ""
  return f"process {holder.get('pid')} on host {holder.get('host')}{when}"


class WorkdirLock:
  """The lock of the work directory ``workdir`` (see the module docstring).

  Use as a context manager, or :meth:`acquire` and :meth:`release`::

    with WorkdirLock(workdir):
      ...  # this process alone writes in workdir

  Args:
    workdir: an existing directory.
    stale_seconds: a lock of another host not refreshed for this long is
      stale (default :data:`STALE_SECONDS`).
    heartbeat_seconds: how often this holder refreshes the file (default
      :data:`HEARTBEAT_SECONDS`; 0: never).

  Attributes:
    path: the lock file.
    took_over: the record of the stale holder this lock replaced, or ``None``.
  """

  def __init__(self, workdir: str, *, stale_seconds: float = STALE_SECONDS,
               heartbeat_seconds: float = HEARTBEAT_SECONDS):
    self.path = os.path.join(os.path.abspath(workdir), LOCK_NAME)
    self.stale_seconds = stale_seconds
    self.heartbeat_seconds = heartbeat_seconds
    self.took_over: dict[str, Any] | None = None
    self._fd: int | None = None
    self._token = uuid.uuid4().hex
    self._stop = threading.Event()
    self._heartbeat: threading.Thread | None = None

  # -- the record ---------------------------------------------------------------

  def record(self) -> dict[str, Any]:
    """This process's record (what the lock file holds while it is held)."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "process_start": _process_start(pid),
            "boot_id": _boot_id(), "started": time.time(), "token": self._token,
            "command": sys.argv}

  def _read(self, fd: int) -> tuple[dict[str, Any] | None, str]:
    """The record in the open file, and its raw text."""
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 65536):
      chunks.append(chunk)
    raw = b"".join(chunks).decode("utf-8", "replace")
    try:
      holder = json.loads(raw)
    except ValueError:
      return None, raw
    return (holder if isinstance(holder, dict) else None), raw

  def _alive(self, holder: dict[str, Any], age: float) -> tuple[bool, str]:
    """Whether ``holder``'s run may still be running, and why it is judged so."""
    if holder.get("host") != socket.gethostname():
      if age < self.stale_seconds:
        return True, (f"its lock was refreshed {age:.0f} s ago; it is taken over once not "
                      f"refreshed for {self.stale_seconds:.0f} s")
      return False, f"its lock was last refreshed {age:.0f} s ago"
    pid = holder.get("pid")
    if not isinstance(pid, int) or pid <= 0:
      return False, "its record names no process"
    boot = _boot_id()
    if holder.get("boot_id") and boot and holder["boot_id"] != boot:
      return False, "the machine has restarted since"
    if not _pid_alive(pid):
      return False, "that process is no longer running"
    start = holder.get("process_start")
    now_start = _process_start(pid)
    if start is not None and now_start is not None and start != now_start:
      return False, f"that process is no longer running (process id {pid} was reused)"
    return True, "that process is running"

  # -- taking and giving back -----------------------------------------------------

  def acquire(self) -> WorkdirLock:
    """Takes the lock (see the module docstring).

    Raises:
      WorkdirLockedError: a live run holds it (the message names it).
      OSError: the lock file cannot be created or written.
    """
    if self._fd is not None:
      raise RuntimeError(f"{self.path} is already held by this WorkdirLock")
    for _ in range(20):
      fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
      try:
        flocked = self._flock(fd)
        if flocked and not self._same_file(fd):
          # The holder removed the file between our open and our flock.
          os.close(fd)
          continue
        self._decide(fd, flocked)
        data = json.dumps(self.record(), indent=1).encode()
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        view = memoryview(data)
        while view:
          view = view[os.write(fd, view):]
        os.fsync(fd)
      except BaseException:
        os.close(fd)
        raise
      self._fd = fd
      break
    else:
      raise WorkdirLockedError(f"could not lock the work directory: {self.path} keeps "
                               "being replaced by another run.")
    if self.heartbeat_seconds > 0:
      self._stop.clear()
      self._heartbeat = threading.Thread(target=self._beat, name="workdir-lock-heartbeat",
                                         daemon=True)
      self._heartbeat.start()
    return self

  def _flock(self, fd: int) -> bool:
    """Takes the flock; ``False`` if this file system has none.

    Raises:
      WorkdirLockedError: another process holds it.
    """
    if fcntl is None:
      return False
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
      if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
        holder = None
        for _ in range(10):  # the holder may not have written its record yet
          holder, _ = self._read(fd)
          if holder is not None:
            break
          time.sleep(0.05)
        raise WorkdirLockedError(self._refusal(holder, "it holds the lock file")) from None
      log.debug("no flock on %s (%s); relying on the record alone", self.path, e)
      return False
    return True

  def _same_file(self, fd: int) -> bool:
    try:
      st = os.stat(self.path)
    except FileNotFoundError:
      return False
    here = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (here.st_dev, here.st_ino)

  def _decide(self, fd: int, flocked: bool) -> None:
    """Refuses a live holder; warns about a stale one that is taken over."""
    del flocked  # A flock says the holder is dead; the record is checked anyway.
    holder, raw = self._read(fd)
    if holder is None:
      if raw.strip():
        self._warn(f"the lock file {self.path} held no readable record "
                   f"({raw.strip()[:80]!r}); took it over.")
      return
    age = time.time() - os.fstat(fd).st_mtime
    alive, why = self._alive(holder, age)
    if alive:
      raise WorkdirLockedError(self._refusal(holder, why))
    self.took_over = holder
    self._warn(f"took over the lock of the work directory {os.path.dirname(self.path)} "
               f"from {_describe(holder)}: {why}; resuming its run.")

  def _refusal(self, holder: dict[str, Any] | None, why: str) -> str:
    workdir = os.path.dirname(self.path)
    who = _describe(holder) if holder else "another process (its record is not written yet)"
    text = (f"the work directory {workdir} is in use by the run of {who} ({why}). Wait for "
            "it to end or stop it, or use another --workdir")
    if holder and holder.get("host") != socket.gethostname():
      text += (f"; if that run is gone (its host was lost), delete {self.path} and run "
               "the same command again")
    return text + "."

  def _warn(self, message: str) -> None:
    # A warning, not also a log record: the entry point prints it as one line.
    warnings.warn(message, StaleLockWarning, stacklevel=4)

  def _beat(self) -> None:
    while not self._stop.wait(self.heartbeat_seconds):
      with contextlib.suppress(OSError):
        os.utime(self.path)

  def release(self) -> None:
    """Gives the lock back: removes the record, then drops the flock."""
    if self._fd is None:
      return
    self._stop.set()
    if self._heartbeat is not None:
      self._heartbeat.join()
      self._heartbeat = None
    fd, self._fd = self._fd, None
    try:
      holder, _ = self._read(fd)
      if holder is not None and holder.get("token") == self._token and self._same_file(fd):
        os.unlink(self.path)
      else:
        log.warning("%s was taken over by another run; left it in place.", self.path)
    except OSError as e:
      log.warning("could not remove %s: %s", self.path, e)
    finally:
      os.close(fd)

  def live_holder(self) -> dict[str, Any] | None:
    """The record of the live run that holds this lock, ``None`` if none does
    (or this process does). Only reads; takes nothing."""
    try:
      fd = os.open(self.path, os.O_RDONLY)
    except OSError:
      return None
    try:
      holder, _ = self._read(fd)
      if holder is None:
        return None
      if holder.get("host") == socket.gethostname() and holder.get("pid") == os.getpid():
        return None
      alive, _ = self._alive(holder, time.time() - os.fstat(fd).st_mtime)
      return holder if alive else None
    finally:
      os.close(fd)

  @property
  def held(self) -> bool:
    return self._fd is not None

  def __enter__(self) -> WorkdirLock:
    return self.acquire()

  def __exit__(self, *exc) -> None:
    self.release()
