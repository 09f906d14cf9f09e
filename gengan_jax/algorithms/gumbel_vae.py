r"""The Gumbel-softmax (Concrete) VAE: a VAE with categorical latent variables.

Jang, Gu & Poole, "Categorical reparameterization with Gumbel-softmax" (ICLR
2017); Maddison, Mnih & Teh, "The Concrete distribution: a continuous
relaxation of discrete random variables" (ICLR 2017). The latent code is
``N`` independent categorical variables of ``K`` classes (20 of 10 on MNIST,
Jang et al. Sec. 4.3) with a uniform prior; the encoder gives their logits
``l(x)`` ``[B, N, K]``, ``q(z_n | x) = Cat(softmax(l_n(x)))``. A discrete
sample has no reparameterisation gradient, so training replaces it by the
relaxed one-hot sample (Jang et al. eq. 1; Maddison et al. Def. 1)

.. math::

  y_{nk} = \operatorname{softmax}_k\big((l_{nk}(x) + g_{nk}) / \tau\big), \qquad
  g_{nk} \sim \mathrm{Gumbel}(0, 1),

fed to the decoder ``p(x | y)`` (``straight_through=True``: the one-hot
``argmax`` forward, the relaxed gradient backward, Jang et al. Sec. 2.2), and
maximises

.. math::

  \mathcal L(x) = \log p(x \mid y) - \mathrm{KL}, \qquad y \sim q_\tau(y \mid x),

with the KL term chosen by ``kl``:

* ``'categorical'`` (the default; Jang et al.'s code): the analytic KL of the
  categorical posterior to the uniform prior,
  ``sum_n sum_k q_nk log(K q_nk)``;
* ``'relaxed'`` (Maddison et al. Sec. 3.3 and App. C): the one-sample
  estimate ``log q_tau(y | x) - log p_lambda(y)`` of the KL between the
  relaxed posterior (Concrete with logits ``l_n``, temperature ``tau``) and
  the relaxed prior (Concrete with uniform logits, temperature ``lambda`` =
  ``prior_temperature``, default ``tau``), at the same ``y`` the decoder
  sees (its soft value under ``straight_through``), with the Concrete log
  density of Maddison et al. eq. 10.

The temperature follows the annealing schedule of Jang et al. Sec. 4.3,
``tau = max(tau_min, tau_0 exp(-r t))``, ``t`` the global step rounded down
to a multiple of ``N_anneal`` ("updated every N steps"); their grid is ``r in
{1e-5, 1e-4}``, ``N_anneal in {500, 1000}``, ``tau_0 = 1``, ``tau_min =
0.5``; the defaults take ``r = 1e-4``, ``N_anneal = 1000``
(:func:`temperature`).

One ``train_step``: one Adam step of the encoder and the decoder together on
``-mean L(x)`` (:func:`gengan_jax.core.train_state.minimize_jointly`), on the
batch binarised as ``binarization`` says (Bernoulli observations).

**The model that is sampled and evaluated** is the discrete one: ``z`` one-hot
from the uniform prior, ``x ~ p(x | z)`` with the decoder fed the one-hot
codes (the relaxation is a training device). :func:`sample` draws it;
:func:`log_likelihood` is the importance-weighted lower bound on its ``log
p(x)`` (Burda et al. 2016) with the categorical posterior as the proposal,
and :func:`elbo` its ELBO (``S = 1``: one sample of the reconstruction term,
the KL analytic). The training objective is not a bound on that model's
likelihood: the decoder is trained on relaxed codes, whose continuous values
carry more about ``x`` than the categorical KL charges for, and is then
asked to decode one-hot codes; ``experiments/discrete_vae_mnist.py``
reports both on held-out digits.

Metrics: ``loss`` (``-mean L``), ``reconstruction`` (``-mean log p(x|y)``,
nats), ``kl``, ``temperature``, and ``perplexity``, the ``exp`` of the
entropy of the batch's most probable classes (how many of the ``K`` classes
the encoder uses, averaged over the ``N`` variables).

Note: :func:`gengan_jax.losses.gumbel_softmax_sample` and
:func:`gengan_jax.losses.concrete_log_density` check ``temperature > 0`` in
Python and so reject the traced, step-dependent temperature of a compiled
step; :func:`relaxed_sample` and :func:`relaxed_log_density` are the same
formulas without that check (a test pins them equal at concrete
temperatures).
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import networks
from gengan_jax.algorithms import observation as observation_settings
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import AlgorithmState, OptimizerConfig, check, check_choice, single_batch
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import step_keys

KL_TERMS = ("categorical", "relaxed")


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """Gumbel-softmax VAE hyper-parameters (defaults: Jang et al.'s MNIST VAE).

  Attributes:
    latent_dim: ``N``, the number of categorical latent variables (20).
    num_classes: ``K``, the classes of each (10); the decoder's input is the
      ``N K`` one-hot (or relaxed) values.
    kl: ``'categorical'`` (analytic, Jang et al.) or ``'relaxed'`` (the
      Concrete densities' one-sample estimate, Maddison et al.).
    straight_through: feed the decoder the one-hot ``argmax`` with the
      relaxed sample's gradient (Jang et al.'s ST Gumbel-softmax).
    initial_temperature: ``tau_0`` > 0.
    min_temperature: ``tau_min`` in ``(0, tau_0]``.
    anneal_rate: ``r`` >= 0.
    anneal_every: ``N_anneal``: the temperature changes every that many steps.
    prior_temperature: the relaxed prior's temperature (``kl='relaxed'``
      only); ``None``: the posterior's annealed ``tau``.
    observation: the decoder's ``p(x | z)``: ``'bernoulli'``, ``'gaussian'``
      or ``'logistic'`` (:func:`gengan_jax.losses.observation_model`).
    fixed_log_scale: a fixed ``log sigma`` for ``'gaussian'`` (one decoder
      output per dimension); ``None``: learned.
    binarization: ``'dynamic'`` (a fresh Bernoulli draw of every pixel at
      each step, Burda et al. 2016 Sec. 5.1) or ``'static'`` (the threshold
      at the mid grey level) with ``'bernoulli'``, which needs one of them;
      ``'none'`` with the other models.
    eval_importance_samples: the default ``S`` of :func:`log_likelihood`
      (>= 1; 1,000 for the evaluation).
    optimizer: Adam settings of the encoder and the decoder (one each, same
      settings).
  """

  latent_dim: int = 20
  num_classes: int = 10
  kl: str = "categorical"
  straight_through: bool = False
  initial_temperature: float = 1.0
  min_temperature: float = 0.5
  anneal_rate: float = 1e-4
  anneal_every: int = 1000
  prior_temperature: float | None = None
  observation: str = "bernoulli"
  fixed_log_scale: float | None = None
  binarization: str = "dynamic"
  eval_importance_samples: int = 1000
  optimizer: OptimizerConfig = OptimizerConfig(1e-3, 0.9, 0.999)

  def __post_init__(self):
    super().__post_init__()
    check(self.num_classes >= 2, "num_classes", self.num_classes, "an integer >= 2")
    check_choice("kl", self.kl, KL_TERMS)
    check(self.initial_temperature > 0, "initial_temperature", self.initial_temperature,
          "> 0")
    check(0 < self.min_temperature <= self.initial_temperature, "min_temperature",
          self.min_temperature, f"in (0, initial_temperature={self.initial_temperature}]")
    check(self.anneal_rate >= 0, "anneal_rate", self.anneal_rate, ">= 0")
    check(self.anneal_every >= 1, "anneal_every", self.anneal_every, "an integer >= 1")
    check(self.prior_temperature is None or self.prior_temperature > 0, "prior_temperature",
          self.prior_temperature, "None or > 0")
    check(self.prior_temperature is None or self.kl == "relaxed", "prior_temperature",
          self.prior_temperature, "None unless kl='relaxed' (the categorical KL has none)")
    observation_settings.check_settings(self)
    check(self.eval_importance_samples >= 1, "eval_importance_samples",
          self.eval_importance_samples, "an integer >= 1")

  @property
  def code_dim(self) -> int:
    """``N K``, the width of the decoder's input."""
    return self.latent_dim * self.num_classes


