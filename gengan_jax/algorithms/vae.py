r"""VAE: an encoder and a decoder trained together on the evidence lower bound.

Kingma & Welling, "Auto-Encoding Variational Bayes" (ICLR 2014), Algorithm 1
with the estimator of eq. (10): the prior is ``p(z) = N(0, I)``, the encoder
``q(z | x) = N(mu(x), diag(sigma(x))^2)`` (:func:`networks.gaussian_encoder`)
and the decoder gives the parameters of an observation model ``p(x | z)``
(:func:`gengan_jax.losses.observation_model`: Bernoulli on binarised pixels,
a Gaussian with a learned or a fixed scale, or the discretised logistic of
8-bit pixels). Both networks ascend, in one joint update
(:func:`~gengan_jax.core.train_state.minimize_jointly`),

.. math::

  \mathcal L(x) = \mathbb E_{q(z \mid x)}[\log p(x \mid z)]
                  - \beta\, \mathrm{KL}(q(z \mid x) \,\|\, p(z)),

the expectation estimated with one reparameterised draw ``z = mu + sigma eps``
(Sec. 2.4) and the KL in closed form (Appendix B). ``beta = 1`` is the ELBO,
a lower bound on ``log p(x)``; :mod:`.beta_vae` is the ``beta > 1`` preset.

One ``train_step``: binarise the batch (Bernoulli only: the threshold
``x > 0`` once and for all, ``'static'``, or a fresh draw with probability
equal to the grey level each step, ``'dynamic'``, Burda et al. 2016,
Sec. 5.1), then one joint step of encoder and decoder on ``-mean L(x)``.
Metrics (nats per example): ``elbo`` (with ``beta = 1`` whatever the
training ``beta``), ``reconstruction_log_likelihood`` (the one-draw
``log p(x | z)``), ``kl`` and ``loss`` (the objective descended).

The rest of the contract:

* :func:`sample` decodes ``z ~ N(0, I)`` and, for the continuous observation
  models (Gaussian, logistic), draws ``x ~ p(x | z)``: the model's full
  distribution, so a 2-D density shows its spread (a decoder that ignores
  ``z`` -- posterior collapse -- still has it in its scale); for the
  Bernoulli model it returns the mean image ``2 P(x = 1 | z) - 1`` (a
  binary draw is salt-and-pepper noise around it, and the mean is the
  picture every VAE paper shows);
* :func:`encode` is the posterior mean ``mu(x)``, :func:`reconstruct` the
  mean of ``p(x | mu(x))``; :func:`posterior` is ``(mu, log sigma)``
  (the evaluation's ELBO surgery needs the whole Gaussian);
* :func:`log_likelihood` is a **lower bound** on ``log p(x)``: the
  importance-weighted bound of Burda et al. with ``num_samples`` draws from
  ``q`` (default ``config.eval_importance_samples``, 1,000), which tends to
  ``log p(x)`` as the draws grow; ``num_samples=1`` is a one-draw ELBO.

:func:`elbo_terms` and :func:`importance_log_weights` are the two bounds as
pure functions of any encoder and decoder (callables), which the tests
check against a linear-Gaussian model with a known ``log p(x)``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import networks
from gengan_jax.algorithms import observation as observation_settings
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import AlgorithmState, OptimizerConfig, check, check_int
from gengan_jax.core import single_batch
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys

# Importance samples drawn at once by log_likelihood (the decoder sees
# EVAL_CHUNK * B codes per pass; the chunks run in a lax.map).
EVAL_CHUNK = 100

Encoder = Callable[[jax.Array], tuple[jax.Array, jax.Array]]
Decoder = Callable[[jax.Array], tuple[jax.Array, ...]]
LogLikelihood = Callable[[jax.Array, tuple[jax.Array, ...]], jax.Array]


@dataclasses.dataclass(frozen=True)
class BaseConfig(ArchitectureConfig):
  """What the VAE and the IWAE share: networks, observation model, optimizer.

  Attributes:
    observation: ``p(x | z)``: ``'gaussian'`` (the default: any real data,
      e.g. the 2-D mixtures), ``'bernoulli'`` (binarised pixels) or
      ``'logistic'`` (8-bit pixels); :data:`gengan_jax.losses.OBSERVATION_MODELS`.
    fixed_log_scale: the Gaussian's fixed ``log sigma``; ``None``: the
      decoder learns one per data dimension. Only for ``'gaussian'``.
    binarization: ``'static'`` or ``'dynamic'`` for ``'bernoulli'`` (which
      needs one of them), ``'none'`` for the other models.
    eval_importance_samples: the default ``k`` of :func:`log_likelihood`'s
      importance-weighted bound (1,000: the evaluation's; Burda et al.
      report ``k = 5000``).
    optimizer: the optimizer of both networks (one objective; each network
      keeps its own optimizer state).
  """

  observation: str = "gaussian"
  fixed_log_scale: float | None = None
  binarization: str = "none"
  eval_importance_samples: int = 1000
  optimizer: OptimizerConfig = OptimizerConfig(1e-3, 0.9, 0.999)

  def __post_init__(self):
    super().__post_init__()
    observation_settings.check_settings(self)
    check_int("eval_importance_samples", self.eval_importance_samples, 1)


@dataclasses.dataclass(frozen=True)
class Config(BaseConfig):
  """VAE hyper-parameters (:class:`BaseConfig` and the KL's weight).

  Attributes:
    beta: the weight of the KL term, > 0; 1 is the ELBO of Kingma & Welling
      (``beta_vae`` is the ``beta > 1`` preset).
  """

  beta: float = 1.0

  def __post_init__(self):
    super().__post_init__()
    check(self.beta > 0, "beta", self.beta, "> 0")


class State(AlgorithmState):
  """The encoder ``q(z | x)``, the decoder ``p(x | z)`` and the steps taken."""

  encoder: ts.TrainState
  decoder: ts.TrainState


def observation(config: BaseConfig) -> losses.ObservationModel:
  """The config's observation model ``p(x | z)``."""
  return observation_settings.model(config)


def log_likelihood_space(config: BaseConfig) -> str:
  """What :func:`log_likelihood` measures: ``'binary'`` (a probability of
  binarised pixels), ``'8-bit'`` (of 256-level pixels) or ``'continuous'``
  (a density on the data's range); the evaluation's bits/dim read it."""
  return {"bernoulli": "binary", "logistic": "8-bit"}.get(config.observation, "continuous")


def binarized(config: BaseConfig, x: jax.Array, key: jax.Array | None) -> jax.Array:
  """``x`` as the model sees it (:func:`.observation.binarized`)."""
  return observation_settings.binarized(config, x, key)


def init(key: jax.Array, config: BaseConfig, example_batch: jax.Array) -> State:
  """Initialises the encoder and the decoder for data shaped like ``example_batch[0]``."""
  e_key, d_key = jax.random.split(key)
  return State(
      step=jnp.zeros((), jnp.int32),
      encoder=networks.gaussian_encoder(config, e_key, example_batch, config.optimizer),
      decoder=networks.decoder(config, d_key, example_batch, config.optimizer,
                               num_params=observation(config).num_params),
      config=config)


def elbo_terms(encoder: Encoder, decoder: Decoder, log_likelihood: LogLikelihood,
               x: jax.Array, key: jax.Array) -> tuple[jax.Array, jax.Array]:
  r"""The ELBO's two terms, per example: ``(log p(x | z), KL(q(z | x) || p(z)))``.

  .. math::

    \mathcal L(x) = \log p(x \mid \mu + \sigma \epsilon)
                    - \mathrm{KL}(\mathcal N(\mu, \sigma^2) \,\|\, \mathcal N(0, I)),
    \quad \epsilon \sim \mathcal N(0, I)

  Args:
    encoder: ``x -> (mu [B, K], log sigma [B, K])``.
    decoder: ``z [B, K] -> params`` of the observation model.
    log_likelihood: ``(x, params) -> log p(x | z) [B]``.
    x: ``[B, ...]`` data.
    key: the draw of ``epsilon``.

  Returns:
    ``(reconstruction [B], kl [B])``, nats; the ELBO is their difference.

  References:
    Kingma & Welling 2014, eq. (10) and Appendix B.
  """
  mean, log_scale = encoder(x)
  log_px = log_likelihood(x, decoder(losses.gaussian_sample(key, mean, log_scale)))
  return log_px, losses.gaussian_kl(mean, 2.0 * log_scale)


def importance_log_weights(encoder: Encoder, decoder: Decoder, log_likelihood: LogLikelihood,
                           x: jax.Array, key: jax.Array, num_samples: int, *,
                           log_prior: Callable[[jax.Array], jax.Array] | None = None
                           ) -> jax.Array:
  r"""``log w_k = log p(x | z_k) + log p(z_k) - log q(z_k | x)`` for ``k`` draws ``z_k ~ q``.

  ``mean_k log w_k`` is a one-draw ELBO averaged over the draws;
  ``logsumexp_k log w_k - log k`` is the ``k``-sample importance-weighted
  bound (:func:`importance_weighted_bound`). Reparameterised: differentiable
  in the encoder's and decoder's parameters.

  Args:
    encoder, decoder, log_likelihood, x: as for :func:`elbo_terms`.
    key: the draws' key.
    num_samples: ``k`` (a Python int).
    log_prior: ``z [N, K] -> log p(z) [N]``; ``None``: ``N(0, I)`` (a flow
      prior passes its ``log_prob``).

  Returns:
    ``[k, B]``, nats.

  References:
    Burda, Grosse & Salakhutdinov, "Importance weighted autoencoders", ICLR
    2016, eq. (8).
  """
  mean, log_scale = encoder(x)
  b = x.shape[0]
  z = losses.gaussian_sample(key, jnp.broadcast_to(mean, (num_samples, *mean.shape)), log_scale)
  log_q = jax.vmap(lambda zk: losses.gaussian_log_likelihood(zk, mean, log_scale))(z)
  flat_z = z.reshape(num_samples * b, -1)
  if log_prior is None:
    log_pz = losses.gaussian_log_likelihood(flat_z, jnp.zeros_like(flat_z), 0.0)
  else:
    log_pz = log_prior(flat_z)
  params = decoder(flat_z)
  xs = jnp.broadcast_to(x, (num_samples, *x.shape)).reshape(num_samples * b, *x.shape[1:])
  log_px = log_likelihood(xs, params).reshape(num_samples, b)
  return log_px + log_pz.reshape(num_samples, b) - log_q


def importance_weighted_bound(log_weights: jax.Array) -> jax.Array:
  r"""``L_k = logsumexp_k log w_k - log k``, per example (``[k, B] -> [B]``).

  :func:`gengan_jax.metrics.iwae_bound` with ``log q`` folded into the
  weights (algorithms do not import metrics). ``L_1`` is the ELBO; ``L_k``
  grows with ``k`` in expectation and tends to ``log p(x)`` (Burda et al.
  2016, Theorem 1).
  """
  return jax.nn.logsumexp(log_weights, axis=0) - math.log(log_weights.shape[0])


def train_step(state: State, batch: jax.Array, key: jax.Array, *,
               name: str = "vae") -> tuple[State, dict]:
  """One joint step of encoder and decoder on ``-mean(log p(x | z) - beta KL)``.

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
    name: the algorithm's name in error messages (``beta_vae`` passes its own).
  """
  cfg = state.config
  keys = step_keys(key, state.step, "binarize", "latent")
  x = binarized(cfg, single_batch(batch, name), keys["binarize"])
  log_likelihood = observation(cfg).log_likelihood

  def loss_fn(nets):
    rec, kl = elbo_terms(nets["encoder"], nets["decoder"], log_likelihood, x, keys["latent"])
    return -jnp.mean(rec - cfg.beta * kl), (rec, kl)

  updated, loss, (rec, kl) = ts.minimize_jointly(
      {"encoder": state.encoder, "decoder": state.decoder}, loss_fn)
  metrics = {"loss": loss, "elbo": jnp.mean(rec - kl),
             "reconstruction_log_likelihood": jnp.mean(rec), "kl": jnp.mean(kl)}
  return state.replace(step=state.step + 1, **updated), metrics


def draw(config: BaseConfig, params: tuple[jax.Array, ...], key: jax.Array) -> jax.Array:
  """What :func:`sample` shows for decoder outputs ``params``: a draw from
  ``p(x | z)`` for the continuous models, the mean image for the Bernoulli one.

  The logistic's draw is put on its 256-level grid in ``[-1, 1]``.
  """
  obs = observation(config)
  if config.observation == "bernoulli":
    return obs.mean(params)
  mean = params[0]
  log_scale = config.fixed_log_scale if config.fixed_log_scale is not None else params[1]
  if config.observation == "gaussian":
    return losses.gaussian_sample(key, mean, jnp.broadcast_to(log_scale, mean.shape))
  u = jax.random.uniform(key, mean.shape, mean.dtype, 1e-6, 1.0 - 1e-6)
  x = mean + jnp.exp(log_scale) * (jnp.log(u) - jnp.log1p(-u))
  return jnp.round((jnp.clip(x, -1.0, 1.0) + 1.0) * 127.5) / 127.5 - 1.0


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """``num`` samples: ``z ~ N(0, I)`` decoded, then :func:`draw` (BN in inference mode)."""
  return sample_from_prior(
      state, key, num, lambda s, k, n: gaussian_prior(k, n, s.config.latent_dim))


def sample_from_prior(state: Any, key: jax.Array, num: int,
                      sample_prior: Callable[[Any, jax.Array, int], jax.Array]) -> jax.Array:
  """``num`` samples of a VAE whose codes come from ``sample_prior(state,
  key, num)`` (``[num, K]``): decoded (BN in inference mode), then
  :func:`draw`. The VAEs with a learned prior pass their own prior's sampler."""
  z_key, x_key = jax.random.split(key)
  z = sample_prior(state, z_key, num)
  return draw(state.config, ts.forward(state.decoder, z, train=False), x_key)


def posterior(state: State, x: jax.Array,
              key: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
  """``q(z | x)``'s ``(mean, log_scale)``, each ``[B, K]``.

  Bernoulli models see ``x`` binarised: with dynamic binarisation the draw
  :func:`log_likelihood` makes with the same ``key``, or the threshold when
  ``key`` is ``None``.
  """
  x = binarized(state.config, x, None if key is None else jax.random.split(key)[0])
  return ts.forward(state.encoder, x, train=False)


def encode(state: State, x: jax.Array) -> jax.Array:
  """The posterior mean ``mu(x)`` of data ``x`` ``[B, *data_shape]``."""
  return posterior(state, x)[0]


def reconstruct(state: State, x: jax.Array) -> jax.Array:
  """The mean of ``p(x | z = mu(x))``, in the data's ``[-1, 1]`` range."""
  params = ts.forward(state.decoder, encode(state, x), train=False)
  return observation(state.config).mean(params)


def log_likelihood(state: State, x: jax.Array, key: jax.Array, *,
                   num_samples: int | None = None) -> jax.Array:
  """A lower bound on ``log p(x)``: the importance-weighted bound ``L_k``, per example.

  ``k = num_samples`` (default ``config.eval_importance_samples``) draws
  from ``q(z | x)``, :data:`EVAL_CHUNK` at a time; ``k = 1`` is a one-draw
  ELBO. ``L_k <= log p(x)`` in expectation, and tends to it as ``k`` grows
  (Burda et al. 2016, Theorem 1). Bernoulli models bound the probability of
  ``x`` binarised as in training (dynamic: a draw with ``key``, the same for
  every ``k``).

  Args:
    state: a trained state.
    x: ``[B, *data_shape]`` data in ``[-1, 1]``.
    key: the binarisation's and the draws' key.
    num_samples: ``k``, a Python int >= 1.

  Returns:
    ``[B]``, nats.
  """
  return chunked_importance_weighted_bound(state, x, key, num_samples=num_samples)


def chunked_importance_weighted_bound(
    state: AlgorithmState, x: jax.Array, key: jax.Array, *, num_samples: int | None = None,
    log_prior: Callable[[jax.Array], jax.Array] | None = None) -> jax.Array:
  """:func:`log_likelihood` of any state with ``encoder`` and ``decoder``
  networks and a :class:`BaseConfig`, with the prior ``log_prior`` (``None``:
  ``N(0, I)``); the draws :data:`EVAL_CHUNK` at a time in a ``lax.map``."""
  cfg = state.config
  k = cfg.eval_importance_samples if num_samples is None else num_samples
  if k < 1:
    raise ValueError(f"num_samples={k} is invalid: it must be an integer >= 1.")
  bin_key, z_key = jax.random.split(key)
  x = binarized(cfg, x, bin_key)
  chunk = min(k, EVAL_CHUNK)
  num_chunks = -(-k // chunk)
  encoder = lambda v: ts.forward(state.encoder, v, train=False)  # noqa: E731
  decoder = lambda z: ts.forward(state.decoder, z, train=False)  # noqa: E731
  log_px = observation(cfg).log_likelihood
  log_w = jax.lax.map(
      lambda kk: importance_log_weights(encoder, decoder, log_px, x, kk, chunk,
                                        log_prior=log_prior),
      jax.random.split(z_key, num_chunks))
  return importance_weighted_bound(log_w.reshape(num_chunks * chunk, -1)[:k])
