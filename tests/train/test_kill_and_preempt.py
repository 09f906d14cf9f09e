"""Hard kills and preemption of the real entry point (``experiments.train``)
in a subprocess: resuming ends bit for bit where an uninterrupted run ends."""

import json
import os
import re
import signal
import time

import numpy as np
import pytest

from gengan_jax.train import loop
from gengan_jax.train.checkpoint import Checkpointer, CheckpointWarning
from gengan_jax.train.preemption import EXIT_CODE
from tests.train import _runs

def _assert_equal(expected, got):
  assert len(expected) == len(got)
  for a, b in zip(expected, got):
    np.testing.assert_array_equal(a, b)


# The subject of the kill and SIGTERM tests is the loop, not the algorithm:
# the two-network `gan` compiles fastest (alpha_gan's and WGAN-GP's bitwise resumes are checked in process,
# tests/train/test_loop.py). Its steps take about a millisecond, so the run
# is made long enough to be still going when the first checkpoint appears,
# with few checkpoints (each save costs more than 50 of its steps).
KILL_STEPS = 300
# The SIGTERM run logs every step; long enough that the signal, sent once the
# first record is written, arrives before the end.
SIGTERM_STEPS = 3000


@pytest.mark.parametrize("algorithm", ["gan"])
def test_sigkill_then_restart_is_bitwise_equal_to_an_uninterrupted_run(tmp_path, algorithm):
  run_dir = str(tmp_path / "run")
  train = dict(checkpoint_every=50, keep_checkpoints=3, log_every=50)
  proc = _runs.start(run_dir, algorithm, KILL_STEPS, **train)
  _runs.wait_for_checkpoint(proc, run_dir)
  proc.send_signal(signal.SIGKILL)
  proc.communicate(timeout=60)
  assert proc.returncode == -signal.SIGKILL
  survived = _runs.finished_steps(run_dir)
  assert survived and survived[-1] < KILL_STEPS, survived
  # Whatever orbax was writing at the kill is left as a tmp dir, never as a step.
  for name in os.listdir(os.path.join(run_dir, "checkpoints")):
    assert re.fullmatch(r"\d+", name) or ".orbax-checkpoint-tmp" in name, name

  # The killed run's lock is left behind, naming it.
  assert json.load(open(os.path.join(run_dir, ".lock")))["pid"] == proc.pid

  res = _runs.run(run_dir, algorithm, KILL_STEPS, **train)
  assert res.returncode == 0, res.stderr[-3000:]
  assert f"Resuming from step {survived[-1]}" in res.stdout
  # ... and taken over with a warning, then given back.
  assert re.search(rf"^warning: took over the lock of the work directory {run_dir} from process "
                   rf"{proc.pid} on host .*: that process is no longer running; resuming its "
                   r"run\.$", res.stderr, re.M), res.stderr[-3000:]
  assert not os.path.exists(os.path.join(run_dir, ".lock"))
  assert not os.path.exists(os.path.join(run_dir, "checkpoints.damaged")) or all(
      ".orbax-checkpoint-tmp" in n for n in os.listdir(os.path.join(run_dir, "checkpoints.damaged")))

  _, straight = loop.train(_runs.config(algorithm, KILL_STEPS, **train), str(tmp_path / "straight"))
  _assert_equal(_runs.leaves(straight),
                _runs.checkpoint_leaves(_runs.config(algorithm, KILL_STEPS), run_dir, KILL_STEPS))


@pytest.mark.parametrize("algorithm", ["gan"])
def test_sigterm_finishes_the_step_checkpoints_and_exits_cleanly(tmp_path, algorithm):
  run_dir = str(tmp_path / "run")
  train = dict(checkpoint_every=1000, keep_checkpoints=3, log_every=1)
  proc = _runs.start(run_dir, algorithm, SIGTERM_STEPS, **train)
  metrics = os.path.join(run_dir, "metrics.jsonl")
  deadline = time.time() + 180
  while not (os.path.exists(metrics) and os.path.getsize(metrics) > 0):
    assert proc.poll() is None, proc.stderr.read()[-3000:]
    assert time.time() < deadline, "the run did not start in time"
    time.sleep(0.02)
  proc.send_signal(signal.SIGTERM)
  out, err = proc.communicate(timeout=120)
  assert proc.returncode == EXIT_CODE, err[-3000:]
  assert "Traceback" not in err
  m = re.search(r"Preempted by SIGTERM: stopped after step (\d+) and saved a checkpoint", out)
  assert m, out
  stopped = int(m.group(1))
  assert 0 < stopped < SIGTERM_STEPS
  # The checkpoint is of the step it stopped after (no checkpoint was due).
  assert _runs.finished_steps(run_dir) == [stopped]

  ref_dir = str(tmp_path / "straight")
  _, ref = loop.train(_runs.config(algorithm, stopped), ref_dir)
  _assert_equal(_runs.leaves(ref), _runs.checkpoint_leaves(_runs.config(algorithm), run_dir,
                                                           stopped))

  res = _runs.run(run_dir, algorithm, stopped + 3, **train)
  assert res.returncode == 0, res.stderr[-3000:]
  assert f"Resuming from step {stopped}" in res.stdout
  _, ref = loop.train(_runs.config(algorithm, stopped + 3), ref_dir)
  _assert_equal(_runs.leaves(ref), _runs.checkpoint_leaves(_runs.config(algorithm), run_dir))


def test_a_kill_mid_save_leaves_a_tmp_dir_that_is_set_aside(tmp_path):
  """What a SIGKILL during orbax's write leaves behind, built by hand: the
  unfinished save is moved to checkpoints.damaged and the run resumes from
  the last finished checkpoint."""
  c = _runs.config("alpha_gan", 4)
  loop.train(c, str(tmp_path))
  ckpt_dir = tmp_path / "checkpoints"
  # An unfinished save of step 6: a partial copy under orbax's tmp name.
  tmp = ckpt_dir / "6.orbax-checkpoint-tmp-1234567"
  os.makedirs(tmp / "state")
  (tmp / "state" / "manifest.ocdbt").write_bytes(b"\0" * 7)
  with pytest.warns(CheckpointWarning, match=r"6\.orbax-checkpoint-tmp-1234567 is an unfinished save"):
    summary, _ = loop.train(_runs.config("alpha_gan", 6), str(tmp_path))
  assert summary["step"] == 6
  assert not any(".orbax-checkpoint-tmp" in n for n in os.listdir(ckpt_dir))
  assert [n.split(".")[0] for n in os.listdir(tmp_path / "checkpoints.damaged")] == ["6"]
  ckpt = Checkpointer(str(ckpt_dir))
  assert ckpt.all_steps() == [4, 6]
  ckpt.close()
