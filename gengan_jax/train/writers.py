"""Metrics writers: a JSON-lines file for machines, TensorBoard for people.

Only process 0 writes; the others get a writer that does nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

import jax
import numpy as np


class MetricsWriter:
  """Appends ``{"step": s, name: value, ...}`` lines to ``metrics.jsonl`` and
  writes the same scalars as TensorBoard events under ``tensorboard/``."""

  def __init__(self, workdir: str, *, tensorboard: bool = True):
    self.active = jax.process_index() == 0
    self.path = os.path.join(workdir, "metrics.jsonl")
    self._tb = None
    if not self.active:
      return
    os.makedirs(workdir, exist_ok=True)
    if tensorboard:
      from tensorboardX import SummaryWriter  # pylint: disable=g-import-not-at-top
      self._tb = SummaryWriter(os.path.join(workdir, "tensorboard"))

  def write(self, step: int, scalars: Mapping[str, float]) -> None:
    if not self.active:
      return
    record = {"step": int(step)}
    record.update({k: float(np.asarray(v)) for k, v in scalars.items()})
    with open(self.path, "a") as f:
      f.write(json.dumps(record) + "\n")
    if self._tb is not None:
      for k, v in record.items():
        if k != "step":
          self._tb.add_scalar(k, v, global_step=step)

  def flush(self) -> None:
    if self._tb is not None:
      self._tb.flush()

  def close(self) -> None:
    if self._tb is not None:
      self._tb.close()


def read_metrics(path: str) -> list[dict]:
  """Reads a ``metrics.jsonl`` file written by :class:`MetricsWriter`."""
  with open(path) as f:
    return [json.loads(line) for line in f if line.strip()]
