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
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
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
