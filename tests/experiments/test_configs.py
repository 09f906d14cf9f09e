"""The experiment configs: one file per algorithm, data variants chosen as in
big_vision (``--config=experiments/configs/dcgan.py:grid``); every variant
builds and validates; the MNIST folder comes from one setting; the data
source can be switched on the command line."""

import glob
import os

import numpy as np
import pytest
import tensorflow_datasets as tfds
from absl import flags
from ml_collections import config_flags

from gengan_jax.configs import common
from gengan_jax import algorithms, data
from gengan_jax.core import ConfigError
from gengan_jax.train import loop
from tests.data._idx_writer import write_mnist
from tests.experiments._config_files import ROOT, config_module as _module

CONFIGS = sorted(p for p in glob.glob(os.path.join(ROOT, "experiments", "configs", "*.py"))
                 if not os.path.basename(p).startswith(("_", "common")))
ALGORITHMS = [os.path.basename(p)[:-3] for p in CONFIGS]


def _parse(*argv):
  """The config as the entry point gets it: ml_collections' flag parsing, locked."""
  argv = ["train"] + list(argv)
  fv = flags.FlagValues()
  config_flags.DEFINE_config_file("config", None, "", flag_values=fv, lock_config=True,
                                  sys_argv=argv)
  fv(argv)
  return fv.config


@pytest.fixture
def mnist_dir(tmp_path, monkeypatch):
  """A folder of 16 tiny MNIST digits, as ``$GENGAN_MNIST_DIR``."""
  d = tmp_path / "mnist"
  d.mkdir()
  write_mnist(str(d), "train5k", 16, seed=0)
  monkeypatch.setenv(common.MNIST_ENV, str(d))
  return str(d)


@pytest.fixture
def no_mnist(tmp_path, monkeypatch):
  """A machine without the digits: no ``$GENGAN_MNIST_DIR``, no shared folder."""
  monkeypatch.delenv(common.MNIST_ENV, raising=False)
  monkeypatch.setattr(common, "SHARED_MNIST_DIR", str(tmp_path / "no_shared_mnist"))


def _npz(tmp_path, shape, dtype=np.uint8):
  rng = np.random.default_rng(0)
  x = (rng.integers(0, 256, size=shape).astype(dtype) if dtype == np.uint8
       else rng.normal(size=shape).astype(dtype))
  path = str(tmp_path / f"x{len(shape)}.npz")
  np.savez(path, x=x)
  return path


def test_one_config_file_per_algorithm():
  assert sorted(ALGORITHMS) == sorted(algorithms.REGISTRY)
  # the old per-variant files are gone
  assert not glob.glob(os.path.join(ROOT, "experiments", "configs", "*_ring.py"))


@pytest.mark.parametrize("variant", common.VARIANTS)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_variant_builds_and_validates(algorithm, variant, mnist_dir):
  c = _module(algorithm).get_config(variant)
  c.lock()
  assert c.algorithm == algorithm
  exp = loop.Experiment(c)  # validates every section, reads the data, checks the fit
  assert exp.algo_config.arch == ("dcgan" if variant == "mnist" else "mlp")
  if variant == "mnist":
    assert c.data.directory == mnist_dir
    assert exp.dataset.element_shape == (28, 28, 1) and len(exp.dataset) == 16
  else:
    assert c.data.name == variant and variant in data.PRESETS
    assert c.train.eval_samples == 2500  # the VEEGAN/PacGAN protocol
  # The grid variant is the ring's settings on another mixture, except the
  # settings of PER_MIXTURE, which must differ.
  if variant == "grid":
    ring = _module(algorithm).get_config("ring").to_dict()
    ring["data"]["name"] = "grid"
    grid = c.to_dict()
    for key in PER_MIXTURE.get(algorithm, ()):
      assert grid["model"][key] != ring["model"][key], key
      ring["model"][key] = grid["model"][key]
    assert grid == ring


