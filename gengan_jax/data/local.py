"""Local files, read offline: IDX (the MNIST format) and ``.npz`` archives.

The IDX format (LeCun et al., http://yann.lecun.com/exdb/mnist/, "file
formats"): a 4-byte magic number -- two zero bytes, a type code, the number of
dimensions ``ndim`` -- then ``ndim`` big-endian uint32 sizes, then the data in
C order, big-endian. Files may be gzip-compressed (``*.gz``); compression is
detected from the content, not the name.
"""

from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

__all__ = ["load_mnist_idx", "load_npz", "read_idx"]

# IDX type code -> big-endian numpy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"

# MNIST's split names -> file-name prefixes; any other split is its own prefix.
_MNIST_PREFIXES = {"train": "train", "test": "t10k"}


def _read_bytes(path: str) -> bytes:
  """The file's bytes, gunzipped when the content is gzip."""
  if not os.path.exists(path):
    raise FileNotFoundError(f"read_idx: no such file: {path!r}.")
  with open(path, "rb") as f:
    raw = f.read()
  if raw[:2] != _GZIP_MAGIC:
    return raw
  try:
    return gzip.decompress(raw)
  except (EOFError, OSError, zlib.error) as e:
    raise ValueError(
        f"read_idx: {path!r} is a corrupt or truncated gzip file ({e})."
    ) from e


def read_idx(path: str | os.PathLike) -> np.ndarray:
  """Reads one IDX file (optionally gzip-compressed) into a numpy array.

  Args:
    path: the file; gzip compression is detected and undone transparently.

  Returns:
    An array with the file's shape and its type in native byte order: uint8,
    int8, int16, int32, float32 or float64 (type codes 0x08, 0x09, 0x0B, 0x0C,
    0x0D, 0x0E).

  Raises:
    FileNotFoundError: the file does not exist (the message names it).
    ValueError: the file is malformed -- bad magic number, unknown type code,
      header or data shorter or longer than the header says; the message names
      the file and the fault.
  """
  path = os.fspath(path)
  buf = _read_bytes(path)
  if len(buf) < 4:
    raise ValueError(
        f"read_idx: {path!r} is too short for an IDX header ({len(buf)} bytes; "
        "need at least 4)."
    )
  if buf[0] != 0 or buf[1] != 0:
    raise ValueError(
        f"read_idx: {path!r} has a bad magic number {buf[:4].hex()} (an IDX "
        "file starts with two zero bytes, a type code and ndim)."
    )
  type_code, ndim = buf[2], buf[3]
  if type_code not in IDX_DTYPES:
    raise ValueError(
        f"read_idx: {path!r} has unknown IDX type code {type_code:#04x}; valid "
        f"codes: {[f'{c:#04x}' for c in IDX_DTYPES]}."
    )
  header_len = 4 + 4 * ndim
  if len(buf) < header_len:
    raise ValueError(
        f"read_idx: {path!r} is truncated: header declares {ndim} dimensions "
        f"({header_len} header bytes) but the file has {len(buf)} bytes."
    )
  shape = tuple(int(d) for d in np.frombuffer(buf, ">u4", ndim, offset=4))
  dtype = IDX_DTYPES[type_code]
  expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
  actual = len(buf) - header_len
  if actual != expected:
    what = "truncated" if actual < expected else "too long"
    raise ValueError(
        f"read_idx: {path!r} is {what}: shape {shape} of {dtype.name} needs "
        f"{expected} data bytes but the file has {actual}."
    )
  data = np.frombuffer(buf, dtype, offset=header_len).reshape(shape)
  # A native-order, writeable copy.
  return data.astype(dtype.newbyteorder("="))


def _find(directory: str, names: list[str]) -> str | None:
  for name in names:
    candidate = os.path.join(directory, name)
    if os.path.isfile(candidate):
      return candidate
  return None


