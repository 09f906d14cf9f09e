"""Sphinx extension: the API pages of gengan_jax, one section per module.

Two directives write the autodoc directives of a page, so that a page names
its modules and the code names their members:

* ``.. api-package:: gengan_jax.algorithms`` -- the package's docstring, the
  names its ``__init__`` defines itself (``REGISTRY``, ``get``), and links to
  the names it re-exports from another package (``ratio.classifier_loss``,
  documented on the losses page);
* ``.. api-module:: gengan_jax.losses.kl`` -- the module's docstring and its
  public names (:func:`defined_public`: its ``__all__``, else the functions,
  classes and CONSTANTS it defines), plus any name its package exports from
  it. A name the package exports is documented under the package's path
  (``gengan_jax.losses.gaussian_kl``), the path users import; the others
  under the module's (``gengan_jax.losses.dequantization.dequantize``); a
  name imported from elsewhere is a link to where it is documented.

The library writes references as a reader would: inside
``gengan_jax.losses.kl``, ``:func:`gaussian_kl``` means the function
documented as ``gengan_jax.losses.gaussian_kl``. :func:`resolve_reexport`
tries those paths when Sphinx's own lookup fails.
"""

from __future__ import annotations

import ast
import collections
import collections.abc
import functools
import importlib
import inspect
import pathlib
import re
import sys
import typing

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_refnode
from sphinx.util.nodes import nested_parse_with_titles

# A constant's value is shown when its repr is this short and has no address.
MAX_VALUE_CHARS = 100


@functools.cache
def source(module_name: str) -> tuple[ast.Module, list[str]]:
  """A module's syntax tree and source lines."""
  text = inspect.getsource(importlib.import_module(module_name))
  return ast.parse(text), text.splitlines()


@functools.cache
def defined_names(module_name: str) -> tuple[str, ...]:
  """Top-level names a module's source binds by def, class or assignment.

  Not an alias (``PENALTIES = losses.PENALTIES``): that name is defined elsewhere.
  """
  tree, _ = source(module_name)
  names = []
  for node in tree.body:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
      names.append(node.name)
    elif isinstance(getattr(node, "value", None), (ast.Name, ast.Attribute)):
      continue
    elif isinstance(node, ast.Assign):
      names.extend(t.id for t in node.targets if isinstance(t, ast.Name))
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
      names.append(node.target.id)
  return tuple(dict.fromkeys(names))


def is_function_or_class(obj: object) -> bool:
  """A class, or a function (``functools.cache`` and ``jax.jit`` wrappers too)."""
  return callable(obj) and isinstance(getattr(obj, "__qualname__", None), str)


def is_type_alias(obj: object) -> bool:
  """``CriticLoss = Callable[...]``: a name for a type, used in signatures."""
  return typing.get_origin(obj) is not None


def defined_public(module_name: str) -> list[str]:
  """What a module offers: its ``__all__``, else its functions, classes and CONSTANTS.

  Classes and type aliases the module defines are always in: users meet them
  as return values and in signatures (``losses.likelihood.Quantized``).
  """
  module = importlib.import_module(module_name)
  names = list(getattr(module, "__all__", ()))
  for name in defined_names(module_name):
    obj = getattr(module, name)
    if name.startswith("_") or name in names:
      continue
    if is_type_alias(obj) or inspect.isclass(obj) and obj.__module__ == module_name:
      names.append(name)
    elif hasattr(module, "__all__"):
      continue
    elif is_function_or_class(obj):
      if obj.__module__ == module_name:
        names.append(name)
    elif name.isupper() and not inspect.ismodule(obj):
      names.append(name)
  return names


def comment_above(module_name: str, name: str) -> list[str]:
  """The ``#`` comment lines right above a module-level assignment of ``name``.

  None for a ``#:`` comment: autodoc reads those itself, under the module's path.
  """
  tree, lines = source(module_name)
  for node in tree.body:
    targets = (node.targets if isinstance(node, ast.Assign)
               else [node.target] if isinstance(node, ast.AnnAssign) else [])
    if any(isinstance(t, ast.Name) and t.id == name for t in targets):
      above = []
      for line in reversed(lines[:node.lineno - 1]):
        if not line.startswith("#") or line.startswith("#:"):
          break
        above.insert(0, line.removeprefix("#").removeprefix(" "))
      return above
  return []


def exported(package_name: str) -> list[str]:
  """The names a package exports: its ``__all__``."""
  return list(getattr(importlib.import_module(package_name), "__all__", ()))


def home(name: str, obj: object) -> str | None:
  """The module whose source defines ``name`` as ``obj`` (for a constant: of gengan_jax)."""
  module_name = getattr(obj, "__module__", None)
  if is_function_or_class(obj) and not is_type_alias(obj) and isinstance(module_name, str):
    return module_name
  for module_name in sorted(m for m in sys.modules if m.startswith("gengan_jax")):
    if getattr(sys.modules[module_name], name, None) is obj and name in defined_names(module_name):
      return module_name
  return None


