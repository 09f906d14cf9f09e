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
