"""Two processes under jax.distributed (CPU, gloo collectives) train like one
process with the same global batch; checkpoints written by both restore (and
load onto one device, bitwise)."""

import json
import os
import socket
import subprocess

import jax
import ml_collections
import numpy as np

from gengan_jax.train import loop
from gengan_jax.train.checkpoint import Checkpointer
from gengan_jax.train.population import PopulationExperiment
from gengan_jax.train.workdir_lock import WorkdirLock
from gengan_jax.train.writers import read_metrics
from gengan_jax.use import load
from tests.train import _runs

DEVICES_PER_PROCESS = 2
# The subject is the loop under jax.distributed: the two-network `gan`
# compiles fastest (four processes and one in-process run compile here).
ALGORITHM = "gan"


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("localhost", 0))
    return s.getsockname()[1]


def _two_processes(workdir, steps, *, returncode=0, extra=()):
  port = _free_port()
  procs = [
      _runs.start(workdir, ALGORITHM, steps, devices=DEVICES_PER_PROCESS,
                  extra=[f"--coordinator_address=localhost:{port}", "--num_processes=2",
                         f"--process_id={i}", *extra])
      for i in range(2)]
  outs, errs = [], []
  for p in procs:
    try:
      out, err = p.communicate(timeout=300)
    except subprocess.TimeoutExpired:
      for q in procs:
        q.kill()
      raise
    assert p.returncode == returncode, err[-3000:]
    outs.append(out)
    errs.append(err)
  return outs if returncode == 0 else errs


def test_two_processes_equal_one_process_and_resume(tmp_path):
  run_dir = str(tmp_path / "two")
  out0, out1 = _two_processes(run_dir, 4)
  assert "Done: step 4" in out0 and "Done:" not in out1  # only process 0 reports
  out0, out1 = _two_processes(run_dir, 6)  # resumes from the checkpoint at step 4
  assert "Resuming from step 4" in out0 and "Resuming" not in out1
  # One lock for the job (process 1 did not refuse process 0's), given back at the end.
  assert not os.path.exists(os.path.join(run_dir, ".lock"))

  # One process, the same global batch over the same number of devices.
  devices = loop.jax.devices()[:2 * DEVICES_PER_PROCESS]
  _, one = loop.train(_runs.config(ALGORITHM, 6), str(tmp_path / "one"), devices=devices)
  two = _runs.checkpoint_leaves(_runs.config(ALGORITHM), run_dir, 6, devices=devices)
  worst = max(float(np.max(np.abs(a - b))) if a.size else 0.0
              for a, b in zip(_runs.leaves(one), two, strict=True))
  # Same data and random numbers; only the order of the cross-device sums
  # may differ (gloo vs in-process all-reduce).
  print(f"max |two processes - one process| over all state leaves: {worst:.3g}")
  assert worst < 1e-4, worst
  # The checkpoint of 2 processes x 2 devices loads onto one device, bitwise.
  loaded = load(run_dir)
  assert loaded.step == 6 and len(jax.tree.leaves(loaded.state)[0].devices()) == 1
  for a, b in zip(_runs.leaves(loaded.state), two, strict=True):
    np.testing.assert_array_equal(a, b)

  # Only process 0 wrote logs: each logged step appears once.
  steps = [r["step"] for r in read_metrics(os.path.join(run_dir, "metrics.jsonl"))
           if "generator_loss" in r]
  assert steps == [2, 4, 6]
  assert json.load(open(os.path.join(run_dir, "summary.json")))["step"] == 6
  assert sorted(os.listdir(os.path.join(run_dir, "pictures"))) == [
      "samples_0000004.png", "samples_0000006.png"]


def test_a_population_over_two_processes_equals_one_process(tmp_path):
  """Four members over 2 x 2 devices: each process holds, feeds and saves two."""
  run_dir = str(tmp_path / "two")
  # The generator's rate decays over the run: each process measures the
  # updates of its members (a compiled read of member 0's count, whose
  # members may be another process's) and process 0 prints where it ends.
  schedule = {"schedule": "cosine", "decay_steps": 2}
  population = ["--config.population.seeds=4"] + [
      f"--config.model.generator_optimizer.{k}={v}" for k, v in schedule.items()]
  out0, out1 = _two_processes(run_dir, 2, extra=population)
  assert "4 members" in out0
  line = ("Learning-rate schedules in training steps: generator (generator_optimizer, 1 update a "
          "step): decays from step 0 to 0 at step 2")
  assert line in out0.splitlines() and "Learning-rate" not in out1
  c = _runs.config(ALGORITHM, 2)
  c.model.generator_optimizer.update(schedule)
  c.population = ml_collections.ConfigDict({"seeds": 4})
  devices = jax.devices()[:2 * DEVICES_PER_PROCESS]
  _, one = loop.train(c, str(tmp_path / "one"), devices=devices)
  ckpt = Checkpointer(os.path.join(run_dir, "checkpoints"))
  two, _ = ckpt.restore(PopulationExperiment(c, devices=devices).init_state(), 2)
  ckpt.close()
  two = _runs.leaves(two)
  worst = max(float(np.max(np.abs(a - b))) if a.size else 0.0
              for a, b in zip(_runs.leaves(one), two, strict=True))
  assert worst < 1e-4, worst
  for i in range(4):  # every member's metrics and summary, written by process 0
    member = os.path.join(run_dir, "members", f"{i:03d}")
    assert [r["step"] for r in read_metrics(os.path.join(member, "metrics.jsonl"))
            if "generator_loss" in r] == [2]
    assert json.load(open(os.path.join(member, "summary.json")))["seed"] == 3 + i


def test_a_held_workdir_stops_every_process_of_a_job(tmp_path):
  """Process 0 finds the lock held and tells process 1, so both end at once
  (nobody waits for a partner that has left)."""
  os.makedirs(tmp_path / "run")
  with WorkdirLock(str(tmp_path / "run")):
    err0, err1 = _two_processes(str(tmp_path / "run"), 2, returncode=1)
  assert err0.strip().splitlines()[-1].startswith(
      f"error: the work directory {tmp_path / 'run'} is in use by the run of process "
      f"{os.getpid()}")
  assert err1.strip().splitlines()[-1] == (
      f"error: process 0 could not lock the work directory {tmp_path / 'run'}; its message "
      "says why.")
