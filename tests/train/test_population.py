"""Populations: P runs as one compiled program, each equal to its single run.

The tests' 8 CPU devices give a population of 4 a ``(member 4, data 2)``
mesh, so these also check the members' sharding against single runs split
over 8 devices by data.
"""

import importlib
import json
import os
import subprocess
import sys
import warnings

import jax
import ml_collections
import numpy as np
import pytest

from gengan_jax import algorithms
from gengan_jax.core import ConfigError
from gengan_jax.evaluate.loading import load_run, population_members
from gengan_jax.train import cli, loop, population_spec
from gengan_jax.train.nonfinite import NonFiniteError
from gengan_jax.train.population import PopulationExperiment
from gengan_jax.train.population_loop import MemberStoppedWarning
from gengan_jax.train.preemption import Preemption
from tests.train import _runs
from tests.train._runs import leaves

LR = "generator_optimizer.learning_rate"


def _config(algorithm="gan", steps=6, train=None, **population):
  c = _runs.config(algorithm, steps, **(train or {}))
  c.population = ml_collections.ConfigDict(population)
  return c


def _gan():
  return algorithms.get("gan").Config


def test_grid_and_list_members():
  c = _config(seeds=2, model={"generator_optimizer": {"learning_rate": "1e-4,2e-4"}})
  pop = population_spec.parse(c, _gan())
  assert [m.seed for m in pop.members] == [3, 4, 3, 4]  # seeds vary fastest
  assert [m.values[LR] for m in pop.members] == [1e-4, 1e-4, 2e-4, 2e-4]
  member = pop.member_config(c, 2)
  assert member.seed == 3 and member.model.generator_optimizer.learning_rate == 2e-4
  assert "population" not in member

  c = _config(seeds="5,9", mode="list", model={"penalty_weight": (1.0, 2.0)})
  pop = population_spec.parse(c, _gan())
  assert [(m.seed, m.values["penalty_weight"]) for m in pop.members] == [(5, 1.0), (9, 2.0)]


@pytest.mark.parametrize("population, message", [
    (dict(model={"hidden": "8,16"}), "is of type"),
    (dict(model={"generator_optimizer": {"b1": "0.5,0.9"}}), "only learning_rate"),
    (dict(model={"no_such": "1,2"}), "names no setting"),
    (dict(model={"penalty_weight": "1,x"}), "expected numbers"),
    (dict(seeds=0), "count >= 1"),
    (dict(mode="list", seeds=3, model={"penalty_weight": "1,2"}), "same length"),
    (dict(sizes=2), "unknown config key"),
])
def test_bad_populations_are_one_line(population, message):
  with pytest.raises(ConfigError, match=message):
    population_spec.parse(_config(**population), _gan())


def test_derived_floats_vary_with_the_named_one():
  """wgan_gp derives penalty_weight from gradient_penalty_weight: both must vary."""
  cls = algorithms.get("wgan_gp").Config
  configs = [cls(gradient_penalty_weight=w) for w in (1.0, 10.0)]
  varying = population_spec.varying_floats(configs)
  assert varying == {"gradient_penalty_weight": [1.0, 10.0], "penalty_weight": [1.0, 10.0]}


@pytest.fixture(scope="module")
def population_run(tmp_path_factory):
  """A population of 4 (2 seeds x 2 generator learning rates), 6 steps."""
  workdir = str(tmp_path_factory.mktemp("population"))
  c = _config(seeds=2, model={"generator_optimizer": {"learning_rate": "1e-4,1e-3"},
                              "penalty_weight": 3.0})
  summary, state = loop.train(c, workdir)
  return c, workdir, summary, state


@pytest.mark.parametrize("index", [1, 2])
def test_member_equals_its_single_run(population_run, tmp_path, index):
  c, _, _, state = population_run
  exp = PopulationExperiment(c)
  single = exp.population.member_config(c, index)
  _, single_state = loop.train(single, str(tmp_path))
  member = exp.member_state(state, index)
  for name in ("generator", "discriminator"):
    got, want = leaves(member.networks()[name].params), leaves(single_state.networks()[name].params)
    for g, w in zip(got, want, strict=True):
      np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
  assert int(member.step) == int(single_state.step) == 6
  # Not a vacuous comparison: the other learning rate's member is elsewhere.
  other = exp.member_state(state, 3 - index)
  assert max(np.abs(a - b).max() for a, b in zip(
      leaves(other.generator.params), leaves(member.generator.params))) > 1e-4


