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


def check_mesh(mesh: Mesh) -> None:
  """Raises ValueError unless ``mesh`` has a ``'data'`` axis and every axis is ``Auto``.

  The steps are written for XLA's sharding propagation: under ``Explicit``
  axes (``jax.make_mesh``'s default) the sharding is part of every array's
  type, and most steps fail inside a layer (a DCGAN convolution's reshape, a
  codebook lookup, a dropout mask) with an error that does not name the mesh.
  """
  if DATA_AXIS not in mesh.axis_names:
    raise ValueError(f"the mesh's axes are {tuple(mesh.axis_names)}; the step splits its batch "
                     f"over an axis named '{DATA_AXIS}': build the mesh with "
                     f"gengan_jax.train.mesh.make_mesh(devices).")
  not_auto = {name: t.name for name, t in zip(mesh.axis_names, mesh.axis_types)
              if t != jax.sharding.AxisType.Auto}
  if not_auto:
    raise ValueError(
        f"the mesh's axis types are {not_auto}; the steps need Auto axes (XLA propagates "
        f"the shardings): build the mesh with gengan_jax.train.mesh.make_mesh(devices) or "
        f"jax.make_mesh(shape, names, axis_types=(jax.sharding.AxisType.Auto,) * len(names)).")


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

  Raises:
    ValueError: ``mesh`` has no ``'data'`` axis, or an axis that is not
      ``Auto`` (:func:`check_mesh`).
  """
  check_mesh(mesh)
  rep = replicated(mesh)
  return jax.jit(train_step,
                 in_shardings=(rep, batch_sharding(mesh), rep),
                 out_shardings=(rep, rep),
                 donate_argnums=0)


MEMBER_AXIS = "member"


def make_population_mesh(num_members: int, devices: Sequence[jax.Device] | None = None) -> Mesh:
  """A 2-D mesh ``('member', 'data')`` for a population of ``num_members`` runs.

  The members are split over as many devices as divide both their number
  and the device count (all of them when ``num_members`` is a multiple of
  it: members over the devices of a pod); each member's batch is split over
  the rest (``'data'``, as in a single run).
  """
  devices = list(jax.devices() if devices is None else devices)
  n = len(devices)
  across = max(d for d in range(1, n + 1) if n % d == 0 and num_members % d == 0)
  return Mesh(np.asarray(devices).reshape(across, n // across), (MEMBER_AXIS, DATA_AXIS))


def member_sharding(mesh: Mesh) -> NamedSharding:
  """A population's per-member arrays ``[P, ...]``: split along ``P`` over ``'member'``."""
  return NamedSharding(mesh, P(MEMBER_AXIS))


def member_batch_sharding(mesh: Mesh, *, leading: int = 0) -> NamedSharding:
  """A population's batches ``[*leading axes, P, num_batches, B, ...]``: members
  over ``'member'``, each member's examples over ``'data'``."""
  return NamedSharding(mesh, P(*([None] * leading), MEMBER_AXIS, None, DATA_AXIS))
