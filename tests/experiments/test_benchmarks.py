"""The benchmark harnesses run end to end on tiny settings and print their
tables (timings are never asserted: a benchmark is not a test)."""

import json
import re

import pytest

from experiments.benchmarks import layers, run


@pytest.mark.parametrize("with_torch", [True, False])
def test_layer_probe_prints_every_form_of_every_layer(capsys, monkeypatch, with_torch):
  if not with_torch:  # PyTorch is an optional extra: the probe runs without it.
    monkeypatch.setattr(layers, "torch", None)
  layers.main(["--batch_size=2", "--repeats=1", "--scan_length=1",
               "--torch_threads=1"])
  rows = [r for r in capsys.readouterr().out.splitlines()
          if re.match(r"\| \d+x\d+x\d+ <-> ", r)]
  assert len(rows) == len(layers.LAYERS) * 7
  for r in rows:
    cells = [c.strip() for c in r.strip("|").split("|")]
    assert len(cells) == 7, r
    float(cells[2]), float(cells[5])  # GFLOP, GFLOP/s
    assert float(cells[3]) > 0 and float(cells[4]) > 0  # ms: top level, in scan
    assert (cells[6] == "-") == (layers.torch is None)


def test_step_benchmark_writes_its_table(tmp_path):
  out = tmp_path / "bench.json"
  run.main(["--algorithms=dcgan", "--kinds=ring", "--multi_steps=2", "--warmup=1",
            "--rounds=1", "--repeats=1", "--no_eval", "--no_torch",
            f"--json={out}", f"--markdown={tmp_path / 'bench.md'}"])
  rows = json.loads(out.read_text())["rows"]
  assert [r["setting"] for r in rows] == ["ring (jit)", "ring (scan x2)"]
  assert all(r["jax_ms"] > 0 and r["gflop_per_step"] > 0 for r in rows)
  assert "| dcgan | ring (scan x2) |" in (tmp_path / "bench.md").read_text()
