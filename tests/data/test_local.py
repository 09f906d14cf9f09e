import gzip
import os

import numpy as np
import pytest

from gengan_jax import data

from ._idx_writer import idx_bytes, write_idx, write_mnist


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32,
                                   np.float32, np.float64])
@pytest.mark.parametrize("ext", ["", ".gz"])
def test_read_idx_roundtrip(tmp_path, dtype, ext):
  rng = np.random.default_rng(0)
  x = (rng.standard_normal((3, 4, 5)) * 50).astype(dtype)
  path = write_idx(tmp_path / f"a-idx3{ext}", x)
  y = data.read_idx(path)
  assert y.dtype == np.dtype(dtype) and y.dtype.isnative
  np.testing.assert_array_equal(y, x)
  y[0, 0, 0] = 1  # writeable


def test_read_idx_detects_gzip_by_content(tmp_path):
  x = np.arange(12, dtype=np.uint8).reshape(3, 4)
  path = write_idx(tmp_path / "no-gz-suffix", x, compress=True)
  np.testing.assert_array_equal(data.read_idx(path), x)


def test_read_idx_bad_magic(tmp_path):
  raw = bytearray(idx_bytes(np.zeros((2, 2), np.uint8)))
  raw[0] = 7
  path = tmp_path / "badmagic-idx"
  path.write_bytes(bytes(raw))
  with pytest.raises(ValueError, match="badmagic-idx.*magic"):
    data.read_idx(path)


def test_read_idx_unknown_type(tmp_path):
  raw = bytearray(idx_bytes(np.zeros((2, 2), np.uint8)))
  raw[2] = 0x42
  path = tmp_path / "badtype-idx"
  path.write_bytes(bytes(raw))
  with pytest.raises(ValueError, match="badtype-idx.*type code"):
    data.read_idx(path)


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_truncated_data(tmp_path, gz):
  raw = idx_bytes(np.zeros((4, 5, 5), np.uint8))[:-7]
  if gz:
    raw = gzip.compress(raw)
  path = tmp_path / ("trunc-idx3" + (".gz" if gz else ""))
  path.write_bytes(raw)
  with pytest.raises(ValueError, match="trunc-idx3.*truncated"):
    data.read_idx(path)


def test_read_idx_truncated_header(tmp_path):
  path = tmp_path / "hdr-idx3"
  path.write_bytes(idx_bytes(np.zeros((4, 5, 5), np.uint8))[:9])
  with pytest.raises(ValueError, match="hdr-idx3.*truncated"):
    data.read_idx(path)


def test_read_idx_too_long(tmp_path):
  path = tmp_path / "long-idx1"
  path.write_bytes(idx_bytes(np.zeros((4,), np.uint8)) + b"\x00")
  with pytest.raises(ValueError, match="long-idx1.*too long"):
    data.read_idx(path)


def test_read_idx_truncated_gzip_stream(tmp_path):
  raw = gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32)))
  path = tmp_path / "cut-idx1.gz"
  path.write_bytes(raw[: len(raw) // 2])
  with pytest.raises(ValueError, match="cut-idx1.gz"):
    data.read_idx(path)


def test_read_idx_missing_file(tmp_path):
  with pytest.raises(FileNotFoundError, match="nothere"):
    data.read_idx(tmp_path / "nothere")


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_idx(tmp_path, gz):
  images, labels = write_mnist(tmp_path, "train", 7, gz=gz)
  x, y = data.load_mnist_idx(tmp_path, "train")
  assert x.shape == (7, 28, 28, 1) and x.dtype == np.uint8
  assert y.shape == (7,) and y.dtype == np.int64
  np.testing.assert_array_equal(x[..., 0], images)
  np.testing.assert_array_equal(y, labels)


def test_load_mnist_idx_split_prefixes(tmp_path):
  write_mnist(tmp_path, "t10k", 3)
  write_mnist(tmp_path, "train5k", 5)
  assert data.load_mnist_idx(tmp_path, "test")[0].shape[0] == 3
  assert data.load_mnist_idx(tmp_path, "train5k")[0].shape[0] == 5


def test_load_mnist_idx_without_labels(tmp_path):
  write_mnist(tmp_path, "train", 4, labels=False)
  x, y = data.load_mnist_idx(tmp_path)
  assert x.shape == (4, 28, 28, 1) and y is None


def test_load_mnist_idx_missing_directory(tmp_path):
  missing = os.path.join(tmp_path, "nope")
  with pytest.raises(FileNotFoundError, match="nope"):
    data.load_mnist_idx(missing)


def test_load_mnist_idx_missing_files_lists_present(tmp_path):
  write_mnist(tmp_path, "t10k", 2)
  with pytest.raises(FileNotFoundError) as err:
    data.load_mnist_idx(tmp_path, "train")
  msg = str(err.value)
  assert "train-images-idx3-ubyte.gz" in msg  # looked for
  assert "t10k-images-idx3-ubyte.gz" in msg  # present


def test_load_mnist_idx_count_mismatch(tmp_path):
  write_idx(tmp_path / "train-images-idx3-ubyte.gz",
            np.zeros((5, 28, 28), np.uint8))
  write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros((4,), np.uint8))
  with pytest.raises(ValueError, match="5 images.*4 labels"):
    data.load_mnist_idx(tmp_path)


def test_load_npz(tmp_path):
  x = np.arange(6, dtype=np.uint8).reshape(2, 3)
  np.savez(tmp_path / "a.npz", x=x, other=x + 1)
  np.testing.assert_array_equal(data.load_npz(tmp_path / "a.npz"), x)
  np.testing.assert_array_equal(
      data.load_npz(tmp_path / "a.npz", key="other"), x + 1)
  with pytest.raises(KeyError, match="other"):
    data.load_npz(tmp_path / "a.npz", key="images")
  with pytest.raises(FileNotFoundError, match="b.npz"):
    data.load_npz(tmp_path / "b.npz")
