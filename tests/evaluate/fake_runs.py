"""Stand-ins for a trained run on the ring, for the critics' tests: an
"experiment" whose sampler draws from ``modes`` of the ring's 8 modes (all 8:
the data itself; 1: a collapsed model)."""

import types

import jax
import jax.numpy as jnp

from gengan_jax.data import toy


def ring_experiment(modes: int) -> types.SimpleNamespace:
  """An object with ``algorithm.sample(state, key, num)`` and ``dataset.mixture``."""
  mix = toy.toy_mixture("ring")
  means = jnp.asarray(mix.means, jnp.float32)

  def sample(state, key, num):
    del state
    k1, k2 = jax.random.split(key)
    idx = jax.random.randint(k1, (num,), 0, modes)
    return means[idx] + mix.std * jax.random.normal(k2, (num, 2))

  return types.SimpleNamespace(algorithm=types.SimpleNamespace(sample=sample),
                               dataset=types.SimpleNamespace(mixture=mix))
