"""Deterministic host-side batching, and the hand-off of batches to devices.

The batch for training step ``t`` is a pure function of ``(seed, t)`` (and of
the batch geometry ``batch_size``, ``num_batches``): no iterator state, so a
run resumed at step ``t`` sees exactly the data it would have seen, and the
data position to checkpoint is just the step.

Multi-process (multi-host) runs: every process calls ``batch`` with the same
``seed`` and ``step`` and its own ``process_index``; each gets a contiguous
slice of the global batch axis, and :func:`shard_batch` assembles the global
``jax.Array``. The global batch does not depend on ``process_count``.

Layout of a batch: ``[num_batches, batch_size // process_count, *element]``.
``num_batches`` stacks the batches of several consecutive optimisation steps
(e.g. the ``n_critic`` discriminator steps of one generator step, or steps
fused under ``lax.scan``); use ``num_batches=1`` and index ``[0]`` otherwise.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Mapping
from typing import Any, Protocol

import jax
import numpy as np

from gengan_jax.data import local
from gengan_jax.data import stacked_mnist
from gengan_jax.data import tfds_source
from gengan_jax.data import toy

__all__ = [
    "ArrayDataset",
    "Dataset",
    "MixtureDataset",
    "SOURCES",
    "StackedMNISTStream",
    "make_dataset",
    "postprocess_images",
    "preprocess_images",
    "shard_batch",
]


def preprocess_images(images_uint8: np.ndarray) -> np.ndarray:
  """Maps uint8 pixels to float32 in ``[-1, 1]``: ``x / 127.5 - 1``.

  Args:
    images_uint8: uint8 array of any shape (e.g. ``[N, H, W, C]``).

  Returns:
    float32 array of the same shape.
  """
  images_uint8 = np.asarray(images_uint8)
  if images_uint8.dtype != np.uint8:
    raise TypeError(
        f"preprocess_images: expected uint8 images, got {images_uint8.dtype}."
    )
  out = images_uint8.astype(np.float32)
  out /= np.float32(127.5)
  out -= np.float32(1.0)
  return out


def postprocess_images(x: np.ndarray | jax.Array) -> np.ndarray:
  """Inverse of :func:`preprocess_images`: ``[-1, 1]`` floats to uint8.

  Computes ``round((x + 1) * 127.5)`` after clipping ``x`` to ``[-1, 1]``.

  Args:
    x: float array of any shape (a ``jax.Array`` is moved to the host).

  Returns:
    uint8 array of the same shape.
  """
  x = np.asarray(x, dtype=np.float32)
  return np.rint((np.clip(x, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)


def _check_batch_args(step, batch_size, num_batches, seed, process_index,
                      process_count) -> int:
  """Validates ``batch`` arguments; returns the per-process batch size."""
  for arg, value, lowest in [("step", step, 0), ("batch_size", batch_size, 1),
                             ("num_batches", num_batches, 1), ("seed", seed, 0),
                             ("process_index", process_index, 0),
                             ("process_count", process_count, 1)]:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
      raise TypeError(f"batch: {arg} must be an int, got {value!r}.")
    if value < lowest:
      raise ValueError(f"batch: {arg} must be >= {lowest}, got {value}.")
  if process_index >= process_count:
    raise ValueError(
        f"batch: process_index={process_index} must be < "
        f"process_count={process_count}."
    )
  if batch_size % process_count:
    raise ValueError(
        f"batch: batch_size={batch_size} is not divisible by "
        f"process_count={process_count}."
    )
  return batch_size // process_count


class Dataset(Protocol):
  """What the training loop needs from a dataset."""

  name: str

  @property
  def element_shape(self) -> tuple[int, ...]:
    ...

  def batch(self, step: int, batch_size: int, num_batches: int = 1, *,
            seed: int, process_index: int = 0,
            process_count: int = 1) -> np.ndarray:
    ...


class ArrayDataset:
  """An in-memory array, read in seeded random order, epoch after epoch.

  The example order is the concatenation of per-epoch permutations,
  ``np.random.default_rng([seed, epoch]).permutation(N)`` for epoch = 0, 1,
  ...; step ``t`` reads the ``num_batches * batch_size`` positions starting
  at ``t * num_batches * batch_size``. A batch may straddle epochs, and
  ``batch_size`` may exceed ``N``.

  Attributes:
    data: float32 ``[N, *element_shape]``.
    name: a short name for logs.
  """

  _CACHE_SIZE = 4  # permutations kept; a batch spans at most a few epochs.

  def __init__(self, data: np.ndarray, name: str = "array"):
    data = np.asarray(data, dtype=np.float32)
    if data.ndim < 1 or data.shape[0] < 1:
      raise ValueError(
          f"ArrayDataset: data must be [N, ...] with N >= 1, got shape "
          f"{data.shape}."
      )
    self.data = data
    self.name = name
    self._perms: collections.OrderedDict[tuple[int, int], np.ndarray] = (
        collections.OrderedDict())

  def __len__(self) -> int:
    return int(self.data.shape[0])

  def __repr__(self) -> str:
    return f"ArrayDataset(name={self.name!r}, shape={self.data.shape})"

  @property
  def element_shape(self) -> tuple[int, ...]:
    return tuple(self.data.shape[1:])

  def _permutation(self, seed: int, epoch: int) -> np.ndarray:
    key = (int(seed), int(epoch))
    perm = self._perms.get(key)
    if perm is None:
      perm = np.random.default_rng([key[0], key[1]]).permutation(len(self))
      self._perms[key] = perm
      while len(self._perms) > self._CACHE_SIZE:
        self._perms.popitem(last=False)
    else:
      self._perms.move_to_end(key)
    return perm

  def indices(self, step: int, batch_size: int, num_batches: int = 1, *,
              seed: int, process_index: int = 0,
              process_count: int = 1) -> np.ndarray:
    """Example indices of :meth:`batch`: int64 ``[num_batches, B_local]``."""
    b_local = _check_batch_args(step, batch_size, num_batches, seed,
                                process_index, process_count)
    start = int(step) * int(num_batches) * int(batch_size)
    positions = start + np.arange(num_batches * batch_size, dtype=np.int64)
    positions = positions.reshape(num_batches, batch_size)
    lo = process_index * b_local
    positions = positions[:, lo:lo + b_local]
    n = len(self)
    epochs, offsets = np.divmod(positions, n)
    out = np.empty_like(positions)
    for epoch in np.unique(epochs):
      mask = epochs == epoch
      out[mask] = self._permutation(seed, int(epoch))[offsets[mask]]
    return out

  def batch(self, step: int, batch_size: int, num_batches: int = 1, *,
            seed: int, process_index: int = 0,
            process_count: int = 1) -> np.ndarray:
    """This process's share of the batch for ``step``.

    Args:
      step: the training step, ``>= 0``.
      batch_size: the global batch size (all processes together).
      num_batches: how many consecutive batches to stack.
      seed: the data seed, ``>= 0``.
      process_index: this process (``jax.process_index()``).
      process_count: number of processes (``jax.process_count()``).

    Returns:
      float32 ``[num_batches, batch_size // process_count, *element_shape]``:
      columns ``[process_index * b, (process_index + 1) * b)`` of the global
      ``[num_batches, batch_size]`` batch, ``b = batch_size // process_count``.

    Raises:
      ValueError: ``batch_size % process_count != 0`` or out-of-range args.
    """
    idx = self.indices(step, batch_size, num_batches, seed=seed,
                       process_index=process_index,
                       process_count=process_count)
    return self.data[idx]


class MixtureDataset:
  """Fresh samples of a :class:`~gengan_jax.data.toy.GaussianMixture`.

  Step ``t``'s global batch is ``mixture.sample(np.random.default_rng([seed,
  t]), num_batches * batch_size)`` reshaped to ``[num_batches, batch_size,
  2]``; each process keeps its slice of the batch axis.
  """

  def __init__(self, mixture: toy.GaussianMixture):
    self.mixture = mixture
    self.name = mixture.name

  def __repr__(self) -> str:
    return (f"MixtureDataset(name={self.name!r}, "
            f"num_modes={self.mixture.num_modes})")

  @property
  def element_shape(self) -> tuple[int, ...]:
    return (2,)

  def batch(self, step: int, batch_size: int, num_batches: int = 1, *,
            seed: int, process_index: int = 0,
            process_count: int = 1) -> np.ndarray:
    """This process's share of the batch for ``step``; see ArrayDataset.batch.

    Returns:
      float32 ``[num_batches, batch_size // process_count, 2]``.
    """
    b_local = _check_batch_args(step, batch_size, num_batches, seed,
                                process_index, process_count)
    rng = np.random.default_rng([int(seed), int(step)])
    x = self.mixture.sample(rng, num_batches * batch_size)
    x = x.reshape(num_batches, batch_size, 2)
    lo = process_index * b_local
    return x[:, lo:lo + b_local]


class StackedMNISTStream:
  """Stacked MNIST images stacked afresh for every batch.

  The Unrolled GAN setting (Metz et al. 2017, Sec. 3.3.2; PacGAN's Table 3
  code, ``generate_stacked_mnist``) draws three new digits for every
  image of every batch instead of reading a fixed set. Step ``t``'s global
  batch draws the digit indices ``np.random.default_rng([seed, t]).integers(
  0, N, [num_batches, batch_size, 3])`` and stacks those digits as the
  channels (:func:`gengan_jax.data.stacked_mnist.stack_digits`' layout);
  each process stacks only its slice of the batch axis.

  Attributes:
    digits: the single-channel digits, uint8 ``[N, H, W, 1]``.
    data: a fixed sample of stacked images, float32 ``[num_images, H, W, 3]``
      in ``[-1, 1]``: what the evaluation compares with as the training data,
      and what the loop checks for non-finite values.
    name: a short name for logs.
  """

  def __init__(self, digits: np.ndarray, labels: np.ndarray, num_images: int, *,
               stack_seed: int = 0, name: str = "stacked_mnist"):
    digits = np.asarray(digits)
    if digits.ndim != 4 or digits.shape[-1] != 1 or digits.dtype != np.uint8 or not len(digits):
      raise ValueError(f"StackedMNISTStream: digits must be uint8 [N, H, W, 1] with N >= 1; "
                       f"got {digits.dtype} of shape {digits.shape}.")
    self.digits = digits
    stacked, _, _ = stacked_mnist.stack_digits(digits, labels, num_images, seed=stack_seed)
    self.data = preprocess_images(stacked)
    self.name = name

  def __repr__(self) -> str:
    return f"StackedMNISTStream(name={self.name!r}, digits={len(self.digits)})"

  @property
  def element_shape(self) -> tuple[int, ...]:
    return tuple(self.digits.shape[1:3]) + (3,)

  def batch(self, step: int, batch_size: int, num_batches: int = 1, *,
            seed: int, process_index: int = 0,
            process_count: int = 1) -> np.ndarray:
    """This process's share of the batch for ``step``; see ArrayDataset.batch.

    Returns:
      float32 ``[num_batches, batch_size // process_count, H, W, 3]`` in ``[-1, 1]``.
    """
    b_local = _check_batch_args(step, batch_size, num_batches, seed,
                                process_index, process_count)
    rng = np.random.default_rng([int(seed), int(step)])
    idx = rng.integers(0, len(self.digits), size=(num_batches, batch_size, 3), dtype=np.int64)
    lo = process_index * b_local
    idx = idx[:, lo:lo + b_local]
    stacked = np.moveaxis(self.digits[idx, ..., 0], 2, -1)  # [nb, b, 3, H, W] -> [.., H, W, 3]
    return preprocess_images(np.ascontiguousarray(stacked))


# ----------------------------------------------------------------------------
# Building a dataset from a config.

_MISSING = object()

# source -> (required keys, optional keys)
SOURCES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "toy": (("name",), ()),
    "tfds": (("name", "split"), ("data_dir", "image_key", "crop", "resize",
                                 "resize_method", "limit")),
    "idx": (("directory", "split"), ("limit",)),
    "npz": (("path",), ("key", "limit")),
    "stacked_mnist": (("directory", "split"), ("num_images", "stack_seed", "limit", "fresh")),
}


def _get(config: Any, key: str, default: Any = _MISSING) -> Any:
  if key in config and config[key] is not None:
    return config[key]
  if default is _MISSING:
    raise ValueError(
        f"make_dataset: config for source {config['source']!r} is missing "
        f"the key {key!r} (required: {list(SOURCES[config['source']][0])})."
    )
  return default


def _to_float_array(x: np.ndarray, what: str) -> np.ndarray:
  """uint8 (or 0..255 integer) images -> [-1, 1]; floats are kept as is."""
  x = np.asarray(x)
  if x.ndim < 2:
    raise ValueError(
        f"make_dataset: {what} has shape {x.shape}; expected [N, ...] with at "
        "least one feature axis."
    )
  if x.ndim == 3:
    x = x[..., None]  # [N, H, W] -> [N, H, W, 1]
  if np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_:
    if x.dtype != np.uint8:
      if x.size and (x.min() < 0 or x.max() > 255):
        raise ValueError(
            f"make_dataset: {what} is {x.dtype} with values outside "
            "[0, 255]; cannot treat it as 8-bit images."
        )
      x = x.astype(np.uint8)
    return preprocess_images(x)
  if np.issubdtype(x.dtype, np.floating):
    return x.astype(np.float32)
  raise ValueError(f"make_dataset: {what} has unsupported dtype {x.dtype}.")


def _load_splits(directory: str, split: str) -> tuple[np.ndarray, np.ndarray | None]:
  """:func:`~gengan_jax.data.local.load_mnist_idx` of ``'a+b+...'``: the
  splits' images (and labels, ``None`` if any split has none) concatenated
  in that order."""
  parts = str(split).split("+")
  if not all(parts):
    raise ValueError(f"make_dataset: split {split!r} is invalid: expected one split name, "
                     "or several joined by '+' (e.g. 'train+test').")
  loaded = [local.load_mnist_idx(directory, part) for part in parts]
  if len(loaded) == 1:
    return loaded[0]
  shapes = {images.shape[1:] for images, _ in loaded}
  if len(shapes) != 1:
    raise ValueError(f"make_dataset: the splits of {split!r} hold images of different "
                     f"shapes {sorted(shapes)}; they cannot be joined.")
  images = np.concatenate([images for images, _ in loaded])
  if any(labels is None for _, labels in loaded):
    return images, None
  return images, np.concatenate([labels for _, labels in loaded])


def make_dataset(
    config: Mapping[str, Any] | Any) -> ArrayDataset | MixtureDataset | StackedMNISTStream:
  """Builds a dataset from a config (dict or ``ml_collections.ConfigDict``).

  ``config.source`` picks the source; the keys each needs:

  * ``'toy'``: ``name`` -- a key of :data:`gengan_jax.data.toy.PRESETS`.
  * ``'tfds'``: ``name``, ``split``; optional ``data_dir``, ``image_key``,
    and ``crop`` (side of the central square kept), ``resize`` (side of the
    square output) and ``resize_method`` (``'bilinear'``, the default, or
    ``'area'``), applied while reading (see
    :mod:`gengan_jax.data.image_ops`; CelebA as DCGAN: ``crop=108,
    resize=64``).
  * ``'idx'``: ``directory``, ``split`` (MNIST-style IDX files, see
    :func:`~gengan_jax.data.local.load_mnist_idx`; several splits joined by
    ``+``, e.g. ``'train+test'``, are read one after the other and
    concatenated).
  * ``'npz'``: ``path``; optional ``key`` (default ``'x'``).
  * ``'stacked_mnist'``: ``directory``, ``split`` (IDX digits with labels, as
    for ``'idx'``, ``+`` included: PacGAN's ``'train+test'``); optional
    ``num_images`` (default 25,600, as in PacGAN's ``model.py``) and
    ``stack_seed`` (default 0): Stacked MNIST images ``[N, 28, 28, 3]``,
    three independently drawn digits as channels (see
    :mod:`gengan_jax.data.stacked_mnist`); with ``fresh=True`` new images
    for every batch (:class:`StackedMNISTStream`; ``num_images`` is then
    the size of its fixed sample ``data``, and ``limit`` does not apply).

  Image sources give float32 ``[N, H, W, C]`` in ``[-1, 1]`` (a channel axis
  is added to ``[N, H, W]``). Integer arrays are taken as 8-bit pixels and
  mapped by :func:`preprocess_images`; float arrays from ``npz`` are kept as
  they are (assumed already scaled). Optional ``limit`` keeps the first
  ``limit`` examples (not for ``'toy'``). Other keys are ignored.

  Returns:
    :class:`MixtureDataset` for ``'toy'``, :class:`StackedMNISTStream` for
    ``'stacked_mnist'`` with ``fresh=True``, :class:`ArrayDataset` otherwise.

  Raises:
    ValueError: unknown source (the message lists the valid ones), a missing
      key (the message names it), a bad ``limit``.
  """
  if "source" not in config:
    raise ValueError(
        f"make_dataset: config is missing the key 'source' (one of "
        f"{sorted(SOURCES)})."
    )
  source = config["source"]
  if source not in SOURCES:
    raise ValueError(
        f"make_dataset: unknown source {source!r}; valid sources: "
        f"{sorted(SOURCES)}."
    )

  if source == "toy":
    if _get(config, "limit", None) is not None:
      raise ValueError("make_dataset: 'limit' does not apply to source 'toy'.")
    return MixtureDataset(toy.toy_mixture(_get(config, "name")))

  if source == "tfds":
    name, split = _get(config, "name"), _get(config, "split")
    raw = tfds_source.tfds_images(
        name, split, data_dir=_get(config, "data_dir", None),
        image_key=_get(config, "image_key", "image"), crop=_get(config, "crop", None),
        resize=_get(config, "resize", None),
        resize_method=_get(config, "resize_method", "bilinear"))
    ds_name = f"{name}/{split}"
  elif source == "idx":
    split = _get(config, "split")
    raw, _ = _load_splits(_get(config, "directory"), split)
    ds_name = f"idx/{split}"
  elif source == "stacked_mnist":
    split = _get(config, "split")
    digits, labels = _load_splits(_get(config, "directory"), split)
    if labels is None:
      raise ValueError(
          f"make_dataset: source 'stacked_mnist' needs the labels file of "
          f"split {split!r} in {_get(config, 'directory')!r} (to know the modes).")
    fresh = _get(config, "fresh", False)
    if not isinstance(fresh, (bool, np.bool_)):
      raise ValueError(f"make_dataset: fresh={fresh!r} is invalid: expected True (new images "
                       "for every batch) or False (a fixed set of num_images).")
    num_images = _get(config, "num_images", stacked_mnist.NUM_TRAINING_IMAGES)
    if fresh:
      if _get(config, "limit", None) is not None:
        raise ValueError("make_dataset: 'limit' does not apply to source 'stacked_mnist' "
                         "with fresh=True (no fixed set to cut); leave it unset.")
      return StackedMNISTStream(digits, labels, num_images,
                                stack_seed=_get(config, "stack_seed", 0),
                                name=f"stacked_mnist/{split} (fresh)")
    raw, _, _ = stacked_mnist.stack_digits(
        digits, labels, num_images, seed=_get(config, "stack_seed", 0))
    ds_name = f"stacked_mnist/{split}"
  else:  # npz
    path = _get(config, "path")
    raw = local.load_npz(path, _get(config, "key", "x"))
    ds_name = os.path.splitext(os.path.basename(os.fspath(path)))[0]

  limit = _get(config, "limit", None)
  if limit is not None:
    if (not isinstance(limit, (int, np.integer)) or isinstance(limit, bool)
        or limit < 1):
      raise ValueError(
          f"make_dataset: limit must be a positive int, got {limit!r}.")
    raw = raw[:int(limit)]
  return ArrayDataset(_to_float_array(raw, ds_name), name=ds_name)


def shard_batch(batch_local: np.ndarray,
                sharding: jax.sharding.Sharding) -> jax.Array:
  """Assembles the global ``jax.Array`` from each process's local batch.

  Every process passes its own slice (from ``batch(...,
  process_index=jax.process_index(), process_count=jax.process_count())``);
  with one process the slice is the whole batch. ``sharding`` should split
  the batch axis over the data axis of the mesh -- with the
  ``[num_batches, B, ...]`` layout that is ``P(None, 'data')``.

  Args:
    batch_local: this process's ``[num_batches, B_local, ...]`` numpy batch.
    sharding: the global array's sharding.

  Returns:
    The global array ``[num_batches, B, ...]``, placed per ``sharding``.
  """
  return jax.make_array_from_process_local_data(sharding, batch_local)
