"""One run per work directory: a live holder is refused with its host and
process id, the lock of a killed run is taken over with a warning, and
train() gives the lock back on every way out."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from gengan_jax.train import loop, workdir_lock
from gengan_jax.train.preemption import Preemption
from gengan_jax.train.workdir_lock import StaleLockWarning, WorkdirLock, WorkdirLockedError
from tests.train import _runs

HOST = socket.gethostname()

# A process that takes the lock and waits (the module imports no JAX: fast).
_HOLDER = f"""
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location("wl", {workdir_lock.__file__!r})
wl = importlib.util.module_from_spec(spec); spec.loader.exec_module(wl)
wl.WorkdirLock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(600)
"""


def _hold(workdir) -> subprocess.Popen:
  proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(workdir)], stdout=subprocess.PIPE,
                          text=True)
  assert proc.stdout.readline().strip() == "held"
  return proc


def _write_record(workdir, **fields):
  record = dict(host=HOST, pid=os.getpid(), process_start=workdir_lock._process_start(os.getpid()),
                boot_id=workdir_lock._boot_id(), started=time.time(), token="x")
  record.update(fields)
  (workdir / ".lock").write_text(json.dumps(record))


def test_a_live_holder_is_refused_and_its_lock_taken_over_after_sigkill(tmp_path):
  proc = _hold(tmp_path)
  try:
    with pytest.raises(WorkdirLockedError,
                       match=rf"^the work directory {tmp_path} is in use by the run of process "
                       rf"{proc.pid} on host {HOST}, started .* \(it holds the lock file\)\. "
                       r"Wait for it to end or stop it, or use another --workdir\.$"):
      WorkdirLock(tmp_path).acquire()
  finally:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
  assert json.loads((tmp_path / ".lock").read_text())["pid"] == proc.pid  # left behind
  lock = WorkdirLock(tmp_path)
  with pytest.warns(StaleLockWarning, match=rf"from process {proc.pid} on host {HOST}.*: that "
                    "process is no longer running; resuming its run"):
    lock.acquire()
  assert lock.took_over["pid"] == proc.pid
  record = json.loads((tmp_path / ".lock").read_text())
  assert record["pid"] == os.getpid() and record["host"] == HOST
  lock.release()
  assert not (tmp_path / ".lock").exists()


def test_the_record_alone_decides_without_a_flock(tmp_path):
  """As on a file system without flock: a record naming a live process of
  this machine refuses; a reused process id or a reboot makes it stale."""
  _write_record(tmp_path)  # this very process, its real start time
  with pytest.raises(WorkdirLockedError, match=rf"process {os.getpid()} on host {HOST}.*\(that "
                     r"process is running\)"):
    WorkdirLock(tmp_path).acquire()
  if workdir_lock._process_start(os.getpid()) is not None:
    _write_record(tmp_path, process_start=workdir_lock._process_start(os.getpid()) - 1)
    with pytest.warns(StaleLockWarning, match=rf"process id {os.getpid()} was reused"):
      WorkdirLock(tmp_path).acquire().release()
  if workdir_lock._boot_id() is not None:
    _write_record(tmp_path, boot_id="another-boot")
    with pytest.warns(StaleLockWarning, match="the machine has restarted since"):
      WorkdirLock(tmp_path).acquire().release()


def test_another_hosts_lock_is_stale_only_when_not_refreshed(tmp_path):
  _write_record(tmp_path, host="elsewhere", pid=1)
  with pytest.raises(WorkdirLockedError,
                     match=r"process 1 on host elsewhere.*\(its lock was refreshed \d+ s ago; it "
                     r"is taken over once not refreshed for 600 s\).*if that run is gone \(its "
                     rf"host was lost\), delete {tmp_path}/\.lock and run the same command"):
    WorkdirLock(tmp_path).acquire()
  old = time.time() - 601
  os.utime(tmp_path / ".lock", (old, old))
  with pytest.warns(StaleLockWarning, match=r"host elsewhere.*last refreshed 60\d s ago"):
    WorkdirLock(tmp_path).acquire().release()


def test_an_unreadable_record_is_taken_over(tmp_path):
  (tmp_path / ".lock").write_text('{"host": "a", "pi')
  with pytest.warns(StaleLockWarning, match="held no readable record"):
    lock = WorkdirLock(tmp_path).acquire()
  assert json.loads((tmp_path / ".lock").read_text())["pid"] == os.getpid()
  lock.release()


def test_the_holder_refreshes_the_lock(tmp_path):
  lock = WorkdirLock(tmp_path, heartbeat_seconds=0.05).acquire()
  old = time.time() - 1000
  os.utime(lock.path, (old, old))
  time.sleep(0.3)
  assert time.time() - os.stat(lock.path).st_mtime < 5
  lock.release()


def test_live_holder_reads_without_taking(tmp_path):
  proc = _hold(tmp_path)
  try:
    assert WorkdirLock(tmp_path).live_holder()["pid"] == proc.pid
  finally:
    proc.kill()
    proc.wait()
  assert WorkdirLock(tmp_path).live_holder() is None
  with pytest.warns(StaleLockWarning), WorkdirLock(tmp_path):
    assert WorkdirLock(tmp_path).live_holder() is None  # held by this process


def test_train_refuses_a_held_workdir_and_releases_on_every_way_out(tmp_path):
  run = tmp_path / "run"
  # SIGTERM's clean stop (a preemption requested before the first step).
  # (A normal end: tests/train/test_loop.py; an error: test_disk_full.py.)
  stop = Preemption()
  stop.request()
  summary, _ = loop.train(_runs.config("alpha_gan", 4), str(run), preemption=stop)
  assert summary["preempted"] and summary["step"] == 1
  assert not (run / ".lock").exists()
  # A live holder: refused before anything is written.
  os.remove(run / "config.json")
  proc = _hold(run)
  try:
    with pytest.raises(WorkdirLockedError, match=rf"process {proc.pid} on host {HOST}"):
      loop.train(_runs.config("alpha_gan", 4), str(run))
  finally:
    proc.kill()
    proc.wait()
  assert not (run / "config.json").exists()


def test_a_live_runs_unfinished_save_is_left_alone(tmp_path):
  """A reader (gengan-evaluate) opening the checkpoints of a running run must
  not set aside the save the run is writing; once the run is gone it does."""
  from gengan_jax.train.checkpoint import Checkpointer, CheckpointWarning
  unfinished = tmp_path / "checkpoints" / "4.orbax-checkpoint-tmp-1"
  os.makedirs(unfinished)
  proc = _hold(tmp_path)
  try:
    Checkpointer(str(tmp_path / "checkpoints")).close()
    assert unfinished.is_dir()
  finally:
    proc.kill()
    proc.wait()
  with pytest.warns(CheckpointWarning, match="is an unfinished save"):
    Checkpointer(str(tmp_path / "checkpoints")).close()
  assert not unfinished.exists()
