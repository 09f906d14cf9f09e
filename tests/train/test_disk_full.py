"""A full disk while writing a checkpoint, metrics or TensorBoard events: one
WriteError naming what, the step and the newest good checkpoint; the
unfinished checkpoint is set aside; the same run resumes once space is free."""

import errno
import json
import os
import struct

import numpy as np
import orbax.checkpoint as ocp
import pytest
from tensorboardX.proto import event_pb2

from gengan_jax.train import checkpoint, loop, writers
from gengan_jax.train.write_errors import WriteError, os_errno, reason
from tests.train import _runs

ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _fail_checkpoint_of_step(monkeypatch, step):
  """ENOSPC inside orbax's background commit of the checkpoint of ``step``:
  its JSON record is half written, then the write fails."""
  save = ocp.handlers.JsonCheckpointHandler._save_fn

  async def failing(self, x, directory):
    if os.path.basename(str(directory.parent)).startswith(f"{step}.orbax-checkpoint-tmp"):
      (directory / "metadata").write_text('{"step": ')
      raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(directory / "metadata"))
    return await save(self, x, directory)

  monkeypatch.setattr(ocp.handlers.JsonCheckpointHandler, "_save_fn", failing)


# tensorstore's callbacks of the failed write arrive after orbax closed its
# event loop ("Event loop is closed"): harmless, and not ours to fix.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_checkpoint_that_fails_in_the_background_is_set_aside_and_resumed(
    tmp_path, monkeypatch, caplog):
  run = tmp_path / "run"
  _fail_checkpoint_of_step(monkeypatch, 4)
  with pytest.raises(WriteError) as info:
    loop.train(_runs.config("alpha_gan", 6), str(run))
  # Raised when the save is waited for (the next one, at step 6).
  assert str(info.value).startswith(
      f"no space left on device while writing the checkpoint of step 4 in {run}/checkpoints; "
      "the newest good checkpoint is step 2. The unfinished checkpoint was moved to "
      f"{run}/checkpoints.damaged/4.orbax-checkpoint-tmp")
  assert str(info.value).endswith("Free some space and run the same command to resume.")
  assert info.value.no_space and info.value.newest_good == 2
  assert _runs.finished_steps(run) == [2]
  assert [n.split(".")[0] for n in os.listdir(run / "checkpoints.damaged")] == ["4"]
  # (A write of step 4 still in flight in tensorstore may, rarely, make its
  # directory again after train() returned: the resumed run sets it aside.)
  assert all(n == "2" or n.startswith("4.orbax-checkpoint-tmp")
             for n in os.listdir(run / "checkpoints"))
  assert not (run / ".lock").exists()
  # Orbax's own records of the failure (a traceback per thread) are kept out of the log.
  assert not [r for r in caplog.records if "No space left" in r.getMessage()
              or (r.exc_info and os_errno(r.exc_info[1]) == errno.ENOSPC)]

  monkeypatch.undo()  # space is free again
  summary, resumed = loop.train(_runs.config("alpha_gan", 6), str(run))
  assert summary["step"] == 6 and _runs.finished_steps(run) == [4, 6]
  assert sorted(os.listdir(run / "checkpoints")) == ["4", "6"]
  _, straight = loop.train(_runs.config("alpha_gan", 6), str(tmp_path / "straight"))
  for a, b in zip(_runs.leaves(straight), _runs.leaves(resumed), strict=True):
    np.testing.assert_array_equal(a, b)


def test_a_disk_already_too_full_writes_nothing(tmp_path, monkeypatch):
  run = tmp_path / "run"
  monkeypatch.setattr(checkpoint, "free_bytes", lambda directory: 1000)
  with pytest.raises(WriteError, match=rf"^no space left on device while writing the checkpoint "
                     rf"of step 2 in {run}/checkpoints; there is no checkpoint yet\. It needs "
                     r"about [\d.]+ KiB; 1000 bytes are free\. Free some space"):
    loop.train(_runs.config("alpha_gan", 4), str(run))
  assert os.listdir(run / "checkpoints") == []
  assert not (run / "checkpoints.damaged").exists()