# Model settings a config sets per mixture, and why: AGE's data reconstruction
# weight scales with the data's squared size (docs/results.md, "AGE on the ring");
# VQ-VAE's codebook needs more codes than the mixture has modes (16 cannot
# cover the grid's 25; docs/results.md, "The rest of the family on the grid").
PER_MIXTURE = {"age": ("lambda_x",), "vq_vae": ("num_codes",)}


def test_ring_is_the_default_variant():
  module = _module("dcgan")
  assert module.get_config().to_dict() == module.get_config("ring").to_dict()
  assert module.get_config("").to_dict() == module.get_config("ring").to_dict()
  assert _parse(f"--config={ROOT}/experiments/configs/dcgan.py").data.name == "ring"
  assert _parse(f"--config={ROOT}/experiments/configs/dcgan.py:grid").data.name == "grid"


def test_unknown_variant_names_the_valid_ones():
  with pytest.raises(ConfigError) as e:
    _module("dcgan").get_config("spiral")
  assert str(e.value) == (
      "config variant 'spiral' (the text after ':' in --config=<file>.py:<variant>) is "
      "invalid: valid variants are 'ring', 'grid', 'mnist' (default 'ring'), and the papers' "
      "protocols 'pacgan_ring', 'pacgan_grid', 'veegan_ring', 'veegan_grid'; alpha_gan, dcgan, "
      "wgan_gp, age also take the alpha-GAN paper's image variants 'stacked_mnist', 'cifar10', "
      "'celeb_a'; dcgan, gan, alpha_gan take PacGAN's Stacked MNIST variants "
      "'pacgan_stacked_mnist', 'pacgan_stacked_mnist_d4', 'pacgan_stacked_mnist_d2'.")


def test_mnist_directory_from_the_environment(mnist_dir):
  c = _module("alpha_gan").get_config("mnist")
  assert c.data.directory == mnist_dir
  assert loop.Experiment(c).dataset.name == "idx/train5k"


def test_mnist_directory_falls_back_to_the_shared_folder(tmp_path, monkeypatch, no_mnist):
  shared = tmp_path / "shared_mnist"
  shared.mkdir()
  write_mnist(str(shared), "train5k", 8)
  monkeypatch.setattr(common, "SHARED_MNIST_DIR", str(shared))
  assert _module("dcgan").get_config("mnist").data.directory == str(shared)
  monkeypatch.setenv(common.MNIST_ENV, str(tmp_path / "elsewhere"))  # the variable wins
  assert _module("dcgan").get_config("mnist").data.directory == str(tmp_path / "elsewhere")


def test_missing_mnist_fails_in_one_line_that_says_how(no_mnist):
  c = _module("dcgan").get_config("mnist")
  with pytest.raises(ConfigError) as e:
    loop.Experiment(c)
  text = str(e.value)
  assert "\n" not in text
  assert text.startswith("config value data.directory='<no MNIST digits: set GENGAN_MNIST_DIR "
                         "or --config.data.directory to a folder with the IDX gzip files "
                         "train5k-images-idx3-ubyte.gz")
  assert "--config.data.source=tfds" in text
  assert text.endswith("is invalid: must be an existing directory (no such file or directory).")


def test_switch_source_on_the_command_line_mnist_to_npz(tmp_path, no_mnist):
  # A clone without the digits: the mnist variant on an npz file of images.
  path = _npz(tmp_path, (12, 28, 28))
  c = _parse(f"--config={ROOT}/experiments/configs/dcgan.py:mnist",
             "--config.data.source=npz", f"--config.data.path={path}",
             "--config.data.limit=10")
  exp = loop.Experiment(c)
  assert exp.dataset.name == "x3" and len(exp.dataset) == 10
  assert exp.dataset.element_shape == (28, 28, 1)


def test_switch_source_on_the_command_line_ring_to_npz(tmp_path):
  path = _npz(tmp_path, (40, 2), np.float32)
  c = _parse(f"--config={ROOT}/experiments/configs/wgan_gp.py", "--config.data.source=npz",
             f"--config.data.path={path}")
  exp = loop.Experiment(c)
  assert exp.dataset.element_shape == (2,) and len(exp.dataset) == 40


