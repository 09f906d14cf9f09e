"""Algorithms: one module each, with ``Config``, ``State``, ``init``,
``train_step``, ``sample``, ``num_batches`` and, where there is an encoder,
``encode`` and ``reconstruct``.

:data:`REGISTRY` maps names to modules so an experiment can pick one by name.
"""

from __future__ import annotations

import types

from gengan_jax.algorithms import age, alpha_gan, dcgan, wgan_gp
from gengan_jax.algorithms import fgan, gan_penalty, gmmn, mmd_gan
from gengan_jax.algorithms.config import ConfigError, OptimizerConfig, from_mapping
from gengan_jax.algorithms.train_state import TrainState

REGISTRY: dict[str, types.ModuleType] = {
    "alpha_gan": alpha_gan,
    "dcgan": dcgan,
    "wgan_gp": wgan_gp,
    "age": age,
    "fgan": fgan,
    "gmmn": gmmn,
    "mmd_gan": mmd_gan,
    "gan_penalty": gan_penalty,
}


def get(name: str) -> types.ModuleType:
  """Returns the algorithm module registered as ``name``."""
  if name not in REGISTRY:
    raise ConfigError(f"config value algorithm={name!r} is invalid: valid "
                      f"choices are {', '.join(sorted(REGISTRY))}.")
  return REGISTRY[name]
