"""The loop's own compiled step compiles once: fresh, resumed, several steps per call.

A recompilation is a silent cost (seconds per compile for the conv nets) and
a sign that the state changed type between steps (a weak-typed leaf, a
dtype, a sharding). These tests count XLA compilations (JAX's
``/jax/core/compile/backend_compile_duration`` events) of the functions the
loop actually calls -- the guarded step ``jit(guarded)`` and, with
``train.steps_per_call > 1``, the guarded multi-step ``jit(run)`` -- over a
whole run of :func:`loop.train`, starting with empty caches as a new process
would, or (``clear=False``) with the caches of the runs before it, as in a
notebook that trains and then resumes.
"""

import collections

import jax
import pytest

from gengan_jax.train import loop
from tests.conftest import set_compilation_cache
from tests.train import _runs

STEP, MULTI_STEP = "jit(guarded)", "jit(run)"


class _Compiles:
  """Counts backend compilations by function name while active."""

  def __init__(self):
    self.counts = collections.Counter()
    self.active = False
    jax.monitoring.register_event_duration_secs_listener(self._on_event)

  def _on_event(self, event, duration, **kwargs):
    del duration
    if self.active and event == "/jax/core/compile/backend_compile_duration":
      self.counts[kwargs.get("fun_name")] += 1

  def during(self, fn, *args, clear=True, **kwargs) -> collections.Counter:
    """Compilations while ``fn`` runs; the persistent cache is off meanwhile
    (a hit there loads a program without compiling it)."""
    if clear:
      jax.clear_caches()
    self.counts, self.active = collections.Counter(), True
    set_compilation_cache(False)
    try:
      fn(*args, **kwargs)
    finally:
      self.active = False
      set_compilation_cache(True)
    return self.counts


@pytest.fixture(scope="module")
def compiles():
  return _Compiles()


# One algorithm: the cause of a second compilation (a restored state's types)
# lives in TrainState and the checkpointer, which every algorithm shares; the
# two-network `gan` compiles fastest.
@pytest.mark.parametrize("algorithm", ["gan"])
def test_fresh_and_resumed_runs_compile_the_step_once(tmp_path, compiles, algorithm):
  fresh = compiles.during(loop.train, _runs.config(algorithm, steps=4), str(tmp_path))
  assert fresh[STEP] == 1, fresh
  # In the same process the fresh run's compiled step serves the resumed run
  # only if the restored state has exactly the types of the initial one.
  resumed = compiles.during(loop.train, _runs.config(algorithm, steps=6), str(tmp_path),
                            clear=False)
  assert resumed[STEP] == 0, (
      f"the resumed run compiled its step again ({resumed}): the restored state's types "
      "(weak_type, dtype, sharding) differ from the initial state's")
  # So a resume in a new process compiles once too: the fresh run showed that
  # the initial state's types compile once (a step returns the types it was
  # given), and the restored state has those types.


def test_several_steps_per_call_compile_each_function_once(tmp_path, compiles):
  # Fresh: steps 0-3 and 4-7 as two calls of 4, steps 8 and 9 single.
  # Resumed at 10: 10 and 11 single, 12-15 one call, 16 and 17 single.
  every = dict(log_every=4, checkpoint_every=4, keep_checkpoints=10)
  for steps in (10, 18):
    counts = compiles.during(loop.train, _runs.config("gan", steps, steps_per_call=4,
                                                      **every), str(tmp_path))
    assert counts[MULTI_STEP] == 1 and counts[STEP] == 1, counts


def test_the_counter_sees_a_recompilation(compiles):
  f = jax.jit(lambda x: x + 1)
  counts = compiles.during(lambda: (f(1.0), f(jax.numpy.float32(1.0)), f(2.0)))
  assert counts["jit(<lambda>)"] == 2  # weak-typed and strongly typed float32
