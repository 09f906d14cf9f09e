"""Sphinx configuration of the gengan_jax API reference.

Build (from the repository root, into the git-ignored build/; ``pip install -e ".[docs]"``
first)::

  sphinx-build -W --keep-going -b html docs/api build/docs/html

``-W`` turns every warning into an error, so a broken docstring (bad
reStructuredText, a bad indentation, a reference to a name that is not
documented) fails the build; ``tests/test_api_docs.py`` runs this build.
The build reads nothing from the network: no intersphinx; MathJax is loaded
by the reader's browser.
"""

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parents[1]))  # the repository root: gengan_jax itself

project = "gengan_jax"
author = "gengan_jax authors"
copyright = "the gengan_jax authors"  # noqa: A001 (Sphinx's name)

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "gengan_api",
]

exclude_patterns = ["_build"]
html_theme = "alabaster"
html_theme_options = {"page_width": "1100px", "sidebar_width": "260px"}
html_static_path = []
html_show_sourcelink = False

# Autodoc: members in the order of the source; type hints in the signature,
# short (``Array``, not ``jax.Array``). Every page says what it documents
# (docs/api/_ext/gengan_api.py), so no default members.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autodoc_inherit_docstrings = False
python_use_unqualified_type_names = True
# ``jax.typing.ArrayLike`` by its name, not as the union it stands for.
autodoc_type_aliases = {"jax.typing.ArrayLike": "jax.typing.ArrayLike",
                        "ArrayLike": "jax.typing.ArrayLike"}
add_module_names = False
toc_object_entries_show_parents = "hide"

# Napoleon: the library's docstrings are Google style.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
# "Attributes:" as a list of names and descriptions (not one target per
# attribute): the library writes several names to one entry
# (``generator_optimizer, discriminator_optimizer: Adam settings.``).
napoleon_custom_sections = [("Attributes", "params_style")]

# Every reference must resolve: a misspelt ``:func:`name``` fails the build.
# Names outside gengan_jax (JAX, NumPy, Flax, the standard library) are not
# documented here (no intersphinx: the build is offline), so they are let be.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(?!gengan_jax\.)\w+\.[\w.]+"),  # a dotted name outside gengan_jax
    (r"py:.*", r"([\w.]+\.)?_\w*(\.\w+)*"),  # a private name (a base class, a type hint)
    (r"py:class", r"gengan_jax\.core\.config\.T"),  # the TypeVar of from_mapping
    (r"py:class", r"ArrayTree"),  # a type hint of a dependency (chex's), by its short name
    (r"py:class", r"ellipsis"),  # the ``...`` of ``tuple[int, ...]`` (Sphinx 8.1)
    # A field of the class at hand: fields are listed under "Attributes:", not targets.
    (r"py:attr", r"\w+"),
]
