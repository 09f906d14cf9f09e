"""The thin loop: outputs, and resuming equals never stopping."""

import json
import os

import jax
import ml_collections
import numpy as np
import pytest

from gengan_jax import algorithms, data, metrics
from gengan_jax.core import ConfigError
from gengan_jax.train import loop
from gengan_jax.train.writers import read_events, read_metrics


def _config(algorithm="alpha_gan", steps=6, **model):
  c = ml_collections.ConfigDict()
  c.algorithm = algorithm
  c.seed = 3
  c.model = ml_collections.ConfigDict(dict(arch="mlp", latent_dim=2, hidden=(16, 16), **model))
  if algorithm == "alpha_gan":
    c.model.code_discriminator_hidden = (16, 16, 16)
  c.data = ml_collections.ConfigDict(dict(source="toy", name="ring", batch_size=16))
  c.train = ml_collections.ConfigDict(dict(
      steps=steps, log_every=2, checkpoint_every=2, keep_checkpoints=2,
      plot_every=0, eval_samples=200, progress=False))
  return c


def _params(state):
  return [np.asarray(x) for x in jax.tree.leaves(jax.device_get(state))]


def test_train_writes_outputs(tmp_path):
  # The grid, not the ring: no sample of a 6-step run comes within 3 std
  # (0.03) of a ring mode, so its evaluation is all zeros whatever the samples;
  # the grid's centre mode (0, 0) (std 0.05) is where the untrained
  # generator's samples are, so some of them are high quality.
  c = _config()
  c.data.name = "grid"
  summary, state = loop.train(c, str(tmp_path))
  assert summary["step"] == 6 and int(state.step) == 6
  for name in ("config.json", "metrics.jsonl", "summary.json", "samples.png"):
    assert (tmp_path / name).is_file(), name
  records = read_metrics(str(tmp_path / "metrics.jsonl"))
  # TensorBoard gets the same scalars, step by step (one events file per run).
  (events,) = os.listdir(tmp_path / "tensorboard")
  assert read_events(str(tmp_path / "tensorboard" / events)) == [
      (r["step"], k, pytest.approx(v, rel=1e-6, nan_ok=True))
      for r in records for k, v in r.items() if k != "step"]
  assert not (tmp_path / ".lock").exists()  # the work directory's lock is given back
  logged = [r["step"] for r in records if "generator_loss" in r]
  assert logged == [2, 4, 6]
  assert all(np.isfinite(r["generator_loss"]) for r in records if "generator_loss" in r)
  evaluation = json.loads((tmp_path / "summary.json").read_text())["evaluation"]
  # The evaluation is mode coverage of eval_samples=200 samples of the final
  # state, drawn with the run's evaluation key (the third of
  # split(key(seed), 3)): recomputed here, every field must match. Another key,
  # another sample count or the initial state give another high-quality
  # fraction (0.19, 0.215, 0.14, 0.22 instead of 0.21).
  eval_key = jax.random.split(jax.random.key(c.seed), 3)[2]
  samples = jax.jit(algorithms.get("alpha_gan").sample, static_argnums=2)(state, eval_key, 200)
  grid = data.toy_mixture("grid")
  direct = metrics.mode_coverage(np.asarray(samples), grid.means, grid.std)
  assert evaluation["num_modes"] == direct.num_modes == 25
  # Only the centre mode: the samples (spread ~0.25 around it) are ~7 of
  # their std from the next modes, at distance 2.
  assert evaluation["modes_covered"] == direct.modes_covered == 1
  assert evaluation["high_quality_fraction"] == direct.high_quality_fraction > 0.0
  # All high-quality samples in one mode: KL(q || uniform) = log 25.
  assert evaluation["reverse_kl"] == pytest.approx(direct.reverse_kl, rel=1e-12)
  assert evaluation["reverse_kl"] == pytest.approx(np.log(25.0), rel=1e-12)
  assert summary["evaluation"] == evaluation
  # keep_checkpoints=2: steps 4 and 6 remain.
  assert sorted(int(d) for d in os.listdir(tmp_path / "checkpoints")) == [4, 6]


@pytest.mark.parametrize("algorithm", ["alpha_gan", "wgan_gp"])
def test_resume_equals_never_stopping(tmp_path, algorithm):
  """Bit for bit (under the suite's cheap compiles: XLA's default pipeline
  compiles the same HLO, ``tests/test_conftest.py``)."""
  _, straight = loop.train(_config(algorithm, steps=6), str(tmp_path / "straight"))
  _, first = loop.train(_config(algorithm, steps=4), str(tmp_path / "resumed"))
  assert int(first.step) == 4
  summary, resumed = loop.train(_config(algorithm, steps=6), str(tmp_path / "resumed"))
  assert summary["step"] == 6
  for a, b in zip(_params(straight), _params(resumed), strict=True):
    np.testing.assert_array_equal(a, b)


def test_image_run_writes_grid_and_reconstructions(tmp_path):
  x = np.random.default_rng(0).integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
  np.savez(tmp_path / "digits.npz", x=x)
  c = _config("alpha_gan", steps=4)
  c.train.plot_every = 2
  c.model = ml_collections.ConfigDict(dict(arch="dcgan", latent_dim=4, base_features=4,
                                           code_discriminator_hidden=(8, 8, 8)))
  c.data = ml_collections.ConfigDict(dict(source="npz", path=str(tmp_path / "digits.npz"),
                                          batch_size=8))
  summary, _ = loop.train(c, str(tmp_path / "run"))
  assert summary["evaluation"] == {}
  assert (tmp_path / "run" / "samples.png").is_file()
  assert (tmp_path / "run" / "reconstructions.png").is_file()
  assert (tmp_path / "run" / "pictures" / "samples_0000002.png").is_file()
  # Images have no toy evaluation: the mid-run pictures add no metrics record
  # (a line of only a step number), as the final evaluation adds none.
  records = [json.loads(line) for line in open(tmp_path / "run" / "metrics.jsonl")]
  assert [r["step"] for r in records] == [2, 4]
  assert all(len(r) > 1 for r in records)


@pytest.mark.parametrize("change, message", [
    (lambda c: c.model.update(dict(latent_dimm=3)), r"unknown config key.*model\.latent_dimm"),
    (lambda c: setattr(c, "model", ml_collections.ConfigDict(dict(arch="mlp", latent_dim="two"))),
     r"model\.latent_dim='two'.*wrong type"),
    (lambda c: c.model.update(dict(generator_optimizer=dict(learning_rate=-1.0))),
     r"model\.generator_optimizer\.learning_rate=-1\.0.*> 0"),
    (lambda c: c.update(dict(algorithm="vaegan")), r"algorithm='vaegan'.*alpha_gan"),
    (lambda c: c.data.update(dict(batch_size=12)), r"batch_size=12.*divisible"),
    (lambda c: c.train.update(dict(stepz=3)), r"unknown config key.*train\.stepz"),
    (lambda c: c.model.update(dict(code_penalty="kl")), r"code_penalty='kl'.*'empirical_kl'"),
])
def test_bad_configs_fail_before_compiling(tmp_path, change, message):
  c = _config()
  with c.unlocked():
    change(c)
  with pytest.raises((ConfigError, ValueError), match=message):
    loop.Experiment(c)
