"""Bad input fails before anything is compiled, with one line naming the
setting and what is valid."""

import gzip
import os
import subprocess
import sys

import jax
import ml_collections
import numpy as np
import pytest

from gengan_jax import algorithms
from gengan_jax.core import ConfigError
from gengan_jax.train import loop, settings
from tests.data._idx_writer import write_mnist
from tests.train import _runs

_COMPILES = []
jax.monitoring.register_event_duration_secs_listener(
    lambda event, duration, **kw: _COMPILES.append(event)
    if "backend_compile" in event else None)


def _images(tmp_path, size, n=16):
  x = np.random.default_rng(0).integers(0, 256, size=(n, size, size), dtype=np.uint8)
  np.savez(tmp_path / f"img{size}.npz", x=x)
  return str(tmp_path / f"img{size}.npz")


def _dcgan(c):
  c.model = ml_collections.ConfigDict(dict(arch="dcgan", latent_dim=4, base_features=4,
                                           code_discriminator_hidden=(8,)))


def _set(key, value):
  """A change that sets the dotted ``key`` to ``value`` (any type, even a new key)."""
  def change(c):
    d = c.to_dict()
    *parents, leaf = key.split(".")
    node = d
    for p in parents:
      node = node[p]
    node[leaf] = value.to_dict() if hasattr(value, "to_dict") else value
    return ml_collections.ConfigDict(d)
  return change


def _npz(size, arch="dcgan"):
  def change(c, tmp_path):
    c.data = ml_collections.ConfigDict(dict(source="npz", path=_images(tmp_path, size),
                                            batch_size=8))
    if arch == "dcgan":
      _dcgan(c)
  return change


def _nonfinite_npz(c, tmp_path):
  """40 points with a NaN in example 7 and two Inf in example 12."""
  x = np.random.default_rng(0).normal(size=(40, 2)).astype(np.float32)
  x[7, 1] = np.nan
  x[12] = np.inf
  np.savez(tmp_path / "points.npz", x=x)
  c.data = ml_collections.ConfigDict(dict(source="npz", path=str(tmp_path / "points.npz"),
                                          batch_size=8))


def _idx(files):
  def change(c, tmp_path):
    d = tmp_path / "mnist"
    os.makedirs(d, exist_ok=True)
    files(d)
    c.data = ml_collections.ConfigDict(dict(source="idx", directory=str(d), split="train",
                                            batch_size=8))
  return change


def _stacked(files):
  def change(c, tmp_path):
    _idx(files)(c, tmp_path)
    c.data.source = "stacked_mnist"
  return change