class State(AlgorithmState):
  """The encoder ``x -> logits [B, N K]``, the decoder ``[B, N K] -> p(x|z)``'s
  parameters, and the step."""

  encoder: ts.TrainState
  decoder: ts.TrainState


def observation(config: Config) -> losses.ObservationModel:
  """The decoder's ``p(x | z)``."""
  return observation_settings.model(config)


def temperature(config: Config, step: jax.typing.ArrayLike) -> jax.Array:
  r"""Jang et al.'s annealed temperature at global step ``step``.

  .. math::

    \tau(t) = \max\big(\tau_{\min},\ \tau_0 \exp(-r\, N \lfloor t / N \rfloor)\big)

  with ``N = anneal_every`` (the temperature is updated every ``N`` steps).
  """
  t = (jnp.asarray(step) // config.anneal_every) * config.anneal_every
  return jnp.maximum(config.min_temperature,
                     config.initial_temperature * jnp.exp(-config.anneal_rate * t))


def relaxed_sample(key: jax.Array, logits: jax.Array, tau: jax.typing.ArrayLike) -> jax.Array:
  """:func:`gengan_jax.losses.gumbel_softmax_sample` (``hard=False``) at temperature ``tau``."""
  return losses.gumbel_softmax_sample(key, logits, tau)


def straight_through(y: jax.Array) -> jax.Array:
  """The one-hot ``argmax`` of ``y`` with ``y``'s gradient (``hard=True``)."""
  one_hot = jax.nn.one_hot(jnp.argmax(y, axis=-1), y.shape[-1], dtype=y.dtype)
  return y + jax.lax.stop_gradient(one_hot - y)


def relaxed_log_density(y: jax.Array, logits: jax.Array, tau: jax.typing.ArrayLike) -> jax.Array:
  """:func:`gengan_jax.losses.concrete_log_density` at temperature ``tau``: ``[..., K] -> [...]``."""
  return losses.concrete_log_density(y, logits, tau)


def categorical_kl(logits: jax.Array) -> jax.Array:
  r"""``KL(q(z|x) || Uniform)`` of ``N`` categoricals, summed per example: ``[B, N, K] -> [B]``.

  .. math::

    \mathrm{KL} = \sum_n \sum_k q_{nk} \left(\log q_{nk} + \log K\right),
    \qquad q_n = \operatorname{softmax}(l_n).
  """
  log_q = jax.nn.log_softmax(logits, axis=-1)
  return jnp.sum(jnp.exp(log_q) * (log_q + math.log(logits.shape[-1])), axis=(1, 2))


def relaxed_kl(y: jax.Array, logits: jax.Array, tau: jax.typing.ArrayLike,
               prior_tau: jax.typing.ArrayLike) -> jax.Array:
  r"""One-sample estimate of ``KL(q_tau(y|x) || p_lambda(y))``, summed per example.

  .. math::

    \widehat{\mathrm{KL}} = \sum_n \log q_{\tau}(y_n \mid l_n) - \log p_{\lambda}(y_n \mid 0)

  at the relaxed sample ``y`` ``[B, N, K]`` drawn from ``q_tau`` (Maddison et
  al. 2017, App. C; both Concrete densities of eq. 10, the prior's logits
  uniform). ``y`` is floored at the smallest normal float so that an entry
  that underflowed to 0 keeps the densities finite.
  """
  y = jnp.maximum(y, jnp.finfo(y.dtype).tiny)
  log_q = relaxed_log_density(y, logits, tau)
  log_p = relaxed_log_density(y, jnp.zeros_like(logits), prior_tau)
  return jnp.sum(log_q - log_p, axis=1)


def code_perplexity(codes: jax.Array, num_classes: int) -> jax.Array:
  """``exp H`` of the classes used in ``codes`` ``[B, N]``, per variable, averaged over ``N``."""
  p = jnp.mean(jax.nn.one_hot(codes, num_classes), axis=0)  # [N, K]
  entropy = -jnp.sum(jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, p, 1.0)), 0.0), axis=-1)
  return jnp.mean(jnp.exp(entropy))


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises the encoder (``N K`` logits) and the decoder (input ``N K``).

  With ``arch='mlp'`` the encoder sees images flattened (Jang et al.'s MLP
  encoder) and the decoder reshapes its output to the data's shape.
  """
  e_key, d_key = jax.random.split(key)
  code = ArchitectureConfig(arch=config.arch, latent_dim=config.code_dim,
                            hidden=config.hidden, base_features=config.base_features)
  return State(
      step=jnp.zeros((), jnp.int32),
      encoder=networks.encoder(config, e_key, _encoder_input(config, example_batch),
                               config.optimizer, latent_dim=config.code_dim),
      decoder=networks.decoder(code, d_key, example_batch, config.optimizer,
                               num_params=observation(config).num_params),
      config=config,
  )


def log_likelihood_space(config: Config) -> str:
  """What :func:`log_likelihood` measures: ``'binary'`` (a probability of
  binarised pixels), ``'8-bit'`` (of 256-level pixels) or ``'continuous'``
  (a density on the data's range)."""
  return {"bernoulli": "binary", "logistic": "8-bit"}.get(config.observation, "continuous")


def _data(config: Config, x: jax.Array, key: jax.Array | None) -> jax.Array:
  """``x`` as the model sees it (:func:`.observation.binarized`)."""
  return observation_settings.binarized(config, x, key)


def _encoder_input(config: Config, x: jax.Array) -> jax.Array:
  """``x``, flattened for an MLP encoder (images included, as Jang et al.'s MLP)."""
  return x.reshape(x.shape[0], -1) if config.arch == "mlp" else x


def _logits(encoder: ts.TrainState | ts.Net, x: jax.Array, config: Config) -> jax.Array:
  """The posterior's logits ``[B, N, K]``: ``encoder`` a state (inference mode) or a Net."""
  h = (encoder(_encoder_input(config, x)) if isinstance(encoder, ts.Net)
       else ts.forward(encoder, _encoder_input(config, x), train=False))
  return h.reshape(x.shape[0], config.latent_dim, config.num_classes)


def _flat(codes: jax.Array) -> jax.Array:
  return codes.reshape(codes.shape[0], -1)


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One joint step of the encoder and the decoder on the relaxed ELBO.

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]`` in ``[-1, 1]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  keys = step_keys(key, state.step, "binarize", "gumbel")
  x = _data(cfg, single_batch(batch, "gumbel_vae"), keys["binarize"])
  obs = observation(cfg)
  tau = temperature(cfg, state.step)

  def loss_fn(nets):
    logits = _logits(nets["encoder"], x, cfg)
    y = relaxed_sample(keys["gumbel"], logits, tau)
    y_dec = straight_through(y) if cfg.straight_through else y
    log_px = obs.log_likelihood(x, nets["decoder"](_flat(y_dec)))
    if cfg.kl == "categorical":
      kl = categorical_kl(logits)
    else:
      prior_tau = tau if cfg.prior_temperature is None else cfg.prior_temperature
      kl = relaxed_kl(y, logits, tau, prior_tau)
    return -jnp.mean(log_px - kl), (log_px, kl, logits)

  nets, loss, (log_px, kl, logits) = ts.minimize_jointly(
      {"encoder": state.encoder, "decoder": state.decoder}, loss_fn)
  metrics = {"loss": loss, "reconstruction": -jnp.mean(log_px), "kl": jnp.mean(kl),
             "temperature": tau.astype(loss.dtype),
             "perplexity": code_perplexity(jnp.argmax(logits, -1), cfg.num_classes)}
  return state.replace(step=state.step + 1, **nets), metrics


