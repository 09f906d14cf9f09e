"""Checkpoints with orbax: save every N steps and at the end, keep the last K,
restore the newest *good* one.

A checkpoint holds the state's arrays (every network's parameters, optimizer
state and batch-norm statistics, and ``step``) and a small JSON record. The
run's randomness and data order are functions of (seed, step), so the step is
the RNG state and the data position: restoring it resumes the run exactly.

Damage. Orbax writes each checkpoint into ``<step>.orbax-checkpoint-tmp-*``
and renames it to ``<step>`` only when complete, so a process killed while
saving leaves a temporary directory, never a half-written ``<step>``. Files
can still be damaged afterwards (a full disk, a copy cut short, bit rot), and
some damage decodes silently. So every checkpoint's JSON record also holds

* ``fingerprint``: the SHA-256 of the state's bytes (every leaf's path,
  dtype, shape and contents, in tree order) taken when it was saved, and
* ``structure``: each leaf's path, shape and dtype.

:meth:`Checkpointer.restore_latest_good` tries the checkpoints newest first.
A checkpoint whose record or arrays cannot be read, or whose restored bytes
do not hash to the saved fingerprint, is *damaged*: it is moved (never
deleted) to ``<directory>.damaged/`` with a :class:`CheckpointWarning` that
names what was wrong, and the next older one is tried. Temporary directories
left by a killed save are moved there too. A checkpoint whose structure
differs from the state being restored is not damaged but from another
config: that raises :class:`CheckpointMismatchError` and touches nothing.

Failed saves. Saving is asynchronous: :meth:`Checkpointer.save` starts
writing and returns; a failure (a full disk, a quota, a vanished mount)
surfaces when the save is waited for, i.e. at the next :meth:`save`, at
:meth:`wait` or :meth:`~Checkpointer.close`. It is raised there as one
:class:`~.write_errors.WriteError` naming the step that failed and the
newest good checkpoint (``no space left on device while writing the
checkpoint of step 20 in ...; the newest good checkpoint is step 10``), and
the unfinished ``<step>.orbax-checkpoint-tmp*`` is set aside like a damaged
checkpoint. Before a save starts, the free space of the file system is
checked against the size of the newest checkpoint on disk (before the first
one, against the size of the state's arrays, what orbax writes before
compression): a disk that is already too full fails the same way without
writing anything. (File systems that report no size, as some network and
FUSE ones do, are not checked.) Orbax's own log records of a write that
failed for lack of space (a traceback from each of its background threads)
are kept out of the ``absl`` and ``asyncio`` loggers, since the error says
it. Unfinished saves of a work directory that another live run holds (see
:mod:`.workdir_lock`; e.g. ``gengan-evaluate`` reading a running run) are
left alone.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import shutil
import threading
import time
import warnings
from typing import Any

import jax
import numpy as np
import orbax.checkpoint as ocp

from gengan_jax.core.config import ConfigError
from gengan_jax.train.workdir_lock import WorkdirLock
from gengan_jax.train.write_errors import WriteError, os_errno

log = logging.getLogger(__name__)

_TMP_MARKER = ".orbax-checkpoint-tmp"
#: How orbax says that a restore target's tree differs from the saved one.
_STRUCTURE_MISMATCH = "tree structures do not match"


class CheckpointWarning(UserWarning):
  """A checkpoint was found damaged and set aside."""


class CheckpointError(RuntimeError):
  """No usable checkpoint, or a checkpoint failed verification."""


class CheckpointMismatchError(ConfigError):
  """The checkpoints in a work directory were written by a different config."""


def leaf_path(path: tuple[Any, ...]) -> str:
  """``'generator/params/mlp/hidden_0/kernel'`` for a ``tree_flatten_with_path`` key path."""
  parts = []
  for k in path:
    for attr in ("name", "key", "idx"):
      if hasattr(k, attr):
        parts.append(str(getattr(k, attr)))
        break
    else:
      parts.append(str(k))
  return "/".join(parts)


def _host_array(x: Any) -> np.ndarray:
  if isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
    x = jax.random.key_data(x)
  if isinstance(x, jax.Array) and not (x.is_fully_addressable or x.is_fully_replicated):
    # Split over processes (a population's members): gathered, a collective
    # that every process reaches in the same order (save and restore).
    from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
    x = multihost_utils.process_allgather(x, tiled=True)
  return np.asarray(x)


def structure(tree: Any) -> list[list[Any]]:
  """``[[path, shape, dtype], ...]`` of every leaf of ``tree``, in tree order.

  Works on concrete and abstract (``jax.ShapeDtypeStruct``) leaves.
  """
  out = []
  for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
    out.append([leaf_path(path), list(np.shape(leaf)), str(np.dtype(leaf.dtype))
                if hasattr(leaf, "dtype") else type(leaf).__name__])
  return out


def fingerprint(tree: Any) -> str:
  """SHA-256 (hex) of every leaf's path, dtype, shape and bytes, in tree order.

  The leaves are copied to the host (a replicated array in a multi-process
  run is read from this process's own copy, an array split over processes is
  gathered), so every process computes the same value for the same state.

  Args:
    tree: a pytree of arrays (e.g. an algorithm's state).

  Returns:
    A 64-character hex digest; equal digests mean bitwise equal states.
  """
  h = hashlib.sha256()
  for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
    a = np.ascontiguousarray(_host_array(leaf))
    h.update(f"{leaf_path(path)}|{a.dtype.str}|{a.shape}|".encode())
    h.update(a.tobytes())
  return h.hexdigest()


def _first_line(e: BaseException, limit: int = 300) -> str:
  text = " ".join(str(e).split())
  if len(text) > limit:
    text = text[:limit] + " ..."
  return f"{type(e).__name__}: {text}" if text else type(e).__name__


class Checkpointer:
  """Saves and restores a training state in ``directory``.

  Args:
    directory: where checkpoints live (one sub-directory per step).
    max_to_keep: how many of the newest checkpoints to keep.
    read_only: only read (:func:`gengan_jax.use.load`): nothing in
      ``directory`` is created, moved or written; unfinished saves are left
      alone and damaged checkpoints are skipped, not set aside.
  """

  def __init__(self, directory: str, *, max_to_keep: int = 3, read_only: bool = False):
    self.directory = os.path.abspath(directory)
    self.damaged_directory = self.directory + ".damaged"
    self.read_only = read_only
    _quiet_orbax_write_failures()
    if not read_only:
      self._set_aside_temporaries()
    options = ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=not read_only,
                                           read_only=read_only)
    try:
      self._manager = ocp.CheckpointManager(self.directory, options=options)
    except OSError as e:
      raise WriteError("the checkpoint directory", self.directory, e) from e
    steps = self.all_steps()
    #: The newest checkpoint known to be complete (``None``: none). A
    #: restore that finds it damaged lowers it (see :meth:`restore_latest_good`).
    self.newest_good: int | None = max(steps) if steps else None
    self._pending: int | None = None  # the step being saved in the background
    self._closed = False
    self._failed_step: int | None = None
    self._moved: dict[str, str] = {}  # unfinished saves set aside: name -> where

  # -- damage handling --------------------------------------------------------

  def _set_aside(self, name: str, reason: str, *, warn: bool = True,
                 sync: bool = True) -> str | None:
    """Moves ``directory/name`` to the damaged folder (process 0 only).

    With ``warn=False`` nothing is logged (the caller reports it); with
    ``sync=False`` the processes are not synchronised (a failure path that
    not every process takes). Returns where it went.
    """
    src = os.path.join(self.directory, name)
    dst = os.path.join(self.damaged_directory, f"{name}.{time.strftime('%Y%m%d-%H%M%S')}")
    if jax.process_index() == 0 and os.path.exists(src):
      os.makedirs(self.damaged_directory, exist_ok=True)
      while os.path.exists(dst):
        dst += "_"
      shutil.move(src, dst)
    if sync and jax.process_count() > 1:
      from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
      multihost_utils.sync_global_devices(f"gengan_jax checkpoint set aside {name}")
    if warn:
      msg = f"checkpoint {src} {reason}; moved it to {dst}."
      log.warning(msg)
      warnings.warn(msg, CheckpointWarning, stacklevel=3)
    return dst

  def _set_aside_temporaries(self) -> None:
    """Sets aside the unfinished ``*.orbax-checkpoint-tmp-*`` of a killed save
    (unless another live run holds the work directory: then they are its
    saves in progress, e.g. while ``gengan-evaluate`` reads a running run)."""
    if not os.path.isdir(self.directory):
      return
    # (A multi-process job holds the lock itself, through process 0.)
    holder = (WorkdirLock(os.path.dirname(self.directory)).live_holder()
              if jax.process_count() == 1 else None)
    if holder is not None:
      log.info("%s is in use by process %s on host %s: its unfinished saves are left alone.",
               self.directory, holder.get("pid"), holder.get("host"))
      return
    for name in sorted(os.listdir(self.directory)):
      if _TMP_MARKER in name:
        self._set_aside(name, "is an unfinished save (the process stopped while "
                        "writing it)")

  # -- the plain API ----------------------------------------------------------

  def latest_step(self) -> int | None:
    return self._manager.latest_step()

  def all_steps(self) -> list[int]:
    return list(self._manager.all_steps())

  def save(self, step: int, state: Any, meta: dict[str, Any]) -> None:
    """Starts saving ``state`` (asynchronously; arrays are copied first).

    ``meta`` is stored as JSON together with the state's ``fingerprint``
    and ``structure`` (see the module docstring). The previous save is
    finished first.

    Raises:
      WriteError: the previous save failed; or this one cannot start; or
        the file system has less free space than the newest checkpoint
        takes (before the first one: than the state's arrays take), and
        then nothing is written.
    """
    if self.read_only:
      raise ValueError(f"Checkpointer({self.directory!r}, read_only=True) cannot save.")
    self._finish_pending()
    meta = dict(meta, fingerprint=fingerprint(state), structure=structure(state))
    self._check_space(step, state)
    self._pending = step
    try:
      self._manager.save(step, args=ocp.args.Composite(
          state=ocp.args.StandardSave(state), meta=ocp.args.JsonSave(meta)))
    except Exception as e:  # pylint: disable=broad-except
      if os_errno(e) is None:
        self._pending = None
        raise
      self._failed(e)

  def _check_space(self, step: int, state: Any) -> None:
    """Raises :class:`WriteError` (``ENOSPC``) if the checkpoint will not fit:
    if the file system has less free space than the newest checkpoint takes
    (else, before the first one, than the state's arrays take)."""
    need = _tree_size(os.path.join(self.directory, str(self.newest_good))) if (
        self.newest_good is not None) else 0
    if not need:
      need = sum(int(np.prod(np.shape(x))) * np.dtype(x.dtype).itemsize
                 for x in jax.tree.leaves(state) if hasattr(x, "dtype")
                 and not jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key))
    free = free_bytes(self.directory)
    short = free is not None and free < need
    if jax.process_count() > 1:  # process 0 decides, so that all stop or none
      from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
      short = bool(multihost_utils.broadcast_one_to_all(np.int32(short)))
    if not short:
      return
    free = 0 if free is None else free
    cause = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    raise WriteError(f"the checkpoint of step {step}", self.directory, cause,
                     newest_good=self.newest_good,
                     note=f"It needs about {_size(need)}; {_size(free)} are free.")

  def _finish_pending(self) -> None:
    """Waits for the save in progress; a failure becomes a :class:`WriteError`."""
    if self._pending is None:
      return
    try:
      self._manager.wait_until_finished()
    except Exception as e:  # pylint: disable=broad-except
      self._failed(e)
    self.newest_good, self._pending = self._pending, None

  def _failed(self, e: Exception) -> None:
    """The save of ``self._pending`` failed: sets its unfinished files aside and
    raises the :class:`WriteError` (with the cause chained)."""
    step, self._pending = self._pending, None
    self._failed_step = step
    moved = self._set_aside_unfinished(step)
    note = (f"The unfinished checkpoint was moved to {moved[0]}." if moved else "")
    raise WriteError(f"the checkpoint of step {step}", self.directory, e,
                     newest_good=self.newest_good, note=note) from e

  def _set_aside_unfinished(self, step: int) -> list[str]:
    """Moves the ``<step>.orbax-checkpoint-tmp*`` of a failed save aside
    (quietly: the :class:`WriteError` says where); returns where they went."""
    moved = []
    if os.path.isdir(self.directory):
      for name in sorted(os.listdir(self.directory)):
        if name.split(".")[0] == str(step) and _TMP_MARKER in name:
          try:
            if name in self._moved:  # made again by writes in flight: join the first
              _merge_into(os.path.join(self.directory, name), self._moved[name])
            else:
              self._moved[name] = self._set_aside(name, "", warn=False, sync=False)
            moved.append(self._moved[name])
          except OSError as move_error:
            log.warning("could not set aside %s: %s", name, move_error)
    return moved

  def read_meta(self, step: int) -> dict[str, Any]:
    """The JSON record of the checkpoint at ``step`` (no arrays are read)."""
    restored = self._manager.restore(step, args=ocp.args.Composite(
        meta=ocp.args.JsonRestore()))
    meta = restored.meta
    if not isinstance(meta, dict):
      raise CheckpointError(f"its JSON record is {type(meta).__name__}, not an object")
    return dict(meta)

  def _check_structure(self, step: int, meta: dict[str, Any], state_like: Any) -> None:
    saved = meta.get("structure")
    if saved is None:
      return
    expected = structure(state_like)
    if saved == expected:
      return
    saved_d = {p: (s, d) for p, s, d in saved}
    want_d = {p: (s, d) for p, s, d in expected}
    for p, sd in want_d.items():
      if p not in saved_d:
        diff = f"the state has {p} but the checkpoint does not"
        break
      if saved_d[p] != sd:
        diff = (f"{p} is {saved_d[p][1]}{tuple(saved_d[p][0])} in the checkpoint, "
                f"{sd[1]}{tuple(sd[0])} in the state")
        break
    else:
      extra = sorted(set(saved_d) - set(want_d))
      diff = f"the checkpoint has {extra[0]} but the state does not" if extra else "order differs"
    raise CheckpointMismatchError(
        f"checkpoint {os.path.join(self.directory, str(step))} was written by a "
        f"different config ({diff}); resume with the config that wrote it, or "
        "use a new --workdir.")

  def restore(self, state_like: Any, step: int | None = None, *,
              verify: bool = True) -> tuple[Any, dict]:
    """Restores the checkpoint at ``step`` (default: the latest).

    Args:
      state_like: a state (or abstract state) with the structure, shapes,
        dtypes and shardings to restore into.
      step: which checkpoint.
      verify: check the restored bytes against the saved fingerprint.

    Returns:
      ``(state, meta)``.

    Raises:
      FileNotFoundError: no checkpoint.
      CheckpointMismatchError: the checkpoint's structure differs from
        ``state_like``'s.
      CheckpointError: the checkpoint cannot be read or fails verification
        (the message says why; the library's exception is chained).
    """
    step = self.latest_step() if step is None else step
    if step is None:
      raise FileNotFoundError(f"no checkpoint in {self.directory}")
    try:
      meta = self.read_meta(step)
    except Exception as e:  # pylint: disable=broad-except
      raise CheckpointError(f"its JSON record cannot be read ({_first_line(e)})") from e
    self._check_structure(step, meta, state_like)
    abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, state_like)
    try:
      restored = self._manager.restore(step, args=ocp.args.Composite(
          state=ocp.args.StandardRestore(abstract)))
      state = restored.state
    except Exception as e:  # pylint: disable=broad-except
      if _STRUCTURE_MISMATCH in str(e):
        # Intact, but saved from another tree: a node without leaves (a None
        # field, an empty collection) that the leaf check above cannot see.
        raise CheckpointMismatchError(
            f"checkpoint {os.path.join(self.directory, str(step))} was written with another "
            f"state structure ({_first_line(e, 200)}); resume with the config and version "
            "that wrote it, or use a new --workdir.") from None
      raise CheckpointError(f"its arrays cannot be read ({_first_line(e)})") from e
    if verify and "fingerprint" in meta:
      got = fingerprint(state)
      if got != meta["fingerprint"]:
        raise CheckpointError(
            f"its arrays do not match the SHA-256 fingerprint written when it was "
            f"saved (saved {meta['fingerprint'][:12]}..., read {got[:12]}...): the "
            "files were changed or corrupted after saving")
    return state, meta

  def restore_latest_good(self, state_like: Any) -> tuple[Any, dict, int] | None:
    """Restores the newest checkpoint that reads back intact.

    Damaged checkpoints (see the module docstring) are moved to
    ``<directory>.damaged/`` with a :class:`CheckpointWarning` naming what
    was wrong (a ``read_only`` checkpointer leaves them in place and only
    warns); good ones are never moved or deleted.

    Args:
      state_like: as for :meth:`restore`.

    Returns:
      ``(state, meta, step)``, or ``None`` when there is no checkpoint at all.

    Raises:
      CheckpointError: there were checkpoints but every one was damaged.
      CheckpointMismatchError: a checkpoint was written by another config.
    """
    steps = sorted(self.all_steps(), reverse=True)
    if not steps:
      return None
    problems = []
    for step in steps:
      try:
        state, meta = self.restore(state_like, step)
      except CheckpointError as e:
        problems.append(f"step {step}: {e}")
        if self.read_only:
          msg = f"checkpoint {os.path.join(self.directory, str(step))} is damaged: {e}; skipped it."
          log.warning(msg)
          warnings.warn(msg, CheckpointWarning, stacklevel=2)
        else:
          self._set_aside(str(step), f"is damaged: {e}")
          self._manager.reload()
        continue
      self.newest_good = step
      return state, meta, step
    self.newest_good = None
    where = "" if self.read_only else f" (moved to {self.damaged_directory})"
    raise CheckpointError(
        f"every checkpoint in {self.directory} is damaged{where}: " + "; ".join(problems)
        + ". Start over with a new --workdir, or restore the files.")

  def wait(self) -> None:
    """Blocks until pending saves are on disk.

    Raises:
      WriteError: the pending save failed (its files are set aside).
    """
    self._finish_pending()

  def close(self) -> None:
    """Finishes the pending save (see :meth:`wait`) and closes the manager."""
    try:
      self._finish_pending()
    finally:
      self.abandon()

  def abandon(self) -> None:
    """Closes after an error elsewhere: finishes the pending save if it can,
    sets it aside if it failed (logged, not raised), and stops orbax's threads."""
    try:
      self._finish_pending()
    except WriteError as e:
      log.warning("%s", e)
    if self._closed:
      return
    self._closed = True
    try:
      self._manager.close()
    except Exception as e:  # pylint: disable=broad-except
      log.warning("closing the checkpoint manager of %s failed: %s", self.directory, e)
    if self._failed_step is not None:
      # Writes of the failed save that were in flight when it failed (in
      # tensorstore, which orbax does not wait for) may make its temporary
      # directory again: sweep until two sweeps 0.1 s apart find nothing
      # (at most 2 s; what comes later is set aside when the run resumes).
      quiet = 0
      for _ in range(20):
        quiet = 0 if self._set_aside_unfinished(self._failed_step) else quiet + 1
        if quiet == 2:
          break
        time.sleep(0.1)


def free_bytes(directory: str) -> int | None:
  """Bytes free to this user on the file system of ``directory`` (or of its
  nearest existing parent); ``None`` when the file system does not say
  (it reports no size, as some network and FUSE file systems do)."""
  path = os.path.abspath(directory)
  while not os.path.exists(path) and os.path.dirname(path) != path:
    path = os.path.dirname(path)
  try:
    st = os.statvfs(path)
  except (OSError, AttributeError):
    return None
  if st.f_blocks == 0:
    return None
  return st.f_bavail * st.f_frsize


def _merge_into(src: str, dst: str) -> None:
  """Moves the files under ``src`` into the same places under ``dst`` (renames,
  so no space is needed), then removes ``src``."""
  for root, dirs, files in os.walk(src, topdown=False):
    target = os.path.join(dst, os.path.relpath(root, src))
    os.makedirs(target, exist_ok=True)
    for name in files:
      os.replace(os.path.join(root, name), os.path.join(target, name))
    for name in dirs:
      with contextlib.suppress(OSError):
        os.rmdir(os.path.join(root, name))
  os.rmdir(src)


def _tree_size(path: str) -> int:
  """Bytes in the files under ``path`` (0 if there is none)."""
  total = 0
  for root, _, files in os.walk(path):
    for name in files:
      try:
        total += os.lstat(os.path.join(root, name)).st_size
      except OSError:
        pass
  return total


def _size(n: float) -> str:
  for unit in ("bytes", "KiB", "MiB", "GiB"):
    if n < 1024 or unit == "GiB":
      return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.3g} {unit}"
    n /= 1024
  return f"{n} bytes"


