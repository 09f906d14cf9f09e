r"""VQ-VAE: an auto-encoder whose codes are vectors of a learned codebook.

van den Oord, Vinyals & Kavukcuoglu, "Neural discrete representation
learning" (NeurIPS 2017). The encoder maps ``x`` to ``M`` continuous vectors
``z_e(x)`` of width ``D`` (:class:`gengan_jax.nets.VQEncoder`); each is
replaced by its nearest codebook vector, ``z_q = e_k``, ``k = argmin_j
||z_e - e_j||`` (eq. 1-2), and the decoder models ``p(x | z_q)``. The
decoder's gradient passes straight through the quantisation to ``z_e``
(Sec. 3.1), and the loss of eq. 3 is

.. math::

  L = -\log p(x \mid z_q(x)) + \lVert \mathrm{sg}[z_e(x)] - e \rVert_2^2
      + \beta \lVert z_e(x) - \mathrm{sg}[e] \rVert_2^2, \qquad \beta = 0.25

(:func:`gengan_jax.losses.vector_quantize`, :func:`gengan_jax.losses.vq_losses`):
the reconstruction term trains the decoder and, straight through, the
encoder; the codebook term moves the codebook to the encoder outputs; the
commitment term keeps the encoder near its codes.

With ``ema=True`` the codebook is not learned by its term but set each step to
the exponential moving averages of the encoder outputs assigned to each code
(App. A.1, decay ``gamma = 0.99``; :func:`gengan_jax.losses.ema_codebook_update`):
the loss is the reconstruction and commitment terms, and the codebook with its
statistics lives in the encoder's ``collections`` (``'vq_ema'``), replaced
after the gradient step from the step's ``z_e`` and codes -- no gradient
touches it.

One ``train_step``: one Adam step of the encoder (and codebook) and the
decoder together on the batch mean of ``L``
(:func:`gengan_jax.core.train_state.minimize_jointly`), then, with
``ema``, the codebook's moving-average update.

**Codes.** ``M = latent_dim`` vectors per example, the base encoder's dense
output reshaped (a set of code vectors, not the paper's spatial grid; see
:mod:`gengan_jax.nets.vq`), each one of ``K = num_codes`` codes: ``M log2 K``
bits per example.

**Prior and samples.** VQ-VAE trains with a uniform prior over the codes
(its KL term ``M log K`` is a constant, Sec. 3.2), and the paper fits an
autoregressive prior (PixelCNN) over the codes after training. :func:`sample`
decodes codes drawn from one of two priors (``prior``):

* ``'uniform'`` (default): every code uniformly and independently from the
  ``K`` codebook vectors, the prior of training. Such samples show what the
  decoder makes of arbitrary code combinations, unused codes included, not
  the data distribution.
* ``'marginal'``: each of the ``M`` positions independently from its code
  frequencies ``pi_m`` (``code_frequencies``, ``[M, K]``), a moving average
  of the training batches' assignment shares (decay ``prior_decay``; the
  maximum-likelihood categorical fitted to recent codes). With ``M = 1``
  (the mixtures' configs) this is the paper's fitted prior, exactly: one
  categorical over one code has nothing to be autoregressive over; with
  ``M > 1`` it is a factorised stand-in for the PixelCNN (no dependence
  between positions).

The frequencies are kept in the state under either prior (they start
uniform, ``1 / K``). There is no ``log_likelihood``.

Metrics: ``loss``, ``reconstruction`` (``-mean log p(x | z_q)``, nats),
``squared_error`` (the mean reconstruction's squared error per data
dimension, in the ``[-1, 1]`` data space), ``codebook_loss`` and
``commitment_loss`` (batch means of the two terms; the same number, as the
stop-gradients differ only in what they train), and ``perplexity``, the
codebook usage ``exp(-sum_j p_j log p_j)`` of the batch's code assignments
(``p_j`` the share of the ``B M`` vectors assigned to code ``j``; ``K`` when
every code is used equally, 1 when one code takes all); with
``revive_threshold``, ``revived_codes``, the number of codes restarted in
the step.

**Dead codes.** Codes that start far from every encoder output win no
points, and neither the codebook term nor the moving averages move a code
without points: they stay dead, and the data is served by fewer codes than
the codebook has. ``revive_threshold > 0`` restarts them at encoder outputs
of the batch (:func:`revive`), an addition of later VQ-VAE work (Jukebox's
random restarts), not of the paper.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from gengan_jax import losses, nets
from gengan_jax.algorithms import networks
from gengan_jax.algorithms import observation as observation_settings
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import AlgorithmState, OptimizerConfig, check, check_choice, single_batch
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import step_keys
from gengan_jax.nets.vq import EMA_COLLECTION


PRIORS = ("uniform", "marginal")


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """VQ-VAE hyper-parameters.

  Attributes:
    latent_dim: ``M``, the code vectors per example.
    embedding_dim: ``D``, their width (64 in the paper).
    num_codes: ``K``, the codebook's size (512 in the paper).
    beta: the commitment cost (0.25, "robust for values from 0.1 to 2.0").
    ema: update the codebook by moving averages (App. A.1) instead of its
      loss term.
    decay: ``gamma`` of the moving averages, in ``[0, 1)`` (0.99).
    ema_eps: the Laplace smoothing of the code counts, > 0.
    observation: the decoder's ``p(x | z_q)``: ``'gaussian'`` (default, with
      ``fixed_log_scale``: half the squared error plus a constant, the
      mean-squared-error reconstruction of the authors' code),
      ``'bernoulli'`` (binarised pixels) or ``'logistic'`` (8-bit pixels).
    fixed_log_scale: ``log sigma`` of the Gaussian (0: ``sigma = 1``);
      ``None`` learns it; only for ``'gaussian'``.
    binarization: ``'static'`` or ``'dynamic'`` with ``'bernoulli'``,
      ``'none'`` with the other models.
    optimizer: Adam settings of the encoder (with the codebook) and the
      decoder (the paper: learning rate 2e-4).
    prior: what :func:`sample` draws codes from: ``'uniform'`` (the prior of
      training) or ``'marginal'`` (the code frequencies of training).
    prior_decay: the decay of the code frequencies' moving average, in
      ``[0, 1)`` (0.99: about the last hundred batches).
    revive_threshold: restart the codes used less than this many times per
      batch (by the code frequencies) at random encoder outputs of the batch
      (:func:`revive`; Jukebox's random restarts, threshold 1 there); 0
      (default): never, as the paper.
  """

  latent_dim: int = 16
  embedding_dim: int = 64
  num_codes: int = 512
  beta: float = 0.25
  ema: bool = False
  decay: float = 0.99
  ema_eps: float = 1e-5
  observation: str = "gaussian"
  fixed_log_scale: float | None = 0.0
  binarization: str = "none"
  optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.9, 0.999)
  prior: str = "uniform"
  prior_decay: float = 0.99
  revive_threshold: float = 0.0

  def __post_init__(self):
    super().__post_init__()
    check(self.embedding_dim >= 1, "embedding_dim", self.embedding_dim, "an integer >= 1")
    check(self.num_codes >= 2, "num_codes", self.num_codes, "an integer >= 2")
    check(self.beta >= 0, "beta", self.beta, ">= 0")
    check(0.0 <= self.decay < 1.0, "decay", self.decay, "in [0, 1)")
    check(self.ema_eps > 0, "ema_eps", self.ema_eps, "> 0")
    check_choice("prior", self.prior, PRIORS)
    check(0.0 <= self.prior_decay < 1.0, "prior_decay", self.prior_decay, "in [0, 1)")
    check(self.revive_threshold >= 0, "revive_threshold", self.revive_threshold, ">= 0")
    observation_settings.check_settings(self)

  @property
  def code_dim(self) -> int:
    """``M D``, the width of the decoder's input."""
    return self.latent_dim * self.embedding_dim


class State(AlgorithmState):
  """The encoder with its codebook (and, with ``ema``, the codebook's running
  statistics in ``encoder.collections['vq_ema']``), the decoder, the step,
  and ``code_frequencies`` ``[M, K]``, the moving average of each position's
  code assignment shares (rows sum to 1)."""

  encoder: ts.TrainState
  decoder: ts.TrainState
  code_frequencies: jax.Array


def observation(config: Config) -> losses.ObservationModel:
  """The decoder's ``p(x | z_q)``."""
  return observation_settings.model(config)


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises the encoder with its codebook, and the decoder (input ``M D``)."""
  e_key, d_key = jax.random.split(key)
  encoder = nets.make_vq_encoder(config.arch, data_shape=tuple(example_batch.shape[1:]),
                                 num_latents=config.latent_dim,
                                 embedding_dim=config.embedding_dim,
                                 num_codes=config.num_codes, ema=config.ema,
                                 **config.net_kwargs())
  code = ArchitectureConfig(arch=config.arch, latent_dim=config.code_dim,
                            hidden=config.hidden, base_features=config.base_features)
  return State(
      step=jnp.zeros((), jnp.int32),
      encoder=ts.create(encoder, e_key, example_batch, config.optimizer),
      decoder=networks.decoder(code, d_key, example_batch, config.optimizer,
                               num_params=observation(config).num_params),
      code_frequencies=jnp.full((config.latent_dim, config.num_codes), 1.0 / config.num_codes,
                                jnp.float32),
      config=config,
  )


def _data(config: Config, x: jax.Array, key: jax.Array | None) -> jax.Array:
  """``x`` as the model sees it (:func:`.observation.binarized`)."""
  return observation_settings.binarized(config, x, key)


def perplexity(codes: jax.Array, num_codes: int) -> jax.Array:
  r"""Codebook usage: ``exp(-sum_j p_j log p_j)``, ``p_j`` the share of ``codes`` equal to ``j``.

  Args:
    codes: int codes of any shape (every entry counts once).
    num_codes: ``K``.

  Returns:
    A scalar in ``[1, K]``.
  """
  return _perplexity(jnp.mean(jax.nn.one_hot(codes.reshape(-1), num_codes), axis=0))


def _perplexity(p: jax.Array) -> jax.Array:
  """``exp(-sum_j p_j log p_j)`` of the shares ``p`` ``[K]``."""
  return jnp.exp(-jnp.sum(jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, p, 1.0)), 0.0)))


def code_shares(codes: jax.Array, num_codes: int) -> jax.Array:
  """``share[m, k]``, the fraction of ``codes[:, m]`` equal to ``k``: ``[M, K]`` for
  int codes ``[B, M]``."""
  return jnp.mean(jax.nn.one_hot(codes, num_codes), axis=0)


def updated_frequencies(frequencies: jax.Array, share: jax.Array, decay: float) -> jax.Array:
  """``decay * pi + (1 - decay) * share``: the moving average of each position's
  code shares (:func:`code_shares`), both ``[M, K]``; ``decay`` in ``[0, 1)``."""
  return decay * frequencies + (1.0 - decay) * share


def loss_terms(nets_: dict, x: jax.Array, config: Config) -> tuple[jax.Array, dict]:
  """Eq. 3 for one batch, with the networks ``nets_`` (``{'encoder', 'decoder'}``,
  :class:`~gengan_jax.core.train_state.Net` s or anything callable alike).

  Returns:
    ``(loss, aux)``: the batch mean of ``-log p(x|z_q) + codebook term (without
    ``ema``) + beta * commitment term``, and the per-example terms, ``z_e``
    ``[B, M, D]`` and ``codes`` ``[B, M]``.
  """
  enc = nets_["encoder"](x)
  q = losses.vector_quantize(enc.z_e, enc.codebook)
  params = nets_["decoder"](q.quantized.reshape(x.shape[0], -1))
  log_px = observation(config).log_likelihood(x, params)
  codebook_term, commitment_term = losses.vq_losses(enc.z_e, q.codebook_vectors)
  per_example = -log_px + config.beta * commitment_term
  if not config.ema:
    per_example = per_example + codebook_term
  mean = observation(config).mean(params)
  return jnp.mean(per_example), {
      "log_px": log_px, "codebook": codebook_term, "commitment": commitment_term,
      "squared_error": jnp.mean(jnp.square(mean - x)),
      "z_e": jax.lax.stop_gradient(enc.z_e), "codes": q.codes}


def ema_update(encoder: ts.TrainState, z_e: jax.Array, codes: jax.Array,
               config: Config) -> ts.TrainState:
  """The encoder with its codebook replaced by the moving averages after this batch (App. A.1)."""
  stats = encoder.collections[EMA_COLLECTION]["codebook"]
  return _with_ema_codebook(encoder, *losses.ema_codebook_update(
      stats["cluster_size"], stats["embed_sum"], z_e, codes, decay=config.decay,
      eps=config.ema_eps))


def _with_ema_codebook(encoder: ts.TrainState, cluster_size: jax.Array, embed_sum: jax.Array,
                       embedding: jax.Array) -> ts.TrainState:
  """The encoder with its EMA codebook and statistics replaced."""
  return encoder.replace(collections={**encoder.collections, EMA_COLLECTION: {"codebook": {
      "cluster_size": cluster_size, "embed_sum": embed_sum, "embedding": embedding}}})


def _codebook_of(encoder: ts.TrainState, config: Config) -> jax.Array:
  """The encoder's codebook ``[K, D]``: its EMA variable or its parameter."""
  if config.ema:
    return encoder.collections[EMA_COLLECTION]["codebook"]["embedding"]
  return encoder.params["codebook"]["embedding"]


def revive(encoder: ts.TrainState, frequencies: jax.Array, z_e: jax.Array, key: jax.Array,
           config: Config) -> tuple[ts.TrainState, jax.Array, jax.Array]:
  """Restarts the dead codes at random encoder outputs of the batch.

  A code's use is its expected number of assignments per batch by the code
  frequencies, ``B sum_m pi[m, k]`` (``z_e`` is ``[B, M, D]``); those below
  ``config.revive_threshold`` are moved to encoder outputs
  (:func:`gengan_jax.losses.revive_dead_codes`) and restart at the
  threshold's use, as vector-quantize-pytorch's quantiser restarts its own:
  their frequency (then the rows renormalised) and, with ``ema``, their
  moving averages (``cluster_size`` the threshold, ``embed_sum`` the new
  vector times it, so the next average starts from the new vector). A
  restarted code stays alive while it wins at least the threshold's points
  per batch. The learned codebook's Adam moments are left as they are (a
  dead code's are near zero).

  Returns:
    ``(encoder, frequencies, dead)``: the encoder with its codebook, the
    frequencies after the restarts, and the ``[K]`` mask of the restarted codes.
  """
  batch = z_e.shape[0]
  counts = batch * jnp.sum(frequencies, axis=0)
  new, dead = losses.revive_dead_codes(_codebook_of(encoder, config), counts, z_e, key,
                                       threshold=config.revive_threshold)
  frequencies = jnp.where(dead, config.revive_threshold / (batch * config.latent_dim),
                          frequencies)
  frequencies = frequencies / jnp.sum(frequencies, axis=-1, keepdims=True)
  if config.ema:
    stats = encoder.collections[EMA_COLLECTION]["codebook"]
    encoder = _with_ema_codebook(
        encoder, jnp.where(dead, config.revive_threshold, stats["cluster_size"]),
        jnp.where(dead[:, None], new * config.revive_threshold, stats["embed_sum"]), new)
  else:
    params = encoder.params
    encoder = encoder.replace(params={**params, "codebook": {**params["codebook"],
                                                            "embedding": new}})
  return encoder, frequencies, dead


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One joint step of encoder, codebook and decoder on eq. 3 (then the EMA
  update, the code frequencies' update and, with ``revive_threshold``, the
  dead codes' restarts: :func:`revive`).

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]`` in ``[-1, 1]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  keys = step_keys(key, state.step, "binarize", *(("revive",) if cfg.revive_threshold else ()))
  x = _data(cfg, single_batch(batch, "vq_vae"), keys["binarize"])
  new, loss, aux = ts.minimize_jointly({"encoder": state.encoder, "decoder": state.decoder},
                                       lambda n: loss_terms(n, x, cfg))
  if cfg.ema:
    new["encoder"] = ema_update(new["encoder"], aux["z_e"], aux["codes"], cfg)
  share = code_shares(aux["codes"], cfg.num_codes)
  metrics = {"loss": loss, "reconstruction": -jnp.mean(aux["log_px"]),
             "squared_error": aux["squared_error"],
             "codebook_loss": jnp.mean(aux["codebook"]),
             "commitment_loss": jnp.mean(aux["commitment"]),
             # Every position has B codes: the batch's shares are the positions' mean.
             "perplexity": _perplexity(jnp.mean(share, axis=0))}
  frequencies = updated_frequencies(state.code_frequencies, share, cfg.prior_decay)
  if cfg.revive_threshold:
    new["encoder"], frequencies, dead = revive(new["encoder"], frequencies, aux["z_e"],
                                               keys["revive"], cfg)
    metrics["revived_codes"] = jnp.sum(dead.astype(jnp.float32))
  return state.replace(step=state.step + 1, code_frequencies=frequencies, **new), metrics


def codebook(state: State) -> jax.Array:
  """The current codebook ``[K, D]``."""
  return _codebook_of(state.encoder, state.config)


def decode(state: State, codes: jax.Array) -> jax.Array:
  """The mean of ``p(x | z_q)`` for int codes ``[B, M]``."""
  z_q = codebook(state)[codes]
  params = ts.forward(state.decoder, z_q.reshape(codes.shape[0], -1), train=False)
  return observation(state.config).mean(params)


def sample_codes(state: State, key: jax.Array, num: int) -> jax.Array:
  """``num`` code sets ``[num, M]`` from the config's ``prior`` (the module's docstring)."""
  cfg = state.config
  if cfg.prior == "marginal":
    return jax.random.categorical(key, jnp.log(state.code_frequencies), axis=-1,
                                  shape=(num, cfg.latent_dim)).astype(jnp.int32)
  return jax.random.randint(key, (num, cfg.latent_dim), 0, cfg.num_codes)


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """``num`` decoder means at codes drawn from the prior (:func:`sample_codes`)."""
  return decode(state, sample_codes(state, key, num))


def encode(state: State, x: jax.Array) -> jax.Array:
  """The codes of ``x``: the nearest codebook entry of each ``z_e``, int32 ``[B, M]``.

  A Bernoulli model sees ``x`` binarised at the mid grey level (no key here).
  """
  enc = ts.forward(state.encoder, _data(state.config, x, None), train=False)
  return losses.vector_quantize(enc.z_e, enc.codebook).codes


def reconstruct(state: State, x: jax.Array) -> jax.Array:
  """The decoder's mean at the codes of ``x``."""
  return decode(state, encode(state, x))
