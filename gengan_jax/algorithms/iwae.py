r"""IWAE: the VAE's networks trained on the ``k``-sample importance-weighted bound.

Burda, Grosse & Salakhutdinov, "Importance weighted autoencoders" (ICLR
2016), eq. (8): with ``k`` reparameterised draws ``z_1..z_k ~ q(z | x)``
and weights ``w_i = p(x, z_i) / q(z_i | x)``,

.. math::

  \mathcal L_k(x) = \mathbb E\Big[\log \frac1k \sum_{i=1}^k w_i\Big]
  \;\le\; \mathcal L_{k+1}(x) \;\le\; \log p(x),

and ``L_1`` is the ELBO (Theorem 1). The gradient is the reparameterised
gradient of the estimate, which weighs each draw's ``grad log w_i`` by its
normalised weight (eq. 14). The networks, the observation model and the
rest of the contract are the VAE's (:mod:`.vae`): ``sample``, ``encode``,
``reconstruct``, ``posterior`` and ``log_likelihood`` (``L_k`` with the
evaluation's ``k``, default 1,000).

``num_importance_samples`` is the training ``k`` (the paper's 1, 5 and 50;
default 5, the MNIST config 50). One ``train_step``: binarise as the VAE
does, then one joint step of encoder and decoder on ``-mean L_k(x)``.
Metrics (nats): ``iwae_bound`` (the batch's ``L_k``), ``elbo`` (the mean
log-weight, a ``k``-draw estimate of the ELBO with a Monte Carlo KL),
``effective_sample_size`` (``(sum w)^2 / sum w^2``, between 1 and ``k``:
how many draws the bound really uses) and ``loss``.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from gengan_jax.algorithms import vae
from gengan_jax.algorithms.vae import (State, encode, init, log_likelihood, log_likelihood_space,
                                       posterior, reconstruct, sample)
from gengan_jax.core import check_int, single_batch
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import step_keys


@dataclasses.dataclass(frozen=True)
class Config(vae.BaseConfig):
  """IWAE hyper-parameters (:class:`gengan_jax.algorithms.vae.BaseConfig` and ``k``).

  Attributes:
    num_importance_samples: ``k``, draws from ``q(z | x)`` per example in
      the training bound, >= 1 (1 is a VAE with a Monte Carlo KL).
  """

  num_importance_samples: int = 5

  def __post_init__(self):
    super().__post_init__()
    check_int("num_importance_samples", self.num_importance_samples, 1)


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One joint step of encoder and decoder on ``-mean L_k(x)``.

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  keys = step_keys(key, state.step, "binarize", "latent")
  x = vae.binarized(cfg, single_batch(batch, "iwae"), keys["binarize"])
  log_likelihood_fn = vae.observation(cfg).log_likelihood

  def loss_fn(nets):
    log_w = vae.importance_log_weights(nets["encoder"], nets["decoder"], log_likelihood_fn, x,
                                       keys["latent"], cfg.num_importance_samples)
    bound = vae.importance_weighted_bound(log_w)
    return -jnp.mean(bound), (bound, log_w)

  updated, loss, (bound, log_w) = ts.minimize_jointly(
      {"encoder": state.encoder, "decoder": state.decoder}, loss_fn)
  normalized = jax.nn.softmax(log_w, axis=0)
  metrics = {"loss": loss, "iwae_bound": jnp.mean(bound), "elbo": jnp.mean(log_w),
             "effective_sample_size": jnp.mean(1.0 / jnp.sum(jnp.square(normalized), axis=0))}
  return state.replace(step=state.step + 1, **updated), metrics


__all__ = ["Config", "State", "encode", "init", "log_likelihood", "log_likelihood_space",
           "posterior", "reconstruct", "sample", "train_step"]
