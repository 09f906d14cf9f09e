"""Learning-rate schedules said in training steps, and the warning for one
that ends before (or after) the run: the trap of a network updated k times a
step whose hold and decay were given in training steps."""

import dataclasses
import json
import warnings

import ml_collections
import numpy as np
import pytest

from gengan_jax import algorithms
from gengan_jax.core import OptimizerConfig, optimizer_field
from gengan_jax.train import loop, schedule_check
from tests.train import _runs
from gengan_jax.train.writers import read_metrics
from tests.train.test_loop import _config


def _f32(x: float) -> float:
  """``x`` as the float32 rate the step computes, written back as a float."""
  return float(np.float32(x))

COSINE = dict(schedule="cosine", learning_rate=1e-3)


def _avb(hold, decay):
  """AVB's config with two adversary updates a step and cosine schedules
  (adversary: ``hold``/``decay`` updates; encoder and decoder: 60000/20000)."""
  cls = algorithms.get("avb").Config
  primal = OptimizerConfig(**COSINE, hold_steps=60000, decay_steps=20000)
  return cls(adversary_updates=2, encoder_optimizer=primal, decoder_optimizer=primal,
             adversary_optimizer=OptimizerConfig(**COSINE, hold_steps=hold, decay_steps=decay))


def test_schedule_end_counts_warmup_hold_and_decay():
  warm_held = OptimizerConfig(**COSINE, warmup_steps=5, hold_steps=7, decay_steps=11)
  assert warm_held.schedule_end() == 23
  assert OptimizerConfig(schedule="linear", decay_steps=4).schedule_end() == 4
  assert OptimizerConfig(warmup_steps=5).schedule_end() is None  # constant after warm-up
  assert OptimizerConfig().schedule_end() is None


def test_every_network_of_every_algorithm_has_its_optimizer():
  # Every TrainState field of every registered algorithm's State names an
  # OptimizerConfig field of its Config: <network>_optimizer, the shared
  # `optimizer`, or the class's OPTIMIZER_FIELDS (Real NVP WGAN's flow).
  checked = 0
  for name, algorithm in algorithms.REGISTRY.items():
    config = algorithm.Config()
    for f in dataclasses.fields(algorithm.State):
      if "TrainState" not in str(f.type):
        continue
      field = optimizer_field(config, f.name)
      assert isinstance(getattr(config, field, None), OptimizerConfig), (name, f.name, field)
      checked += 1
  assert checked >= 70
  real_nvp_wgan = algorithms.get("real_nvp_wgan").Config()
  assert optimizer_field(real_nvp_wgan, "flow") == "generator_optimizer"
  assert optimizer_field(real_nvp_wgan, "critic") == "critic_optimizer"
  assert optimizer_field(algorithms.get("vae").Config(), "decoder") == "optimizer"
  assert optimizer_field(algorithms.get("avb").Config(), "adversary") == "adversary_optimizer"
  assert optimizer_field(algorithms.get("gmmn").Config(), "encoder") is None


def test_adversary_given_the_runs_steps_ends_halfway_and_is_named():
  # The trap: T updates twice a step; hold 60000 and decay 20000 of its own
  # updates end its decay at training step 40000 of 80000.
  before = {"encoder": 0, "decoder": 0, "adversary": 0}
  after = {"encoder": 1, "decoder": 1, "adversary": 2}
  ends = schedule_check.schedule_ends(_avb(60000, 20000), before, after, start=0,
                                      steps_taken=1)
  by_network = {e.network: e for e in ends}
  assert by_network["encoder"].end == by_network["decoder"].end == 80000
  assert by_network["encoder"].decay_start == 60000
  adversary = by_network["adversary"]
  assert (adversary.updates_per_step, adversary.decay_start, adversary.end) == (2, 30000, 40000)
  assert schedule_check.warning(by_network["encoder"], 80000) is None
  message = schedule_check.warning(adversary, 80000)
  assert message.startswith("adversary_optimizer: the adversary's learning rate reaches its "
                            "end value 0 at training step 40,000, before the run ends "
                            "(train.steps=80000).")
  assert "2 times the training steps" in message
  # Its hold and decay doubled end with the run.
  ends = schedule_check.schedule_ends(_avb(120000, 40000), before, after, start=0,
                                      steps_taken=1)
  assert [schedule_check.warning(e, 80000) for e in ends] == [None, None, None]


def test_resumed_run_counts_from_where_it_resumed():
  # Resumed at step 30000 with 60000 adversary updates done, measured over a
  # call of 4 steps (8 updates): 100000 updates to go end it at 80000.
  ends = schedule_check.schedule_ends(
      _avb(120000, 40000), {"adversary": 60000}, {"adversary": 60008}, start=30000,
      steps_taken=4)
  assert [(e.network, e.updates_per_step, e.decay_start, e.end) for e in ends] == [
      ("adversary", 2, 60000, 80000)]


def test_a_late_end_and_a_network_without_updates():
  ends = schedule_check.schedule_ends(
      _avb(60000, 20000), {"encoder": 0, "adversary": 0}, {"encoder": 0, "adversary": 1},
      start=0, steps_taken=1)
  # The encoder took no update in the measured call (as a WGAN generator in a
  # critic burst): left out. The adversary at 1 update a step ends at 80000.
  assert [e.network for e in ends] == ["adversary"]
  message = schedule_check.warning(ends[0], 50000)
  assert "at training step 80,000, after the run ends (train.steps=50000)." in message
  assert "times the training steps" not in message  # one update a step: nothing to scale


