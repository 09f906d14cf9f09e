"""Layers go one way: each package of gengan_jax imports only the floors below it.

    core                      (ground floor: imports no other package)
    losses, nets, data        core
    ratio                     core, losses
    metrics                   core, losses, nets, data, ratio   (never algorithms)
    algorithms                core, losses, nets, ratio
    train                     everything below; algorithms only through the
                              registry and the contract (``gengan_jax.algorithms``
                              itself, never one algorithm's module)
"""

import ast
import os

import pytest

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "gengan_jax")
ALLOWED = {
    "core": set(),
    "losses": {"core"},
    "nets": {"core"},
    "data": {"core"},
    "ratio": {"core", "losses"},
    "metrics": {"core", "losses", "nets", "data", "ratio"},
    "algorithms": {"core", "losses", "nets", "ratio"},
    "train": {"core", "losses", "nets", "data", "ratio", "metrics", "algorithms"},
}


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
  for dirpath, _, files in os.walk(os.path.join(ROOT, package)):
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
        bad.append(f"{os.path.relpath(path, ROOT)} imports gengan_jax.{full}")
      elif package == "train" and imported == "algorithms" and (
          full.count(".") > 1 or full.split(".")[-1] in ALGORITHM_MODULES):
        bad.append(f"{os.path.relpath(path, ROOT)} reaches into gengan_jax.{full}")
  assert not bad, "\n".join(bad)


def test_the_check_sees_imports():
  found = {p for path in _files("algorithms") for p, _ in _imports(path)}
  assert {"core", "losses", "nets"} <= found
