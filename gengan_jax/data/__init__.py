"""Data: toy mixtures, TFDS sources, local files, deterministic batching.

Everything runs on the host with numpy. The batch for training step ``t`` is a
pure function of ``(seed, t)``, so a resumed run sees the same data order;
:func:`shard_batch` turns each process's slice into the global ``jax.Array``.

Typical use::

  ds = make_dataset({'source': 'idx', 'directory': path, 'split': 'train'})
  x = ds.batch(step, batch_size, seed=seed,
               process_index=jax.process_index(),
               process_count=jax.process_count())
  x = shard_batch(x, NamedSharding(mesh, P(None, 'data')))
"""

from gengan_jax.data.local import load_mnist_idx
from gengan_jax.data.local import load_npz
from gengan_jax.data.local import read_idx
from gengan_jax.data.pipeline import ArrayDataset
from gengan_jax.data.pipeline import Dataset
from gengan_jax.data.pipeline import MixtureDataset
from gengan_jax.data.pipeline import SOURCES
from gengan_jax.data.pipeline import StackedMNISTStream
from gengan_jax.data.pipeline import make_dataset
from gengan_jax.data.pipeline import postprocess_images
from gengan_jax.data.pipeline import preprocess_images
from gengan_jax.data.pipeline import shard_batch
from gengan_jax.data.stacked_mnist import mode_of_digits
from gengan_jax.data.stacked_mnist import stack_digits
from gengan_jax.data.tfds_source import tfds_images
from gengan_jax.data.toy import GaussianMixture
from gengan_jax.data.toy import PRESETS
from gengan_jax.data.toy import grid
from gengan_jax.data.toy import ring
from gengan_jax.data.toy import toy_mixture

__all__ = [
    "ArrayDataset",
    "Dataset",
    "GaussianMixture",
    "MixtureDataset",
    "PRESETS",
    "SOURCES",
    "StackedMNISTStream",
    "grid",
    "load_mnist_idx",
    "load_npz",
    "make_dataset",
    "mode_of_digits",
    "postprocess_images",
    "preprocess_images",
    "read_idx",
    "ring",
    "shard_batch",
    "stack_digits",
    "tfds_images",
    "toy_mixture",
]
