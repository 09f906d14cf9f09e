"""Checkpoints with orbax: save every N steps and at the end, keep the last K,
restore the latest.

A checkpoint holds the state's arrays (every network's parameters, optimizer
state and batch-norm statistics, and ``step``) and a small JSON record. The
run's randomness and data order are functions of (seed, step), so the step is
the RNG state and the data position: restoring it resumes the run exactly.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import orbax.checkpoint as ocp


class Checkpointer:
  """Saves and restores a training state in ``directory``.

  Args:
    directory: where checkpoints live (one sub-directory per step).
    max_to_keep: how many of the newest checkpoints to keep.
  """

  def __init__(self, directory: str, *, max_to_keep: int = 3):
    self.directory = os.path.abspath(directory)
    options = ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True)
    self._manager = ocp.CheckpointManager(self.directory, options=options)

  def latest_step(self) -> int | None:
    return self._manager.latest_step()

  def all_steps(self) -> list[int]:
    return list(self._manager.all_steps())

  def save(self, step: int, state: Any, meta: dict[str, Any]) -> None:
    """Starts saving ``state`` (asynchronously; arrays are copied first)."""
    self._manager.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(state), meta=ocp.args.JsonSave(meta)))

  def restore(self, state_like: Any, step: int | None = None) -> tuple[Any, dict]:
    """Restores the checkpoint at ``step`` (default: the latest).

    Args:
      state_like: a state (or abstract state) with the structure, shapes,
        dtypes and shardings to restore into.
      step: which checkpoint.

    Returns:
      ``(state, meta)``.
    """
    step = self.latest_step() if step is None else step
    if step is None:
      raise FileNotFoundError(f"no checkpoint in {self.directory}")
    abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, state_like)
    restored = self._manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore(abstract), meta=ocp.args.JsonRestore()))
    return restored.state, dict(restored.meta)

  def wait(self) -> None:
    """Blocks until pending saves are on disk."""
    self._manager.wait_until_finished()

  def close(self) -> None:
    self._manager.wait_until_finished()
    self._manager.close()
