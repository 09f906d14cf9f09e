"""The moving average of the parameters: its recursion in closed form, and
that a state without it is the state it was."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gengan_jax.core import AlgorithmState, TrainState, averaging


class _State(AlgorithmState):
  generator: TrainState
  discriminator: TrainState
  other: jax.Array


def _net(value: float) -> TrainState:
  params = {"w": jnp.full((2, 3), value), "b": jnp.full((3,), -value)}
  return TrainState.create(apply_fn=nn.Dense(3).apply, params=params, tx=optax.sgd(1.0))


def _state(g: float = 1.0, d: float = 5.0) -> _State:
  return _State(step=jnp.zeros((), jnp.int32), config=None, generator=_net(g),
                discriminator=_net(d), other=jnp.ones(4))


def _set_params(state: _State, g: float, d: float) -> _State:
  return state.replace(generator=state.generator.replace(params=_net(g).params),
                       discriminator=state.discriminator.replace(params=_net(d).params))


def test_without_an_average_the_state_has_its_old_leaves():
  state = _state()
  assert not averaging.has_average(state)
  assert averaging.averaged(state) is state
  assert len(jax.tree.leaves(state)) == 2 * (2 + 1) + 2  # params, optax step, step, other
  started = averaging.start(state)
  assert averaging.has_average(started)
  assert len(jax.tree.leaves(started)) == len(jax.tree.leaves(state)) + 4


def test_the_recursion_in_closed_form():
  """theta_bar_2 = b^2 theta_0 + b (1 - b) theta_1 + (1 - b) theta_2, per network."""
  decay = 0.9
  state = averaging.start(_state(g=1.0, d=5.0))
  state = averaging.update(_set_params(state, 2.0, 3.0), decay)
  state = averaging.update(_set_params(state, 4.0, -1.0), decay)
  weights = np.array([decay**2, decay * (1 - decay), 1 - decay])
  for name, thetas in (("generator", [1.0, 2.0, 4.0]), ("discriminator", [5.0, 3.0, -1.0])):
    want = float(weights @ np.array(thetas))
    average = getattr(state, name).average
    np.testing.assert_allclose(average["w"], np.full((2, 3), want), rtol=1e-6)
    np.testing.assert_allclose(average["b"], np.full((3,), -want), rtol=1e-6)
    # The trained parameters are the last ones, untouched by the average.
    np.testing.assert_array_equal(getattr(state, name).params["w"], np.full((2, 3), thetas[-1]))
  swapped = averaging.averaged(state)
  np.testing.assert_array_equal(swapped.generator.params["w"], state.generator.average["w"])
  np.testing.assert_array_equal(swapped.other, state.other)
  dropped = averaging.without_average(swapped)
  assert not averaging.has_average(dropped) and averaging.averaged(dropped) is dropped
  np.testing.assert_array_equal(dropped.generator.params["w"], state.generator.average["w"])


def test_the_step_wrapper_moves_the_average_after_the_step_once_per_call():
  def train_step(state, batch, key):
    del key
    return _set_params(state, batch, 2 * batch).replace(step=state.step + 1), {"loss": batch}

  step = averaging.averaging_step(train_step, 0.5)
  assert averaging.averaging_step(train_step, 0.5) is step  # one jit cache per wrapper
  state = averaging.start(_state(g=0.0, d=0.0))
  state, metrics = jax.jit(step)(state, jnp.float32(8.0), jax.random.key(0))
  assert float(metrics["loss"]) == 8.0
  np.testing.assert_allclose(state.generator.average["w"], 4.0)
  np.testing.assert_allclose(state.discriminator.average["w"], 8.0)
  state, _ = jax.jit(step)(state, jnp.float32(0.0), jax.random.key(0))
  np.testing.assert_allclose(state.generator.average["w"], 2.0)


def test_on_average_calls_the_function_with_the_averaged_state():
  state = averaging.update(_set_params(averaging.start(_state(g=0.0)), 10.0, 0.0), 0.75)
  read = averaging.on_average(lambda s, scale: s.generator.params["w"][0, 0] * scale)
  np.testing.assert_allclose(read(state, 2.0), 2 * 2.5)
  init = averaging.averaging_init(lambda key, config, x: _state(g=x))
  started = init(None, None, 3.0)
  np.testing.assert_array_equal(started.generator.average["w"], started.generator.params["w"])


@pytest.mark.parametrize("decay", [0.0, 0.99])
def test_a_decay_of_zero_is_the_parameters_and_near_one_barely_moves(decay):
  state = averaging.update(_set_params(averaging.start(_state(g=0.0)), 1.0, 0.0), decay)
  np.testing.assert_allclose(state.generator.average["w"], 1.0 - decay, rtol=1e-6)


def test_a_network_state_of_another_subclass_is_refused():
  class Other(TrainState):
    extra: int = 0

  state = _state()
  state = state.replace(generator=Other(**{k: getattr(state.generator, k) for k in (
      "step", "apply_fn", "params", "tx", "opt_state", "collections")}, extra=1))
  with pytest.raises(TypeError, match="class Other cannot keep an average"):
    averaging.start(state)
