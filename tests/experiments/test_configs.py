"""Every experiment config loads and validates (without touching its data)."""

import glob
import importlib.util
import os

import pytest

from gengan_jax import algorithms, data
from gengan_jax.train import loop

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = sorted(p for p in glob.glob(os.path.join(ROOT, "experiments", "configs", "*.py"))
                 if not os.path.basename(p).startswith(("_", "common")))


def _load(path):
  spec = importlib.util.spec_from_file_location("cfg", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config()


def test_every_algorithm_has_ring_grid_and_mnist_configs():
  names = {os.path.basename(p)[:-3] for p in CONFIGS}
  for algorithm in algorithms.REGISTRY:
    for dataset in ("ring", "grid", "mnist"):
      assert f"{algorithm}_{dataset}" in names


@pytest.mark.parametrize("path", CONFIGS, ids=os.path.basename)
def test_config_validates(path):
  c = _load(path)
  module = algorithms.get(c.algorithm)
  cfg = algorithms.from_mapping(module.Config, c.model, prefix="model.")
  assert cfg.arch == ("mlp" if c.data.source == "toy" else "dcgan")
  loop._train_settings(c)  # pylint: disable=protected-access
  assert c.data.source in data.SOURCES
  if c.data.source == "toy":
    assert c.data.name in data.PRESETS
    assert c.train.eval_samples == 2500  # the VEEGAN/PacGAN protocol
