import jax
import ml_collections
import numpy as np
import pytest
import tensorflow_datasets as tfds
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from gengan_jax import data

from ._idx_writer import write_mnist


def _dataset(n=12, d=3):
  return data.ArrayDataset(
      np.arange(n * d, dtype=np.float32).reshape(n, d), name="t")


# -- preprocess / postprocess ------------------------------------------------

def test_preprocess_range_and_roundtrip():
  x = np.arange(256, dtype=np.uint8).reshape(16, 16)
  y = data.preprocess_images(x)
  assert y.dtype == np.float32
  assert y.min() == -1.0 and y.max() == 1.0
  np.testing.assert_allclose(y, x / 127.5 - 1, atol=1e-6)
  np.testing.assert_array_equal(data.postprocess_images(y), x)


def test_postprocess_clips():
  out = data.postprocess_images(np.array([-3.0, -1.0, 0.0, 1.0, 7.0]))
  np.testing.assert_array_equal(out, [0, 0, 128, 255, 255])
  assert out.dtype == np.uint8


def test_preprocess_rejects_floats():
  with pytest.raises(TypeError, match="uint8"):
    data.preprocess_images(np.zeros(3, np.float32))


# -- ArrayDataset --------------------------------------------------------------

def test_array_batch_shape_and_determinism():
  ds = _dataset()
  a = ds.batch(5, 4, 2, seed=1)
  assert a.shape == (2, 4, 3) and a.dtype == np.float32
  np.testing.assert_array_equal(a, ds.batch(5, 4, 2, seed=1))
  # A fresh object (a resumed run) gives the same batch.
  np.testing.assert_array_equal(a, _dataset().batch(5, 4, 2, seed=1))
  assert not np.array_equal(a, ds.batch(6, 4, 2, seed=1))
  assert not np.array_equal(a, ds.batch(5, 4, 2, seed=2))
  assert ds.element_shape == (3,) and len(ds) == 12 and ds.name == "t"


