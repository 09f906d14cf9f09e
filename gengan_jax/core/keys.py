"""Named random keys for one training step.

A run is a function of its config and seed: each step folds its step number
into the run's key and splits the result into keys named by their role, so a
resumed run draws exactly the numbers an uninterrupted one would.
"""

from __future__ import annotations

import jax


def step_keys(key: jax.Array, step: jax.Array | int, *names: str) -> dict[str, jax.Array]:
  """Returns ``{name: key}`` derived from ``fold_in(key, step)``."""
  step_key = jax.random.fold_in(key, step)
  return dict(zip(names, jax.random.split(step_key, len(names))))


def per_update(key: jax.Array | None, num: int) -> jax.Array | None:
  """``num`` keys, one per update of a repeated update: ``key`` itself when ``num`` is 1.

  The keys of :func:`~gengan_jax.core.train_state.repeat`'s updates: a single
  update uses the step's key unchanged, so one update draws what it drew
  before a config could ask for several.
  """
  if key is None or num == 1:
    return key
  return jax.random.split(key, num)


def gaussian_prior(key: jax.Array, num: int, latent_dim: int) -> jax.Array:
  """Samples ``z ~ N(0, I)`` of shape ``[num, latent_dim]``."""
  return jax.random.normal(key, (num, latent_dim))


def uniform_prior(key: jax.Array, num: int, latent_dim: int) -> jax.Array:
  """Samples ``z ~ Uniform(-1, 1)^latent_dim`` of shape ``[num, latent_dim]``.

  DCGAN's noise (Radford et al. 2016, Sec. 4: "a uniform noise
  distribution"; DCGAN-tensorflow draws ``np.random.uniform(-1, 1)``): each
  coordinate has mean 0 and variance 1/3.
  """
  return jax.random.uniform(key, (num, latent_dim), minval=-1.0, maxval=1.0)


# The priors of ``z`` by name, for configs that choose one.
PRIORS = {"gaussian": gaussian_prior, "uniform": uniform_prior}


def sphere_prior(key: jax.Array, num: int, latent_dim: int) -> jax.Array:
  """Samples ``z`` uniformly on the unit sphere ``S^{latent_dim-1}``."""
  z = jax.random.normal(key, (num, latent_dim))
  return z / jax.numpy.linalg.norm(z, axis=-1, keepdims=True)
