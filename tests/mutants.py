"""Sign-flipped mutants: the wrong algorithms a learning check must fail.

A learning check that a wrong algorithm also passes is no check. The
cheapest wrong algorithm is the right one with one objective's sign flipped,
so every algorithm's learning check runs twice: as written, and as the
mutant made here, and asserts that the mutant misses the target by a wide
margin (``tests/algorithms/test_learning.py``).

Two ways to flip a sign:

* :func:`negate` flips one loss function (the mutant of a term, e.g.
  alpha-GAN's adversarial term); patch it where the algorithm looks it up.
* :func:`negate_objective` flips the whole objective of one network of a
  state: its optimizer is given ``-grad``, which is the gradient of
  ``-loss``. Adam, RMSProp and SGD are odd in the gradient (Adam's second
  moment is even, its first moment odd), so the mutant's update is exactly
  the update of the negated loss. This needs no knowledge of how the
  algorithm is written, so it applies to every registered algorithm.
  :func:`with_objective_sign` and :func:`flipped` do the same with the sign
  held as data, so that the algorithm and its mutant share one compiled
  program (the learning check compiles once for both).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax


def negate(loss: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
  """``loss`` with its sign flipped: ``-loss(*args, **kwargs)``."""

  @functools.wraps(loss)
  def flipped(*args, **kwargs):
    return -loss(*args, **kwargs)

  return flipped


def negate_objective(state, network: str):
  """``state`` with network ``network`` ascending its loss instead of descending it.

  The network's optimizer becomes ``chain(scale(-1), tx)`` with a fresh
  optimizer state (call this on a freshly initialised state).
  """
  ts = getattr(state, network)
  tx = optax.chain(optax.scale(-1.0), ts.tx)
  return state.replace(**{network: ts.replace(tx=tx, opt_state=tx.init(ts.params))})


class SignState(NamedTuple):
  """The sign an objective's gradient is multiplied by (``+1.0`` or ``-1.0``)."""

  sign: jax.Array


def _scale_by_sign() -> optax.GradientTransformation:
  """``g -> sign * g`` with ``sign`` held in the optimizer state (``+1`` at init)."""

  def init(params):
    del params
    return SignState(jnp.ones((), jnp.float32))

  def update(updates, state, params=None):
    del params
    return jax.tree.map(lambda g: state.sign * g, updates), state

  return optax.GradientTransformation(init, update)


def with_objective_sign(state, network: str):
  """``state`` with network ``network``'s optimizer preceded by a sign, ``+1``.

  The sign is data in the optimizer state, not part of the program, so a
  state and its :func:`flipped` mutant run one compiled step. With ``+1``
  the updates are the algorithm's bit for bit (``1.0 * g == g`` in floating
  point). Call this on a freshly initialised state.
  """
  ts = getattr(state, network)
  tx = optax.chain(_scale_by_sign(), ts.tx)
  return state.replace(**{network: ts.replace(tx=tx, opt_state=tx.init(ts.params))})


def flipped(state, network: str):
  """A :func:`with_objective_sign` state with the sign set to ``-1``: the
  mutant of :func:`negate_objective`, in the same compiled program."""
  ts = getattr(state, network)
  sign_state, rest = ts.opt_state
  return state.replace(**{network: ts.replace(
      opt_state=(SignState(-jnp.abs(sign_state.sign)), rest))})
