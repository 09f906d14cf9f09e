"""The device mesh and the sharded, jitted, donated training step.

Data parallelism over every device: the state is replicated, the batch is
split along its example axis over the mesh axis ``'data'``. The step is a
plain function of global arrays; XLA inserts the collectives (a mean over the
global batch needs no explicit ``pmean``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

DATA_AXIS = "data"


def make_mesh(devices: Sequence[jax.Device] | None = None) -> Mesh:
  """A 1-D mesh named ``'data'`` over ``devices`` (default: all devices).

  The axis is ``Auto`` (XLA propagates shardings), as for ``Mesh(devices)``:
  ``jax.make_mesh`` would default to ``Explicit`` axes, under which a reshape
  of a batch-sharded activation (the DCGAN layers' space-to-depth) needs an
  explicit output sharding and fails.
  """
  if devices is None:
    return jax.make_mesh((jax.device_count(),), (DATA_AXIS,),
                         axis_types=(jax.sharding.AxisType.Auto,))
  return Mesh(np.asarray(devices), (DATA_AXIS,))


def replicated(mesh: Mesh) -> NamedSharding:
  """The state's sharding: a full copy on every device."""
  return NamedSharding(mesh, P())


def batch_sharding(mesh: Mesh) -> NamedSharding:
  """The batch's sharding: ``[num_batches, B, ...]`` split along ``B``."""
  return NamedSharding(mesh, P(None, DATA_AXIS))


def check_batch_size(batch_size: int, mesh: Mesh) -> None:
  """Raises ValueError unless the global batch splits evenly over the mesh."""
  n = mesh.shape[DATA_AXIS]
  if batch_size % n:
    raise ValueError(
        f"config value data.batch_size={batch_size} is invalid: it must be "
        f"divisible by the number of devices ({n}); e.g. "
        f"{max(n, batch_size // n * n)}.")


def shard_step(train_step: Callable[..., Any], mesh: Mesh) -> Callable[..., Any]:
  """Compiles ``train_step(state, batch, key) -> (state, metrics)`` for ``mesh``.

  The state (argument 0) is donated: its buffers are reused for the new
  state, so the caller must not touch the old one after the call.
  """
  rep = replicated(mesh)
  return jax.jit(train_step,
                 in_shardings=(rep, batch_sharding(mesh), rep),
                 out_shardings=(rep, rep),
                 donate_argnums=0)
