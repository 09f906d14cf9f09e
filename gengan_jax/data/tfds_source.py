"""Images from TensorFlow Datasets, read without TensorFlow.

``tfds.data_source`` gives random access to a dataset that has already been
*prepared* in the ArrayRecord format; reading it needs ``tensorflow-datasets``,
``array_record`` and Pillow (or OpenCV) to decode images, but not TensorFlow.
This module never downloads: ``download=False`` is always passed.

Preparing a dataset (download + conversion) is a separate, one-off step on a
machine with internet. TFDS's preparation code for image datasets uses
TensorFlow (``tf.io.gfile`` to read the raw files, ``tf.image.encode_png`` to
store images), so install it there::

    pip install tensorflow tensorflow-datasets
    python -c "import tensorflow_datasets as tfds; \\
        tfds.builder('mnist', file_format='array_record') \\
            .download_and_prepare()"

``file_format='array_record'`` matters: the default, TFRecord, has no random
access and ``tfds.data_source`` cannot read it. Copy the resulting
``~/tensorflow_datasets/<name>`` folder to the training machine and pass its
parent as ``data_dir`` (or set ``TFDS_DATA_DIR``).

The datasets we target (mnist, cifar10, celeb_a) fit in host memory, so
:func:`tfds_images` materialises the whole split. A lazy source that decodes
records on demand for datasets that do not fit is future work.
"""

from __future__ import annotations

import os

import numpy as np

from gengan_jax.data import image_ops

__all__ = ["tfds_images"]


def _how_to_obtain(name: str, split: str, data_dir,
                   cause: BaseException) -> str:
  where = data_dir if data_dir is not None else os.environ.get(
      "TFDS_DATA_DIR", "~/tensorflow_datasets")
  folder = name.split("/")[0].split(":")[0]
  return (
      f"tfds_images: TFDS dataset {name!r} (split {split!r}) is not prepared "
      f"in the ArrayRecord format under data_dir={where!r} "
      f"({type(cause).__name__}: {cause}).\n"
      "gengan_jax never downloads. To obtain it, on a machine with internet "
      "run (TFDS needs TensorFlow to prepare image datasets; reading them "
      "later does not):\n"
      "    pip install tensorflow tensorflow-datasets\n"
      "    python -c \"import tensorflow_datasets as tfds; "
      f"tfds.builder('{name}', file_format='array_record')"
      ".download_and_prepare()\"\n"
      f"then copy ~/tensorflow_datasets/{folder} to this machine and pass its "
      "parent folder as data_dir (or set TFDS_DATA_DIR).\n"
      "Or use the local-files source instead: source='idx' (MNIST-style IDX "
      "files) or source='npz' (a uint8 [N, H, W, C] array in an .npz file)."
  )


def tfds_images(
    name: str,
    split: str,
    *,
    data_dir: str | os.PathLike | None = None,
    image_key: str = "image",
    crop: int | None = None,
    resize: int | None = None,
    resize_method: str = "bilinear",
    chunk: int = 256,
) -> np.ndarray:
  """Reads every image of a prepared TFDS split into memory.

  With ``crop`` and/or ``resize``, each image is centre-cropped and resized
  as it is read (:func:`gengan_jax.data.image_ops.crop_and_resize_uint8`,
  ``chunk`` images at a time), so only the small images are kept: CelebA's
  202,599 aligned photographs are 23.6 GB at 218x178x3, 2.5 GB at 64x64x3.

  Args:
    name: TFDS dataset name, e.g. ``'mnist'``, ``'cifar10'``, ``'celeb_a'``
      (``'name/config:version'`` also works).
    split: TFDS split, e.g. ``'train'``, ``'test'``, ``'train[:10%]'``.
    data_dir: where the prepared dataset lives; default ``TFDS_DATA_DIR`` or
      ``~/tensorflow_datasets``.
    image_key: the feature holding the image.
    crop: side of the central square to keep (``None``: the whole image).
    resize: side of the square the (cropped) images are resized to
      (``None``: no resize).
    resize_method: ``'bilinear'`` (antialiased, as Pillow) or ``'area'``.
    chunk: images cropped and resized together.

  Returns:
    uint8 ``[N, H, W, C]`` (a channel axis is added to rank-2 images; ``H =
    W = resize or crop`` when given). All images of the split must have the
    same shape.

  Raises:
    FileNotFoundError: the dataset is not prepared (the message says how to
      obtain it).
    ValueError: unknown dataset name, empty split, non-uint8 or ragged images.
    KeyError: ``image_key`` is not a feature (the message lists the features).
  """
  import tensorflow_datasets as tfds  # Lazy: a slow import, needed only here.

  try:
    source = tfds.data_source(
        name,
        split=split,
        data_dir=data_dir,
        download=False,
        builder_kwargs={"file_format": "array_record"},
    )
  except tfds.core.DatasetNotFoundError as e:
    raise ValueError(
        f"tfds_images: TFDS has no dataset named {name!r} (see "
        "tfds.list_builders())."
    ) from e
  except (KeyError, ValueError, NotImplementedError, OSError) as e:
    raise FileNotFoundError(_how_to_obtain(name, split, data_dir, e)) from e

  n = len(source)
  if n == 0:
    raise ValueError(f"tfds_images: {name!r} split {split!r} is empty.")
  first = source[0]
  if image_key not in first:
    raise KeyError(
        f"tfds_images: {name!r} has no feature {image_key!r}; features: "
        f"{sorted(first)}."
    )
  shape = np.shape(first[image_key])
  if len(shape) == 2:
    shape = shape + (1,)

  def transform(images):
    return image_ops.crop_and_resize_uint8(images, crop=crop, size=resize,
                                           method=resize_method)

  out_shape = transform(np.zeros((1,) + shape, np.uint8)).shape[1:]
  out = np.empty((n,) + out_shape, dtype=np.uint8)
  buffer = np.empty((min(chunk, n),) + shape, dtype=np.uint8)
  for i in range(n):
    image = np.asarray((first if i == 0 else source[i])[image_key])
    if image.dtype != np.uint8:
      raise ValueError(
          f"tfds_images: {name!r} images are {image.dtype}; expected uint8."
      )
    if image.ndim == 2:
      image = image[..., None]
    if image.shape != shape:
      raise ValueError(
          f"tfds_images: {name!r} split {split!r} has images of different "
          f"shapes ({shape} at index 0, {image.shape} at index {i}); resize "
          "them before materialising."
      )
    buffer[i % len(buffer)] = image
    if i % len(buffer) == len(buffer) - 1 or i == n - 1:
      start = i - i % len(buffer)
      out[start:i + 1] = transform(buffer[:i + 1 - start])
  return out