def _decode(state: State, one_hot: jax.Array) -> tuple[jax.Array, ...]:
  return ts.forward(state.decoder, _flat(one_hot), train=False)


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """``num`` means of ``p(x | z)``, ``z``: ``N`` classes drawn uniformly (the prior)."""
  cfg = state.config
  codes = jax.random.randint(key, (num, cfg.latent_dim), 0, cfg.num_classes)
  one_hot = jax.nn.one_hot(codes, cfg.num_classes)
  return observation(cfg).mean(_decode(state, one_hot))


def encode(state: State, x: jax.Array) -> jax.Array:
  """The most probable class of each variable under ``q(z | x)``, int32 ``[B, N]``.

  Bernoulli models see ``x`` binarised at the mid grey level (no key here).
  """
  logits = _logits(state.encoder, _data(state.config, x, None), state.config)
  return jnp.argmax(logits, axis=-1).astype(jnp.int32)


def reconstruct(state: State, x: jax.Array) -> jax.Array:
  """The mean of ``p(x | z)`` at the most probable codes of ``x``."""
  cfg = state.config
  one_hot = jax.nn.one_hot(encode(state, x), cfg.num_classes)
  return observation(cfg).mean(_decode(state, one_hot))


def _log_weights(state: State, x: jax.Array, logits: jax.Array, key: jax.Array) -> jax.Array:
  """``log p(x | z) + log p(z) - log q(z | x)`` of one draw ``z ~ q(z | x)``, ``[B]``."""
  cfg = state.config
  codes = jax.random.categorical(key, logits, axis=-1)  # [B, N]
  log_q = jnp.sum(jnp.take_along_axis(jax.nn.log_softmax(logits, -1), codes[..., None], -1),
                  axis=(1, 2))
  log_prior = -cfg.latent_dim * math.log(cfg.num_classes)
  log_px = observation(cfg).log_likelihood(
      x, _decode(state, jax.nn.one_hot(codes, cfg.num_classes, dtype=logits.dtype)))
  return log_px + log_prior - log_q


