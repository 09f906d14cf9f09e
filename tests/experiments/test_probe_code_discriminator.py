"""experiments/probe_code_discriminator.py: the estimates by hand, a fresh critic that
sees a gap and none where there is none, the wiring into tiny AAE and WAE-GAN runs,
and one-line refusals."""

import importlib
import json
import math
import os
import shutil

import jax
import numpy as np
import pytest

from experiments import probe_code_discriminator as probe_cd
from experiments import probe_codes
from gengan_jax.core import train_state as ts
from gengan_jax.data import toy_mixture
from gengan_jax.train import loop
from gengan_jax.use.loading import load
from tests.train import _runs


def _tiny_run(algorithm: str, directory: str) -> str:
  c = _runs.apply(importlib.import_module(f"experiments.configs.{algorithm}").get_config(),
                  _runs.changes("gan", 2))
  if algorithm in probe_cd.DISCRIMINATORS:
    c.model[probe_cd.DISCRIMINATORS[algorithm] + "_hidden"] = (16,)
  loop.train(c, directory, devices=jax.devices()[:1])
  return directory


def test_js_estimate_by_hand():
  zeros = np.zeros(10)
  assert probe_cd.js_estimate(zeros, zeros) == pytest.approx(0.0, abs=1e-6)  # a constant C
  # Told apart perfectly: L_D -> 0, the estimate -> log 4 / 2 = log 2.
  assert probe_cd.js_estimate(zeros + 40, zeros - 40) == pytest.approx(math.log(2), abs=1e-6)
  # C = 0.8 on prior draws, 0.2 on codes: L_D = 2 log(1 / 0.8).
  logit = math.log(4.0)
  assert probe_cd.js_estimate(zeros + logit, zeros - logit) == pytest.approx(
      (math.log(4) - 2 * math.log(1.25)) / 2, abs=1e-6)


@pytest.mark.parametrize("scale, low, high", [(1.0, -0.03, 0.03), (0.1, 0.25, math.log(2))])
def test_a_fresh_critic_sees_a_gap_only_where_there_is_one(scale, low, high):
  # Codes drawn from N(0, scale^2): the prior itself (no gap), or a tight cluster.
  def sample(key, n):
    return np.asarray(scale * jax.random.normal(key, (n, 2)))

  r = probe_cd.compare(sample, lambda z: np.zeros(len(z)), 2, (32, 32), steps=400, seeds=1,
                       num=2000)
  assert low < r["fresh"][0] < high
  assert r["own"] == pytest.approx(0.0, abs=1e-6)
  assert (r["logit_sd"], r["c_prior"], r["c_codes"]) == (0.0, 0.5, 0.5)


@pytest.mark.parametrize("algorithm", ["aae", "wae_gan"])
def test_the_runs_own_discriminator_on_the_probes_points(algorithm, tmp_path):
  run = _tiny_run(algorithm, str(tmp_path))
  r = probe_cd.probe(run, steps=20, seeds=2, num=300)
  assert (r["algorithm"], r["step"], len(r["fresh"])) == (algorithm, 2, 2)
  # The run's own estimate, recomputed from its discriminator on the probe's points
  # (compare's keys: train, valid, codes, critic).
  model = load(run)
  state, cfg = model.state, model.state.config
  discriminator = getattr(state, probe_cd.DISCRIMINATORS[algorithm])
  _, k_valid, k_codes, _ = jax.random.split(jax.random.key(0), 4)
  valid = jax.random.normal(k_valid, (300, cfg.latent_dim))
  codes = probe_cd.code_sampler(
      toy_mixture("ring"),
      lambda x, k: probe_cd.aae.codes(cfg, lambda v: ts.forward(state.encoder, v, train=False),
                                      x, k))(k_codes, 300)
  own = [np.asarray(ts.forward(discriminator, v, train=False)) for v in (valid, codes)]
  assert r["own"] == pytest.approx(probe_cd.js_estimate(*own), abs=1e-6)
  assert r["logit_sd"] == pytest.approx(own[0].std(), rel=1e-5)
  assert probe_cd.row(r).count("|") == 7


def test_a_run_without_a_code_discriminator_is_one_line(tmp_path, capsys):
  run = _tiny_run("gan", str(tmp_path))
  with pytest.raises(SystemExit, match=r"^probe_code_discriminator: .* is a gan run; .*: "
                                       r"aae, wae_gan\.$"):
    probe_cd.main([run, "--steps=5"])
  with pytest.raises(SystemExit, match=r"^probe_code_discriminator: load: no checkpoint "
                                       r"of step 3 "):
    probe_cd.main([run, "--step=3"])


@pytest.mark.parametrize("probe", [probe_cd, probe_codes])
def test_a_checkpoint_of_another_config_is_one_line(probe, tmp_path):
  # The run's checkpoint holds a code discriminator of width 16; its config now says 8.
  run = str(tmp_path / "run")
  shutil.copytree(_tiny_run("aae", str(tmp_path / "trained")), run)
  with open(os.path.join(run, "config.json")) as f:
    config = json.load(f)
  config["model"]["code_discriminator_hidden"] = [8]
  with open(os.path.join(run, "config.json"), "w") as f:
    json.dump(config, f)
  name = probe.__name__.split(".")[-1]
  with pytest.raises(SystemExit, match=rf"^{name}: checkpoint .* was written by a different "
                                       r"config"):
    probe.main([run, "--steps=5"] if probe is probe_cd else [run, "--num=50"])


@pytest.mark.parametrize("argv", [[], ["run", "--bogus=1"], ["run", "--steps=0"]])
def test_a_bad_command_is_one_usage_line(argv):
  with pytest.raises(SystemExit, match=r"usage: python -m experiments.probe_code_discriminator"):
    probe_cd.main(argv)
