r"""Critic constraints as optax transformations: weight clipping (WGAN).

Arjovsky et al. keep the critic in a compact set of parameters (so it is
``K``-Lipschitz for some ``K``) by clipping every weight to ``[-c, c]`` after
each optimizer step. As an optax transformation this is the last link of a
chain: it rewrites the update so that ``params + update`` is the clipped
parameter,

.. math::

  u' = \mathrm{clip}(\theta + u, -c, c) - \theta,

so ``optax.apply_updates`` (or Flax's ``TrainState.apply_gradients``) lands
on ``clip(theta + u)``. Use it as
``optax.chain(optax.rmsprop(5e-5), clip_weights(0.01))``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from gengan_jax.losses import _checks

__all__ = ["clip_weights"]


def clip_weights(clip: float) -> optax.GradientTransformation:
  r"""An optax transformation that keeps every parameter in ``[-clip, clip]``.

  .. math::

    u' = \mathrm{clip}(\theta + u, -c, c) - \theta

  It is stateless, needs ``params`` in ``update`` (``optax.chain`` and
  ``TrainState.apply_gradients`` pass them), works leaf by leaf on any
  pytree, and composes with ``jit`` and sharded parameters (elementwise).

  Args:
    clip: ``c > 0`` (0.01 in WGAN).

  Returns:
    An ``optax.GradientTransformation``.

  Raises:
    ValueError: ``clip`` not a finite positive number (at construction);
      ``params`` not passed to ``update`` (at the first update).

  References:
    Arjovsky, Chintala & Bottou, "Wasserstein GAN", ICML 2017, Algorithm 1
    (line 7, ``w <- clip(w, -c, c)``).
  """
  _checks.check_positive_float(clip, "clip", allow_zero=False)
  clip = float(clip)

  def init_fn(params):
    del params
    return optax.EmptyState()

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError("clip_weights needs `params` in update(updates, state, "
                       "params): chain it after the optimizer with optax.chain "
                       "and pass the parameters.")
    new_updates = jax.tree.map(
        lambda u, p: (jnp.clip(p + u, -clip, clip) - p).astype(u.dtype),
        updates, params)
    return new_updates, state

  return optax.GradientTransformation(init_fn, update_fn)
