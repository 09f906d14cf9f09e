"""experiments.sweep: the sweep's plan and the alpha-GAN paper's report."""

import json
import os

import numpy as np
import pytest

from experiments import sweep
from gengan_jax import algorithms
from gengan_jax.train import population_loop, population_spec, preemption
from tests.train import _runs


def test_parse_values():
  assert sweep.parse_values("model.x=1,2.5") == ("model.x", [1, 2.5])
  assert sweep.parse_values("model.hidden=(1,2)|(3,4)") == ("model.hidden", [(1, 2), (3, 4)])
  assert sweep.parse_values("model.lr=1e-5:1e-3") == ("model.lr", ["1e-5:1e-3"])
  # Commas inside brackets belong to the value: one tuple, or several without '|'.
  assert sweep.parse_values("model.hidden=(8,8)") == ("model.hidden", [(8, 8)])
  assert sweep.parse_values("model.hidden=(8,8),(16,16)") == ("model.hidden", [(8, 8), (16, 16)])


def test_a_setting_that_does_not_fit_the_config_is_one_line():
  config = sweep._load_config("alpha_gan:grid")
  with pytest.raises(SystemExit, match=r"^error: model.hidden=256 \(int\) does not fit the "
                                       r"config's model.hidden=\(128, 128, 128\) \(tuple\); "
                                       r"a tuple is --set=model.hidden=\(8,8\)"):
    sweep._set(config, "model.hidden", 256)
  with pytest.raises(SystemExit, match=r"^error: the config has no 'modle.hidden' "
                                       r"\(no section 'modle'\)\.$"):
    sweep._set(config, "modle.hidden", (8,))
  sweep._set(config, "model.hidden", (256, 256))
  assert config.model.hidden == (256, 256)


def test_a_number_takes_a_number_or_none():
  """``--set=model.fixed_log_scale=None`` (parsed to ``None``) learns the scale again."""
  config = sweep._load_config("vq_vae:grid")
  with pytest.raises(SystemExit, match=r"^error: model.beta='high' \(str\) does not fit the "
                                       r"config's model.beta=0.25 \(float\); give a float \(or "
                                       r"None\), e.g. --set=model.beta=0.25\.$"):
    sweep._set(config, "model.beta", "high")
  assert config.model.fixed_log_scale == 0.0
  sweep._set(config, "model.fixed_log_scale", None)
  assert config.model.fixed_log_scale is None


def test_a_bool_takes_true_and_false_in_any_case_and_nothing_else():
  config = sweep._load_config("vq_vae:grid")
  for text, expected in (("false", False), ("TRUE", True), (False, False), ("True", True)):
    sweep._set(config, "model.ema", text)
    assert config.model.ema is expected
  with pytest.raises(SystemExit, match=r"^error: model.ema='yes' \(str\) does not fit the "
                                       r"config's model.ema=True \(bool\); a bool is "
                                       r"--set=model.ema=true or --values=model.ema=false,true\.$"):
    sweep._set(config, "model.ema", "yes")


def test_an_invalid_setting_is_one_line_not_a_traceback(tmp_path):
  """A value the algorithm's config rejects stops ``sweep run`` with its one
  ``error:`` line, before any run starts."""
  with pytest.raises(SystemExit, match=r"^error: config value model.generator_optimizer."
                                       r"hold_steps=2 is invalid: must be 0 with "
                                       r"schedule='constant'"):
    sweep.main(["run", "--config=alpha_gan:grid", f"--workdir={tmp_path}", "--seeds=1",
                "--set=model.generator_optimizer.hold_steps=2"])
  assert not os.listdir(tmp_path)


def test_grid_and_random_settings():
  grid = sweep.settings({"a": [1, 2], "b": [3, 4, 5]})
  assert len(grid) == 6 and {"a": 2, "b": 5} in grid
  draws = sweep.settings({"lr": ["1e-4:1e-2"], "w": [1, 2]}, random=400)
  lr = np.log10([d["lr"] for d in draws])
  assert lr.min() >= -4 and lr.max() <= -2
  # Log-uniform: each decade holds about half the draws.
  assert 0.4 < np.mean(lr < -3) < 0.6
  assert {d["w"] for d in draws} == {1, 2}
  with pytest.raises(SystemExit, match="ranges need --random"):
    sweep.settings({"lr": ["1e-4:1e-2"]})


def test_plan_splits_populations_from_separate_runs():
  c = _runs.config("gan")
  runs = sweep.plan(c, {"model.generator_optimizer.learning_rate": [1e-4, 1e-3],
                        "model.penalty_weight": [1.0, 10.0],
                        "model.hidden": [(8,), (16, 16)]}, seeds=3)
  assert len(runs) == 2  # the widths change shapes: two programs
  cls = algorithms.get("gan").Config
  for (name, rc), hidden in zip(runs, [(8,), (16, 16)]):
    assert tuple(rc.model.hidden) == hidden and "hidden" in name
    pop = population_spec.parse(rc, cls)
    assert pop.size == 12  # 2 learning rates x 2 weights x 3 seeds
    combos = {(m.values["generator_optimizer.learning_rate"], m.values["penalty_weight"])
              for m in pop.members}
    assert len(combos) == 4
    assert sorted({m.seed for m in pop.members}) == [3, 4, 5]