def test_a_member_directory_is_a_run_directory(population_run):
  _, workdir, summary, _ = population_run
  with open(os.path.join(workdir, "population.json")) as f:
    listed = json.load(f)["members"]
  assert [m["seed"] for m in listed] == [3, 4, 3, 4]
  for i, m in enumerate(summary["members"]):
    directory = os.path.join(workdir, "members", f"{i:03d}")
    assert m["workdir"] == directory and not m["stopped"]
    with open(os.path.join(directory, "metrics.jsonl")) as f:
      records = [json.loads(line) for line in f]
    assert [r["step"] for r in records if "generator_loss" in r] == [2, 4, 6]
    assert all(np.isfinite(r["generator_loss"]) for r in records if "generator_loss" in r)
    assert os.listdir(os.path.join(directory, "tensorboard"))
    assert os.path.isfile(os.path.join(directory, "samples.png"))
    with open(os.path.join(directory, "summary.json")) as f:
      assert json.load(f)["evaluation"]["num_modes"] == 8
    with open(os.path.join(directory, "config.json")) as f:
      member = json.load(f)
    assert member["seed"] == listed[i]["seed"] and "population" not in member
  # Members differ: their losses are their own.
  losses = {json.dumps(m["final_metrics"]) for m in summary["members"]}
  assert len(losses) == 4


def test_evaluation_loads_each_member(population_run):
  c, workdir, _, state = population_run
  members = population_members(workdir)
  assert members == [os.path.join(workdir, "members", f"{i:03d}") for i in range(4)]
  exp, member_state, step = load_run(members[2])
  assert step == 6 and exp.seed == 3
  want = PopulationExperiment(c).member_state(state, 2)
  for g, w in zip(leaves(member_state.generator.params), leaves(want.generator.params)):
    np.testing.assert_array_equal(g, w)


def test_resume_is_bitwise(population_run, tmp_path):
  c, _, _, state = population_run
  _runs.assert_resumes_bitwise(c, str(tmp_path), state)


def test_sigterm_checkpoints_and_resumes(population_run, tmp_path):
  c, _, _, state = population_run

  class AtStep(Preemption):
    def reached(self, step):
      return step == 3 or super().reached(step)

  summary, _ = loop.train(c, str(tmp_path), preemption=AtStep())
  assert summary["preempted"] and summary["step"] == 3
  summary, resumed = loop.train(c, str(tmp_path))
  assert not summary["preempted"] and summary["step"] == 6
  for g, w in zip(leaves(resumed), leaves(state), strict=True):
    np.testing.assert_array_equal(g, w)


def test_a_nonfinite_member_stops_alone(tmp_path):
  c = _config(steps=4, seeds=1, model={"generator_optimizer": {"learning_rate": "1e-4,1e9"}},
              train=dict(plot_every=2))
  with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    summary, _ = loop.train(c, str(tmp_path))
  stopped = [str(w.message) for w in caught if issubclass(w.category, MemberStoppedWarning)]
  assert len(stopped) == 1 and "member 1 (seed 3, generator_optimizer.learning_rate=1e+09)" \
      in stopped[0] and "NaN or Inf" in stopped[0] and "1 of 2 go on" in stopped[0]
  first, second = summary["members"]
  assert not first["stopped"] and first["evaluation"]
  assert second["stopped"] and second["stopped_at"] >= 1 and not second["evaluation"]
  # The stopped member's checkpointed state is its last finite one.
  _, state, _ = load_run(second["workdir"])
  assert all(np.isfinite(x).all() for x in leaves(state.networks()))
  # Scores (at plot_every and at the end) only for the living member.
  def scored_steps(member):
    with open(os.path.join(member["workdir"], "metrics.jsonl")) as f:
      return [r["step"] for r in map(json.loads, f) if "modes_covered" in r]
  assert scored_steps(first) == [2, 4] and scored_steps(second) == []


def test_skip_policy_stops_a_member_after_max_consecutive_skips(tmp_path):
  c = _config(steps=6, train=dict(nonfinite="skip", max_consecutive_skips=2), seeds=1,
              model={"generator_optimizer": {"learning_rate": "1e-4,1e9"}})
  with warnings.catch_warnings():
    warnings.simplefilter("ignore", MemberStoppedWarning)
    summary, _ = loop.train(c, str(tmp_path))
  first, second = summary["members"]
  assert first["nonfinite_skips"] == 0 and not first["stopped"]
  assert second["stopped"] and second["nonfinite_skips"] >= 2


def test_every_member_nonfinite_stops_the_population(tmp_path):
  c = _config(steps=4, seeds=2, model={"generator_optimizer": {"learning_rate": "1e9"}})
  with warnings.catch_warnings():
    warnings.simplefilter("ignore", MemberStoppedWarning)
    with pytest.raises(NonFiniteError, match="every member of the population has stopped"):
      loop.train(c, str(tmp_path))