def test_switch_source_on_the_command_line_mnist_to_tfds(no_mnist):
  c = _parse(f"--config={ROOT}/experiments/configs/dcgan.py:mnist",
             "--config.data.source=tfds", "--config.data.name=mnist",
             "--config.data.split=train")
  with tfds.testing.mock_data(num_examples=8):
    exp = loop.Experiment(c)
  assert exp.dataset.name == "mnist/train" and exp.dataset.element_shape == (28, 28, 1)


@pytest.mark.parametrize("argv, message", [
    # a key of another source, without switching the source
    (["dcgan.py", "--config.data.path=/tmp/x.npz"],
     "config value data.path='/tmp/x.npz' does not apply to data.source='toy', whose keys "
     "are source, batch_size, name: leave data.path unset or choose a source that reads it "
     "(npz)."),
    # after a switch, a key that neither the new source nor the file's source reads
    (["dcgan.py:mnist", "--config.data.source=npz", "--config.data.path={npz}",
      "--config.data.name=mnist"],
     "config value data.name='mnist' does not apply to data.source='npz', whose keys are "
     "source, batch_size, path, key, limit: leave data.name unset or choose a source that "
     "reads it (toy, tfds)."),
])
def test_a_key_foreign_to_the_source_is_rejected(tmp_path, argv, message):
  npz = _npz(tmp_path, (4, 28, 28))
  argv = [a.format(npz=npz) for a in argv]
  c = _parse(f"--config={ROOT}/experiments/configs/{argv[0]}", *argv[1:])
  with pytest.raises(ConfigError) as e:
    loop.Experiment(c)
  assert str(e.value) == message


def test_a_library_config_is_named_without_its_path():
  """``--config=dcgan:grid`` names the library's own ``gengan_jax/configs/dcgan.py``
  (what an installed library has, without a checkout); paths stay paths."""
  from gengan_jax import configs
  from gengan_jax.train import cli
  path = cli.config_path("dcgan:grid")
  assert path == os.path.join(os.path.dirname(configs.__file__), "dcgan.py") + ":grid"
  assert cli.config_path("gan") == os.path.join(os.path.dirname(configs.__file__), "gan.py")
  for kept in ("experiments/configs/dcgan.py:grid", "my_config.py", "/abs/x.py:mnist"):
    assert cli.config_path(kept) == kept
  c = _parse(f"--config={path}")
  assert c.algorithm == "dcgan" and c.data.name == "grid"


def test_the_fit_check_asks_each_algorithms_own_networks(mnist_dir):
  """The likelihood family's MLPs flatten images (Burda et al.'s MNIST MLP);
  a GAN's MLP discriminator does not take them: one line naming the arch."""
  del mnist_dir
  c = _module("vae").get_config("mnist")
  c.model.arch = "mlp"
  assert loop.Experiment(c).algo_config.arch == "mlp"
  c = _module("dcgan").get_config("mnist")
  c.model.arch = "mlp"
  with pytest.raises(ConfigError, match=r"model\.arch='mlp' does not fit the data 'idx/train5k' "
                     r"\(one example has shape \(28, 28, 1\)\): arch 'mlp' needs a rank-1"):
    loop.Experiment(c)


def test_a_tfds_run_is_evaluated_against_its_test_split(no_mnist):
  from gengan_jax.evaluate.loading import held_out_images  # pylint: disable=g-import-not-at-top
  c = _parse(f"--config={ROOT}/experiments/configs/dcgan.py:mnist",
             "--config.data.source=tfds", "--config.data.name=mnist",
             "--config.data.split=train")
  with tfds.testing.mock_data(num_examples=8):
    exp = loop.Experiment(c)
    images, description, held_out = held_out_images(c, exp.dataset)
  assert held_out and description == "mnist/test (8 held-out images)"
  assert images.shape == (8, 28, 28, 1) and -1.0 <= images.min() and images.max() <= 1.0
