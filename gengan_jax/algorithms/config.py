"""Temporary alias of the configs' old home (moved to :mod:`gengan_jax.core.config`)."""

from gengan_jax.algorithms.architecture import ARCHITECTURES, ArchitectureConfig  # noqa: F401
from gengan_jax.core.config import *  # noqa: F401,F403
from gengan_jax.core.config import ConfigError, OptimizerConfig, check, check_choice  # noqa: F401
from gengan_jax.core.config import check_int, check_keys, from_mapping  # noqa: F401
