"""experiments.summarize on summary.json files written here."""

import json

import numpy as np

from experiments import summarize


def _summary(root, name, algorithm, data, evaluation, **extra):
  w = root / name
  w.mkdir()
  (w / "summary.json").write_text(json.dumps(dict(
      algorithm=algorithm, data=data, step=10, seconds_this_run=1.0, evaluation=evaluation,
      **extra)))
  return str(w)


def _run(root, name, algorithm, data, modes, hq, kl, num_modes=8):
  return _summary(root, name, algorithm, data, dict(
      modes_covered=modes, num_modes=num_modes, high_quality_fraction=hq, reverse_kl=kl))


def _stopped_member(root, name, algorithm, data):
  """A population member's summary after a non-finite stop: no evaluation."""
  return _summary(root, name, algorithm, data, {}, stopped=True, stopped_at=7)


def test_seed_table_gives_mean_and_sample_sd_per_algorithm_and_data(tmp_path):
  dirs = [_run(tmp_path, "a0", "ali", "ring", 8, 0.30, 0.4),
          _run(tmp_path, "a1", "ali", "ring", 6, 0.10, 0.8),
          _run(tmp_path, "a2", "ali", "grid", 17, 0.05, 0.7, num_modes=25),
          _run(tmp_path, "b0", "bigan", "ring", 7, 0.05, 0.8)]
  lines = summarize.seed_table(dirs + [str(tmp_path / "missing")]).splitlines()
  assert lines[0].startswith("| algorithm | ring: modes |") and "grid: runs" in lines[0]
  sd = np.std([8, 6], ddof=1)
  assert lines[2] == (f"| ali | 7.0 ± {sd:.1f} / 8 | 20.0 ± {np.std([30, 10], ddof=1):.1f} | "
                      f"0.600 ± {np.std([0.4, 0.8], ddof=1):.3f} | 2 | 17.0 ± 0.0 / 25 | "
                      "5.0 ± 0.0 | 0.700 ± 0.000 | 1 |")
  assert lines[3] == "| bigan | 7.0 ± 0.0 / 8 | 5.0 ± 0.0 | 0.800 ± 0.000 | 1 | - | - | - | - |"


def test_seed_table_reports_infinite_values_apart(tmp_path):
  """A run without high-quality samples has reverse KL inf: the mean and sd are
  of the other runs, and the count of infinite ones is said."""
  dirs = [_run(tmp_path, "a0", "ali", "ring", 8, 0.30, 0.4),
          _run(tmp_path, "a1", "ali", "ring", 6, 0.10, 0.8),
          _run(tmp_path, "a2", "ali", "ring", 0, 0.0, float("inf")),
          _run(tmp_path, "b0", "bigan", "ring", 0, 0.0, float("inf"))]
  lines = summarize.seed_table(dirs).splitlines()
  assert f"| 0.600 ± {np.std([0.4, 0.8], ddof=1):.3f}; 1 of 3 runs inf | 3 |" in lines[2]
  assert "| inf (1 of 1 runs) | 1 |" in lines[3]


def test_a_stopped_member_is_named_and_left_out(tmp_path, capsys):
  dirs = [_run(tmp_path, "a0", "ali", "ring", 8, 0.30, 0.4),
          _stopped_member(tmp_path, "a1", "ali", "ring")]
  lines = summarize.seed_table(dirs).splitlines()
  assert lines[2] == "| ali | 8.0 ± 0.0 / 8 | 30.0 ± 0.0 | 0.400 ± 0.000 | 1 |"
  assert f"skipping {dirs[1]}: a population member stopped at step 7" in capsys.readouterr().err
  row = summarize.table(dirs).splitlines()[3]
  assert row.startswith("| a1 | ali | ring | 10 (stopped at 7) | - |"), row
