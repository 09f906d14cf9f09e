"""experiments/probe_mmd_critic.py: its geometry by hand, the wiring into a tiny MMD-GAN
run, and one-line refusals."""

import importlib

import jax
import numpy as np
import pytest

from experiments import probe_mmd_critic as probe
from gengan_jax.core import train_state as ts
from gengan_jax.data import toy_mixture
from gengan_jax.train import loop
from gengan_jax.use.loading import load
from tests.train import _runs


def _tiny_run(algorithm: str, directory: str) -> str:
  c = _runs.apply(importlib.import_module(f"experiments.configs.{algorithm}").get_config(),
                  _runs.changes("gan", 2))
  loop.train(c, directory, devices=jax.devices()[:1])
  return directory


def test_neighbours_folds_and_segments_by_hand():
  grid, ring = toy_mixture("grid").means, toy_mixture("ring").means
  assert len(probe.neighbour_pairs(grid)[0]) == 40  # 5 rows and 5 columns of 4 segments
  assert len(probe.neighbour_pairs(ring)[0]) == 8
  pairs = probe.neighbour_pairs(grid)
  # f(x, y) = (max(x, -2), y) maps the column x = -4 onto x = -2: one folded pair a row.
  features = np.c_[np.maximum(grid[:, 0], -2.0), grid[:, 1]]
  is_folded = probe.folded(features, pairs)
  assert is_folded.sum() == 5
  assert all(grid[pairs[0][k], 0] == -4 and grid[pairs[1][k], 0] == -2
             for k in np.flatnonzero(is_folded))
  segment, distance = probe.nearest_segment(np.array([[1.0, 0.1], [-4.05, 3.0]]), grid, pairs)
  np.testing.assert_allclose(distance, [0.1, 0.05], atol=1e-6)
  ends = {tuple(sorted(map(tuple, (grid[pairs[0][k]], grid[pairs[1][k]])))) for k in segment}
  assert ends == {((0.0, 0.0), (2.0, 0.0)), ((-4.0, 2.0), (-4.0, 4.0))}
  x = np.random.default_rng(0).normal(size=(500, 2))
  assert probe.affine_share(x, x @ np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0]]) + 1) == (
      pytest.approx(1.0))
  assert probe.affine_share(x, x ** 2) < 0.05


def test_a_tiny_run_and_its_row(tmp_path):
  run = _tiny_run("mmd_gan", str(tmp_path))
  r = probe.probe(run, num=300)
  assert (r["step"], r["pairs"], r["bandwidths"]) == (2, 8, (0.1, 0.2, 0.5, 1.0, 2.0))
  # The feature scale, recomputed from the checkpoint's critic on the probe's points.
  state = load(run).state
  mixture = toy_mixture("ring")
  rng = np.random.default_rng(0)
  modes = rng.integers(mixture.num_modes, size=300)
  x = (mixture.means[modes] + mixture.std * rng.standard_normal((300, 2))).astype(np.float32)
  fx = np.asarray(ts.forward(state.critic, x, train=False))
  assert r["feature_sd"] == pytest.approx(float(fx.std(0).mean()), rel=1e-5)
  assert 0.0 <= r["off_mode"] <= 1.0 and 0 <= r["folded"] <= 8
  assert probe.row(r).count("|") == 10


def test_other_runs_and_bad_arguments_are_one_line(tmp_path):
  run = _tiny_run("gan", str(tmp_path))
  with pytest.raises(SystemExit, match=r"^probe_mmd_critic: .* is a gan run; the probe reads "
                                       r"an mmd_gan run's critic\.$"):
    probe.main([run])
  with pytest.raises(SystemExit, match=r"^probe_mmd_critic: load: no checkpoint of step 3 "):
    probe.main([run, "--step=3"])
  with pytest.raises(SystemExit, match=r"^usage: python -m experiments.probe_mmd_critic"):
    probe.main([run, "--bins=3"])
