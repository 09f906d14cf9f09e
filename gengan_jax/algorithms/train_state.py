"""One network's training state, and calling a network with or without BN.

A :class:`TrainState` is Flax's ``TrainState`` plus the ``batch_stats``
collection of batch-norm layers (an empty dict for networks without BN).
Algorithms hold one per network and update each with its own optimizer.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from flax.training import train_state

from gengan_jax.algorithms.config import OptimizerConfig


class TrainState(train_state.TrainState):
  """Parameters, optimizer state and batch-norm statistics of one network.

  ``step`` is a strongly typed int32 array from the start (Flax's ``create``
  sets the Python int ``0``, which a compiled ``init`` returns as a
  weak-typed array). A state restored from a checkpoint is strongly typed,
  and ``jax.jit`` keys its cache on weak types, so with a weak ``step`` a
  resumed run would compile its step a second time.
  """

  batch_stats: Any = None

  @classmethod
  def create(cls, *, apply_fn, params, tx, **kwargs) -> "TrainState":
    state = super().create(apply_fn=apply_fn, params=params, tx=tx, **kwargs)
    return state.replace(step=jnp.zeros((), jnp.int32))


def create(module: nn.Module, key: jax.Array, example_input: jax.Array,
           optimizer: OptimizerConfig) -> TrainState:
  """Initialises ``module`` on ``example_input`` and its Adam optimizer."""
  variables = module.init({"params": key}, example_input, train=False)
  return TrainState.create(
      apply_fn=module.apply,
      params=variables["params"],
      tx=optimizer.make(),
      batch_stats=dict(variables.get("batch_stats", {})),
  )


def apply(state: TrainState, params: Any, x: jax.Array, *, train: bool,
          batch_stats: Any = None) -> tuple[jax.Array, Any]:
  """Calls the network of ``state`` with ``params`` on ``x``.

  Args:
    state: the network's state (its ``apply_fn`` and batch-norm statistics).
    params: the parameters to use (differentiate through these).
    x: the network's input.
    train: batch norm uses batch statistics (and updates the running ones)
      when true, the running statistics otherwise.
    batch_stats: running statistics to start from, instead of
      ``state.batch_stats`` (to chain several calls in one update).

  Returns:
    ``(output, batch_stats)``: in training mode the batch-norm statistics
    updated by this call; otherwise (or without BN) the unchanged ones.
  """
  if batch_stats is None:
    batch_stats = state.batch_stats
  if not batch_stats:
    return state.apply_fn({"params": params}, x, train=train), batch_stats
  variables = {"params": params, "batch_stats": batch_stats}
  if not train:
    return state.apply_fn(variables, x, train=False), batch_stats
  out, mutated = state.apply_fn(variables, x, train=True, mutable=["batch_stats"])
  return out, mutated["batch_stats"]


def update(state: TrainState, grads: Any, batch_stats: Any) -> TrainState:
  """One optimizer step with ``grads``; stores the new batch-norm statistics."""
  return state.apply_gradients(grads=grads, batch_stats=batch_stats)
