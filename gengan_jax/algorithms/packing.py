"""PacGAN packing: the discriminator judges ``m`` samples at once.

Lin, Khetan, Fanti & Oh, "PacGAN: The power of two samples in generative
adversarial networks" (NeurIPS 2018), Sec. 3: the discriminator of a packed
GAN maps ``m`` samples, drawn independently from the same distribution (all
data, or all from the generator), to one decision, which penalises a
generator whose samples lack diversity (mode collapse). As in the authors'
code (``fjxmlzn/PacGAN``: ``tf.concat(G_sep, 3)`` for images, the packed
feature vectors of the 2-D experiments), the ``m`` samples are concatenated
along their last axis (the features of a vector, the channels of an image),
so only the discriminator's input layer widens; everything after it is the
unpacked architecture.

A packed discriminator example is made of ``m`` batches of ``B``: the
``i``-th example of the packed batch is ``(x_1[i], ..., x_m[i])``. The batch
the discriminator sees keeps its size ``B`` (the reference code's
``batch_size``); the step draws ``m`` times as many data and model samples.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gengan_jax.core import expect_batches, single_batch


def pack(batches: jax.typing.ArrayLike) -> jax.Array:
  """Concatenates ``m`` batches of samples along their last axis.

  Args:
    batches: ``[m, B, *shape]``: ``m`` batches of ``B`` samples each (all
      from the data, or all from the model).

  Returns:
    ``[B, *shape[:-1], m * shape[-1]]``: example ``i`` holds sample ``i`` of
    every batch, batch 0's features first. ``m = 1`` returns the batch.

  Raises:
    ValueError: ``batches`` has fewer than 3 axes (``[m, B, features]``).
  """
  batches = jnp.asarray(batches)
  if batches.ndim < 3:
    raise ValueError(f"pack expects batches of shape [m, B, *shape] with at least one "
                     f"feature axis; got shape {batches.shape}.")
  if batches.shape[0] == 1:
    return batches[0]
  return jnp.concatenate(list(batches), axis=-1)


def packed_shape(shape: tuple[int, ...], m: int) -> tuple[int, ...]:
  """The shape of a packed example (or batch) of ``m`` samples of ``shape``."""
  return tuple(shape[:-1]) + (m * shape[-1],)


def packed_data(batch: jax.Array, m: int, name: str) -> jax.Array:
  """A step's data ``[m, B, *shape]`` as ``B`` packed discriminator inputs (:func:`pack`).

  ``m = 1`` takes the one batch as it is. A batch with the wrong number of
  batches raises the one-line error of :func:`gengan_jax.core.single_batch`
  or :func:`gengan_jax.core.expect_batches`, naming ``name`` (and ``pack=m``).
  """
  if m == 1:
    return single_batch(batch, name)
  return pack(expect_batches(batch, m, f"{name} with pack={m}"))


def packed_updates(batch: jax.Array, updates: int, m: int) -> jax.Array:
  """A step's data ``[updates * m, B, *shape]`` as ``[updates, B, *packed_shape]``:
  update ``u`` packs batches ``u * m`` to ``u * m + m - 1`` (:func:`pack`).
  ``m = 1`` returns ``batch`` as it is."""
  if m == 1:
    return batch
  return jax.vmap(pack)(batch.reshape((updates, m) + batch.shape[1:]))


def data_points(batch: jax.Array, m: int, name: str) -> jax.Array:
  """A step's data ``[m, B, *shape]`` as its ``m * B`` points ``[m * B, *shape]``, batch 0 first.

  For the steps whose other networks see the data points one by one while the
  discriminator judges them packed (:func:`pack_samples` packs them back).
  ``m = 1`` takes the one batch as it is. A batch with the wrong number of
  batches raises the one-line error of :func:`gengan_jax.core.single_batch`
  or :func:`gengan_jax.core.expect_batches`, naming ``name`` (and ``pack=m``).
  """
  if m == 1:
    return single_batch(batch, name)
  expect_batches(batch, m, f"{name} with pack={m}")
  return batch.reshape((m * batch.shape[1],) + batch.shape[2:])


def pack_samples(samples: jax.Array, m: int) -> jax.Array:
  """``[m * B, *shape]`` samples as ``B`` packed discriminator inputs.

  Sample ``i`` of batch ``j`` is ``samples[j * B + i]``: the first ``B``
  samples are batch 0. ``m = 1`` returns ``samples`` as they are.
  """
  if m == 1:
    return samples
  return pack(samples.reshape((m, -1) + samples.shape[1:]))


def packed_example(example_batch: jax.Array, m: int) -> jax.Array:
  """A batch shaped like a packed discriminator input, to initialise the
  discriminator with: ``m`` copies of ``example_batch`` packed (``m = 1``: the batch)."""
  if m == 1:
    return example_batch
  return pack(jnp.stack([example_batch] * m))
