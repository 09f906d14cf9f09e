r"""Host-side image preprocessing: a centre crop and an antialiased resize.

The CelebA 64x64 images of DCGAN-style experiments are a centre crop of the
aligned 218x178 photographs, resized. DCGAN-tensorflow (carpedm20,
``utils.py``: ``center_crop``, used as ``main.py --dataset celebA
--input_height=108 --crop``) crops the central 108x108 square, at row
``round((218 - 108) / 2) = 55`` and column ``round((178 - 108) / 2) = 35``,
and resizes it to 64x64 with ``scipy.misc.imresize(..., [64, 64])``, whose
default ``interp='bilinear'`` is Pillow's ``Image.resize(..., BILINEAR)``.
Pillow's bilinear filter is *antialiased* when it shrinks (since Pillow 2.7
its support grows with the scale factor), so that is what
:func:`resize` does by default (``method='bilinear'``): Pillow's triangle
filter, stretched by the shrink factor, on float pixels. ``method='area'``
is Pillow's box filter (when shrinking, each output pixel the mean of the
input pixels whose centres its area covers, both ends included). A plain, non-antialiased bilinear resize would
alias when shrinking 108 -> 64 (every output pixel would read only the 2x2
inputs around one point).

For output pixel :math:`i` of an axis resized from :math:`n` to :math:`m`
pixels, with scale :math:`s = n / m` and filter width :math:`f = \max(s, 1)`,
Pillow's weights (``ImagingResample``'s ``precompute_coeffs``) are

.. math::

   c_i = (i + \tfrac12)\, s, \qquad
   w_{ij} \propto K\!\left(\frac{j + \tfrac12 - c_i}{f}\right),
   \quad \sum_j w_{ij} = 1,

over the input pixels :math:`j` with :math:`|j + \tfrac12 - c_i| < f\,r`
(``r`` the kernel's support: 1 for the triangle :math:`K(t) = \max(0, 1 -
|t|)`, 1/2 for the box :math:`K(t) = [-\tfrac12 < t \le \tfrac12]`). The
2-D resize applies the rows' and the columns' weights in turn (separable).

All functions are pure numpy on ``[N, H, W, C]`` arrays.

References:
  Radford, Metz & Chintala, "Unsupervised representation learning with deep
  convolutional generative adversarial networks", ICLR 2016 (CelebA-like
  faces at 64x64); reference code carpedm20/DCGAN-tensorflow ``utils.py``
  (``center_crop``, ``transform``) and ``main.py`` (``input_height=108``,
  ``output_height=64``, ``crop``).
  Pillow, ``src/libImaging/Resample.c`` (``precompute_coeffs``, the bilinear
  and box filters).
"""

from __future__ import annotations

import numpy as np

__all__ = ["RESIZE_METHODS", "center_crop", "resize", "resize_weights",
           "crop_and_resize_uint8"]

# method -> (kernel, support of the kernel at scale 1)
RESIZE_METHODS = {
    "bilinear": (lambda t: np.maximum(0.0, 1.0 - np.abs(t)), 1.0),
    "area": (lambda t: ((t > -0.5) & (t <= 0.5)).astype(np.float64), 0.5),
}


def _check_images(x: np.ndarray, fn: str) -> np.ndarray:
  x = np.asarray(x)
  if x.ndim != 4:
    raise ValueError(f"{fn}: images must be [N, H, W, C], got shape {x.shape}.")
  return x


def _check_size(size, fn: str, name: str = "size") -> int:
  if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
    raise ValueError(f"{fn}: {name} must be a positive int, got {size!r}.")
  return int(size)


def center_crop(x: np.ndarray, size: int) -> np.ndarray:
  """The central ``size x size`` square of each image.

  The square starts at row ``(H - size) // 2`` and column ``(W - size) // 2``
  (DCGAN-tensorflow's ``round((H - size) / 2)`` for even ``H - size``, as
  CelebA's 218 - 108 and 178 - 108 are; for an odd difference it starts
  half a pixel earlier).

  Args:
    x: images ``[N, H, W, C]`` of any dtype, ``H, W >= size``.
    size: the side of the square.

  Returns:
    ``[N, size, size, C]``, a view of ``x``.

  Raises:
    ValueError: ``x`` is not rank 4, or ``size`` is not a positive int or
      exceeds ``H`` or ``W``.
  """
  x = _check_images(x, "center_crop")
  size = _check_size(size, "center_crop")
  h, w = x.shape[1:3]
  if size > h or size > w:
    raise ValueError(f"center_crop: size={size} exceeds the images' height x width "
                     f"{h}x{w}; valid sizes are 1..{min(h, w)}.")
  top, left = (h - size) // 2, (w - size) // 2
  return x[:, top:top + size, left:left + size]


