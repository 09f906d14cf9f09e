"""Encoders and decoders whose outputs parameterise distributions.

The networks of the likelihood family (VAE, beta-VAE, IWAE, the flow-prior
VAE) and of the hybrids that share them:

* :class:`GaussianEncoder` -- ``q(z | x) = N(mean(x), diag(exp(log_scale(x)))^2)``:
  a base encoder with ``2 K`` linear outputs, split into the mean and the log
  standard deviation (Kingma & Welling 2014, Appendix C.2);
* :class:`LikelihoodDecoder` -- ``p(x | z)``: a base generator with a linear
  output of ``num_params`` values per data dimension, split into the
  parameters of the observation model (one: Bernoulli logits, or a Gaussian
  mean with a fixed scale; two: a mean and a log scale), each shaped like
  the data.

The base networks come from :mod:`gengan_jax.nets.factory` by architecture
(:func:`~gengan_jax.nets.factory.make_gaussian_encoder`,
:func:`~gengan_jax.nets.factory.make_decoder`); which observation model the
parameters belong to is the algorithm's choice
(:func:`gengan_jax.losses.observation_model`).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp


class GaussianEncoder(nn.Module):
  """``x -> (mean, log_scale)``, each ``[B, latent_dim]``.

  Attributes:
    base: an encoder ``x -> [B, 2 * latent_dim]`` with a linear output.
    latent_dim: ``K``.
    flatten: reshape ``x`` to ``[B, -1]`` first (an MLP base on images).
  """

  base: nn.Module
  latent_dim: int
  flatten: bool = False

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> tuple[jax.Array, jax.Array]:
    """The posterior's mean and log standard deviation, each ``[B, K]``."""
    h = self.base(x.reshape(x.shape[0], -1) if self.flatten else x, train=train)
    if h.shape[-1] != 2 * self.latent_dim:
      raise ValueError(f"GaussianEncoder's base returned {h.shape[-1]} outputs per example; "
                       f"it needs 2 * latent_dim = {2 * self.latent_dim}.")
    mean, log_scale = jnp.split(h, 2, axis=-1)
    return mean, log_scale


class LikelihoodDecoder(nn.Module):
  """``z -> params``: a tuple of ``num_params`` arrays, each ``[B, *data_shape]``.

  Attributes:
    base: a generator ``z -> [B, *data_shape[:-1], num_params * data_shape[-1]]``
      with a linear output (the parameters stacked on the last axis), or
      ``[B, num_params * prod(data_shape)]`` (an MLP on images; reshaped).
    data_shape: shape of one example.
    num_params: parameters per data dimension (1 or 2).
  """

  base: nn.Module
  data_shape: tuple[int, ...]
  num_params: int = 1

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> tuple[jax.Array, ...]:
    """The observation model's parameters for each code of ``z [B, K]``."""
    out = self.base(z, train=train)
    if out.ndim == 2 and len(self.data_shape) > 1:  # An MLP base on images.
      out = out.reshape(z.shape[0], *self.data_shape[:-1], -1)
    expected = (z.shape[0], *self.data_shape[:-1], self.num_params * self.data_shape[-1])
    if out.shape != expected:
      raise ValueError(f"LikelihoodDecoder's base returned shape {out.shape}; it needs "
                       f"{expected} ({self.num_params} parameter(s) per data dimension).")
    return tuple(jnp.split(out, self.num_params, axis=-1))
