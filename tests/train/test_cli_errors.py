"""The entry points' own faults are one ``error:`` line (exit 1), and
``--help`` exits 0: ``experiments.train`` (= ``gengan-train``) and
``experiments.evaluate`` (= ``gengan-evaluate``), as subprocesses."""

import os
import socket
import subprocess
import sys

import pytest

from gengan_jax.train.workdir_lock import WorkdirLock
from tests.train import _runs


def _run(module, *args, timeout=120):
  return subprocess.run([sys.executable, "-m", module, *args], cwd=_runs.ROOT,
                        env=_runs.env(), capture_output=True, text=True, timeout=timeout)


def _one_error_line(res) -> str:
  assert res.returncode == 1, (res.returncode, res.stderr[-2000:])
  assert "Traceback" not in res.stderr, res.stderr[-3000:]
  lines = res.stderr.strip().splitlines()
  assert len(lines) == 1, res.stderr[-2000:]
  return lines[0]


@pytest.mark.parametrize("module, text", [
    ("experiments.train", "--config"), ("experiments.evaluate", "--workdir")])
def test_help_exits_zero(module, text):
  res = _run(module, "--help")
  assert res.returncode == 0, res.stderr[-2000:]
  assert text in res.stdout


def test_a_workdir_that_is_a_file(tmp_path):
  f = tmp_path / "file"
  f.write_text("x")
  line = _one_error_line(_run("experiments.train", f"--config={_runs.CONFIGS['gan']}",
                              f"--workdir={f}"))
  assert line == (f"error: the work directory {f} is an existing file, not a directory: pass a "
                  "new directory, or the one of the run to resume, as --workdir.")
  line = _one_error_line(_run("experiments.evaluate", f"--workdir={f}"))
  assert line == (f"error: --workdir={f} is a file, not a run directory; pass the --workdir of "
                  "a training run (`gengan-train`).")
  assert f.read_text() == "x"


def test_a_config_file_that_does_not_load(tmp_path):
  bad = tmp_path / "bad.py"
  bad.write_text("def get_config(:\n")
  line = _one_error_line(_run("experiments.train", f"--config={bad}",
                              f"--workdir={tmp_path / 'run'}"))
  assert line == (f"error: cannot load the config file '{bad}' (SyntaxError at line 1: invalid "
                  "syntax); a config file defines get_config(arg) returning the experiment's "
                  "ConfigDict, as the library's configs do (e.g. --config=gan:ring).")


def test_a_workdir_held_by_a_live_run(tmp_path):
  run = tmp_path / "run"
  os.makedirs(run)
  with WorkdirLock(run):  # this test process is the live run
    res = _runs.run(str(run), "gan", 2, timeout=120)
  line = _one_error_line(res)
  assert line.startswith(f"error: the work directory {run} is in use by the run of process "
                         f"{os.getpid()} on host {socket.gethostname()}, started ")
  assert line.endswith("(it holds the lock file). Wait for it to end or stop it, or use "
                       "another --workdir.")
  assert os.listdir(run) == []  # nothing written, the lock given back
