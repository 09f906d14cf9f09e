"""Dequantisation and the logit transform: cells, inverses, Jacobians, and the
bits/dim bookkeeping against a closed form."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax.losses import dequantization as dq
from gengan_jax.metrics import bits_per_dim


def _pixels(shape, seed=0):
  k = np.random.default_rng(seed).integers(0, 256, size=shape)
  return jnp.asarray(k / 127.5 - 1.0, jnp.float32), k


def test_dequantized_values_lie_in_their_pixels_cells_and_quantize_back():
  x, k = _pixels((64, 5, 5, 1))
  x = x.at[0, 0, 0, 0].set(1.0).at[0, 0, 1, 0].set(-1.0)  # both ends of the range
  k[0, 0, 0, 0], k[0, 0, 1, 0] = 255, 0
  x_c = np.asarray(dq.dequantize(x, jax.random.key(0)))
  lower, upper = 2 * k / 256 - 1, 2 * (k + 1) / 256 - 1
  assert np.all(x_c >= lower - 1e-6) and np.all(x_c < upper)
  assert np.all(x_c < 1.0)  # the logit stays finite
  # back on the pixel grid, to float32 rounding (x / 127.5 - 1)
  np.testing.assert_allclose(np.asarray(dq.quantize(jnp.asarray(x_c))), np.asarray(x), rtol=0,
                             atol=2e-7)
  # u is uniform on the cell: its offset in cell widths has mean 1/2 and variance 1/12.
  u = (x_c + 1) * 128 - k
  assert abs(u.mean() - 0.5) < 0.02 and abs(u.var() - 1 / 12) < 0.01


def test_quantize_clips_values_outside_the_range():
  out = dq.quantize(jnp.array([-1.3, -1.0, 0.999999, 2.0]))
  np.testing.assert_allclose(out, [-1.0, -1.0, 1.0, 1.0])


@pytest.mark.parametrize("alpha", [0.05, 0.0, 0.3])
def test_logit_transform_inverts_and_its_log_det_matches_the_jacobian(alpha):
  x_c = jax.random.uniform(jax.random.key(1), (3, 2, 2, 1), minval=-1.0, maxval=0.99)
  y, log_det = dq.logit_transform(x_c, alpha=alpha)
  np.testing.assert_allclose(dq.inverse_logit_transform(y, alpha=alpha), x_c, atol=1e-5)

  def f(v):
    return dq.logit_transform(v.reshape(1, 2, 2, 1), alpha=alpha)[0].reshape(-1)

  for i in range(3):
    jac = jax.jacfwd(f)(x_c[i].reshape(-1))
    np.testing.assert_allclose(log_det[i], jnp.linalg.slogdet(jac)[1], rtol=1e-5, atol=1e-5)
  # and elementwise by hand: dy/dx = (1 - a) / (2 p (1 - p)).
  p = alpha + (1 - alpha) * (np.asarray(x_c, np.float64) + 1) / 2
  np.testing.assert_allclose(y, np.log(p / (1 - p)), rtol=1e-5, atol=1e-5)
  expected = np.sum(np.log((1 - alpha) / (2 * p * (1 - p))), axis=(1, 2, 3))
  np.testing.assert_allclose(log_det, expected, rtol=1e-5)


def test_a_uniform_model_has_8_bits_per_dimension():
  """The closed form of the bookkeeping: the density on y of logit(alpha +
  (1 - alpha) U), U uniform on [0, 1], is sigma(y)(1 - sigma(y)) / (1 - alpha);
  through the transform it is the uniform density 2^-D on [-1, 1)^D, which
  puts 1/256 on every pixel value: 8 bits per dimension, for any image."""
  alpha, shape = 0.05, (4, 28, 28, 1)
  d = math.prod(shape[1:])
  x, _ = _pixels(shape, seed=3)
  x_c = dq.dequantize(x, jax.random.key(2))
  y, log_det = dq.logit_transform(x_c, alpha=alpha)
  s = jax.nn.sigmoid(y)
  log_p_y = jnp.sum(jnp.log(s) + jnp.log1p(-s) - math.log(1 - alpha), axis=(1, 2, 3))
  log_p_x = log_p_y + log_det
  np.testing.assert_allclose(log_p_x, -d * math.log(2.0), rtol=1e-4)
  bpd = bits_per_dim(log_p_x, d, data_range_bins=256, data_range=2.0)
  np.testing.assert_allclose(bpd, 8.0, atol=1e-3)


def test_dequantized_likelihood_lower_bounds_the_discrete_one():
  """Theis et al.: a density that is constant on each cell gives exactly the
  discrete log-probability; here a product of per-pixel distributions over
  two pixel values {0, 255} with probabilities (0.25, 0.75) per dimension."""
  d = 6
  x = jnp.asarray(np.where(np.arange(d) % 2 == 0, -1.0, 1.0)[None], jnp.float32)
  x_c = dq.dequantize(x, jax.random.key(3))
  cell = 2.0 / 256
  # piecewise-constant density: P(pixel) / cell width on the pixel's cell.
  log_p = jnp.sum(jnp.where(x_c < 0, math.log(0.25 / cell), math.log(0.75 / cell)), axis=1)
  bpd = bits_per_dim(log_p, d, data_range_bins=256, data_range=2.0)
  exact = -(3 * math.log2(0.25) + 3 * math.log2(0.75)) / d
  np.testing.assert_allclose(bpd, exact, rtol=1e-5)


def test_bad_arguments_name_what_is_valid():
  with pytest.raises(ValueError, match="alpha"):
    dq.logit_transform(jnp.zeros((1, 2)), alpha=1.0)
  with pytest.raises(ValueError, match="bins"):
    dq.dequantize(jnp.zeros((1, 2)), jax.random.key(0), bins=1)
  with pytest.raises(TypeError, match="floating"):
    dq.quantize(jnp.zeros((1, 2), jnp.int32))
