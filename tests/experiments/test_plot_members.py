"""experiments.plot_members on run directories written here."""

import json

import numpy as np
import pytest
from PIL import Image

from experiments import plot_members


def _member(root, name, summary, colour=(255, 0, 0)):
  w = root / name
  w.mkdir()
  (w / "summary.json").write_text(json.dumps(summary))
  Image.fromarray(np.full((20, 30, 3), colour, np.uint8)).save(w / "samples.png")
  return str(w)


def test_captions_name_the_seed_the_setting_and_the_evaluation():
  assert plot_members.caption({
      "seed": 3, "values": {"model.generator_optimizer.learning_rate": 0.001},
      "evaluation": {"modes_covered": 25, "num_modes": 25, "high_quality_fraction": 0.6464},
  }) == "seed 3 (learning_rate=0.001): 25 modes, 64.6% HQ"
  assert plot_members.caption({"seed": 0, "values": {}, "evaluation": None}) == "seed 0"
  assert plot_members.caption({"seed": 1, "values": {"model.encoder": "gaussian"},
                               "evaluation": {"modes_covered": 7}}) == (
                                   "seed 1 (encoder=gaussian): 7 modes")


def test_the_row_shows_each_members_picture_in_order(tmp_path):
  colours = [(255, 0, 0), (0, 0, 255)]
  runs = [_member(tmp_path, f"m{i}", {"seed": i, "evaluation": {
      "modes_covered": 20 + i, "high_quality_fraction": 0.5}}, colour)
          for i, colour in enumerate(colours)]
  out = tmp_path / "row" / "seeds.png"
  plot_members.main([*runs, f"--out={out}", "--title=two seeds"])
  picture = np.asarray(Image.open(out).convert("RGB")).astype(int)
  assert picture.shape[1] > 1.8 * picture.shape[0]  # one row of two
  left, right = picture[:, : picture.shape[1] // 2], picture[:, picture.shape[1] // 2:]

  def count(half, colour):
    return int(np.all(np.abs(half - colour) < 8, axis=-1).sum())

  assert count(left, colours[0]) > 1000 and count(left, colours[1]) == 0
  assert count(right, colours[1]) > 1000 and count(right, colours[0]) == 0


def test_errors_name_the_directory(tmp_path):
  (tmp_path / "unfinished").mkdir()
  with pytest.raises(SystemExit, match="unfinished has no summary.json"):
    plot_members.read_member(str(tmp_path / "unfinished"))
  w = _member(tmp_path, "nopicture", {"seed": 0})
  (tmp_path / "nopicture" / "samples.png").unlink()
  with pytest.raises(SystemExit, match="nopicture has no samples.png"):
    plot_members.read_member(w)
  w = _member(tmp_path, "broken", {"seed": 0})
  (tmp_path / "broken" / "summary.json").write_text('{"seed": ')
  with pytest.raises(SystemExit, match="broken/summary.json is not JSON"):
    plot_members.read_member(w)