def documented_path(name: str, obj: object) -> str | None:
  """Where the pages document ``obj``: its package's path if exported there."""
  module_name = home(name, obj)
  if module_name is None or not module_name.startswith("gengan_jax."):
    return None
  package_name = module_name.rpartition(".")[0]
  package = importlib.import_module(package_name)
  if name in exported(package_name) and getattr(package, name, None) is obj:
    return f"{package_name}.{name}"
  return f"{module_name}.{name}"


def autodoc_lines(path: str, obj: object) -> list[str]:
  """The autodoc directive that documents ``obj`` as ``path``.

  A constant has no docstring of its own; its entry shows its value (when
  short: a mapping by its keys) and the comment above its assignment.
  """
  if inspect.isclass(obj) and issubclass(obj, BaseException):
    return [f".. autoexception:: {path}", "   :show-inheritance:", ""]
  if inspect.isclass(obj):
    return [f".. autoclass:: {path}", "   :members:", "   :special-members: __call__",
            "   :show-inheritance:", ""]
  lines = [f".. autodata:: {path}"]
  value = repr(obj)
  if is_type_alias(obj):
    pass  # its value is the type it names
  elif is_function_or_class(obj):
    return [f".. autofunction:: {path}", ""]
  elif isinstance(obj, collections.abc.Mapping) and all(isinstance(k, str) for k in obj):
    lines.append("   :annotation: = {" + ", ".join(f"{k!r}: ..." for k in obj) + "}")
  elif len(value) > MAX_VALUE_CHARS or " at 0x" in value:
    lines.append("   :no-value:")
  name = path.rpartition(".")[2]
  comment = comment_above(home(name, obj) or path.rpartition(".")[0], name)
  return lines + [""] + ["   " + line for line in comment] + [""]


def reference_line(names: list[tuple[str, str]]) -> list[str]:
  """One paragraph of links to names documented on another page."""
  links = ", ".join(f":py:obj:`{name} <{path}>`" for name, path in names)
  return [f"Also exported here, documented where they are defined: {links}.", ""]


class _ApiDirective(SphinxDirective):
  """A directive whose body is reStructuredText made from one module."""

  required_arguments = 1
  has_content = False

  def lines(self, module_name: str) -> list[str]:
    raise NotImplementedError

  def run(self):
    module_name = self.arguments[0]
    self.env.note_dependency(inspect.getsourcefile(importlib.import_module(module_name)))
    content = StringList(self.lines(module_name), source=f"<api of {module_name}>")
    parent = nodes.Element()
    nested_parse_with_titles(self.state, content, parent)
    return parent.children


class ApiPackage(_ApiDirective):
  """The package's docstring, its own names, links to what it re-exports."""

  def lines(self, package_name):
    package = importlib.import_module(package_name)
    lines = [f".. automodule:: {package_name}", ""]
    elsewhere = []
    for name in exported(package_name):
      obj = getattr(package, name)
      module_name = home(name, obj) or ""
      private = module_name.startswith(package_name + "._")  # a module with no section
      if module_name == package_name or private:
        lines += autodoc_lines(f"{package_name}.{name}", obj)
      elif not module_name.startswith(package_name + "."):
        elsewhere.append((name, documented_path(name, obj) or f"{package_name}.{name}"))
    if elsewhere:
      lines += reference_line(elsewhere)
    return lines


class ApiModule(_ApiDirective):
  """The module's docstring and every public name, each under its import path."""

  def lines(self, module_name):
    module = importlib.import_module(module_name)
    package_name = module_name.rpartition(".")[0]
    package = importlib.import_module(package_name)
    names = defined_public(module_name)
    names += [name for name in exported(package_name) if name not in names
              and home(name, getattr(package, name)) == module_name]
    lines = [f".. automodule:: {module_name}", ""]
    if getattr(package, module_name.rpartition(".")[2]) is not module:
      # gengan_jax.metrics.knn_kl is the function knn_kl, not its module: one name, one entry
      lines[1:1] = ["   :no-index:"]
    elsewhere = []
    for name in names:
      obj = getattr(module, name)
      if home(name, obj) != module_name:  # e.g. loop.__all__ naming experiment.Experiment
        elsewhere.append((name, documented_path(name, obj) or f"{module_name}.{name}"))
      elif name in exported(package_name) and getattr(package, name, None) is obj:
        lines += autodoc_lines(f"{package_name}.{name}", obj)
      else:
        lines += autodoc_lines(f"{module_name}.{name}", obj)
    if elsewhere:
      lines += reference_line(elsewhere)
    return lines


def documented_path_of(dotted: str) -> str | None:
  """Where the pages document what ``dotted`` names (a module's attribute), if anything."""
  module_name, _, name = dotted.rpartition(".")
  module = sys.modules.get(module_name)
  if module is None or not module_name.startswith("gengan_jax") or not hasattr(module, name):
    return None
  return documented_path(name, getattr(module, name))


