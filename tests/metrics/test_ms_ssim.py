"""Tests for gengan_jax.metrics.ms_ssim: hand-checked cases, a loop reference."""

import importlib

import numpy as np
import pytest

from gengan_jax import metrics

m = importlib.import_module("gengan_jax.metrics.ms_ssim")


def _loop_ssim(x, y, max_val, size=11, sigma=1.5):
  """SSIM of one single-channel pair [H, W] by explicit loops over windows."""
  c = np.arange(size) - (size - 1) / 2
  g = np.exp(-c ** 2 / (2 * sigma ** 2))
  w = np.outer(g, g) / np.outer(g, g).sum()
  c1, c2 = (0.01 * max_val) ** 2, (0.03 * max_val) ** 2
  vals, css = [], []
  for i in range(x.shape[0] - size + 1):
    for j in range(x.shape[1] - size + 1):
      a, b = x[i:i + size, j:j + size], y[i:i + size, j:j + size]
      mx, my = (w * a).sum(), (w * b).sum()
      vx = (w * (a - mx) ** 2).sum()
      vy = (w * (b - my) ** 2).sum()
      cxy = (w * (a - mx) * (b - my)).sum()
      lum = (2 * mx * my + c1) / (mx ** 2 + my ** 2 + c1)
      cs = (2 * cxy + c2) / (vx + vy + c2)
      vals.append(lum * cs)
      css.append(cs)
  return np.mean(vals), np.mean(css)


def _pair(seed, shape=(2, 16, 18, 3)):
  rng = np.random.default_rng(seed)
  x = rng.uniform(size=shape)
  y = np.clip(x + 0.2 * rng.standard_normal(shape), 0, 1)  # correlated pair
  return x.astype(np.float32), y.astype(np.float32)


def test_ssim_matches_loops_at_one_scale():
  x, y = _pair(0)
  got = np.asarray(metrics.ssim(x, y, max_val=1.0))
  expected = [np.mean([_loop_ssim(x[b, ..., ch].astype(np.float64),
                                  y[b, ..., ch].astype(np.float64), 1.0)[0]
                       for ch in range(3)]) for b in range(2)]
  assert got.shape == (2,)
  np.testing.assert_allclose(got, expected, rtol=2e-4, atol=2e-5)
  # One scale of MS-SSIM is SSIM (clipped at 0; positive here).
  np.testing.assert_allclose(metrics.ms_ssim(x, y, max_val=1.0, weights=(1.0,)),
                             got, rtol=1e-6)


def test_two_scale_ms_ssim_matches_loops():
  # 23x22 images: the odd height is padded by repeating the last row.
  x, y = _pair(1, (1, 23, 22, 1))
  w = (0.3, 0.7)
  _, cs0 = _loop_ssim(x[0, ..., 0].astype(np.float64), y[0, ..., 0].astype(np.float64), 2.0)

  def down(v):
    v = np.concatenate([v, v[-1:]], 0)
    return v.reshape(12, 2, 11, 2).mean((1, 3))

  s1, _ = _loop_ssim(down(x[0, ..., 0].astype(np.float64)),
                     down(y[0, ..., 0].astype(np.float64)), 2.0)
  assert cs0 > 0 and s1 > 0
  np.testing.assert_allclose(metrics.ms_ssim(x, y, max_val=2.0, weights=w),
                             [cs0 ** 0.3 * s1 ** 0.7], rtol=2e-4)


def test_hand_checked_constant_images():
  # Constant images a and b: sigma = 0 so cs = C2 / C2 = 1 at every scale and
  # l = (2ab + C1) / (a^2 + b^2 + C1) with C1 = (0.01 L)^2; pooling keeps them
  # constant, so MS-SSIM = l ** w_last.
  a, b, big_l = 0.2, 0.6, 1.0
  c1 = (0.01 * big_l) ** 2
  lum = (2 * a * b + c1) / (a * a + b * b + c1)  # 0.2401 / 0.4001
  x = np.full((1, 32, 32, 1), a, np.float32)
  y = np.full((1, 32, 32, 1), b, np.float32)
  # float32: sigma^2 = w*(x^2) - mu^2 cancels to ~1e-8, i.e. ~1e-5 of C2.
  np.testing.assert_allclose(metrics.ssim(x, y, max_val=big_l), [lum], rtol=2e-4)
  w = m.ms_ssim_weights(2)
  np.testing.assert_allclose(metrics.ms_ssim(x, y, max_val=big_l, weights=w),
                             [lum ** w[-1]], rtol=2e-4)
  # Identical images: 1 at every scale.
  z, _ = _pair(2, (3, 32, 32, 1))
  np.testing.assert_allclose(metrics.ms_ssim(z, z, max_val=1.0, weights=w), np.ones(3),
                             rtol=1e-5)


def test_scales_and_weights():
  assert m.scales_that_fit(28, 28) == 2
  assert m.scales_that_fit(32, 32) == 2
  assert m.scales_that_fit(64, 64) == 3
  assert m.scales_that_fit(176, 176) == 5
  np.testing.assert_allclose(sum(m.ms_ssim_weights(3)), 1.0)
  np.testing.assert_allclose(m.ms_ssim_weights(2), np.array([0.0448, 0.2856]) / 0.3304)


def test_diversity_orders_identical_real_and_noise():
  rng = np.random.default_rng(3)
  base = rng.uniform(-1, 1, (1, 28, 28, 1)).astype(np.float32)
  # All images identical: MS-SSIM 1 for every pair, diversity 0.
  assert abs(metrics.diversity(np.repeat(base, 4, 0), num_pairs=8)) < 1e-5
  # Smooth "real" images (blurred noise) and the same plus noise.
  from scipy.ndimage import gaussian_filter
  real = np.stack([gaussian_filter(rng.uniform(-1, 1, (28, 28)), 2) for _ in range(6)])
  real = (real / np.abs(real).max())[..., None].astype(np.float32)
  refs = metrics.diversity_references(real, noise_std=0.2, num_pairs=20)
  assert 0 < refs["real"] < refs["real_plus_noise"] <= 1


def test_errors():
  x = np.zeros((2, 28, 28, 1), np.float32)
  with pytest.raises(ValueError, match=r"ms_ssim_weights\(2\)"):
    metrics.ms_ssim(x, x, max_val=1.0)
  with pytest.raises(ValueError, match="same shape"):
    metrics.ssim(x, x[:1], max_val=1.0)
  with pytest.raises(TypeError, match="floating"):
    metrics.ssim(x.astype(np.uint8), x.astype(np.uint8), max_val=255)
  with pytest.raises(ValueError, match="max_val"):
    metrics.ssim(x, x, max_val=0.0)
  with pytest.raises(ValueError, match="images"):
    metrics.diversity(x[:1])
