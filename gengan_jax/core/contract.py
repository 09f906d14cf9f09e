"""What an algorithm is: the contract the loop, the tests and the tools rely on.

An algorithm is a config, a state and pure functions of them:

* ``Config``: a frozen dataclass of its hyper-parameters (built from the
  experiment config's ``model`` section by :func:`~gengan_jax.core.config.from_mapping`);
* ``State``: an :class:`AlgorithmState` holding one
  :class:`~gengan_jax.core.train_state.TrainState` per network, ``step`` and
  ``config``; :meth:`AlgorithmState.networks` lists the networks by name,
  so the fault diagnostics, checkpoints and tests never hard-code roles;
* ``init(key, config, example_batch) -> state``;
* ``train_step(state, batch, key) -> (state, metrics)``: pure, no sharding
  inside; ``batch`` is ``[num_batches(config), B, *data_shape]``;
* ``sample(state, key, num) -> [num, *data_shape]``;
* optionally ``num_batches(config)`` (default 1), ``encode(state, x)``,
  ``reconstruct(state, x)`` and ``log_likelihood(state, x, key)`` (exact, or
  a bound, named as such in its docstring).

:class:`Algorithm` is that contract as a record; :func:`from_module` reads
one off a module that defines those names (one module per paper), and a
family's presets are records too. ``gengan_jax.algorithms.REGISTRY`` maps
names to records.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from typing import Any

import jax
from flax import struct

from gengan_jax.core.train_state import TrainState


class AlgorithmState(struct.PyTreeNode):
  """The base of every algorithm's state: ``step``, ``config`` and networks.

  Subclasses add one :class:`TrainState` field per network (and any other
  arrays the algorithm carries).
  """

  step: jax.Array
  config: Any = struct.field(pytree_node=False)

  def networks(self) -> dict[str, TrainState]:
    """``{field name: TrainState}`` for every network of this state, in field order."""
    out = {}
    for f in dataclasses.fields(self):
      value = getattr(self, f.name)
      if isinstance(value, TrainState):
        out[f.name] = value
    return out


def network_names(state: Any) -> tuple[str, ...]:
  """The names of ``state``'s networks (also for an abstract state from ``eval_shape``)."""
  if isinstance(state, AlgorithmState):
    return tuple(state.networks())
  return tuple(f.name for f in dataclasses.fields(state)
               if isinstance(getattr(state, f.name), TrainState))


def optimizer_field(config: Any, network: str) -> str | None:
  """The name of the field of an algorithm's ``config`` holding ``network``'s optimizer.

  ``<network>_optimizer`` when the config has it; else the entry for
  ``network`` in the config class's ``OPTIMIZER_FIELDS`` (a class-level
  ``{network: field}`` for a network whose optimizer is named after its role
  in a paper, e.g. Real NVP WGAN's ``flow`` trained by
  ``generator_optimizer``); else ``optimizer``, the one that networks
  descending one objective share (a VAE's encoder and decoder); ``None``
  when there is none of these.
  """
  names = {f.name for f in dataclasses.fields(config)}
  for field in (f"{network}_optimizer", getattr(config, "OPTIMIZER_FIELDS", {}).get(network),
                "optimizer"):
    if field in names:
      return field
  return None


def expect_batches(batch: jax.Array, num: int, who: str) -> jax.Array:
  """``batch`` itself, after checking it holds ``num`` data batches ``[num, B, ...]``.

  Args:
    batch: a step's data, data batches on its leading axis.
    num: the number of data batches the step takes (``num_batches(config)``).
    who: the algorithm and the settings that fix ``num``, for the message (for
      example ``"mmd_gan with n_critic=5"``).

  Raises:
    ValueError: ``batch`` has another number of data batches on its leading
      axis (the message names ``who`` and the shape it takes).
  """
  if batch.shape[0] != num:
    count = "one" if num == 1 else str(num)
    raise ValueError(f"batch has {batch.shape[0]} data batches on its leading axis; "
                     f"{who} takes {count} per step: [{num}, B, *data_shape].")
  return batch


def single_batch(batch: jax.Array, algorithm: str) -> jax.Array:
  """The one data batch ``[B, ...]`` of a step that takes ``[1, B, ...]``.

  Raises:
    ValueError: ``batch`` has another number of data batches on its leading
      axis (the message names ``algorithm`` and the shape it takes).
  """
  return expect_batches(batch, 1, algorithm)[0]


def _one_batch(config: Any) -> int:
  del config
  return 1


@dataclasses.dataclass(frozen=True)
class Algorithm:
  """One registered algorithm: the contract's names, as a record.

  Attributes:
    name: the registry name.
    Config: its hyper-parameters' dataclass.
    State: its state's class.
    init, train_step, sample: see the module docstring.
    num_batches: data batches one ``train_step`` consumes (default 1).
    encode, reconstruct, log_likelihood: ``None`` where the model has none.
    module: the module that defines it.
  """

  name: str
  Config: type
  State: type
  init: Callable[..., Any]
  train_step: Callable[..., Any]
  sample: Callable[..., Any]
  num_batches: Callable[[Any], int] = _one_batch
  encode: Callable[..., Any] | None = None
  reconstruct: Callable[..., Any] | None = None
  log_likelihood: Callable[..., Any] | None = None
  module: types.ModuleType | None = None

  @property
  def has_encoder(self) -> bool:
    return self.encode is not None


REQUIRED = ("Config", "State", "init", "train_step", "sample")
OPTIONAL = ("num_batches", "encode", "reconstruct", "log_likelihood")


def from_module(name: str, module: types.ModuleType, **overrides) -> Algorithm:
  """The :class:`Algorithm` a module defines (its ``Config``, ``State``, ...).

  Raises:
    TypeError: the module lacks a required name, or its ``State`` is not an
      :class:`AlgorithmState`.
  """
  missing = [k for k in REQUIRED if not hasattr(module, k)]
  if missing:
    raise TypeError(f"algorithm module {module.__name__} lacks {', '.join(missing)}; "
                    f"an algorithm defines {', '.join(REQUIRED)} (and optionally "
                    f"{', '.join(OPTIONAL)}).")
  if not issubclass(module.State, AlgorithmState):
    raise TypeError(f"{module.__name__}.State must subclass gengan_jax.core.AlgorithmState.")
  fields = {k: getattr(module, k) for k in REQUIRED}
  fields.update({k: getattr(module, k) for k in OPTIONAL if hasattr(module, k)})
  fields.update(overrides)
  return Algorithm(name=name, module=module, **fields)
