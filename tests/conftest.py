"""Test set-up: 8 fake CPU devices, and cheap compiles.

Runs before any test module imports JAX's backend, so every test sees the
same 8-device CPU platform (the sharding tests need it).
"""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")

import jax  # noqa: E402

jax.config.update("jax_num_cpu_devices", 8)
# Tests compile many tiny programs; optimising them costs more than it saves.
jax.config.update("jax_disable_most_optimizations", True)
