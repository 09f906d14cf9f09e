r"""SSIM, multi-scale SSIM and the MS-SSIM sample-diversity score.

SSIM (Wang et al. 2004) compares two images through local statistics under
a Gaussian window ``w`` (``filter_size`` x ``filter_size``, standard
deviation ``filter_sigma``; valid positions only): with
``mu_x = w * x``, ``sigma_x^2 = w * x^2 - mu_x^2``,
``sigma_xy = w * (xy) - mu_x mu_y``, ``C_1 = (K_1 L)^2``, ``C_2 = (K_2 L)^2``
and ``L`` the dynamic range (``max_val``),

.. math::

  l = \frac{2 \mu_x \mu_y + C_1}{\mu_x^2 + \mu_y^2 + C_1}, \qquad
  cs = \frac{2 \sigma_{xy} + C_2}{\sigma_x^2 + \sigma_y^2 + C_2}, \qquad
  \mathrm{SSIM} = \overline{l \cdot cs}

(the bar is the mean over positions, then over channels). MS-SSIM (Wang,
Simoncelli & Bovik 2003, eq. 7) repeats the contrast-structure term on a
pyramid of 2x2 average-pooled images and the luminance only at the coarsest
of ``S`` scales:

.. math::

  \mathrm{MS\text{-}SSIM} = \Big(\overline{l_S \cdot cs_S}\Big)^{w_S}
    \prod_{s=1}^{S-1} \big(\overline{cs_s}\big)^{w_s},

with weights ``w = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)`` (Wang et
al. 2003, Sec. 3.2). Conventions follow ``tf.image.ssim_multiscale``:
``K_1 = 0.01``, ``K_2 = 0.03``, an 11x11 window with ``sigma = 1.5``, the
product taken per channel and then averaged over channels, negative factors
clipped to 0 before the (fractional) powers, and odd sizes padded by
repeating the last row/column before pooling.

**Small images.** Five scales with an 11x11 window need images of at least
``11 * 2^4 = 176`` pixels a side; 28x28 MNIST digits give scales of 28, 14,
7, 4 and 2 pixels. Odena et al. (2017, Sec. 4.2) measured 128x128 ImageNet
samples. We do not shrink the window (a 3x3 window measures different
structure): :func:`ms_ssim` raises when a scale is smaller than the window,
and :func:`diversity` by default uses the largest number of scales that fit
an 11x11 window (2 for 28x28 and 32x32, 3 for 64x64; see
:func:`scales_that_fit`) with the first Wang weights renormalised to sum to
1 (:func:`ms_ssim_weights`).

All functions are pure JAX (jit/vmap compatible) and return one value per
image pair.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gengan_jax.metrics import _checks

__all__ = [
    "WANG_WEIGHTS",
    "ms_ssim_weights",
    "scales_that_fit",
    "ssim",
    "ms_ssim",
    "diversity",
    "diversity_references",
]

WANG_WEIGHTS: tuple[float, ...] = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
_K1, _K2 = 0.01, 0.03


def ms_ssim_weights(num_scales: int) -> tuple[float, ...]:
  """The first ``num_scales`` weights of Wang et al. (2003), renormalised to sum 1."""
  num_scales = _checks.positive_int(num_scales, "num_scales")
  if num_scales > len(WANG_WEIGHTS):
    raise ValueError(f"`num_scales` must be in [1, {len(WANG_WEIGHTS)}], got "
                     f"{num_scales}.")
  w = np.asarray(WANG_WEIGHTS[:num_scales])
  return tuple(float(v) for v in w / w.sum())


def _pyramid_sizes(size: int, num_scales: int) -> list[int]:
  sizes = [size]
  for _ in range(num_scales - 1):
    sizes.append(-(-sizes[-1] // 2))
  return sizes


def scales_that_fit(height: int, width: int, *, filter_size: int = 11,
                    max_scales: int = 5) -> int:
  """Largest number of scales (<= ``max_scales``) whose images fit the window."""
  n = 0
  for s in _pyramid_sizes(min(height, width), max_scales):
    if s < filter_size:
      break
    n += 1
  if n == 0:
    raise ValueError(f"images of {height}x{width} are smaller than the "
                     f"{filter_size}x{filter_size} window; pass a smaller "
                     "`filter_size`.")
  return n


def _gaussian_window(size: int, sigma: float) -> np.ndarray:
  coords = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
  g = np.exp(-0.5 * (coords / sigma) ** 2)
  g /= g.sum()
  return np.outer(g, g)


def _check_pair(x, y):
  x = jnp.asarray(x)
  y = jnp.asarray(y)
  if not jnp.issubdtype(x.dtype, jnp.floating) or not jnp.issubdtype(y.dtype, jnp.floating):
    raise TypeError(f"`x` and `y` must have a floating dtype, got {x.dtype} and "
                    f"{y.dtype}; convert uint8 images with .astype(jnp.float32).")
  if x.ndim != 4 or x.shape != y.shape:
    raise ValueError(f"`x` and `y` must be image batches of the same shape "
                     f"[B, H, W, C], got {x.shape} and {y.shape}.")
  return x, y


def _check_window(height, width, filter_size, filter_sigma):
  filter_size = _checks.positive_int(filter_size, "filter_size")
  filter_sigma = _checks.positive_float(filter_sigma, "filter_sigma")
  if height < filter_size or width < filter_size:
    raise ValueError(f"images of {height}x{width} are smaller than the "
                     f"{filter_size}x{filter_size} window (`filter_size`).")
  return filter_size, filter_sigma


def _ssim_per_channel(x, y, max_val, filter_size, filter_sigma):
  """``(ssim, cs)`` per image and channel, each ``[B, C]``."""
  b, h, w, c = x.shape
  window = jnp.asarray(_gaussian_window(filter_size, filter_sigma), x.dtype)
  kernel = window[:, :, None, None]

  def filt(v):  # [B, H, W, C] -> [B, H', W', C], valid Gaussian filtering
    v = jnp.transpose(v, (0, 3, 1, 2)).reshape(b * c, h, w, 1)
    out = jax.lax.conv_general_dilated(v, kernel, (1, 1), "VALID",
                                       dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return jnp.transpose(out.reshape(b, c, out.shape[1], out.shape[2]), (0, 2, 3, 1))

  c1 = (_K1 * max_val) ** 2
  c2 = (_K2 * max_val) ** 2
  mu_x, mu_y = filt(x), filt(y)
  sxx = filt(x * x) - mu_x * mu_x
  syy = filt(y * y) - mu_y * mu_y
  sxy = filt(x * y) - mu_x * mu_y
  luminance = (2 * mu_x * mu_y + c1) / (mu_x * mu_x + mu_y * mu_y + c1)
  cs = (2 * sxy + c2) / (sxx + syy + c2)
  return jnp.mean(luminance * cs, axis=(1, 2)), jnp.mean(cs, axis=(1, 2))


def ssim(x: jax.typing.ArrayLike, y: jax.typing.ArrayLike, *, max_val: float,
         filter_size: int = 11, filter_sigma: float = 1.5) -> jax.Array:
  r"""Structural similarity of each image pair.

  .. math::

    \mathrm{SSIM}(x, y) = \overline{
      \frac{(2 \mu_x \mu_y + C_1)(2 \sigma_{xy} + C_2)}
           {(\mu_x^2 + \mu_y^2 + C_1)(\sigma_x^2 + \sigma_y^2 + C_2)}}

  Args:
    x: images ``[B, H, W, C]``, floating dtype.
    y: images of the same shape.
    max_val: dynamic range ``L`` of the pixel values (1 for [0, 1], 2 for
      [-1, 1], 255 for [0, 255]).
    filter_size: side of the Gaussian window (11); ``<= min(H, W)``.
    filter_sigma: its standard deviation (1.5).

  Returns:
    Per-pair SSIM, shape ``[B]`` (1 for identical images).

  References:
    Wang, Bovik, Sheikh & Simoncelli, "Image quality assessment: from error
    visibility to structural similarity", IEEE TIP 13(4), 2004, eq. (13).
  """
  x, y = _check_pair(x, y)
  max_val = _checks.positive_float(max_val, "max_val")
  filter_size, filter_sigma = _check_window(x.shape[1], x.shape[2], filter_size,
                                            filter_sigma)
  return _ssim_per_channel(x, y, max_val, filter_size, filter_sigma)[0].mean(-1)


def _downsample(v):
  """2x2 average pooling; odd sizes are padded by repeating the last row/column."""
  h, w = v.shape[1], v.shape[2]
  v = jnp.pad(v, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")
  b, h2, w2, c = v.shape
  return v.reshape(b, h2 // 2, 2, w2 // 2, 2, c).mean(axis=(2, 4))


def ms_ssim(x: jax.typing.ArrayLike, y: jax.typing.ArrayLike, *, max_val: float,
            weights: Sequence[float] = WANG_WEIGHTS, filter_size: int = 11,
            filter_sigma: float = 1.5) -> jax.Array:
  r"""Multi-scale SSIM of each image pair.

  .. math::

    \mathrm{MS\text{-}SSIM} = \max\big(\overline{l_S cs_S}, 0\big)^{w_S}
      \prod_{s<S} \max\big(\overline{cs_s}, 0\big)^{w_s}

  per channel, averaged over channels; ``S = len(weights)`` scales, each
  the 2x2 average pool of the previous one.

  Args:
    x: images ``[B, H, W, C]``, floating dtype.
    y: images of the same shape.
    max_val: dynamic range ``L`` of the pixel values (2 for [-1, 1]).
    weights: exponent of each scale, finest first (Wang et al.'s five by
      default; ``ms_ssim_weights(n)`` for fewer scales).
    filter_size: side of the Gaussian window (11).
    filter_sigma: its standard deviation (1.5).

  Returns:
    Per-pair MS-SSIM, shape ``[B]``, in ``[0, 1]`` (1 for identical images).

  Raises:
    ValueError: if the coarsest scale is smaller than the window: pass fewer
      ``weights`` (see :func:`scales_that_fit`) or a smaller window.

  References:
    Wang, Simoncelli & Bovik, "Multiscale structural similarity for image
    quality assessment", Asilomar 2003, eq. (7) and Sec. 3.2 (weights).
  """
  x, y = _check_pair(x, y)
  max_val = _checks.positive_float(max_val, "max_val")
  weights = tuple(float(w) for w in weights)
  if not weights or any(not (w >= 0 and math.isfinite(w)) for w in weights):
    raise ValueError(f"`weights` must be a non-empty sequence of finite values "
                     f">= 0, got {weights}.")
  sizes = _pyramid_sizes(min(x.shape[1], x.shape[2]), len(weights))
  if sizes[-1] < filter_size:
    fit = scales_that_fit(x.shape[1], x.shape[2], filter_size=filter_size,
                          max_scales=len(weights))
    raise ValueError(
        f"{len(weights)} scales of {x.shape[1]}x{x.shape[2]} images reach "
        f"{sizes[-1]} pixels, smaller than the {filter_size}x{filter_size} "
        f"window: pass weights=ms_ssim_weights({fit}) ({fit} scales fit) or a "
        "smaller `filter_size`.")
  filter_size, filter_sigma = _check_window(x.shape[1], x.shape[2], filter_size,
                                            filter_sigma)
  factors = []
  for s in range(len(weights)):
    s_val, cs = _ssim_per_channel(x, y, max_val, filter_size, filter_sigma)
    if s < len(weights) - 1:
      factors.append(jax.nn.relu(cs))
      x, y = _downsample(x), _downsample(y)
  factors.append(jax.nn.relu(s_val))
  stacked = jnp.stack(factors, axis=-1)  # [B, C, S]
  w = jnp.asarray(weights, stacked.dtype)
  return jnp.prod(stacked ** w, axis=-1).mean(-1)


def _random_pairs(n: int, num_pairs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
  rng = np.random.default_rng(seed)
  i = rng.integers(0, n, num_pairs)
  j = (i + rng.integers(1, n, num_pairs)) % n  # j != i, uniform over the others
  return i, j


def diversity(images: Any, *, num_pairs: int = 5000, seed: int = 0,
              max_val: float = 2.0, weights: Sequence[float] | None = None,
              batch_size: int = 500) -> float:
  r"""Sample diversity ``1 - mean MS-SSIM`` over random pairs of images.

  .. math::

    \mathrm{diversity} = 1 - \frac1P \sum_{p=1}^P
      \mathrm{MS\text{-}SSIM}(x_{i_p}, x_{j_p}),
    \qquad i_p \ne j_p \ \text{uniform}

  Higher is more diverse. Compare with the value on real data, and on real
  data plus noise (:func:`diversity_references`): noise raises diversity
  without making samples realistic, so the score alone can be gamed
  (Rosca et al. 2017, Sec. 6).

  Args:
    images: ``[N, H, W, C]`` images, ``N >= 2`` (model samples or data).
    num_pairs: random pairs ``P`` (Odena et al. average 100 pairs per
      class).
    seed: seed of the pair draws (``numpy.random.default_rng``).
    max_val: dynamic range of the pixels (2 for this library's [-1, 1]).
    weights: MS-SSIM weights; ``None``: ``ms_ssim_weights(scales_that_fit(H,
      W))``, the most scales that fit an 11x11 window (module docstring).
    batch_size: pairs per jitted MS-SSIM call.

  Returns:
    The diversity score, a float.

  References:
    Odena, Olah & Shlens, "Conditional image synthesis with auxiliary
    classifier GANs", ICML 2017, Sec. 4.2. Rosca et al., "Variational
    approaches for auto-encoding generative adversarial networks", 2017,
    Sec. 6 (sample diversity).
  """
  x = np.asarray(images, np.float32)
  if x.ndim != 4 or len(x) < 2:
    raise ValueError(f"`images` must have shape [N, H, W, C] with N >= 2, got "
                     f"{x.shape}.")
  num_pairs = _checks.positive_int(num_pairs, "num_pairs")
  batch_size = _checks.positive_int(batch_size, "batch_size")
  if weights is None:
    weights = ms_ssim_weights(scales_that_fit(x.shape[1], x.shape[2]))
  weights = tuple(float(w) for w in weights)
  fn = jax.jit(lambda a, b: ms_ssim(a, b, max_val=max_val, weights=weights))
  i, j = _random_pairs(len(x), num_pairs, seed)
  total = 0.0
  for start in range(0, num_pairs, batch_size):
    a, b = x[i[start:start + batch_size]], x[j[start:start + batch_size]]
    total += float(jnp.sum(fn(a, b)))
  return 1.0 - total / num_pairs


def diversity_references(images: Any, *, noise_std: float = 0.1,
                         noise_seed: int = 0, **kwargs) -> dict:
  r"""Diversity of real images, and of the same images plus Gaussian noise.

  The reference points of Rosca et al. (2017, Sec. 6): ``real`` is
  :func:`diversity` of ``images``; ``real_plus_noise`` that of
  ``images + noise_std * max_val * N(0, I)`` (not clipped).

  Args:
    images: ``[N, H, W, C]`` real images.
    noise_std: noise standard deviation as a fraction of ``max_val``.
    noise_seed: seed of the noise.
    **kwargs: forwarded to :func:`diversity` (``num_pairs``, ``seed``,
      ``max_val``, ``weights``, ``batch_size``).

  Returns:
    ``dict(real=float, real_plus_noise=float)``.
  """
  x = np.asarray(images, np.float32)
  noise_std = _checks.positive_float(noise_std, "noise_std", allow_zero=True)
  max_val = kwargs.get("max_val", 2.0)
  noisy = x + (noise_std * max_val) * np.random.default_rng(noise_seed).standard_normal(
      x.shape).astype(np.float32)
  return {"real": diversity(x, **kwargs), "real_plus_noise": diversity(noisy, **kwargs)}
