"""Stacked MNIST: channels are the drawn digits, modes are their labels."""

import numpy as np
import pytest

from gengan_jax import data
from gengan_jax.data import stacked_mnist
from tests.data._idx_writer import write_mnist


def _digits(n=30, seed=0):
  rng = np.random.default_rng(seed)
  images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
  labels = rng.integers(0, 10, size=n)
  return images, labels


def test_mode_of_digits_hand_computed():
  digits = np.array([[0, 0, 0], [1, 2, 3], [9, 9, 9], [0, 5, 0]])
  np.testing.assert_array_equal(stacked_mnist.mode_of_digits(digits), [0, 123, 999, 50])


@pytest.mark.parametrize("digits, error, match", [
    (np.zeros((4, 2), np.int64), ValueError, r"\[N, 3\]"),
    (np.array([[0, 10, 1]]), ValueError, "0..9"),
    (np.array([[0, -1, 1]]), ValueError, "0..9"),
    (np.zeros((1, 3), np.float32), TypeError, "integers"),
])
def test_mode_of_digits_rejects(digits, error, match):
  with pytest.raises(error, match=match):
    stacked_mnist.mode_of_digits(digits)


@pytest.mark.parametrize("shape", [(30, 28, 28), (30, 28, 28, 1)])
def test_stack_digits_channels_and_modes(shape):
  images, labels = _digits()
  stacked, modes, idx = stacked_mnist.stack_digits(images.reshape(shape), labels, 50, seed=3)
  assert stacked.shape == (50, 28, 28, 3) and stacked.dtype == np.uint8
  assert idx.shape == (50, 3)
  for c in range(3):  # channel c is exactly the digit drawn for it
    np.testing.assert_array_equal(stacked[..., c], images[idx[:, c]])
  expected = [100 * labels[a] + 10 * labels[b] + labels[c] for a, b, c in idx]
  np.testing.assert_array_equal(modes, expected)
  # Deterministic in the seed, different across seeds.
  again, _, idx2 = stacked_mnist.stack_digits(images, labels, 50, seed=3)
  np.testing.assert_array_equal(again, stacked)
  _, _, other = stacked_mnist.stack_digits(images, labels, 50, seed=4)
  assert not np.array_equal(idx2, other)


def test_stack_digits_modes_near_uniform():
  # With one digit per class the mode is uniform on 0..999: a chi-square
  # test of 20,000 draws over 1000 cells (df = 999; the 0.1% upper point is
  # ~1143, the 0.1% lower ~862).
  images = np.zeros((10, 2, 2), np.uint8)
  labels = np.arange(10)
  _, modes, _ = stacked_mnist.stack_digits(images, labels, 20_000, seed=0)
  counts = np.bincount(modes, minlength=1000)
  assert counts.shape == (1000,)
  expected = 20.0
  chi2 = float(np.sum((counts - expected) ** 2 / expected))
  assert 862 < chi2 < 1143, chi2


@pytest.mark.parametrize("kwargs, match", [
    (dict(images=np.zeros((5, 28, 28, 3), np.uint8)), "single-channel"),
    (dict(labels=np.zeros(4, np.int64)), r"labels must be \[N\]"),
    (dict(num_images=0), "num_images"),
])
def test_stack_digits_rejects(kwargs, match):
  images, labels = _digits(5)
  args = dict(images=images, labels=labels, num_images=3)
  args.update(kwargs)
  with pytest.raises(ValueError, match=match):
    stacked_mnist.stack_digits(args["images"], args["labels"], args["num_images"])


def test_make_dataset_stacked_mnist(tmp_path):
  images, labels = write_mnist(tmp_path, "train5k", 20, seed=1)
  ds = data.make_dataset(dict(source="stacked_mnist", directory=str(tmp_path),
                              split="train5k", num_images=64, stack_seed=2))
  assert ds.element_shape == (28, 28, 3) and len(ds) == 64
  assert ds.name == "stacked_mnist/train5k"
  stacked, _, _ = stacked_mnist.stack_digits(images, labels, 64, seed=2)
  np.testing.assert_allclose(ds.data, data.preprocess_images(stacked))
  batch = ds.batch(0, 8, seed=0)
  assert batch.shape == (1, 8, 28, 28, 3)
  # The default size is PacGAN's 25,600 training images.
  assert len(data.make_dataset(dict(source="stacked_mnist", directory=str(tmp_path),
                                    split="train5k"))) == 25_600


