"""One ml_collections config file per algorithm; see ``common.py``.

This folder is installed as the package ``gengan_jax.configs`` (see
``pyproject.toml``), so an installed library has its configs too:
``gengan-train --config=dcgan:grid`` names ``dcgan.py`` here. Config files
import ``gengan_jax.configs.common``, never ``experiments.configs.common``
(one module object, in a checkout and in an installed wheel alike).
"""
