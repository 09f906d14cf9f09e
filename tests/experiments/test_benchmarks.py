"""The benchmark harnesses run end to end on tiny settings and print their
tables (timings are never asserted: a benchmark is not a test)."""

import json
import re

import jax
import numpy as np
import pytest

from experiments.benchmarks import layers, run
from gengan_jax import algorithms


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



def test_step_benchmark_times_torch_compile_beside_eager(tmp_path):
  """With PyTorch installed (the `bench` extra; CI has none: skipped), each row
  times the eager reference and its torch.compile-d step, or names in one line
  why a step does not compile. The `aot_eager` backend traces the graphs that
  inductor would compile without generating code (fast)."""
  pytest.importorskip("torch")
  out = tmp_path / "bench.json"
  run.main(["--algorithms=dcgan,wgan_gp", "--kinds=ring", "--multi_steps=1",
            "--warmup=1", "--rounds=1", "--repeats=1", "--no_eval",
            "--torch_threads=1", "--torch_compile_backend=aot_eager",
            f"--json={out}", f"--markdown={tmp_path / 'bench.md'}"])
  dcgan, wgan_gp = json.loads(out.read_text())["rows"]
  assert dcgan["torch_ms"] > 0 and dcgan["compiled_ms"] > 0
  assert dcgan["compiled_warmup_s"] > 0
  assert dcgan["compiled_ratio"] == pytest.approx(dcgan["compiled_ms"] / dcgan["jax_ms"])
  # opt.zero_grad() and loss.backward() break Dynamo's graph at every update.
  graphs, breaks = map(int, re.search(
      r"torch\.compile: (\d+) graphs, (\d+) graph breaks", dcgan["note"]).groups())
  assert graphs >= 2 and breaks >= 2, dcgan["note"]
  # A gradient penalty's double backward through AOTAutograd: recorded, not raised.
  assert wgan_gp["torch_ms"] > 0 and wgan_gp["compiled_ms"] is None
  assert "torch.compile failed: RuntimeError" in wgan_gp["note"]
  assert "double backward" in wgan_gp["note"]
  table = (tmp_path / "bench.md").read_text()
  assert "| step ms (torch.compile) | torch.compile/JAX |" in table
  assert re.search(r"\| wgan_gp \| ring \(jit\) \|( [^|]+ \|){3} n/a \| n/a \|", table)


def test_a_compiled_step_that_trains_nothing_is_recorded_as_failed(monkeypatch):
  """A compiled step must change every network during its warm-up: one that
  leaves them as they were (as Dynamo's trace_autograd_ops did, with every
  .grad unset) is named in the row instead of being timed."""
  pytest.importorskip("torch")
  import argparse
  from experiments.benchmarks import torch_reference
  c = run._config("dcgan", "ring", 64, 8)
  cfg = algorithms.from_mapping(algorithms.get("dcgan").Config, c.model)
  make_ref = lambda: torch_reference.make("dcgan", cfg, (2,), 8)
  x = torch_reference.to_torch_batches(run._data(c, 1, 1)[0])
  args = argparse.Namespace(torch_compile_mode="default",
                            torch_compile_backend="aot_eager")
  step, warmup_s, note = run.compiled_torch_step(make_ref, x, args)
  assert step is not None and warmup_s > 0, note
  monkeypatch.setattr(torch_reference, "compile_step",
                      lambda ref, **kw: lambda batches: None)
  assert run.compiled_torch_step(make_ref, x, args) == (
      None, None, "torch.compile failed: the step left ['G', 'D'] unchanged")


@pytest.mark.parametrize("name", ["vae", "real_nvp_mle"])
def test_likelihood_references_descend_their_loss(monkeypatch, name):
  """The PyTorch VAE and Real NVP references: same parameter count as the JAX
  networks, and their loss falls on a repeated batch. The flow starts as the
  identity (zero last layers), so its first loss is the closed form
  -mean log N(x; 0, I) (= the JAX step's first nll)."""
  pytest.importorskip("torch")
  from experiments.benchmarks import torch_reference
  c = run._config(name, "ring", 64, 64)
  algo = algorithms.get(name)
  cfg = algorithms.from_mapping(algo.Config, c.model)
  x = run._data(c, 1, 1)[0]  # [1, B, 2]
  ref = torch_reference.make(name, cfg, x.shape[2:], x.shape[1])
  state = algo.init(jax.random.key(0), cfg, x[0])
  assert (sum(p.numel() for g in ref.opt.param_groups for p in g["params"])
          == sum(v.size for v in jax.tree.leaves(
              [n.params for n in state.networks().values()])))
  losses = []
  update = torch_reference.update
  monkeypatch.setattr(torch_reference, "update",
                      lambda opt, loss: (losses.append(float(loss)), update(opt, loss)))
  for _ in range(30):
    ref.step(torch_reference.to_torch_batches(x))
  assert losses[-1] < losses[0] - 0.05, losses
  if name == "real_nvp_mle":
    closed_form = np.mean(0.5 * np.sum(x[0] ** 2, -1) + np.log(2 * np.pi))
    assert losses[0] == pytest.approx(closed_form, rel=1e-5)