class _QuietWriteFailures:
  """A logging filter that drops orbax's (and asyncio's) records of a write
  that failed for lack of space: :class:`Checkpointer` raises one
  :class:`WriteError` for it instead of a traceback per background thread.
  It also drops orbax's warnings that a ``read_only`` manager will not save."""

  def filter(self, record) -> bool:
    path = record.pathname or ""
    if os.sep + "orbax" + os.sep not in path and record.name != "asyncio":
      return True
    exc = record.exc_info[1] if record.exc_info else None
    if exc is not None and os_errno(exc) in (errno.ENOSPC, errno.EDQUOT):
      return False
    try:
      text = record.getMessage()
    except Exception:  # pylint: disable=broad-except
      return True
    if text.startswith(_READ_ONLY_NOTICES):  # what read_only=True means, said as warnings
      return False
    return not (os.strerror(errno.ENOSPC) in text or os.strerror(errno.EDQUOT) in text
                or "os_error_code='28'" in text)


_READ_ONLY_NOTICES = ("CheckpointManagerOptions.read_only=True", "Given directory is read only")
_QUIET = _QuietWriteFailures()
_QUIET_LOCK = threading.Lock()


def _quiet_orbax_write_failures() -> None:
  with _QUIET_LOCK:
    for name in ("absl", "asyncio"):
      logger = logging.getLogger(name)
      if _QUIET not in logger.filters:
        logger.addFilter(_QUIET)
