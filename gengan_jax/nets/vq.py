r"""VQ-VAE's encoder: continuous code vectors and the codebook they are quantised with.

van den Oord, Vinyals & Kavukcuoglu, "Neural discrete representation
learning" (NeurIPS 2017). The encoder maps ``x`` to ``M`` vectors ``z_e(x)``
of width ``D``; each is replaced by its nearest of ``K`` codebook vectors
``e_1 .. e_K`` (the quantisation itself is a loss-floor function,
:func:`gengan_jax.losses.vector_quantize`). This module holds the networks'
variables and no training logic:

* :class:`Codebook` -- the ``[K, D]`` embedding, either a parameter (learned
  by the codebook term of eq. 3) or, with ``ema=True``, a non-parameter
  variable in the :data:`EMA_COLLECTION` collection beside its running
  statistics ``cluster_size`` ``[K]`` and ``embed_sum`` ``[K, D]`` (the
  exponential moving averages of App. A.1, updated by the algorithm with
  :func:`gengan_jax.losses.ema_codebook_update`, never by a gradient);
* :class:`VQEncoder` -- a base encoder with ``M * D`` linear outputs,
  reshaped to ``z_e`` ``[B, M, D]``, and the codebook; it returns both
  (:class:`VQEncoding`), so one :class:`~gengan_jax.core.TrainState` holds
  the encoder, the codebook and (with EMA) its statistics in ``collections``.

:func:`make_vq_encoder` builds one by architecture name, as
:mod:`gengan_jax.nets.factory` does for the other networks.

The codes here are a *set* of ``M`` vectors per example (the base encoder's
dense output), not the paper's spatial grid of vectors: it fits every
architecture of the library and the algorithms' ``[B, latent_dim]`` codes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from gengan_jax.nets import factory

EMA_COLLECTION = "vq_ema"

# Components uniform with variance 1 / D, so a codebook vector has norm ~1
# (the unit-scaling initialiser of the authors' Sonnet VectorQuantizer).
_CODEBOOK_INIT = nn.initializers.variance_scaling(1.0, "fan_in", "uniform", in_axis=-1,
                                                  out_axis=-2)


class Codebook(nn.Module):
  """The ``K`` embedding vectors ``e_j`` of width ``D``, as a ``[K, D]`` array.

  Attributes:
    num_codes: ``K``.
    embedding_dim: ``D``.
    ema: keep the embedding out of the parameters, in the
      :data:`EMA_COLLECTION` collection with its running statistics
      (``cluster_size`` starts at 1 and ``embed_sum`` at the embedding, so
      ``embed_sum / cluster_size`` is the initial embedding and an unused
      code keeps its vector while its counts decay).
  """

  num_codes: int
  embedding_dim: int
  ema: bool = False

  @nn.compact
  def __call__(self) -> jax.Array:
    """The codebook ``[K, D]``."""
    shape = (self.num_codes, self.embedding_dim)
    if not self.ema:
      return self.param("embedding", _CODEBOOK_INIT, shape)
    embedding = self.variable(EMA_COLLECTION, "embedding",
                              lambda: _CODEBOOK_INIT(self.make_rng("params"), shape))
    self.variable(EMA_COLLECTION, "cluster_size", lambda: jnp.ones((self.num_codes,)))
    self.variable(EMA_COLLECTION, "embed_sum", lambda: embedding.value)
    return embedding.value


class VQEncoding(NamedTuple):
  """What :class:`VQEncoder` returns.

  Attributes:
    z_e: ``[B, M, D]`` the encoder's continuous code vectors.
    codebook: ``[K, D]`` the codebook they are quantised with.
  """

  z_e: jax.Array
  codebook: jax.Array


class VQEncoder(nn.Module):
  """``x -> (z_e [B, M, D], codebook [K, D])``.

  Attributes:
    base: an encoder ``x -> [B, M * D]`` with a linear output.
    num_latents: ``M``, the code vectors per example.
    codebook: the :class:`Codebook`.
    flatten: reshape ``x`` to ``[B, -1]`` first (an MLP base on images).
  """

  base: nn.Module
  num_latents: int
  codebook: Codebook
  flatten: bool = False

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> VQEncoding:
    """The continuous code vectors of ``x`` and the codebook."""
    h = self.base(x.reshape(x.shape[0], -1) if self.flatten else x, train=train)
    d = self.codebook.embedding_dim
    if h.shape[-1] != self.num_latents * d:
      raise ValueError(f"VQEncoder's base returned {h.shape[-1]} outputs per example; it "
                       f"needs num_latents * embedding_dim = {self.num_latents * d}.")
    return VQEncoding(z_e=h.reshape(x.shape[0], self.num_latents, d), codebook=self.codebook())


def make_vq_encoder(arch: str, *, data_shape: Sequence[int], num_latents: int,
                    embedding_dim: int, num_codes: int, ema: bool = False,
                    **kw: Any) -> VQEncoder:
  """Returns VQ-VAE's encoder and codebook for ``arch`` and ``data_shape``.

  The base is :func:`gengan_jax.nets.make_encoder` with ``num_latents *
  embedding_dim`` linear outputs; ``mlp`` flattens images.

  Args:
    arch: ``"mlp"`` or ``"dcgan"``.
    data_shape: shape of one example (``mlp``: any; ``dcgan``: 28, 32 or 64
      pixel square images).
    num_latents: ``M``, the code vectors per example.
    embedding_dim: ``D``, their width.
    num_codes: ``K``, the codebook's size.
    ema: the codebook is updated by moving averages (:class:`Codebook`).
    **kw: forwarded to the base (``hidden`` for ``mlp``, ``base_features``
      for ``dcgan``).

  Raises:
    ValueError: a non-positive size, or what :func:`~gengan_jax.nets.make_encoder`
      raises.
    TypeError: a keyword the base does not take.
  """
  for name, value in (("num_latents", num_latents), ("embedding_dim", embedding_dim),
                      ("num_codes", num_codes)):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
      raise ValueError(f"{name} must be a positive int; got {value!r}.")
  shape = tuple(int(d) for d in data_shape)
  flatten = arch == "mlp" and len(shape) > 1
  base = factory.make_encoder(arch, data_shape=(math.prod(shape),) if flatten else shape,
                              latent_dim=num_latents * embedding_dim, **kw)
  return VQEncoder(base=base, num_latents=num_latents,
                   codebook=Codebook(num_codes=num_codes, embedding_dim=embedding_dim, ema=ema),
                   flatten=flatten)
