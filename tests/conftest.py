"""Test set-up: 8 fake CPU devices, cheap compiles, and the house rules.

Runs before any test module imports JAX's backend, so every test sees the
same 8-device CPU platform (the sharding tests need it).

Compiles: tests compile many tiny programs, and optimising them costs more
than it saves, so every test runs with ``jax_disable_most_optimizations``
except those marked ``@pytest.mark.optimized``. These run with XLA's
default pipeline, the one users run. It compiles the same optimised HLO (the
partitioner's, fusion's and layout's decisions are the same:
``tests/test_conftest.py``), and LLVM then optimises the code, which can
change floats in their last bits: the marked tests are the strided
convolutions inside ``lax.scan``. (The learning checks compile their training
loops at LLVM's level 1 themselves: ``test_learning.LLVM_OPT_LEVEL``.) The fixture
below clears JAX's caches on the way in and out, because the setting is not
part of their keys.

``XLA_FLAGS`` (unless set already) come from :mod:`tests.xla_flags`: the 8
devices and XLA's older CPU fusion emitters, which compile the suite's
programs in about half the time. They apply to the ``optimized`` tests too:
their HLO passes are the users', only the code emitted for each fusion is
not (floats differ in their last bits, so the recorded reference numbers
name the flags that made them).

House rules for tests (``DESIGN.md`` has the rest):

* Every loss and estimator is checked against a closed form or an
  independent reference, with explicit tolerances.
* Every registered algorithm gets a learning check, automatically
  (``tests/algorithms/test_learning.py`` runs over the registry): it must
  learn the toy target, and its sign-flipped mutant (``tests/mutants.py``)
  must miss it by the stated margin. A new algorithm whose learning check
  passes on its mutant too is not tested; fix the setting, not the margin.
* An assertion must be able to fail: check it against a deliberately broken
  copy of the code before trusting it.
* A refactor keeps the numbers (``tests/algorithms/test_reference_numbers.py``).
"""

import os
import shutil
import tempfile

from tests.xla_flags import xla_flags  # before JAX starts its backend

if "XLA_FLAGS" not in os.environ:
  os.environ["XLA_FLAGS"] = xla_flags(8)

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_num_cpu_devices", 8)
# Tests compile many tiny programs; optimising them costs more than it saves.
jax.config.update("jax_disable_most_optimizations", True)


def _session_cache_dir() -> str:
  """One persistent compilation cache for the whole test session, shared by
  the xdist workers (named by the controlling process, a worker's parent)
  and removed at its end: many tests build the same tiny programs anew (a
  new Experiment, a new jit of the same step), which then compile once per
  session instead of once per test. Tests that count compilations switch it
  off (``tests/train/test_compiles.py``), and so do the ``optimized`` ones:
  the cache's key does not tell the two optimisation settings apart."""
  controller = os.getppid() if "PYTEST_XDIST_WORKER" in os.environ else os.getpid()
  return os.path.join(tempfile.gettempdir(), f"gengan_jax_test_cache_{controller}")


jax.config.update("jax_compilation_cache_dir", _session_cache_dir())
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def set_compilation_cache(enabled: bool) -> None:
  """Turns the persistent cache on or off now (JAX decides once per process
  whether it uses one, so the decision is reset too)."""
  from jax._src import compilation_cache  # pylint: disable=g-import-not-at-top
  jax.config.update("jax_enable_compilation_cache", enabled)
  compilation_cache.reset_cache()


def pytest_sessionfinish(session, exitstatus):
  del session, exitstatus
  if "PYTEST_XDIST_WORKER" not in os.environ:  # the controller, after the workers
    shutil.rmtree(_session_cache_dir(), ignore_errors=True)


def pytest_configure(config):
  config.addinivalue_line(
      "markers", "optimized: run with XLA's default optimisations (not "
      "jax_disable_most_optimizations), as users' programs are compiled")


@pytest.fixture(autouse=True)
def _xla_optimizations(request):
  """Default XLA optimisations for tests marked ``optimized``."""
  if request.node.get_closest_marker("optimized") is None:
    yield
    return
  jax.config.update("jax_disable_most_optimizations", False)
  set_compilation_cache(False)
  jax.clear_caches()
  try:
    yield
  finally:
    jax.config.update("jax_disable_most_optimizations", True)
    set_compilation_cache(True)
    jax.clear_caches()


@pytest.fixture(autouse=True, scope="module")
def _drop_compiled_programs():
  """Drops JAX's in-memory caches of compiled programs after each test module.

  An xdist worker lives for the whole session, and with 30-odd algorithms
  the programs it compiled (each one's steps, samplers and learning checks)
  added up to gigabytes: one worker died mid-session. A module's programs
  are rarely reused by the next one, and the persistent compilation cache
  above still serves any that are.
  """
  yield
  jax.clear_caches()
