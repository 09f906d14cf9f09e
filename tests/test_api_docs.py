"""The API reference (docs/api): it builds with warnings as errors, and it is whole.

The build is the one the README gives,
``sphinx-build -W --keep-going -b html docs/api <out>``, run once per session
in a subprocess (one build shared by the xdist workers): a broken docstring
(bad reStructuredText, a bad indentation, a reference to a name that is not
documented) fails it, and the failure shows Sphinx's warnings. The built
pages must then hold every public name of every package, and render the
maths of the docstrings. Sphinx comes with the ``test`` extra (it pulls in
``docs``), so a missing Sphinx is an error here.
"""

import html
import importlib
import inspect
import json
import os
import pkgutil
import re
import subprocess
import sys
import textwrap
import time

import pytest

import gengan_jax

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "docs", "api")
BUILD_TIMEOUT_S = 600


def sphinx_build(source, out, *extra):
  """Runs ``sphinx-build -W --keep-going -b html`` in a subprocess."""
  try:
    import sphinx  # noqa: F401
  except ImportError:
    pytest.fail('Sphinx is not installed: pip install -e ".[test]" (the test extra pulls in '
                '"docs") or pip install -e ".[docs]"')
  env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONWARNINGS="ignore")
  command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
             "-d", os.path.join(out, ".doctrees"), *extra, source, out]
  return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                        timeout=BUILD_TIMEOUT_S)


def build_once(out):
  """Builds the reference into ``out`` once for all the processes that ask.

  The first process to create ``out`` builds into ``out/html`` and then writes
  the build's result to ``out/result.json`` (by an atomic rename, so it is
  whole or absent); any other process waits for that file and reads it. An
  error in the builder (Sphinx missing, a timeout) is written as the result
  too, so a waiter fails with the builder's message instead of waiting out
  its clock.
  """
  html_dir = os.path.join(out, "html")
  result_file = os.path.join(out, "result.json")
  try:
    os.mkdir(out)
  except FileExistsError:
    deadline = time.monotonic() + BUILD_TIMEOUT_S + 60
    while not os.path.exists(result_file):
      if time.monotonic() > deadline:
        pytest.fail(f"no result of the shared Sphinx build in {result_file} after "
                    f"{BUILD_TIMEOUT_S + 60} s: the process building it died")
      time.sleep(0.2)
    with open(result_file, encoding="utf-8") as f:
      return subprocess.CompletedProcess(**json.load(f)), html_dir
  try:
    result = sphinx_build(SOURCE, html_dir)
  except BaseException as e:  # pytest.fail is a BaseException; the waiters must hear of it too
    result = subprocess.CompletedProcess(args=[], returncode=-1, stdout="",
                                         stderr=f"the shared Sphinx build raised: {e}")
    raise
  finally:
    with open(result_file + ".tmp", "w", encoding="utf-8") as f:
      json.dump({"args": result.args, "returncode": result.returncode,
                 "stdout": result.stdout, "stderr": result.stderr}, f)
    os.replace(result_file + ".tmp", result_file)
  return result, html_dir


@pytest.fixture(scope="module")
def build(tmp_path_factory):
  """The build's result and its directory of pages (written whatever the warnings:
  ``--keep-going``; only the first test below fails on a warning).

  Built once per session: xdist's ``load`` scheduling spreads this module's
  tests over the workers, and each would build for itself (~25 s each), so
  the workers share one build in the session's common temporary directory
  (the parent of each worker's own).
  """
  if "PYTEST_XDIST_WORKER" in os.environ:
    return build_once(str(tmp_path_factory.getbasetemp().parent / "api_html"))
  out = str(tmp_path_factory.mktemp("api_html"))
  return sphinx_build(SOURCE, out), out


@pytest.fixture(scope="module")
def built(build):
  """The directory of the built HTML pages."""
  return build[1]


def page(built, name):
  path = os.path.join(built, f"{name}.html")
  assert os.path.exists(path), f"the build wrote no {name}.html"
  with open(path, encoding="utf-8") as f:
    return f.read()


def packages():
  """Every sub-package of gengan_jax (its floors), by short name."""
  return sorted(m.name for m in pkgutil.iter_modules(gengan_jax.__path__) if m.ispkg)


def public_modules(package_name):
  package = importlib.import_module(package_name)
  return [f"{package_name}.{m.name}" for m in pkgutil.iter_modules(package.__path__)
          if not m.name.startswith("_")]


def public_names(module_name):
  """A module's ``__all__`` and the classes it defines; without ``__all__``,
  every function and class it defines (``functools.cache``-wrapped too)."""
  module = importlib.import_module(module_name)
  names = list(getattr(module, "__all__", ()))
  for name, obj in vars(module).items():
    if name.startswith("_") or name in names or getattr(obj, "__module__", None) != module_name:
      continue
    if inspect.isclass(obj) or (not hasattr(module, "__all__") and callable(obj)
                                and hasattr(obj, "__qualname__")):
      names.append(name)
  return names


