import numpy as np
import pytest
import tensorflow_datasets as tfds

from gengan_jax import data


@pytest.mark.parametrize("name,shape", [("mnist", (28, 28, 1)),
                                        ("cifar10", (32, 32, 3))])
def test_tfds_images_mock(name, shape):
  with tfds.testing.mock_data(num_examples=6):
    x = data.tfds_images(name, "train")
  assert x.shape == (6, *shape) and x.dtype == np.uint8


def test_tfds_images_bad_image_key():
  with tfds.testing.mock_data(num_examples=2):
    with pytest.raises(KeyError, match="label"):
      data.tfds_images("mnist", "train", image_key="picture")


def test_tfds_images_not_prepared_says_how_to_obtain(tmp_path):
  with pytest.raises(FileNotFoundError) as err:
    data.tfds_images("mnist", "train", data_dir=str(tmp_path))
  msg = str(err.value)
  assert "download_and_prepare" in msg
  assert "array_record" in msg
  assert "source='idx'" in msg


def test_tfds_images_unknown_dataset(tmp_path):
  with pytest.raises(ValueError, match="no_such_dataset"):
    data.tfds_images("no_such_dataset", "train", data_dir=str(tmp_path))


class GenganTinyImages(tfds.core.GeneratorBasedBuilder):
  """A real (not mocked) TFDS dataset, preparable without TensorFlow."""

  VERSION = tfds.core.Version("1.0.0")

  def _info(self):
    return tfds.core.DatasetInfo(
        builder=self,
        features=tfds.features.FeaturesDict({
            "image": tfds.features.Tensor(shape=(4, 4, 1), dtype=np.uint8),
            "label": tfds.features.ClassLabel(num_classes=3),
        }))

  def _split_generators(self, dl_manager):
    del dl_manager
    return {"train": self._generate_examples(5)}

  def _generate_examples(self, n):
    for i in range(n):
      yield i, {"image": np.full((4, 4, 1), i, np.uint8), "label": i % 3}


# TFDS's `DatasetBuilder.code_path` (used while *preparing*) needs the
# `importlib_resources` package for builders defined inside a package, and
# that is not a dependency here; a top-level module name takes TFDS's other
# branch. Reading, which is what gengan_jax does, never needs it.
GenganTinyImages.__module__ = "gengan_tiny_images_builder"


def test_tfds_images_reads_real_array_record(tmp_path):
  GenganTinyImages(data_dir=str(tmp_path),
                   file_format="array_record").download_and_prepare()
  x = data.tfds_images("gengan_tiny_images", "train", data_dir=str(tmp_path))
  assert x.shape == (5, 4, 4, 1) and x.dtype == np.uint8
  # Each image is constant i; all five are there once.
  assert sorted(x[:, 0, 0, 0].tolist()) == [0, 1, 2, 3, 4]
  assert (x == x[:, :1, :1, :1]).all()
