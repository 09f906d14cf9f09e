"""A decoder's observation model as algorithm settings: checked, built, and the data binarised.

The VAE family (``vae``, ``iwae``, ``flow_prior_vae``, ``gumbel_vae``,
``vq_vae``) names its ``p(x | z)`` by three config fields: ``observation``
(one of :data:`gengan_jax.losses.OBSERVATION_MODELS`), ``fixed_log_scale``
(a Gaussian's fixed ``log sigma``, or ``None``: learned) and
``binarization`` (``'static'`` or ``'dynamic'`` for the Bernoulli model,
``'none'`` otherwise). These functions hold that once.
"""

from __future__ import annotations

from typing import Any

import jax

from gengan_jax import losses
from gengan_jax.core import check, check_choice

BINARIZATIONS = ("none", "static", "dynamic")


def check_settings(config: Any) -> None:
  """Raises ``ConfigError`` naming the field when the three settings do not fit together."""
  check_choice("observation", config.observation, losses.OBSERVATION_MODELS)
  check(config.fixed_log_scale is None or config.observation == "gaussian", "fixed_log_scale",
        config.fixed_log_scale, f"None with observation={config.observation!r} (a fixed "
        "scale belongs to the 'gaussian' model)")
  check_choice("binarization", config.binarization, BINARIZATIONS)
  if config.observation == "bernoulli":
    check(config.binarization != "none", "binarization", config.binarization,
          "'static' or 'dynamic' with observation='bernoulli' (the Bernoulli model "
          "needs binary pixels)")
  else:
    check(config.binarization == "none", "binarization", config.binarization,
          f"'none' with observation={config.observation!r} (only 'bernoulli' binarises)")


def model(config: Any) -> losses.ObservationModel:
  """The config's observation model ``p(x | z)``."""
  return losses.observation_model(config.observation, fixed_log_scale=config.fixed_log_scale)


def binarized(config: Any, x: jax.Array, key: jax.Array | None) -> jax.Array:
  """``x`` as the model sees it: binarised for the Bernoulli model.

  ``'dynamic'`` draws with ``key`` (``None``: the threshold, as ``'static'``).
  """
  if config.binarization == "none":
    return x
  return losses.binarize(x, key if config.binarization == "dynamic" else None)