def test_the_reference_builds_without_a_warning(build):
  result, out = build
  assert result.returncode == 0, (
      f"sphinx-build -W failed (exit {result.returncode}); fix the docstrings it names:\n"
      f"{result.stderr}{result.stdout[-4000:]}")
  assert os.path.exists(os.path.join(out, "index.html"))


@pytest.mark.parametrize("package", packages())
def test_every_package_has_a_page_in_the_index(built, package):
  assert os.path.exists(os.path.join(built, f"{package}.html")), (
      f"gengan_jax.{package} has no page: add docs/api/{package}.rst and list it in "
      f"docs/api/index.rst's toctree")
  assert f'href="{package}.html"' in page(built, "index"), (
      f"docs/api/index.rst's toctree does not list {package}")


@pytest.mark.parametrize("package", packages())
def test_every_public_name_is_on_its_package_page(built, package):
  """A module without a section, or a name without an entry, fails here.

  A name defined in the package is an entry (an anchor) under the package's
  path or its module's; a name the package re-exports from another package
  (``ratio.classifier_loss``) is a link to its entry on that package's page.
  """
  package_name = f"gengan_jax.{package}"
  text = page(built, package)
  # A module shadowed by its package's attribute (gengan_jax.metrics.knn_kl is the function
  # knn_kl) has its section, but the path is the function's entry.
  missing_modules = [m for m in public_modules(package_name)
                     if f'id="module-{m}"' not in text and f'id="{m}"' not in text]
  assert not missing_modules, (
      f"docs/api/{package}.rst has no section for {missing_modules}: add "
      f"'.. api-module:: <module>' under a title")
  expected = [(package_name, name) for name in public_names(package_name)]
  expected += [(m, name) for m in public_modules(package_name) for name in public_names(m)]
  missing = []
  for module_name, name in expected:
    obj = getattr(importlib.import_module(module_name), name)
    home = getattr(obj, "__module__", None) if hasattr(obj, "__qualname__") else None
    if isinstance(home, str) and not home.startswith(package_name):
      pattern = rf'href="[^"]*#gengan_jax\.[\w.]+\.{name}"'
    else:
      pattern = rf'id="{re.escape(package_name)}(\.\w+)?\.{name}"'
    if not re.search(pattern, text):
      missing.append(f"{module_name}.{name}")
  assert not missing, f"not on docs/api/{package}.rst's page: {missing}"


def math_lines(docstring):
  """The first line of each ``.. math::`` block of a docstring."""
  return [match.group(1).strip() for match in
          re.finditer(r"\.\. math::\n\s*\n(.*)\n", textwrap.dedent(docstring))]


def test_a_docstring_math_block_is_rendered_for_mathjax(built):
  from gengan_jax import losses  # pylint: disable=import-outside-toplevel
  text = page(built, "losses")
  assert re.search(r'<script[^>]+src="[^"]*mathjax[^"]*"', text, re.IGNORECASE), (
      "the losses page loads no MathJax script")
  (formula,) = math_lines(losses.gaussian_kl.__doc__)
  assert formula.startswith(r"\mathrm{KL}")
  assert 'id="gengan_jax.losses.gaussian_kl"' in text
  entry_start = text.index('id="gengan_jax.losses.gaussian_kl"')
  entry = text[entry_start:text.index('<dt class="sig', entry_start + 1)]
  block = re.search(r'<div class="math[^"]*">\s*(.*?)</div>', entry, re.DOTALL)
  assert block, "gaussian_kl's entry has no math block"
  assert block.group(1).startswith(r"\[") and html.escape(formula, quote=False) in block.group(1)


def test_a_broken_docstring_fails_the_build(tmp_path):
  """The same configuration fails on a bad indentation and on a bad reference,
  and lets a good reference be."""
  package = tmp_path / "brokenpkg"
  package.mkdir()
  (package / "__init__.py").write_text('"""A package with a broken docstring."""\n')
  (package / "mod.py").write_text(textwrap.dedent('''\
      """A module."""


      def fine(x):
        """Returns ``x``; see :func:`broken`."""
        return x


      def broken(x):
        """Returns ``x``, unlike :func:`no_such_function`.

          An unexpected indentation.
        A line after it.
        """
        return x
      '''))
  source = tmp_path / "source"
  source.mkdir()
  (source / "conf.py").write_text(  # docs/api/conf.py itself, and brokenpkg on the path
      f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\n"
      f"__file__ = {os.path.join(SOURCE, 'conf.py')!r}\n"
      f"exec(compile(open(__file__).read(), __file__, 'exec'))\n")
  (source / "index.rst").write_text("Broken\n======\n\n.. api-module:: brokenpkg.mod\n")
  result = sphinx_build(str(source), str(tmp_path / "out"))
  assert result.returncode != 0
  assert "no_such_function" in result.stderr
  assert "unexpected unindent" in result.stderr
  assert "target not found: broken" not in result.stderr  # a resolvable reference is fine
