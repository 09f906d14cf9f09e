r"""What to do when a training step produces NaN or Inf, for every algorithm.

:func:`guard` wraps any ``train_step(state, batch, key) -> (state, metrics)``
without touching the algorithm: it checks every floating-point leaf of the
new state (parameters, optimizer moments, batch-norm statistics) and of the
metrics (the losses), and keeps the previous state when one is non-finite.
With :math:`\theta_t` the state before step :math:`t` and
:math:`\tilde\theta_{t+1}, m_t` what the step returns,

.. math::

   \mathrm{ok}_t = \bigwedge_{\ell} \operatorname{all}\big(
       \operatorname{isfinite}(\ell)\big)
     \quad\text{over the leaves } \ell \text{ of } (m_t, \tilde\theta_{t+1}),
   \qquad
   \theta_{t+1} = \begin{cases} \tilde\theta_{t+1} & \mathrm{ok}_t \\
                                \theta_t \text{ (but step} + 1) & \text{otherwise,}
                  \end{cases}
   \qquad s_{t+1} = s_t + [\lnot\mathrm{ok}_t],

the same rule as ``optax.apply_if_finite`` (which guards one optimizer's
update), applied to the whole multi-network state. The step counter always
advances, so the data order and random numbers of later steps do not depend
on whether a step was skipped. The selection happens inside the compiled
step, so it works with the donated (``donate_argnums=0``) state.

Policies (``config.train.nonfinite``):

* ``'stop'`` (default): the loop stops at the first non-finite step with a
  :class:`NonFiniteError` naming the step, the network and the quantities
  (losses, parameter or optimizer leaves) that went non-finite; no
  checkpoint is written after the last good one.
* ``'skip'``: the update is dropped and counted (metric
  ``nonfinite_skips``, also saved in each checkpoint's record).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
from flax import struct

from gengan_jax.train.checkpoint import leaf_path

POLICIES = ("stop", "skip")


class NonFiniteError(FloatingPointError):
  """A training step produced NaN or Inf and the policy is ``'stop'``."""


class Health(struct.PyTreeNode):
  """What :func:`guard` found in one step.

  Attributes:
    ok: scalar bool, every checked value was finite.
    finite: bool ``[L]``, per leaf of ``(metrics, new_state)`` in the order
      of :func:`leaf_names`.
    skipped: int32 scalar, non-finite steps so far (including this one).
  """

  ok: jax.Array
  finite: jax.Array
  skipped: jax.Array


def _leaf_finite(x: jax.Array) -> jax.Array:
  x = jnp.asarray(x)
  if not jnp.issubdtype(x.dtype, jnp.inexact):
    return jnp.array(True)
  return jnp.all(jnp.isfinite(x))


def finite_flags(tree: Any) -> jax.Array:
  """bool ``[L]``: whether each leaf of ``tree`` is all-finite (non-floats: True)."""
  leaves = jax.tree.leaves(tree)
  if not leaves:
    return jnp.ones((0,), bool)
  return jnp.stack([_leaf_finite(x) for x in leaves])


def leaf_names(metrics: Any, state: Any) -> list[str]:
  """Names of the leaves checked by :func:`guard`, in the order of ``Health.finite``.

  Metrics are ``'metrics/<name>'``; state leaves are their path, e.g.
  ``'generator/params/mlp/hidden_0/kernel'`` or ``'critic/opt_state/0/mu/...'``.
  """
  names = ["metrics/" + leaf_path(p) for p, _ in jax.tree_util.tree_flatten_with_path(metrics)[0]]
  names += [leaf_path(p) for p, _ in jax.tree_util.tree_flatten_with_path(state)[0]]
  return names


@functools.cache
def guard(train_step: Callable[..., tuple[Any, Any]]) -> Callable[..., tuple[Any, Any, Health]]:
  """Wraps ``train_step`` so that non-finite updates are dropped and reported.

  The wrapper of a given ``train_step`` is made once (cached), so every
  ``jax.jit`` of it shares one compilation cache.

  Args:
    train_step: ``(state, batch, key) -> (state, metrics)``; ``state`` has a
      ``step`` field.

  Returns:
    ``guarded(state, batch, key, skipped) -> (state, metrics, health)``,
    pure and jittable: ``state`` is the new state if every value was finite
    and the old state with ``step + 1`` otherwise; ``metrics`` are the
    step's metrics plus ``nonfinite_skips``; ``health`` is a :class:`Health`.
  """

  def guarded(state, batch, key, skipped):
    new_state, metrics = train_step(state, batch, key)
    finite = jnp.concatenate([finite_flags(metrics), finite_flags(new_state)])
    ok = jnp.all(finite)
    kept = jax.tree.map(lambda n, o: jnp.where(ok, n, o), new_state, state)
    if hasattr(new_state, "step"):
      kept = kept.replace(step=new_state.step)
    skipped = skipped + jnp.where(ok, 0, 1).astype(skipped.dtype)
    metrics = dict(metrics, nonfinite_skips=skipped)
    return kept, metrics, Health(ok=ok, finite=finite, skipped=skipped)

  return guarded


def _network(name: str, networks: Sequence[str]) -> str | None:
  """The state field a leaf or metric name belongs to (longest prefix wins)."""
  head = name.split("/", 1)[0]
  if head == "metrics":
    metric = name.split("/", 1)[1]
    hits = [n for n in networks if metric == n or metric.startswith(n + "_")]
  else:
    hits = [n for n in networks if head == n]
  return max(hits, key=len) if hits else None


def diagnose(step: int, finite: Sequence[bool], names: Sequence[str], *,
             networks: Sequence[str], limit: int = 4) -> str:
  """A one-paragraph diagnostic of a non-finite step.

  Args:
    step: the training step (as logged: the state's step after the update).
    finite: ``Health.finite`` on the host.
    names: :func:`leaf_names` for the same tree.
    networks: the state's networks by name
      (:func:`gengan_jax.core.network_names`).
    limit: how many quantities to name per network.

  Returns:
    E.g. ``"step 7: NaN or Inf in network 'generator': loss
    generator_loss, params/mlp/hidden_0/kernel, ..."``.
  """
  bad = [n for n, f in zip(names, finite, strict=True) if not f]
  groups: dict[str, list[str]] = {}
  for n in bad:
    net = _network(n, networks)
    what = n.split("/", 1)[1] if "/" in n and (net or n.startswith("metrics/")) else n
    if n.startswith("metrics/"):
      what = "loss " + what if what.endswith("_loss") else "metric " + what
    groups.setdefault(net or "(no network)", []).append(what)
  parts = []
  for net, items in groups.items():
    shown = ", ".join(items[:limit]) + (f" (+{len(items) - limit} more)" if len(items) > limit else "")
    parts.append(f"network '{net}': {shown}" if net != "(no network)" else shown)
  return f"step {step}: NaN or Inf in " + "; ".join(parts or ["(nothing)"])