def _truncated_idx(d):
  write_mnist(str(d), "train", 10)
  for name in os.listdir(d):
    if "images" in name:
      p = os.path.join(d, name)
      raw = open(p, "rb").read()
      if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
      with open(p.removesuffix(".gz"), "wb") as f:
        f.write(raw[:len(raw) // 2])
      if p.endswith(".gz"):
        os.remove(p)


def _not_gzip(d):
  with open(os.path.join(d, "train-images-idx3-ubyte.gz"), "wb") as f:
    f.write(b"\x1f\x8b" + b"garbage" * 10)


CASES = {
    # unknown keys, at every level
    "top-level key": (_set("trian", {}), r"unknown config key\(s\) trian; valid keys are: "
                                         r"algorithm, seed, model, data, train"),
    "data key": (_set("data.limt", 3), r"unknown config key\(s\) data\.limt; valid keys are: "
                                       r"source, batch_size, name"),
    "train key": (_set("train.stepz", 3), r"unknown config key\(s\) train\.stepz"),
    "model key": (_set("model.latent_dimm", 3), r"unknown config key\(s\) model\.latent_dimm"),
    # wrong types
    "seed type": (_set("seed", "3"), r"seed='3' has the wrong type: expected an integer >= 0"),
    "steps bool": (_set("train.steps", True), r"train\.steps=True has the wrong type"),
    "progress type": (_set("train.progress", "yes"), r"train\.progress='yes' has the wrong "
                                                     r"type: expected true or false"),
    "batch type": (_set("data.batch_size", 16.0), r"data\.batch_size=16\.0 has the wrong type"),
    "model type": (_set("model.latent_dim", "two"), r"model\.latent_dim='two'.*wrong type"),
    "path type": (_set("data", dict(source="npz", path=3, batch_size=8)),
                  r"data\.path=3 has the wrong type"),
    # out of range
    "negative lr": (_set("model.generator_optimizer", dict(learning_rate=-1.0)),
                    r"model\.generator_optimizer\.learning_rate=-1\.0 is invalid: must be > 0"),
    "negative steps": (_set("train.steps", -5), r"train\.steps=-5 is invalid: must be an "
                                                r"integer >= 1"),
    "negative plot_every": (_set("train.plot_every", -1), r"train\.plot_every=-1 is invalid: "
                                                          r"must be an integer >= 0"),
    "no checkpoints kept": (_set("train.keep_checkpoints", 0), r"train\.keep_checkpoints=0 is "
                                                               r"invalid: must be an integer >= 1"),
    "zero batch": (_set("data.batch_size", 0), r"data\.batch_size=0 is invalid: must be an "
                                               r"integer >= 1"),
    "batch vs devices": (_set("data.batch_size", 12), r"data\.batch_size=12 is invalid: it must "
                                                      r"be divisible by the number of devices "
                                                      r"\(8\)"),
    "consecutive skips": (_set("train.max_consecutive_skips", 0),
                          r"train\.max_consecutive_skips=0 is invalid: must be an integer >= 1"),
    "nonfinite policy": (_set("train.nonfinite", "ignore"), r"train\.nonfinite='ignore' is "
                                                            r"invalid: valid choices are 'stop', "
                                                            r"'skip'"),
    # names
    "algorithm": (_set("algorithm", "vaegan"), r"algorithm='vaegan' is invalid: valid choices "
                                               r"are .*alpha_gan"),
    "data source": (_set("data.source", "s3"), r"data\.source='s3' is invalid: valid choices"),
    "toy name": (_set("data.name", "spiral"), r"data\.name='spiral' is invalid: .*ring"),
    # data that does not exist or does not parse, or does not fit the networks
    "missing directory": (_set("data", ml_collections.ConfigDict(dict(
        source="idx", directory="/nonexistent/mnist", split="train", batch_size=8))),
        r"data\.directory='/nonexistent/mnist' is invalid: must be an existing directory"),
    "missing file": (_set("data", ml_collections.ConfigDict(dict(
        source="npz", path="/nonexistent/x.npz", batch_size=8))),
        r"data\.path='/nonexistent/x\.npz' is invalid: must be an existing file"),
    "missing split": (_idx(lambda d: None), r"data\.directory=.* is invalid: .*train"),
    "truncated idx": (_idx(_truncated_idx), r"data\.directory=.* is invalid: read_idx: .* is "
                                            r"truncated"),
    "corrupt gzip": (_idx(_not_gzip), r"data\.directory=.* is invalid: read_idx: .* corrupt or "
                                      r"truncated gzip"),
    # (once a raw KeyError: the loop had no key to blame for stacked_mnist)
    "stacked_mnist without labels": (
        _stacked(lambda d: write_mnist(str(d), "train", 10, labels=False)),
        r"data\.directory=.* is invalid: make_dataset: source 'stacked_mnist' needs the "
        r"labels file of split 'train'"),
    "truncated stacked_mnist": (_stacked(_truncated_idx), r"data\.directory=.* is invalid: "
                                                         r"read_idx: .* is truncated"),
    "non-finite data": (_nonfinite_npz, r"data\.path='.*points\.npz' is invalid: the data "
                                        r"holds 3 non-finite value\(s\) \(NaN or Inf\) in 2 "
                                        r"of 40 examples; the first is example 7\."),
    "image size vs dcgan": (_npz(30), r"model\.arch='dcgan' does not fit the data 'img30' \(one "
                                      r"example has shape \(30, 30, 1\)\).*28, 32, 64"),
    "images vs mlp": (_npz(28, arch="mlp"), r"model\.arch='mlp' does not fit the data 'img28' "
                                            r"\(one example has shape \(28, 28, 1\)\)"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_fails_before_compiling_with_one_line(tmp_path, name):
  change, message = CASES[name]
  c = _runs.config("alpha_gan", 4)
  if change.__code__.co_argcount == 2:
    change(c, tmp_path)
  else:
    c = change(c)
  _COMPILES.clear()
  with pytest.raises(ConfigError, match=message) as e:
    loop.Experiment(c)
  assert "\n" not in str(e.value)
  assert not _COMPILES, "compiled something before rejecting the config"


def test_train_section_is_typed_with_defaults():
  assert settings.train_config({}) == settings.TrainConfig()
  t = settings.train_config(ml_collections.ConfigDict(dict(steps=7, nonfinite="skip")))
  assert (t.steps, t.nonfinite, t.log_every, t.steps_per_call) == (7, "skip", 100, 1)
  with pytest.raises(ConfigError, match=r"^config value steps=0 is invalid: must be an "
                                        r"integer >= 1\.$"):
    settings.TrainConfig(steps=0)
  with pytest.raises(ConfigError, match=r"unknown config key\(s\) train\.stepz for TrainConfig; "
                                        r"valid keys are: checkpoint_every, ema_decay, eval_samples"):
    settings.train_config(dict(stepz=3))


def test_data_section_common_keys_are_typed():
  d = settings.data_config(ml_collections.ConfigDict(dict(source="toy", name="ring",
                                                          batch_size=8)))
  assert d == settings.DataConfig(source="toy", batch_size=8)
  with pytest.raises(ConfigError, match=r"^config is missing data\.batch_size: set it to an "
                                        r"integer >= 1\.$"):
    settings.data_config(dict(source="toy"))
  with pytest.raises(ConfigError, match=r"^config is missing data\.source: set it to one of "
                                        r"idx, npz, stacked_mnist, tfds, toy\.$"):
    settings.data_config(dict(batch_size=8))
  with pytest.raises(ConfigError, match=r"^config value data\.batch_size='8' has the wrong "
                                        r"type: expected an integer\.$"):
    settings.data_config(dict(source="toy", batch_size="8"))


def test_unknown_fgan_divergence_is_named():
  c = _runs.config("alpha_gan", 4)
  c.algorithm = "fgan"
  c.model = ml_collections.ConfigDict(dict(arch="mlp", latent_dim=2, hidden=(16,),
                                           critic_divergence="kl2"))
  with pytest.raises(ConfigError, match=r"model\.critic_divergence='kl2'.*'gan'"):
    loop.Experiment(c)


@pytest.mark.parametrize("flag, message", [
    ("--config.train.nonfinite=ignore",
     "error: config value train.nonfinite='ignore' is invalid: valid choices are 'stop', "
     "'skip'."),
    ("--config.train.nonfinit=skip",
     "error: unknown config key in --config.train.nonfinit: the config has no 'nonfinit'. "
     'Did you mean "nonfinite"'),
    ("--config.model.latent_dimm=3",  # a key the file lacks: added, then checked by Config
     "error: unknown config key(s) model.latent_dimm for Config; valid keys are: "),
    ("--config.model.generator_optimizer.schedul=cosine",
     "error: unknown config key(s) model.generator_optimizer.schedul for OptimizerConfig; "
     "valid keys are: "),
    ("--config.data.name=spiral", "error: config value data.name='spiral' is invalid: "
                                  "toy_mixture: unknown name 'spiral'; valid names: ['grid', "
                                  "'ring']."),
    ("--config.model.generator_optimizer.learning_rate=-0.1",
     "error: config value model.generator_optimizer.learning_rate=-0.1 is invalid: must be > 0."),
])
def test_entry_point_prints_one_error_line(tmp_path, flag, message):
  res = _runs.run(str(tmp_path / "run"), "alpha_gan", 4, extra=[flag], timeout=120)
  assert res.returncode == 1
  assert "Traceback" not in res.stderr
  assert res.stderr.strip().splitlines()[-1].startswith(message), res.stderr[-2000:]
  assert not os.path.exists(tmp_path / "run" / "checkpoints")


def test_entry_point_missing_mnist_directory(tmp_path):
  cmd = [sys.executable, "-m", "experiments.train",
         "--config=experiments/configs/dcgan.py:mnist", f"--workdir={tmp_path / 'run'}",
         "--config.data.directory=/nonexistent/mnist"]
  res = subprocess.run(cmd, cwd=_runs.ROOT, env=_runs.env(), capture_output=True, text=True,
                       timeout=120)
  assert res.returncode == 1 and "Traceback" not in res.stderr
  assert res.stderr.strip().splitlines()[-1] == (
      "error: config value data.directory='/nonexistent/mnist' is invalid: must be an "
      "existing directory (no such file or directory).")


# The library's configs: one per registered algorithm (tests/experiments/test_configs.py).
LIBRARY_CONFIGS = ", ".join(sorted(algorithms.REGISTRY))


@pytest.mark.parametrize("config, message", [
    ("experiments/configs/dcgan.py:spiral",
     "error: config variant 'spiral' (the text after ':' in --config=<file>.py:<variant>) "
     "is invalid: valid variants are 'ring', 'grid', 'mnist' (default 'ring'), and the papers' "
     "protocols 'pacgan_ring', 'pacgan_grid', 'veegan_ring', 'veegan_grid'; alpha_gan, dcgan, "
     "wgan_gp, age also take the alpha-GAN paper's image variants 'stacked_mnist', 'cifar10', "
     "'celeb_a'; dcgan, gan, alpha_gan take PacGAN's Stacked MNIST variants "
     "'pacgan_stacked_mnist', 'pacgan_stacked_mnist_d4', 'pacgan_stacked_mnist_d2'."),
    ("experiments/configs/dcgan_ring.py",
     "error: cannot load the config file 'experiments/configs/dcgan_ring.py'; --config is a "
     f"config file[:variant], or the name of one of the library's configs ({LIBRARY_CONFIGS})"
     "[:ring|grid|mnist]."),
    ("dcgan_ring:grid",
     "error: cannot load the config file 'dcgan_ring'; --config is a "
     f"config file[:variant], or the name of one of the library's configs ({LIBRARY_CONFIGS})"
     "[:ring|grid|mnist]."),
])
def test_entry_point_bad_config_file_is_one_line(tmp_path, config, message):
  cmd = [sys.executable, "-m", "experiments.train", f"--config={config}",
         f"--workdir={tmp_path / 'run'}"]
  res = subprocess.run(cmd, cwd=_runs.ROOT, env=_runs.env(), capture_output=True, text=True,
                       timeout=120)
  assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr[-2000:]
  assert res.stderr.strip().splitlines() == [message]