def test_array_every_example_once_per_epoch():
  n, bs = 12, 4
  ds = _dataset(n)
  for epoch in range(3):
    steps = range(epoch * n // bs, (epoch + 1) * n // bs)
    idx = np.concatenate([ds.indices(s, bs, seed=0).ravel() for s in steps])
    assert sorted(idx.tolist()) == list(range(n))
  # Epochs are shuffled differently.
  e0 = np.concatenate([ds.indices(s, bs, seed=0).ravel() for s in range(3)])
  e1 = np.concatenate([ds.indices(s, bs, seed=0).ravel() for s in range(3, 6)])
  assert not np.array_equal(e0, e1)
  # And the rows returned are those examples.
  np.testing.assert_array_equal(ds.batch(0, bs, seed=0),
                                ds.data[ds.indices(0, bs, seed=0)])


def test_array_order_matches_definition():
  n = 5
  ds = _dataset(n)
  order = np.concatenate(
      [np.random.default_rng([7, e]).permutation(n) for e in range(6)])
  # step 3 with num_batches=2, batch_size=3 reads positions 18..23.
  np.testing.assert_array_equal(ds.indices(3, 3, 2, seed=7).ravel(),
                                order[18:24])


def test_array_num_batches_equals_consecutive_steps():
  ds = _dataset(10)
  stacked = ds.batch(2, 3, num_batches=4, seed=0)
  singles = np.stack([ds.batch(s, 3, seed=0)[0] for s in range(8, 12)])
  np.testing.assert_array_equal(stacked, singles)


def test_array_batch_larger_than_dataset_wraps():
  ds = _dataset(3)
  idx = ds.indices(0, 7, seed=0).ravel()
  assert idx.shape == (7,)
  assert sorted(idx[:3].tolist()) == [0, 1, 2]
  assert sorted(idx[3:6].tolist()) == [0, 1, 2]


@pytest.mark.parametrize("count", [1, 2, 4])
def test_array_process_slices_concatenate_to_global(count):
  ds = _dataset(10)
  full = ds.batch(3, 8, 2, seed=4)
  parts = [ds.batch(3, 8, 2, seed=4, process_index=i, process_count=count)
           for i in range(count)]
  assert all(p.shape == (2, 8 // count, 3) for p in parts)
  np.testing.assert_array_equal(np.concatenate(parts, axis=1), full)


def test_batch_argument_errors():
  ds = _dataset()
  with pytest.raises(ValueError, match="divisible"):
    ds.batch(0, 6, seed=0, process_count=4)
  with pytest.raises(ValueError, match="process_index"):
    ds.batch(0, 8, seed=0, process_index=2, process_count=2)
  with pytest.raises(ValueError, match="step"):
    ds.batch(-1, 8, seed=0)
  mix = data.MixtureDataset(data.toy_mixture("ring"))
  with pytest.raises(ValueError, match="divisible"):
    mix.batch(0, 6, seed=0, process_count=4)


# -- MixtureDataset ------------------------------------------------------------

@pytest.mark.parametrize("name", ["ring", "grid"])
def test_mixture_statistics(name):
  mix = data.toy_mixture(name)
  ds = data.MixtureDataset(mix)
  assert ds.name == name and ds.element_shape == (2,)
  x = ds.batch(0, 20000, seed=0)[0].astype(np.float64)
  assert x.shape == (20000, 2)
  dist = np.linalg.norm(x[:, None, :] - mix.means[None], axis=-1)
  mode = dist.argmin(axis=1)
  counts = np.bincount(mode, minlength=mix.num_modes)
  k = mix.num_modes
  # All modes hit, roughly uniformly (binomial sd ~ sqrt(n/k)); tol 5 sd.
  assert (counts > 0).all()
  np.testing.assert_allclose(counts, 20000 / k, atol=5 * np.sqrt(20000 / k))
  # Per-mode means near the component means; pooled std near the preset.
  resid = x - mix.means[mode]
  for j in range(k):
    np.testing.assert_allclose(resid[mode == j].mean(0), 0.0,
                               atol=6 * mix.std / np.sqrt(counts[j]))
  np.testing.assert_allclose(resid.std(), mix.std, rtol=0.03)
  # Overall mean is the centre.
  np.testing.assert_allclose(x.mean(0), mix.means.mean(0), atol=0.1)


def test_mixture_determinism_and_process_slicing():
  ds = data.MixtureDataset(data.toy_mixture("grid"))
  full = ds.batch(11, 8, 3, seed=5)
  assert full.shape == (3, 8, 2) and full.dtype == np.float32
  np.testing.assert_array_equal(full, ds.batch(11, 8, 3, seed=5))
  assert not np.array_equal(full, ds.batch(12, 8, 3, seed=5))
  parts = [ds.batch(11, 8, 3, seed=5, process_index=i, process_count=4)
           for i in range(4)]
  np.testing.assert_array_equal(np.concatenate(parts, axis=1), full)


# -- make_dataset --------------------------------------------------------------

def test_make_dataset_toy_dict_and_configdict():
  ds = data.make_dataset({"source": "toy", "name": "ring"})
  assert isinstance(ds, data.MixtureDataset) and ds.name == "ring"
  cfg = ml_collections.ConfigDict({"source": "toy", "name": "grid"})
  assert data.make_dataset(cfg).mixture.num_modes == 25


def test_make_dataset_idx(tmp_path):
  images, _ = write_mnist(tmp_path, "train", 6)
  ds = data.make_dataset(
      {"source": "idx", "directory": str(tmp_path), "split": "train"})
  assert isinstance(ds, data.ArrayDataset)
  assert ds.data.shape == (6, 28, 28, 1) and ds.data.dtype == np.float32
  np.testing.assert_allclose(ds.data[..., 0], images / 127.5 - 1, atol=1e-6)
  ds = data.make_dataset({"source": "idx", "directory": str(tmp_path),
                          "split": "train", "limit": 4})
  assert ds.data.shape == (4, 28, 28, 1)


def test_make_dataset_npz(tmp_path):
  x = np.random.default_rng(0).integers(0, 256, (5, 8, 8), dtype=np.uint8)
  np.savez(tmp_path / "imgs.npz", x=x, y=np.ones((3, 4, 4, 3), np.float32))
  ds = data.make_dataset({"source": "npz", "path": str(tmp_path / "imgs.npz")})
  assert ds.data.shape == (5, 8, 8, 1) and ds.name == "imgs"
  assert ds.data.min() >= -1 and ds.data.max() <= 1
  ds = data.make_dataset({"source": "npz", "key": "y",
                          "path": str(tmp_path / "imgs.npz")})
  np.testing.assert_array_equal(ds.data, np.ones((3, 4, 4, 3)))  # floats kept


def test_make_dataset_tfds():
  with tfds.testing.mock_data(num_examples=5):
    ds = data.make_dataset({"source": "tfds", "name": "mnist",
                            "split": "train", "limit": 3})
  assert ds.data.shape == (3, 28, 28, 1) and ds.data.dtype == np.float32
  assert ds.data.min() >= -1 and ds.data.max() <= 1
  assert ds.name == "mnist/train"


def test_make_dataset_errors(tmp_path):
  with pytest.raises(ValueError, match="'idx'.*'npz'.*'tfds'.*'toy'"):
    data.make_dataset({"source": "hdf5"})
  with pytest.raises(ValueError, match="source"):
    data.make_dataset({"name": "ring"})
  with pytest.raises(ValueError, match="'name'"):
    data.make_dataset({"source": "toy"})
  with pytest.raises(ValueError, match="'split'"):
    data.make_dataset({"source": "tfds", "name": "mnist"})
  with pytest.raises(ValueError, match="'directory'"):
    data.make_dataset({"source": "idx", "split": "train"})
  with pytest.raises(ValueError, match="'path'"):
    data.make_dataset({"source": "npz"})
  with pytest.raises(ValueError, match="ring"):
    data.make_dataset({"source": "toy", "name": "spiral"})
  with pytest.raises(FileNotFoundError):
    data.make_dataset({"source": "idx", "directory": str(tmp_path / "x"),
                       "split": "train"})
  write_mnist(tmp_path, "train", 2)
  with pytest.raises(ValueError, match="limit"):
    data.make_dataset({"source": "idx", "directory": str(tmp_path),
                       "split": "train", "limit": 0})


# -- shard_batch ---------------------------------------------------------------

def test_shard_batch_single_process():
  devices = np.array(jax.devices())
  mesh = jax.sharding.Mesh(devices, ("data",))
  sharding = NamedSharding(mesh, P(None, "data"))
  ds = data.MixtureDataset(data.toy_mixture("ring"))
  bs = 4 * len(devices)
  local = ds.batch(0, bs, 2, seed=0, process_index=jax.process_index(),
                   process_count=jax.process_count())
  x = data.shard_batch(local, sharding)
  assert isinstance(x, jax.Array)
  assert x.shape == (2, bs, 2) and x.sharding == sharding
  np.testing.assert_array_equal(np.asarray(x), ds.batch(0, bs, 2, seed=0))
