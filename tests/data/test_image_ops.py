"""Centre crop and Pillow-style resize (gengan_jax.data.image_ops), checked
against hand-worked values, against Pillow itself, and wired into the TFDS
source (``crop``/``resize`` data keys) on mock data."""

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from gengan_jax import data
from gengan_jax.data import image_ops

_PIL = {"bilinear": Image.BILINEAR, "area": Image.BOX}


def test_center_crop_celeb_a_offsets():
  # DCGAN-tensorflow: row round((218 - 108) / 2) = 55, column round((178 - 108) / 2) = 35.
  x = np.arange(218 * 178).reshape(1, 218, 178, 1)
  out = image_ops.center_crop(x, 108)
  assert out.shape == (1, 108, 108, 1)
  assert out[0, 0, 0, 0] == 55 * 178 + 35
  assert out[0, -1, -1, 0] == (55 + 107) * 178 + 35 + 107


def test_center_crop_errors_name_the_bad_value():
  with pytest.raises(ValueError, match=r"size=9 exceeds the images' height x width 8x10; "
                     r"valid sizes are 1..8"):
    image_ops.center_crop(np.zeros((1, 8, 10, 3)), 9)
  with pytest.raises(ValueError, match=r"\[N, H, W, C\]"):
    image_ops.center_crop(np.zeros((8, 10, 3)), 4)


def test_resize_weights_hand_checked():
  # Shrinking 4 -> 2 (scale 2): the triangle stretched to half-width 2 around
  # centres 1 and 3; inputs (centres 0.5 .. 3.5) at distances 0.5, 0.5, 1.5
  # weigh 3/4, 3/4, 1/4 (the fourth is outside), normalised by 7/4.
  np.testing.assert_allclose(image_ops.resize_weights(4, 2, "bilinear"),
                             [[3 / 7, 3 / 7, 1 / 7, 0], [0, 1 / 7, 3 / 7, 3 / 7]])
  # The box averages the two inputs of each output pixel.
  np.testing.assert_allclose(image_ops.resize_weights(4, 2, "area"),
                             [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
  # Enlarging 2 -> 4 is plain bilinear with half-pixel centres (clamped at the ends).
  np.testing.assert_allclose(image_ops.resize_weights(2, 4, "bilinear"),
                             [[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]])
  with pytest.raises(ValueError, match="method='bicubic' is invalid; valid methods: "
                     "'bilinear', 'area'"):
    image_ops.resize_weights(4, 2, "bicubic")


@pytest.mark.parametrize("method", ["bilinear", "area"])
@pytest.mark.parametrize("h, w, out", [(108, 108, 64), (28, 28, 32), (7, 5, 3), (5, 9, 6)])
def test_resize_equals_pillow_on_floats(method, h, w, out):
  x = np.random.default_rng(h * w).uniform(0, 255, size=(2, h, w, 3)).astype(np.float32)
  ref = np.stack([np.stack([np.asarray(Image.fromarray(img[..., c], mode="F").resize(
      (out, out), _PIL[method])) for c in range(3)], -1) for img in x])
  got = image_ops.resize(x, out, method=method)
  assert got.shape == (2, out, out, 3) and got.dtype == np.float32
  np.testing.assert_allclose(got, ref, atol=1e-3)
  # A constant image stays constant (each row of weights sums to one).
  np.testing.assert_allclose(image_ops.resize(np.full((1, h, w, 1), 7.0), out), 7.0,
                             rtol=1e-6)


@pytest.mark.parametrize("method, max_share", [("bilinear", 0.01), ("area", 0.0)])
def test_crop_and_resize_uint8_matches_pillow(method, max_share):
  """CelebA's DCGAN preprocessing: Pillow on the 108x108 centre crop, to 64x64."""
  x = np.random.default_rng(0).integers(0, 256, size=(3, 218, 178, 3), dtype=np.uint8)
  ref = np.stack([np.asarray(Image.fromarray(img[55:163, 35:143]).resize((64, 64),
                                                                          _PIL[method]))
                  for img in x])
  got = image_ops.crop_and_resize_uint8(x, crop=108, size=64, method=method, chunk=2)
  assert got.shape == (3, 64, 64, 3) and got.dtype == np.uint8
  diff = np.abs(got.astype(int) - ref)
  assert diff.max() <= 1 and (diff > 0).mean() <= max_share


def test_crop_and_resize_uint8_without_a_resize_is_the_crop():
  x = np.random.default_rng(1).integers(0, 256, size=(2, 10, 12, 1), dtype=np.uint8)
  np.testing.assert_array_equal(image_ops.crop_and_resize_uint8(x, crop=6), x[:, 2:8, 3:9])
  with pytest.raises(TypeError, match="expected uint8 images, got float32"):
    image_ops.crop_and_resize_uint8(x.astype(np.float32), size=4)


def test_tfds_celeb_a_cropped_and_resized_while_read():
  """``crop``/``resize`` data keys: TFDS celeb_a (218x178) becomes 64x64 in [-1, 1],
  the same as cropping and resizing the full images afterwards."""
  with tfds.testing.mock_data(num_examples=5):
    full = data.tfds_images("celeb_a", "train")
    small = data.tfds_images("celeb_a", "train", crop=108, resize=64, chunk=2)
    ds = data.make_dataset({"source": "tfds", "name": "celeb_a", "split": "train",
                            "crop": 108, "resize": 64})
  assert full.shape == (5, 218, 178, 3) and small.shape == (5, 64, 64, 3)
  np.testing.assert_array_equal(small, image_ops.crop_and_resize_uint8(full, crop=108,
                                                                       size=64))
  assert ds.element_shape == (64, 64, 3)
  np.testing.assert_array_equal(ds.data, data.preprocess_images(small))
