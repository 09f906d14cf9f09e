"""The ``optimized`` marker really compiles with XLA's default pipeline."""

import jax
import jax.numpy as jnp
import pytest


def _compiled_text():
  return jax.jit(lambda x: jnp.sin(x) * 2 + jnp.cos(x)).lower(jnp.ones(64)).compile().as_text()


@pytest.mark.optimized
def test_marked_tests_run_optimized():
  assert not jax.config.read("jax_disable_most_optimizations")
  optimized = _compiled_text()
  jax.config.update("jax_disable_most_optimizations", True)
  jax.clear_caches()
  try:
    assert _compiled_text() != optimized
  finally:
    jax.config.update("jax_disable_most_optimizations", False)
    jax.clear_caches()


def test_other_tests_run_with_most_optimizations_disabled():
  assert jax.config.read("jax_disable_most_optimizations")