def resize_weights(n_in: int, n_out: int, method: str = "bilinear") -> np.ndarray:
  """Pillow's resampling matrix of one axis (module docstring).

  Args:
    n_in: input pixels along the axis.
    n_out: output pixels.
    method: ``'bilinear'`` (triangle filter, antialiased when shrinking) or
      ``'area'`` (box filter).

  Returns:
    float64 ``[n_out, n_in]``, each row summing to 1: output ``= W @ input``.

  Raises:
    ValueError: an unknown ``method`` (the message lists the valid ones) or a
      size that is not a positive int.
  """
  if method not in RESIZE_METHODS:
    raise ValueError(f"resize: method={method!r} is invalid; valid methods: "
                     f"{', '.join(repr(m) for m in RESIZE_METHODS)}.")
  n_in, n_out = _check_size(n_in, "resize", "n_in"), _check_size(n_out, "resize", "n_out")
  kernel, support = RESIZE_METHODS[method]
  scale = n_in / n_out
  width = max(scale, 1.0)
  centres = (np.arange(n_out) + 0.5) * scale
  j = np.arange(n_in)
  dist = (j[None, :] + 0.5 - centres[:, None]) / width
  # Pillow's window: xmin = int(c - f r + 0.5), xmax = int(c + f r + 0.5).
  lo = np.maximum((centres - width * support + 0.5).astype(np.int64), 0)
  hi = np.minimum((centres + width * support + 0.5).astype(np.int64), n_in)
  inside = (j[None, :] >= lo[:, None]) & (j[None, :] < hi[:, None])
  weights = np.where(inside, kernel(dist), 0.0)
  return weights / weights.sum(axis=1, keepdims=True)


def resize(x: np.ndarray, height: int, width: int | None = None, *,
           method: str = "bilinear") -> np.ndarray:
  """Resizes ``[N, H, W, C]`` images as Pillow's ``Image.resize`` does on floats.

  Args:
    x: images ``[N, H, W, C]``, any real dtype (computed in float64).
    height: output height.
    width: output width (default: ``height``).
    method: ``'bilinear'`` (default; Pillow's ``BILINEAR``, antialiased when
      shrinking, what DCGAN-tensorflow's ``scipy.misc.imresize`` used) or
      ``'area'`` (Pillow's ``BOX``).

  Returns:
    float32 ``[N, height, width, C]`` (no rounding: see
    :func:`crop_and_resize_uint8` for 8-bit pixels).
  """
  x = _check_images(x, "resize")
  width = height if width is None else width
  rows = resize_weights(x.shape[1], height, method)
  cols = resize_weights(x.shape[2], width, method)
  out = np.einsum("oh,nhwc->nowc", rows, x.astype(np.float64))
  out = np.einsum("pw,nowc->nopc", cols, out)
  return out.astype(np.float32)


def crop_and_resize_uint8(x: np.ndarray, *, crop: int | None = None,
                          size: int | None = None, method: str = "bilinear",
                          chunk: int = 1024) -> np.ndarray:
  """Optional :func:`center_crop` then optional :func:`resize`, on 8-bit pixels.

  As Pillow resizes 8-bit images: the width first, rounded half up
  (``floor(y + 1/2)``) and clipped to 0..255, then the height, rounded
  again. Pillow's fixed-point weights (22 bits) move a few pixels by 1: on
  random 108x108 crops resized to 64x64, 0.35% of the values differ by 1
  with ``'bilinear'``, none with ``'area'`` (tested). Works
  ``chunk`` images at a time so that the float64 intermediates stay small.

  Args:
    x: uint8 ``[N, H, W, C]``.
    crop: side of the central square to keep (``None``: no crop).
    size: side of the square output (``None``: no resize).
    method: see :func:`resize`.
    chunk: images per step.

  Returns:
    uint8 ``[N, size or crop or H, size or crop or W, C]``.
  """
  x = _check_images(x, "crop_and_resize_uint8")
  if x.dtype != np.uint8:
    raise TypeError(f"crop_and_resize_uint8: expected uint8 images, got {x.dtype}.")
  if crop is not None:
    x = center_crop(x, crop)
  if size is None:
    return np.ascontiguousarray(x)
  size = _check_size(size, "crop_and_resize_uint8", "size")
  out = np.empty((len(x), size, size, x.shape[3]), np.uint8)
  rows = resize_weights(x.shape[1], size, method)
  cols = resize_weights(x.shape[2], size, method)
  # Pillow rounds halves up: floor(y + 0.5).
  to_uint8 = lambda y: np.clip(np.floor(y + 0.5), 0, 255).astype(np.uint8)
  for s in range(0, len(x), chunk):
    # Pillow's order: the width first, rounded to 8 bits, then the height.
    y = to_uint8(np.einsum("pw,nhwc->nhpc", cols, x[s:s + chunk].astype(np.float64)))
    out[s:s + chunk] = to_uint8(np.einsum("oh,nhpc->nopc", rows, y.astype(np.float64)))
  return out
