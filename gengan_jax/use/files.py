"""Results written batch by batch: ``.npz`` files and the picture of a sample.

:func:`write_npz` fills arrays of a known length from host batches into
memory-mapped ``.npy`` files beside the target and then stores them into the
``.npz`` (an uncompressed zip, what ``np.savez`` writes): host memory holds
one batch, device memory one batch, whatever the length. The file appears
under its name only when complete (written as ``<path>.partial``, then
renamed), so a stopped command leaves no half file behind.
"""

from __future__ import annotations

import contextlib
import os
import zipfile
from typing import Callable, Iterable, Mapping

import numpy as np

from gengan_jax.train import plots


def write_npz(path: str, arrays: Mapping[str, Iterable[np.ndarray]], num: int, *,
              progress: Callable[[int], None] | None = None) -> str:
  """Writes arrays of ``num`` rows, each arriving in host batches, as an ``.npz``.

  Args:
    path: the ``.npz`` to write (replaced if it exists).
    arrays: name -> batches ``[b_i, ...]`` of one trailing shape and dtype,
      ``sum(b_i) == num``; read one array after the other.
    num: the number of rows of every array.
    progress: called with each batch's row count (of the first array).

  Returns:
    ``path``.

  Raises:
    ValueError: an array's batches do not add up to ``num`` rows of one shape.
    OSError: the file cannot be written (e.g. a full disk); nothing is left.
  """
  partial = path + ".partial"
  scratch = {name: f"{path}.partial.{i}.npy" for i, name in enumerate(arrays)}
  try:
    for i, (name, batches) in enumerate(arrays.items()):
      _fill(scratch[name], name, batches, num, progress if i == 0 else None)
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
      for name, file in scratch.items():
        z.write(file, arcname=f"{name}.npy")
    os.replace(partial, path)
  finally:
    for leftover in (*scratch.values(), partial):
      with contextlib.suppress(FileNotFoundError):
        os.remove(leftover)
  return path


def _fill(file: str, name: str, batches: Iterable[np.ndarray], num: int,
          progress: Callable[[int], None] | None) -> None:
  """Writes the batches into a memory-mapped ``.npy`` of ``num`` rows."""
  out = None
  filled = 0
  for batch in batches:
    batch = np.asarray(batch)
    if out is None:
      out = np.lib.format.open_memmap(file, mode="w+", dtype=batch.dtype,
                                      shape=(num,) + batch.shape[1:])
    if batch.shape[1:] != out.shape[1:] or filled + len(batch) > num:
      raise ValueError(f"write_npz: a batch of shape {batch.shape} does not fit rows "
                       f"{filled}.. of {name} {out.shape}.")
    out[filled:filled + len(batch)] = batch
    filled += len(batch)
    if progress is not None:
      progress(len(batch))
  if out is None or filled != num:
    raise ValueError(f"write_npz: {filled} rows of {name} arrived for an array of {num}.")
  out.flush()


def sample_picture(path: str, samples: np.ndarray, *, data: np.ndarray | None = None,
                   means: np.ndarray | None = None, title: str = "") -> str | None:
  """A PNG of samples: a grid of the first 64 images ``[N, H, W, C]``, or the
  first two coordinates of vectors over ``data`` (and the modes ``means``).

  Returns:
    ``path``, or ``None`` for samples with no picture (vectors of one number).
  """
  samples = np.asarray(samples)
  if samples.ndim == 4:
    plots.image_grid(path, samples[:64], title=title)
    return path
  if samples.ndim == 2 and samples.shape[1] >= 2:
    plots.scatter_samples(path, samples[:, :2], None if data is None else data[:, :2],
                          means=means, title=title)
    return path
  return None