def test_command_line_population_arguments():
  rest, found = cli.population_overrides(
      ["prog", "--config.population.seeds=8", "--config.train.steps=3",
       f"--config.population.model.{LR}=1e-4,2e-4", "--config.population.mode=list"])
  assert rest == ["prog", "--config.train.steps=3"]
  assert found == {"seeds": 8, f"model.{LR}": "1e-4,2e-4", "mode": "list"}
  del found["mode"]
  c = cli.with_population(_runs.config("gan"), found)
  assert c.population.model.generator_optimizer.learning_rate == "1e-4,2e-4"
  assert population_spec.parse(c, _gan()).size == 16


def test_the_entry_point_trains_a_population(tmp_path):
  workdir = str(tmp_path / "run")
  cmd = [sys.executable, "-m", "experiments.train", "--config=" + _runs.CONFIGS["gan"],
         f"--workdir={workdir}", *_runs.overrides("gan", steps=2),
         "--config.population.seeds=2", f"--config.population.model.{LR}=1e-4,2e-4"]
  out = subprocess.run(cmd, cwd=_runs.ROOT, env=_runs.env(), capture_output=True, text=True,
                       timeout=300)
  assert out.returncode == 0, out.stderr[-2000:]
  assert "4 members" in out.stdout and "003: seed 4" in out.stdout
  assert len(os.listdir(os.path.join(workdir, "members"))) == 4


@pytest.mark.parametrize("batching", ["map", "vmap"])
def test_batchings_on_one_device_equal_single_runs(population_run, tmp_path, batching):
  """lax.map (the CPU default with one device) and vmap run the same members."""
  c, _, _, _ = population_run
  c = c.copy_and_resolve_references()
  c.population.batching = batching
  one = jax.devices()[:1]
  _, state = loop.train(c, str(tmp_path / "pop"), devices=one)
  exp = PopulationExperiment(c, devices=one)
  assert exp.batching == batching
  _, single = loop.train(exp.population.member_config(c, 2), str(tmp_path / "one"), devices=one)
  member = exp.member_state(state, 2)
  got = leaves([(n.params, n.collections) for n in member.networks().values()])
  want = leaves([(n.params, n.collections) for n in single.networks().values()])
  for g, w in zip(got, want, strict=True):
    if batching == "map":  # each member runs the single run's own program: here bitwise
      np.testing.assert_array_equal(g, w)
    else:
      np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_auto_batching_is_map_on_one_cpu_device_and_vmap_across_devices(population_run):
  c, _, _, _ = population_run
  assert PopulationExperiment(c, devices=jax.devices()[:1]).batching == "map"
  assert PopulationExperiment(c).batching == "vmap"  # 4 members over 4 of the 8 devices


def test_a_scheduled_learning_rate_varies_as_its_peak(tmp_path):
  # Two generator peaks under one cosine schedule (2 updates held, 4 of
  # decay), as one population run one member after another: each member ends
  # bit for bit as its single run, and logs its own schedule.
  c = _config(model={"generator_optimizer": {"learning_rate": "1e-4,1e-3"}}, batching="map")
  c.model.generator_optimizer.schedule = "cosine"
  c.model.generator_optimizer.hold_steps = 2
  c.model.generator_optimizer.decay_steps = 4
  one = jax.devices()[:1]
  summary, state = loop.train(c, str(tmp_path / "population"), devices=one)
  exp = PopulationExperiment(c, devices=one)
  rates = []
  for index in (0, 1):
    single = exp.population.member_config(c, index)
    _, single_state = loop.train(single, str(tmp_path / f"single{index}"), devices=one)
    member = exp.member_state(state, index)
    for name in ("generator", "discriminator"):
      for got, want in zip(leaves(member.networks()[name].params),
                           leaves(single_state.networks()[name].params), strict=True):
        np.testing.assert_array_equal(got, want)
    rates.append(summary["members"][index]["final_metrics"]["generator_learning_rate"])
  # The sixth update's rate: cosine at 3 of 4 decay updates, 0.5 (1 + cos(3 pi / 4)) peak.
  factor = 0.5 * (1 + np.cos(3 * np.pi / 4))
  assert rates == [pytest.approx(1e-4 * factor, rel=1e-5), pytest.approx(1e-3 * factor, rel=1e-5)]


def test_a_float_in_python_control_flow_is_one_line():
  """EBGAN adds its pulling-away term only `if pull_away_weight > 0`."""
  c = importlib.import_module("experiments.configs.ebgan").get_config("ring")
  c.model.hidden = (8,)
  c.data.batch_size = 16
  c.population = ml_collections.ConfigDict({"model": {"pull_away_weight": "0.0,0.1"}})
  with pytest.raises(ConfigError, match="pull_away_weight in Python control flow"):
    PopulationExperiment(c, devices=jax.devices()[:1])
