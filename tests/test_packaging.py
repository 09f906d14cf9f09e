"""The wheel: the library alone, under its own name, with its configs and assets.

A non-editable ``pip install .`` must give a user the train and evaluate
commands and everything they read: the config files (installed as
``gengan_jax.configs``) and the MNIST evaluation classifier's weights
(``gengan_jax/assets/mnist_classifier``), and nothing under another
top-level name (``experiments`` stays in the repository).
"""

import glob
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _pyproject():
  with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
    return tomllib.load(f)


def test_the_package_list_names_every_package_of_the_library():
  listed = set(_pyproject()["tool"]["setuptools"]["packages"])
  found = {os.path.relpath(os.path.dirname(p), ROOT).replace(os.sep, ".")
           for p in glob.glob(os.path.join(ROOT, "gengan_jax", "**", "__init__.py"),
                              recursive=True)}
  assert found, "no package found under gengan_jax/"
  assert listed == found | {"gengan_jax.configs"}, (
      f"pyproject.toml's [tool.setuptools] packages must list every package: missing "
      f"{sorted(found - listed)}, extra {sorted(listed - found - {'gengan_jax.configs'})}")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
  """The wheel built from a copy of the sources (offline: no build isolation)."""
  src = tmp_path_factory.mktemp("src")
  for name in ("pyproject.toml", "README.md"):
    shutil.copy(os.path.join(ROOT, name), src / name)
  ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
  shutil.copytree(os.path.join(ROOT, "gengan_jax"), src / "gengan_jax", ignore=ignore)
  shutil.copytree(os.path.join(ROOT, "experiments", "configs"), src / "experiments" / "configs",
                  ignore=ignore)
  out = tmp_path_factory.mktemp("wheel")
  proc = subprocess.run(
      [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
       "--no-index", "-q", "-w", str(out), str(src)],
      capture_output=True, text=True, timeout=300, check=False)
  assert proc.returncode == 0, proc.stdout + proc.stderr
  (path,) = glob.glob(str(out / "gengan_jax-*.whl"))
  with zipfile.ZipFile(path) as z:
    return z.namelist(), {n: z.read(n).decode() for n in z.namelist()
                          if n.endswith("entry_points.txt")}


def test_the_wheel_holds_only_the_library(wheel):
  names, _ = wheel
  tops = {n.split("/")[0] for n in names}
  assert {t for t in tops if not t.endswith(".dist-info")} == {"gengan_jax"}
  assert "gengan_jax/algorithms/gan.py" in names
  assert "gengan_jax/train/cli.py" in names and "gengan_jax/evaluate/cli.py" in names


def test_the_wheel_holds_the_configs_and_the_classifier_weights(wheel):
  names, _ = wheel
  configs = {os.path.basename(n) for n in names if n.startswith("gengan_jax/configs/")}
  repo_configs = {os.path.basename(p)
                  for p in glob.glob(os.path.join(ROOT, "experiments", "configs", "*.py"))}
  assert configs == repo_configs and "common.py" in configs
  shipped = {n[len("gengan_jax/"):] for n in names
             if n.startswith("gengan_jax/assets/mnist_classifier/")}
  asset = os.path.join(ROOT, "gengan_jax", "assets", "mnist_classifier")
  on_disk = {os.path.relpath(p, os.path.join(ROOT, "gengan_jax")).replace(os.sep, "/")
             for p in glob.glob(os.path.join(asset, "**", "*"), recursive=True)
             if os.path.isfile(p)}
  assert "assets/mnist_classifier/classifier.json" in on_disk
  assert shipped == on_disk


def test_the_wheel_installs_the_two_commands(wheel):
  _, entry_points = wheel
  (text,) = entry_points.values()
  assert "gengan-train = gengan_jax.train.cli:console_main" in text
  assert "gengan-evaluate = gengan_jax.evaluate.cli:console_main" in text