def test_scheduled_learning_rates_are_one_population():
  # A decaying rate varies as its peak inside one program (it used to be one
  # run per rate).
  c = _runs.config("gan")
  for key, value in (("schedule", "cosine"), ("hold_steps", 4), ("decay_steps", 2)):
    sweep._set(c, f"model.generator_optimizer.{key}", value)
  runs = sweep.plan(c, {"model.generator_optimizer.learning_rate": [1e-4, 1e-3]}, seeds=2)
  assert [name for name, _ in runs] == ["run00"]
  pop = population_spec.parse(runs[0][1], algorithms.get("gan").Config)
  assert sorted(m.values["generator_optimizer.learning_rate"] for m in pop.members) == [
      1e-4, 1e-4, 1e-3, 1e-3]


def test_a_float_the_step_cannot_trace_is_separate_runs():
  """WGAN's ``clip`` is a float baked into the critic's optimizer: it cannot vary
  inside one program, so each value is its own run (a population of it would stop
  at its first step); the penalty weight beside it still varies in one."""
  c = _runs.config("gan")
  sweep._set(c, "model.constraint", "clip")
  runs = sweep.plan(c, {"model.clip": [0.03, 0.1], "model.penalty_weight": [1.0, 10.0]},
                    seeds=2)
  assert [name for name, _ in runs] == ["run00_clip=0.03", "run01_clip=0.1"]
  for (_, rc), clip in zip(runs, [0.03, 0.1]):
    assert rc.model.clip == clip and "clip" not in rc.population.model
    assert rc.population.model.penalty_weight == "1.0,1.0,10.0,10.0"


def _member(root, run, index, algorithm, seed, values, evaluation, stopped=False):
  d = os.path.join(root, run, "members", f"{index:03d}")
  os.makedirs(d)
  with open(os.path.join(d, "summary.json"), "w") as f:
    json.dump({"algorithm": algorithm, "data": "grid", "seed": seed, "values": values,
               "evaluation": evaluation, "stopped": stopped}, f)


def test_report_quartiles_best_jobs_and_best_setting(tmp_path):
  root = str(tmp_path / "a")
  modes = [10, 20, 12, 22, 25, 24]  # settings lr=1 (seeds 0,1), lr=2, lr=3
  for i, m in enumerate(modes):
    _member(root, "run00", i, "alpha_gan", i % 2, {"lr": 1.0 + i // 2},
            {"modes_covered": m, "high_quality_fraction": m / 100, "reverse_kl": 1.0 / m})
  _member(root, "run00", 6, "alpha_gan", 0, {"lr": 9.0}, {}, stopped=True)
  jobs = sweep.jobs(root)
  assert len(jobs) == 7
  q = sweep.quartiles([j["scores"]["modes_covered"] for j in jobs if j["scores"]])
  assert q == tuple(np.percentile(modes, [0, 25, 50, 75, 100]))
  best = sweep.best_jobs(jobs, "reverse_kl", k=2)  # lower is better
  assert [j["scores"]["modes_covered"] for j in best] == [25, 24]
  name, members = sweep.best_setting(jobs, "modes_covered")
  assert name == "lr=3" and len(members) == 2
  out = str(tmp_path / "report")
  text = sweep.report([root], out)
  assert "| alpha_gan (grid) | modes_covered | 10 | 14 | 21 | 23.5 | 25 | 7 (1) |" in text
  assert "| alpha_gan (grid) | lr=3 | 2 | 24.5 ± 0.707" in text
  for m in ("modes_covered", "high_quality_fraction", "reverse_kl"):
    assert os.path.getsize(os.path.join(out, m + ".png")) > 1000


def test_a_preempted_sweep_says_so_and_resumes(tmp_path, monkeypatch, capsys):
  """SIGTERM stops ``sweep run`` inside its first run: it says where and how
  to resume, exits with the preemption code and starts no further run; the
  same command then finishes both."""
  class AtStep2(preemption.Preemption):
    def reached(self, step):
      return step == 2 or super().reached(step)

  argv = ["run", "--config=gan", f"--workdir={tmp_path}", "--seeds=1",
          "--values=train.log_every=1,2"]  # two runs of one compiled program
  argv += [f"--set={k}={v}".replace(" ", "") for k, v in _runs.changes("gan", 4).items()
           if k != "train.log_every"]
  monkeypatch.setattr(population_loop, "Preemption", AtStep2)
  with pytest.raises(SystemExit) as stopped:
    sweep.main(argv)
  assert stopped.value.code == preemption.EXIT_CODE
  out = capsys.readouterr().out
  assert "Done" not in out
  assert "stopped after step 2 and saved a checkpoint" in out
  assert "1 of 2 run(s) not started. Run the same command to resume." in out
  first, = os.listdir(tmp_path)
  monkeypatch.undo()
  sweep.main(argv)
  out = capsys.readouterr().out
  assert "Resuming the population from step 2" in out and "Done: 2 run(s)" in out
  assert sorted(os.listdir(tmp_path))[0] == first and len(os.listdir(tmp_path)) == 2
