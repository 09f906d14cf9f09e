"""Two training steps of an experiment built from a config, checked."""

import jax
import jax.numpy as jnp
import numpy as np

from gengan_jax.core import network_names
from gengan_jax.train import mesh as mesh_lib


def assert_two_steps_train(exp, image_shape: tuple[int, ...]) -> None:
  """Two steps of ``exp`` (a ``loop.Experiment``): finite metrics, the step
  counted, every network moved, samples of ``image_shape`` in [-1, 1] (the
  generator's tanh)."""
  state0 = exp.init_state()
  before = jax.tree.map(np.array, {n: getattr(state0, n).params for n in network_names(state0)})
  skipped = jax.device_put(jnp.zeros((), jnp.int32), mesh_lib.replicated(exp.mesh))
  state = state0
  for step in range(2):
    state, metrics, _, _ = exp.run_steps(state, step, skipped)
  assert int(state.step) == 2
  for name, value in metrics.items():
    assert np.all(np.isfinite(np.asarray(value))), name
  for name, params in before.items():
    moved = jax.tree.map(lambda a, b: np.abs(np.asarray(a) - b).max(),
                         getattr(state, name).params, params)
    assert max(jax.tree.leaves(moved)) > 0, f"{name} did not move"
  x = exp.sample(state, 4)
  assert x.shape == (4, *image_shape) and np.abs(x).max() <= 1.0