@pytest.mark.parametrize("target, what", [
    ("metrics.jsonl", "the metrics of step 4 in {run}/metrics.jsonl"),
    ("events.out.tfevents", "the TensorBoard events of step 4 in {run}/tensorboard/events"),
])
def test_metrics_that_cannot_be_written_stop_the_run_in_one_error(tmp_path, monkeypatch, target,
                                                                  what):
  run = tmp_path / "run"
  append = writers._append

  def step_of(path, data):
    if path.endswith(".jsonl"):
      return json.loads(data)["step"]
    (n,) = struct.unpack("Q", data[:8])  # the first event record's step
    return event_pb2.Event.FromString(data[12:12 + n]).step

  def failing(path, data):
    if target in os.path.basename(path) and step_of(path, data) == 4:
      raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
    append(path, data)

  monkeypatch.setattr(writers, "_append", failing)
  with pytest.raises(WriteError) as info:
    loop.train(_runs.config("alpha_gan", 6), str(run))
  # The metrics of step 4 are written at step 5; the checkpoint of step 4,
  # then in progress, is finished before the error leaves train().
  assert str(info.value).startswith("no space left on device while writing "
                                    + what.format(run=run))
  assert "; the newest good checkpoint is step 4. Free some space" in str(info.value)
  assert not (run / ".lock").exists()
  monkeypatch.undo()
  summary, _ = loop.train(_runs.config("alpha_gan", 6), str(run))
  assert summary["step"] == 6
  steps = [r["step"] for r in writers.read_metrics(str(run / "metrics.jsonl"))
           if "generator_loss" in r]
  assert steps == ([2, 6] if target == "metrics.jsonl" else [2, 4, 6])


def test_a_failed_append_leaves_the_file_as_it_was(tmp_path, monkeypatch):
  path = str(tmp_path / "metrics.jsonl")
  writers._append(path, b'{"step": 1}\n')
  real_write = os.write

  def short_then_full(fd, data):  # half the line gets out, then the disk is full
    if len(data) > 4:
      return real_write(fd, bytes(data[:len(data) // 2]))
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

  monkeypatch.setattr(writers.os, "write", short_then_full)
  with pytest.raises(OSError):
    writers._append(path, b'{"step": 2, "loss": 0.5}\n')
  monkeypatch.undo()
  assert open(path, "rb").read() == b'{"step": 1}\n'


def test_orbax_full_disk_errors_are_read_as_enospc():
  e = ValueError('RESOURCE_EXHAUSTED: Error writing local file "/x/_sharding": Failed to '
                 "write 10046 bytes to file 9: No space left on device [os_error_code='28']")
  assert os_errno(e) == errno.ENOSPC and reason(e) == "no space left on device"
  wrapped = RuntimeError("commit failed")
  wrapped.__cause__ = ENOSPC
  assert os_errno(wrapped) == errno.ENOSPC
  assert os_errno(ValueError("something else")) is None
  assert reason(ValueError("something else")) == "ValueError: something else"
  assert reason(OSError(errno.EROFS, "x")) == "read-only file system"
  assert "Fix that and run" in str(WriteError("x", "/y", OSError(errno.EROFS, "x")))


def test_events_read_back_as_the_metrics(tmp_path):
  w = writers.MetricsWriter(str(tmp_path))
  w.write(2, {"a": 1.5, "b": -2.0})
  w.write(4, {"a": 0.25})
  assert writers.read_events(w.events_path) == [(2, "a", 1.5), (2, "b", -2.0), (4, "a", 0.25)]
  assert writers.read_metrics(w.path) == [{"step": 2, "a": 1.5, "b": -2.0},
                                          {"step": 4, "a": 0.25}]
