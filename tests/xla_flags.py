"""The tests' XLA flags: 8 CPU devices, and XLA's older CPU fusion emitters.

The test suite is compile-bound (hundreds of tiny programs, each compiled
once), and with ``--xla_cpu_use_fusion_emitters=false`` XLA's CPU backend
compiles them in a little over half the time (``test_smoke.py``,
``test_gan_family.py`` and ``test_loop.py`` under ``-n 2``: 180 s with the
default emitters, 103 s without). The programs are the same HLO after the
same passes; only the code emitted for each fusion differs, which moves
float results in their last bits. So the flag is the tests' alone: what
users run is XLA's default, and the recorded reference numbers
(:mod:`tests.algorithms.test_reference_numbers`) say which flags made them.

An XLA that no longer knows the flag would abort at start-up on it, so it is
used only where a child process with it set starts JAX's CPU backend; the
answer is kept in the environment (``GENGAN_JAX_TESTS_FUSION_FLAG``), so one
probe serves the session's xdist workers and the tests' subprocesses.
"""

from __future__ import annotations

import os
import subprocess
import sys

FUSION_FLAG = "--xla_cpu_use_fusion_emitters=false"
_KNOWN = "GENGAN_JAX_TESTS_FUSION_FLAG"


def xla_accepts(flag: str) -> bool:
  """Whether JAX's CPU backend starts with ``XLA_FLAGS=flag`` (in a child process)."""
  env = dict(os.environ, XLA_FLAGS=flag, JAX_PLATFORMS="cpu")
  try:
    probe = subprocess.run([sys.executable, "-c", "import jax; jax.devices()"], env=env,
                           capture_output=True, timeout=120, check=False)
  except subprocess.TimeoutExpired:
    return False
  return probe.returncode == 0


def fast_compile_flags() -> list[str]:
  """The flags that speed up compiling, where the installed XLA has them."""
  if _KNOWN not in os.environ:
    os.environ[_KNOWN] = "1" if xla_accepts(FUSION_FLAG) else "0"
  return [FUSION_FLAG] if os.environ[_KNOWN] == "1" else []


def xla_flags(devices: int = 8) -> str:
  """``XLA_FLAGS`` for the tests and their subprocesses: ``devices`` CPU devices
  and :func:`fast_compile_flags`."""
  return " ".join([f"--xla_force_host_platform_device_count={devices}"]
                  + fast_compile_flags())
