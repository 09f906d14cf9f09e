"""Metrics writers: a JSON-lines file for machines, TensorBoard for people.

Only process 0 writes; the others get a writer that does nothing.

Every record is appended to both files before :meth:`MetricsWriter.write`
returns (no background thread, unlike ``tensorboardX.SummaryWriter``, whose
thread dies silently on a full disk and then blocks the run). A record that
cannot be written raises :class:`~.write_errors.WriteError` and is cut from
the file again, so that a run resumed after the disk was freed appends to
whole lines and whole event records.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import time
from collections.abc import Mapping

import jax
import numpy as np

from gengan_jax.train.write_errors import WriteError


def _append(path: str, data: bytes) -> None:
  """Appends ``data`` to ``path``, or leaves the file as it was and raises OSError.

  Unbuffered (``os.write`` until every byte is out), so that a failure is
  seen here and not when a buffer is flushed later.
  """
  fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
  try:
    size = os.lseek(fd, 0, os.SEEK_END)
    view = memoryview(data)
    try:
      while view:
        view = view[os.write(fd, view):]
    except OSError:
      try:
        os.ftruncate(fd, size)
      except OSError:
        pass
      raise
  finally:
    os.close(fd)


def _event_record(event) -> bytes:
  """One TFRecord: length, its masked CRC-32C, the event's bytes, their masked CRC."""
  from tensorboardX.record_writer import masked_crc32c  # pylint: disable=g-import-not-at-top
  data = event.SerializeToString()
  header = struct.pack("Q", len(data))
  return (header + struct.pack("I", masked_crc32c(header)) + data
          + struct.pack("I", masked_crc32c(data)))


class MetricsWriter:
  """Appends ``{"step": s, name: value, ...}`` lines to ``metrics.jsonl`` and
  writes the same scalars as TensorBoard events under ``tensorboard/`` (one
  events file per run of the command)."""

  def __init__(self, workdir: str, *, tensorboard: bool = True):
    self.active = jax.process_index() == 0
    self.path = os.path.join(workdir, "metrics.jsonl")
    self.events_path = None
    if not self.active:
      return
    if tensorboard:
      directory = os.path.join(workdir, "tensorboard")
      self.events_path = os.path.join(
          directory, f"events.out.tfevents.{time.time():.0f}.{socket.gethostname()}")
      from tensorboardX.proto import event_pb2  # pylint: disable=g-import-not-at-top
      first = event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2")
      try:
        os.makedirs(directory, exist_ok=True)
        while os.path.exists(self.events_path):  # two runs within a second
          self.events_path += "_"
        _append(self.events_path, _event_record(first))
      except OSError as e:
        raise WriteError("the TensorBoard events", directory, e) from e

  def write(self, step: int, scalars: Mapping[str, float]) -> None:
    """Appends one record of ``scalars`` at ``step`` to both files; no
    ``scalars`` (an image run's evaluation) is no record.

    Raises:
      WriteError: a file could not be written (it is left as it was).
    """
    if not self.active or not scalars:
      return
    record = {"step": int(step)}
    record.update({k: float(np.asarray(v)) for k, v in scalars.items()})
    what = f"the metrics of step {int(step)}"
    try:
      _append(self.path, (json.dumps(record) + "\n").encode())
    except OSError as e:
      raise WriteError(what, self.path, e) from e
    if self.events_path is None:
      return
    from tensorboardX.proto import event_pb2, summary_pb2  # pylint: disable=g-import-not-at-top
    now = time.time()
    data = b"".join(
        _event_record(event_pb2.Event(wall_time=now, step=int(step), summary=summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag=k, simple_value=v)])))
        for k, v in record.items() if k != "step")
    try:
      _append(self.events_path, data)
    except OSError as e:
      raise WriteError(f"the TensorBoard events of step {int(step)}", self.events_path, e) from e

  def flush(self) -> None:
    """Nothing to do: every record is written when :meth:`write` returns."""

  def close(self) -> None:
    """Nothing to do (kept for callers that close their writers)."""


def read_metrics(path: str) -> list[dict]:
  """Reads a ``metrics.jsonl`` file written by :class:`MetricsWriter`."""
  with open(path) as f:
    return [json.loads(line) for line in f if line.strip()]


def read_events(path: str) -> list[tuple[int, str, float]]:
  """``(step, tag, value)`` of every scalar in a TensorBoard events file
  (checks each record's CRCs)."""
  from tensorboardX.proto import event_pb2  # pylint: disable=g-import-not-at-top
  from tensorboardX.record_writer import masked_crc32c  # pylint: disable=g-import-not-at-top
  out = []
  with open(path, "rb") as f:
    raw = f.read()
  i = 0
  while i < len(raw):
    header = raw[i:i + 8]
    (n,) = struct.unpack("Q", header)
    (crc,) = struct.unpack("I", raw[i + 8:i + 12])
    data = raw[i + 12:i + 12 + n]
    (dcrc,) = struct.unpack("I", raw[i + 12 + n:i + 16 + n])
    if crc != masked_crc32c(header) or dcrc != masked_crc32c(data) or len(data) != n:
      raise ValueError(f"{path}: damaged record at byte {i}")
    event = event_pb2.Event.FromString(data)
    out.extend((event.step, v.tag, v.simple_value) for v in event.summary.value)
    i += 16 + n
  return out
