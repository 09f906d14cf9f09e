"""A tiny IDX writer for tests (independent of the reader under test)."""

import gzip
import struct

import numpy as np

_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09,
          np.dtype(np.int16): 0x0B, np.dtype(np.int32): 0x0C,
          np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
  array = np.asarray(array)
  header = bytes([0, 0, _CODES[array.dtype], array.ndim])
  header += struct.pack(f">{array.ndim}I", *array.shape)
  return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, array: np.ndarray, compress: bool | None = None) -> str:
  path = str(path)
  data = idx_bytes(array)
  if compress if compress is not None else path.endswith(".gz"):
    data = gzip.compress(data)
  with open(path, "wb") as f:
    f.write(data)
  return path


def write_mnist(directory, prefix: str, n: int, *, gz: bool = True,
                labels: bool = True, seed: int = 0, hw=(28, 28)):
  rng = np.random.default_rng(seed)
  images = rng.integers(0, 256, size=(n, *hw), dtype=np.uint8)
  ys = rng.integers(0, 10, size=n).astype(np.uint8)
  ext = ".gz" if gz else ""
  write_idx(f"{directory}/{prefix}-images-idx3-ubyte{ext}", images)
  if labels:
    write_idx(f"{directory}/{prefix}-labels-idx1-ubyte{ext}", ys)
  return images, ys