def test_the_loop_reports_it_after_its_first_call(tmp_path, capsys):
  # A tiny AVB run of 8 steps, 2 per compiled call: each network's schedule
  # ends at update 8; the adversary's at training step 4.
  c = _config("avb", steps=8, adversary_updates=2)
  c.train.steps_per_call = 2
  for f in ("encoder_optimizer", "decoder_optimizer", "adversary_optimizer"):
    c.model[f] = dict(learning_rate=1e-3, schedule="cosine", hold_steps=6, decay_steps=2)
  with pytest.warns(schedule_check.ScheduleWarning) as warned:
    loop.train(c, str(tmp_path / "trap"))
  # Each network's rate, as its latest update used it, in the metrics (logged
  # every 2 steps): cosine from update 6 over 2 updates, 0 from update 8 on.
  records = [r for r in read_metrics(str(tmp_path / "trap" / "metrics.jsonl"))
             if "adversary_loss" in r]
  rates = [(r["step"], r["encoder_learning_rate"], r["decoder_learning_rate"],
            r["adversary_learning_rate"]) for r in records]
  full, half = _f32(1e-3), pytest.approx(5e-4, rel=1e-6)
  assert rates == [(2, full, full, full), (4, full, full, half), (6, full, full, 0.0),
                   (8, half, half, 0.0)]
  printed = [l for l in capsys.readouterr().out.splitlines() if "Learning-rate" in l]
  assert printed == [
      "Learning-rate schedules in training steps: encoder (encoder_optimizer, 1 update a "
      "step): decays from step 6 to 0 at step 8; decoder (decoder_optimizer, 1 update a "
      "step): decays from step 6 to 0 at step 8; adversary (adversary_optimizer, 2 updates a "
      "step): decays from step 3 to 0 at step 4"]
  assert [str(w.message).split(":")[0] for w in warned
          if w.category is schedule_check.ScheduleWarning] == ["adversary_optimizer"]


def test_a_population_reports_it_once(tmp_path, capsys):
  # Two seeds of the GAN with two discriminator updates a step: D's schedule
  # of 4 updates ends at training step 2 of 4, G's with the run.
  c = _runs.config("gan", steps=4)
  c.model.discriminator_updates = 2
  c.model.generator_optimizer = dict(learning_rate=2e-4, schedule="linear", decay_steps=4)
  c.model.discriminator_optimizer = dict(learning_rate=2e-4, schedule="linear", hold_steps=2,
                                         decay_steps=2)
  c.population = ml_collections.ConfigDict({"seeds": 2})
  with pytest.warns(schedule_check.ScheduleWarning) as warned:
    loop.train(c, str(tmp_path / "population"))
  printed = [l for l in capsys.readouterr().out.splitlines() if "Learning-rate" in l]
  assert printed == [
      "Learning-rate schedules in training steps: generator (generator_optimizer, 1 update a "
      "step): decays from step 0 to 0 at step 4; discriminator (discriminator_optimizer, 2 "
      "updates a step): decays from step 1 to 0 at step 2"]
  (record,) = [w for w in warned if w.category is schedule_check.ScheduleWarning]
  assert str(record.message).startswith(
      "discriminator_optimizer: the discriminator's learning rate reaches its end value 0 at "
      "training step 2, before the run ends (train.steps=4).")


@pytest.mark.parametrize("schedule", [{}, {"warmup_steps": 4}])
def test_constant_rates_are_not_reported(tmp_path, capsys, schedule):
  c = _config("gan", steps=4)
  c.model.generator_optimizer = dict(learning_rate=2e-4, **schedule)
  with warnings.catch_warnings():
    warnings.simplefilter("error", schedule_check.ScheduleWarning)
    loop.train(c, str(tmp_path / "constant"))
  assert "Learning-rate" not in capsys.readouterr().out
  # A warm-up is a changing rate, drawn in the metrics; a constant one is not.
  records = [r for r in read_metrics(str(tmp_path / "constant" / "metrics.jsonl"))
             if "generator_loss" in r]
  rates = [r.get("generator_learning_rate") for r in records]
  warm = [pytest.approx(5e-5, rel=1e-6), pytest.approx(1.5e-4, rel=1e-6)]  # updates 1 and 3 of 4
  assert rates == (warm if schedule else [None, None])
  assert all("discriminator_learning_rate" not in r for r in records)


def test_the_command_line_sets_fields_the_file_leaves_at_default_and_warns(tmp_path):
  # gan.py sets neither discriminator_updates nor any schedule: the command
  # line adds them (a key inside the file's discriminator_optimizer too), and
  # the warning is one `warning:` line.
  workdir = tmp_path / "run"
  res = _runs.run(str(workdir), "gan", 4, timeout=180, extra=[
      "--config.model.discriminator_updates=2",
      "--config.model.discriminator_optimizer.schedule=cosine",
      "--config.model.discriminator_optimizer.hold_steps=2",
      "--config.model.discriminator_optimizer.decay_steps=2"])
  assert res.returncode == 0, res.stderr[-2000:]
  model = json.loads((workdir / "config.json").read_text())["model"]
  assert model["discriminator_updates"] == 2
  assert model["discriminator_optimizer"] == {
      "learning_rate": 2e-4, "b1": 0.5, "b2": 0.9, "schedule": "cosine", "hold_steps": 2,
      "decay_steps": 2}
  assert ("Learning-rate schedules in training steps: discriminator (discriminator_optimizer, "
          "2 updates a step): decays from step 1 to 0 at step 2") in res.stdout.splitlines()
  assert ("warning: discriminator_optimizer: the discriminator's learning rate reaches its end "
          "value 0 at training step 2, before the run ends (train.steps=4).") in res.stderr
  assert "Traceback" not in res.stderr
