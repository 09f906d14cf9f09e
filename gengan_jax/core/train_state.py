"""One network's training state, and the one update helper.

A :class:`TrainState` is Flax's ``TrainState`` plus ``collections``: the
network's variable collections other than ``params`` (``{'batch_stats':
...}`` for batch norm, a VQ-VAE's EMA codebook, ...; ``{}`` for a network
without any). Algorithms hold one per network and update each with its own
optimizer.

Every update of every algorithm is one call of :func:`minimize`::

    D, d_loss, aux = ts.minimize(D, lambda d: (loss(d(x), d(x_fake)), aux))

or, for networks that descend one shared objective together (a VAE's
encoder and decoder), of :func:`minimize_jointly`; :func:`repeat` runs one
update several times in a step (a critic's ``n_critic``), each on its own
inputs.

``minimize`` calls the loss with ``d``, the network applied with the
parameters being differentiated, takes the gradient in those parameters,
applies the network's optimizer and stores the collections its calls
updated. Passes through *other* networks inside a loss use
:func:`forward`.

**The batch-norm rule** (one rule, everywhere): a network's running
statistics (any mutable collection) change only in its own update, by the
calls it makes there, chained in order. A training-mode pass through a
network that is not being updated (``forward(G, z)`` to draw fakes for the
discriminator, ``forward(D, G(z))`` inside the generator's loss) normalises
with the batch's statistics and leaves the running ones untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from flax.training import train_state

from gengan_jax.core.config import OptimizerConfig


class TrainState(train_state.TrainState):
  """Parameters, optimizer state and other variable collections of one network.

  ``step`` is a strongly typed int32 array from the start (Flax's ``create``
  sets the Python int ``0``, which a compiled ``init`` returns as a
  weak-typed array). A state restored from a checkpoint is strongly typed,
  and ``jax.jit`` keys its cache on weak types, so with a weak ``step`` a
  resumed run would compile its step a second time.

  Its fields are what every checkpoint holds; a new field, even one that is
  ``None``, would make orbax refuse the checkpoints written before it. A
  network that keeps more is a subclass
  (:class:`gengan_jax.core.averaging.AveragedTrainState`).
  """

  collections: Any = None

  @classmethod
  def create(cls, *, apply_fn, params, tx, **kwargs) -> "TrainState":
    kwargs.setdefault("collections", {})
    state = super().create(apply_fn=apply_fn, params=params, tx=tx, **kwargs)
    return state.replace(step=jnp.zeros((), jnp.int32))

  @property
  def batch_stats(self) -> Mapping[str, Any]:
    """The batch-norm running statistics (``{}`` without batch norm)."""
    return self.collections.get("batch_stats", {})


def create(module: nn.Module, key: jax.Array, example_input: jax.Array,
           optimizer: OptimizerConfig, *, tx=None) -> TrainState:
  """Initialises ``module`` on ``example_input`` and its optimizer.

  Args:
    module: the network (called as ``module(x, train=...)``).
    key: the ``params`` key.
    example_input: an input batch of the right shape.
    optimizer: its optimizer settings.
    tx: an optax transformation to use instead of ``optimizer.make()``.
  """
  variables = dict(module.init({"params": key}, example_input, train=False))
  params = variables.pop("params")
  return TrainState.create(apply_fn=module.apply, params=params,
                           tx=optimizer.make() if tx is None else tx,
                           collections={k: dict(v) for k, v in variables.items()})


class Net:
  """One network applied with given parameters, threading its collections.

  Each training-mode call updates the mutable collections (batch-norm
  running statistics) from the collections left by the previous call;
  :attr:`collections` holds the result. Inference-mode calls use and keep
  the current ones.
  """

  def __init__(self, state: TrainState, params: Any, *, train: bool = True):
    self._state = state
    self.params = params
    self.train = train
    self.collections = state.collections

  def __call__(self, x: jax.Array, **kwargs) -> jax.Array:
    apply_fn = self._state.apply_fn
    if not self.collections:
      return apply_fn({"params": self.params}, x, train=self.train, **kwargs)
    variables = {"params": self.params, **self.collections}
    if not self.train:
      return apply_fn(variables, x, train=False, **kwargs)
    out, mutated = apply_fn(variables, x, train=True, mutable=list(self.collections),
                            **kwargs)
    self.collections = {k: mutated[k] for k in self.collections}
    return out


def minimize(state: TrainState, loss_fn: Callable[[Net], tuple[jax.Array, Any]]
             ) -> tuple[TrainState, jax.Array, Any]:
  """One optimizer step of ``state`` on ``loss_fn``.

  Args:
    state: the network to update.
    loss_fn: ``net -> (loss, aux)``; ``net`` is a :class:`Net` (call it
      like the network, in training mode) whose parameters are
      differentiated; ``loss`` is a scalar.

  Returns:
    ``(new_state, loss, aux)``: the state after one step of its optimizer on
    ``grad loss``, with the collections updated by ``net``'s calls.
  """

  def wrapped(params):
    net = Net(state, params)
    loss, aux = loss_fn(net)
    return loss, (aux, net.collections)

  (loss, (aux, collections)), grads = jax.value_and_grad(wrapped, has_aux=True)(state.params)
  return state.apply_gradients(grads=grads, collections=collections), loss, aux


def minimize_jointly(states: Mapping[str, TrainState],
                     loss_fn: Callable[[dict[str, Net]], tuple[jax.Array, Any]]
                     ) -> tuple[dict[str, TrainState], jax.Array, Any]:
  """One step of each network in ``states`` on the gradient of one shared loss.

  For models whose networks descend one objective together (a VAE's encoder
  and decoder on the negative ELBO): every network's gradient is taken at the
  same parameters, then each applies its own optimizer. With one network it
  is :func:`minimize`.

  Args:
    states: ``{name: state}`` of the networks to update.
    loss_fn: ``nets -> (loss, aux)``; ``nets`` maps the same names to
      :class:`Net` s whose parameters are differentiated.

  Returns:
    ``(new_states, loss, aux)``, ``new_states`` a dict with the names of
    ``states``.
  """
  names = tuple(states)

  def wrapped(params):
    nets = {k: Net(states[k], params[k]) for k in names}
    loss, aux = loss_fn(nets)
    return loss, (aux, {k: nets[k].collections for k in names})

  (loss, (aux, collections)), grads = jax.value_and_grad(wrapped, has_aux=True)(
      {k: states[k].params for k in names})
  return ({k: states[k].apply_gradients(grads=grads[k], collections=collections[k])
           for k in names}, loss, aux)


def forward(state: TrainState, x: jax.Array, *, train: bool = True, **kwargs) -> jax.Array:
  """The network of ``state`` on ``x``, its running statistics left unchanged.

  ``train=True`` normalises with the batch's statistics (as the network
  would in its own update), ``train=False`` with the running ones.
  """
  return Net(state, state.params, train=train)(x, **kwargs)


def repeat(update: Callable[[Any, Any], tuple[Any, Any]], carry: Any, xs: Any,
           num: int) -> tuple[Any, Any]:
  """``num`` updates over the leading axis of ``xs`` (``lax.scan``); the last outputs.

  One update is a plain call on ``xs`` itself, with no loop around it (so a
  single update compiles to what it was before a config could repeat it).

  Args:
    update: ``(carry, x) -> (carry, outputs)``, one update (of a network's
      state, say, on one data batch).
    carry: what the updates thread (a :class:`TrainState`).
    xs: the updates' inputs, stacked on a leading axis of ``num`` (unstacked
      when ``num`` is 1).
    num: how many updates.

  Returns:
    ``(carry, outputs)``: the carry after the last update and that update's
    outputs.
  """
  if num == 1:
    return update(carry, xs)
  carry, outputs = jax.lax.scan(update, carry, xs)
  return carry, jax.tree.map(lambda v: v[-1], outputs)