def docstring_module(node) -> str | None:
  """The module whose source holds the docstring a reference is in, if any.

  A docstring means its names as its module does: ``apply_in_batches`` in
  ``inception.load_inception_v3`` (documented as
  ``gengan_jax.metrics.load_inception_v3``) is ``inception.apply_in_batches``.
  """
  path = pathlib.Path((node.source or "").partition(":docstring of ")[0])
  if path.suffix != ".py" or "gengan_jax" not in path.parts:
    return None
  parts = path.with_suffix("").parts
  parts = parts[len(parts) - 1 - parts[::-1].index("gengan_jax"):]
  return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def name_type_aliases(app, what, name, obj, options, signature, return_annotation):
  """``ArrayLike | None`` reads so, not ``TypeAliasForwardRef('...') | None``.

  Sphinx keeps an alias of ``autodoc_type_aliases`` by name, but writes its
  wrapper's repr when the alias sits inside a union.
  """
  del app, what, name, obj, options
  unwrap = functools.partial(re.sub, r"TypeAliasForwardRef\('([\w.]+)'\)", r"\1")
  return (signature and unwrap(signature), return_annotation and unwrap(return_annotation))


def drop_type_docstring(app, what, name, obj, options, lines):
  """A constant's entry does not show the docstring of its type (``dict``...)."""
  del app, name, options
  type_doc = inspect.getdoc(type(obj)) or ""
  if what == "data" and lines and type_doc and lines[0].strip() == type_doc.splitlines()[0].strip():
    lines.clear()


# The index of paths_by_last_name, for one state of the Python domain's objects.
_PATHS_BY_LAST_NAME: dict[tuple[int, int], dict[str, list[str]]] = {}


def paths_by_last_name(env) -> dict[str, list[str]]:
  """The documented Python objects (aliases left out) by the last part of their path."""
  objects = env.get_domain("py").objects
  key = (id(objects), len(objects))
  if key not in _PATHS_BY_LAST_NAME:
    index = collections.defaultdict(list)
    for path, entry in objects.items():
      if not entry.aliased:
        index[path.rpartition(".")[2]].append(path)
    _PATHS_BY_LAST_NAME.clear()
    _PATHS_BY_LAST_NAME[key] = index
  return _PATHS_BY_LAST_NAME[key]


def resolve_reexport(app, env, node, contnode):
  """Resolves a Python reference through the paths a re-export adds.

  Tried in order: the target in the module whose source holds the docstring,
  then the target inside each package above the reference's
  module (``gaussian_kl`` in ``gengan_jax.losses.kl`` ->
  ``gengan_jax.losses.gaussian_kl``), then the target with one module left
  out (``gengan_jax.losses.kl.gaussian_kl`` -> ``gengan_jax.losses.gaussian_kl``),
  then what those paths name, where it is documented
  (``ConfigError`` in ``gengan_jax.train.experiment``, which imports it, ->
  ``gengan_jax.core.ConfigError``),
  then the one name of the reference's package, or else of gengan_jax, that
  ends in the target (``check_divergence`` in ``gengan_jax.losses`` ->
  ``gengan_jax.losses.f_divergences.check_divergence``).
  """
  target = node["reftarget"].lstrip(".~")
  if node.get("refdomain") != "py" or "." in target and not target.startswith("gengan_jax."):
    return None  # jax.Array, np.ndarray: not documented here
  parts = target.split(".")
  module_parts = (node.get("py:module") or "").split(".")
  class_name = node.get("py:class")
  candidates = [f"{module}.{target}" for module in [docstring_module(node)] if module]
  for i in range(len(module_parts), 0, -1):
    prefix = ".".join(module_parts[:i])
    if class_name:
      candidates.append(f"{prefix}.{class_name}.{target}")
    candidates.append(f"{prefix}.{target}")
  candidates += [target] + [".".join(parts[:i] + parts[i + 1:]) for i in range(1, len(parts) - 1)]
  objects = env.get_domain("py").objects
  found = [path for candidate in candidates
           for path in (candidate, documented_path_of(candidate)) if path in objects]
  for scope in (".".join(module_parts[:2]), "gengan_jax"):  # a name under its module's path
    if not found and scope.startswith("gengan_jax"):
      found = [path for path in paths_by_last_name(env).get(parts[-1], ())
               if path.startswith(scope + ".") and path.endswith("." + target)]
      found = found if len(found) == 1 else []
  if not found:
    return None
  entry = objects[found[0]]
  return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode,
                      found[0])


def setup(app):
  app.add_directive("api-package", ApiPackage)
  app.add_directive("api-module", ApiModule)
  app.connect("missing-reference", resolve_reexport)
  app.connect("autodoc-process-docstring", drop_type_docstring)
  app.connect("autodoc-process-signature", name_type_aliases)
  return {"parallel_read_safe": True, "parallel_write_safe": True}