def log_likelihood(state: State, x: jax.Array, key: jax.Array, *,
                   num_samples: int | None = None) -> jax.Array:
  r"""A lower bound on ``log p(x)`` of the discrete model: importance-weighted, ``S`` draws.

  .. math::

    \log p(x) \ge \mathcal L_S(x) = \log \frac1S \sum_{s=1}^S
      \frac{p(x \mid z_s)\, p(z_s)}{q(z_s \mid x)}, \qquad z_s \sim q(z \mid x),

  with ``p(z) = K^{-N}`` (uniform), ``q`` the encoder's categorical
  posterior and ``p(x | z_s)`` the decoder at the one-hot ``z_s`` (Burda,
  Grosse & Salakhutdinov 2016, eq. 8; ``L_S`` increases with ``S`` towards
  ``log p(x)``). Bernoulli models score ``x`` binarised as in training
  (dynamically: a draw from ``key``; ``x`` already in ``{-1, 1}`` is kept).

  Args:
    state: a trained state.
    x: ``[B, *data_shape]`` in ``[-1, 1]``.
    key: a PRNG key.
    num_samples: ``S`` (default ``config.eval_importance_samples``), a Python int.

  Returns:
    ``[B]`` per-example bounds in nats.
  """
  cfg = state.config
  s = cfg.eval_importance_samples if num_samples is None else num_samples
  if s < 1:
    raise ValueError(f"num_samples={s} must be >= 1.")
  bin_key, draw_key = jax.random.split(key)
  x = _data(cfg, x, bin_key)
  logits = _logits(state.encoder, x, cfg)
  log_w = jax.lax.map(lambda k: _log_weights(state, x, logits, k),
                      jax.random.split(draw_key, s), batch_size=min(s, 16))  # [S, B]
  return jax.nn.logsumexp(log_w, axis=0) - math.log(s)


