"""``train.ema_decay``: the loop keeps an average of the parameters, samples
from it, checkpoints and resumes it, and trains exactly as without it."""

import jax
import numpy as np
import pytest
from absl import flags

from gengan_jax import use
from gengan_jax.evaluate.evaluation import evaluate_run
from gengan_jax.core import averaging
from gengan_jax.train import loop
from gengan_jax.train.checkpoint import CheckpointMismatchError
from gengan_jax.train.experiment import Experiment
from gengan_jax.train.population import PopulationExperiment
from gengan_jax.use import cli as use_cli
from tests.train import _runs
from tests.train._runs import leaves

DECAY = 0.75  # far from 1, so that six steps move the average well away from the parameters


@pytest.fixture(scope="module")
def averaged_run(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp("averaged"))
  c = _runs.config("gan", 6, ema_decay=DECAY)
  summary, state = loop.train(c, workdir)
  return c, workdir, summary, state


def test_training_ignores_the_average_and_the_average_follows_the_recursion(averaged_run):
  c, _, _, state = averaged_run
  plain = _runs.config("gan", 6)
  exp = Experiment(plain)
  s = exp.init_state()
  skipped = jax.numpy.zeros((), jax.numpy.int32)
  want = leaves(s.generator.params)
  for step in range(6):
    s, _, _, _ = exp.run_steps(s, step, skipped)
    want = [DECAY * a + (1 - DECAY) * p for a, p in zip(want, leaves(s.generator.params))]
  # Bitwise the parameters of the run without an average.
  for name, net in state.networks().items():
    for g, w in zip(leaves(net.params), leaves(s.networks()[name].params), strict=True):
      np.testing.assert_array_equal(g, w)
  for g, w in zip(leaves(state.generator.average), want, strict=True):
    np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
  moved = max(np.abs(g - p).max() for g, p in zip(
      leaves(state.generator.average), leaves(state.generator.params)))
  assert moved > 1e-4


def test_samples_and_the_evaluation_use_the_average(averaged_run):
  c, workdir, summary, state = averaged_run
  exp = Experiment(c)
  got = exp.sample(state, 64)
  want = np.asarray(exp.algorithm.sample(averaging.averaged(state), exp.eval_key, 64))
  raw = np.asarray(exp.algorithm.sample(state, exp.eval_key, 64))
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
  assert np.abs(got - raw).max() > 1e-3
  assert summary["evaluation"] == exp.evaluate(state)


def test_load_uses_the_average_unless_asked_not_to(averaged_run):
  _, workdir, _, state = averaged_run
  model = use.load(workdir)
  for g, w in zip(leaves(model.state.generator.params), leaves(state.generator.average)):
    np.testing.assert_array_equal(g, w)
  raw = use.load(workdir, average=False)
  for g, w in zip(leaves(raw.state.generator.params), leaves(state.generator.params)):
    np.testing.assert_array_equal(g, w)
  # Neither keeps the other's parameters to be swapped in by the run's own sampling.
  assert not averaging.has_average(model.state) and not averaging.has_average(raw.state)
  np.testing.assert_array_equal(raw.sample(64), raw.sample(64))
  assert np.abs(raw.sample(64) - model.sample(64)).max() > 1e-3


def test_resume_is_bitwise_with_the_average(averaged_run, tmp_path):
  c, _, _, state = averaged_run
  _runs.assert_resumes_bitwise(c, str(tmp_path), state)


def test_turning_the_average_on_or_off_on_resume_is_one_line(averaged_run, tmp_path):
  c, _, _, _ = averaged_run
  first = _runs.config("gan", 2)
  loop.train(first, str(tmp_path))
  with pytest.raises(CheckpointMismatchError, match=r"average.*train\.ema_decay decides"):
    loop.train(c, str(tmp_path))


def test_a_population_member_keeps_its_single_runs_average(averaged_run, tmp_path):
  c, _, _, single = averaged_run
  p = c.copy_and_resolve_references()
  p.population = {"seeds": 2}  # seeds 3 and 4: member 0 is the single run
  _, state = loop.train(p, str(tmp_path / "population"))
  member = PopulationExperiment(p).member_state(state, 0)
  for g, w in zip(leaves(member.generator.average), leaves(single.generator.average),
                  strict=True):
    np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
  exp = PopulationExperiment(p)
  np.testing.assert_allclose(exp.sample(state, 64)[0], Experiment(c).sample(single, 64),
                             rtol=1e-5, atol=1e-5)
  model = use.load(str(tmp_path / "population" / "members" / "000"))
  for g, w in zip(leaves(model.state.generator.params), leaves(member.generator.average)):
    np.testing.assert_array_equal(g, w)
  without = p.copy_and_resolve_references()
  without.train.ema_decay = 0.0
  with pytest.raises(CheckpointMismatchError,
                     match=r"train\.ema_decay decides .*\(it is 0 here\)"):
    loop.train(without, str(tmp_path / "population"))


def test_the_commands_use_the_average_unless_noaverage(averaged_run, tmp_path):
  _, workdir, _, _ = averaged_run
  drawn = {}
  for choice in ("--average", "--noaverage"):
    fv = flags.FlagValues()
    use_cli.define_flags(fv)
    fv(["gengan-use", f"--workdir={workdir}", "--num=64", choice, "--noprogress",
        f"--out={tmp_path / choice[2:]}.npz"])
    (out, _) = use_cli.run("sample", fv)
    with np.load(out) as f:
      drawn[choice] = f["samples"]
  np.testing.assert_array_equal(drawn["--average"], use.load(workdir).sample(64))
  np.testing.assert_array_equal(drawn["--noaverage"], use.load(workdir, average=False).sample(64))
  settings = {average: evaluate_run(workdir, critic_steps=0, likelihood_samples=0, write=False,
                                    average=average)["settings"]["parameters"]
              for average in (True, False)}
  assert settings == {True: f"moving average (train.ema_decay={DECAY})", False: "trained"}


def test_several_steps_per_call_move_the_average_every_step(averaged_run, tmp_path):
  c, _, _, state = averaged_run
  scanned = c.copy_and_resolve_references()
  scanned.train.update(steps_per_call=3, log_every=3, checkpoint_every=3)
  _, got = loop.train(scanned, str(tmp_path))
  for g, w in zip(leaves(got.generator.average), leaves(state.generator.average), strict=True):
    np.testing.assert_allclose(g, w, rtol=2e-5, atol=1e-6)  # a scan may fuse differently