def test_make_dataset_stacked_mnist_needs_labels(tmp_path):
  write_mnist(tmp_path, "nolab", 5, labels=False)
  with pytest.raises(ValueError, match="labels file"):
    data.make_dataset(dict(source="stacked_mnist", directory=str(tmp_path), split="nolab"))
  with pytest.raises(ValueError, match="'directory'"):
    data.make_dataset(dict(source="stacked_mnist", split="nolab"))


def test_splits_joined_by_plus_are_concatenated(tmp_path):
  """``'train+test'`` (PacGAN's Table 2 stacks from MNIST's 70,000 digits):
  the splits' images and labels one after the other, for both IDX sources."""
  a, ya = write_mnist(tmp_path, "train", 7, seed=1)
  b, yb = write_mnist(tmp_path, "t10k", 5, seed=2)  # the 'test' split's files
  idx = data.make_dataset(dict(source="idx", directory=str(tmp_path), split="train+test"))
  assert idx.name == "idx/train+test"
  np.testing.assert_array_equal(idx.data[..., 0],
                                data.preprocess_images(np.concatenate([a, b])))
  ds = data.make_dataset(dict(source="stacked_mnist", directory=str(tmp_path),
                              split="train+test", num_images=40, stack_seed=3))
  stacked, _, _ = stacked_mnist.stack_digits(np.concatenate([a, b]), np.concatenate([ya, yb]),
                                             40, seed=3)
  np.testing.assert_array_equal(ds.data, data.preprocess_images(stacked))
  assert ds.name == "stacked_mnist/train+test"
  with pytest.raises(ValueError, match=r"split 'train\+' is invalid: expected one split"):
    data.make_dataset(dict(source="idx", directory=str(tmp_path), split="train+"))
  write_mnist(tmp_path, "nolab", 3, labels=False)
  with pytest.raises(ValueError, match="labels file"):
    data.make_dataset(dict(source="stacked_mnist", directory=str(tmp_path),
                           split="train+nolab"))


def _marked_digits(n):
  """Digit i is the constant image i (so a channel's value names its digit)."""
  images = np.broadcast_to(np.arange(n, dtype=np.uint8)[:, None, None], (n, 28, 28)).copy()
  return images, np.arange(n) % 10


def test_fresh_stacks_are_new_for_every_batch(tmp_path):
  """``fresh=True`` (PacGAN's Table 3, the Unrolled GAN setting): step t's
  batch stacks digits drawn from default_rng([seed, t]), three per image;
  the batch is a function of (seed, step), each process stacks its slice,
  and ``data`` is the fixed sample the evaluation compares with."""
  from tests.data._idx_writer import write_idx  # pylint: disable=import-outside-toplevel
  images, labels = _marked_digits(50)
  write_idx(f"{tmp_path}/train-images-idx3-ubyte.gz", images)
  write_idx(f"{tmp_path}/train-labels-idx1-ubyte.gz", labels.astype(np.uint8))
  ds = data.make_dataset(dict(source="stacked_mnist", directory=str(tmp_path), split="train",
                              fresh=True, num_images=30, stack_seed=4))
  assert isinstance(ds, data.StackedMNISTStream)
  assert ds.element_shape == (28, 28, 3) and ds.name == "stacked_mnist/train (fresh)"
  stacked, _, _ = stacked_mnist.stack_digits(images, labels, 30, seed=4)
  np.testing.assert_array_equal(ds.data, data.preprocess_images(stacked))
  x = ds.batch(5, 8, 2, seed=1)
  assert x.shape == (2, 8, 28, 28, 3) and x.dtype == np.float32
  drawn = np.rint((x + 1) * 127.5).astype(np.int64)  # back to the digit numbers
  assert np.all(drawn == drawn[:, :, :1, :1, :])  # every channel one constant digit
  expected = np.random.default_rng([1, 5]).integers(0, 50, size=(2, 8, 3))
  np.testing.assert_array_equal(drawn[:, :, 0, 0, :], expected)
  np.testing.assert_array_equal(ds.batch(5, 8, 2, seed=1), x)
  assert not np.array_equal(ds.batch(6, 8, 2, seed=1), x)
  halves = [ds.batch(5, 8, 2, seed=1, process_index=i, process_count=2) for i in (0, 1)]
  np.testing.assert_array_equal(np.concatenate(halves, axis=1), x)
  for bad, match in [(dict(fresh="yes"), "fresh='yes' is invalid: expected True"),
                     (dict(fresh=True, limit=3), "'limit' does not apply")]:
    with pytest.raises(ValueError, match=match):
      data.make_dataset(dict(source="stacked_mnist", directory=str(tmp_path), split="train",
                             **bad))
