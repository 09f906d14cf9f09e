r"""An exponential moving average of every network's parameters, for sampling.

The iterates of adversarial training circle around an equilibrium rather
than settle on it; an average of them lies closer to it. Yazici et al. 2019
("The unusual effectiveness of averaging in GAN training") keep, next to the
trained parameters :math:`\theta_t`,

.. math::

  \bar\theta_0 = \theta_0, \qquad
  \bar\theta_t = \beta\, \bar\theta_{t-1} + (1 - \beta)\, \theta_t

and sample from :math:`\bar\theta` (BigGAN, StyleGAN and most image GANs
since do the same). Training never reads the average: the step's updates
and the metrics are those of :math:`\theta`.

Here a network that keeps the average is an :class:`AveragedTrainState`:
a :class:`~gengan_jax.core.train_state.TrainState` with one more field,
``average``, a pytree with the parameters' structure, so that it is
checkpointed, restored, sharded and stacked over a population's members
with the rest of the state. A run without an average keeps plain
``TrainState`` s, whose checkpoints are those of every earlier version
(orbax restores only into the structure it saved). Every network is
averaged (the generator's average is what sampling uses; an encoder's,
what encoding and reconstruction use), once per training step (:math:`t`
counts ``train_step`` calls, not a network's optimizer steps). Batch-norm
running statistics are not averaged: the averaged network normalises with
the trained network's.

* :func:`start`: the state with every network an
  :class:`AveragedTrainState` whose average is its parameters
  (:math:`\bar\theta_0 = \theta_0`);
* :func:`averaging_init` and :func:`averaging_step`: an ``init`` that
  starts the averages and a ``train_step`` that also moves them;
* :func:`averaged`: the state with every network's parameters replaced by
  its average, to sample, encode or score with (the same state back when
  no average is kept), and :func:`on_average`: a function of the state
  (``sample``, ``reconstruct``) applied to :func:`averaged` of it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from gengan_jax.core.contract import AlgorithmState
from gengan_jax.core.train_state import TrainState


class AveragedTrainState(TrainState):
  """A network's :class:`~gengan_jax.core.train_state.TrainState` with an
  exponential moving average of its parameters, ``average`` (see the module
  docstring); the optimizer updates ``params`` as before."""

  average: Any = None


def _replace_networks(state: AlgorithmState, fn: Callable[[TrainState], TrainState]
                      ) -> AlgorithmState:
  return state.replace(**{name: fn(net) for name, net in state.networks().items()})


def _fields(net: TrainState) -> dict[str, Any]:
  """The fields of a plain ``TrainState``, read off ``net``.

  Raises:
    TypeError: ``net`` is another subclass of ``TrainState``, whose own
      fields the conversion would drop.
  """
  if type(net) not in (TrainState, AveragedTrainState):
    raise TypeError(f"a network state of class {type(net).__name__} cannot keep an average "
                    "of its parameters (only gengan_jax.core.TrainState can).")
  return {f.name: getattr(net, f.name) for f in dataclasses.fields(TrainState)}


def has_average(state: AlgorithmState) -> bool:
  """Whether ``state``'s networks carry an average of their parameters."""
  return any(isinstance(net, AveragedTrainState) for net in state.networks().values())


def start(state: AlgorithmState) -> AlgorithmState:
  r"""``state`` with every network's average set to its parameters (:math:`\bar\theta_0`)."""
  return _replace_networks(state, lambda net: AveragedTrainState(
      **_fields(net), average=jax.tree.map(jnp.copy, net.params)))


def update(state: AlgorithmState, decay: float) -> AlgorithmState:
  r"""One step of every network's average: :math:`\beta \bar\theta + (1 - \beta) \theta`.

  Args:
    state: a state after :func:`start` (its parameters :math:`\theta_t`).
    decay: :math:`\beta \in [0, 1)`.
  """
  def move(net: TrainState) -> TrainState:
    average = jax.tree.map(lambda a, p: decay * a + (1.0 - decay) * p, net.average, net.params)
    return net.replace(average=average)

  return _replace_networks(state, move)


def averaged(state: AlgorithmState) -> AlgorithmState:
  """``state`` with each network's parameters replaced by its average.

  For sampling, encoding and scoring; a state without averages comes back
  unchanged. (Not for training on: the optimizer state belongs to the
  trained parameters.)
  """
  if not has_average(state):
    return state
  return _replace_networks(state, lambda net: net.replace(params=net.average))


def without_average(state: AlgorithmState) -> AlgorithmState:
  """``state`` with no average kept (every network a plain ``TrainState``):
  what was trained, or with :func:`averaged` first, what was averaged, as a
  state that samples the same through every path."""
  return _replace_networks(state, lambda net: TrainState(**_fields(net)))


@functools.cache
def on_average(fn: Callable[..., Any]) -> Callable[..., Any]:
  """``fn(state, *args)`` (``sample``, ``reconstruct``, ...) called with
  :func:`averaged` of the state. Made once per ``fn`` (cached)."""

  def call(state, *args, **kwargs):
    return fn(averaged(state), *args, **kwargs)

  return call


@functools.cache
def averaging_init(init: Callable[..., AlgorithmState]) -> Callable[..., AlgorithmState]:
  """``init(key, config, example)`` followed by :func:`start`. Made once per
  ``init`` (cached)."""

  def init_with_average(key, config, example):
    return start(init(key, config, example))

  return init_with_average


@functools.cache
def averaging_step(train_step: Callable[..., tuple[Any, Any]], decay: float
                   ) -> Callable[..., tuple[Any, Any]]:
  """``train_step`` followed by :func:`update` of the averages with ``decay``.

  Made once per ``(train_step, decay)`` (cached), so every ``jax.jit`` of it
  shares one compilation cache. The state must have averages
  (:func:`start`).
  """

  def step(state, batch, key):
    new_state, metrics = train_step(state, batch, key)
    return update(new_state, decay), metrics

  return step
