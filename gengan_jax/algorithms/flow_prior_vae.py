r"""A VAE whose prior is a Real NVP, trained jointly on the ELBO.

The VAE of Kingma & Welling (:mod:`.vae`) with ``p(z) = N(0, I)`` replaced
by a learned density ``p_lambda(z)``: a Real NVP on the codes (Dinh et al.
2017; :class:`gengan_jax.nets.RealNVP`), as in the Skoltech lecture's "ELBO
with a flow-based VAE prior" (and the learned priors of Chen et al. 2017,
"Variational lossy autoencoder", Sec. 2.2). The encoder, the decoder and the
prior ascend one objective in one joint update
(:func:`~gengan_jax.core.train_state.minimize_jointly`):

.. math::

  \mathcal L(x) = \mathbb E_{q(z \mid x)}\big[\log p(x \mid z)
                  + \log p_\lambda(z)\big] + \mathbb H[q(z \mid x)],

the expectation with one reparameterised draw and the Gaussian entropy in
closed form. The KL to the prior has no closed form now; the one-draw
``log q(z|x) - log p_lambda(z)`` (with ``E_q log q = -H[q]`` exact) is its
estimate. Only the prior's term trains the flow: it is fitted by maximum
likelihood to the codes the encoder draws, i.e. to the aggregate posterior
``q(z) = E_x q(z | x)``, which is the prior that maximises the ELBO for a
fixed encoder (Hoffman & Johnson 2016; the "marginal KL" of the ELBO
surgery is the price a fixed ``N(0, I)`` pays for missing it).

One ``train_step``: binarise as the VAE does, then one joint step of the
three networks on ``-mean L(x)``. Metrics (nats): ``elbo``,
``reconstruction_log_likelihood``, ``kl`` (the one-draw estimate) and
``prior_log_prob`` (``mean log p_lambda(z)`` of the drawn codes).

The rest of the contract is the VAE's with the flow in place of ``N(0, I)``:
:func:`sample` decodes ``z = f^{-1}(u)``, ``u ~ N(0, I)``;
:func:`log_likelihood` is the importance-weighted **lower bound** with ``k``
draws (default ``config.eval_importance_samples``); :func:`encode`,
:func:`reconstruct` and :func:`posterior` are the VAE's; :func:`log_prior` is
the flow's density, for the evaluation's ELBO surgery.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable

import jax
import jax.numpy as jnp

from gengan_jax import losses, nets
from gengan_jax.algorithms import vae
from gengan_jax.algorithms.vae import encode, log_likelihood_space, posterior, reconstruct
from gengan_jax.core import check_widths
from gengan_jax.core import AlgorithmState, OptimizerConfig, check, check_int, single_batch
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import step_keys

_LOG_2PI = math.log(2.0 * math.pi)


@dataclasses.dataclass(frozen=True)
class Config(vae.BaseConfig):
  """Flow-prior VAE hyper-parameters: :class:`~gengan_jax.algorithms.vae.BaseConfig`
  and the prior's Real NVP.

  Attributes:
    prior_couplings: affine coupling layers of the prior (even, >= 2: each
      code dimension is transformed equally often).
    prior_hidden: widths of each coupling's ReLU MLP.
    optimizer: the optimizer of all three networks (one objective; each
      keeps its own optimizer state).
  """

  prior_couplings: int = 4
  prior_hidden: tuple[int, ...] = (64, 64)
  optimizer: OptimizerConfig = OptimizerConfig(1e-3, 0.9, 0.999)

  def __post_init__(self):
    super().__post_init__()
    check_int("prior_couplings", self.prior_couplings, 2)
    check(self.prior_couplings % 2 == 0, "prior_couplings", self.prior_couplings,
          "an even integer >= 2")
    check_widths("prior_hidden", self.prior_hidden)


class State(AlgorithmState):
  """The encoder ``q(z | x)``, the decoder ``p(x | z)``, the prior ``p_lambda(z)``."""

  encoder: ts.TrainState
  decoder: ts.TrainState
  prior: ts.TrainState


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises the VAE's networks and the prior (the identity map at first:
  every coupling starts at zero, so ``p_lambda = N(0, I)``)."""
  vae_key, p_key = jax.random.split(key)
  base = vae.init(vae_key, config, example_batch)
  flow = nets.RealNVP(data_shape=(config.latent_dim,), num_couplings=config.prior_couplings,
                      hidden=config.prior_hidden)
  z = jnp.zeros((example_batch.shape[0], config.latent_dim))
  return State(step=base.step, encoder=base.encoder, decoder=base.decoder,
               prior=ts.create(flow, p_key, z, config.optimizer), config=config)


