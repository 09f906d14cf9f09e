"""experiments.plot_metrics on metrics.jsonl files written here."""

import json

import numpy as np
import pytest
from PIL import Image

from experiments import plot_metrics


def _run(root, name, records):
  w = root / name
  w.mkdir()
  (w / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) + "\n")
  return str(w)


def test_curves_are_the_logged_values_by_step_and_a_resumed_step_keeps_its_last_record(
    tmp_path):
  w = _run(tmp_path, "a", [{"step": 10, "loss": 3.0, "kl": 1.0},
                           {"step": 20, "loss": 2.0},  # kl not logged here
                           {"step": 30, "loss": 1.5, "kl": 0.5},
                           {"step": 20, "loss": 2.5},  # resumed from step 10
                           {"step": 30, "modes_covered": 8.0}])  # the final evaluation
  c = plot_metrics.read_curves(w, ["loss", "kl"])
  np.testing.assert_array_equal(c["loss"][0], [10, 20, 30])
  np.testing.assert_array_equal(c["loss"][1], [3.0, 2.5, 1.5])
  np.testing.assert_array_equal(c["kl"][0], [10, 30])
  np.testing.assert_array_equal(c["kl"][1], [1.0, 0.5])


def test_errors_name_what_is_missing(tmp_path):
  w = _run(tmp_path, "a", [{"step": 1, "loss": 1.0}])
  with pytest.raises(SystemExit, match=r"logs no kl; it logs loss\.$"):
    plot_metrics.read_curves(w, ["loss", "kl"])
  with pytest.raises(SystemExit, match="has no metrics.jsonl"):
    plot_metrics.read_curves(str(tmp_path), ["loss"])
  (tmp_path / "a" / "metrics.jsonl").write_text('{"step": 1}\n{"step": 2,\n')
  with pytest.raises(SystemExit, match="line 2 is not JSON"):
    plot_metrics.read_curves(w, ["loss"])
  with pytest.raises(SystemExit, match="2 labels for 1 work directories"):
    plot_metrics.main([w, "--metrics=loss", f"--out={tmp_path}/x.png", "--labels=p,q"])


def test_main_writes_one_panel_per_metric(tmp_path, capsys):
  a = _run(tmp_path, "a", [{"step": s, "loss": 1.0 / s, "kl": s} for s in range(1, 50)])
  b = _run(tmp_path, "b", [{"step": s, "loss": 2.0 / s, "kl": 2 * s} for s in range(1, 50)])
  one, two = tmp_path / "one.png", tmp_path / "out" / "two.png"
  plot_metrics.main([a, b, "--metrics=loss", f"--out={one}"])
  plot_metrics.main([a, b, "--metrics=loss,kl", f"--out={two}", "--log=loss",
                     "--labels=first,second", "--title=t"])
  assert f"wrote {two}" in capsys.readouterr().out
  w1, h1 = Image.open(one).size
  w2, h2 = Image.open(two).size
  assert h1 == h2 and w2 == 2 * w1  # 3.6 inches a panel
