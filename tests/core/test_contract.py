"""The contract of an algorithm: every registered one meets it."""

import types

import jax
import pytest

from gengan_jax import algorithms
from gengan_jax.core import AlgorithmState, TrainState, contract, network_names
from tests.algorithms.helpers import tiny_config, tiny_data


@pytest.mark.parametrize("name", sorted(algorithms.REGISTRY))
def test_registered_algorithms_meet_the_contract(name):
  algo = algorithms.get(name)
  assert algo.name == name
  assert issubclass(algo.State, AlgorithmState)
  for fn in ("init", "train_step", "sample", "num_batches"):
    assert callable(getattr(algo, fn)), fn
  assert (algo.encode is None) == (algo.reconstruct is None)
  _, cfg = tiny_config(name)
  # An abstract state (traced, not computed): its fields are what init returns.
  state = jax.eval_shape(lambda key: algo.init(key, cfg, tiny_data("mlp", 1)[0]),
                         jax.random.key(0))
  nets = state.networks()
  assert nets and all(isinstance(v, TrainState) for v in nets.values())
  assert network_names(state) == tuple(nets)


def test_network_listing_is_in_field_order_and_skips_other_fields():

  class State(AlgorithmState):
    decoder: TrainState
    prior_scale: jax.Array
    flow: TrainState

  ts = TrainState(step=0, apply_fn=None, params={}, tx=None, opt_state=(), collections={})
  s = State(step=0, config=None, decoder=ts, prior_scale=1.0, flow=ts)
  assert list(s.networks()) == ["decoder", "flow"]


def test_from_module_names_what_is_missing():
  module = types.ModuleType("half_an_algorithm")
  module.Config = object
  module.init = lambda *a: None
  with pytest.raises(TypeError, match="lacks State, train_step, sample"):
    contract.from_module("half", module)


def test_num_batches_defaults_to_one():
  module = types.ModuleType("m")

  class State(AlgorithmState):
    pass

  module.Config, module.State = object, State
  module.init = module.train_step = module.sample = lambda *a: None
  algo = contract.from_module("m", module)
  assert algo.num_batches(None) == 1 and algo.encode is None and algo.log_likelihood is None


@pytest.mark.parametrize("name", sorted(algorithms.REGISTRY))
def test_every_step_names_the_number_of_batches_it_takes(name):
  """A step given one data batch too many names itself and how many it takes, in one line."""
  algo = algorithms.get(name)
  _, cfg = tiny_config(name)
  num = algo.num_batches(cfg)
  data = tiny_data("mlp", num + 1)
  state = jax.eval_shape(lambda key: algo.init(key, cfg, data[0]), jax.random.key(0))
  count = "one" if num == 1 else str(num)
  with pytest.raises(ValueError, match=(rf"batch has {num + 1} data batches on its leading "
                                        rf"axis; {name}\b.* takes {count} per step: \[{num}, B")):
    jax.eval_shape(algo.train_step, state, data, jax.random.key(1))


def test_expect_batches_returns_the_batch_and_names_who_in_the_error():
  batch = jax.numpy.zeros((3, 2, 1))
  assert contract.expect_batches(batch, 3, "x") is batch
  with pytest.raises(ValueError, match=r"^batch has 3 data batches on its leading axis; "
                                       r"mmd_gan with n_critic=2 takes 2 per step: "
                                       r"\[2, B, \*data_shape\]\.$"):
    contract.expect_batches(batch, 2, "mmd_gan with n_critic=2")
