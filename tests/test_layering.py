"""Layers go one way: each package of gengan_jax imports only the floors below it.

    core                      (ground floor: imports no other package)
    losses, nets, data        core
    ratio                     core, losses
    configs                   core, data   (the repository's experiments/configs,
                              installed as gengan_jax.configs)
    metrics                   core, losses, nets, data, ratio   (never algorithms)
    algorithms                core, losses, nets, ratio
    train                     everything below (configs too); algorithms only through the
                              registry and the contract (``gengan_jax.algorithms``
                              itself, never one algorithm's module)
    use                       (beside train) everything below and train, algorithms
                              the same way
    evaluate                  (top floor) everything below, train and use; nothing
                              imports it
"""

import ast
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.join(REPO, "gengan_jax")
# Packages of the library whose sources live elsewhere in the repository
# (pyproject.toml's package-dir): the config files, gengan_jax.configs.
SOURCE_DIRS = {"configs": os.path.join(REPO, "experiments", "configs")}
ALLOWED = {
    "core": set(),
    "losses": {"core"},
    "nets": {"core"},
    "data": {"core"},
    "ratio": {"core", "losses"},
    "configs": {"core", "data"},
    "metrics": {"core", "losses", "nets", "data", "ratio"},
    "algorithms": {"core", "losses", "nets", "ratio"},
    "train": {"core", "losses", "nets", "data", "ratio", "metrics", "algorithms", "configs"},
    "evaluate": {"core", "losses", "nets", "data", "ratio", "metrics", "algorithms", "configs",
                 "train", "use"},
    "use": {"core", "losses", "nets", "data", "ratio", "metrics", "algorithms", "configs",
            "train"},
}
# Floors that reach algorithms only through the registry and the contract.
THROUGH_THE_REGISTRY = {"train", "evaluate", "use"}


ALGORITHM_MODULES = {f[:-3] for f in os.listdir(os.path.join(ROOT, "algorithms"))
                     if f.endswith(".py") and f != "__init__.py"}


def _imports(path):
  """(package, module) pairs of gengan_jax imported by the file at ``path``."""
  tree = ast.parse(open(path).read(), path)
  out = []
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
      if node.module == "gengan_jax":
        names = ["gengan_jax." + a.name for a in node.names]
      else:
        names = [node.module + "." + a.name for a in node.names]
    else:
      continue
    for name in names:
      parts = name.split(".")
      if parts[0] == "gengan_jax" and len(parts) > 1:
        out.append((parts[1], ".".join(parts[1:])))
  return out


def _files(package):
  for dirpath, _, files in os.walk(SOURCE_DIRS.get(package, os.path.join(ROOT, package))):
    for f in files:
      if f.endswith(".py"):
        yield os.path.join(dirpath, f)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_the_floors_below(package):
  bad = []
  for path in _files(package):
    for imported, full in _imports(path):
      if imported == package or imported == "__version__":
        continue
      if imported not in ALLOWED[package]:
        bad.append(f"{os.path.relpath(path, REPO)} imports gengan_jax.{full}")
      elif package in THROUGH_THE_REGISTRY and imported == "algorithms" and (
          full.count(".") > 1 or full.split(".")[-1] in ALGORITHM_MODULES):
        bad.append(f"{os.path.relpath(path, REPO)} reaches into gengan_jax.{full}")
  assert not bad, "\n".join(bad)


def test_the_check_sees_imports():
  found = {p for path in _files("algorithms") for p, _ in _imports(path)}
  assert {"core", "losses", "nets"} <= found


def test_every_package_has_a_floor():
  packages = {d for d in os.listdir(ROOT)
              if os.path.isfile(os.path.join(ROOT, d, "__init__.py"))}
  assert packages <= set(ALLOWED), f"no floor for {sorted(packages - set(ALLOWED))}"


def test_nothing_below_the_top_imports_evaluate():
  found = [os.path.relpath(path, REPO)
           for package in ALLOWED if package != "evaluate"
           for path in _files(package) for p, _ in _imports(path) if p == "evaluate"]
  found += ["gengan_jax/__init__.py"] * any(p == "evaluate" for p, _ in _imports(
      os.path.join(ROOT, "__init__.py")))
  assert not found, found