def elbo(state: State, x: jax.Array, key: jax.Array) -> jax.Array:
  r"""The discrete model's ELBO, ``E_q log p(x | z) - KL(q(z|x) || p(z))``, per example ``[B]``.

  The KL analytic (:func:`categorical_kl`), the reconstruction term from one
  draw ``z ~ q(z | x)`` (an unbiased estimate; its mean over a test set is
  the test ELBO). Bernoulli models binarise ``x`` as :func:`log_likelihood`.
  """
  cfg = state.config
  bin_key, draw_key = jax.random.split(key)
  x = _data(cfg, x, bin_key)
  logits = _logits(state.encoder, x, cfg)
  codes = jax.random.categorical(draw_key, logits, axis=-1)
  log_px = observation(cfg).log_likelihood(
      x, _decode(state, jax.nn.one_hot(codes, cfg.num_classes, dtype=logits.dtype)))
  return log_px - categorical_kl(logits)


def relaxed_elbo(state: State, x: jax.Array, key: jax.Array) -> jax.Array:
  """The training objective ``L(x)`` per example at the state's temperature (one draw)."""
  cfg = state.config
  bin_key, draw_key = jax.random.split(key)
  x = _data(cfg, x, bin_key)
  tau = temperature(cfg, state.step)
  logits = _logits(state.encoder, x, cfg)
  y = relaxed_sample(draw_key, logits, tau)
  log_px = observation(cfg).log_likelihood(
      x, _decode(state, straight_through(y) if cfg.straight_through else y))
  if cfg.kl == "categorical":
    return log_px - categorical_kl(logits)
  prior_tau = tau if cfg.prior_temperature is None else cfg.prior_temperature
  return log_px - relaxed_kl(y, logits, tau, prior_tau)
