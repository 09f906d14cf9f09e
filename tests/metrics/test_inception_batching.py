"""The FID Inception path's input side, against numpy on small inputs: the TF1
bilinear resize of 32x32 and 64x64 images to 299x299, and the batching that
keeps one batch on the device at a time (no weights are needed)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax.metrics import inception


def _resize_tf1_loops(img: np.ndarray, size: int) -> np.ndarray:
  """TF 1.x ``resize_bilinear`` (align_corners=False, half_pixel_centers=False),
  one output pixel at a time: source ``in = out * (n_in / size)``, ``lo =
  floor(in)``, ``hi = min(lo + 1, n_in - 1)``, weight ``in - lo``
  (``compute_interpolation_weights`` of TF's ``resize_bilinear_op.cc``)."""
  h, w = img.shape[:2]
  out = np.empty((size, size) + img.shape[2:], np.float64)
  for i in range(size):
    y = i * (h / size)
    y0 = int(np.floor(y))
    y1, dy = min(y0 + 1, h - 1), y - y0
    for j in range(size):
      x = j * (w / size)
      x0 = int(np.floor(x))
      x1, dx = min(x0 + 1, w - 1), x - x0
      top = img[y0, x0] * (1 - dx) + img[y0, x1] * dx
      bottom = img[y1, x0] * (1 - dx) + img[y1, x1] * dx
      out[i, j] = top * (1 - dy) + bottom * dy
  return out


@pytest.mark.parametrize("n_in", [32, 64])
def test_resize_to_299_matches_tf1_loops(n_in):
  img = np.random.default_rng(n_in).uniform(0, 255, size=(n_in, n_in, 3))
  got = np.asarray(inception.resize_bilinear_tf1(jnp.asarray(img[None], jnp.float32),
                                                 inception.INPUT_SIZE))[0]
  want = _resize_tf1_loops(img, inception.INPUT_SIZE)
  np.testing.assert_allclose(got, want, atol=2e-3)  # float32 of values up to 255
  # The half-pixel-centre resize (jax.image.resize, TF2) is another image: the
  # check above tells the two apart.
  other = np.asarray(jax.image.resize(jnp.asarray(img), (299, 299, 3), "bilinear"))
  assert np.abs(other - want).max() > 10.0


def test_apply_in_batches_one_compiled_shape_and_numpy_results():
  traced = []

  @jax.jit
  def fn(x):
    traced.append(x.shape)  # runs once per compiled shape
    return x.sum(axis=(1, 2)), jnp.tanh(x[:, 0])

  x = np.random.default_rng(0).normal(size=(23, 4, 5)).astype(np.float32)
  sums, first = inception.apply_in_batches(fn, x, 10)
  assert traced == [(10, 4, 5)]  # 10, 10, then 3 padded to 10: one shape
  np.testing.assert_allclose(sums, x.sum(axis=(1, 2)), rtol=1e-5)
  np.testing.assert_allclose(first, np.tanh(x[:, 0]), rtol=1e-6)
  assert sums.shape == (23,) and first.shape == (23, 5)
  small, _ = inception.apply_in_batches(fn, x[:3], 10)  # fewer than one batch: as is
  np.testing.assert_allclose(small, x[:3].sum(axis=(1, 2)), rtol=1e-5)
  assert traced == [(10, 4, 5), (3, 4, 5)]
  with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
    inception.apply_in_batches(fn, x, 0)
