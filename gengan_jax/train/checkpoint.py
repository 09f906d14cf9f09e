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
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
import warnings
from typing import Any

import jax
import numpy as np
import orbax.checkpoint as ocp

from gengan_jax.core.config import ConfigError

log = logging.getLogger(__name__)

_TMP_MARKER = ".orbax-checkpoint-tmp"


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
  run is read from this process's own copy), so every process computes the
  same value for the same state.

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
  """

  def __init__(self, directory: str, *, max_to_keep: int = 3):
    self.directory = os.path.abspath(directory)
    self.damaged_directory = self.directory + ".damaged"
    self._set_aside_temporaries()
    options = ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True)
    self._manager = ocp.CheckpointManager(self.directory, options=options)

  # -- damage handling --------------------------------------------------------

  def _set_aside(self, name: str, reason: str) -> str | None:
    """Moves ``directory/name`` to the damaged folder (process 0 only)."""
    src = os.path.join(self.directory, name)
    dst = os.path.join(self.damaged_directory, f"{name}.{time.strftime('%Y%m%d-%H%M%S')}")
    if jax.process_index() == 0 and os.path.exists(src):
      os.makedirs(self.damaged_directory, exist_ok=True)
      while os.path.exists(dst):
        dst += "_"
      shutil.move(src, dst)
    if jax.process_count() > 1:
      from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
      multihost_utils.sync_global_devices(f"gengan_jax checkpoint set aside {name}")
    msg = f"checkpoint {src} {reason}; moved it to {dst}."
    log.warning(msg)
    warnings.warn(msg, CheckpointWarning, stacklevel=3)
    return dst

  def _set_aside_temporaries(self) -> None:
    """Sets aside the unfinished ``*.orbax-checkpoint-tmp-*`` of a killed save."""
    if not os.path.isdir(self.directory):
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
    and ``structure`` (see the module docstring).
    """
    meta = dict(meta, fingerprint=fingerprint(state), structure=structure(state))
    self._manager.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(state), meta=ocp.args.JsonSave(meta)))

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
    was wrong; good ones are never moved or deleted.

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
        self._set_aside(str(step), f"is damaged: {e}")
        self._manager.reload()
        continue
      return state, meta, step
    raise CheckpointError(
        f"every checkpoint in {self.directory} is damaged (moved to "
        f"{self.damaged_directory}): " + "; ".join(problems)
        + ". Start over with a new --workdir, or restore the files.")

  def wait(self) -> None:
    """Blocks until pending saves are on disk."""
    self._manager.wait_until_finished()

  def close(self) -> None:
    self._manager.wait_until_finished()
    self._manager.close()
