"""Several training steps per compiled call.

For small networks (the toy 2-D MLPs) one step is a few hundred microseconds
of arithmetic, and the fixed cost of a call from Python -- dispatch, argument
checks, output handling -- is of the same order. Running ``num_steps`` steps
inside one compiled program (a ``lax.scan`` over per-step batches) pays that
cost once. The numbers are those of ``num_steps`` separate calls: each step
still folds its own step number into the key (``state.step`` advances inside
the scan) and reads its own batch.

For large steps (the conv nets) there is nothing to gain: measure first
(``experiments/benchmarks/run.py`` reports both). The training loop runs
:func:`guarded_multi_step` when ``train.steps_per_call > 1``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from gengan_jax.train import mesh as mesh_lib
from gengan_jax.train import nonfinite

Step = Callable[[Any, jax.Array, jax.Array], tuple[Any, dict]]


def multi_step(train_step: Step, num_steps: int) -> Step:
  r"""Returns ``run(state, batches, key)`` doing ``num_steps`` train steps.

  .. math::

    (s_{t+1}, m_t) = \mathrm{train\_step}(s_t, b_t, k), \quad
    t = 0, \dots, T - 1, \qquad T = \mathtt{num\_steps}

  with the same run key ``k`` for every step (the step number ``s_t.step``
  is folded in by ``train_step`` itself), as a ``lax.scan``.

  Args:
    train_step: ``(state, batch [nb, B, ...], key) -> (state, metrics)``, an
      algorithm's pure step.
    num_steps: ``T >= 1``, steps per call.

  Returns:
    ``run(state, batches, key) -> (state, metrics)`` where ``batches`` is
    ``[T, nb, B, ...]`` and every metric is stacked to ``[T]`` (per step).
    Not jitted: wrap it with ``jax.jit`` or :func:`shard_multi_step`.

  Raises:
    ValueError: if ``num_steps`` is not a positive integer.
  """
  if isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 1:
    raise ValueError(f"num_steps must be a positive integer; got {num_steps!r}.")

  def run(state, batches, key):
    if batches.shape[0] != num_steps:
      raise ValueError(
          f"batches has {batches.shape[0]} steps on its leading axis; "
          f"multi_step was built for num_steps={num_steps}: pass "
          f"[{num_steps}, num_batches, B, ...].")

    def body(s, batch):
      return train_step(s, batch, key)

    return jax.lax.scan(body, state, batches)

  return run


def batches_sharding(mesh: Mesh) -> NamedSharding:
  """``[T, nb, B, ...]`` split along the example axis ``B`` over ``'data'``."""
  return NamedSharding(mesh, P(None, None, mesh_lib.DATA_AXIS))


def shard_multi_step(train_step: Step, num_steps: int, mesh: Mesh) -> Step:
  """:func:`multi_step`, jitted for ``mesh`` like ``mesh.shard_step``.

  The state is replicated and donated; the stacked batches are split along
  their example axis; metrics come back replicated, ``[num_steps]`` each.
  A mesh without a ``'data'`` axis, or with one that is not ``Auto``, raises
  :func:`.mesh.check_mesh`'s ValueError.
  """
  mesh_lib.check_mesh(mesh)
  rep = mesh_lib.replicated(mesh)
  return jax.jit(multi_step(train_step, num_steps),
                 in_shardings=(rep, batches_sharding(mesh), rep),
                 out_shardings=(rep, rep), donate_argnums=0)


def guarded_multi_step(train_step: Step, num_steps: int):
  """``num_steps`` steps of :func:`.nonfinite.guard` ``(train_step)`` per call.

  Every step is guarded on its own (a non-finite update is dropped and
  counted, exactly as with one step per call); the caller sees the last
  step's metrics and every step's health.

  Args:
    train_step: ``(state, batch [nb, B, ...], key) -> (state, metrics)``.
    num_steps: ``T >= 1``, steps per call.

  Returns:
    ``run(state, batches [T, nb, B, ...], key, skipped) -> (state, metrics,
    health)``: ``metrics`` of the last step (with ``nonfinite_skips``) and a
    :class:`.nonfinite.Health` whose fields are stacked per step (``ok``
    ``[T]``, ``finite`` ``[T, L]``, ``skipped`` ``[T]``). Not jitted.
  """
  guarded = nonfinite.guard(train_step)

  def step(carry, batch, key):
    state, skipped = carry
    state, metrics, health = guarded(state, batch, key, skipped)
    return (state, health.skipped), (metrics, health)

  run_carry = multi_step(step, num_steps)

  def run(state, batches, key, skipped):
    (state, _), (metrics, health) = run_carry((state, skipped), batches, key)
    return state, jax.tree.map(lambda v: v[-1], metrics), health

  return run


def first_unhealthy(health: nonfinite.Health, steps_done: int
                    ) -> tuple[int, nonfinite.Health]:
  """``(step, health)`` of the first non-finite step of a multi-step call.

  Args:
    health: stacked per step, as returned by :func:`guarded_multi_step`
      (host or device arrays); a single step's health is taken as is.
    steps_done: the step count after the call's last step.

  Returns:
    The step count after the first step whose ``ok`` is false (after the
    last step if all were finite) and that step's health.
  """
  ok = np.asarray(health.ok)
  if ok.ndim == 0:
    return steps_done, health
  bad = np.flatnonzero(~ok)
  i = int(bad[0]) if bad.size else ok.shape[0] - 1
  return steps_done - ok.shape[0] + 1 + i, jax.tree.map(lambda v: np.asarray(v)[i], health)
