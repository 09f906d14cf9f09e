"""Stacked MNIST: three MNIST digits as the channels of one image, 1000 modes.

The "ColorMNIST" / Stacked MNIST benchmark of Metz et al. (2017, "Unrolled
generative adversarial networks", Sec. 3.3.2), used by VEEGAN (Srivastava et
al. 2017, Sec. 5.3) and PacGAN (Lin et al. 2018, Sec. 5.2): each image holds
three MNIST digits, drawn independently and uniformly, as its three
channels; its *mode* is the triple of their labels,

.. math::

   m = 100\\, y_0 + 10\\, y_1 + y_2 \\in \\{0, \\dots, 999\\},

so the data has 1000 (almost) equally likely modes. A generator's modes are
read by an MNIST classifier applied to each channel separately
(:func:`gengan_jax.metrics.classifier.stacked_digits`).

Sizes of the benchmark in the PacGAN reference code (fjxmlzn/PacGAN,
``stacked_MNIST_experiments/VEEGAN_experiment/model.py``): 25,600 training
images by default (``num_training_sample``; the experiment of its Table 2
passes 128,000 from ``config.py``, stacked from the 70,000 digits of
MNIST's train and test sets: ``split='train+test'`` of the data source),
26,000 generated samples for the mode count; a mode counts as covered with
at least one sample.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "NUM_MODES",
    "NUM_TRAINING_IMAGES",
    "NUM_EVAL_SAMPLES",
    "mode_of_digits",
    "stack_digits",
]

NUM_MODES = 1000
# PacGAN reference code (VEEGAN experiment, model.py's defaults):
# num_training_sample=25600 (its config.py passes 128,000), num_test_sample=26000.
NUM_TRAINING_IMAGES = 25_600
NUM_EVAL_SAMPLES = 26_000


def mode_of_digits(digits: np.ndarray) -> np.ndarray:
  """The Stacked MNIST mode of digit triples: ``100 d_0 + 10 d_1 + d_2``.

  Args:
    digits: integer ``[N, 3]`` in ``0..9`` (channel 0 first).

  Returns:
    int64 ``[N]`` in ``0..999``.
  """
  digits = np.asarray(digits)
  if digits.ndim != 2 or digits.shape[1] != 3:
    raise ValueError(
        f"mode_of_digits: digits must be [N, 3]; got shape {digits.shape}.")
  if not np.issubdtype(digits.dtype, np.integer):
    raise TypeError(f"mode_of_digits: digits must be integers, got {digits.dtype}.")
  if digits.size and (digits.min() < 0 or digits.max() > 9):
    raise ValueError("mode_of_digits: digits must lie in 0..9; got values in "
                     f"[{digits.min()}, {digits.max()}].")
  return digits.astype(np.int64) @ np.array([100, 10, 1], np.int64)


def stack_digits(images: np.ndarray, labels: np.ndarray, num_images: int, *,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """Builds Stacked MNIST images from single-channel digits.

  Draws ``indices ~ Uniform{0..N-1}^{num_images x 3}`` with
  ``np.random.default_rng(seed)`` and stacks ``images[indices[:, c]]`` as
  channel ``c`` (Metz et al. 2017, Sec. 3.3.2).

  Args:
    images: digits ``[N, H, W]`` or ``[N, H, W, 1]``, any dtype (kept).
    labels: their integer labels ``[N]`` in ``0..9``.
    num_images: how many stacked images to make.
    seed: the draw is a function of this seed.

  Returns:
    ``(stacked, modes, indices)``: ``[num_images, H, W, 3]`` (``images``'
    dtype), int64 modes ``[num_images]`` in ``0..999`` (see
    :func:`mode_of_digits`) and the int64 source indices ``[num_images, 3]``.
  """
  images = np.asarray(images)
  labels = np.asarray(labels)
  if images.ndim == 4:
    if images.shape[-1] != 1:
      raise ValueError(
          f"stack_digits: images must be single-channel [N, H, W(, 1)]; got "
          f"shape {images.shape}.")
    images = images[..., 0]
  if images.ndim != 3 or images.shape[0] < 1:
    raise ValueError(
        f"stack_digits: images must be [N, H, W] or [N, H, W, 1] with N >= 1; "
        f"got shape {images.shape}.")
  if labels.shape != (images.shape[0],):
    raise ValueError(
        f"stack_digits: labels must be [N] = [{images.shape[0]}]; got shape "
        f"{labels.shape}.")
  if (not isinstance(num_images, (int, np.integer)) or isinstance(num_images, bool)
      or num_images < 1):
    raise ValueError(
        f"stack_digits: num_images must be a positive int, got {num_images!r}.")
  rng = np.random.default_rng(seed)
  indices = rng.integers(0, images.shape[0], size=(int(num_images), 3), dtype=np.int64)
  stacked = np.stack([images[indices[:, c]] for c in range(3)], axis=-1)
  return stacked, mode_of_digits(labels[indices]), indices
