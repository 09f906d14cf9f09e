"""Helpers for the fault tests: tiny configs, the entry point as a subprocess,
and the parameters of a run's checkpoint."""

from __future__ import annotations

import atexit
import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import jax
import numpy as np

from gengan_jax.train import loop
from gengan_jax.train.checkpoint import Checkpointer
from tests.xla_flags import xla_flags

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The ring variant (each file's default, see experiments/configs/common.py).
CONFIGS = {"alpha_gan": "experiments/configs/alpha_gan.py",
           "wgan_gp": "experiments/configs/wgan_gp.py",
           "gan": "experiments/configs/gan.py"}


def changes(algorithm="alpha_gan", steps=6, **train) -> dict[str, object]:
  """Dotted settings that shrink ``CONFIGS[algorithm]`` to a tiny, fast run."""
  out = {"seed": 3, "model.hidden": (16, 16), "data.batch_size": 16,
         "train.steps": steps, "train.log_every": 2, "train.checkpoint_every": 2,
         "train.keep_checkpoints": 2, "train.plot_every": 0, "train.eval_samples": 200,
         "train.progress": False, "train.steps_per_call": 1}
  if algorithm == "alpha_gan":
    out["model.code_discriminator_hidden"] = (16, 16, 16)
  out.update({"train." + k: v for k, v in train.items()})
  return out


def apply(c, settings: dict[str, object]):
  """``c`` (a ConfigDict) with each dotted ``settings`` key set to its value; returns ``c``."""
  for key, value in settings.items():
    *parents, leaf = key.split(".")
    node = c
    for p in parents:
      node = node[p]
    node[leaf] = value
  return c


def config(algorithm="alpha_gan", steps=6, **train):
  """``CONFIGS[algorithm]`` with :func:`changes` applied: what the entry point runs."""
  module = importlib.import_module(CONFIGS[algorithm].replace("/", ".")[:-3])
  return apply(module.get_config(), changes(algorithm, steps, **train))


def overrides(algorithm="alpha_gan", steps=6, **train) -> list[str]:
  """:func:`changes` as ``--config.<key>=<value>`` flags."""
  flags = []
  for k, v in changes(algorithm, steps, **train).items():
    if isinstance(v, tuple):
      v = "(" + ",".join(str(x) for x in v) + ")"
    flags.append(f"--config.{k}={v}")
  return flags


# One persistent compilation cache for every subprocess of a test session:
# each run of the entry point would otherwise compile the same programs again.
_CACHE = tempfile.mkdtemp(prefix="gengan_jax_test_cache_")
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


def env(devices: int = 8) -> dict[str, str]:
  """The subprocess environment: ``devices`` CPU devices, the tests' compile
  flags, a shared persistent compilation cache."""
  e = dict(os.environ)
  e["JAX_COMPILATION_CACHE_DIR"] = _CACHE
  e["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
  e["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "0"
  e["XLA_FLAGS"] = xla_flags(devices)
  e["JAX_DISABLE_MOST_OPTIMIZATIONS"] = "true"
  e["JAX_PLATFORMS"] = "cpu"
  e["PYTHONPATH"] = ROOT + os.pathsep + e.get("PYTHONPATH", "")
  return e


def command(workdir, algorithm="alpha_gan", steps=6, *, extra=(), **train) -> list[str]:
  return ([sys.executable, "-m", "experiments.train", f"--config={CONFIGS[algorithm]}",
           f"--workdir={workdir}"] + overrides(algorithm, steps, **train) + list(extra))


def start(workdir, algorithm="alpha_gan", steps=6, *, extra=(), devices=8,
          **train) -> subprocess.Popen:
  """Starts the entry point on the tiny config in the background."""
  return subprocess.Popen(command(workdir, algorithm, steps, extra=extra, **train), cwd=ROOT,
                          env=env(devices), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)


def run(workdir, algorithm="alpha_gan", steps=6, *, extra=(), devices=8, timeout=300,
        **train) -> subprocess.CompletedProcess:
  """Runs the entry point on the tiny config to completion."""
  return subprocess.run(command(workdir, algorithm, steps, extra=extra, **train), cwd=ROOT,
                        env=env(devices), capture_output=True, text=True, timeout=timeout)


def finished_steps(workdir) -> list[int]:
  """Checkpoint steps that orbax has finished (renamed from their tmp dir)."""
  d = os.path.join(workdir, "checkpoints")
  if not os.path.isdir(d):
    return []
  return sorted(int(n) for n in os.listdir(d) if re.fullmatch(r"\d+", n))


def wait_for_checkpoint(proc: subprocess.Popen, workdir, timeout=180) -> int:
  """Polls until a finished checkpoint exists; returns its step."""
  t = time.time()
  while time.time() - t < timeout:
    steps = finished_steps(workdir)
    if steps:
      return steps[-1]
    if proc.poll() is not None:
      raise AssertionError(f"the run ended (rc {proc.returncode}) before any checkpoint: "
                           + proc.stderr.read()[-3000:])
    time.sleep(0.02)
  proc.kill()
  raise AssertionError("no checkpoint appeared in time")


def leaves(state) -> list[np.ndarray]:
  return [np.asarray(x) for x in jax.tree.leaves(jax.device_get(state))]


def assert_resumes_bitwise(c, workdir, state, *, stop_at=4) -> None:
  """A run of ``c`` stopped after ``stop_at`` steps and resumed in ``workdir``
  ends bitwise at ``state`` (the same run's state, trained without a stop)."""
  first = c.copy_and_resolve_references()
  first.train.steps = stop_at
  loop.train(first, workdir)
  summary, resumed = loop.train(c, workdir)
  assert summary["step"] == c.train.steps
  for g, w in zip(leaves(resumed), leaves(state), strict=True):
    np.testing.assert_array_equal(g, w)


def checkpoint_leaves(c, workdir, step=None, devices=None) -> list[np.ndarray]:
  """The state saved by a run in ``workdir`` (default: its latest checkpoint)."""
  exp = loop.Experiment(c, devices=devices)
  ckpt = Checkpointer(os.path.join(workdir, "checkpoints"))
  state, _ = ckpt.restore(exp.init_state(), step)
  ckpt.close()
  return leaves(state)