def gaussian_entropy(log_scale: jax.Array) -> jax.Array:
  r"""``H[N(mu, diag(sigma^2))] = sum_k (log sigma_k + (1 + log 2 pi) / 2)``, ``[B, K] -> [B]``."""
  return jnp.sum(log_scale + 0.5 * (1.0 + _LOG_2PI), axis=-1)


def learned_prior_step(state: Any, batch: jax.Array, key: jax.Array, name: str,
                       log_prior: Callable[[Any, jax.Array], jax.Array]) -> tuple[Any, dict]:
  """One joint step of encoder, decoder and a learned prior on ``-mean L(x)``.

  The step of every VAE whose prior is a network of its own (``state.prior``:
  this module's flow, :mod:`.vamp_prior_vae`'s pseudo-inputs): one
  reparameterised draw, the Gaussian entropy in closed form, and
  ``log p_lambda(z)`` from ``log_prior(nets, z)``, where ``nets`` are the
  networks being differentiated (``nets["prior"]``, ``nets["encoder"]``, ...).

  Args:
    state: a state with ``encoder``, ``decoder`` and ``prior``.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
    name: the algorithm's name (for the batch-shape error).
    log_prior: ``(nets, z [B, K]) -> log p_lambda(z) [B]``.
  """
  cfg = state.config
  keys = step_keys(key, state.step, "binarize", "latent")
  x = vae.binarized(cfg, single_batch(batch, name), keys["binarize"])
  log_px_given_z = vae.observation(cfg).log_likelihood

  def loss_fn(n):
    mean, log_scale = n["encoder"](x)
    z = losses.gaussian_sample(keys["latent"], mean, log_scale)
    rec = log_px_given_z(x, n["decoder"](z))
    log_pz = log_prior(n, z)
    kl = -gaussian_entropy(log_scale) - log_pz
    return -jnp.mean(rec - kl), (rec, kl, log_pz)

  updated, loss, (rec, kl, log_pz) = ts.minimize_jointly(
      {"encoder": state.encoder, "decoder": state.decoder, "prior": state.prior}, loss_fn)
  metrics = {"loss": loss, "elbo": -loss, "reconstruction_log_likelihood": jnp.mean(rec),
             "kl": jnp.mean(kl), "prior_log_prob": jnp.mean(log_pz)}
  return state.replace(step=state.step + 1, **updated), metrics


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One joint step of encoder, decoder and prior on ``-mean L(x)``, the flow's
  ``log p_lambda(z)`` as the prior (``learned_prior_step``).

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  return learned_prior_step(state, batch, key, "flow_prior_vae", lambda n, z: n["prior"](z))


def sample_prior(state: State, key: jax.Array, num: int) -> jax.Array:
  """``num`` codes ``z = f^{-1}(u)``, ``u ~ N(0, I)``: ``[num, K]``."""
  u = jax.random.normal(key, (num, state.config.latent_dim))
  return ts.forward(state.prior, u, train=False, method="inverse")


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """``num`` samples: codes from the flow prior decoded, then :func:`vae.draw`."""
  return vae.sample_from_prior(state, key, num, sample_prior)


def log_prior(state: State, z: jax.Array) -> jax.Array:
  """``log p_lambda(z)`` of the flow prior, ``[B, K] -> [B]`` (nats); the
  evaluation's ELBO surgery measures the KL to this prior."""
  return ts.forward(state.prior, z, train=False)


def log_likelihood(state: State, x: jax.Array, key: jax.Array, *,
                   num_samples: int | None = None) -> jax.Array:
  """A lower bound on ``log p(x)``: the importance-weighted bound ``L_k`` with
  the flow prior, per example ``[B]`` (nats); see :func:`vae.log_likelihood`."""
  return vae.chunked_importance_weighted_bound(
      state, x, key, num_samples=num_samples, log_prior=lambda z: log_prior(state, z))


__all__ = ["Config", "State", "encode", "gaussian_entropy", "init", "log_likelihood",
           "log_likelihood_space", "log_prior", "posterior", "reconstruct", "sample", "sample_prior",
           "train_step"]