def load_mnist_idx(
    directory: str | os.PathLike, split: str = "train"
) -> tuple[np.ndarray, np.ndarray | None]:
  """Loads an MNIST-style split from IDX files in ``directory``.

  The files are ``{prefix}-images-idx3-ubyte[.gz]`` and
  ``{prefix}-labels-idx1-ubyte[.gz]`` with prefix ``'train'`` for
  ``split='train'``, ``'t10k'`` for ``split='test'`` and ``split`` itself
  otherwise (so ``split='train5k'`` reads ``train5k-images-idx3-ubyte.gz``).
  Works for any dataset in this format (Fashion-MNIST, KMNIST, ...).

  Args:
    directory: the folder holding the files.
    split: ``'train'``, ``'test'`` or a custom prefix.

  Returns:
    ``(images, labels)``: uint8 ``[N, H, W, 1]`` (``[N, 28, 28, 1]`` for
    MNIST) and int64 ``[N]``; ``labels`` is ``None`` when the labels file is
    absent.

  Raises:
    FileNotFoundError: missing directory, or no images file (the message lists
      the names looked for and the files present).
    ValueError: malformed files, images not rank 3, or image and label counts
      that differ.
  """
  directory = os.fspath(directory)
  if not os.path.isdir(directory):
    raise FileNotFoundError(
        f"load_mnist_idx: no such directory: {directory!r}."
    )
  prefix = _MNIST_PREFIXES.get(split, split)
  image_names = [f"{prefix}-images-idx3-ubyte{ext}" for ext in (".gz", "")]
  label_names = [f"{prefix}-labels-idx1-ubyte{ext}" for ext in (".gz", "")]
  image_path = _find(directory, image_names)
  if image_path is None:
    present = sorted(os.listdir(directory))
    shown = present[:50] + ([f"... ({len(present) - 50} more)"]
                            if len(present) > 50 else [])
    raise FileNotFoundError(
        f"load_mnist_idx: no images file for split {split!r} in "
        f"{directory!r}; looked for {image_names}; files present: {shown}."
    )
  images = read_idx(image_path)
  if images.ndim != 3:
    raise ValueError(
        f"load_mnist_idx: {image_path!r} holds an array of shape "
        f"{images.shape}; expected rank 3 [N, H, W]."
    )
  if images.dtype != np.uint8:
    raise ValueError(
        f"load_mnist_idx: {image_path!r} holds {images.dtype}; expected uint8."
    )
  images = images[..., None]

  label_path = _find(directory, label_names)
  if label_path is None:
    return images, None
  labels = read_idx(label_path)
  if labels.ndim != 1:
    raise ValueError(
        f"load_mnist_idx: {label_path!r} holds an array of shape "
        f"{labels.shape}; expected rank 1 [N]."
    )
  if labels.shape[0] != images.shape[0]:
    raise ValueError(
        f"load_mnist_idx: {image_path!r} has {images.shape[0]} images but "
        f"{label_path!r} has {labels.shape[0]} labels."
    )
  return images, labels.astype(np.int64)


def load_npz(path: str | os.PathLike, key: str = "x") -> np.ndarray:
  """Loads the array ``key`` from a ``.npz`` archive (or a plain ``.npy``).

  Args:
    path: the ``.npz`` file (for a ``.npy`` file ``key`` is ignored).
    key: the name of the array inside the archive.

  Returns:
    The array, as stored.

  Raises:
    FileNotFoundError: the file does not exist.
    KeyError: ``key`` is not in the archive (the message lists the keys).
  """
  path = os.fspath(path)
  if not os.path.isfile(path):
    raise FileNotFoundError(f"load_npz: no such file: {path!r}.")
  loaded = np.load(path, allow_pickle=False)
  if isinstance(loaded, np.ndarray):
    return loaded
  with loaded as archive:
    if key not in archive.files:
      raise KeyError(
          f"load_npz: {path!r} has no array {key!r}; available keys: "
          f"{sorted(archive.files)}."
      )
    return archive[key]
