"""Several training steps per compiled call.

For small networks (the toy 2-D MLPs) one step is a few hundred microseconds
of arithmetic, and the fixed cost of a call from Python -- dispatch, argument
checks, output handling -- is of the same order. Running ``num_steps`` steps
inside one compiled program (a ``lax.scan`` over per-step batches) pays that
cost once. The numbers are those of ``num_steps`` separate calls: each step
still folds its own step number into the key (``state.step`` advances inside
the scan) and reads its own batch.

For large steps (the conv nets) there is nothing to gain: measure first
(``experiments/benchmarks/run.py`` reports both).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from gengan_jax.train import mesh as mesh_lib

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
  """
  rep = mesh_lib.replicated(mesh)
  return jax.jit(multi_step(train_step, num_steps),
                 in_shardings=(rep, batches_sharding(mesh), rep),
                 out_shardings=(rep, rep), donate_argnums=0)
