"""Pieces shared by the experiment configs.

Every config has the same top-level shape:

* ``algorithm``: a name from ``gengan_jax.algorithms.REGISTRY``;
* ``seed``: the run is a function of its config and this seed;
* ``model``: the algorithm's hyper-parameters (fields of its ``Config``);
* ``data``: ``source`` and its keys (see ``gengan_jax.data.make_dataset``)
  plus ``batch_size`` (the global batch, split over all devices);
* ``train``: ``steps``, ``log_every``, ``checkpoint_every``,
  ``keep_checkpoints``, ``plot_every`` (0: pictures only at the end),
  ``eval_samples`` (2,500 for the mixture benchmarks), ``progress``,
  ``nonfinite`` (``'stop'`` or ``'skip'``: what a NaN/Inf step does),
  ``steps_per_call`` (steps per compiled call, a ``lax.scan``; 1 here. The
  toy MLP steps gain ~10-25% from 100: the same steps, data and keys, but
  XLA compiles a loop body differently, so float rounding differs and a GAN
  run drifts from the one-step-per-call run -- the quick-start alpha-GAN
  ring job ends with 7/8 modes instead of 8/8. The published results use 1).
"""

from __future__ import annotations

import os

import ml_collections

# Real MNIST digits kept beside the repository (IDX gzip files); on another
# machine point data.directory at a folder with the same files, or use
# data.source='tfds'.
MNIST_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "mnist")


def base(algorithm: str) -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.algorithm = algorithm
  c.seed = 0
  c.model = ml_collections.ConfigDict()
  c.data = ml_collections.ConfigDict()
  c.train = ml_collections.ConfigDict(dict(
      steps=5000, log_every=100, checkpoint_every=1000, keep_checkpoints=3,
      plot_every=0, eval_samples=2500, progress=True, nonfinite="stop",
      steps_per_call=1))
  return c


def toy(c: ml_collections.ConfigDict, name: str) -> ml_collections.ConfigDict:
  """2-D mixture ``name`` ('ring' or 'grid'), MLP networks."""
  c.data = ml_collections.ConfigDict(dict(source="toy", name=name, batch_size=128))
  c.model.arch = "mlp"
  c.model.latent_dim = 8
  c.model.hidden = (128, 128, 128)
  return c


def mnist(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """MNIST 28x28 from local IDX files, DCGAN-style networks."""
  c.data = ml_collections.ConfigDict(dict(
      source="idx", directory=os.path.normpath(MNIST_DIR), split="train5k",
      batch_size=64))
  c.model.arch = "dcgan"
  c.model.latent_dim = 32
  c.model.base_features = 32
  c.train.steps = 1000
  c.train.log_every = 50
  c.train.checkpoint_every = 250
  c.train.plot_every = 250
  return c


def adam(learning_rate: float, b1: float, b2: float) -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict(dict(learning_rate=learning_rate, b1=b1, b2=b2))
