"""An algorithm's networks, built from its :class:`ArchitectureConfig`.

Every algorithm draws its generator, discriminator (or critic), encoder,
auto-encoder discriminator, Gaussian encoder and likelihood decoder from :mod:`gengan_jax.nets` the same way: by
``config.arch``, for data shaped like one example of ``example_batch``, with
its own optimizer. These
helpers hold that once, so an algorithm's ``init`` lists only which networks
it has.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax

from gengan_jax import losses, nets
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import train_state as ts
from gengan_jax.core.config import OptimizerConfig
from gengan_jax.core.keys import gaussian_prior


def _data_shape(example_batch: jax.Array) -> tuple[int, ...]:
  return tuple(example_batch.shape[1:])


def generator(config: ArchitectureConfig, key: jax.Array, example_batch: jax.Array,
              optimizer: OptimizerConfig) -> ts.TrainState:
  """``G: z [B, latent_dim] -> [B, *data_shape]``, initialised at ``key``."""
  net = nets.make_generator(config.arch, data_shape=_data_shape(example_batch),
                            latent_dim=config.latent_dim, **config.net_kwargs())
  z = jnp.zeros((example_batch.shape[0], config.latent_dim))
  return ts.create(net, key, z, optimizer)


def discriminator(config: ArchitectureConfig, key: jax.Array, example_batch: jax.Array,
                  optimizer: OptimizerConfig, *,
                  use_batch_norm: bool = True) -> ts.TrainState:
  """``D: x -> logits [B]`` (or a critic's scores); no BN if asked."""
  net = nets.make_discriminator(config.arch, data_shape=_data_shape(example_batch),
                                use_batch_norm=use_batch_norm, **config.discriminator_kwargs())
  return ts.create(net, key, example_batch, optimizer)


def encoder(config: ArchitectureConfig, key: jax.Array, example_batch: jax.Array,
            optimizer: OptimizerConfig, *, latent_dim: int | None = None,
            tx=None) -> ts.TrainState:
  """``E: x -> codes [B, latent_dim]`` (default: ``config.latent_dim``)."""
  net = nets.make_encoder(config.arch, data_shape=_data_shape(example_batch),
                          latent_dim=config.latent_dim if latent_dim is None else latent_dim,
                          **config.net_kwargs())
  return ts.create(net, key, example_batch, optimizer, tx=tx)


def gaussian_encoder(config: ArchitectureConfig, key: jax.Array, example_batch: jax.Array,
                     optimizer: OptimizerConfig) -> ts.TrainState:
  """``q(z | x)``: ``x -> (mean, log_scale)``, each ``[B, config.latent_dim]``."""
  net = nets.make_gaussian_encoder(config.arch, data_shape=_data_shape(example_batch),
                                   latent_dim=config.latent_dim, **config.net_kwargs())
  return ts.create(net, key, example_batch, optimizer)


def decoder(config: ArchitectureConfig, key: jax.Array, example_batch: jax.Array,
            optimizer: OptimizerConfig, *, num_params: int) -> ts.TrainState:
  """``p(x | z)``'s parameters: ``z [B, latent_dim] -> num_params x [B, *data_shape]``."""
  net = nets.make_decoder(config.arch, data_shape=_data_shape(example_batch),
                          latent_dim=config.latent_dim, num_params=num_params,
                          **config.net_kwargs())
  z = jnp.zeros((example_batch.shape[0], config.latent_dim))
  return ts.create(net, key, z, optimizer)


def autoencoder(config: ArchitectureConfig, key: jax.Array, example_batch: jax.Array,
                optimizer: OptimizerConfig, *, code_dim: int,
                use_batch_norm: bool) -> ts.TrainState:
  """The auto-encoder discriminator ``x -> Dec(Enc(x))`` (EBGAN, BEGAN), code ``[B, code_dim]``."""
  net = nets.make_autoencoder(config.arch, data_shape=_data_shape(example_batch),
                              code_dim=code_dim, use_batch_norm=use_batch_norm,
                              **config.net_kwargs())
  return ts.create(net, key, example_batch, optimizer)


def joint_discriminator(config: ArchitectureConfig, key: jax.Array, example_batch: jax.Array,
                        optimizer: OptimizerConfig, *, hidden: tuple[int, ...],
                        latent_dim: int | None = None, **kw) -> ts.TrainState:
  """``D: (x, z [B, latent_dim]) -> logits [B]`` on pairs (:class:`nets.JointDiscriminator`;
  ``kw``: its ``use_batch_norm``, ``activation``, ``input_dropout``, ``dropout``)."""
  net = nets.make_joint_discriminator(config.arch, data_shape=_data_shape(example_batch),
                                      hidden=hidden, base_features=config.base_features, **kw)
  z = jnp.zeros((example_batch.shape[0], config.latent_dim if latent_dim is None else latent_dim))
  return ts.create(net, key, (example_batch, z), optimizer)


def with_weight_clipping(state: ts.TrainState, clip: float) -> ts.TrainState:
  """``state`` constrained to ``[-clip, clip]``: its optimizer followed by
  :func:`gengan_jax.losses.clip_weights` (WGAN, Arjovsky et al. 2017,
  Algorithm 1 line 7), and its parameters clipped to start inside the set, as
  after any clipped update."""
  tx = optax.chain(state.tx, losses.clip_weights(clip))
  params = jax.tree.map(lambda p: jnp.clip(p, -clip, clip), state.params)
  return state.replace(tx=tx, params=params, opt_state=tx.init(params))


def sample(generator_state: ts.TrainState, key: jax.Array, num: int, latent_dim: int, *,
           prior: Callable[[jax.Array, int, int], jax.Array] = gaussian_prior) -> jax.Array:
  """``num`` samples ``G(z)``, ``z ~ prior`` (batch norm in inference mode)."""
  return ts.forward(generator_state, prior(key, num, latent_dim), train=False)
