"""The alpha-GAN paper's image experiments as config variants (common_images.py):
every one builds and validates on mock data, trains two steps at the real image
sizes with the real DCGAN networks at a reduced width, and has a sweep that
``experiments.sweep`` plans; nothing downloads."""

import jax
import numpy as np
import pytest
import tensorflow_datasets as tfds

from experiments import sweep
from gengan_jax.configs import common, common_images
from gengan_jax.core import ConfigError
from gengan_jax.train import loop
from tests.data._idx_writer import write_mnist
from tests.experiments._config_files import config_module as _module
from tests.experiments._two_steps import assert_two_steps_train

SHAPES = {"stacked_mnist": (28, 28, 3), "cifar10": (32, 32, 3), "celeb_a": (64, 64, 3)}


@pytest.fixture
def mnist_train(tmp_path, monkeypatch):
  """16 tiny digits as the full ``train`` split, as ``$GENGAN_MNIST_DIR``."""
  d = tmp_path / "mnist"
  d.mkdir()
  write_mnist(str(d), "train", 16, seed=0)
  monkeypatch.setenv(common.MNIST_ENV, str(d))
  return str(d)


def _experiment(algorithm, variant, devices=None, **model):
  c = _module(algorithm).get_config(variant)
  c.data.batch_size = 8
  if variant == "stacked_mnist":
    c.data.num_images = 16
  for key, value in model.items():
    c.model[key] = value
  c.lock()
  with tfds.testing.mock_data(num_examples=8):
    return c, loop.Experiment(c, devices=devices)


@pytest.mark.parametrize("variant", common_images.VARIANTS)
@pytest.mark.parametrize("algorithm", common_images.ALGORITHMS)
def test_every_image_variant_builds_and_validates(algorithm, variant, mnist_train):
  c, exp = _experiment(algorithm, variant)
  mnist = _module(algorithm).get_config("mnist")
  assert exp.dataset.element_shape == SHAPES[variant]
  assert exp.algo_config.arch == "dcgan" and exp.algo_config.latent_dim == 100
  assert exp.algo_config.base_features == 64
  if variant == "celeb_a":
    assert (c.data.crop, c.data.resize) == (108, 64)  # DCGAN-tensorflow's CelebA
  if variant == "stacked_mnist":
    assert c.data.directory == mnist_train and c.data.split == "train"
  lr, b1, b2 = (1e-4, 0.0, 0.9) if algorithm == "wgan_gp" else (2e-4, 0.5, 0.999)
  optimizers = [k for k in c.model.keys() if k.endswith("_optimizer")]
  assert len(optimizers) == {"alpha_gan": 4, "dcgan": 2, "wgan_gp": 2, "age": 2}[algorithm]
  for k in optimizers:
    assert (c.model[k].learning_rate, c.model[k].b1, c.model[k].b2) == (lr, b1, b2)
  # The algorithm's other settings are its mnist config's; reconstruction
  # weights keep their weight per pixel: 784 / (H W C) of the MNIST one.
  pixels = np.prod(SHAPES[variant])
  for key, value in mnist.model.items():
    if key in common_images.RECONSTRUCTION_WEIGHTS.get(algorithm, ()):
      np.testing.assert_allclose(c.model[key], value * 784 / pixels, rtol=5e-3)
    elif not key.endswith("_optimizer") and key not in ("arch", "latent_dim",
                                                        "base_features"):
      assert c.model[key] == value, key


# A step's compile costs ~10-60 s on the shared 2-core test machine, so two
# pairs, one per size: alpha-GAN (four networks, the encoder's 64x64 input) at
# 64x64 and WGAN-GP (the critic without batch norm, the penalty's double
# backward) at 32x32. Every pair builds above; the DCGAN and AGE steps at
# 64x64 and 32x32 ran once by hand (the same test with their names).
@pytest.mark.parametrize("algorithm, variant", [("dcgan", "celeb_a"), ("alpha_gan", "cifar10")])
def test_two_steps_at_the_real_image_sizes(algorithm, variant):
  """Two steps of the real networks (at width 8 instead of 64, one device) on
  64x64x3 and 32x32x3 mock images: finite losses, the step counted, every
  network moved, samples of the data's shape in [-1, 1] (the generator's tanh)."""
  narrow = {"code_discriminator_hidden": (16,)} if algorithm == "alpha_gan" else {}
  _, exp = _experiment(algorithm, variant, devices=jax.devices()[:1], base_features=8,
                       **narrow)
  assert_two_steps_train(exp, SHAPES[variant])


@pytest.mark.parametrize("algorithm, jobs", [("alpha_gan", 18), ("dcgan", 9),
                                             ("wgan_gp", 18), ("age", 18)])
def test_sweeps_are_plans_of_experiments_sweep(algorithm, jobs, mnist_train):
  """Each sweep's ``--values`` arguments parse back to the grid, and
  ``experiments.sweep.plan`` makes it one population: every swept setting is a
  float a population can vary, so the whole grid is one compiled program."""
  del mnist_train
  grid = common_images.sweep(algorithm, "cifar10")
  parsed = dict(sweep.parse_values(a[len("--values="):])
                for a in common_images.sweep_arguments(algorithm, "cifar10"))
  assert parsed == grid
  assert np.prod([len(v) for v in grid.values()]) == jobs
  c = _module(algorithm).get_config("cifar10")
  runs = sweep.plan(c, grid, seeds=1)
  assert len(runs) == 1
  assert len(runs[0][1].population.seeds.split(",")) == jobs


def test_unknown_image_variant_and_algorithm():
  with pytest.raises(ConfigError, match="image variant 'svhn' is invalid: valid image "
                     "variants are 'stacked_mnist', 'cifar10', 'celeb_a'"):
    common_images.apply(_module("dcgan").get_config("mnist"), "svhn")
  with pytest.raises(ConfigError, match="'vae' has no image variants"):
    common_images.apply(_module("vae").get_config("mnist"), "cifar10")
